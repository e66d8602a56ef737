"""check_updates / `mlops-factory check-update`: which components are behind, for a fleet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_factory._cli import main
from mlops_factory._scaffold import new_project
from mlops_factory._scaffold._update import check_updates
from tests.gaps import publish


def _fleet(tmp_path: Path) -> tuple[Path, Path, Path]:
    catalog = publish(tmp_path / "cat")
    one, two = tmp_path / "one", tmp_path / "two"
    for dest in (one, two):
        new_project(dest, catalog=catalog, defaults=True, data={"owner": "x"}, interactive=False)
    return catalog, one, two


def test_all_current_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog, one, two = _fleet(tmp_path)
    assert main(["check-update", str(one), str(two), "--catalog", str(catalog)]) == 0
    assert "All components match the catalog" in capsys.readouterr().out


def test_behind_components_are_reported_with_versions_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, one, two = _fleet(tmp_path)
    publish(catalog, {"base": "2.0.0", "ci-github": "1.2.1"})

    report = check_updates([one, two], catalog=catalog)

    assert report.behind
    rows = [
        (c.name, c.recorded, c.current, c.status, c.change) for c in report.projects[0].components
    ]
    assert rows == [
        ("app", "0.3.0", "0.3.0", "current", None),
        ("base", "1.0.0", "2.0.0", "behind", "major"),
        ("ci-github", "1.2.0", "1.2.1", "behind", "patch"),
    ]
    code = main(["check-update", str(one), str(two), "--catalog", str(catalog), "--format", "json"])
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == 1
    assert doc["behind"] is True
    assert doc["catalog"] == {
        "name": "cat",
        "source": str(catalog.resolve()),
        "path": str(catalog.resolve()),
        "version": "1.0.0",
        "builtin": False,
    }
    assert doc["complete"] is True
    assert [p["path"] for p in doc["projects"]] == [str(one), str(two)]
    assert doc["projects"][1]["behind"] == 2
    assert doc["projects"][1]["components"][1] == {
        "name": "base",
        "recorded": "1.0.0",
        "current": "2.0.0",
        "status": "behind",
        "change": "major",
        "note": "",
    }


def test_a_path_that_is_not_a_project_is_an_error_for_it_alone_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, one, _ = _fleet(tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    publish(catalog, {"app": "0.3.1"})
    code = main(
        [
            "check-update",
            str(one),
            str(plain),
            str(tmp_path / "missing"),
            "--catalog",
            str(catalog),
            "--format",
            "json",
        ]
    )
    assert code == 2
    doc = json.loads(capsys.readouterr().out)
    assert [p["error"] is None for p in doc["projects"]] == [True, False, False]
    assert doc["projects"][0]["behind"] == 1
    assert "records no catalog components" in doc["projects"][1]["error"]
    assert "does not exist" in doc["projects"][2]["error"]


def test_special_cases_are_not_counted_as_behind(tmp_path: Path) -> None:
    catalog, one, _ = _fleet(tmp_path)
    answers = one / ".mlops-factory"
    (answers / "retired.yml").write_text("_commit: v1.0.0\n_src_path: /x/catalog/cat-1/retired\n")
    (answers / "app.yml").write_text("_commit: main\nproject_name: one\n")
    (answers / "ci-github.yml").write_text(
        "_commit: v1.2.0\n_src_path: /x/catalog/elsewhere/ci-github\n"
    )
    publish(catalog, {"base": "0.1.0"})

    report = check_updates([one], catalog=catalog)

    assert not report.behind
    assert {c.name: c.status for c in report.projects[0].components} == {
        "app": "unversioned",
        "base": "ahead",
        "ci-github": "other-catalog",
        "retired": "not-in-catalog",
    }


def test_a_broken_answers_file_is_reported_for_that_project(tmp_path: Path) -> None:
    catalog, one, two = _fleet(tmp_path)
    (one / ".mlops-factory" / "base.yml").write_text("- not\n- a mapping\n")
    report = check_updates([one, two], catalog=catalog)
    assert report.projects[0].error is not None
    assert "base.yml: the answers file must be a YAML mapping" in report.projects[0].error
    assert report.projects[1].error is None
