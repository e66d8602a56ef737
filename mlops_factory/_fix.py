"""``mlops-factory fix``: close a repository's maturity gaps with catalog components.

1. Assess the repository with a plan up to the target level.
2. Map each plan step to the catalog component that provides it (a group such as
   ``ci`` resolves to the member the repository uses, or the answers pick), add the
   components those require and the project does not record, in dependency order.
   Steps no component can close (people, process; a group answered ``none``) stay in
   the plan as actions for people.
3. Render those components and compare them with the repository (``add``'s rules:
   files are only created; an existing file that differs is a conflict, which stops
   everything unless conflicts are written inline).
4. Write, re-assess and report the level per dimension before and after.

:func:`plan_fix` does 1-3 and writes nothing; :func:`apply_fix` does 4, so a caller can
show the plan and ask for confirmation in between. :func:`fix` does both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_factory._errors import FactoryError
from mlops_factory._scaffold._add import (
    ApplyResult,
    ComponentPlan,
    ConflictMode,
    _prompter,
    align_group_answers,
    check_project,
    preview_components,
    resolve_project_answers,
    write_result,
)
from mlops_factory._scaffold._answers import load_data_file, merge_given
from mlops_factory._scaffold._catalog import NONE, Catalog, Component, load_catalog
from mlops_factory._scaffold._project import answers_file, dependency_order, read_recorded

if TYPE_CHECKING:
    from mlops_factory._assess.model import Assessment, PlanStep, Rubric


@dataclass(frozen=True, slots=True)
class FixComponent:
    """A component the fix applies."""

    name: str
    version: str
    #: The criteria it closes (empty for a component applied because another requires it).
    criteria: tuple[str, ...]
    #: Why it is applied: the plan steps' titles, or ``required by X``.
    reason: str
    #: The files it writes (posix, relative): created, and conflicting.
    creates: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PeopleStep:
    """A plan step no catalog component closes here: work for people."""

    step: PlanStep
    #: Why no component does it.
    reason: str


@dataclass(frozen=True, slots=True)
class FixPlan:
    """What :func:`apply_fix` will do; nothing has been written yet."""

    project: Path
    target: int
    before: Assessment
    components: tuple[FixComponent, ...]
    people: tuple[PeopleStep, ...]
    #: The rendered components compared with the repository (None: nothing to apply).
    preview: ApplyResult | None
    rubric: Rubric
    #: Questionnaire answers used by the assessment (criterion id -> answer).
    assessment_answers: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Existing files that differ from what the components render."""
        return tuple(c.path for c in self.preview.conflicts) if self.preview else ()


@dataclass(frozen=True, slots=True)
class DimensionChange:
    """One dimension's level before and after the fix (None: not assessed)."""

    id: str
    before: int | None
    after: int | None


@dataclass(frozen=True, slots=True)
class FixResult:
    """What :func:`apply_fix` did."""

    plan: FixPlan
    #: The write (None when the plan had no component to apply).
    applied: ApplyResult | None
    #: The assessment after writing (None for a dry run or a run stopped by conflicts).
    after: Assessment | None

    @property
    def levels(self) -> tuple[DimensionChange, ...]:
        """Per dimension, the level before and after (after = before when not re-assessed)."""
        after = {d.id: d.level for d in (self.after or self.plan.before).dimensions}
        return tuple(
            DimensionChange(d.id, d.level, after.get(d.id)) for d in self.plan.before.dimensions
        )

    @property
    def level_before(self) -> int:
        """The overall level before."""
        return self.plan.before.level

    @property
    def level_after(self) -> int:
        """The overall level after (before when not re-assessed)."""
        return (self.after or self.plan.before).level


