from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlops_factory._assess.model import SCHEMA_VERSION, Assessment
from mlops_factory._assess.render import render
from tests.assess import _fixtures as fx

DOCS = Path(__file__).resolve().parents[2] / "docs"
ASSESSMENTS = [fx.assessment(), fx.all_met_assessment()]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((DOCS / "assessment.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _keys(value: Any, prefix: str = "") -> set[str]:
    """Every key of every object, nested."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            out.add(key)
            out |= _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            out |= _keys(inner)
    return out


@pytest.mark.parametrize("assessment", ASSESSMENTS, ids=["mixed", "all-met"])
def test_json_is_to_dict_indented(assessment: Assessment) -> None:
    text = render(assessment, "json")
    assert text == json.dumps(assessment.to_dict(), indent=2) + "\n"
    assert json.loads(text) == assessment.to_dict()


@pytest.mark.parametrize("assessment", ASSESSMENTS, ids=["mixed", "all-met"])
def test_renderer_output_validates_against_the_published_schema(
    validator: jsonschema.Draft202012Validator, assessment: Assessment
) -> None:
    validator.validate(json.loads(render(assessment, "json")))


def test_the_contract_fields_from_the_issue_are_there() -> None:
    data = json.loads(render(fx.assessment(), "json"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["level"] == 1
    assert [(d["id"], d["level"]) for d in data["dimensions"]] == [
        ("people", None),
        ("model_creation", 1),
        ("model_release", 1),
        ("application_integration", 1),
    ]
    finding = data["findings"][2]
    assert {k: finding[k] for k in ("id", "level", "dimension", "outcome")} == {
        "id": "MC-101",
        "level": 1,
        "dimension": "model_creation",
        "outcome": "met",
    }
    assert finding["evidence"][0] == {
        "path": "pipelines/data.yml",
        "line": 3,
        "snippet": "type: pipeline",
        "note": "",
        "weak": False,
        "strength": "strong",
    }
    assert [s["order"] for s in data["plan"]["steps"]] == [1, 2, 3]
    # The 2.0 fields: kind, applicability, next level, role, strength, waivers.
    assert data["repo"]["kind"] == "project"
    dims = {d["id"]: d for d in data["dimensions"]}
    assert dims["model_creation"]["applicable"] is True
    assert set(dims["model_creation"]) >= {"reason", "next_level", "practices"}
    assert finding["role"] in ("defining", "practice")
    assert finding["waiver"] is None


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("top", lambda d: d.pop("level")),
        ("top", lambda d: d.update(extra=1)),
        ("finding", lambda d: d["findings"][0].update(outcome="passed")),
        ("finding", lambda d: d["findings"][0].pop("evidence")),
        ("evidence", lambda d: d["findings"][2]["evidence"][0].update(line=0)),
        ("dimension", lambda d: d["dimensions"][0].update(id="ethics")),
        ("plan", lambda d: d["plan"]["steps"][0]["effort"].update(size="XL")),
        ("version", lambda d: d.update(schema_version="1.0")),
        ("finding", lambda d: d["findings"][0].update(role="optional")),
        ("evidence", lambda d: d["findings"][2]["evidence"][0].update(strength="medium")),
        ("repo", lambda d: d["repo"].update(kind="library")),
    ],
)
def test_the_schema_is_strict(
    validator: jsonschema.Draft202012Validator, where: str, change: Any
) -> None:
    data = copy.deepcopy(fx.assessment().to_dict())
    change(data)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)


def test_every_field_is_documented() -> None:
    doc = (DOCS / "assessment-json.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", doc))
    missing = _keys(fx.assessment().to_dict()) - documented
    assert missing == set()


def test_the_doc_states_the_current_schema_version() -> None:
    doc = (DOCS / "assessment-json.md").read_text(encoding="utf-8")
    assert f'currently `"{SCHEMA_VERSION}"`' in doc


def test_the_doc_example_is_valid(validator: jsonschema.Draft202012Validator) -> None:
    doc = (DOCS / "assessment-json.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```json\n(.*?)```", doc, re.DOTALL)
    validator.validate(json.loads(example))
