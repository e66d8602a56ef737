"""The technology catalog: which tools show which MLOps capability, as data.

``assessments/technologies/*.yaml`` (one file per ecosystem) map *recognisers* to the
capabilities the rubric asks about (``trains``, ``registers_models``, ...). A
recogniser says how a technology shows up in a repository, the way its documentation
defines it: Python imports, calls (dotted prefixes, resolved through import aliases),
base classes and decorators; file names with the top-level keys they must have; CLI
commands typed in a shell step; IaC resource types; git tag patterns. Signals ask
:func:`find` "where does this repository show capability X" and get evidence that
names the technology; adding a technology is a YAML entry, not code.

The catalog is loaded once per process and validated by the one schema layer: a
mistake names the file, the entry and the field. Matching Python goes through the
shared index (:mod:`._pyindex`): each recogniser contributes the last part of its
dotted names as prefilter words, so only files that mention one are parsed.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, field_validator, model_validator

from mlops_factory._assess._pyindex import Call, Group, PyFile, python_index
from mlops_factory._assess.model import Evidence
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._schema import strict_config, validate

SCHEMA = "mlops-factory/technologies/v1"
Capability = Literal[
    "trains",
    "defines_pipeline",
    "tracks_experiments",
    "registers_models",
    "compares_champion",
    "packages",
    "serves",
    "deploys",
    "approves",
    "shifts_traffic",
    "captures_predictions",
    "monitors_drift",
    "exports_metrics",
    "validates_data",
    "evaluates_threshold",
    "triggers_retraining",
    "schedules",
]
CAPABILITIES: tuple[str, ...] = get_args(Capability)
_HINT = "fix the entry; the format is described at the top of docs/technologies.md"
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_CACHE = "technology_matches"


class PythonRecogniser(BaseModel):
    """Python evidence: dotted names, resolved through the file's import aliases."""

    model_config = strict_config()
    imports: list[str] = []
    calls: list[str] = []
    bases: list[str] = []
    decorators: list[str] = []
    #: Method calls by dotted suffix (``models.create_or_update``, ``create_model_package``)
    #: on any object, counted in files that import one of ``within``.
    methods: list[str] = []
    within: list[str] = []
    #: Only calls with one of these keyword arguments (not set to None) count.
    with_kwargs: list[str] = []
    #: Only calls with a constant argument containing one of these strings count
    #: (``mlflow.set_registry_uri("databricks-uc")``, ``report_to="wandb"``).
    with_values: list[str] = []

    @field_validator("imports", "calls", "bases", "decorators", "methods", "within")
    @classmethod
    def _dotted(cls, names: list[str]) -> list[str]:
        for name in names:
            if not _DOTTED.match(name):
                raise ValueError(f"{name!r} is not a dotted Python name")
        return names

    @model_validator(mode="after")
    def _methods_need_within(self) -> PythonRecogniser:
        if self.methods and not self.within:
            raise ValueError("methods need within: the modules a file must import")
        return self


class FilesRecogniser(BaseModel):
    """Files by name or glob, with what their content must show."""

    model_config = strict_config()
    names: list[str] = Field(min_length=1)
    #: Top-level keys that must all be present (YAML files).
    keys: list[str] = []
    #: A substring of the document's ``$schema`` (Azure ML CLI v2 specs).
    schema_: str | None = Field(default=None, alias="schema")
    #: The ``kind`` of a Kubernetes-style manifest (``InferenceService``).
    kind: str | None = None
    #: A regular expression the text must match (non-YAML files: config.pbtxt).
    pattern: str | None = None
    #: The format itself has ``{{ VAR }}`` placeholders filled from profiles (MLflow
    #: Recipes): read it with the placeholders blanked instead of skipping it as a template.
    templated: bool = False

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value


class CliRecogniser(BaseModel):
    """Commands as typed in a shell step (for the CI readers)."""

    model_config = strict_config()
    commands: list[str] = Field(min_length=1)


class IacRecogniser(BaseModel):
    """Resource types of infrastructure as code (for the IaC readers)."""

    model_config = strict_config()
    resource_types: list[str] = Field(min_length=1)


