from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlops_factory._assess.model import Assessment, Evidence, Finding, Outcome
from mlops_factory._assess.render import render
from tests.assess import _fixtures as fx

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # The copy declares draft-04; validator_for picks what the schema declares.
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _sarif(assessment: Assessment | None = None, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render(assessment or fx.assessment(), "sarif", **kw))
    return data


def _check(log: dict[str, Any], validator: Any) -> None:
    validator.validate(log)
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        ids = [r["id"] for r in rules]
        assert len(ids) == len(set(ids))
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


@pytest.mark.parametrize(
    "assessment",
    [fx.assessment(), fx.all_met_assessment()],
    ids=["mixed", "all-met"],
)
@pytest.mark.parametrize("with_rubric", [True, False])
def test_validates_against_sarif_2_1_0(
    validator: Any, assessment: Assessment, with_rubric: bool
) -> None:
    log = _sarif(assessment, rubric=fx.rubric() if with_rubric else None)
    assert log["version"] == "2.1.0"
    _check(log, validator)


def test_one_result_per_unmet_error_or_not_assessed_finding() -> None:
    a = fx.assessment()
    results = _sarif(a)["runs"][0]["results"]
    counts = a.counts()
    assert len(results) == counts["unmet"] + counts["error"] + counts["not_assessed"] == 6
    assert {r["ruleId"]: r["level"] for r in results} == {
        "PE-101": "note",
        "PE-201": "note",
        "MC-202": "warning",
        "MC-401": "warning",
        "MR-201": "error",
        "AI-201": "warning",
    }
    assert _sarif(fx.all_met_assessment())["runs"][0]["results"] == []


def test_locations_come_from_evidence_or_the_repo_root() -> None:
    results = {r["ruleId"]: r for r in _sarif()["runs"][0]["results"]}
    root = [{"physicalLocation": {"artifactLocation": {"uri": "./", "uriBaseId": "SRCROOT"}}}]
    assert results["MC-202"]["locations"] == root
    assert results["MR-201"]["locations"] == root
    assert results["AI-201"]["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "tests/my%20dir/", "uriBaseId": "SRCROOT"}
            },
            "message": {"text": "no test calls the model"},
        }
    ]


def test_evidence_line_and_snippet_become_a_region() -> None:
    finding = Finding(
        fx.MC2V,
        Outcome.UNMET,
        (
            Evidence("train.ipynb", 4, "mlflow.log_model(m)", note="notebook only", weak=True),
            Evidence(None, note="not in a file"),
        ),
    )
    log = _sarif(fx.assessment(findings=(finding,)))
    (result,) = log["runs"][0]["results"]
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "train.ipynb", "uriBaseId": "SRCROOT"},
                "region": {"startLine": 4, "snippet": {"text": "mlflow.log_model(m)"}},
            },
            "message": {"text": "notebook only (weak evidence)"},
        }
    ]


def test_result_messages_say_what_to_do() -> None:
    results = {r["ruleId"]: r for r in _sarif()["runs"][0]["results"]}
    assert results["MC-202"]["message"]["text"] == (
        "Title of MC-202: unmet. Do the work for MC-202. Run: mlops-factory add comp ."
    )
    assert results["MR-201"]["message"]["text"] == (
        "Title of MR-201: error. signal ci_runs_tests failed: ValueError: bad <yaml>."
    )
    assert results["PE-101"]["message"]["text"] == (
        "Title of PE-101: not assessed. unanswered. Answer the questionnaire "
        "(--answers FILE): Do software engineers receive the model through a documented "
        "hand-off?"
    )


def test_one_rule_per_criterion_with_its_texts_and_properties() -> None:
    rules = _sarif()["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in fx.CRITERIA]
    rule = next(r for r in rules if r["id"] == "MC-201")
    assert rule["name"] == "TitleOfMC201"
    assert rule["shortDescription"] == {"text": "Title of MC-201"}
    assert rule["fullDescription"] == {"text": "Why MC-201 matters."}
    assert rule["help"]["text"] == "Do the work for MC-201."
    assert rule["help"]["markdown"].splitlines() == [
        "Do the work for MC-201.",
        "",
        "- **Effort:** M (3–5 days)",
        "- **Success criterion:** Success for MC-201.",
        "- **Deliverable:** Deliverable for MC-201.",
        "- **Catalog component:** `mlflow-tracking`",
        "",
        "Full text: `mlops-factory explain MC-201`",
    ]
    assert rule["properties"] == {
        "level": 2,
        "levelName": "Automated training",
        "dimension": "model_creation",
        "kind": "signal",
        "role": "defining",
        "restsOn": ["L2.mc.3"],
        "effort": {"size": "M", "days": [3.0, 5.0]},
        "component": "mlflow-tracking",
        "tags": ["mlops-maturity", "model_creation", "level-2"],
    }


def test_rubric_adds_rules_for_criteria_without_findings(validator: Any) -> None:
    extra = fx.criterion("AI-401", 4, "application_integration", signals=("unit_tests",))
    rubric = fx.rubric((extra, *fx.CRITERIA))
    log = _sarif(rubric=rubric)
    _check(log, validator)
    ids = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert ids == ["AI-401", *(c.id for c in fx.CRITERIA)]
    without = _sarif()["runs"][0]["tool"]["driver"]["rules"]
    assert "AI-401" not in [r["id"] for r in without]


def test_run_carries_tool_version_invocation_and_overall_level() -> None:
    run = _sarif()["runs"][0]
    assert run["tool"]["driver"]["name"] == "mlops-factory"
    assert run["tool"]["driver"]["version"] == "0.1.0"
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["endTimeUtc"] == "2026-01-02T03:04:05.000Z"
    assert invocation["startTimeUtc"] == "2026-01-02T03:04:04.750Z"
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [
        "Not read: binary file",
        "Not read: binary file",
        "Not read: symlink points outside the repository",
    ]
    assert run["properties"] == {
        "level": 1,
        "levelName": "DevOps but no MLOps",
        "peopleAssessed": False,
        "dimensions": {
            "people": None,
            "model_creation": 1,
            "model_release": 1,
            "application_integration": 1,
        },
        "nextLevels": {
            "people": None,
            "model_creation": None,
            "model_release": None,
            "application_integration": None,
        },
        "repoKind": "project",
        "levelReason": "",
        "rubric": {"id": "test-rubric", "version": "0.9"},
        "targetLevel": 2,
    }
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": "file:///srv/repos/demo/"}}


def test_relative_repo_path_and_odd_timestamp_are_left_out(validator: Any) -> None:
    a = fx.assessment(
        repo=dataclasses.replace(fx.REPO, path="relative/demo"), generated_at="yesterday"
    )
    log = _sarif(a)
    _check(log, validator)
    run = log["runs"][0]
    assert "originalUriBaseIds" not in run
    assert run["invocations"][0] == {
        "executionSuccessful": True,
        "toolExecutionNotifications": run["invocations"][0]["toolExecutionNotifications"],
    }


def test_the_schema_check_rejects_a_broken_log(validator: Any) -> None:
    log = _sarif()
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(log)


def test_a_waived_finding_is_a_result_with_a_suppression_and_its_justification(
    validator: Any,
) -> None:
    from mlops_factory._assess.model import Finding, Outcome, Waiver

    waived = Finding(
        fx.MC2V,
        Outcome.WAIVED,
        message="waived",
        waiver=Waiver("MC-202", "registry lives in the platform team's repo", "2099-12-31"),
    )
    log = _sarif(fx.assessment(findings=(waived,)))
    _check(log, validator)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "MC-202"
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "registry lives in the platform team's repo (until 2099-12-31)",
        }
    ]
