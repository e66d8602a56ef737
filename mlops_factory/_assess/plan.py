"""The remediation plan: ordered steps from the current level to a target level."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from mlops_factory._assess.model import (
    DIMENSIONS,
    MAX_LEVEL,
    Effort,
    EffortSize,
    Finding,
    Outcome,
    Plan,
    PlanStep,
    Role,
    command_for,
)

_SIZE_ORDER = {"S": 0, "M": 1, "L": 2}
_TODO = (Outcome.UNMET, Outcome.NOT_ASSESSED, Outcome.ERROR)


def combined_effort(efforts: Sequence[Effort]) -> Effort:
    """Add day ranges; the size follows the upper bound (S <= 2 d, M <= 5 d, else L)."""
    lo = sum(e.days[0] for e in efforts)
    hi = sum(e.days[1] for e in efforts)
    size: EffortSize = "S" if hi <= 2 else "M" if hi <= 5 else "L"
    return Effort(size, (lo, hi))


def build_plan(
    findings: Sequence[Finding],
    current: int,
    target: int | None = None,
    skip_dimensions: Collection[str] = (),
) -> Plan:
    """Steps that close every open criterion up to ``target`` (default: the next level).

    Criteria are grouped into one step per (level, dimension, component), since one
    catalog component closes them together; criteria without a component (people,
    process) are one step each. Order: level, then defining before practice, then
    dimension, then effort. Dimensions in ``skip_dimensions`` (not applicable) get none.
    """
    goal = min(MAX_LEVEL, current + 1) if target is None else target
    groups: dict[tuple[int, str, str], list[Finding]] = {}
    for f in findings:
        c = f.criterion
        if c.level > goal or f.outcome not in _TODO or c.dimension in skip_dimensions:
            continue
        key = (c.level, c.dimension, c.remediation.component or f"criterion:{c.id}")
        groups.setdefault(key, []).append(f)

    steps: list[tuple[tuple[int, int, int, int, str], PlanStep]] = []
    for (level, dim, _), group in groups.items():
        group.sort(key=lambda f: f.criterion.id)
        crits = [f.criterion for f in group]
        effort = combined_effort([c.remediation.effort for c in crits])
        component = crits[0].remediation.component
        if len(crits) == 1:
            title = crits[0].title
        else:
            title = f"Apply {component}: " + "; ".join(c.title for c in crits)
        actions: list[str] = []
        for f in group:
            c = f.criterion
            if f.outcome is Outcome.NOT_ASSESSED and c.detection.question:
                actions.append(f"{c.id}: not assessed yet; answer: {c.detection.question}")
            elif f.outcome is Outcome.ERROR:
                actions.append(f"{c.id}: could not be assessed ({f.message}); check it by hand")
            actions.append(f"{c.id}: {c.remediation.text}")
        role: Role = "defining" if any(c.defining for c in crits) else "practice"
        step = PlanStep(
            order=0,
            level=level,
            dimension=dim,
            title=title,
            criteria=tuple(c.id for c in crits),
            effort=effort,
            success=tuple(c.remediation.success for c in crits),
            deliverables=tuple(c.remediation.deliverable for c in crits),
            component=component,
            actions=tuple(actions),
            role=role,
            command=command_for(crits[0]),
        )
        sort_key = (
            level,
            int(role != "defining"),
            DIMENSIONS.index(dim),
            _SIZE_ORDER[effort.size],
            crits[0].id,
        )
        steps.append((sort_key, step))
    steps.sort(key=lambda item: item[0])
    ordered = tuple(replace(step, order=i) for i, (_, step) in enumerate(steps, start=1))
    return Plan(current_level=current, target_level=goal, steps=ordered)
