"""``mlops-factory harvest``: turn files of a project into a catalog component.

The files are copied into ``components/<name>/template/`` of a catalog. Text files that
contain the project's own values (project name, package name, description, owner) become
``*.jinja`` templates with those values replaced by template variables and every
Jinja-looking piece of the original text escaped; other files are copied as they are.
Before anything is written, the new templates are rendered with copier and the project's
answers and must give the original files back byte for byte (and with the same
executable bit); otherwise nothing is written.

A file whose component already has a template for it keeps that template: the project's
change (its file against what the template renders for it) is merged into the template
text three-way, so conditions, loops and other answers stay; a change that overlaps the
template's logic is refused with the lines. The new version is then rendered for every
pattern of the catalog that applies the component: a line another pattern rendered may
only disappear when the project removed it too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from mlops_factory._errors import FactoryError
from mlops_factory._factory._catalogs import (
    DEFAULT_SETTINGS,
    TemplateSettings,
    bump_minor,
    check_writable_target,
    edit_catalog_text,
    group_names,
    output_paths,
    render_data,
    seed_catalog,
    template_root,
    template_settings,
)
from mlops_factory._factory._files import (
    ANSWERS_DIR,
    decode,
    inside,
    is_executable,
    project_files,
    read_bytes,
)
from mlops_factory._factory._values import (
    VALUE_KEYS,
    Delimiters,
    ProjectValues,
    derive_values,
    find_values,
    prefers_package,
    template_text,
    values_from_answers,
)
from mlops_factory._io import atomic_write
from mlops_factory._scaffold._catalog import (
    _NAME_RE,
    ANSWER_KEYS,
    CATALOG_FILE,
    COMPONENTS_DIR,
    QUESTIONS_FILE,
    Catalog,
    Component,
    _load_copier_config,
    load_catalog,
)
from mlops_factory._scaffold._project import read_recorded

#: Files copier or the template cache would drop: they can never round-trip.
_UNHARVESTABLE_NAMES = frozenset({".git", "__pycache__", ".DS_Store", "copier.yml", "copier.yaml"})
_UNHARVESTABLE_SUFFIXES = (".pyc", ".pyo")
#: Harvesting more than this many files at once is almost certainly a mistake.
MAX_FILES = 500
NEW_VERSION = "1.0.0"
_ANSWERS_TEMPLATE_NAME = "{{ _copier_conf.answers_file }}.jinja"
_ANSWERS_TEMPLATE = "{{ _copier_answers|to_nice_yaml -}}\n"


@dataclass(frozen=True, slots=True)
class HarvestedFile:
    """One file of the project and the template it became."""

    #: The file in the project (posix, relative to the project root).
    source: str
    #: The template file in the component (posix, relative to the component folder).
    template: str
    #: Answer key -> how many occurrences were replaced (content and path).
    replaced: Mapping[str, int]
    #: True when the file is a template (``*.jinja``); False when copied as it is.
    templated: bool
    #: The component's earlier template file that this one replaces, if any.
    replaces: str | None = None
    #: Remarks (e.g. a binary file that contains a project value, copied as it is).
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "template": self.template,
            "replaced": dict(self.replaced),
            "templated": self.templated,
            "replaces": self.replaces,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class HarvestResult:
    """What :func:`harvest` wrote."""

    #: The catalog folder written to.
    catalog: Path
    #: True when the catalog was created by this harvest (seeded with the built-in one).
    created_catalog: bool
    component: str
    version: str
    #: The component's version before (None: a new component).
    previous_version: str | None
    files: tuple[HarvestedFile, ...]
    #: The answer keys the component's templates use (its ``questions`` in catalog.yaml).
    questions: tuple[str, ...]
    #: The project values that were replaced, and where they came from.
    values: ProjectValues
    catalog_version: str
    notes: tuple[str, ...] = field(default=())

    @property
    def new_component(self) -> bool:
        return self.previous_version is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "catalog": str(self.catalog),
            "created_catalog": self.created_catalog,
            "catalog_version": self.catalog_version,
            "component": self.component,
            "version": self.version,
            "previous_version": self.previous_version,
            "questions": list(self.questions),
            "values": {**self.values.as_dict(), "source": self.values.source},
            "files": [f.to_dict() for f in self.files],
            "notes": list(self.notes),
        }


@dataclass
class _Plan:
    """Templates to write for one harvest, before anything touches the catalog."""

    files: list[HarvestedFile]
    #: template path (relative to the template root) -> (bytes, executable)
    contents: dict[str, tuple[bytes, bool]]
    #: template paths of the existing component to delete (replaced outputs)
    remove: list[str]
    keys: set[str]
    #: The existing component rendered for each pattern that applies it (None: cannot).
    patterns: dict[str, dict[str, bytes] | None] = field(default_factory=dict)
    #: Harvested file -> lines the project removed from what the template rendered.
    removed: dict[str, set[bytes]] = field(default_factory=dict)
    #: The project's answers (for rendering the new version per pattern).
    answers: dict[str, Any] = field(default_factory=dict)


def project_values(
    project: str | os.PathLike[str], overrides: Mapping[str, str] | None = None
) -> tuple[ProjectValues, dict[str, Any]]:
    """The values a harvest replaces in ``project`` and every recorded answer.

    From the project's recorded answers when it was generated from a catalog, else from
    ``pyproject.toml`` and the folder layout; ``overrides`` win.
    """
    root = Path(project)
    answers: dict[str, Any] = {}
    recorded = read_recorded(root)
    # base first: it asks every shared question; later files fill the gaps
    for rec in sorted(recorded, key=lambda r: (r.name != "base", r.name)):
        for key, value in rec.answers.items():
            answers.setdefault(key, value)
    values = values_from_answers(answers) if recorded else derive_values(root)
    if recorded and not values.project_name:
        values = derive_values(root)
    for key in overrides or {}:
        if key not in VALUE_KEYS:
            raise FactoryError(
                f"--data {key}: only {', '.join(VALUE_KEYS)} can be given to harvest",
                hint="these are the values harvest replaces with template variables",
            )
    values = values.with_overrides(dict(overrides or {}))
    answers.update(values.as_dict())
    if recorded:
        # Templates with logic read the project's components, as when it was generated.
        answers.setdefault("components", [r.name for r in recorded])
    return values, answers


def harvest(
    project: str | os.PathLike[str],
    files: Sequence[str | os.PathLike[str]],
    *,
    component: str,
    catalog: str | os.PathLike[str],
    title: str | None = None,
    description: str | None = None,
    values: Mapping[str, str] | None = None,
) -> HarvestResult:
    """Turn ``files`` of ``project`` into a component of the catalog in ``catalog``.

    A new component gets version 1.0.0; an existing one a new minor version that keeps
    its files and adds (or replaces) the harvested ones. Project values are replaced by
    template variables; the templates are rendered and compared with the originals before
    anything is written; the component folder and ``catalog.yaml`` are written atomically
    (restored if validation of the result fails).

    Args:
        project: the project folder the files come from.
        files: files or folders in the project (relative to it, or absolute inside it).
        component: the component name (``lowercase-words``).
        catalog: the catalog folder to write to. A new or empty folder becomes a new
            catalog seeded with the built-in components; the built-in catalog is refused.
        title: title of a new component (default: "Harvested from <project>").
        description: description of a new component.
        values: overrides of the project values (project_name, package_name,
            description, owner).

    Raises:
        FactoryError: a bad file, component name or catalog; a file the component's
            other components already write; a template that does not round-trip.
    """
    root = Path(project).expanduser()
    if not root.is_dir():
        raise FactoryError(f"{root} is not a folder", hint="pass the project folder first")
    root = root.resolve()
    if not _NAME_RE.match(component):
        raise FactoryError(
            f"{component!r} is not a component name",
            hint="use lowercase words joined by '-', like 'shared-retry'",
        )
    sources = _expand_files(root, files)
    project_vals, answers = project_values(root, values)
    if not project_vals.as_dict():
        raise FactoryError(
            f"cannot tell the project name of {root}",
            hint="pass --data project_name=NAME (and package_name=...)",
        )

    target = Path(catalog).expanduser()
    target = Path(os.path.abspath(target))
    exists = check_writable_target(target)
    if exists:
        loaded = load_catalog(target)
        return _write_existing(
            loaded, root, sources, component, project_vals, answers, title, description
        )
    return _write_new(target, root, sources, component, project_vals, answers, title, description)


def _relative(root: Path, given: Path) -> str | None:
    """``given`` as a posix path relative to ``root``: relative to the project, or else to
    the current folder when it names an existing path inside the project; None when it is
    outside the project."""
    inside_root: str | None = None
    options = [given] if given.is_absolute() else [root / given, Path.cwd() / given]
    for option in options:
        absolute = Path(os.path.abspath(option))
        # the project root is resolved: resolve the folder too (never the file: a link
        # named as a file must be seen as a link)
        real = absolute.parent.resolve() / absolute.name if absolute.name else absolute
        try:
            rel = real.relative_to(root).as_posix()
        except ValueError:
            continue
        if os.path.lexists(real):
            return rel
        inside_root = inside_root or rel
    return inside_root


def _expand_files(root: Path, files: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Project-relative posix paths of the files named (folders expanded), checked."""
    if not files:
        raise FactoryError("name at least one file to harvest")
    listing: list[str] | None = None
    out: dict[str, None] = {}
    for given in files:
        rel = _relative(root, Path(given).expanduser())
        if rel is None:
            raise FactoryError(
                f"{given} is not inside the project {root}",
                hint="name files relative to the project folder",
            )
        if rel in ("", "."):
            raise FactoryError(
                f"{given}: name files or folders inside the project, not the project"
            )
        if not inside(root, rel):
            raise FactoryError(f"{given} is not inside the project (or passes through a link)")
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            if listing is None:
                listing = project_files(root)
            under = [p for p in listing if p.startswith(rel.rstrip("/") + "/")]
            if not under:
                raise FactoryError(f"{given}: the folder has no files to harvest")
            for p in under:
                out.setdefault(p)
            continue
        if path.is_symlink() or not path.is_file():
            raise FactoryError(
                f"{given} is not a regular file",
                hint="harvest files (symbolic links and special files cannot be templates)",
            )
        out.setdefault(rel)
    paths = list(out)
    for rel in paths:
        parts = PurePosixPath(rel).parts
        if parts[0] in (ANSWERS_DIR, ".git"):
            raise FactoryError(
                f"{rel}: {parts[0]}/ is not the project's content",
                hint="the answers files are written by each component itself",
            )
        bad = [p for p in parts if p in _UNHARVESTABLE_NAMES or p.endswith(_UNHARVESTABLE_SUFFIXES)]
        if bad:
            raise FactoryError(
                f"{rel}: {bad[0]!r} files are never part of a template (copier or the "
                "template cache leaves them out)",
                hint="harvest the files the team wrote",
            )
        if any(c in rel for c in "\r\n"):
            raise FactoryError(f"{rel!r}: file names with line breaks cannot be templates")
    if len(paths) > MAX_FILES:
        raise FactoryError(
            f"{len(paths)} files: harvest at most {MAX_FILES} at once",
            hint="harvest the reusable files, not the whole project",
        )
    return sorted(paths)


