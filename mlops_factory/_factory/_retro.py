"""``mlops-factory retro``: a project retrospective that ends with action items.

For a project generated from the catalog, its components are rendered with the
project's recorded answers twice: at the versions the project recorded (what it was
generated from) and at the catalog's current versions. Comparing both with the project
separates what the team changed from what the templates changed since. For any
repository, files that look generic are listed as reuse candidates. The assessment
gives the level per dimension; unmet criteria whose component is not applied become
"adopt" items.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlops_factory._errors import FactoryError
from mlops_factory._factory._catalogs import is_builtin_location, output_paths, render_data
from mlops_factory._factory._files import ANSWERS_DIR, is_executable, project_files, read_bytes
from mlops_factory._factory._generic import (
    KIND_TITLES,
    ProjectIdentifiers,
    Specificity,
    catalog_vocabulary,
    ci_provider,
    detect_answers,
    iac_tool,
    kind_of,
    new_component_name,
    project_identifiers,
    reusable,
    specificity,
)
from mlops_factory._factory._harvest import project_values
from mlops_factory._factory._history import History, read_history
from mlops_factory._factory._values import ProjectValues
from mlops_factory._scaffold._cache import find_version
from mlops_factory._scaffold._catalog import NONE, Catalog, Component, load_catalog
from mlops_factory._scaffold._project import (
    RecordedComponent,
    read_recorded,
    rendered,
    version_key,
)
from mlops_factory._version import __version__

if TYPE_CHECKING:
    from mlops_factory._assess.model import Assessment

#: The harvest catalog used in commands when none is named and the source catalog is
#: the built-in one (harvest creates it, seeded with the built-in components).
DEFAULT_HARVEST_CATALOG = "mlops-catalog"


@dataclass(frozen=True, slots=True)
class FileFinding:
    """One file of the comparison, or one reuse candidate."""

    path: str
    #: improved | added | deleted | template_changed | template_new | candidate
    status: str
    #: The component that generates the file (improved, deleted, template_*), or None.
    component: str | None = None
    #: ci | iac | docker | utility | other (added files and candidates).
    kind: str | None = None
    #: Occurrences of the project's values (harvest replaces them), by answer key.
    values: Mapping[str, int] = field(default_factory=dict)
    #: Identifiers that appear only in this project.
    identifiers: tuple[str, ...] = ()
    #: For improved files: the template changed too since the recorded version.
    template_changed: bool = False
    #: The component the file would be harvested into.
    target: str | None = None
    note: str = ""

    @property
    def generic(self) -> bool:
        return not self.identifiers

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "component": self.component,
            "kind": self.kind,
            "generic": self.generic,
            "values": dict(self.values),
            "identifiers": list(self.identifiers),
            "template_changed": self.template_changed,
            "target": self.target,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class ComponentState:
    """A component the project records, against the catalog."""

    name: str
    recorded_version: str | None
    catalog_version: str | None
    #: current | behind | ahead | unknown (no version recorded) | not_in_catalog
    status: str
    #: Whether the recorded version could be rendered (kept in the template cache).
    recorded_available: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "recorded_version": self.recorded_version,
            "catalog_version": self.catalog_version,
            "status": self.status,
            "recorded_available": self.recorded_available,
        }


@dataclass(frozen=True, slots=True)
class Action:
    """A concrete action item of the retrospective."""

    #: harvest | adopt | update | review
    kind: str
    title: str
    #: The command line to run, or None for an item for people.
    command: str | None
    component: str | None = None
    files: tuple[str, ...] = ()
    #: Criteria the action closes (adopt).
    criteria: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "command": self.command,
            "component": self.component,
            "files": list(self.files),
            "criteria": list(self.criteria),
        }


@dataclass(frozen=True, slots=True)
class RetroReport:
    """The retrospective of one project (see :func:`retro`)."""

    project: Path
    project_name: str | None
    #: The project records catalog components (``.mlops-factory/*.yml``).
    from_catalog: bool
    catalog_path: Path
    catalog_builtin: bool
    catalog_version: str
    pattern: str | None
    components: tuple[ComponentState, ...]
    assessment: Assessment
    history: History | None
    improved: tuple[FileFinding, ...]
    added_generic: tuple[FileFinding, ...]
    added_specific: tuple[FileFinding, ...]
    deleted: tuple[FileFinding, ...]
    template_changed: tuple[FileFinding, ...]
    template_new: tuple[FileFinding, ...]
    reuse_candidates: tuple[FileFinding, ...]
    actions: tuple[Action, ...]
    values: ProjectValues
    notes: tuple[str, ...] = ()
    generated_at: str = ""
    tool_version: str = __version__

    @property
    def behind(self) -> tuple[ComponentState, ...]:
        """Components whose catalog version is newer than the recorded one."""
        return tuple(c for c in self.components if c.status == "behind")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (``mlops-factory retro --format json``)."""
        a = self.assessment
        return {
            "tool": {"name": "mlops-factory", "version": self.tool_version},
            "generated_at": self.generated_at,
            "project": {
                "path": str(self.project),
                "name": self.project_name,
                "from_catalog": self.from_catalog,
                "pattern": self.pattern,
                "values": {**self.values.as_dict(), "source": self.values.source},
            },
            "catalog": {
                "path": str(self.catalog_path),
                "builtin": self.catalog_builtin,
                "version": self.catalog_version,
            },
            "assessment": {
                "level": a.level,
                "dimensions": [d.to_dict() for d in a.dimensions],
            },
            "components": [c.to_dict() for c in self.components],
            "history": self.history.to_dict() if self.history else None,
            "files": {
                "improved": [f.to_dict() for f in self.improved],
                "added_generic": [f.to_dict() for f in self.added_generic],
                "added_specific": [f.to_dict() for f in self.added_specific],
                "deleted": [f.to_dict() for f in self.deleted],
                "template_changed": [f.to_dict() for f in self.template_changed],
                "template_new": [f.to_dict() for f in self.template_new],
            },
            "reuse_candidates": [f.to_dict() for f in self.reuse_candidates],
            "actions": [x.to_dict() for x in self.actions],
            "notes": list(self.notes),
        }

    def to_markdown(self) -> str:
        """The retrospective as a Markdown document."""
        from mlops_factory._factory._report import render_markdown

        return render_markdown(self)


