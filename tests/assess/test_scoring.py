"""Outcomes from signals, answers and waivers; levels from outcomes (hand-built input)."""

from __future__ import annotations

from mlops_factory._assess.model import Applicability, Finding, Outcome, SignalResult, Waiver
from mlops_factory._assess.scoring import (
    applicable_dimensions,
    dimension_levels,
    evaluate,
    overall_level,
)
from tests.assess._build import absent, criterion, found


def test_all_signals_found_is_met_with_their_evidence() -> None:
    c = criterion("MC-201", signals=("a", "b"))
    f = evaluate(c, {"a": found("a", "x.py"), "b": found("b", "y.py")}, {})
    assert f.outcome is Outcome.MET
    assert [e.path for e in f.evidence] == ["x.py", "y.py"]
    assert not f.weak


def test_one_missing_signal_is_unmet_and_says_which() -> None:
    c = criterion("MC-201", signals=("a", "b"))
    f = evaluate(c, {"a": found("a"), "b": absent("b")}, {})
    assert f.outcome is Outcome.UNMET
    assert f.message == "missing: b"


def test_any_of_needs_one() -> None:
    c = criterion("MC-204", signals=("a",), any_of=("b", "c"))
    both_absent = {"a": found("a"), "b": absent("b"), "c": absent("c")}
    assert evaluate(c, both_absent, {}).message == "missing: b or c"
    one = {**both_absent, "c": found("c")}
    assert evaluate(c, one, {}).outcome is Outcome.MET


def test_any_of_group_needs_all_its_signals() -> None:
    c = criterion("MR-301", any_of=(("deploys", "on_main"), "promotes"))
    half = {
        "deploys": found("deploys"),
        "on_main": absent("on_main"),
        "promotes": absent("promotes"),
    }
    f = evaluate(c, half, {})
    assert f.outcome is Outcome.UNMET
    assert f.message == "missing: deploys+on_main or promotes"
    both = {**half, "on_main": found("on_main", "ci.yml")}
    assert evaluate(c, both, {}).outcome is Outcome.MET
    other = {**half, "promotes": found("promotes", "promote.py")}
    met = evaluate(c, other, {})
    assert met.outcome is Outcome.MET
    assert [e.path for e in met.evidence] == ["promote.py"]


def test_weak_evidence_meets_a_practice_but_flagged() -> None:
    c = criterion("MC-206", signals=("a",))
    f = evaluate(c, {"a": found("a", "nb.ipynb", weak=True)}, {})
    assert f.outcome is Outcome.MET
    assert f.weak
    assert f.message == "weak evidence for a"


def test_weak_evidence_never_meets_a_defining_criterion_alone() -> None:
    c = criterion("MC-202", signals=("a",), role="defining")
    f = evaluate(c, {"a": found("a", "nb.ipynb", weak=True)}, {})
    assert f.outcome is Outcome.UNMET
    assert "only weak evidence for a" in f.message
    assert [e.path for e in f.evidence] == ["nb.ipynb"]  # still shown
    strong_too = SignalResult(
        "a", True, (*found("a", "nb.ipynb", weak=True).evidence, *found("a", "t.py").evidence)
    )
    assert evaluate(c, {"a": strong_too}, {}).outcome is Outcome.MET


def test_a_defining_any_of_takes_the_strong_alternative() -> None:
    c = criterion("AI-304", any_of=("ci", "gate"), role="defining")
    signals = {"ci": found("ci", "ci.yml", weak=True), "gate": found("gate", "pipeline.py")}
    f = evaluate(c, signals, {})
    assert f.outcome is Outcome.MET
    assert [e.path for e in f.evidence] == ["pipeline.py"]
    weak_only = {**signals, "gate": absent("gate")}
    assert evaluate(c, weak_only, {}).outcome is Outcome.UNMET


def test_applies_if_absent_is_not_applicable() -> None:
    c = criterion("MR-203", applies_if=("files",), signals=("loads",))
    f = evaluate(c, {"files": absent("files"), "loads": absent("loads")}, {})
    assert f.outcome is Outcome.NOT_APPLICABLE
    g = evaluate(c, {"files": found("files"), "loads": absent("loads")}, {})
    assert g.outcome is Outcome.UNMET


