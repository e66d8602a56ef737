"""`mlops-factory new` and `mlops-factory templates` through the dispatcher."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from mlops_factory._cli import main
from mlops_factory._errors import ExitCode
from tests.scaffold import make_catalog


@pytest.fixture(autouse=True)
def no_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_FACTORY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return make_catalog(tmp_path / "cat")


def test_new_prints_a_summary_and_the_next_steps(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "proj"
    code = main(["new", str(dest), "--catalog", str(catalog), "--defaults", "--data", "ci=gitlab"])
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert f"Created {dest} from the web pattern" in out.replace("\n", "")
    assert "ci-gitlab  2.0.1" in out
    assert "Initial commit" in out
    assert out.rstrip().endswith(f"Next steps:\n  cd {dest}\n  make test")
    assert (dest / ".gitlab-ci.yml").is_file()


def test_new_takes_a_data_file_and_a_pattern(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("project_name: churn\nowner: risk-ml\n", "utf-8")
    dest = tmp_path / "proj"
    code = main(
        [
            *("new", str(dest), "--catalog", str(catalog)),
            *("--data-file", str(answers), "--pattern", "bare", "--no-git"),
        ]
    )
    assert code == ExitCode.OK, capsys.readouterr().err
    assert not (dest / ".git").exists()
    assert sorted(p.name for p in (dest / ".mlops-factory").iterdir()) == [
        "_catalog.yml",
        "base.yml",
    ]
    recorded = yaml.safe_load((dest / ".mlops-factory/base.yml").read_text())
    assert recorded["project_name"] == "churn"


def test_missing_answers_without_a_terminal_exit_two(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["new", str(tmp_path / "proj"), "--catalog", str(catalog)])
    err = capsys.readouterr().err
    assert code == ExitCode.USER_ERROR
    assert err.splitlines()[0] == "error: missing answers (no terminal to ask): project_name, owner"
    assert err.splitlines()[1].startswith("hint: give them with --data project_name=...")
    assert not (tmp_path / "proj").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--data", "owner"], "error: --data 'owner' is not KEY=VALUE"),
        (
            ["--data", "ci=circle"],
            "error: invalid answer ci='circle': choose one of: github, gitlab, none",
        ),
        (
            ["--pattern", "mobile"],
            "error: invalid answer pattern='mobile': choose one of: web, bare",
        ),
    ],
)
def test_bad_answers_exit_two(
    tmp_path: Path,
    catalog: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    code = main(["new", str(tmp_path / "proj"), "--catalog", str(catalog), "--defaults", *flags])
    assert code == ExitCode.USER_ERROR
    assert capsys.readouterr().err.splitlines()[0] == message


def test_ctrl_c_exits_130_and_leaves_nothing(
    tmp_path: Path, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copier

    def interrupted(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(copier, "run_copy", interrupted)
    code = main(["new", str(tmp_path / "work" / "proj"), "--catalog", str(catalog), "--defaults"])
    assert code == ExitCode.INTERRUPTED
    assert not (tmp_path / "work").exists()


def test_templates_json(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "--format", "json", "--catalog", str(catalog)]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["catalog"] == {
        "name": catalog.name,
        "source": str(catalog.resolve()),
        "vcs_ref": None,
        "path": str(catalog.resolve()),
        "version": "1.0.0",
        "builtin": False,
    }
    assert [(p["name"], p["default"], p["components"]) for p in data["patterns"]] == [
        ("web", True, ["base", "app", "ci"]),
        ("bare", False, ["base"]),
    ]
    assert [(c["name"], c["version"], c["requires"]) for c in data["components"]] == [
        ("base", "1.0.0", []),
        ("app", "0.3.0", ["base"]),
        ("ci-github", "1.2.0", ["base"]),
        ("ci-gitlab", "2.0.1", ["base"]),
    ]
    assert data["groups"][0]["members"] == {"github": "ci-github", "gitlab": "ci-gitlab"}


def test_templates_tables(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "--catalog", str(catalog)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "web (default)" in out
    assert "base, app, ci*" in out
    assert "github=ci-github, gitlab=ci-gitlab, none" in out
    assert "ci-gitlab" in out and "2.0.1" in out


def test_templates_of_the_builtin_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "--format", "json"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["catalog"]["builtin"] is True
    assert [p["name"] for p in data["patterns"] if p["default"]] == ["realtime"]


def test_a_bad_catalog_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "--catalog", str(tmp_path)]) == ExitCode.USER_ERROR
    assert capsys.readouterr().err.startswith(f"error: {tmp_path.resolve()}: no catalog.yaml here")