# --- the retrospective ----------------------------------------------------------------------


def retro(
    path: str | os.PathLike[str] = ".",
    *,
    catalog: Catalog | str | os.PathLike[str] | None = None,
    harvest_catalog: str | os.PathLike[str] | None = None,
    answers: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    trust: bool = False,
    display_path: str | None = None,
) -> RetroReport:
    """Run a retrospective of the project at ``path``.

    Args:
        path: the project folder (generated from the catalog or not).
        catalog: the catalog the project was generated from (a loaded catalog or a
            folder); default the built-in one.
        harvest_catalog: the catalog the harvest commands write to; default ``catalog``
            when it is not the built-in one, else ``mlops-catalog`` (created by the first
            harvest, seeded with the built-in components).
        answers: questionnaire answers for the assessment (mapping or YAML file).
        trust: allow components of a non-built-in catalog that run code while rendering.
        display_path: how the project is named in the command lines (default ``path``).

    Raises:
        FactoryError: the path, catalog, an answers file or a template is unusable.
    """
    from mlops_factory._assess.pipeline import assess

    root = Path(path).expanduser()
    if not root.is_dir():
        raise FactoryError(f"{root} is not a folder", hint="pass the folder of a project")
    root = root.resolve()
    loaded = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    recorded = read_recorded(root)
    assessment = assess(root, answers=answers)
    values, all_answers = project_values(root)
    files = project_files(root)
    vocabulary = catalog_vocabulary(loaded)
    ident = project_identifiers(root, files, values.package_name, vocabulary)
    ctx = _Context(
        root=root,
        catalog=loaded,
        values=values,
        answers=all_answers,
        files=files,
        ident=ident,
        recorded={r.name: r for r in recorded},
        shown=display_path if display_path is not None else str(path),
        harvest_catalog=_harvest_catalog(loaded, harvest_catalog),
    )
    notes: list[str] = []
    states: tuple[ComponentState, ...] = ()
    comparison = _Comparison()
    history = None
    if recorded:
        states = _component_states(loaded, recorded)
        comparison = _compare(ctx, states, trust, notes)
        history = read_history(root)
        if history is None:
            notes.append(
                "no git history of the generation (not a git checkout, or the answers files "
                "were never committed): changes are judged against the templates only"
            )
        # in a generated project every generic file the team added is worth sharing,
        # except data, models and notebooks
        candidates = tuple(f for f in comparison.added_generic if f.kind != "data")
    else:
        notes.append(
            f"{root.name} records no catalog components ({ANSWERS_DIR}/ is missing): it was "
            "not generated from the catalog, so only reuse candidates are listed"
        )
        candidates = _reuse_candidates(ctx)
    actions = _actions(ctx, comparison, candidates, states, assessment)
    return RetroReport(
        project=root,
        project_name=values.project_name,
        from_catalog=bool(recorded),
        catalog_path=loaded.path,
        catalog_builtin=loaded.builtin,
        catalog_version=loaded.version,
        pattern=_text(all_answers.get("pattern")) if recorded else None,
        components=states,
        assessment=assessment,
        history=history,
        improved=tuple(comparison.improved),
        added_generic=tuple(comparison.added_generic),
        added_specific=tuple(comparison.added_specific),
        deleted=tuple(comparison.deleted),
        template_changed=tuple(comparison.template_changed),
        template_new=tuple(comparison.template_new),
        reuse_candidates=candidates,
        actions=actions,
        values=values,
        notes=tuple(notes),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _harvest_catalog(catalog: Catalog, given: str | os.PathLike[str] | None) -> str:
    if given is not None:
        folder = Path(given)
        if is_builtin_location(folder):
            raise FactoryError(
                f"{given} is the built-in catalog: harvests never write there",
                hint="pass --harvest-catalog with your organisation's catalog folder",
            )
        return str(given)
    if not catalog.builtin:
        return str(catalog.path)
    return DEFAULT_HARVEST_CATALOG


@dataclass
class _Context:
    root: Path
    catalog: Catalog
    values: ProjectValues
    answers: Mapping[str, Any]
    files: Sequence[str]
    ident: ProjectIdentifiers
    recorded: Mapping[str, RecordedComponent]
    shown: str
    harvest_catalog: str
    #: Rendered path -> component, for the components the project applies (filled by compare).
    owners: dict[str, str] = field(default_factory=dict)
    _catalog_outputs: dict[str, str] | None = None

    def catalog_outputs(self) -> dict[str, str]:
        """Every path any catalog component writes for this project's values."""
        if self._catalog_outputs is None:
            data = render_data(self.catalog, self.answers)
            out: dict[str, str] = {}
            for component in self.catalog.components.values():
                try:
                    paths = output_paths(self.catalog, component, data)
                except FactoryError:
                    continue
                for p in paths:
                    out.setdefault(p, component.name)
            self._catalog_outputs = out
        return self._catalog_outputs


@dataclass
class _Comparison:
    improved: list[FileFinding] = field(default_factory=list)
    added_generic: list[FileFinding] = field(default_factory=list)
    added_specific: list[FileFinding] = field(default_factory=list)
    deleted: list[FileFinding] = field(default_factory=list)
    template_changed: list[FileFinding] = field(default_factory=list)
    template_new: list[FileFinding] = field(default_factory=list)


def _component_states(
    catalog: Catalog, recorded: Sequence[RecordedComponent]
) -> tuple[ComponentState, ...]:
    out = []
    for rec in recorded:
        current = catalog.components.get(rec.name)
        if current is None:
            out.append(ComponentState(rec.name, rec.version, None, "not_in_catalog", False))
            continue
        if rec.version is None:
            status = "unknown"
        elif rec.version == current.version:
            status = "current"
        elif version_key(rec.version) < version_key(current.version):
            status = "behind"
        else:
            status = "ahead"
        available = rec.version is not None and (
            rec.version == current.version
            or find_version(catalog, rec.name, rec.version) is not None
        )
        out.append(ComponentState(rec.name, rec.version, current.version, status, available))
    return tuple(out)


def _render_order(
    catalog: Catalog, names: Sequence[str], answers: Mapping[str, Any]
) -> list[Component]:
    """The recorded components in the order ``new`` renders them (the pattern's order when
    it yields exactly these components, else the catalog's order with requires first)."""
    pattern = answers.get("pattern")
    wanted = set(names)
    if isinstance(pattern, str) and pattern in catalog.patterns:
        try:
            resolved = catalog.resolve(pattern, answers)
        except FactoryError:
            resolved = ()
        if {c.name for c in resolved} == wanted:
            return list(resolved)
    ordered: list[str] = []

    def visit(name: str, seen: set[str]) -> None:
        if name in ordered or name in seen:
            return
        seen.add(name)
        for need in catalog.components[name].requires:
            group = catalog.groups.get(need)
            for target in group.members.values() if group else (need,):
                if target in wanted:
                    visit(target, seen)
        ordered.append(name)

    for name in catalog.components:
        if name in wanted:
            visit(name, set())
    return [catalog.components[n] for n in ordered]


def _snapshot(root: Path, owners: Mapping[str, str]) -> dict[str, tuple[bytes, bool]]:
    out = {}
    for rel in owners:
        if rel.startswith(f"{ANSWERS_DIR}/"):
            continue
        data = (root / rel).read_bytes()
        out[rel] = (data, bool((root / rel).stat().st_mode & 0o111))
    return out


def _compare(
    ctx: _Context, states: Sequence[ComponentState], trust: bool, notes: list[str]
) -> _Comparison:
    catalog = ctx.catalog
    known = [s for s in states if s.status != "not_in_catalog"]
    for s in states:
        if s.status == "not_in_catalog":
            notes.append(
                f"component {s.name} is not in catalog {catalog.path}: its files are not "
                "compared (pass the catalog it came from with --catalog)"
            )
    if not known:
        return _Comparison()
    components = _render_order(catalog, [s.name for s in known], ctx.answers)
    data = {**ctx.answers, "components": [c.name for c in components]}
    older = {
        s.name: s.recorded_version
        for s in known
        if s.recorded_version and s.recorded_version != s.catalog_version and s.recorded_available
    }
    for s in known:
        if s.recorded_version != s.catalog_version and not s.recorded_available:
            notes.append(
                f"component {s.name}: the recorded version {s.recorded_version or '(none)'} is "
                f"not in the template cache, so its files are compared with version "
                f"{s.catalog_version} and template changes cannot be told from the team's"
            )
    with rendered(catalog, components, data, trust=trust, name=ctx.root.name) as now:
        current = _snapshot(now.root, now.owners)
        owners_now = {p: c for p, c in now.owners.items() if p in current}
    if older:
        with rendered(
            catalog, components, data, versions=older, trust=trust, name=ctx.root.name
        ) as then:
            recorded = _snapshot(then.root, then.owners)
            owners_then = {p: c for p, c in then.owners.items() if p in recorded}
    else:
        recorded, owners_then = current, owners_now
    ctx.owners.update(owners_now)
    ctx.owners.update(owners_then)

    out = _Comparison()
    for rel in sorted(set(recorded) | set(current)):
        then_ = recorded.get(rel)
        now_ = current.get(rel)
        component = owners_then.get(rel) or owners_now.get(rel)
        present = os.path.lexists(ctx.root / rel)
        data_ = read_bytes(ctx.root, rel)
        mine = (data_, is_executable(ctx.root, rel)) if data_ is not None else None
        if then_ is not None:
            if not present:
                if now_ is not None:
                    out.deleted.append(FileFinding(rel, "deleted", component=component))
                continue
            if mine == then_:
                if now_ != then_:
                    note = "removed from the current template" if now_ is None else ""
                    out.template_changed.append(
                        FileFinding(rel, "template_changed", component=component, note=note)
                    )
                continue
            if now_ is not None and mine == now_:
                continue  # already matches the current template (updated)
            note = "" if mine is not None else "not a regular file, or unreadable"
            if mine is not None and then_ is not None and mine[0] == then_[0]:
                note = "only the executable bit changed"
            out.improved.append(
                FileFinding(
                    rel,
                    "improved",
                    component=component,
                    kind=kind_of(rel),
                    template_changed=now_ != then_,
                    target=component,
                    note=note,
                )
            )
        elif now_ is not None:
            if not present:
                out.template_new.append(FileFinding(rel, "template_new", component=component))
            elif mine != now_:
                out.improved.append(
                    FileFinding(
                        rel,
                        "improved",
                        component=component,
                        kind=kind_of(rel),
                        template_changed=True,
                        target=component,
                        note="the current template also adds this file",
                    )
                )
    generated = set(recorded) | set(current)
    for rel in ctx.files:
        if rel in generated:
            continue
        finding = _added(ctx, rel)
        (out.added_generic if finding.generic else out.added_specific).append(finding)
    return out


def _added(ctx: _Context, rel: str, status: str = "added") -> FileFinding:
    spec: Specificity = specificity(ctx.root, rel, ctx.values, ctx.ident)
    kind = kind_of(rel)
    target = _target(ctx, rel, kind) if spec.generic else None
    return FileFinding(
        rel,
        status,
        kind=kind,
        values=spec.values,
        identifiers=spec.identifiers,
        target=target,
    )


def _reuse_candidates(ctx: _Context) -> tuple[FileFinding, ...]:
    out = []
    for rel in ctx.files:
        kind = kind_of(rel)
        if kind in ("other", "data"):
            continue
        spec = specificity(ctx.root, rel, ctx.values, ctx.ident)
        if not reusable(kind, spec):
            continue
        out.append(
            FileFinding(
                rel,
                "candidate",
                kind=kind,
                values=spec.values,
                identifiers=(),
                target=_target(ctx, rel, kind),
            )
        )
    order = {k: i for i, k in enumerate(("ci", "iac", "docker", "utility"))}
    return tuple(sorted(out, key=lambda f: (order.get(f.kind or "", 9), f.path)))


def _target(ctx: _Context, rel: str, kind: str) -> str:
    """The component a generic file would be harvested into (see docs/retrospectives.md)."""
    owner = ctx.catalog_outputs().get(rel)
    if owner is not None:
        return owner  # one owner per file: the component that writes this path
    if ctx.owners:
        folder = str(PurePosixPath(rel).parent)
        if folder not in (".", "src", "tests", "configs") and not folder.startswith("src/"):
            siblings = {c for p, c in ctx.owners.items() if str(PurePosixPath(p).parent) == folder}
            if len(siblings) == 1:
                return siblings.pop()
    member = None
    if kind == "ci":
        member = _member(ctx.catalog, "ci", ci_provider(rel))
    elif kind == "iac":
        member = _member(ctx.catalog, "iac", iac_tool(rel))
    return member or new_component_name(rel, kind)


def _member(catalog: Catalog, answer: str, value: str | None) -> str | None:
    if value is None:
        return None
    for group in catalog.groups_for_answer(answer):
        if value in group.members:
            return group.members[value]
    return None


# --- action items ---------------------------------------------------------------------------


def _quote(text: str) -> str:
    return shlex.quote(text)


def _catalog_flag(catalog: Catalog) -> str:
    return "" if catalog.builtin else f" --catalog {_quote(str(catalog.path))}"


def _actions(
    ctx: _Context,
    comparison: _Comparison,
    candidates: Sequence[FileFinding],
    states: Sequence[ComponentState],
    assessment: Assessment,
) -> tuple[Action, ...]:
    actions: list[Action] = []
    groups: dict[str, list[FileFinding]] = {}
    for finding in [*comparison.improved, *candidates]:
        if finding.target and finding.note != "not a regular file, or unreadable":
            groups.setdefault(finding.target, []).append(finding)
    for component, findings in groups.items():
        paths = tuple(dict.fromkeys(f.path for f in findings))
        replacing = [
            f.path
            for f in findings
            if f.status != "improved" and ctx.catalog_outputs().get(f.path) == component
        ]
        listed = ", ".join(f"`{p}`" for p in paths)
        exists = component in ctx.catalog.components
        what = "a new version of" if exists else "new"
        title = f"Harvest {listed} into {what} component `{component}`"
        if replacing:
            title += (
                f" (replaces the template's {', '.join(f'`{p}`' for p in replacing)}: "
                "review the difference first)"
            )
        command = (
            f"mlops-factory harvest {_quote(ctx.shown)} "
            + " ".join(_quote(p) for p in paths)
            + f" --component {component} --catalog {_quote(ctx.harvest_catalog)}"
        )
        actions.append(Action("harvest", title, command, component=component, files=paths))

    actions.extend(_adopt_actions(ctx, assessment))

    behind = [s for s in states if s.status == "behind"]
    if behind:
        listed = ", ".join(f"`{s.name}` {s.recorded_version} → {s.catalog_version}" for s in behind)
        actions.append(
            Action(
                "update",
                f"Update the components the catalog has improved since: {listed}",
                f"mlops-factory update {_quote(ctx.shown)}{_catalog_flag(ctx.catalog)}",
            )
        )
    for finding in comparison.deleted:
        actions.append(
            Action(
                "review",
                f"Review why the team deleted `{finding.path}` (component "
                f"`{finding.component}`): if other projects delete it too, drop it from the "
                "template",
                None,
                component=finding.component,
                files=(finding.path,),
            )
        )
    return tuple(actions)


def _adopt_actions(ctx: _Context, assessment: Assessment) -> list[Action]:
    from mlops_factory._assess.model import Outcome

    applied = set(ctx.recorded)
    detected = detect_answers(ctx.files)
    pattern = ctx.catalog.patterns.get(str(ctx.answers.get("pattern", "")))
    defaults = (pattern or ctx.catalog.default_pattern).defaults
    by_component: dict[str, list[str]] = {}
    levels: dict[str, int] = {}
    for finding in sorted(assessment.findings, key=lambda f: (f.criterion.level, f.criterion.id)):
        if finding.outcome is not Outcome.UNMET:
            continue
        wanted = finding.criterion.remediation.component
        if not wanted:
            continue
        component = _resolve_component(ctx, wanted, detected, defaults)
        if component is None or component in applied:
            continue
        by_component.setdefault(component, []).append(finding.criterion.id)
        levels.setdefault(component, finding.criterion.level)
    out = []
    for component, criteria in by_component.items():
        title = (
            f"Adopt component `{component}` "
            f"({ctx.catalog.components[component].title}): closes {', '.join(criteria)}"
        )
        command = f"mlops-factory add {component} {_quote(ctx.shown)}{_catalog_flag(ctx.catalog)}"
        out.append(Action("adopt", title, command, component=component, criteria=tuple(criteria)))
    return out


def _resolve_component(
    ctx: _Context, name: str, detected: Mapping[str, str], defaults: Mapping[str, Any]
) -> str | None:
    catalog = ctx.catalog
    if name in catalog.components:
        return name
    group = catalog.groups.get(name)
    if group is None:
        return None
    applied = [m for m in group.members.values() if m in ctx.recorded]
    if applied:
        return applied[0]
    for source in (ctx.answers, detected, defaults):
        value = source.get(group.answer)
        if isinstance(value, str) and value != NONE and value in group.members:
            return group.members[value]
    return next(iter(group.members.values()))


def kind_title(kind: str | None) -> str:
    """A reader's name for a file kind."""
    return KIND_TITLES.get(kind or "other", kind or "other")