def test_a_crashed_signal_is_an_error_outcome() -> None:
    c = criterion("MC-201", signals=("a",))
    f = evaluate(c, {"a": SignalResult("a", False, error="KeyError: 'x'")}, {})
    assert f.outcome is Outcome.ERROR
    assert "KeyError" in f.message
    assert evaluate(c, {}, {}).outcome is Outcome.ERROR


def test_questions_use_answers_and_unanswered_is_not_assessed() -> None:
    q = criterion("PE-201", question="Do you?")
    assert evaluate(q, {}, {}).outcome is Outcome.NOT_ASSESSED
    assert evaluate(q, {}, {"PE-201": True}).outcome is Outcome.MET
    assert evaluate(q, {}, {"PE-201": False}).outcome is Outcome.UNMET
    assert evaluate(q, {}, {"PE-201": None}).outcome is Outcome.NOT_APPLICABLE


def test_a_waiver_turns_unmet_into_waived_with_its_reason() -> None:
    c = criterion("MR-304", signals=("approval",), role="defining")
    w = Waiver("MR-304", "the change board approves releases", "2099-01-01")
    f = evaluate(c, {"approval": absent("approval")}, {}, waiver=w)
    assert f.outcome is Outcome.WAIVED
    assert f.passing and f.waiver == w
    assert "the change board approves releases" in f.message
    assert "without the waiver: unmet" in f.message
    # A met criterion stays met: the waiver is not needed.
    assert evaluate(c, {"approval": found("approval")}, {}, waiver=w).outcome is Outcome.MET


def _f(cid: str, outcome: Outcome, role: str = "defining", level: int | None = None) -> Finding:
    return Finding(criterion(cid, signals=("a",), role=role, level=level), outcome)


def test_a_dimension_gates_on_defining_criteria_only() -> None:
    findings = [
        _f("MC-101", Outcome.UNMET, role="practice"),  # a practice never gates
        _f("MC-201", Outcome.MET),
        _f("MC-202", Outcome.MET),
        _f("MC-206", Outcome.UNMET, role="practice"),
        _f("MC-401", Outcome.UNMET),
    ]
    dims = {d.id: d for d in dimension_levels(findings, overall=3)}
    mc = dims["model_creation"]
    # Level 1 has no defining criterion (credited), 2 is met, 3 is "as level 2" and
    # credited up to the overall level, 4 is missing MC-401.
    assert mc.level == 3
    assert mc.blockers == ("MC-401",)
    assert mc.next_level is not None and mc.next_level.level == 4
    assert [m.id for m in mc.next_level.missing] == ["MC-401"]
    assert (mc.practices_met, mc.practices_total) == (0, 2)


def test_levels_without_defining_criteria_are_credited_up_to_the_overall_level() -> None:
    def mr(outcome: Outcome, overall: int) -> int | None:
        findings = [_f("MR-301", outcome, level=3)]
        return {d.id: d.level for d in dimension_levels(findings, overall=overall)}["model_release"]

    # Levels 1-2 have no defining criterion of model release ("manual release").
    assert mr(Outcome.UNMET, 0) == 0
    assert mr(Outcome.UNMET, 2) == 2  # credited up to the overall level
    # Credited below a met defining level too: automatic release is level 3 of the dimension.
    assert mr(Outcome.MET, 1) == 3
    # Level 4 is "as level 3" for model release: credited only at overall level 4.
    assert mr(Outcome.MET, 3) == 3
    assert mr(Outcome.MET, 4) == 4


def test_the_gate_stops_at_the_first_defining_level_not_met() -> None:
    findings = [
        _f("MC-201", Outcome.MET),
        _f("MC-202", Outcome.UNMET),
        _f("MC-401", Outcome.MET),  # met, but level 2 is not complete: no credit
    ]
    mc = {d.id: d for d in dimension_levels(findings, overall=4)}["model_creation"]
    assert mc.level == 1
    assert mc.blockers == ("MC-202",)