# --- planning the templates -----------------------------------------------------------------


def _plan(
    root: Path,
    sources: Sequence[str],
    values: ProjectValues,
    settings: TemplateSettings,
    existing: Mapping[str, str],
    existing_root: Path | None = None,
    rendered_old: Mapping[str, bytes] | None = None,
) -> _Plan:
    """Template path and content for each source file. ``existing`` maps the outputs of
    the component's current templates (under ``existing_root``) to their template paths
    (to replace them); ``rendered_old`` is what those templates render for the project
    (the base of the three-way merge into a template)."""
    rendered_old = rendered_old or {}
    delims = settings.delimiters
    plan = _Plan(files=[], contents={}, remove=[], keys=set())
    for rel in sources:
        data = read_bytes(root, rel)
        if data is None:
            raise FactoryError(f"{rel}: cannot be read (missing, a link, or too big)")
        executable = is_executable(root, rel)
        counts: dict[str, int] = {}
        notes: list[str] = []

        parts = []
        for part in PurePosixPath(rel).parts:
            found = find_values(part, values, prefer_package=True)
            for m in found:
                counts[m.key] = counts.get(m.key, 0) + 1
            if found or any(s in part for s in delims.starts):
                parts.append(template_text(part, found, delims))
            else:
                parts.append(part)
        template_path = "/".join(parts)

        text = decode(data)
        name = PurePosixPath(rel).name
        must_render = not settings.suffix or name.endswith(settings.suffix)
        if text is None:
            if not settings.suffix:
                notes.append("not UTF-8 text: copier copies it as it is")
            elif must_render:
                raise FactoryError(
                    f"{rel}: a binary file whose name ends with {settings.suffix} cannot be "
                    "a template"
                )
            if _contains_value(data, values):
                notes.append("not UTF-8 text: copied as it is, project values inside stay")
            content, templated = data, False
        else:
            found = find_values(text, values, prefer_package=prefers_package(rel))
            for m in found:
                counts[m.key] = counts.get(m.key, 0) + 1
            if found or must_render:
                content = template_text(text, found, delims).encode("utf-8")
                templated = True
            else:
                content, templated = data, False
        if templated and settings.suffix:
            template_path += settings.suffix
        replaces = existing.get(rel)
        merged = None
        if replaces is not None and existing_root is not None and text is not None:
            merged = _merge_into_template(
                rel,
                existing_root / replaces,
                rendered_old.get(rel),
                text,
                values,
                delims,
                settings.suffix,
            )
        if merged is not None and replaces is not None:
            # The template stays where it is (its name may hold logic too), with the change.
            content, templated, template_path = merged, True, replaces
            notes.append(f"merged into {replaces}: its logic and other answers are kept")
        elif replaces is not None and replaces not in plan.remove:
            plan.remove.append(replaces)
        plan.contents[template_path] = (content, executable)
        plan.keys.update(counts)
        plan.files.append(
            HarvestedFile(
                source=rel,
                template=f"{settings.subdirectory}/{template_path}"
                if settings.subdirectory
                else template_path,
                replaced=dict(sorted(counts.items())),
                templated=templated,
                replaces=(
                    f"{settings.subdirectory}/{replaces}" if settings.subdirectory else replaces
                )
                if replaces is not None
                else None,
                notes=tuple(notes),
            )
        )
    return plan


