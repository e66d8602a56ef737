"""Move a project's components to the catalog's versions (``update``) and report which are
behind (``check-update``).

The update is a three-way merge per file, the algorithm of ``copier update``: the
component is rendered at the version the project records (the common ancestor, from the
template cache) and at the catalog's version, both with the project's recorded answers;
the difference between the two is merged into the project's file with ``git merge-file``.
Local edits survive, template changes arrive, overlapping edits become git-style conflict
blocks. Both renders receive the same computed data (``components``: the project's
recorded components), which copier's own ``run_update`` cannot pass to the old render,
so templates that depend on the other components are compared like with like.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlops_factory._errors import FactoryError
from mlops_factory._scaffold._cache import find_version
from mlops_factory._scaffold._catalog import Catalog, Component, load_catalog
from mlops_factory._scaffold._project import (
    CATALOG_RECORD,
    FileChange,
    Origin,
    RecordedComponent,
    blocked_path,
    catalog_record,
    dependency_order,
    merged_answers,
    read_origin,
    read_recorded,
    rendered,
    three_way_merge,
    two_way_markers,
    unified_diff,
    version_key,
    write_changes,
)

Status = Literal["current", "behind", "ahead", "not-in-catalog", "unversioned", "other-catalog"]
Change = Literal["major", "minor", "patch"]
#: Statuses that mean the component could not be checked against this catalog.
UNCHECKED: tuple[Status, ...] = ("ahead", "not-in-catalog", "unversioned", "other-catalog")
_MAX_LISTED = 10


# --- check-update ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    """One recorded component compared with the catalog."""

    name: str
    #: The version the project records, or None.
    recorded: str | None
    #: The catalog's version, or None when the catalog has no such component.
    current: str | None
    #: ``current``; ``behind`` (the catalog is newer); ``ahead`` (the project records a
    #: newer version than this catalog ships); ``not-in-catalog``; ``unversioned`` (no
    #: ``v<version>`` in ``_commit``); ``other-catalog`` (applied from another catalog).
    status: Status
    #: For ``behind``: the most significant part that changed.
    change: Change | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "name": self.name,
            "recorded": self.recorded,
            "current": self.current,
            "status": self.status,
            "change": self.change,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class ProjectStatus:
    """The components of one project compared with the catalog."""

    path: Path
    components: tuple[ComponentStatus, ...] = ()
    #: Why the project could not be checked (not a folder, no answers files, ...).
    error: str | None = None
    #: The catalog the project records (``.mlops-factory/_catalog.yml``), if any.
    origin: Origin | None = None

    @property
    def behind(self) -> tuple[ComponentStatus, ...]:
        """The components with a newer catalog version."""
        return tuple(c for c in self.components if c.status == "behind")

    @property
    def unchecked(self) -> tuple[ComponentStatus, ...]:
        """The components that could not be checked against this catalog (see ``note``)."""
        return tuple(c for c in self.components if c.status in UNCHECKED)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        origin = self.origin
        return {
            "path": str(self.path),
            "error": self.error,
            "origin": None
            if origin is None
            else {"name": origin.name, "source": origin.source, "vcs_ref": origin.vcs_ref},
            "behind": len(self.behind),
            "unchecked": len(self.unchecked),
            "components": [c.to_dict() for c in self.components],
        }


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """``check-update`` over one or many projects."""

    catalog_path: Path
    catalog_version: str
    builtin: bool
    projects: tuple[ProjectStatus, ...]
    #: The catalog's identity and where it was loaded from.
    catalog_name: str = ""
    catalog_source: str = ""

    @property
    def behind(self) -> bool:
        """True when any component of any project is behind the catalog."""
        return any(p.behind for p in self.projects)

    @property
    def unchecked(self) -> bool:
        """True when a component of some project could not be checked against the catalog."""
        return any(p.unchecked for p in self.projects)

    @property
    def complete(self) -> bool:
        """True when every project and every component was checked."""
        return not self.errors and not self.unchecked

    @property
    def errors(self) -> tuple[ProjectStatus, ...]:
        """The projects that could not be checked."""
        return tuple(p for p in self.projects if p.error is not None)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON document of ``check-update --format json`` (schema_version 1)."""
        return {
            "schema_version": 1,
            "catalog": {
                "name": self.catalog_name,
                "source": self.catalog_source,
                "path": str(self.catalog_path),
                "version": self.catalog_version,
                "builtin": self.builtin,
            },
            "behind": self.behind,
            "complete": self.complete,
            "projects": [p.to_dict() for p in self.projects],
        }


