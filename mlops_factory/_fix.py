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
    BINDINGS_DIR,
    ApplyResult,
    ComponentPlan,
    ConflictMode,
    _prompter,
    align_group_answers,
    binding_specs,
    bound_before,
    check_project,
    given_and_bindings,
    missing_needs,
    preview_components,
    resolve_project_answers,
    shell_path,
    write_result,
)
from mlops_factory._scaffold._binding import OVERRIDABLE
from mlops_factory._scaffold._catalog import NONE, Catalog, Component, load_catalog
from mlops_factory._scaffold._project import answers_file, dependency_order, read_recorded

if TYPE_CHECKING:
    from mlops_factory._assess.model import Assessment, PlanStep, Rubric
    from mlops_factory._scaffold._binding import BoundComponent, RepoBindings


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
    #: Bound to the repository's own code (rendered from its bindings, not the template).
    bound: bool = False
    #: Per criterion claimed, the repository code it rests on (bound components).
    cites: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: What it could not wire: "scaffolded: call it from <function> in <file>".
    todo: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PeopleStep:
    """A plan step no catalog component closes here: work for people."""

    step: PlanStep
    #: Why no component does it.
    reason: str
    #: The command that carries it out, or shows how (pasteable), or "" for people's work.
    command: str = ""


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
    #: What the repository already has, and where each binding was read from.
    bindings: RepoBindings | None = None

    @property
    def choice_conflicts(self) -> tuple[str, ...]:
        """Team choices (licence, package name, Python version, dependency manager) the
        components would change: nothing is written while there is one."""
        return self.preview.choice_conflicts if self.preview else ()

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
    preview: bool = False,
    bind: bool = True,
) -> FixPlan:
    """Assess ``path`` and work out which components close its gaps up to ``target``.

    Writes nothing. ``data``/``data_file``/``defaults``/``interactive`` resolve the
    components' answers as in :func:`add_component`; ``rubric`` and
    ``assessment_answers`` (questionnaire answers, or a YAML file of them) go to the
    assessment. ``preview`` (a dry run) never asks nor stops for a missing answer: it
    uses the suggestion and lists what it would ask.

    On a repository with code of its own, components are bound to that code (see
    :mod:`mlops_factory._scaffold._binding`): the CI runs the repository's own install,
    test and training commands, the tracking adapter wraps its training function; a
    component with no binding (``base``, ``training-pipeline``: a second, generated
    project) is not applied and its criteria stay as steps, with the command to use.
    ``bind=False`` applies the catalog's templates as they are (the team's choices are
    still kept).

    Raises:
        FactoryError: a bad path, target, answer, rubric or catalog.
    """
    from mlops_factory._assess.model import Rubric
    from mlops_factory._assess.pipeline import assess
    from mlops_factory._assess.questions import load_answers
    from mlops_factory._assess.rubric import load_rubric

    if not 1 <= target <= 4:
        raise FactoryError(
            f"target level must be 1 to 4 (got {target})", "pass --target 1, 2, 3 or 4"
        )
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
    given, bindings = given_and_bindings(loaded, project, data=data, data_file=data_file)
    specs = binding_specs(loaded, bindings, recorded) if bind else {}
    lacking = {n: missing_needs(s, bindings) for n, s in specs.items()}
    bindable = {n: s for n, s in specs.items() if not lacking[n]}
    steps = [s for s in before.plan.steps if s.level <= target]
    named = {s.component for s in steps if s.component}
    needed = (
        [
            g.answer
            for n, g in loaded.groups.items()
            if n in named and any(m in bindable for m in g.members.values())
        ]
        if specs
        else _needed_keys(loaded, named)
    )
    answers, sources, notes = resolve_project_answers(
        loaded,
        project,
        given=given,
        recorded=recorded,
        needed=needed,
        defaults=defaults,
        prompter=_prompter(interactive),
        preview=preview,
        bindings=bindings,
    )
    notes.extend(bindings.notes)
    unanswered = tuple(k for k, v in sources.items() if v == "unanswered")
    where = shell_path(project)

    closes: dict[str, list[PlanStep]] = {}
    people: list[PeopleStep] = []
    for step in steps:
        name, why = _component_for(loaded, step.component, answers)
        if name is None:
            people.append(PeopleStep(step, why, _people_command(loaded, step, where)))
        elif name in applied:
            people.append(
                PeopleStep(
                    step,
                    f"{name} is applied, yet this is unmet: run `mlops-factory update`, or "
                    "restore the files it manages",
                    f"mlops-factory update {where}",
                )
            )
        elif specs and name in lacking and "serving_app" in lacking[name]:
            # No app of its own: the catalog's service would be a second one beside the code.
            people.append(
                PeopleStep(
                    step,
                    "no Flask or FastAPI app found: serving-realtime would add a service of its "
                    "own beside the repository's code",
                    f"mlops-factory add {name} {where} --no-bind --dry-run",
                )
            )
        elif specs and name in lacking and lacking[name]:
            keys = lacking[name]
            given_keys = [k for k in keys if k in OVERRIDABLE]
            people.append(
                PeopleStep(
                    step,
                    f"{name} wraps the repository's code, but no {', '.join(keys)} was found",
                    f"mlops-factory fix {where} --target {target} "
                    + " ".join(f"--data {k}=..." for k in given_keys)
                    if given_keys == keys
                    else _people_command(loaded, step, where),
                )
            )
        elif specs and name not in specs:
            # base and training-pipeline are the team's own code here: explain the work;
            # others can at least be previewed.
            own = name in ("base", "training-pipeline")
            people.append(
                PeopleStep(
                    step,
                    _unbound_reason(name, bindings),
                    _people_command(loaded, step, where)
                    if own
                    else f"mlops-factory add {name} {where} --dry-run",
                )
            )
        else:
            closes.setdefault(name, []).append(step)
    if specs:
        required_by: dict[str, str] = {}  # the repository's own code plays their part
        chosen = dependency_order(loaded, list(closes))
    else:
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
            bindings,
        )
    bound: dict[str, BoundComponent] = {}
    if specs:
        from mlops_factory._scaffold._binding import bind_component, template_data

        names = list(dict.fromkeys([*bound_before(project), *(c.name for c in chosen)]))
        data_t = template_data(bindings, str(answers.get("project_name", project.name)), names)
        bound = {c.name: bind_component(bindable[c.name], bindings, data_t) for c in chosen}
        people.extend(_unclaimed_steps(closes, bound))
        people.sort(key=lambda p: (p.step.level, p.step.order))
    plans = tuple(
        ComponentPlan(
            c.name,
            c.version,
            f"{BINDINGS_DIR}/{c.name}.yml" if c.name in bound else answers_file(c.name),
            _reason(c, closes, required_by),
        )
        for c in chosen
    )
    preview_result = preview_components(
        loaded,
        project,
        [c for c in chosen if c.name not in bound],
        answers,
        recorded=recorded,
        plans=plans,
        sources=sources,
        conflict=conflict,
        trust=trust,
        notes=notes,
        bindings=bindings,
        bound=list(bound.values()),
        unanswered=unanswered,
    )
    fixes = tuple(
        _fix_component(c, closes, required_by, bound.get(c.name), preview_result) for c in chosen
    )
    return FixPlan(
        project,
        target,
        before,
        fixes,
        tuple(people),
        preview_result,
        the_rubric,
        questionnaire,
        tuple(notes),
        bindings,
    )