def _is_template(template: Path, delims: Delimiters, suffix: str) -> str | None:
    """The text of a template file that uses Jinja (variables, conditions, loops), or None
    (a file copied as it is, unreadable, or not text)."""
    if suffix and not template.name.endswith(suffix):
        return None  # copier copies it as it is
    try:
        text = template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text if any(s in text for s in delims.starts) else None


def _merge_into_template(
    rel: str,
    template: Path,
    rendered: bytes | None,
    text: str,
    values: ProjectValues,
    delims: Delimiters,
    suffix: str,
) -> bytes | None:
    """The template ``template`` with the project's change merged in (three-way: the
    template is "ours", what it renders for the project the base, the project's file
    "theirs", the latter two with the project's values turned back into variables).
    None when the template has no Jinja (it is simply replaced). Raises
    :class:`FactoryError` when the change overlaps the template's logic."""
    from mlops_factory._scaffold._project import three_way_merge

    source = _is_template(template, delims, suffix)
    if source is None:
        return None
    base_text = decode(rendered) if rendered is not None else None
    if base_text is None:
        raise FactoryError(
            f"{rel}: its template {template.name} uses Jinja, and what it renders for this "
            "project is not known (the project's answers do not render it)",
            hint="edit the template in the catalog by hand, or harvest into a new component",
        )

    def variables(content: str) -> bytes:
        found = find_values(content, values, prefer_package=prefers_package(rel))
        return template_text(content, found, delims).encode("utf-8")

    merged = three_way_merge(
        source.encode("utf-8"),
        variables(base_text),
        variables(text),
        labels=("template", "rendered for the project", "the project's file"),
    )
    if merged is None:
        return None
    content, clean = merged
    if not clean:
        blocks = content.decode("utf-8", errors="replace")
        first = blocks[blocks.find("<<<<<<<") :][:600]
        raise FactoryError(
            f"{rel}: the project's change overlaps the logic of its template {template.name} "
            f"(conditions, loops or other answers), so it cannot be merged into it; "
            f"nothing was written. The overlap:\n{first}",
            hint="edit the template in the catalog by hand, or harvest the file into a new "
            "component (--component NEW-NAME)",
        )
    return content