def check_updates(
    paths: Sequence[str | os.PathLike[str]] = (".",),
    *,
    catalog: Catalog | str | os.PathLike[str] | None = None,
) -> UpdateReport:
    """Compare the components recorded by each project with the catalog's versions.

    A project that cannot be read (not a folder, no answers files, an unreadable answers
    file) gets an ``error`` instead of stopping the others; a component that cannot be
    compared (from another catalog, unversioned, unknown to the catalog, newer than it)
    is ``unchecked``, so :attr:`UpdateReport.complete` says whether everything was.
    """
    loaded = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    projects: list[ProjectStatus] = []
    for raw in paths:
        path = Path(os.path.abspath(Path(raw).expanduser()))
        try:
            recorded = _recorded_or_fail(path)
        except FactoryError as exc:
            projects.append(ProjectStatus(path, error=exc.message))
            continue
        origin = read_origin(path)
        statuses = tuple(component_status(loaded, r, origin) for r in recorded)
        projects.append(ProjectStatus(path, statuses, origin=origin))
    return UpdateReport(
        loaded.path,
        loaded.version,
        loaded.builtin,
        tuple(projects),
        catalog_name=loaded.key,
        catalog_source=loaded.source or str(loaded.path),
    )


def component_status(
    catalog: Catalog, recorded: RecordedComponent, origin: Origin | None = None
) -> ComponentStatus:
    """Compare one recorded component with the catalog (``origin``: the project's
    catalog record, named in the note when the catalogs differ)."""
    component = catalog.components.get(recorded.name)
    current = component.version if component else None
    if component is None:
        return ComponentStatus(
            recorded.name,
            recorded.version,
            None,
            "not-in-catalog",
            note="the catalog has no such component (removed or renamed)",
        )
    key = recorded.catalog_key
    if key is not None and not catalog.recorded_by(key):
        where = f" ({origin.source})" if origin is not None and origin.name == key else ""
        return ComponentStatus(
            recorded.name,
            recorded.version,
            current,
            "other-catalog",
            note=f"applied from catalog {key!r}{where}, not {catalog.key!r}: check it with "
            "--catalog naming that catalog",
        )
    if recorded.version is None:
        return ComponentStatus(
            recorded.name,
            None,
            current,
            "unversioned",
            note=f"_commit is {recorded.commit!r}, not a version tag like v1.0.0",
        )
    old, new = version_key(recorded.version), version_key(component.version)
    if old == new:
        return ComponentStatus(recorded.name, recorded.version, current, "current")
    if old > new:
        return ComponentStatus(
            recorded.name,
            recorded.version,
            current,
            "ahead",
            note="the project records a newer version than this catalog ships",
        )
    change: Change = "major" if old[0] != new[0] else "minor" if old[1] != new[1] else "patch"
    return ComponentStatus(recorded.name, recorded.version, current, "behind", change)


def _recorded_or_fail(project: Path) -> tuple[RecordedComponent, ...]:
    if not project.is_dir():
        raise FactoryError(
            f"{project} is not a folder" if project.exists() else f"{project} does not exist"
        )
    recorded = read_recorded(project)
    if not recorded:
        raise FactoryError(
            f"{project} records no catalog components (no .mlops-factory/*.yml answers files)",
            hint="apply components with `mlops-factory add` or `mlops-factory fix` first",
        )
    return recorded


# --- update ------------------------------------------------------------------------------

Action = Literal["updated", "current", "skipped"]


@dataclass(frozen=True, slots=True)
class ComponentUpdate:
    """What ``update`` did with one recorded component."""

    name: str
    recorded: str | None
    current: str | None
    #: ``updated`` (moved to the catalog's version, or would be for a dry run),
    #: ``current`` (already there), ``skipped`` (see ``note``).
    action: Action
    #: Files of this component left with conflict markers (or not mergeable).
    conflicts: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What :func:`update_project` did (or would do, for a dry run)."""

    project: Path
    components: tuple[ComponentUpdate, ...]
    #: Every file the updated components touch, and what happens to it.
    changes: tuple[FileChange, ...]
    #: Files written or deleted; empty for a dry run.
    written: tuple[str, ...]
    dry_run: bool
    notes: tuple[str, ...] = field(default=())

    @property
    def conflicts(self) -> tuple[FileChange, ...]:
        """Files where local edits and template changes overlap (markers written)."""
        return tuple(c for c in self.changes if c.kind == "conflict")

    @property
    def clean(self) -> bool:
        """True when there is no conflict."""
        return not self.conflicts

    @property
    def updated(self) -> tuple[ComponentUpdate, ...]:
        """The components moved to the catalog's version."""
        return tuple(c for c in self.components if c.action == "updated")

    def diff(self) -> str:
        """The unified diff of every change, conflicts with their markers."""
        return unified_diff(self.changes, inline=True)


