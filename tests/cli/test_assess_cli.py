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


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("r.json", "json"),
        ("r.md", "markdown"),
        ("r.sarif", "sarif"),
        ("r.sarif.json", "sarif"),
        ("r.HTML", "html"),
        ("r.txt", "terminal"),
    ],
)
def test_output_extension_picks_the_format(
    repo: Path, tmp_path: Path, name: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / name
    assert main(["assess", str(repo), "--no-input", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert f"wrote {fmt} report to {out}" in capsys.readouterr().err
    if fmt == "json":
        assert json.loads(text)["schema_version"] == "2.0"
    elif fmt == "sarif":
        assert json.loads(text)["version"] == "2.1.0"
    elif fmt == "html":
        assert text.lower().startswith("<!doctype html>")
    elif fmt == "markdown":
        assert text.startswith("# ")
    else:
        assert not text.startswith(("{", "#", "<"))


def test_json_format_may_write_a_sarif_json_file(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.sarif.json"
    assert main(["assess", str(repo), "--no-input", "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["schema_version"] == "2.0"


def test_a_format_contradicting_the_extension_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.html"
    assert main(["assess", str(repo), "--format", "json", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"error: --format json does not match --output {out} (a .html file holds html)" in err
    assert (
        f"hint: drop --format to write html, or name the file for json: -o {tmp_path}/x.json" in err
    )
    assert not out.exists()


def test_an_unknown_extension_keeps_the_terminal_report(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.log"
    assert main(["assess", str(repo), "--no-input", "-o", str(out)]) == 0
    assert "Model creation" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("alias", "fmt"), [("md", "markdown"), ("JSON", "json")])
def test_format_names_are_case_insensitive_with_aliases(
    repo: Path, alias: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["assess", str(repo), "--no-input", "--format", alias]) == 0
    out = capsys.readouterr().out
    assert out.startswith("{") if fmt == "json" else out.startswith("# ")


def test_save_answers_without_answers_writes_the_questionnaire(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "questions.yaml"
    argv = ["assess", str(repo), "--no-input", "--save-answers", str(saved), "--format", "json"]
    assert main(argv) == 0
    text = saved.read_text(encoding="utf-8")
    assert "\n  PE-101:\n" in text and "# When a model goes from the data team" in text
    capsys.readouterr()
    # Filled in, it is the answers file of the next run.
    saved.write_text(text.replace("\n  PE-101:\n", "\n  PE-101: yes\n"), encoding="utf-8")
    assert main(["assess", str(repo), "--answers", str(saved), "--format", "json"]) == 0
    findings = {f["id"]: f for f in json.loads(capsys.readouterr().out)["findings"]}
    assert findings["PE-101"]["outcome"] == "met"
    assert findings["PE-201"]["outcome"] == "not_assessed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the answers file is empty"),
        ("rubric: mlops-maturity\n", "no 'answers:' mapping"),
        ("answers:\n  PE-999: yes\n", "answers: 'PE-999' is not in the rubric"),
        ("answers:\n  PE-101: perhaps\n", "PE-101: 'perhaps' is not an answer"),
    ],
)
def test_bad_answers_files_are_errors_with_a_hint(
    repo: Path, tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "answers.yaml"
    file.write_text(text, encoding="utf-8")
    assert main(["assess", str(repo), "--answers", str(file), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert message in err.splitlines()[0]
    assert err.splitlines()[0].startswith("error: ")
    assert err.splitlines()[1].startswith("hint: ")


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.helpers import build_tree, git_init

    root = tmp_path_factory.mktemp("mono") / "repo"
    build_tree(
        root,
        {
            "README.md": "# mono\n",
            "services/churn/train.py": "import mlflow\nmlflow.log_metric('auc', 0.9)\n",
            "services/churn/README.md": "# churn\n",
        },
    )
    git_init(root, "initial")
    return root


def test_a_folder_inside_a_repository_assesses_the_repository(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = monorepo / "services" / "churn"
    assert main(["assess", str(sub), "--no-input", "--format", "json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["repo"]["path"] == str(monorepo.resolve())
    assert data["repo"]["is_git"] is True
    assert data["repo"]["scope"] is None
    assert (
        f"note: {sub} is inside the git repository {monorepo.resolve()}: assessing the whole "
        f"repository (`mlops-factory assess {sub} --project .` assesses only that folder)"
    ) in " ".join(captured.err.split("\n"))


@pytest.mark.parametrize(
    ("project", "scope"), [(".", "services/churn"), ("churn", "services/churn")]
)
def test_project_scopes_relative_to_a_folder_inside_a_repository(
    monorepo: Path, project: str, scope: str, capsys: pytest.CaptureFixture[str]
) -> None:
    start = monorepo / "services" if project == "churn" else monorepo / "services" / "churn"
    argv = ["assess", str(start), "--project", project, "--no-input", "--format", "json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["repo"]["path"] == str(monorepo.resolve())
    assert data["repo"]["scope"] == scope
    assert f"assessing its folder {scope}" in captured.err


def test_the_repository_root_and_plain_folders_assess_as_given(
    monorepo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlops_factory._assess.pipeline import enclosing_repository

    assert enclosing_repository(monorepo) == (monorepo, None)
    plain = tmp_path / "plain" / "sub"
    plain.mkdir(parents=True)
    assert enclosing_repository(plain) == (plain, None)
    assert enclosing_repository(monorepo / "no-such") == (monorepo / "no-such", None)
    assert main(["assess", str(monorepo), "--no-input", "--format", "json"]) == 0
    assert "note:" not in capsys.readouterr().err
