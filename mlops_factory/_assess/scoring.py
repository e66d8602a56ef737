"""Criteria outcomes from signals and answers, and levels from outcomes.

The scoring model, in short (the README's assessment section says the same):

- A criterion is ``defining`` (what a level means: it gates) or a ``practice`` (a good
  practice at that level: reported and planned, never gating).
- A defining criterion is met only on strong evidence; weak evidence (an opt-in
  integration, a notebook, code under examples/, a job nothing triggers) is shown but
  never meets it alone. Practices may be met on weak evidence, and say so.
- A dimension's level is the highest level L whose defining criteria in that
  dimension, and those of the levels below, are met. A level at which a dimension has
  no defining criterion of its own (the model says "as level N" there) is credited to
  it up to the overall level, or when the dimension's next defining level is met.
- The overall level: levels 2-4 form the MLOps chain (training as code with tracking
  and a registry; automatic, validated release; retraining from production metrics),
  each needing the ones below it, over every applicable, assessed dimension. Level 1
  (automated build and tests of the application code) stands on its own: a team can
  automate training before it automates its application build, and the report then
  shows Application integration below the overall level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mlops_factory._assess.model import (
    DIMENSION_TITLES,
    DIMENSIONS,
    MAX_LEVEL,
    Applicability,
    Criterion,
    DimensionResult,
    Evidence,
    Finding,
    Missing,
    NextLevel,
    Outcome,
    SignalResult,
    Waiver,
    command_for,
)

#: An answer to a question criterion: True (yes), False (no), None (not applicable).
Answer = bool | None


def evaluate(
    criterion: Criterion,
    signals: Mapping[str, SignalResult],
    answers: Mapping[str, Answer],
    answer_source: str = "answers",
    waiver: Waiver | None = None,
) -> Finding:
    """Decide one criterion from the signal results, the answers and a waiver."""
    finding = _decide(criterion, signals, answers, answer_source)
    if waiver is None or finding.outcome in (Outcome.MET, Outcome.NOT_APPLICABLE):
        return finding
    why = f"waived until {waiver.expires}: {waiver.reason}"
    message = f"{why} (without the waiver: {finding.outcome.value}"
    message += f", {finding.message})" if finding.message else ")"
    return Finding(criterion, Outcome.WAIVED, finding.evidence, message, waiver)


def _usable(s: SignalResult, defining: bool) -> bool:
    return s.strong if defining else s.found


def _decide(
    criterion: Criterion,
    signals: Mapping[str, SignalResult],
    answers: Mapping[str, Answer],
    answer_source: str,
) -> Finding:
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
        lack = ", ".join(s.name for s in gate if not s.found)
        return Finding(criterion, Outcome.NOT_APPLICABLE, message=f"does not apply: no {lack}")

    defining = criterion.defining
    required = [signals[n] for n in det.signals]
    groups = [[signals[n] for n in group] for group in det.any_of]
    chosen = next((g for g in groups if all(_usable(s, defining) for s in g)), None)
    lacking = [s for s in required if not _usable(s, defining)]
    if groups and chosen is None:
        lacking.extend(s for g in groups for s in g if not _usable(s, defining))
    if not lacking and (chosen is not None or not groups):
        supporting = [s for s in (*gate, *required, *(chosen or ())) if s.found]
        evidence = tuple(e for s in supporting for e in s.evidence)
        weak = [s.name for s in supporting if s.weak]
        message = f"weak evidence for {', '.join(weak)}" if weak else ""
        return Finding(criterion, Outcome.MET, evidence, message=message)
    # Unmet: keep whatever was seen, found or not, so the reader sees why.
    seen = [*required, *(s for g in groups for s in g)]
    evidence = tuple(dict.fromkeys(e for s in seen for e in s.evidence))
    only_weak = [s.name for s in dict.fromkeys(lacking) if s.weak]
    absent = [s.name for s in dict.fromkeys(lacking) if not s.found]
    parts: list[str] = []
    if absent:
        alternatives = " or ".join("+".join(s.name for s in g) for g in groups)
        listed = [n for n in absent if n in det.signals]
        if groups and not any(all(s.found for s in g) for g in groups):
            listed.append(alternatives)
        parts.append("missing: " + ", ".join(dict.fromkeys(listed or absent)))
    if only_weak:
        parts.append(
            "only weak evidence for "
            + ", ".join(only_weak)
            + " (weak evidence never meets a defining criterion alone)"
        )
    return Finding(criterion, Outcome.UNMET, evidence, message="; ".join(parts))


def applicable_dimensions(
    rules: Sequence[Applicability], signals: Mapping[str, SignalResult]
) -> dict[str, str]:
    """Dimensions with no subject, mapped to the sentence that says why."""
    out: dict[str, str] = {}
    for rule in rules:
        if not any(signals[n].found for n in rule.signals if n in signals):
            out[rule.dimension] = rule.reason
    return out


def _defining_levels(own: Sequence[Finding]) -> list[int]:
    return sorted({f.criterion.level for f in own if f.criterion.defining})


def dimension_levels(
    findings: Sequence[Finding],
    not_applicable: Mapping[str, str] | None = None,
    overall: int = 0,
) -> tuple[DimensionResult, ...]:
    """Each dimension's level: the highest level whose defining criteria, and those below, are met.

    Not-assessed criteria are never counted as met, so they stop the gate too. A
    dimension in which nothing at all was assessed, or that is not applicable, has no
    level (None) and a reason.
    """
    skipped = not_applicable or {}
    results: list[DimensionResult] = []
    for dim in DIMENSIONS:
        own = [f for f in findings if f.criterion.dimension == dim]
        not_assessed = tuple(f.criterion.id for f in own if f.outcome is Outcome.NOT_ASSESSED)
        if dim in skipped:
            results.append(
                DimensionResult(dim, None, (), not_assessed, applicable=False, reason=skipped[dim])
            )
            continue
        if not own or len(not_assessed) == len(own):
            why = "no criterion of this dimension was assessed"
            if own and all(f.criterion.detection.is_question for f in own):
                why = "its questions were not answered (use --answers FILE or a terminal)"
            results.append(DimensionResult(dim, None, (), not_assessed, reason=why))
            continue
        level = 0
        next_level: NextLevel | None = None
        defined = _defining_levels(own)
        for lvl in range(1, MAX_LEVEL + 1):
            if lvl not in defined:
                above = [x for x in defined if x > lvl]
                if lvl > overall and not (above and _next(own, above[0]) is None):
                    # Credit an "as level N" level up to the overall level, or when the
                    # dimension's next defining level is met; else say what it asks for.
                    next_level = _next(own, above[0]) if above else None
                    break
                level = lvl
                continue
            failing = [
                f
                for f in own
                if f.criterion.defining and f.criterion.level == lvl and not f.passing
            ]
            if failing:
                next_level = NextLevel(lvl, tuple(_missing(f) for f in failing))
                break
            level = lvl
        practices = [
            f
            for f in own
            if not f.criterion.defining
            and f.outcome not in (Outcome.NOT_APPLICABLE, Outcome.NOT_ASSESSED)
        ]
        results.append(
            DimensionResult(
                dim,
                level,
                tuple(m.id for m in next_level.missing) if next_level else (),
                not_assessed,
                next_level=next_level,
                practices_met=sum(f.passing for f in practices),
                practices_total=len(practices),
            )
        )
    return tuple(results)


def _next(own: Sequence[Finding], lvl: int) -> NextLevel | None:
    failing = [
        f for f in own if f.criterion.defining and f.criterion.level == lvl and not f.passing
    ]
    return NextLevel(lvl, tuple(_missing(f) for f in failing)) if failing else None


def _missing(f: Finding) -> Missing:
    return Missing(f.criterion.id, f.criterion.title, f.outcome.value, command_for(f.criterion))


def _chain_findings(
    findings: Sequence[Finding], not_applicable: Mapping[str, str]
) -> list[Finding]:
    """Defining findings that count for the overall level: applicable, assessed dimensions."""
    assessed = {f.criterion.dimension for f in findings if f.outcome is not Outcome.NOT_ASSESSED}
    counted = assessed - set(not_applicable)
    return [f for f in findings if f.criterion.defining and f.criterion.dimension in counted]


def _reached(findings: Sequence[Finding], level: int) -> bool | None:
    """All defining criteria of ``level`` pass; None when the level has none to judge."""
    at = [f for f in findings if f.criterion.level == level]
    return all(f.passing for f in at) if at else None


def overall_level(
    findings: Sequence[Finding], not_applicable: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """The overall level and one sentence on how it was formed (see the module docstring)."""
    skipped = not_applicable or {}
    counted = _chain_findings(findings, skipped)
    if not counted:
        why = "; ".join(f"{DIMENSION_TITLES[d]}: {r}" for d, r in skipped.items())
        return 0, "nothing here can be assessed for MLOps maturity" + (f" ({why})" if why else "")
    # The chain: the highest level L >= 2 reached (on criteria, not vacuously) with no
    # level from 2 to L failing; levels with nothing to judge are passed through.
    chain = 1
    for lvl in range(2, MAX_LEVEL + 1):
        reached = _reached(counted, lvl)
        if reached is False:
            break
        if reached:
            chain = lvl
    if chain >= 2:
        devops = _reached(counted, 1)
        note = (
            "; level 1's automated build and tests are missing, so Application integration"
            " stays below it"
            if devops is False
            else ""
        )
        return chain, (
            f"the defining criteria of levels 2 to {chain} are met"
            if chain > 2
            else "the defining criteria of level 2 are met"
        ) + note
    if _reached(counted, 1):
        return 1, "the defining criteria of level 1 are met; those of level 2 are not"
    return 0, "the defining criteria of level 1 (and of level 2) are not all met"
