"""Outcomes from signals and answers; gated levels from outcomes."""

from __future__ import annotations

from mlops_factory._assess.model import Finding, Outcome, SignalResult
from mlops_factory._assess.scoring import dimension_levels, evaluate, overall_level
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


def test_weak_evidence_is_met_but_flagged() -> None:
    c = criterion("MC-202", signals=("a",))
    f = evaluate(c, {"a": found("a", "nb.ipynb", weak=True)}, {})
    assert f.outcome is Outcome.MET
    assert f.weak
    assert f.message == "weak evidence for a"


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


def _f(cid: str, outcome: Outcome) -> Finding:
    return Finding(criterion(cid, signals=("a",)), outcome)


def test_gate_stops_at_the_first_level_not_fully_met() -> None:
    findings = [
        _f("MC-101", Outcome.MET),
        _f("MC-201", Outcome.MET),
        _f("MC-202", Outcome.UNMET),
        _f("MC-301", Outcome.MET),  # met, but level 2 is not complete: no credit
        _f("MC-401", Outcome.MET),
    ]
    dims = {d.id: d for d in dimension_levels(findings)}
    assert dims["model_creation"].level == 1
    assert dims["model_creation"].blockers == ("MC-202",)


def test_not_applicable_passes_the_gate_and_not_assessed_does_not() -> None:
    findings = [
        _f("MR-101", Outcome.MET),
        _f("MR-201", Outcome.NOT_APPLICABLE),
        _f("MR-301", Outcome.MET),
        _f("MR-401", Outcome.MET),
        _f("PE-101", Outcome.MET),
        _f("PE-201", Outcome.NOT_ASSESSED),
    ]
    dims = {d.id: d for d in dimension_levels(findings)}
    assert dims["model_release"].level == 4
    assert dims["people"].level == 1
    assert dims["people"].not_assessed == ("PE-201",)
    assert dims["people"].blockers == ("PE-201",)


def test_a_dimension_with_nothing_assessed_has_no_level_and_is_left_out() -> None:
    findings = [
        _f("PE-101", Outcome.NOT_ASSESSED),
        _f("PE-201", Outcome.NOT_ASSESSED),
        _f("MC-101", Outcome.MET),
        _f("MR-101", Outcome.UNMET),
        _f("AI-101", Outcome.MET),
    ]
    dims = dimension_levels(findings)
    by_id = {d.id: d for d in dims}
    assert by_id["people"].level is None and not by_id["people"].assessed
    assert by_id["model_creation"].level == 4  # no criteria above level 1 in this set
    assert by_id["model_release"].level == 0
    assert overall_level(dims) == 0
    assert overall_level([d for d in dims if d.id != "model_release"]) == 4


def test_error_blocks_the_gate() -> None:
    findings = [_f("AI-101", Outcome.MET), _f("AI-301", Outcome.ERROR)]
    dims = {d.id: d for d in dimension_levels(findings)}
    assert dims["application_integration"].level == 2
    assert overall_level([]) == 0