def test_not_applicable_and_waived_pass_the_gate_and_not_assessed_does_not() -> None:
    findings = [
        _f("MR-301", Outcome.WAIVED),
        _f("AI-102", Outcome.NOT_APPLICABLE),
        _f("AI-304", Outcome.MET),
        _f("PE-201", Outcome.NOT_ASSESSED),
        _f("PE-301", Outcome.MET),
    ]
    dims = {d.id: d for d in dimension_levels(findings, overall=3)}
    assert dims["model_release"].level == 3
    assert dims["application_integration"].level == 3
    assert dims["people"].level == 1
    assert dims["people"].not_assessed == ("PE-201",)
    assert dims["people"].blockers == ("PE-201",)


def test_error_blocks_the_gate() -> None:
    findings = [_f("AI-102", Outcome.MET), _f("AI-304", Outcome.ERROR, level=3)]
    ai = {d.id: d for d in dimension_levels(findings, overall=1)}["application_integration"]
    assert ai.level == 1
    assert ai.blockers == ("AI-304",)


def _chain(**outcomes: Outcome) -> list[Finding]:
    levels = {
        "AI1": ("AI-102", 1),
        "MC2": ("MC-201", 2),
        "MR3": ("MR-301", 3),
        "MC4": ("MC-401", 4),
    }
    return [_f(levels[k][0], v, level=levels[k][1]) for k, v in outcomes.items()]


def test_overall_levels_two_to_four_are_a_chain_and_level_one_stands_alone() -> None:
    met, unmet = Outcome.MET, Outcome.UNMET
    assert overall_level(_chain(AI1=met, MC2=met, MR3=met, MC4=met))[0] == 4
    assert overall_level(_chain(AI1=met, MC2=met, MR3=unmet, MC4=met))[0] == 2
    assert overall_level(_chain(AI1=met, MC2=unmet, MR3=met, MC4=met))[0] == 1
    assert overall_level(_chain(AI1=unmet, MC2=unmet, MR3=met, MC4=met))[0] == 0
    # Training as code with tracking but no CI: level 2, and the reason says CI is missing.
    level, why = overall_level(_chain(AI1=unmet, MC2=met, MR3=met, MC4=unmet))
    assert level == 3
    assert "level 1" in why and "Application integration" in why


def test_not_applicable_dimensions_are_left_out_of_the_overall_level() -> None:
    findings = _chain(AI1=Outcome.MET, MC2=Outcome.UNMET)
    assert overall_level(findings)[0] == 1
    # With model creation not applicable, level 2 has nothing to judge: level 1 stands.
    assert overall_level(findings, {"model_creation": "no training here"})[0] == 1
    dims = {d.id: d for d in dimension_levels(findings, {"model_creation": "no training here"}, 1)}
    assert not dims["model_creation"].applicable
    assert dims["model_creation"].level is None
    assert dims["model_creation"].reason == "no training here"


def test_nothing_applicable_says_so() -> None:
    findings = _chain(AI1=Outcome.UNMET)
    level, why = overall_level(findings, {"application_integration": "no code"})
    assert level == 0
    assert why.startswith("nothing here can be assessed")
    assert "no code" in why


def test_a_dimension_with_only_unanswered_questions_is_not_assessed() -> None:
    q = criterion("PE-201", question="Do you?", role="defining")
    dims = {d.id: d for d in dimension_levels([Finding(q, Outcome.NOT_ASSESSED)])}
    assert dims["people"].level is None and dims["people"].applicable
    assert "not answered" in dims["people"].reason
    # ... and its defining criteria do not count for the overall level.
    assert overall_level([Finding(q, Outcome.NOT_ASSESSED), *_chain(AI1=Outcome.MET)])[0] == 1


def test_applicability_needs_any_of_its_signals_found() -> None:
    rules = (Applicability("model_release", ("serving", "registry"), "nothing is released"),)
    assert applicable_dimensions(
        rules, {"serving": absent("serving"), "registry": absent("registry")}
    ) == {"model_release": "nothing is released"}
    weakly = {"serving": found("serving", "nb.ipynb", weak=True), "registry": absent("registry")}
    assert applicable_dimensions(rules, weakly) == {}