def _contains_value(data: bytes, values: ProjectValues) -> bool:
    return any(v.encode("utf-8") in data for v in values.as_dict().values() if len(v) >= 3)


def _write_tree(base: Path, contents: Mapping[str, tuple[bytes, bool]]) -> None:
    for rel, (content, executable) in contents.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        mode = 0o755 if executable else 0o644
        os.chmod(path, mode)


def _verify(
    root: Path,
    plan: _Plan,
    settings: TemplateSettings,
    answers: Mapping[str, Any],
    component: str,
) -> None:
    """Render the new templates alone with copier and the project's answers; every file
    must come back byte for byte with its executable bit, or nothing is written."""
    import copier
    import yaml

    with tempfile.TemporaryDirectory(prefix="mlops-factory-harvest-") as tmp:
        template = Path(tmp) / "component"
        out = Path(tmp) / "out"
        files_root = template / settings.subdirectory if settings.subdirectory else template
        _write_tree(files_root, plan.contents)
        delims = settings.delimiters
        conf = {
            "_subdirectory": settings.subdirectory,
            "_templates_suffix": settings.suffix,
            "_answers_file": f"{ANSWERS_DIR}/{component}.yml",
            "_envops": {
                "variable_start_string": delims.variable_start,
                "variable_end_string": delims.variable_end,
                "block_start_string": delims.block_start,
                "block_end_string": delims.block_end,
                "comment_start_string": delims.comment_start,
                "keep_trailing_newline": delims.keep_trailing_newline,
            },
        }
        if not settings.subdirectory:
            conf["_exclude"] = []
        (template / "copier.yml").write_text(yaml.safe_dump(conf), encoding="utf-8")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                copier.run_copy(
                    str(template),
                    str(out),
                    data=dict(answers),
                    settings=copier.Settings(),
                    defaults=True,
                    overwrite=True,
                    unsafe=False,
                    quiet=True,
                )
        except Exception as exc:
            raise FactoryError(
                f"the harvested templates do not render: {type(exc).__name__}: {exc}",
                hint="this is a bug in mlops-factory harvest; please report it with the file",
            ) from exc
        for harvested in plan.files:
            produced = out / harvested.source
            original = read_bytes(root, harvested.source)
            same = (
                produced.is_file()
                and produced.read_bytes() == original
                and bool(produced.stat().st_mode & 0o111) == is_executable(root, harvested.source)
            )
            if not same:
                raise FactoryError(
                    f"{harvested.source}: its template does not render back to the same bytes",
                    hint="harvest it into a new component, or report it as a bug",
                )


