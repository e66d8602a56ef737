"""Answers files and interactive questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._assess.questions import ask_questions, load_answers, save_answers
from mlops_factory._assess.rubric import load_rubric
from mlops_factory._errors import FactoryError

RUBRIC = load_rubric(check_signals=False)


def _write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "answers.yml"
    file.write_text(text, encoding="utf-8")
    return file


def test_yes_no_na_and_skip(tmp_path: Path) -> None:
    file = _write(
        tmp_path,
        "rubric: mlops-maturity\nanswers:\n  PE-101: yes\n  pe-201: no\n"
        "  PE-202: n/a\n  PE-301: skip\n  PE-302: true\n",
    )
    assert load_answers(file, RUBRIC) == {
        "PE-101": True,
        "PE-201": False,
        "PE-202": None,
        "PE-302": True,
    }


def test_unknown_id_suggests_the_close_one(tmp_path: Path) -> None:
    with pytest.raises(FactoryError) as err:
        load_answers(_write(tmp_path, "answers:\n  PE-1O1: yes\n"), RUBRIC)
    assert (
        err.value.message == f"{tmp_path / 'answers.yml'}: answers: 'PE-1O1' is not in the rubric"
    )
    assert err.value.hint == "did you mean PE-101?"


def test_signal_criterion_cannot_be_answered(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match="'MC-101' is not a question"):
        load_answers(_write(tmp_path, "answers:\n  MC-101: yes\n"), RUBRIC)


def test_bad_value_bad_yaml_wrong_rubric_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match="PE-101: 'maybe' is not an answer"):
        load_answers(_write(tmp_path, "answers:\n  PE-101: maybe\n"), RUBRIC)
    with pytest.raises(FactoryError, match="invalid YAML at line"):
        load_answers(_write(tmp_path, "answers: [\n"), RUBRIC)
    with pytest.raises(FactoryError, match="answers are for rubric 'other'"):
        load_answers(_write(tmp_path, "rubric: other\nanswers: {}\n"), RUBRIC)
    with pytest.raises(FactoryError, match="does not exist"):
        load_answers(tmp_path / "missing.yml", RUBRIC)


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    answers = {"PE-101": True, "PE-202": False, "PE-401": None}
    file = tmp_path / "sub" / "saved.yml"
    save_answers(file, answers, RUBRIC)
    assert load_answers(file, RUBRIC) == answers
    assert "# Models reach software engineers" in file.read_text(encoding="utf-8")
    assert list(file.parent.iterdir()) == [file]  # no temp file left behind


def test_ask_questions_asks_only_the_unknown_ones() -> None:
    asked: list[str] = []

    def prompt(title: str, question: str) -> str:
        asked.append(title.split()[0])
        return {"PE-201": "no", "PE-202": "n/a"}.get(title.split()[0], "skip")

    out = ask_questions(RUBRIC, {"PE-101": True}, prompt)
    assert asked == [c.id for c in RUBRIC.questions() if c.id != "PE-101"]
    assert out == {"PE-101": True, "PE-201": False, "PE-202": None}


def test_aborted_prompt_is_an_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt):
        ask_questions(RUBRIC, {}, lambda title, question: None)


def test_answers_file_schema_names_file_and_field(tmp_path: Path) -> None:
    file = _write(tmp_path, "answer:\n  PE-101: yes\n")  # a typo of the top-level key
    with pytest.raises(FactoryError) as info:
        load_answers(file, RUBRIC)
    assert info.value.message == f"{file}: top level: unknown field 'answer'"
    assert info.value.hint == "allowed fields: rubric, answers"
    file = _write(tmp_path, "answers: [yes, no]\n")
    with pytest.raises(FactoryError) as info:
        load_answers(file, RUBRIC)
    assert info.value.message.startswith(
        f"{file}: top level: field 'answers': Input should be a valid dictionary"
    )
