"""`mlops-factory assess` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_factory._cli import main
from tests.assess.levels import level_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return level_repo(tmp_path_factory.mktemp("cli") / "repo", 1)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("answers") / "answers.yml"
    file.write_text("rubric: mlops-maturity\nanswers:\n  PE-101: yes\n  PE-201: no\n")
    return file


def test_json_to_stdout_is_the_documented_contract(
    repo: Path, answers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["assess", str(repo), "--answers", str(answers), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == "2.0"
    assert data["level"] == 1
    assert [d["id"] for d in data["dimensions"]] == [
        "people",
        "model_creation",
        "model_release",
        "application_integration",
    ]
    assert {"id", "level", "dimension", "outcome", "evidence"} <= set(data["findings"][0])
    assert data["plan"]["target_level"] == 2 and data["plan"]["steps"]


@pytest.mark.parametrize(
    ("fmt", "start"),
    [("markdown", "#"), ("html", "<!doctype html>"), ("sarif", "{"), ("terminal", "")],
)
def test_every_format_writes_its_file(
    repo: Path, tmp_path: Path, fmt: str, start: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"report.{fmt}"
    assert main(["assess", str(repo), "--no-input", "--format", fmt, "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.lower().startswith(start)
    assert "Model creation" in text or "model_creation" in text
    assert capsys.readouterr().out == ""  # the report went to the file only


def test_fail_under_gates(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["assess", str(repo), "--no-input", "--format", "json"]
    assert main([*argv, "--fail-under", "1"]) == 0
    assert main([*argv, "--fail-under", "3"]) == 1
    assert "level 1 is below --fail-under 3" in capsys.readouterr().err


def test_save_answers_records_what_was_used(repo: Path, answers: Path, tmp_path: Path) -> None:
    saved = tmp_path / "saved.yml"
    argv = ["assess", str(repo), "--answers", str(answers), "--save-answers", str(saved)]
    assert main([*argv, "--format", "json", "--output", str(tmp_path / "r.json")]) == 0
    text = saved.read_text(encoding="utf-8")
    assert 'PE-101: "yes"' in text and 'PE-201: "no"' in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["assess", "/no/such/folder"], "error: /no/such/folder is not a folder"),
        (["assess", ".", "--rubric", "/no/such.yaml"], "error: rubric file /no/such.yaml does not"),
        (["assess", ".", "--answers", "/no/such.yml"], "error: answers file /no/such.yml does not"),
    ],
)
def test_user_errors_exit_two_without_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert "Traceback" not in err


def test_out_of_range_levels_are_flag_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assess", ".", "--target", "5"]) == 2
    assert main(["assess", ".", "--fail-under", "x"]) == 2
    assert "level must be 0-4" in capsys.readouterr().err