def plan_fix(
    path: str | os.PathLike[str] = ".",
    *,
    target: int,
    data: Mapping[str, Any] | None = None,
    data_file: str | os.PathLike[str] | None = None,
    defaults: bool = False,
    conflict: ConflictMode = "stop",
    trust: bool = False,
    catalog: Catalog | str | os.PathLike[str] | None = None,
    rubric: Rubric | str | os.PathLike[str] | None = None,
    assessment_answers: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    interactive: bool | None = None,
) -> FixPlan:
    """Assess ``path`` and work out which components close its gaps up to ``target``.

    Writes nothing. ``data``/``data_file``/``defaults``/``interactive`` resolve the
    components' answers as in :func:`add_component`; ``rubric`` and
    ``assessment_answers`` (questionnaire answers, or a YAML file of them) go to the
    assessment.

    Raises:
        FactoryError: a bad path, target, answer, rubric or catalog.
    """
    from mlops_factory._assess.model import Rubric
    from mlops_factory._assess.pipeline import assess
    from mlops_factory._assess.questions import load_answers
    from mlops_factory._assess.rubric import load_rubric

    if not 1 <= target <= 4:
        raise FactoryError(f"target level must be 1 to 4 (got {target})")
    loaded = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    project = check_project(path)
    the_rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    if assessment_answers is None or isinstance(assessment_answers, Mapping):
        questionnaire: Mapping[str, Any] = dict(assessment_answers or {})
    else:
        questionnaire = load_answers(assessment_answers, the_rubric)
    before = assess(project, rubric=the_rubric, answers=questionnaire, target=target)
    recorded = read_recorded(project)
    applied = {r.name for r in recorded}
    given = merge_given(
        loaded, data_file=load_data_file(data_file) if data_file is not None else None, data=data
    )
    steps = [s for s in before.plan.steps if s.level <= target]
    named = {s.component for s in steps if s.component}
    needed = _needed_keys(loaded, named)
    answers, sources, notes = resolve_project_answers(
        loaded,
        project,
        given=given,
        recorded=recorded,
        needed=needed,
        defaults=defaults,
        prompter=_prompter(interactive),
    )

    closes: dict[str, list[PlanStep]] = {}
    people: list[PeopleStep] = []
    for step in steps:
        name, why = _component_for(loaded, step.component, answers)
        if name is None:
            people.append(PeopleStep(step, why))
        elif name in applied:
            people.append(
                PeopleStep(
                    step,
                    f"{name} is applied, yet this is unmet: run `mlops-factory update`, or "
                    "restore the files it manages",
                )
            )
        else:
            closes.setdefault(name, []).append(step)
    required_by = _requirements(loaded, list(closes), applied, answers)
    chosen = dependency_order(loaded, [*closes, *required_by])
    align_group_answers(loaded, chosen, answers, sources, given)

    if not chosen:
        return FixPlan(
            project,
            target,
            before,
            (),
            tuple(people),
            None,
            the_rubric,
            questionnaire,
            tuple(notes),
        )
    plans = tuple(
        ComponentPlan(c.name, c.version, answers_file(c.name), _reason(c, closes, required_by))
        for c in chosen
    )
    preview = preview_components(
        loaded,
        project,
        chosen,
        answers,
        recorded=recorded,
        plans=plans,
        sources=sources,
        conflict=conflict,
        trust=trust,
        notes=notes,
    )
    fixes = tuple(
        FixComponent(
            name=c.name,
            version=c.version,
            criteria=tuple(cid for s in closes.get(c.name, ()) for cid in s.criteria),
            reason=_reason(c, closes, required_by),
            creates=tuple(
                x.path for x in preview.changes if x.component == c.name and x.kind == "create"
            ),
            conflicts=tuple(
                x.path for x in preview.changes if x.component == c.name and x.kind == "conflict"
            ),
        )
        for c in chosen
    )
    return FixPlan(
        project,
        target,
        before,
        fixes,
        tuple(people),
        preview,
        the_rubric,
        questionnaire,
        tuple(notes),
    )


def apply_fix(plan: FixPlan) -> FixResult:
    """Write the plan's components (see :func:`write_result`) and re-assess.

    With conflicts and ``conflict="stop"`` nothing is written and there is no
    re-assessment. Raises :class:`FactoryError` if a file changed since the plan.
    """
    from mlops_factory._assess.pipeline import assess

    if plan.preview is None:
        return FixResult(plan, None, None)
    written = write_result(plan.preview)
    if written.stopped:
        return FixResult(plan, written, None)
    after = assess(
        plan.project, rubric=plan.rubric, answers=plan.assessment_answers, target=plan.target
    )
    return FixResult(plan, written, after)


