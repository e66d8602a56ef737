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
    assert err.value.hint is not None
    assert err.value.hint.startswith("did you mean PE-101")
    assert "`mlops-factory explain --list`" in err.value.hint


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


TEMPLATE_HINT = (
    "`mlops-factory assess --no-input --save-answers answers.yaml` writes every question "
    "to fill in with yes, no or n/a"
)


@pytest.mark.parametrize("text", ["", "# nothing but a comment\n", "---\n"])
def test_an_empty_answers_file_is_an_error(tmp_path: Path, text: str) -> None:
    file = _write(tmp_path, text)
    with pytest.raises(FactoryError) as info:
        load_answers(file, RUBRIC)
    assert info.value.message == f"{file}: the answers file is empty"
    assert info.value.hint == TEMPLATE_HINT


def test_a_file_without_the_answers_mapping_is_an_error(tmp_path: Path) -> None:
    file = _write(tmp_path, "rubric: mlops-maturity\n")
    with pytest.raises(FactoryError) as info:
        load_answers(file, RUBRIC)
    assert info.value.message == f"{file}: no 'answers:' mapping of question id to yes / no / n/a"
    assert info.value.hint == TEMPLATE_HINT


def test_ids_at_the_top_level_are_refused(tmp_path: Path) -> None:
    file = _write(tmp_path, "PE-101: yes\n")  # the `answers:` key forgotten
    with pytest.raises(FactoryError, match="unknown field 'PE-101'"):
        load_answers(file, RUBRIC)


@pytest.mark.parametrize("value", ["maybe", "1", "[yes]", "{a: b}", "sometimes"])
def test_values_other_than_yes_no_na_are_errors_with_a_hint(tmp_path: Path, value: str) -> None:
    with pytest.raises(FactoryError) as info:
        load_answers(_write(tmp_path, f"answers:\n  PE-101: {value}\n"), RUBRIC)
    assert "PE-101" in info.value.message
    assert info.value.hint


def test_an_empty_answer_leaves_the_question_not_assessed(tmp_path: Path) -> None:
    file = _write(tmp_path, 'answers:\n  PE-101:\n  PE-201: ""\n  PE-202: no\n')
    assert load_answers(file, RUBRIC) == {"PE-202": False}


def test_save_without_answers_writes_the_questionnaire_to_fill_in(tmp_path: Path) -> None:
    file = tmp_path / "questionnaire.yaml"
    save_answers(file, {}, RUBRIC)
    text = file.read_text(encoding="utf-8")
    for c in RUBRIC.questions():
        assert f"\n  {c.id}:\n" in text
        assert f"  # {' '.join(c.title.split())}\n" in text
        assert c.detection.question is not None
        assert f"  # {' '.join(c.detection.question.split())}\n" in text
    assert load_answers(file, RUBRIC) == {}  # loads as "nothing answered yet"
    # Filled in by hand, it is an answers file.
    filled = text.replace("\n  PE-101:\n", "\n  PE-101: yes\n")
    file.write_text(filled, encoding="utf-8")
    assert load_answers(file, RUBRIC) == {"PE-101": True}


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