def update_project(
    path: str | os.PathLike[str] = ".",
    *,
    catalog: Catalog | str | os.PathLike[str] | None = None,
    components: Sequence[str] | None = None,
    dry_run: bool = False,
    trust: bool = False,
) -> UpdateResult:
    """Move every component recorded in ``path`` (or only ``components``) to the catalog's
    version with a three-way merge (see the module doc).

    The project must be a git work tree without uncommitted changes (not for a dry run),
    so the update can be reviewed with ``git diff`` and undone. Conflicting edits are
    written with git-style markers (``<<<<<<< yours`` / ``>>>>>>> component version``);
    binary files that both sides changed keep your version and are reported.

    Raises:
        FactoryError: not a git work tree, uncommitted changes, no answers files, a
            component applied from another catalog, a project newer than the catalog,
            an unknown name in ``components``.
    """
    loaded = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    project = Path(os.path.abspath(Path(path).expanduser()))
    recorded = _recorded_or_fail(project)
    by_name = {r.name: r for r in recorded}
    if components is not None:
        unknown = [n for n in components if n not in by_name]
        if unknown:
            raise FactoryError(
                f"{', '.join(unknown)}: not recorded in {project}",
                hint=f"recorded components: {', '.join(by_name)}",
            )
    selected = [r for r in recorded if components is None or r.name in components]
    origin = read_origin(project)
    statuses = {r.name: component_status(loaded, r, origin) for r in selected}
    _refuse_blockers(statuses, project, origin)
    if not dry_run:
        _check_clean(project)

    names = [r.name for r in recorded]
    ordered = [c.name for c in dependency_order(loaded, names)]
    everything = [*ordered, *(n for n in names if n not in ordered)]
    shared = merged_answers(recorded)
    results: list[ComponentUpdate] = []
    changes: list[FileChange] = []
    notes: list[str] = []
    for item in [by_name[n] for n in everything if n in statuses]:
        status = statuses[item.name]
        if status.status != "behind":
            action: Action = "current" if status.status == "current" else "skipped"
            results.append(
                ComponentUpdate(item.name, item.version, status.current, action, note=status.note)
            )
            continue
        component = loaded.components[item.name]
        data = {**shared, **item.answers, "components": everything}
        mine, note = _component_changes(loaded, component, item, project, data, trust)
        changes.extend(mine)
        if note:
            notes.append(note)
        results.append(
            ComponentUpdate(
                item.name,
                item.version,
                component.version,
                "updated",
                conflicts=tuple(c.path for c in mine if c.kind == "conflict"),
            )
        )
    if any(r.action == "updated" for r in results):
        changes.append(_record_change(loaded, project, recorded, results))
    written: tuple[str, ...] = ()
    if not dry_run:
        written = write_changes(project, changes, inline=True)
    return UpdateResult(project, tuple(results), tuple(changes), written, dry_run, tuple(notes))


def _record_change(
    catalog: Catalog,
    project: Path,
    recorded: Sequence[RecordedComponent],
    results: Sequence[ComponentUpdate],
) -> FileChange:
    """The catalog record rewritten with the versions the project has after the update."""
    versions = {r.name: r.version or "" for r in recorded}
    versions.update({r.name: r.current or "" for r in results if r.action == "updated"})
    after = catalog_record(catalog, versions)
    target = project / CATALOG_RECORD
    before = target.read_bytes() if target.is_file() else None
    kind: Literal["create", "update"] = "create" if before is None else "update"
    return FileChange(CATALOG_RECORD, "catalog", kind, before, after, after)


def update_command(project: Path, origin: Origin | None, fallback: str = " --catalog DIR") -> str:
    """The ``mlops-factory update`` command line for ``project`` from its recorded catalog."""
    import shlex

    args = origin.catalog_args() if origin is not None and origin.source else fallback
    return f"mlops-factory update {shlex.quote(str(project))}{args}"


def _refuse_blockers(
    statuses: Mapping[str, ComponentStatus], project: Path, origin: Origin | None
) -> None:
    other = [s for s in statuses.values() if s.status == "other-catalog"]
    if other:
        raise FactoryError(
            f"{', '.join(s.name for s in other)}: {other[0].note}; nothing was updated",
            hint=f"run `{update_command(project, origin)}` (a clone of that catalog at "
            "another path, or its git URL, works too)",
        )
    ahead = [s for s in statuses.values() if s.status == "ahead"]
    if ahead:
        listed = ", ".join(f"{s.name} {s.recorded} (catalog: {s.current})" for s in ahead)
        raise FactoryError(
            f"the project records newer versions than this catalog ships: {listed}; "
            "downgrades are not supported, nothing was updated",
            hint=f"upgrade mlops-factory, or run `{update_command(project, origin)}` with "
            "the newer catalog",
        )