def fix(
    path: str | os.PathLike[str] = ".",
    *,
    target: int,
    dry_run: bool = False,
    data: Mapping[str, Any] | None = None,
    data_file: str | os.PathLike[str] | None = None,
    defaults: bool = False,
    conflict: ConflictMode = "stop",
    trust: bool = False,
    catalog: Catalog | str | os.PathLike[str] | None = None,
    rubric: Rubric | str | os.PathLike[str] | None = None,
    assessment_answers: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    interactive: bool | None = None,
) -> FixResult:
    """Close the gaps of ``path`` up to level ``target`` with catalog components.

    :func:`plan_fix` then (unless ``dry_run``) :func:`apply_fix`, without asking for
    confirmation: the caller decided. See those for the arguments.
    """
    plan = plan_fix(
        path,
        target=target,
        data=data,
        data_file=data_file,
        defaults=defaults,
        conflict=conflict,
        trust=trust,
        catalog=catalog,
        rubric=rubric,
        assessment_answers=assessment_answers,
        interactive=interactive,
    )
    if dry_run:
        return FixResult(plan, plan.preview, None)
    return apply_fix(plan)


def _needed_keys(catalog: Catalog, named: set[str]) -> list[str]:
    """Answer keys of every component the plan may apply (group members, requirements)."""
    keys: list[str] = []
    seen: set[str] = set()
    pending = list(named)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        group = catalog.groups.get(name)
        if group is not None:
            keys.append(group.answer)
            pending.extend(group.members.values())
            continue
        component = catalog.components.get(name)
        if component is not None:
            keys.extend(component.questions)
            pending.extend(component.requires)
    return list(dict.fromkeys(keys))


def _component_for(
    catalog: Catalog, name: str | None, answers: Mapping[str, Any]
) -> tuple[str | None, str]:
    """The component a plan step's ``component`` resolves to here, or None and why."""
    if name is None:
        return None, "no catalog component does this: it is work for people"
    group = catalog.groups.get(name)
    if group is not None:
        value = answers.get(group.answer, NONE)
        if value == NONE or value not in group.members:
            return None, (
                f"{group.answer} is {value!r}: no {name} component chosen "
                f"(pass --data {group.answer}=<{'|'.join(group.members)}>)"
            )
        return group.members[value], ""
    if name not in catalog.components:
        return None, f"the catalog has no component {name!r}"
    return name, ""


def _requirements(
    catalog: Catalog, names: list[str], applied: set[str], answers: Mapping[str, Any]
) -> dict[str, str]:
    """Components the chosen ones require that the project lacks -> who requires them."""
    out: dict[str, str] = {}
    present = set(applied) | set(names)
    pending = list(names)
    while pending:
        name = pending.pop(0)
        for need in catalog.components[name].requires:
            group = catalog.groups.get(need)
            if group is not None:
                if any(m in present for m in group.members.values()):
                    continue
                member, why = _component_for(catalog, need, answers)
                if member is None:
                    raise FactoryError(
                        f"{name} requires {need}, but {why}",
                        hint=f"choose one with --data {group.answer}=...",
                    )
                need = member
            if need in present:
                continue
            present.add(need)
            out[need] = name
            pending.append(need)
    return out


def _reason(
    component: Component, closes: Mapping[str, list[PlanStep]], required_by: Mapping[str, str]
) -> str:
    steps = closes.get(component.name)
    if steps:
        return "; ".join(s.title for s in steps)
    return f"required by {required_by.get(component.name, '?')}"


__all__ = [
    "DimensionChange",
    "FixComponent",
    "FixPlan",
    "FixResult",
    "PeopleStep",
    "apply_fix",
    "fix",
    "plan_fix",
]
