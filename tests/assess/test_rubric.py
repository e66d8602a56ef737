"""The rubric: the built-in one is complete, and bad rubrics fail with precise errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_factory._assess.model import DIMENSIONS
from mlops_factory._assess.rubric import load_rubric, parse_rubric
from mlops_factory._errors import FactoryError
from mlops_factory._resources import default_rubric_path, templates_dir


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(default_rubric_path().read_text(encoding="utf-8"))
    return data


def test_builtin_rubric_loads_with_known_signals() -> None:
    rubric = load_rubric()
    assert rubric.id == "mlops-maturity"
    assert len(rubric.criteria) >= 30
    assert {c.dimension for c in rubric.criteria} == set(DIMENSIONS)
    for dim in DIMENSIONS:
        levels = {c.level for c in rubric.criteria if c.dimension == dim}
        assert {1, 4} <= levels, dim


def test_every_model_statement_is_covered() -> None:
    rubric = load_rubric()
    covered = {s for c in rubric.criteria for s in c.covers}
    assert rubric.statements, "the rubric must list the model's statements"
    assert [s.id for s in rubric.statements if s.id not in covered] == []
    # Every level of the model's tables is represented.
    assert {s.level for s in rubric.statements} == {0, 1, 2, 3, 4}


def test_questions_are_people_and_people_are_questions() -> None:
    rubric = load_rubric()
    for c in rubric.criteria:
        assert (c.dimension == "people") == c.detection.is_question, c.id


def test_components_named_by_the_rubric_exist_in_the_catalog() -> None:
    catalog = yaml.safe_load((templates_dir() / "catalog.yaml").read_text(encoding="utf-8"))
    names = set(catalog["components"]) | set(catalog.get("groups", {}))
    rubric = load_rubric()
    missing = {
        c.remediation.component
        for c in rubric.criteria
        if c.remediation.component and c.remediation.component not in names
    }
    assert missing == set()


def test_only_people_steps_and_hand_work_lack_a_component() -> None:
    rubric = load_rubric()
    # Resolving merge conflicts (AI-105) is work no component can do.
    assert [c.id for c in rubric.criteria if c.remediation.component is None] == [
        *(c.id for c in rubric.criteria if c.dimension == "people"),
        "AI-105",
    ]


def _break(raw: dict[str, Any], index: int, path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    node = data["criteria"][index]
    *parents, last = path.split(".")
    for p in parents:
        node = node[p]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("title", KeyError, "criteria[7] (MC-101): missing required field 'title'"),
        ("level", 7, "(MC-101): field 'level': Input should be less than or equal to 4, got 7"),
        ("role", "gating", "(MC-101): field 'role': Input should be 'defining' or 'practice'"),
        ("id", "MC-1", "field 'id': must look like MC-201 (two letters, three digits)"),
        ("dimension", "vibes", "(MC-101): field 'dimension': Input should be 'people'"),
        ("remediation.effort.size", "XL", "field 'remediation.effort.size': Input should be 'S'"),
        ("remediation.effort.days", [5, 1], "field 'remediation.effort.days': must be [low, high]"),
        ("remediation.effort.days", [1, 20], "is outside size M's range"),
        (
            "remediation.component",
            "Not A Name",
            "field 'remediation.component': must look like a catalog component name",
        ),
        ("detection.question", "Really?", "has both a question and signals"),
        ("detection.signals", KeyError, "needs either 'signals'/'any_of' or a 'question'"),
        ("covers", ["L9.x.1"], "names unknown model statement 'L9.x.1'"),
        ("surprise", 1, "criteria[7] (MC-101): unknown field 'surprise'"),
    ],
)
def test_malformed_criterion_names_file_criterion_and_field(
    raw: dict[str, Any], path: str, value: Any, expected: str
) -> None:
    index = next(i for i, c in enumerate(raw["criteria"]) if c["id"] == "MC-101")
    with pytest.raises(FactoryError) as err:
        parse_rubric(_break(raw, index, path, value), "custom.yaml")
    assert err.value.message.startswith("custom.yaml: ")
    assert expected in err.value.message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"role": "defining"}, "a defining criterion must name the model statement"),
        ({"role": "defining", "rests_on": ["L9.x.1"]}, "names unknown model statement 'L9.x.1'"),
        (
            {"role": "defining", "rests_on": ["L2.mc.1"]},
            "statement L2.mc.1 is of level 2, the criterion of 1",
        ),
        ({"evidence": {"strong": "x"}}, "missing required field 'evidence.weak'"),
        (
            {"detection": {"description": "d", "any_of": [["a", 3]]}},
            "field 'detection.any_of': must list signal names",
        ),
    ],
)
def test_roles_rests_on_and_evidence_rules_are_validated(
    raw: dict[str, Any], change: dict[str, Any], expected: str
) -> None:
    data = copy.deepcopy(raw)
    node = next(c for c in data["criteria"] if c["id"] == "MC-101")
    node.pop("role", None)
    node.update(change)
    with pytest.raises(FactoryError) as err:
        parse_rubric(data, "custom.yaml")
    assert expected in err.value.message


def test_a_criterion_may_move_level_and_keep_its_id(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    node = next(c for c in data["criteria"] if c["id"] == "MC-101")
    node["level"] = 2
    node["covers"] = ["L2.mc.1"]
    moved = parse_rubric(data, "custom.yaml").get("MC-101")
    assert moved is not None and moved.level == 2


def test_builtin_defining_criteria_rest_on_the_model_and_each_level_has_some() -> None:
    rubric = load_rubric()
    defining = [c for c in rubric.criteria if c.defining]
    # The defining capability of each level (issue 9): L1 CI build and tests, L2 training
    # as code with tracking and a registry, L3 automatic validated release, L4 retraining
    # from production metrics with central metrics from the deployed model.
    by_level = {lvl: {c.id for c in defining if c.level == lvl} for lvl in (1, 2, 3, 4)}
    assert {"AI-102", "AI-104"} <= by_level[1]
    assert {"MC-201", "MC-202", "MC-203"} <= by_level[2]
    assert {"MR-301", "AI-304"} <= by_level[3]
    assert {"MC-401", "AI-401"} <= by_level[4]
    for c in defining:
        assert c.rests_on, c.id
        if c.dimension != "people":
            assert c.evidence.strong and c.evidence.weak, c.id
    # Good practices the model does not ask for at their level never gate.
    for cid in ("MC-206", "MR-202", "MR-303", "MR-304", "MC-402", "MR-401", "AI-302", "MR-101"):
        assert not rubric.get(cid).defining, cid  # type: ignore[union-attr]
    assert {a.dimension for a in rubric.applicability} == {
        "model_creation",
        "model_release",
        "application_integration",
    }


def test_duplicate_ids_are_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["criteria"].append(copy.deepcopy(data["criteria"][0]))
    with pytest.raises(FactoryError, match="id 'PE-101' is used twice"):
        parse_rubric(data, "custom.yaml")


def test_unknown_signal_is_refused_with_a_suggestion(raw: dict[str, Any], tmp_path: Path) -> None:
    index = next(i for i, c in enumerate(raw["criteria"]) if c["id"] == "MC-101")
    data = _break(raw, index, "detection.signals", ["data_pipelin"])
    file = tmp_path / "custom.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(FactoryError) as err:
        load_rubric(file)
    assert "criterion MC-101" in err.value.message
    assert "unknown signal 'data_pipelin'" in err.value.message
    assert err.value.hint == "did you mean 'data_pipeline'?"


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "broken.yaml"
    file.write_text("schema: mlops-factory/rubric/v1\ncriteria: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(FactoryError) as err:
        load_rubric(file)
    assert err.value.message.startswith(f"rubric file {file}: invalid YAML at line 3, column 3")


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "huge"])
def test_a_rubric_path_that_is_no_regular_small_file_is_refused_at_once(
    tmp_path: Path, kind: str
) -> None:
    import os

    path = tmp_path / "rubric.yaml"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would block forever
    elif kind == "device":
        path = Path("/dev/zero")  # reading it would never end
    elif kind == "folder":
        path.mkdir()
    else:
        path.write_bytes(b"# " + b"x" * (5 * 1024 * 1024) + b"\n")
    with pytest.raises(FactoryError) as err:
        load_rubric(path)
    assert err.value.message.startswith(f"rubric file {path}")
    assert err.value.hint and "--rubric" in err.value.hint


def test_missing_file_and_wrong_schema(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match="does not exist"):
        load_rubric(tmp_path / "nope.yaml")
    file = tmp_path / "other.yaml"
    file.write_text("schema: something-else\n", encoding="utf-8")
    with pytest.raises(
        FactoryError, match="top level: field 'schema': Input should be 'mlops-factory/rubric/v1'"
    ):
        load_rubric(file)