class Recogniser(BaseModel):
    """One way a technology shows one capability."""

    model_config = strict_config()
    capability: Capability
    python: PythonRecogniser | None = None
    files: FilesRecogniser | None = None
    cli: CliRecogniser | None = None
    iac: IacRecogniser | None = None
    git_tags: list[str] = []
    weak: bool = False
    note: str = ""

    @field_validator("git_tags")
    @classmethod
    def _regexes(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            try:
                re.compile(tag)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {tag!r}: {exc}") from None
        return tags

    @model_validator(mode="after")
    def _one_kind(self) -> Recogniser:
        kinds = [self.python, self.files, self.cli, self.iac, self.git_tags or None]
        if sum(k is not None for k in kinds) != 1:
            raise ValueError("give exactly one of python, files, cli, iac, git_tags")
        return self


class Technology(BaseModel):
    """A catalog entry: a technology, its documentation and its recognisers."""

    model_config = strict_config()
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    docs: str = Field(pattern=r"^https://")
    recognisers: list[Recogniser] = Field(min_length=1)


class CatalogFile(BaseModel):
    """One ``assessments/technologies/<ecosystem>.yaml`` file."""

    model_config = strict_config()
    schema_: Literal["mlops-factory/technologies/v1"] = Field(alias="schema")
    technologies: list[Technology] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Rule:
    """A recogniser with the technology it belongs to (what the matcher runs)."""

    tech: Technology
    rec: Recogniser

    @property
    def note(self) -> str:
        return f"{self.tech.name}: {self.rec.note}" if self.rec.note else self.tech.name


class Catalog:
    """All technologies, indexed by capability. Get it with :func:`catalog`."""

    def __init__(self, technologies: Sequence[Technology]) -> None:
        self.technologies = tuple(technologies)
        self._rules: dict[str, list[Rule]] = {c: [] for c in CAPABILITIES}
        self._tables: dict[str, _PyTable] = {}
        for tech in self.technologies:
            for rec in tech.recognisers:
                self._rules[rec.capability].append(Rule(tech, rec))

    def table(self, capability: str) -> _PyTable:
        """The Python recognisers of ``capability``, indexed for matching (built once)."""
        table = self._tables.get(capability)
        if table is None:
            table = self._tables[capability] = _PyTable.build(self.rules(capability))
        return table

    def rules(self, capability: str) -> list[Rule]:
        """The recognisers of ``capability``, in catalog order."""
        return self._rules[capability]

    def get(self, tech_id: str) -> Technology:
        """The technology with this id (KeyError when unknown)."""
        for tech in self.technologies:
            if tech.id == tech_id:
                return tech
        raise KeyError(tech_id)

    def cli_commands(self, capability: str) -> list[tuple[str, str]]:
        """``(command prefix, technology name)`` of the CLI recognisers of ``capability``."""
        return [
            (cmd, r.tech.name)
            for r in self.rules(capability)
            if r.rec.cli
            for cmd in r.rec.cli.commands
        ]

    def iac_types(self, capability: str) -> list[tuple[str, str]]:
        """``(resource type, technology name)`` of the IaC recognisers of ``capability``."""
        return [
            (t, r.tech.name)
            for r in self.rules(capability)
            if r.rec.iac
            for t in r.rec.iac.resource_types
        ]

    def git_tags(self, capability: str) -> list[tuple[re.Pattern[str], str]]:
        """Compiled git tag patterns of ``capability`` with their technology name."""
        return [
            (re.compile(t), r.tech.name) for r in self.rules(capability) for t in r.rec.git_tags
        ]


def catalog_dir() -> Path:
    """The built-in catalog folder."""
    from mlops_factory._resources import data_dir

    return data_dir("assessments") / "technologies"


def load_catalog(folder: Path) -> Catalog:
    """Load and validate every ``*.yaml`` of ``folder``; ids must be unique across files."""
    from mlops_factory._errors import FactoryError
    from mlops_factory._yamlsafe import load_file

    techs: list[Technology] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = load_file(path, kind="technology catalog file", hint=_HINT)
        parsed = validate(CatalogFile, data, source=str(path), hint=_HINT)
        for tech in parsed.technologies:
            if tech.id in seen:
                raise FactoryError(
                    f"{path}: technology {tech.id!r} is also defined in {seen[tech.id]}", _HINT
                )
            seen[tech.id] = str(path)
            techs.append(tech)
    return Catalog(techs)


@functools.cache
def catalog() -> Catalog:
    """The built-in catalog, loaded once per process."""
    return load_catalog(catalog_dir())


# ------------------------------------------------------------------ matching


@dataclass(frozen=True, slots=True)
class Match:
    """Where a repository shows a capability, and through which technology."""

    tech: str
    evidence: Evidence
    call: Call | None = None


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith((prefix + ".", prefix + "("))


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


#: Keyword values that switch a tracker or integration off (``wandb.init(mode="disabled")``).
_OFF_VALUES = frozenset({"disabled", "offline", "dryrun", "off"})
_OFF_KWARGS = ("mode", "offline", "disabled", "enabled")
#: Flags that turn any tracker on (``if args.track:``), for tracking recognisers only.
_TRACKING_FLAG = re.compile(
    r"^(use|enable|with|log_to|report_to)_\w*(track|log|report)|^track(ing)?$"
)
_FLAG_FORMS = (
    "{}",
    "use_{}",
    "enable_{}",
    "with_{}",
    "{}_enabled",
    "log_{}",
    "log_to_{}",
    "report_to_{}",
)


def opt_in(pf: PyFile, line: int, rule: Rule) -> bool:
    """True when the code at ``line`` runs only if a flag turns the integration on:
    ``if args.use_wandb:``, ``if "wandb" in args.report_to:``, ``if args.track:``."""
    names = pf.guarded_by(line)
    if not names:
        return False
    tech = rule.tech
    keys = {tech.id.split("-")[0], *(w.lower() for w in re.findall(r"[A-Za-z]+", tech.name))}
    flags = {form.format(k) for k in keys if len(k) >= 4 for form in _FLAG_FORMS}
    lowered = {n.lower() for n in names}
    if flags & lowered:
        return True
    tracking = rule.rec.capability == "tracks_experiments"
    return tracking and any(_TRACKING_FLAG.search(n) for n in lowered)


def switched_off(call: Call) -> bool:
    """A call whose keywords switch the integration off (``mode="disabled"``)."""
    for key in _OFF_KWARGS:
        value = call.kw(key)
        if isinstance(value, str) and value.lower() in _OFF_VALUES:
            return True
        if key == "offline" and value is True:
            return True
        if key in ("enabled",) and value is False:
            return True
    return False


_HEAD = re.compile(r"[.(\[]")


def _head(name: str) -> str:
    return _HEAD.split(name, 1)[0]


@dataclass
class _PyTable:
    """A capability's Python recognisers, indexed so that each call is looked up once."""

    calls: dict[str, list[tuple[str, Rule]]]
    decorators: dict[str, list[tuple[str, Rule]]]
    methods: dict[str, list[tuple[str, Rule]]]
    imports: list[tuple[str, Rule]]
    bases: list[tuple[str, Rule]]
    #: Prefilter: a file must name one of these (the top-level modules; an import of
    #: them is the only way a resolved name can start with them).
    words: frozenset[str]

    @classmethod
    def build(cls, rules: Sequence[Rule]) -> _PyTable:
        t = cls({}, {}, {}, [], [], frozenset())
        words: set[str] = set()
        for rule in rules:
            rec = rule.rec.python
            if rec is None:
                continue
            for prefix in rec.calls:
                t.calls.setdefault(_head(prefix), []).append((prefix, rule))
            for prefix in rec.decorators:
                t.decorators.setdefault(_head(prefix), []).append((prefix, rule))
            for method in rec.methods:
                t.methods.setdefault(_last(method), []).append((method, rule))
            t.imports.extend((m, rule) for m in rec.imports)
            t.bases.extend((b, rule) for b in rec.bases)
            words.update(_head(n) for n in (*rec.calls, *rec.decorators, *rec.imports))
            words.update(_head(n) for n in (*rec.bases, *rec.within))
        t.words = frozenset(words)
        return t


def _python_matches(pf: PyFile, table: _PyTable) -> Iterator[Match]:
    for module, rule in table.imports:
        for imported, line in pf.imports.items():
            if _within(imported, module):
                yield Match(rule.tech.id, pf.evidence(line, rule.note, weak=rule.rec.weak))
                break
    for c in pf.calls:
        found: list[Rule] = []
        if c.decorator:
            found = [r for p, r in table.decorators.get(_head(c.name), ()) if _within(c.name, p)]
        else:
            found = [r for p, r in table.calls.get(_head(c.name), ()) if _within(c.name, p)]
            for method, rule in table.methods.get(c.last, ()):
                rec = rule.rec.python
                if (
                    rec is not None
                    and (c.name == method or c.name.endswith("." + method))
                    and _imports(pf, rec.within)
                ):
                    found.append(rule)
        for rule in found:
            rec = rule.rec.python
            if rec is None or not _arguments_fit(c, rec):
                continue
            off = switched_off(c)
            optional = opt_in(pf, c.line, rule)
            suffix = (
                " (switched off)"
                if off
                else " (opt-in: only when a flag enables it)"
                if optional
                else ""
            )
            weak = rule.rec.weak or off or optional
            yield Match(rule.tech.id, pf.evidence(c.line, rule.note + suffix, weak=weak), c)
    for prefix, rule in table.bases:
        for d in pf.defs:
            if d.kind == "class" and any(_within(b, prefix) for b in d.bases):
                yield Match(rule.tech.id, pf.evidence(d.line, rule.note, weak=rule.rec.weak))


def _imports(pf: PyFile, modules: Sequence[str]) -> bool:
    """The file imports one of ``modules`` (``from google.cloud import aiplatform`` counts
    as importing ``google.cloud.aiplatform``)."""
    return pf.imports_any(*modules) or any(
        _within(target, m) for target in pf.aliases.values() for m in modules
    )


def _arguments_fit(c: Call, rec: PythonRecogniser) -> bool:
    if rec.with_kwargs and not any(c.kw(k) is not None for k in rec.with_kwargs):
        return False
    if rec.with_values:
        found = constant_strings(c)
        if not any(w in v for v in found for w in rec.with_values):
            return False
    return True


def constant_strings(c: Call) -> list[str]:
    """The string constants a call is given, lists of strings flattened
    (``report_to=["wandb"]``, ``new_aliases=["production"]``)."""
    out: list[str] = []
    for v in (*c.args, *(v for _k, v in c.kwargs)):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, tuple) and len(v) == 2 and v[0] == "list":
            out.extend(v[1])
    return out


