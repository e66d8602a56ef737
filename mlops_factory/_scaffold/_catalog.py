"""The template catalog: ``catalog.yaml`` loaded into validated, immutable values.

A catalog folder holds ``catalog.yaml`` (components, groups, patterns),
``questions.yml`` (shared copier questions) and ``components/<name>/`` (one
copier template each). Every schema problem is a :class:`FactoryError` that
names the file, the component/group/pattern and the field, so a catalog
author can fix it without reading our code.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mlops_factory._errors import FactoryError
from mlops_factory._resources import templates_dir
from mlops_factory._yamlsafe import load_file, safe_loader

CATALOG_FILE = "catalog.yaml"
QUESTIONS_FILE = "questions.yml"
COMPONENTS_DIR = "components"
#: A group answer that selects no member.
NONE = "none"

#: The answer keys the engine asks, derives and validates itself (issue 3), in asking order.
ANSWER_KEYS: tuple[str, ...] = (
    "project_name",
    "project_display_name",
    "project_slug",
    "package_name",
    "description",
    "owner",
    "pattern",
    "python_version",
    "license",
    "ci",
    "iac",
    "environments",
    "data_versioning",
)
#: Keys the engine computes; nobody may answer them.
COMPUTED_KEYS: tuple[str, ...] = ("components",)
#: Keys a pattern's ``defaults`` cannot set: they are resolved before the pattern is known.
_NOT_PATTERN_DEFAULTS: tuple[str, ...] = (
    "project_name",
    "project_display_name",
    "project_slug",
    "package_name",
    "description",
    "owner",
    "pattern",
    *COMPUTED_KEYS,
)

_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_SEMVER_RE = re.compile(r"^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$")
_UNSAFE_KEYS = {"_tasks": "tasks", "_migrations": "migrations", "_jinja_extensions": "extensions"}


@dataclass(frozen=True, slots=True)
class Component:
    """One copier template of the catalog, at the version the catalog ships."""

    name: str
    version: str
    title: str
    description: str
    #: Components or groups this component needs (a group: any of its members).
    requires: tuple[str, ...]
    #: The answer keys this component uses (for asking only these in ``add``).
    questions: tuple[str, ...]
    #: The template folder (holds ``copier.yml``).
    path: Path

    @property
    def tag(self) -> str:
        """The git tag of this version in the materialised component repository."""
        return f"v{self.version}"


@dataclass(frozen=True, slots=True)
class Group:
    """Alternatives of which an answer picks one member (or ``none``)."""

    name: str
    #: The answer key whose value picks the member.
    answer: str
    #: Answer value -> component name.
    members: Mapping[str, str]
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class Pattern:
    """A named recipe: components (and groups) plus default answers."""

    name: str
    title: str
    description: str
    default: bool
    #: Component and group names, in the catalog's order.
    components: tuple[str, ...]
    #: Default answers of this pattern (override the shared question defaults).
    defaults: Mapping[str, Any]
    #: Shell command lines shown after generation.
    next_steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SharedQuestion:
    """What the engine reads from a ``questions.yml`` entry: static parts only."""

    key: str
    help: str | None
    #: Static choices (values, not labels), or None when free or templated.
    choices: tuple[Any, ...] | None
    #: A literal default, or None when absent or templated.
    default: Any


@dataclass(frozen=True, slots=True)
class Catalog:
    """A loaded and validated template catalog."""

    #: The catalog folder.
    path: Path
    version: str
    components: Mapping[str, Component]
    groups: Mapping[str, Group]
    patterns: Mapping[str, Pattern]
    #: Entries of ``questions.yml`` (empty when the catalog has none).
    questions: Mapping[str, SharedQuestion] = field(default_factory=dict)
    #: The catalog shipped with mlops-factory: its tasks and migrations are trusted.
    builtin: bool = False
    #: The catalog's declared ``name`` (its identity: every clone of it has the same one);
    #: a catalog that declares none is named after its folder.
    name: str = ""
    #: Where it was loaded from, as given: a git URL, ``gh:org/repo``, or a folder path.
    source: str = ""
    #: The git reference (``--vcs-ref``) the catalog was checked out at, if any.
    vcs_ref: str | None = None

    @property
    def key(self) -> str:
        """The identity projects record (in the template cache path copier writes as
        ``_src_path``): ``builtin`` for the built-in catalog, else its name."""
        return "builtin" if self.builtin else self.name or catalog_name(self.path.name)

    @property
    def legacy_key(self) -> str:
        """The identity mlops-factory 1.x recorded: the folder name plus a hash of its path."""
        digest = hashlib.sha256(str(self.path).encode()).hexdigest()[:12]
        return f"{self.path.name or 'catalog'}-{digest}"

    def recorded_by(self, key: str) -> bool:
        """Whether a project whose components record catalog ``key`` came from this catalog."""
        return key in (self.key, self.legacy_key)

    @property
    def display(self) -> str:
        """How messages name the catalog: its name and where it comes from."""
        if self.builtin:
            return "the built-in catalog"
        where = self.source or str(self.path)
        ref = f" at {self.vcs_ref}" if self.vcs_ref else ""
        return f"catalog {self.key!r} ({where}{ref})"

    @property
    def file(self) -> Path:
        """The ``catalog.yaml`` file."""
        return self.path / CATALOG_FILE

    @property
    def questions_file(self) -> Path | None:
        """The shared ``questions.yml``, if the catalog has one."""
        candidate = self.path / QUESTIONS_FILE
        return candidate if candidate.is_file() else None

    @property
    def default_pattern(self) -> Pattern:
        """The pattern marked ``default: true``, else the first one."""
        for pattern in self.patterns.values():
            if pattern.default:
                return pattern
        return next(iter(self.patterns.values()))

    def answer_keys(self) -> tuple[str, ...]:
        """Every answer key this catalog knows: the engine's, group answers, component questions."""
        keys = dict.fromkeys(ANSWER_KEYS)
        for group in self.groups.values():
            keys.setdefault(group.answer)
        for component in self.components.values():
            for key in component.questions:
                keys.setdefault(key)
        return tuple(keys)

    def groups_for_answer(self, key: str) -> tuple[Group, ...]:
        """The groups whose member is picked by the answer ``key``."""
        return tuple(g for g in self.groups.values() if g.answer == key)

    def pattern(self, name: str) -> Pattern:
        """The pattern ``name``, or a FactoryError listing the known ones."""
        try:
            return self.patterns[name]
        except KeyError:
            raise FactoryError(
                f"unknown pattern {name!r}",
                hint=f"choose one of: {', '.join(self.patterns)} (see `mlops-factory templates`)",
            ) from None

    def resolve(self, pattern_name: str, answers: Mapping[str, Any]) -> tuple[Component, ...]:
        """The components a pattern applies with these answers, in render order.

        Groups resolve through their answer (``none`` selects nothing); the result
        is ordered so that every component comes after what it ``requires``,
        otherwise keeping the pattern's order.
        """
        pattern = self.pattern(pattern_name)
        selected: list[str] = []
        for entry in pattern.components:
            group = self.groups.get(entry)
            if group is None:
                name: str | None = entry
            else:
                value = answers.get(group.answer, NONE)
                if value == NONE:
                    name = None
                elif isinstance(value, str) and value in group.members:
                    name = group.members[value]
                else:
                    raise FactoryError(
                        f"pattern {pattern.name!r}: group {group.name!r} has no component for "
                        f"{group.answer}={value!r}",
                        hint=f"{group.answer} must be one of: {', '.join([*group.members, NONE])}",
                    )
            if name is not None and name not in selected:
                selected.append(name)
        for name in selected:
            for need in self.components[name].requires:
                if not self._satisfied(need, selected):
                    raise FactoryError(
                        f"component {name!r} requires {need!r}, which pattern "
                        f"{pattern.name!r} does not include with these answers",
                        hint=_requires_hint(self, need),
                    )
        return tuple(self.components[n] for n in requires_order(self, selected))

    def _satisfied(self, need: str, selected: Iterable[str]) -> bool:
        chosen = set(selected)
        group = self.groups.get(need)
        if group is None:
            return need in chosen
        return any(member in chosen for member in group.members.values())

    def unsafe_features(self, component: Component) -> tuple[str, ...]:
        """The copier features of ``component`` that need trust: tasks, migrations, extensions."""
        data = _load_copier_config(self, component)
        return tuple(
            label
            for key, label in _UNSAFE_KEYS.items()
            if any(isinstance(doc, Mapping) and doc.get(key) for doc in data)
        )

    def to_dict(self) -> dict[str, Any]:
        """The catalog as plain JSON-able data (``mlops-factory templates --format json``)."""
        return {
            "catalog": {
                "name": self.key,
                "source": self.source or str(self.path),
                "vcs_ref": self.vcs_ref,
                "path": str(self.path),
                "version": self.version,
                "builtin": self.builtin,
            },
            "patterns": [
                {
                    "name": p.name,
                    "title": p.title,
                    "description": p.description,
                    "default": p is self.default_pattern,
                    "components": list(p.components),
                    "defaults": dict(p.defaults),
                    "next_steps": list(p.next_steps),
                }
                for p in self.patterns.values()
            ],
            "components": [
                {
                    "name": c.name,
                    "version": c.version,
                    "title": c.title,
                    "description": c.description,
                    "requires": list(c.requires),
                    "questions": list(c.questions),
                }
                for c in self.components.values()
            ],
            "groups": [
                {
                    "name": g.name,
                    "answer": g.answer,
                    "title": g.title,
                    "description": g.description,
                    "members": dict(g.members),
                }
                for g in self.groups.values()
            ],
        }


