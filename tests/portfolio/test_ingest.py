"""Reading `assess --format json` results: what is accepted, what is refused and how."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from mlops_factory._errors import FactoryError
from mlops_factory._portfolio.ingest import MAX_JSON_BYTES, decompress, load_json_file, score_of


@pytest.fixture(scope="module")
def document(assessment_json: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(assessment_json.read_text())
    return data


def test_a_real_result_is_read_with_its_levels_and_top_steps(
    assessment_json: Path, document: dict[str, Any]
) -> None:
    score, payload = load_json_file(assessment_json)
    assert decompress(payload) == document
    assert (score.level, score.rubric_id, score.people_assessed) == (3, "mlops-maturity", False)
    assert dict(score.dimensions) == {
        "people": None,
        "model_creation": 3,
        "model_release": 3,
        "application_integration": 3,
    }
    assert dict(score.counts) == document["counts"]
    assert score.plan_steps == len(document["plan"]["steps"])
    assert [s.to_dict() for s in score.top_steps] == [
        {k: step[k] for k in ("order", "level", "dimension", "title", "criteria", "effort")}
        | {"component": step["component"]}
        for step in document["plan"]["steps"][:3]
    ]
    assert score.head == document["repo"]["head"] and score.head is not None


def test_a_newer_minor_version_with_extra_fields_is_read(document: dict[str, Any]) -> None:
    data = copy.deepcopy(document)
    data["schema_version"] = "2.7"
    data["new_field"] = {"anything": True}
    data["dimensions"].append({"id": "security", "level": 2})
    score = score_of(data, "x.json")
    assert score.level == 3 and "security" not in score.dimensions


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.update(schema_version="3.0"),
            "x.json: schema_version '3.0' is not supported (this mlops-factory reads 2.x)",
        ),
        (
            lambda d: d.pop("schema_version"),
            "x.json: top level: missing required field 'schema_version'",
        ),
        (lambda d: d.pop("level"), "x.json: top level: missing required field 'level'"),
        (
            lambda d: d.update(level=7),
            ("x.json: top level: field 'level': Input should be less than or equal to 4, got 7"),
        ),
        (
            lambda d: d.update(level=True),
            "x.json: top level: field 'level': Input should be a valid integer, got True",
        ),
        (
            lambda d: d["dimensions"][1].update(level="3"),
            "x.json: dimensions[1] (model_creation): field 'level': "
            "Input should be a valid integer, got '3'",
        ),
        (
            lambda d: d["repo"].update(name=None),
            "x.json: top level: field 'repo.name': Input should be a valid string, got None",
        ),
        (
            lambda d: d["plan"]["steps"][0]["effort"].update(days=[1]),
            "x.json: plan.steps[0]: field 'effort.days': "
            "List should have at least 2 items after validation, not 1, got [1]",
        ),
        (
            lambda d: d["counts"].pop("met"),
            "x.json: top level: missing required field 'counts.met'",
        ),
        (
            lambda d: d.update(dimensions={}),
            "x.json: top level: field 'dimensions': Input should be a valid list, got {}",
        ),
    ],
)
def test_wrong_shapes_name_the_file_and_the_field(
    document: dict[str, Any], change: Any, message: str
) -> None:
    data = copy.deepcopy(document)
    change(data)
    with pytest.raises(FactoryError) as info:
        score_of(data, "x.json")
    assert info.value.message == message
    assert info.value.hint is not None and "assess --format json" in info.value.hint


def test_not_an_object_at_all() -> None:
    with pytest.raises(FactoryError) as info:
        score_of([1, 2], "list.json")
    assert info.value.message == (
        "list.json: top level: Input should be a valid dictionary or instance of Assessment, "
        "got [1, 2]"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "invalid JSON at line 1, column 1: Expecting value"),
        (b"\xff\xfe{}", "not UTF-8 text, so not an assessment JSON file"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "bad.json"
    file.write_bytes(content)
    with pytest.raises(FactoryError) as info:
        load_json_file(file)
    assert info.value.message == f"{file}: {message}"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_or_a_huge_file_is_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # nobody writes it: reading would block forever
    with pytest.raises(FactoryError, match="not a regular file"):
        load_json_file(fifo)
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_JSON_BYTES + 1)
    with pytest.raises(FactoryError, match="larger than the read cap"):
        load_json_file(huge)
