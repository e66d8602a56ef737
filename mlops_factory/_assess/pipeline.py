"""The assessment pipeline: snapshot -> signals -> outcomes -> levels -> plan."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from mlops_factory._assess.model import DIMENSIONS, Assessment, RepoInfo, Rubric
from mlops_factory._assess.plan import build_plan
from mlops_factory._assess.rubric import load_rubric
from mlops_factory._assess.scoring import (
    Answer,
    applicable_dimensions,
    dimension_levels,
    evaluate,
    overall_level,
)
from mlops_factory._assess.signals import run_signals
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._errors import FactoryError
from mlops_factory._version import __version__


def assess(
    path: str | os.PathLike[str] = ".",
    *,
    rubric: Rubric | str | os.PathLike[str] | None = None,
    answers: Mapping[str, Answer] | str | os.PathLike[str] | None = None,
    target: int | None = None,
    project: str | None = None,
    waivers: bool = True,
) -> Assessment:
    """Assess the repository at ``path`` against the maturity rubric.

    Args:
        path: a git checkout or a plain folder. Nothing in it is executed. A folder inside
            a git repository assesses the whole repository (see :func:`enclosing_repository`).
        rubric: a loaded :class:`Rubric`, a path to a rubric YAML file, or None for
            the built-in rubric.
        answers: questionnaire answers (criterion id -> True / False / None for not
            applicable), or a path to an answers YAML file. Unanswered questions are
            ``not_assessed``.
        target: the level the plan should reach (1-4); default is the next level.
        project: a folder of the repository (a monorepo's project) to assess alone; the
            repository's root CI and build files still count. When ``path`` is a folder
            inside a repository, ``project`` is relative to ``path`` (``"."`` is ``path``).
        waivers: read ``.mlops-factory/waivers.yaml``; False shows the raw result.

    Returns:
        The :class:`Assessment`: levels per dimension and overall, every finding with
        its evidence, and the remediation plan.

    Raises:
        FactoryError: the path, rubric, answers or target is unusable.
    """
    started = time.perf_counter()
    if target is not None and not 1 <= target <= 4:
        raise FactoryError(
            f"target level must be 1 to 4 (got {target})", "pass --target 1, 2, 3 or 4"
        )
    loaded = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    if answers is None:
        given: Mapping[str, Answer] = {}
        answer_source = "answers"
    elif isinstance(answers, Mapping):
        given, answer_source = answers, "the answers given"
    else:
        from mlops_factory._assess.questions import load_answers

        given, answer_source = load_answers(answers, loaded), str(answers)

    from mlops_factory._assess.evidence import qualify
    from mlops_factory._assess.kinds import classify
    from mlops_factory._assess.waivers import load_waivers

    root, inside = enclosing_repository(path)
    if inside is not None:
        path = root
        if project is not None:
            rel = Path(project).as_posix().strip("/")
            project = inside if rel in ("", ".") else f"{inside}/{rel}"
    snapshot = RepoSnapshot.open(path)
    scope = _scope(snapshot, project)
    kind = classify(snapshot)
    names = {n for c in loaded.criteria for n in c.detection.all_signals}
    names |= {n for a in loaded.applicability for n in a.signals}
    signals = qualify(
        run_signals(snapshot, sorted(names)),
        kind=kind.kind,
        scope=scope,
        scaffolded=_scaffolded(snapshot),
    )
    in_force, warnings = load_waivers(snapshot, loaded) if waivers else ({}, ())
    findings = tuple(
        evaluate(c, signals, given, answer_source, in_force.get(c.id)) for c in loaded.criteria
    )
    not_applicable = applicable_dimensions(loaded.applicability, signals)
    if kind.kind == "docs":
        not_applicable = {d: kind.reason for d in DIMENSIONS if d != "people"}
    level, level_reason = overall_level(findings, not_applicable)
    dimensions = dimension_levels(findings, not_applicable, level)
    plan = build_plan(findings, level, target, skip_dimensions=not_applicable)

    git = snapshot.git
    repo = RepoInfo(
        path=str(snapshot.root),
        name=Path(snapshot.root).name,
        is_git=git is not None,
        files=len(snapshot.files),
        head=git.head if git else None,
        branch=git.branch if git else None,
        commits=git.commits if git else None,
        last_change=git.last_change if git else None,
        tags=len(git.tags) if git else None,
        unreadable=tuple(dict.fromkeys(snapshot.unreadable)),
        kind=kind.kind,
        kind_reason=kind.reason,
        projects=kind.projects,
        scope=scope,
    )
    return Assessment(
        repo=repo,
        rubric_id=loaded.id,
        rubric_version=loaded.version,
        level=level,
        dimensions=dimensions,
        findings=findings,
        plan=plan,
        tool_version=__version__,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=time.perf_counter() - started,
        level_reason=level_reason,
        warnings=warnings,
    )


def enclosing_repository(path: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """The git repository a folder belongs to, as ``(root, folder relative to root)``.

    ``(path, None)`` when ``path`` is itself a repository's root or in no repository.
    Like git's own discovery, the nearest parent holding a ``.git`` entry (a folder, or
    a file for worktrees and submodules) is the root; only names are looked at.
    """
    folder = Path(path)
    resolved = folder.expanduser().resolve()
    # A missing path stays an error about that path, never an assessment of its parent.
    if not resolved.is_dir() or os.path.lexists(resolved / ".git"):
        return folder, None
    for parent in resolved.parents:
        if os.path.lexists(parent / ".git"):
            return parent, resolved.relative_to(parent).as_posix()
    return folder, None


def _scope(snapshot: RepoSnapshot, project: str | None) -> str | None:
    """The ``--project`` folder, checked to be a folder of the repository."""
    if project is None:
        return None
    rel = Path(project).as_posix().strip("/")
    if rel in ("", ".") or ".." in rel.split("/"):
        raise FactoryError(
            f"--project {project!r} must be a folder inside the repository",
            "give the folder relative to the repository root, e.g. --project services/churn",
        )
    if not snapshot.under(rel):
        from mlops_factory._assess.kinds import project_roots

        known = ", ".join(project_roots(snapshot)[:8]) or "none found"
        raise FactoryError(
            f"--project {rel}: no files in that folder of {snapshot.root}",
            f"projects in this repository: {known}",
        )
    return rel


def _scaffolded(snapshot: RepoSnapshot) -> frozenset[str]:
    """Files mlops-factory wrote that nothing in the repository uses yet."""
    from mlops_factory._assess._scaffolded import scaffolded_paths

    return scaffolded_paths(snapshot)