def _requires_hint(catalog: Catalog, need: str) -> str:
    group = catalog.groups.get(need)
    if group is None:
        return f"choose a pattern that includes {need!r}"
    return f"set {group.answer} to one of: {', '.join(group.members)}"


def requires_order(catalog: Catalog, selected: list[str]) -> list[str]:
    """Topological order over ``requires``, stable with respect to ``selected``."""

    def deps(name: str) -> set[str]:
        out: set[str] = set()
        for need in catalog.components[name].requires:
            group = catalog.groups.get(need)
            targets = group.members.values() if group else (need,)
            out.update(t for t in targets if t in selected and t != name)
        return out

    pending = {name: deps(name) for name in selected}
    ordered: list[str] = []
    while pending:
        # Cycles are refused at load time, so a ready component always exists.
        ready = next(n for n in selected if n in pending and not pending[n] - set(ordered))
        ordered.append(ready)
        del pending[ready]
    return ordered


def catalog_name(folder: str) -> str:
    """A valid catalog name made from a folder name ('Acme ML' -> 'acme-ml')."""
    slug = re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-")
    return slug if _NAME_RE.match(slug) else f"catalog-{slug}".rstrip("-")


def load_catalog(
    path: str | os.PathLike[str] | None = None, *, vcs_ref: str | None = None
) -> Catalog:
    """Load and validate a template catalog.

    ``path`` is a catalog folder (holding ``catalog.yaml``), the ``catalog.yaml`` file
    itself, or a git repository holding a catalog: a URL (``https://``, ``ssh://``,
    ``file://``, ``git@host:org/repo``) or the shorthand ``gh:org/repo`` /
    ``gl:org/repo``, cloned into the template cache and checked out at ``vcs_ref``
    (default: the remote's default branch). A folder with ``vcs_ref`` is cloned too.
    ``None`` loads the default catalog: ``$MLOPS_FACTORY_CATALOG``, else the user
    config file's ``catalog`` (see :func:`~mlops_factory._scaffold._source.config_file`),
    else the catalog shipped with mlops-factory. Raises :class:`FactoryError` naming
    the file, the component/group/pattern and the field for any schema problem.
    """
    from mlops_factory._scaffold._source import checkout, default_catalog, is_remote

    if path is None:
        default = default_catalog()
        if default is not None:
            path, vcs_ref = default[0], vcs_ref or default[1]
    builtin_dir = templates_dir().resolve()
    source = "" if path is None else os.fspath(path)
    if path is None:
        root = builtin_dir
    elif is_remote(source) or vcs_ref:
        root = checkout(source, vcs_ref)
    else:
        root = Path(path).expanduser().resolve()
        source = str(root.parent if root.is_file() else root)
    if root.is_file():
        root = root.parent
    file = root / CATALOG_FILE
    if not file.is_file():
        raise FactoryError(
            f"{root}: no {CATALOG_FILE} here",
            hint=f"a catalog folder holds {CATALOG_FILE}, {QUESTIONS_FILE} and "
            f"{COMPONENTS_DIR}/<name>/copier.yml",
        )
    data = _read_yaml(file)
    loaded = _build(root, file, data, builtin=root == builtin_dir)
    return replace(loaded, source=source or "builtin", vcs_ref=vcs_ref)