# --- writing ------------------------------------------------------------------------------


def _new_entry(
    catalog: Catalog,
    component: str,
    values: ProjectValues,
    sources: Sequence[str],
    title: str | None,
    description: str | None,
    plan: _Plan,
) -> dict[str, Any]:
    project = values.project_name or "a project"
    listed = ", ".join(sources[:5]) + (f" and {len(sources) - 5} more" if len(sources) > 5 else "")
    package_files = any("package_name" in str(PurePosixPath(f.template).parent) for f in plan.files)
    requires = ["base"] if package_files and "base" in catalog.components else []
    return {
        "title": title or f"Harvested from {project}",
        "description": description or f"Files harvested from {project}: {listed}.",
        "requires": requires,
    }


def _questions(catalog: Catalog, keys: set[str], previous: Sequence[str] = ()) -> list[str]:
    """The component's questions: the earlier ones in their order, then the new keys in
    the catalog's answer order."""
    known = list(ANSWER_KEYS) + [k for k in catalog.answer_keys() if k not in ANSWER_KEYS]
    added = [k for k in known if k in keys and k not in previous]
    added += sorted(keys - set(known) - set(previous))
    return [*previous, *added]


def _copier_yml(catalog: Catalog, component: str, project: str | None, keys: set[str]) -> str:
    lines = [
        f"# Component {component!r}, harvested from {project or 'a project'} by "
        "mlops-factory harvest.",
        "_subdirectory: template",
        f"_answers_file: {ANSWERS_DIR}/{component}.yml",
        "---",
    ]
    shared = set(catalog.questions)
    if catalog.questions_file is not None:
        lines.append(f"!include {QUESTIONS_FILE}")
    missing = [k for k in VALUE_KEYS if k in keys and k not in shared]
    if missing:
        if catalog.questions_file is not None:
            lines.append("---")
        lines.extend(f"{k}: {{type: str}}" for k in missing)
    return "\n".join(lines) + "\n"