def _file_entries(snap: RepoSnapshot, names: Sequence[str]) -> list[Any]:
    exact = [n for n in names if not any(ch in n for ch in "*?[/")]
    out = list(snap.by_name(*exact)) if exact else []
    for pattern in names:
        if pattern in exact:
            continue
        if pattern.startswith("*.") and not any(ch in pattern[2:] for ch in "*?["):
            pool = snap.by_suffix("." + pattern.rsplit(".", 1)[-1])
            out.extend(e for e in pool if fnmatch.fnmatchcase(e.name, pattern))
        elif "/" in pattern:
            out.extend(snap.glob(pattern))
        else:
            out.extend(e for e in snap.files if fnmatch.fnmatchcase(e.name, pattern))
    seen: set[str] = set()
    unique = []
    for e in out:
        if e.path not in seen:
            seen.add(e.path)
            unique.append(e)
    return unique


def _file_matches(snap: RepoSnapshot, rule: Rule) -> Iterator[Match]:
    rec = rule.rec.files
    assert rec is not None
    # Substrings every fitting file must contain: a cheap test before regexes and YAML.
    needles = [*rec.keys, *(s for s in (rec.schema_, rec.kind) if s)]
    pattern = re.compile(rec.pattern, re.M) if rec.pattern else None
    for entry in _file_entries(snap, rec.names):
        text = snap.read_text(entry.path)
        if text is None or not all(n in text for n in needles):
            continue
        if _TEMPLATE.search(text) and not rec.templated:
            continue  # a template, not a spec until rendered (``${{ }}`` is Azure ML syntax)
        line = 1
        if pattern is not None:
            m = pattern.search(text)
            if m is None:
                continue
            line = text.count("\n", 0, m.start()) + 1
        if rec.keys or rec.schema_ or rec.kind:
            docs = read_yaml_docs(snap, entry.path, text, templated=rec.templated)
            doc = next((d for d in docs if _doc_fits(d, rec)), None)
            if doc is None:
                continue
            key = rec.keys[-1] if rec.keys else "kind" if rec.kind else "$schema"
            line = _key_line(text, key) or line
        lines = text.splitlines()
        snip = lines[line - 1].strip()[:120] if 0 < line <= len(lines) else ""
        yield Match(rule.tech.id, Evidence(entry.path, line, snip, rule.note, weak=rule.rec.weak))


