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


def test_only_people_steps_lack_a_component() -> None:
    rubric = load_rubric()
    assert [c.id for c in rubric.criteria if c.remediation.component is None] == [
        c.id for c in rubric.criteria if c.dimension == "people"
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
        ("title", KeyError, "criterion MC-101: field 'title': is required"),
        ("level", 7, "criterion MC-101: field 'level': must be a whole number from 1 to 4"),
        ("level", 2, "criterion MC-101: field 'level': is 2 but the id says level 1"),
        ("dimension", "vibes", "criterion MC-101: field 'dimension': must be one of"),
        ("remediation.effort.size", "XL", "remediation: field 'effort.size': must be one of S"),
        ("remediation.effort.days", [5, 1], "field 'effort.days': must be [low, high]"),
        ("remediation.effort.days", [1, 20], "is outside size M's range"),
        ("remediation.component", "Not A Name", "field 'component': must be a catalog"),
        ("detection.question", "Really?", "has both a question and signals"),
        ("detection.signals", KeyError, "needs either 'signals'/'any_of' or a 'question'"),
        ("covers", ["L9.x.1"], "names unknown model statement 'L9.x.1'"),
        ("surprise", 1, "criterion MC-101: unknown field 'surprise'"),
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
    assert err.value.message.startswith(f"{file}: invalid YAML at line ")


def test_missing_file_and_wrong_schema(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match="does not exist"):
        load_rubric(tmp_path / "nope.yaml")
    file = tmp_path / "other.yaml"
    file.write_text("schema: something-else\n", encoding="utf-8")
    with pytest.raises(FactoryError, match="field 'schema': must be 'mlops-factory/rubric/v1'"):
        load_rubric(file)