def _fix_component(
    component: Component,
    closes: Mapping[str, list[PlanStep]],
    required_by: Mapping[str, str],
    bound: BoundComponent | None,
    preview: ApplyResult,
) -> FixComponent:
    criteria = tuple(cid for s in closes.get(component.name, ()) for cid in s.criteria)
    cites: dict[str, tuple[str, ...]] = {}
    todo: tuple[str, ...] = ()
    if bound is not None:  # claim only what rests on certain bindings
        claimed = {c.criterion: c.cites for c in bound.claims}
        criteria = tuple(c for c in criteria if c in claimed)
        cites = {c: claimed[c] for c in criteria}
        todo = bound.todo
    return FixComponent(
        name=component.name,
        version=component.version,
        criteria=criteria,
        reason=_reason(component, closes, required_by),
        creates=tuple(
            x.path for x in preview.changes if x.component == component.name and x.kind == "create"
        ),
        conflicts=tuple(
            x.path
            for x in preview.changes
            if x.component == component.name and x.kind == "conflict"
        ),
        bound=bound is not None,
        cites=cites,
        todo=todo,
    )


def _unclaimed_steps(
    closes: Mapping[str, list[PlanStep]], bound: Mapping[str, BoundComponent]
) -> list[PeopleStep]:
    """Steps whose criteria a bound component does not claim: they stay steps, saying
    what would let them be claimed (a binding to confirm) or that it is not its job."""
    out: list[PeopleStep] = []
    for name, component in bound.items():
        claimed = {c.criterion for c in component.claims}
        for step in closes.get(name, ()):
            left = [c for c in step.criteria if c not in claimed]
            if not left:
                continue
            todo = list(dict.fromkeys(t for c in left for t in component.todo_for.get(c, ())))
            what = "; ".join(todo) or (
                f"{name}, bound to this repository's code, does not do this by itself"
            )
            out.append(
                PeopleStep(
                    step,
                    f"not claimed ({', '.join(left)}): {what}",
                    f"mlops-factory explain {left[0]}",
                )
            )
    return out