_PLACEHOLDER = re.compile(r"\{\{[^{}\n]*\}\}")


def read_yaml_docs(snap: RepoSnapshot, path: str, text: str, *, templated: bool) -> list[Any]:
    """Mapping documents of a YAML file; placeholders blanked first when ``templated``."""
    if not templated or not _PLACEHOLDER.search(text):
        return [d for d in snap.yaml(path) or () if isinstance(d, dict)]

    from mlops_factory._yamlsafe import YamlProblem, parse

    blanked = _PLACEHOLDER.sub('"placeholder"', text)
    try:
        return [d for d in parse(blanked, multi=True) if isinstance(d, dict)]
    except YamlProblem:
        return []


def _doc_fits(doc: dict[str, Any], rec: FilesRecogniser) -> bool:
    if any(k not in doc or doc[k] in (None, "", [], {}) for k in rec.keys):
        return False
    if rec.schema_ and rec.schema_ not in str(doc.get("$schema", "")):
        return False
    return not (rec.kind and doc.get("kind") != rec.kind)


def _key_line(text: str, key: str) -> int | None:
    rx = re.compile(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:", re.M)
    m = rx.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


_PER_RULE = 6
_TEMPLATE = re.compile(r"(?<!\$)\{\{|\{%")


def _tag_matches(snap: RepoSnapshot, rule: Rule) -> Iterator[Match]:
    tags = getattr(snap.git, "tags", ()) or ()
    patterns = [re.compile(t) for t in rule.rec.git_tags]
    hits = [t for t in tags if any(p.search(t) for p in patterns)]
    if hits:
        note = f"{rule.note} ({len(hits)} git tags, e.g. {hits[0]})"
        yield Match(rule.tech.id, Evidence(None, None, hits[0], note, weak=rule.rec.weak))


def matches(snap: RepoSnapshot, capability: str) -> list[Match]:
    """Every place the repository shows ``capability``, source and specs first, then
    notebooks; cached per snapshot. Tests are not searched (see the test signals)."""
    cache: dict[str, list[Match]] = snap.cache.setdefault(_CACHE, {})
    found = cache.get(capability)
    if found is not None:
        return found
    rules = catalog().rules(capability)
    found = []
    table = catalog().table(capability)
    if table.words:
        index = python_index(snap)
        groups: tuple[Group, ...] = ("source", "notebook")
        for group in groups:
            for pf in index.files(group, table.words):
                found.extend(_python_matches(pf, table))
    for rule in rules:
        if rule.rec.files is not None:
            found.extend(list(_file_matches(snap, rule))[:_PER_RULE])
        elif rule.rec.git_tags:
            found.extend(_tag_matches(snap, rule))
    cache[capability] = found
    return found


def find(snap: RepoSnapshot, *capabilities: str, limit: int = 6) -> list[Evidence]:
    """Evidence for any of ``capabilities``: strong first, one item per file and note."""
    strong: list[Evidence] = []
    weak: list[Evidence] = []
    seen: set[tuple[str | None, str]] = set()
    for capability in capabilities:
        for m in matches(snap, capability):
            key = (m.evidence.path, m.evidence.note)
            if key in seen:
                continue
            seen.add(key)
            (weak if m.evidence.weak else strong).append(m.evidence)
    return (strong + weak)[:limit]


def technologies_in(snap: RepoSnapshot, capability: str) -> set[str]:
    """Ids of the technologies that show ``capability`` with strong evidence."""
    return {m.tech for m in matches(snap, capability) if not m.evidence.weak}
