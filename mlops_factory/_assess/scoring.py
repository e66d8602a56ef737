"""Criteria outcomes from signals and answers, and gated levels from outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mlops_factory._assess.model import (
    DIMENSIONS,
    MAX_LEVEL,
    Criterion,
    DimensionResult,
    Evidence,
    Finding,
    Outcome,
    SignalResult,
)

#: An answer to a question criterion: True (yes), False (no), None (not applicable).
Answer = bool | None
_PASSING = (Outcome.MET, Outcome.NOT_APPLICABLE)


def evaluate(
    criterion: Criterion,
    signals: Mapping[str, SignalResult],
    answers: Mapping[str, Answer],
    answer_source: str = "answers",
) -> Finding:
    """Decide one criterion from the signal results and the questionnaire answers."""
    det = criterion.detection
    if det.is_question:
        if criterion.id not in answers:
            return Finding(criterion, Outcome.NOT_ASSESSED, message="question not answered")
        answer = answers[criterion.id]
        said = {True: "yes", False: "no", None: "not applicable"}[answer]
        ev = (Evidence(path=None, note=f"answered '{said}' in {answer_source}"),)
        outcome = {True: Outcome.MET, False: Outcome.UNMET, None: Outcome.NOT_APPLICABLE}[answer]
        return Finding(criterion, outcome, ev, message=f"answered {said}")

    used = [signals[n] for n in det.all_signals if n in signals]
    missing = [n for n in det.all_signals if n not in signals]
    errors = [s for s in used if s.error]
    if missing or errors:
        why = [f"signal {n!r} was not run" for n in missing]
        why += [f"signal {s.name!r} failed: {s.error}" for s in errors]
        return Finding(criterion, Outcome.ERROR, message="; ".join(why))

    gate = [signals[n] for n in det.applies_if]
    if not all(s.found for s in gate):
        absent = ", ".join(s.name for s in gate if not s.found)
        return Finding(criterion, Outcome.NOT_APPLICABLE, message=f"does not apply: no {absent}")

    required = [signals[n] for n in det.signals]
    options = [signals[n] for n in det.any_of]
    lacking = [s.name for s in required if not s.found]
    if options and not any(s.found for s in options):
        lacking.append(" or ".join(s.name for s in options))
    if not lacking:
        supporting = [s for s in (*gate, *required, *options) if s.found]
        evidence = tuple(e for s in supporting for e in s.evidence)
        weak = [s.name for s in supporting if s.weak]
        message = f"weak evidence for {', '.join(weak)}" if weak else ""
        return Finding(criterion, Outcome.MET, evidence, message=message)
    # Unmet: keep whatever was seen, found or not, so the reader sees why.
    evidence = tuple(e for s in (*required, *options) for e in s.evidence)
    return Finding(criterion, Outcome.UNMET, evidence, message="missing: " + ", ".join(lacking))


def dimension_levels(findings: Sequence[Finding]) -> tuple[DimensionResult, ...]:
    """Gate each dimension: level L needs every criterion of levels 1..L met (or n/a).

    Not-assessed criteria are never counted as met, so they stop the gate too. A
    dimension in which nothing at all was assessed has no level (None).
    """
    results: list[DimensionResult] = []
    for dim in DIMENSIONS:
        own = [f for f in findings if f.criterion.dimension == dim]
        not_assessed = tuple(f.criterion.id for f in own if f.outcome is Outcome.NOT_ASSESSED)
        if not own or len(not_assessed) == len(own):
            results.append(DimensionResult(dim, None, (), not_assessed))
            continue
        level = 0
        blockers: tuple[str, ...] = ()
        for lvl in range(1, MAX_LEVEL + 1):
            failing = tuple(
                f.criterion.id
                for f in own
                if f.criterion.level == lvl and f.outcome not in _PASSING
            )
            if failing:
                blockers = failing
                break
            level = lvl
        results.append(DimensionResult(dim, level, blockers, not_assessed))
    return tuple(results)


def overall_level(dimensions: Sequence[DimensionResult]) -> int:
    """The minimum over assessed dimensions (0 when none was assessed)."""
    levels = [d.level for d in dimensions if d.level is not None]
    return min(levels) if levels else 0