def _prepare(
    catalog: Catalog,
    root: Path,
    sources: Sequence[str],
    component: str,
    values: ProjectValues,
    answers: Mapping[str, Any],
    shown: Path,
) -> tuple[_Plan, TemplateSettings]:
    """Check names and ownership, plan the templates and verify the round trip.
    ``shown`` is the catalog folder named in messages (a new catalog is built elsewhere)."""
    if component in group_names(catalog):
        raise FactoryError(
            f"{component!r} is a group (or reserved) in catalog {shown}",
            hint="name a component, e.g. one of the group's members",
        )
    current = catalog.components.get(component)
    data = render_data(catalog, answers)
    if current is not None:
        settings = template_settings(catalog, current)
        if settings.unsupported:
            raise FactoryError(
                f"component {component!r} cannot take harvested files: {settings.unsupported}",
                hint="harvest into a new component",
            )
        existing = output_paths(catalog, current, data)
        existing_root: Path | None = template_root(current, settings)
    else:
        settings, existing, existing_root = DEFAULT_SETTINGS, {}, None
    owned: dict[str, str] = {}
    for other in catalog.components.values():
        if other.name == component:
            continue
        for path in output_paths(catalog, other, data):
            owned.setdefault(path, other.name)
    clashes = [(s, owned[s]) for s in sources if s in owned]
    if clashes:
        listed = ", ".join(f"{s} (written by {c})" for s, c in clashes[:5])
        owners = sorted({c for _, c in clashes})
        raise FactoryError(
            f"other components of catalog {shown} already write {listed}",
            hint=f"one component owns each file: harvest these into {' or '.join(owners)} "
            f"(--component {owners[0]})",
        )
    rendered_old: dict[str, bytes] = {}
    if current is not None:
        rendered_old = _renders(catalog, current, answers) or {}
    plan = _plan(root, sources, values, settings, existing, existing_root, rendered_old)
    plan.answers = dict(answers)
    _verify(root, plan, settings, answers, component)
    if current is not None:
        removed = {
            rel: set(old.splitlines()) - set((read_bytes(root, rel) or b"").splitlines())
            for rel, old in rendered_old.items()
            if rel in sources
        }
        plan.patterns = _pattern_renders(catalog, current, answers)
        plan.removed = removed
    return plan, settings


def _renders(
    catalog: Catalog, component: Component, data: Mapping[str, Any]
) -> dict[str, bytes] | None:
    """What ``component`` renders with ``data`` (file -> bytes), or None when it cannot be
    rendered here (answers it needs are unknown, or it runs code)."""
    from mlops_factory._scaffold._project import rendered

    try:
        with rendered(catalog, [component], data) as out:
            return {rel: (out.root / rel).read_bytes() for rel in out.files()}
    except FactoryError:
        return None


def _pattern_renders(
    catalog: Catalog, component: Component, answers: Mapping[str, Any]
) -> dict[str, dict[str, bytes] | None]:
    """``component`` rendered for every pattern of the catalog that applies it (the
    project's answers, with the pattern's own defaults and components)."""
    out: dict[str, dict[str, bytes] | None] = {}
    for pattern in catalog.patterns.values():
        data = {**answers, **pattern.defaults, "pattern": pattern.name}
        try:
            names = [c.name for c in catalog.resolve(pattern.name, data)]
        except FactoryError:
            continue
        if component.name in names:
            out[pattern.name] = _renders(catalog, component, {**data, "components": names})
    return out


