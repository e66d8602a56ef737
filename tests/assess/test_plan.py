"""The plan: which criteria, grouped how, in which order, with what effort."""

from __future__ import annotations

from mlops_factory._assess.model import Effort, Finding, Outcome
from mlops_factory._assess.plan import build_plan, combined_effort
from tests.assess._build import criterion


def _f(cid: str, outcome: Outcome = Outcome.UNMET, **kw: object) -> Finding:
    return Finding(criterion(cid, signals=("a",), **kw), outcome)  # type: ignore[arg-type]


def test_default_target_is_next_level_and_only_open_criteria_count() -> None:
    findings = [
        _f("MC-101", Outcome.MET),
        _f("MC-201"),
        _f("MC-202", Outcome.NOT_APPLICABLE),
        _f("MC-301"),
    ]
    plan = build_plan(findings, current=1)
    assert plan.target_level == 2
    assert [s.criteria for s in plan.steps] == [("MC-201",)]


def test_target_four_orders_by_level_then_dimension_then_effort() -> None:
    findings = [
        _f("AI-301", component="x", size="M", days=(2, 4)),
        _f("MC-301", component="y"),
        _f("MR-201", component="z", size="M", days=(2, 3)),
        _f("MR-202", component="w", size="S", days=(1, 1)),
        _f("MC-401", component="v"),
    ]
    plan = build_plan(findings, current=1, target=4)
    assert [s.criteria for s in plan.steps] == [
        ("MR-202",),
        ("MR-201",),
        ("MC-301",),
        ("AI-301",),
        ("MC-401",),
    ]
    assert [s.order for s in plan.steps] == [1, 2, 3, 4, 5]


def test_criteria_sharing_a_component_become_one_step() -> None:
    findings = [
        _f("MC-202", component="tracking-registry", days=(1, 2)),
        _f("MC-203", component="tracking-registry", days=(0.5, 1)),
        _f("MC-201", component="training-pipeline"),
    ]
    plan = build_plan(findings, current=1)
    steps = {s.component: s for s in plan.steps}
    step = steps["tracking-registry"]
    assert step.criteria == ("MC-202", "MC-203")
    assert step.effort == Effort("M", (1.5, 3))
    assert step.success == ("MC-202 done", "MC-203 done")
    assert step.deliverables == ("MC-202 deliverable", "MC-203 deliverable")
    assert step.title.startswith("Apply tracking-registry: ")
    assert plan.effort_days == (2.5, 5)


def test_people_questions_are_steps_for_people_with_the_question() -> None:
    q = Finding(criterion("PE-201", question="Do DS and DE pair?"), Outcome.NOT_ASSESSED)
    plan = build_plan([q], current=1)
    (step,) = plan.steps
    assert step.for_people
    assert step.actions[0] == "PE-201: not assessed yet; answer: Do DS and DE pair?"


def test_nothing_left_gives_an_empty_plan() -> None:
    plan = build_plan([_f("MC-101", Outcome.MET)], current=4)
    assert plan.target_level == 4
    assert plan.steps == ()


def test_combined_effort_sizes() -> None:
    assert combined_effort([Effort("S", (0.5, 1)), Effort("S", (0.5, 1))]).size == "S"
    assert combined_effort([Effort("S", (1, 2)), Effort("M", (2, 3))]).size == "M"
    assert combined_effort([Effort("M", (2, 5)), Effort("S", (1, 1))]).size == "L"