#: Components that work on a model: on a repository with its own, they would not use it.
_MODEL_COMPONENTS = frozenset(
    {"onnx-packaging", "serving-realtime", "batch-scoring", "monitoring-retraining"}
)


def _unbound_reason(name: str, bindings: RepoBindings) -> str:
    """Why a component is not applied to a repository with code of its own (short: the
    bindings, with where each was read from, are shown once beside the plan)."""
    if name == "base":
        return (
            f"the repository has its own {bindings.layout} layout: base would add a second project"
        )
    if name == "training-pipeline":
        entry = bindings.value("train_entry")
        if not entry:
            return "no training code found: training-pipeline would add a synthetic one"
        function = bindings.value("train_function")
        where = f"{entry}:{function}" if function else entry
        return f"the repository trains in {where}: training-pipeline would add a second pipeline"
    uses = [bindings.value("model_artifact"), bindings.value("serving_app")]
    mention = ", ".join(u for u in uses if u) if name in _MODEL_COMPONENTS else ""
    return f"{name} is written for generated projects" + (
        f": it would not use {mention}" if mention else " (their package and Makefile)"
    )


def _people_command(catalog: Catalog, step: PlanStep, where: str) -> str:
    """The command that carries out or explains a step nothing is applied for."""
    group = catalog.groups.get(step.component or "")
    if group is not None:
        first = next(iter(group.members))
        return f"mlops-factory fix {where} --target {step.level} --data {group.answer}={first}"
    return f"mlops-factory explain {step.criteria[0]}" if step.criteria else ""


def apply_fix(plan: FixPlan) -> FixResult:
    """Write the plan's components (see :func:`write_result`) and re-assess.

    With a choice conflict, or file conflicts and ``conflict="stop"``, nothing is written
    and there is no re-assessment. A plan made as a ``preview`` with answers it did not
    have cannot be applied. Raises :class:`FactoryError` if a file changed since the plan.
    """
    from mlops_factory._assess.pipeline import assess

    if plan.preview is None:
        return FixResult(plan, None, None)
    if plan.preview.unanswered:
        raise FactoryError(
            f"the plan lacks answers: {', '.join(plan.preview.unanswered)}",
            hint="give them with --data KEY=VALUE, or pass --defaults",
        )
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
    bind: bool = True,
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
        preview=dry_run,
        bind=bind,
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