def _check_patterns(catalog: Catalog, component: str, plan: _Plan, shown: Path) -> None:
    """Render the new version for every pattern: it must render, and lose no line a
    pattern rendered before unless the project removed that line too (so logic for the
    other patterns survives the harvest)."""
    afters = _pattern_renders(catalog, catalog.components[component], plan.answers)
    for name, before in plan.patterns.items():
        if before is None:
            continue
        after = afters.get(name)
        if after is None:
            raise FactoryError(
                f"the harvested {component} does not render for pattern {name!r} of catalog "
                f"{shown}; nothing was changed",
                hint="harvest the files into a new component (--component NEW-NAME)",
            )
        for rel, old in before.items():
            if rel not in plan.removed:
                continue  # not harvested: its template did not change
            lost = set(old.splitlines()) - set(after.get(rel, b"").splitlines())
            lost -= plan.removed.get(rel, set())
            if lost:
                shown_lines = "; ".join(
                    repr(line.decode("utf-8", "replace")) for line in sorted(lost)[:3]
                )
                raise FactoryError(
                    f"{rel}: pattern {name!r} would lose lines its projects get today "
                    f"({shown_lines}); nothing was changed",
                    hint="the project's file replaces the template's logic: edit the template "
                    "in the catalog by hand, or harvest into a new component",
                )


def _build_component(
    catalog: Catalog,
    dest: Path,
    component: str,
    plan: _Plan,
    settings: TemplateSettings,
    values: ProjectValues,
) -> None:
    """Write the component folder at ``dest`` (a copy of the current one plus the plan)."""
    current = catalog.components.get(component)
    if current is not None:
        shutil.copytree(current.path, dest, symlinks=True)
        base = template_root(current, settings).relative_to(current.path)
        files_root = dest / base
        for rel in plan.remove:
            (files_root / rel).unlink(missing_ok=True)
        missing = [k for k in VALUE_KEYS if k in plan.keys and k not in _declared(catalog, current)]
        if missing:
            # copier records only declared questions in the answers file: declare them
            conf = next(p for p in (dest / "copier.yml", dest / "copier.yaml") if p.is_file())
            text = conf.read_text(encoding="utf-8")
            extra = "".join(f"{k}: {{type: str}}\n" for k in missing)
            sep = "" if text.endswith("\n") or not text else "\n"
            conf.write_text(
                f"{text}{sep}---\n# declared by mlops-factory harvest\n{extra}", encoding="utf-8"
            )
    else:
        dest.mkdir(parents=True)
        (dest / "copier.yml").write_text(
            _copier_yml(catalog, component, values.project_name, plan.keys), encoding="utf-8"
        )
        files_root = dest / "template"
        files_root.mkdir()
        (files_root / _ANSWERS_TEMPLATE_NAME).write_text(_ANSWERS_TEMPLATE, encoding="utf-8")
    _write_tree(files_root, plan.contents)


def _declared(catalog: Catalog, component: Component) -> set[str]:
    """The questions a component's copier.yml declares (its includes resolved)."""
    keys: set[str] = set()
    for doc in _load_copier_config(catalog, component):
        if isinstance(doc, Mapping):
            keys.update(k for k in doc if isinstance(k, str) and not k.startswith("_"))
    return keys


def _result(
    catalog: Path,
    created: bool,
    component: str,
    version: str,
    previous: str | None,
    plan: _Plan,
    questions: Sequence[str],
    values: ProjectValues,
    catalog_version: str,
) -> HarvestResult:
    notes: list[str] = []
    if created:
        notes.append(f"created catalog {catalog}, seeded with the built-in components")
    skipped = [k for k, v in values.as_dict().items() if len(v) < 3]
    if skipped:
        notes.append(f"values shorter than 3 characters are not replaced: {', '.join(skipped)}")
    return HarvestResult(
        catalog=catalog,
        created_catalog=created,
        component=component,
        version=version,
        previous_version=previous,
        files=tuple(plan.files),
        questions=tuple(questions),
        values=values,
        catalog_version=catalog_version,
        notes=tuple(notes),
    )