_CATALOG_HINT = "fix the catalog file (its format: docs/scaffold.md)"


def _read_yaml(file: Path, *, multi: bool = False, loader: Any = None) -> Any:
    """A catalog file through the one YAML file loader (bounded, regular files only)."""
    return load_file(file, kind="", hint=_CATALOG_HINT, multi=multi, loader=loader or _SafeLoader)


class _SafeLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """A safe loader that leaves copier's ``!include`` tag alone (value None)."""


_SafeLoader.add_constructor("!include", lambda loader, node: None)


class _Checker:
    """Reports a catalog file's semantic problems (cross references, names, cycles) the
    way the schema layer reports its shape problems: ``FILE: ENTRY: problem``."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def fail(self, where: str, problem: str, hint: str | None = None) -> FactoryError:
        return FactoryError(f"{self.file}: {where}: {problem}", hint=hint)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value)
    return type(value).__name__ if isinstance(value, Mapping | list) else repr(value)


def _version(value: Any) -> str:
    if not isinstance(value, str) or not _SEMVER_RE.match(value):
        raise ValueError(
            f"expected a version like '1.2.3' (MAJOR.MINOR.PATCH, quoted), got {value!r}"
        )
    return value


def _catalog_name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ValueError(
            f"expected lowercase words joined by '-' (like 'acme-ml'), got {_kind(value)}"
        )
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {_kind(value)}")
    return value


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of names, got {value!r}")
    seen: set[str] = set()
    for item in value:
        if item in seen:
            raise ValueError(f"{item!r} is listed twice")
        seen.add(item)
    return tuple(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _commands(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValueError("expected a list of command lines")
    return tuple(value)


def _mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a mapping, got {_kind(value)}")
    for key in value:
        if not isinstance(key, str):
            raise ValueError(f"keys must be strings, got {key!r}")
    return dict(value)


@cache
def _schema() -> Any:
    """``catalog.yaml``'s shape as strict pydantic models (built on first use, so pydantic
    stays out of start-up). Field order is the order the hint lists them in."""
    from typing import Annotated

    from pydantic import AfterValidator, BaseModel, BeforeValidator

    from mlops_factory._schema import strict_config

    version = Annotated[str, BeforeValidator(_version)]
    text = Annotated[str, BeforeValidator(_text)]
    names = Annotated[tuple[str, ...], BeforeValidator(_names)]
    mapping = Annotated[dict[str, Any], BeforeValidator(_mapping)]

    class _Model(BaseModel):
        model_config = strict_config()

    class ComponentEntry(_Model):
        version: version
        title: text
        description: text = ""
        requires: names = ()
        questions: names = ()

    class GroupEntry(_Model):
        answer: str
        members: mapping
        title: text = ""
        description: text = ""

    class PatternEntry(_Model):
        title: text
        description: text = ""
        default: Annotated[bool, BeforeValidator(_flag)] = False
        components: names
        defaults: mapping = {}
        next_steps: Annotated[tuple[str, ...], BeforeValidator(_commands)] = ()

    class CatalogFile(_Model):
        name: Annotated[str, BeforeValidator(_catalog_name)] = ""
        catalog_version: version
        components: Annotated[
            dict[str, ComponentEntry],
            BeforeValidator(_mapping),
            AfterValidator(_not_empty("components")),
        ]
        groups: Annotated[dict[str, GroupEntry], BeforeValidator(_mapping)] = {}
        patterns: Annotated[
            dict[str, PatternEntry],
            BeforeValidator(_mapping),
            AfterValidator(_not_empty("patterns")),
        ]

    return CatalogFile


def _not_empty(what: str) -> Any:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError(f"the catalog has no {what}")
        return value

    return check


def _build(root: Path, file: Path, data: Any, *, builtin: bool) -> Catalog:
    from mlops_factory._schema import validate

    check = _Checker(file)
    # The shape (fields, types, required, unknown) through the one schema layer ...
    top = validate(
        _schema(),
        data,
        source=str(file),
        hint=_CATALOG_HINT,
        entry_kinds={"components": "component", "groups": "group", "patterns": "pattern"},
    )
    # ... then what a schema cannot say: names, cross references, cycles, files.
    components: dict[str, Component] = {}
    for name, entry in top.components.items():
        where = f"component {name!r}"
        if not _NAME_RE.match(name):
            raise check.fail(where, "names are lowercase words joined by '-' (like 'ci-github')")
        for key in entry.questions:
            if not _KEY_RE.match(key):
                raise check.fail(f"{where}: field 'questions'", f"{key!r} is not an answer key")
        components[name] = Component(
            name=name,
            version=entry.version,
            title=entry.title,
            description=entry.description,
            requires=entry.requires,
            questions=entry.questions,
            path=root / COMPONENTS_DIR / name,
        )

    groups: dict[str, Group] = {}
    for name, g in top.groups.items():
        where = f"group {name!r}"
        if not _NAME_RE.match(name):
            raise check.fail(where, "names are lowercase words joined by '-' (like 'ci')")
        if name in components:
            raise check.fail(where, "a component has the same name")
        if not _KEY_RE.match(g.answer):
            raise check.fail(f"{where}: field 'answer'", f"{g.answer!r} is not an answer key")
        if not g.members:
            raise check.fail(f"{where}: field 'members'", "the group has no members")
        for value, member in g.members.items():
            if value == NONE:
                raise check.fail(
                    f"{where}: field 'members'", f"{NONE!r} is reserved (it selects nothing)"
                )
            if member not in components:
                raise check.fail(
                    f"{where}: field 'members'", f"{value!r} names unknown component {member!r}"
                )
        groups[name] = Group(
            name=name,
            answer=g.answer,
            members=dict(g.members),
            title=g.title,
            description=g.description,
        )

    known = set(components) | set(groups)
    for component in components.values():
        for need in component.requires:
            if need not in known or need == component.name:
                raise check.fail(
                    f"component {component.name!r}: field 'requires'",
                    f"{need!r} is not another component or group of this catalog",
                )
    _refuse_cycles(check, components, groups)

    answer_keys = set(ANSWER_KEYS) | {g.answer for g in groups.values()}
    for component in components.values():
        answer_keys.update(component.questions)

    patterns: dict[str, Pattern] = {}
    for name, p in top.patterns.items():
        where = f"pattern {name!r}"
        if not _NAME_RE.match(name):
            raise check.fail(where, "names are lowercase words joined by '-' (like 'realtime')")
        if not p.components:
            raise check.fail(f"{where}: field 'components'", "the pattern has no components")
        for member in p.components:
            if member not in known:
                raise check.fail(
                    f"{where}: field 'components'",
                    f"{member!r} is not a component or group of this catalog",
                )
        for key in p.defaults:
            if key in _NOT_PATTERN_DEFAULTS or key not in answer_keys:
                raise check.fail(
                    f"{where}: field 'defaults'",
                    f"{key!r} is not an answer key a pattern can set",
                )
        patterns[name] = Pattern(
            name=name,
            title=p.title,
            description=p.description,
            default=p.default,
            components=p.components,
            defaults=dict(p.defaults),
            next_steps=p.next_steps,
        )
    marked = [p.name for p in patterns.values() if p.default]
    if len(marked) > 1:
        raise check.fail(
            "top level: field 'patterns'",
            f"only one pattern can be the default, found {', '.join(marked)}",
        )

    for component in components.values():
        if not any((component.path / n).is_file() for n in ("copier.yml", "copier.yaml")):
            raise check.fail(
                f"component {component.name!r}",
                f"its template {COMPONENTS_DIR}/{component.name}/copier.yml is missing",
            )
        if (component.path / QUESTIONS_FILE).exists():
            raise check.fail(
                f"component {component.name!r}",
                f"{COMPONENTS_DIR}/{component.name}/{QUESTIONS_FILE} uses a reserved name",
                hint=f"the shared {QUESTIONS_FILE} is copied there; include it with "
                f"'!include {QUESTIONS_FILE}'",
            )

    return Catalog(
        path=root,
        version=top.catalog_version,
        components=components,
        groups=groups,
        patterns=patterns,
        questions=_load_questions(root / QUESTIONS_FILE),
        builtin=builtin,
        name=top.name or catalog_name(root.name),
    )


def _refuse_cycles(
    check: _Checker, components: Mapping[str, Component], groups: Mapping[str, Group]
) -> None:
    def edges(name: str) -> list[str]:
        out: list[str] = []
        for need in components[name].requires:
            group = groups.get(need)
            out.extend(group.members.values() if group else [need])
        return out

    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name) :], name]
            raise check.fail(
                f"component {path[-1]!r}: field 'requires'",
                f"requirements form a cycle: {' -> '.join(cycle)}",
            )
        state[name] = 1
        for nxt in edges(name):
            visit(nxt, [*path, name])
        state[name] = 2

    for name in components:
        visit(name, [])


def _load_questions(file: Path) -> dict[str, SharedQuestion]:
    if not file.is_file():
        return {}
    docs = _read_yaml(file, multi=True)
    out: dict[str, SharedQuestion] = {}
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, Mapping):
            raise FactoryError(f"{file}: expected copier questions (a mapping), got {_kind(doc)}")
        for key, spec in doc.items():
            if not isinstance(key, str) or key.startswith("_"):
                continue
            if not isinstance(spec, Mapping):
                spec = {"default": spec}
            help_text = spec.get("help")
            out[key] = SharedQuestion(
                key=key,
                help=help_text.strip() if isinstance(help_text, str) else None,
                choices=_static_choices(spec.get("choices")),
                default=None if _templated(spec.get("default")) else spec.get("default"),
            )
    return out


def _templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    if isinstance(value, Mapping):
        return any(_templated(v) for v in value.values())
    return False


def _static_choices(value: Any) -> tuple[Any, ...] | None:
    if isinstance(value, Mapping):
        # copier's {label: value} or {label: {value: ..., validator: ...}} forms
        value = [v.get("value") if isinstance(v, Mapping) else v for v in value.values()]
    if not isinstance(value, list) or not value or _templated(value):
        return None
    if not all(isinstance(v, str | int | float | bool) for v in value):
        return None
    return tuple(value)


def _load_copier_config(catalog: Catalog, component: Component) -> list[Any]:
    """The YAML documents of a component's copier.yml, ``!include`` resolved as copier
    will see them in the materialised repository (the shared questions.yml at its root)."""
    conf = component.path / "copier.yml"
    if not conf.is_file():
        conf = component.path / "copier.yaml"
    root = component.path.resolve()

    class Loader(safe_loader()):  # type: ignore[misc]
        pass

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        pattern = str(loader.construct_scalar(node))  # type: ignore[arg-type]
        docs: list[Any] = []
        files = sorted(root.glob(pattern))
        shared = catalog.questions_file
        if shared is not None and Path(pattern).match(QUESTIONS_FILE):
            files.append(shared)
        for path in files:
            docs.extend(_read_yaml(path, multi=True, loader=Loader))
        return docs

    Loader.add_constructor("!include", include)
    raw = _read_yaml(conf, multi=True, loader=Loader)
    flat: list[Any] = []

    def flatten(items: Any) -> None:
        for item in items:
            if isinstance(item, list):
                flatten(item)
            elif item is not None:
                flat.append(item)

    flatten(raw)
    return flat
