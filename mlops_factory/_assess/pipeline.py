"""The assessment pipeline: snapshot -> signals -> outcomes -> levels -> plan."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from mlops_factory._assess.model import Assessment, RepoInfo, Rubric
from mlops_factory._assess.plan import build_plan
from mlops_factory._assess.rubric import load_rubric
from mlops_factory._assess.scoring import Answer, dimension_levels, evaluate, overall_level
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
) -> Assessment:
    """Assess the repository at ``path`` against the maturity rubric.

    Args:
        path: a git checkout or a plain folder. Nothing in it is executed.
        rubric: a loaded :class:`Rubric`, a path to a rubric YAML file, or None for
            the built-in rubric.
        answers: questionnaire answers (criterion id -> True / False / None for not
            applicable), or a path to an answers YAML file. Unanswered questions are
            ``not_assessed``.
        target: the level the plan should reach (1-4); default is the next level.

    Returns:
        The :class:`Assessment`: levels per dimension and overall, every finding with
        its evidence, and the remediation plan.

    Raises:
        FactoryError: the path, rubric, answers or target is unusable.
    """
    started = time.perf_counter()
    if target is not None and not 1 <= target <= 4:
        raise FactoryError(f"target level must be 1 to 4 (got {target})")
    loaded = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    if answers is None:
        given: Mapping[str, Answer] = {}
        answer_source = "answers"
    elif isinstance(answers, Mapping):
        given, answer_source = answers, "the answers given"
    else:
        from mlops_factory._assess.questions import load_answers

        given, answer_source = load_answers(answers, loaded), str(answers)

    snapshot = RepoSnapshot.open(path)
    names = {n for c in loaded.criteria for n in c.detection.all_signals}
    signals = run_signals(snapshot, sorted(names))
    findings = tuple(evaluate(c, signals, given, answer_source) for c in loaded.criteria)
    dimensions = dimension_levels(findings)
    level = overall_level(dimensions)
    plan = build_plan(findings, level, target)

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
    )