def _write_existing(
    catalog: Catalog,
    root: Path,
    sources: Sequence[str],
    component: str,
    values: ProjectValues,
    answers: Mapping[str, Any],
    title: str | None,
    description: str | None,
    shown: Path | None = None,
) -> HarvestResult:
    shown = shown or catalog.path
    plan, settings = _prepare(catalog, root, sources, component, values, answers, shown)
    current = catalog.components.get(component)
    previous = current.version if current else None
    version = bump_minor(previous) if previous else NEW_VERSION
    questions = _questions(catalog, plan.keys, current.questions if current else ())
    catalog_version = bump_minor(catalog.version)
    entry = (
        None
        if current is not None
        else _new_entry(catalog, component, values, sources, title, description, plan)
    )
    old_text = catalog.file.read_text(encoding="utf-8")
    new_text = edit_catalog_text(
        old_text,
        catalog.file,
        component=component,
        version=version,
        entry=entry,
        questions=questions,
        catalog_version=catalog_version,
    )
    components_dir = catalog.path / COMPONENTS_DIR
    components_dir.mkdir(exist_ok=True)
    final = components_dir / component
    staging = Path(tempfile.mkdtemp(prefix=f".{component}.harvest-", dir=components_dir))
    backup: Path | None = None
    swapped = False
    try:
        built = staging / component
        _build_component(catalog, built, component, plan, settings, values)
        fd, tmp_yaml = tempfile.mkstemp(prefix=f".{CATALOG_FILE}.", dir=catalog.path)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(new_text)
        try:
            if os.path.lexists(final):
                backup = staging / "previous"
                os.rename(final, backup)
            os.rename(built, final)
            swapped = True
            os.replace(tmp_yaml, catalog.file)
        finally:
            Path(tmp_yaml).unlink(missing_ok=True)
        try:
            written = load_catalog(catalog.path)
        except FactoryError as exc:
            problem = exc.message.replace(str(catalog.path), str(shown))
            raise FactoryError(
                f"the harvested catalog does not validate, nothing was changed: {problem}",
                hint=exc.hint,
            ) from exc
        _check_patterns(written, component, plan, shown)
    except BaseException:
        if swapped:
            _restore(catalog, final, backup, old_text)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _result(
        catalog.path, False, component, version, previous, plan, questions, values, catalog_version
    )


def _restore(catalog: Catalog, final: Path, backup: Path | None, old_text: str) -> None:
    shutil.rmtree(final, ignore_errors=True)
    if backup is not None and backup.exists():
        os.rename(backup, final)
    atomic_write(catalog.file, old_text)


def _write_new(
    target: Path,
    root: Path,
    sources: Sequence[str],
    component: str,
    values: ProjectValues,
    answers: Mapping[str, Any],
    title: str | None,
    description: str | None,
) -> HarvestResult:
    """Create a catalog at ``target`` seeded with the built-in one, plus the component."""
    parent = target.parent
    if not parent.is_dir():
        raise FactoryError(
            f"cannot create catalog {target}: {parent} does not exist",
            hint="create the parent folder first",
        )
    staging_root = Path(tempfile.mkdtemp(prefix=f".{target.name}.mlops-factory-", dir=parent))
    try:
        staged = staging_root / target.name
        seed_catalog(staged)
        seeded = load_catalog(staged)
        result = _write_existing(
            seeded, root, sources, component, values, answers, title, description, target
        )
        if not os.path.lexists(target):
            os.rename(staged, target)
        else:
            # an empty folder: keep it (a shell may sit in it), move the entries in
            moved: list[Path] = []
            try:
                for entry in sorted(staged.iterdir()):
                    os.rename(entry, target / entry.name)
                    moved.append(target / entry.name)
            except BaseException:
                for path in moved:
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)
                raise
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
    return HarvestResult(
        catalog=target,
        created_catalog=True,
        component=result.component,
        version=result.version,
        previous_version=result.previous_version,
        files=result.files,
        questions=result.questions,
        values=result.values,
        catalog_version=result.catalog_version,
        notes=(f"created catalog {target}, seeded with the built-in components", *result.notes),
    )