def _component_changes(
    catalog: Catalog,
    component: Component,
    item: RecordedComponent,
    project: Path,
    data: Mapping[str, Any],
    trust: bool,
) -> tuple[list[FileChange], str | None]:
    """The three-way changes of one component from its recorded version to the catalog's."""
    assert item.version is not None
    note = None
    old_files: dict[str, bytes] | None = None
    if find_version(catalog, component.name, item.version) is not None:
        with rendered(
            catalog,
            [component],
            data,
            versions={component.name: item.version},
            trust=trust,
            name=project.name,
        ) as old:
            old_files = {rel: (old.root / rel).read_bytes() for rel in old.files()}
    else:
        note = (
            f"{component.name} {item.version} is not in the template cache (cleared, or the "
            "project was generated elsewhere): without the old version every file that "
            "differs from the new one is a conflict"
        )
    with rendered(catalog, [component], data, trust=trust, name=project.name) as new:
        new_files = {rel: (new.root / rel).read_bytes() for rel in new.files()}
        executable = {rel: bool((new.root / rel).stat().st_mode & 0o111) for rel in new.files()}
    labels = (
        "yours",
        f"{component.name} {item.version}",
        f"{component.name} {component.version}",
    )
    out: list[FileChange] = []
    paths = sorted(set(new_files) | set(old_files or {}))
    for rel in paths:
        base = old_files.get(rel) if old_files is not None else None
        theirs = new_files.get(rel)
        change = _merge_one(
            project, rel, component.name, base, theirs, labels, old_files is not None
        )
        if change is not None:
            if change.kind == "create" and executable.get(rel):
                change = FileChange(
                    change.path,
                    change.component,
                    change.kind,
                    None,
                    change.after,
                    change.theirs,
                    True,
                    change.note,
                )
            out.append(change)
    return out, note


def _merge_one(
    project: Path,
    rel: str,
    name: str,
    base: bytes | None,
    theirs: bytes | None,
    labels: tuple[str, str, str],
    have_base: bool,
) -> FileChange | None:
    """The change for one file given the old render (base), new render (theirs), and
    the project's file (ours)."""
    if have_base and base == theirs:
        return None  # the template did not change this file: whatever is there stays
    blocked = blocked_path(project, rel)
    if blocked is not None:
        return FileChange(rel, name, "conflict", None, None, theirs, note=blocked)
    target = project / rel
    ours = target.read_bytes() if os.path.lexists(target) else None
    if theirs is None:  # the new version drops the file
        if ours is None:
            return None
        if ours == base:
            return FileChange(rel, name, "delete", ours, None, None)
        return FileChange(
            rel, name, "kept", ours, ours, None, note="the new version drops it; edited locally"
        )
    if ours == theirs:
        return FileChange(rel, name, "unchanged", ours, ours, theirs)
    if ours is None:
        if base is not None:
            return FileChange(
                rel, name, "kept", None, None, theirs, note="deleted locally; stays deleted"
            )
        return FileChange(rel, name, "create", None, theirs, theirs)
    if rel.startswith(".mlops-factory/"):
        return FileChange(rel, name, "update", ours, theirs, theirs)  # the record of the update
    if base is None:
        marked = two_way_markers(ours, theirs, labels[2])
        note = "" if marked is not None else "not a text file: yours kept"
        return FileChange(rel, name, "conflict", ours, marked, theirs, note=note)
    if ours == base:
        return FileChange(rel, name, "update", ours, theirs, theirs)
    merged = three_way_merge(ours, base, theirs, labels=labels)
    if merged is None:
        return FileChange(
            rel, name, "conflict", ours, None, theirs, note="not a text file: yours kept"
        )
    content, clean = merged
    if clean:
        return FileChange(rel, name, "update", ours, content, theirs, note="merged")
    return FileChange(rel, name, "conflict", ours, content, theirs)


def _check_clean(project: Path) -> None:
    """Refuse a project outside git or with uncommitted changes (the update must be
    reviewable and undoable)."""
    from mlops_factory._git import GitRefused, run_git

    try:
        inside = run_git(project, "rev-parse", "--is-inside-work-tree")
        if not inside.ok or inside.text.strip() != "true":
            raise FactoryError(
                f"{project} is not a git repository: an update must be reviewable and undoable",
                hint="git init && git add -A && git commit -m 'before update', then run it again",
            )
        # The project's fsmonitor, hooks and filters never run (the one git runner).
        status = run_git(project, "status", "--porcelain", "--", ".")
    except GitRefused as exc:
        raise FactoryError(
            f"{project}: cannot check for uncommitted changes: {exc.reason}",
            hint=exc.hint or "fix the project's git folder, then run the update again",
        ) from None
    dirty = [line[3:] for line in status.text.splitlines() if line.strip()]
    if not status.ok or dirty:
        listed = ", ".join(dirty[:_MAX_LISTED]) + (" ..." if len(dirty) > _MAX_LISTED else "")
        raise FactoryError(
            f"{project} has uncommitted changes: {listed or status.error}",
            hint="commit (or stash) them first, so the update can be reviewed with git diff "
            "and undone; --dry-run shows what would change without writing",
        )
