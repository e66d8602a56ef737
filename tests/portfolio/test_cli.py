"""`mlops-factory portfolio` from the command line: outputs, history, exit codes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mlops_factory._cli import COMMANDS, build_parser, main
from tests.portfolio.conftest import EXPECTED, FLEET, levels_of

REPO_KEYS = {
    "key", "name", "path", "input", "source", "file", "status", "error", "head", "branch",
    "rubric", "tool_version", "generated_at", "level", "level_name", "people_assessed",
    "dimensions", "counts", "plan", "previous", "change", "trend",
}  # fmt: skip


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code = main(["portfolio", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_json_output_has_the_exact_levels_and_two_runs_make_two_history_entries(
    fleet_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "h.db"
    code, data, _ = run_json([str(fleet_src), "--db", str(db), "--jobs", "2"], capsys)
    assert code == 0
    assert {r["name"]: levels_of(r) for r in data["repos"]} == {
        name: EXPECTED[level] for name, level in FLEET.items()
    }
    assert set(data) == {"schema_version", "kind", "tool", "run", "rubric", "summary", "repos"}
    assert (data["schema_version"], data["kind"]) == ("1.0", "mlops-factory-portfolio")
    assert set(data["repos"][0]) == REPO_KEYS
    assert data["summary"] == {
        "repos": 12,
        "scored": 12,
        "failed": 0,
        "levels": [3, 3, 2, 2, 2],
        "dimensions": {
            "people": {"levels": [0, 0, 0, 0, 0], "not_assessed": 12},
            "model_creation": {"levels": [3, 3, 2, 2, 2], "not_assessed": 0},
            "model_release": {"levels": [3, 3, 2, 2, 2], "not_assessed": 0},
            # Level-0 repos have no application code: not applicable, counted as not assessed.
            "application_integration": {"levels": [0, 3, 2, 2, 2], "not_assessed": 3},
        },
    }
    assert data["run"]["id"] == 1 and data["run"]["db"] == str(db)
    assert data["run"]["inputs"] == [str(fleet_src)]

    code, again, _ = run_json([str(fleet_src), "--db", str(db)], capsys)
    assert code == 0 and again["run"]["id"] == 2
    first = again["repos"][0]
    assert first["previous"]["run_id"] == 1 and first["change"] == 0
    assert [p["run_id"] for p in first["trend"]] == [1, 2]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (2,)
        assert conn.execute("SELECT COUNT(*) FROM results").fetchone() == (24,)


def test_some_inputs_not_scored_exits_1_and_says_which(
    fleet_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "old.json"
    bad.write_text('{"schema_version": "0.9"}')
    code, data, err = run_json([str(fleet_src / "team01-l1"), str(bad), "--no-history"], capsys)
    assert code == 1
    assert [(r["name"], r["status"]) for r in data["repos"]] == [
        ("old", "failed"),  # sorted by name
        ("team01-l1", "scored"),
    ]
    assert data["repos"][0]["error"] == {
        "message": f"{bad}: schema_version '0.9' is not supported (this mlops-factory reads 2.x)",
        "hint": "write it with an mlops-factory whose `assess --format json` has "
        "schema_version 2.x, or upgrade the mlops-factory that reads it",
    }
    assert f"not scored: {bad}: schema_version '0.9' is not supported" in err


def test_nothing_scored_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["portfolio", str(tmp_path / "a"), str(tmp_path / "b"), "--no-history"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "error: none of the 2 inputs could be scored" in err


def test_fail_under_names_the_repos_below(
    fleet_src: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repos = [str(fleet_src / n) for n in ("team01-l1", "team03-l3", "team04-l4")]
    assert main(["portfolio", *repos, "--no-history", "--fail-under", "3"]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines()[-1] == "team01-l1: level 1 is below --fail-under 3"
    assert "team03-l3" not in err
    assert "team01-l1" in out  # the table went to stdout
    assert main(["portfolio", *repos[1:], "--no-history", "--fail-under", "3"]) == 0


def test_table_html_and_output_files(
    fleet_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html, table = tmp_path / "out" / "dash.html", tmp_path / "out" / "table.txt"
    argv = [str(fleet_src), "--db", str(tmp_path / "h.db"), "--html", str(html)]
    assert main(["portfolio", *argv, "--output", str(table)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert f"wrote dashboard to {html}" in err and f"wrote portfolio table to {table}" in err
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert html.read_text().count('<tr class="repo">') == 12
    text = table.read_text()
    assert "team04-l4" in text and "12 repos: 12 scored, 0 not scored" in text
    assert sorted(html.parent.iterdir()) == [html, table]  # no temp files left behind


def test_the_default_database_is_in_the_current_folder(
    fleet_src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["portfolio", str(fleet_src / "team02-l2"), "--format", "json"]) == 0
    assert (tmp_path / "mlops-portfolio.db").is_file()
    (tmp_path / "mlops-portfolio.db").unlink()
    assert main(["portfolio", str(fleet_src / "team02-l2"), "--no-history"]) == 0
    assert not (tmp_path / "mlops-portfolio.db").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--jobs", "0"], "--jobs must be 1 or more (got 0)"),
        (["--fail-under", "5"], "level must be 0-4 (got 5)"),
        (["--format", "xml"], "unknown format 'xml' (choose from terminal, json)"),
        (["--db", "x.db", "--no-history"], "not allowed with argument"),
    ],
)
def test_bad_flags_exit_2(
    fleet_src: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["portfolio", str(fleet_src), *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_database_is_a_user_error(
    fleet_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["portfolio", str(fleet_src), "--db", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"error: --db {tmp_path} is a folder" in err
    assert "hint: pass a file path for the database" in err


def test_the_command_is_wired_and_documented() -> None:
    assert COMMANDS["portfolio"] == "portfolio"
    args = build_parser().parse_args(["portfolio", "a", "b.json", "-j", "3"])
    assert (args.repos, args.jobs, args.db, args.format) == (
        ["a", "b.json"],
        3,
        "mlops-portfolio.db",
        None,  # terminal, unless --output names a .json file
    )


def test_output_extension_picks_json_and_a_contradicting_format_is_refused(
    fleet_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fleet.json"
    argv = ["portfolio", str(fleet_src / "team02-l2"), "--no-history"]
    assert main([*argv, "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["kind"] == "mlops-factory-portfolio"
    assert f"wrote portfolio JSON to {out}" in capsys.readouterr().err
    assert main([*argv, "--format", "table", "-o", str(tmp_path / "x.json")]) == 2
    assert "error: --format terminal does not match --output" in capsys.readouterr().err
