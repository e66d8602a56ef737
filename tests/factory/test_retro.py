"""retro: the team's edits against the templates, template changes since, reuse
candidates on any repo, action items that run, the report and the command line."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from mlops_factory._cli import main
from mlops_factory._factory import retro
from mlops_factory._scaffold import load_catalog
from mlops_factory._scaffold._project import rendered
from tests.assess.levels import level_repo
from tests.factory import commit_all, generate, recorded_answers
from tests.helpers import build_tree
from tests.scaffold import make_catalog, tiny_catalog_data, tiny_templates

#: The team's edits of demo-churn: one generated file improved, one generic file added,
#: one project-specific file added (it uses what the improved file defines), one deleted.
IMPROVED_INIT = '"""demo-churn."""\n\n\ndef churn_window(days):\n    return days * 2\n'
RETRY = (
    "import time\n\n\n"
    "def retry(fn, attempts=3):\n"
    "    for i in range(attempts):\n"
    "        try:\n"
    "            return fn()\n"
    "        except OSError:\n"
    "            time.sleep(2**i)\n"
    "    return fn()\n"
)
NIGHTLY = "from demo_churn import churn_window\n\nprint(churn_window(7))\n"


def _edit(project: Path) -> None:
    build_tree(
        project,
        {
            "src/demo_churn/__init__.py": IMPROVED_INIT,
            "scripts/retry.py": RETRY,
            "jobs/nightly.py": NIGHTLY,
        },
    )
    (project / "app.txt").unlink()
    commit_all(project, "team edits")


def _paths(findings: object) -> list[str]:
    return [f.path for f in findings]  # type: ignore[attr-defined]


def test_retro_lists_exactly_the_team_s_edits(demo: tuple[Path, Path]) -> None:
    project, catalog = demo
    _edit(project)

    report = retro(project, catalog=catalog, harvest_catalog="org", display_path="demo-churn")

    assert report.from_catalog is True
    assert [(f.path, f.component, f.template_changed) for f in report.improved] == [
        ("src/demo_churn/__init__.py", "base", False)
    ]
    assert [(f.path, f.kind, f.target) for f in report.added_generic] == [
        ("scripts/retry.py", "utility", "shared-retry")
    ]
    assert [(f.path, f.identifiers) for f in report.added_specific] == [
        ("jobs/nightly.py", ("churn_window (src/demo_churn/__init__.py)",))
    ]
    assert dict(report.added_specific[0].values) == {"package_name": 1}
    assert [(f.path, f.component) for f in report.deleted] == [("app.txt", "app")]
    assert report.template_changed == () and report.template_new == ()
    assert _paths(report.reuse_candidates) == ["scripts/retry.py"]
    assert [c.to_dict() for c in report.components] == [
        {
            "name": name,
            "recorded_version": version,
            "catalog_version": version,
            "status": "current",
            "recorded_available": True,
        }
        for name, version in (("app", "0.3.0"), ("base", "1.0.0"), ("ci-github", "1.2.0"))
    ]
    assert [(a.kind, a.command) for a in report.actions] == [
        (
            "harvest",
            "mlops-factory harvest demo-churn src/demo_churn/__init__.py --component base "
            "--catalog org",
        ),
        (
            "harvest",
            "mlops-factory harvest demo-churn scripts/retry.py --component shared-retry "
            "--catalog org",
        ),
        ("review", None),
    ]
    assert report.actions[2].title == (
        "Review why the team deleted `app.txt` (component `app`): if other projects delete it "
        "too, drop it from the template"
    )
    history = report.history
    assert history is not None
    assert (history.commits_since, history.authors) == (1, 1)
    assert history.files_touched == (
        "app.txt",
        "jobs/nightly.py",
        "scripts/retry.py",
        "src/demo_churn/__init__.py",
    )
    assert [c.subject for c in history.recent] == ["team edits"]


def test_an_untouched_project_has_nothing_to_report(demo: tuple[Path, Path]) -> None:
    project, catalog = demo
    report = retro(project, catalog=catalog)
    assert (report.improved, report.added_generic, report.added_specific, report.deleted) == (
        (),
        (),
        (),
        (),
    )
    assert [a.kind for a in report.actions] == []
    assert report.history is not None and report.history.commits_since == 0


def test_the_printed_harvest_command_runs_and_round_trips(
    demo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, catalog = demo
    _edit(project)
    monkeypatch.chdir(project.parent)
    report = retro(project, catalog=catalog, display_path="demo-churn")
    commands = [a.command for a in report.actions if a.kind == "harvest"]
    assert commands[1] == (
        f"mlops-factory harvest demo-churn scripts/retry.py --component shared-retry "
        f"--catalog {catalog.resolve()}"
    )
    for command in commands:
        assert command is not None
        assert main(shlex.split(command)[1:]) == 0

    loaded = load_catalog(catalog)
    assert (loaded.components["base"].version, loaded.components["shared-retry"].version) == (
        "1.1.0",
        "1.0.0",
    )
    chosen = [loaded.components["base"], loaded.components["shared-retry"]]
    with rendered(loaded, chosen, recorded_answers(project)) as out:
        for rel in ("src/demo_churn/__init__.py", "scripts/retry.py"):
            assert (out.root / rel).read_bytes() == (project / rel).read_bytes()


def _versioned_catalog(root: Path) -> Path:
    templates = tiny_templates()
    templates["app"] = {"app.txt.jinja": "app v1\n", "notes.txt": "notes v1\n"}
    return make_catalog(root, templates=templates)


def _publish_app_v2(catalog: Path) -> None:
    data = tiny_catalog_data()
    data["components"]["app"]["version"] = "0.4.0"
    templates = tiny_templates()
    templates["app"] = {
        "app.txt.jinja": "app v2 of {{ owner }}\n",
        "notes.txt": "notes v2\n",
        "extra.txt": "new in v2\n",
    }
    shutil.rmtree(catalog)
    make_catalog(catalog, data=data, templates=templates)


def test_template_changes_since_generation_are_told_from_the_team_s(tmp_path: Path) -> None:
    catalog = _versioned_catalog(tmp_path / "cat")
    project, _ = generate(tmp_path, catalog=catalog)
    (project / "app.txt").write_text("app v1, tuned by the team\n")
    (project / "README.md").write_text((project / "README.md").read_text() + "More.\n")
    _publish_app_v2(catalog)

    report = retro(project, catalog=catalog, display_path="p")

    assert [(f.path, f.component, f.template_changed) for f in report.improved] == [
        ("README.md", "base", False),
        ("app.txt", "app", True),
    ]
    assert [(f.path, f.component) for f in report.template_changed] == [("notes.txt", "app")]
    assert [(f.path, f.component) for f in report.template_new] == [("extra.txt", "app")]
    assert report.added_generic == () and report.deleted == ()
    assert [(s.name, s.recorded_version, s.catalog_version, s.status) for s in report.behind] == [
        ("app", "0.3.0", "0.4.0", "behind")
    ]
    update = [a for a in report.actions if a.kind == "update"]
    assert [(a.title, a.command) for a in update] == [
        (
            "Update the components the catalog has improved since: `app` 0.3.0 → 0.4.0",
            f"mlops-factory update p --catalog {catalog.resolve()}",
        )
    ]


def test_without_the_recorded_version_in_the_cache_it_says_so(
    tmp_path: Path, template_cache: Path
) -> None:
    catalog = _versioned_catalog(tmp_path / "cat")
    project, _ = generate(tmp_path, catalog=catalog)
    _publish_app_v2(catalog)
    shutil.rmtree(template_cache)

    report = retro(project, catalog=catalog)

    states = {s.name: (s.status, s.recorded_available) for s in report.components}
    assert states == {
        "app": ("behind", False),
        "base": ("current", True),
        "ci-github": ("current", True),
    }
    assert any(
        n.startswith("component app: the recorded version 0.3.0 is not in the template cache")
        for n in report.notes
    )
    # compared with the current version instead: both app files differ from it
    assert _paths(report.improved) == ["app.txt", "notes.txt"]


def test_reuse_candidates_of_a_repo_not_from_the_catalog(tmp_path: Path) -> None:
    repo = level_repo(tmp_path / "churn", 3)

    report = retro(repo, display_path="churn")

    assert report.from_catalog is False and report.components == ()
    assert [(f.path, f.kind, f.target) for f in report.reuse_candidates] == [
        (".github/workflows/ci.yml", "ci", "ci-github"),
        (".github/workflows/train.yml", "ci", "ci-github"),
        ("infra/env/dev.tfvars", "iac", "iac-terraform"),
        ("infra/env/prod.tfvars", "iac", "iac-terraform"),
        ("infra/main.tf", "iac", "iac-terraform"),
        ("infra/variables.tf", "iac", "iac-terraform"),
        ("src/churn/data.py", "utility", "training-pipeline"),
        ("src/churn/promote.py", "utility", "shared-promote"),
        ("src/churn/score.py", "utility", "shared-score"),
    ]
    # the Dockerfile runs churn.score and the release workflow churn.promote: modules
    # only this project has, so neither is proposed as it is
    harvests = [a for a in report.actions if a.kind == "harvest"]
    assert harvests[0].command == (
        "mlops-factory harvest churn .github/workflows/ci.yml .github/workflows/train.yml "
        "--component ci-github --catalog mlops-catalog"
    )
    assert harvests[2].title.endswith(
        "(replaces the template's `src/churn/data.py`: review the difference first)"
    )
    adopt = [(a.component, a.command) for a in report.actions if a.kind == "adopt"]
    assert adopt == [
        ("serving-realtime", "mlops-factory add serving-realtime churn"),
        ("monitoring-retraining", "mlops-factory add monitoring-retraining churn"),
        ("ci-github", "mlops-factory add ci-github churn"),
    ]
    assert report.assessment.level == 3
    assert report.notes[0].startswith("churn records no catalog components")


def test_adopt_skips_components_the_project_applies(demo: tuple[Path, Path]) -> None:
    project, catalog = demo
    report = retro(project, catalog=catalog)
    applied = {c.name for c in report.components}
    assert all(a.component not in applied for a in report.actions if a.kind == "adopt")


# --- the report -------------------------------------------------------------------------------


def test_markdown_report(demo: tuple[Path, Path]) -> None:
    project, catalog = demo
    _edit(project)
    build_tree(project, {"docs/<b>x</b>|y.md": "hello\n"})

    text = retro(
        project, catalog=catalog, harvest_catalog="org", display_path="demo-churn"
    ).to_markdown()

    for heading in (
        "# Retrospective: demo-churn",
        "## Maturity",
        "## What changed since the project was generated",
        "### Improved by the team (1)",
        "### Added, generic (2)",
        "### Added, project-specific (1)",
        "### Deleted (1)",
        "## Reuse candidates",
        "## Action items",
    ):
        assert f"\n{heading}\n" in f"\n{text}", heading
    assert "| Model creation | n/a |" in text  # a toy project: nothing trains here
    assert "| `docs/<b>x</b>\\|y.md` | other |" in text
    outside_code = re.sub(r"`[^`]*`", "", text)
    assert "<b>" not in outside_code and "</b>" not in outside_code
    assert (
        "   ```sh\n   mlops-factory harvest demo-churn scripts/retry.py --component "
        "shared-retry --catalog org\n   ```"
    ) in text
    assert (
        "| `jobs/nightly.py` | utility module | `churn_window (src/demo_churn/__init__.py)` |"
        in (text)
    )


def test_json_report_is_the_stable_contract(demo: tuple[Path, Path]) -> None:
    project, catalog = demo
    _edit(project)
    data = retro(project, catalog=catalog).to_dict()
    assert set(data) == {
        "tool",
        "generated_at",
        "project",
        "catalog",
        "assessment",
        "components",
        "history",
        "files",
        "reuse_candidates",
        "actions",
        "notes",
    }
    assert set(data["files"]) == {
        "improved",
        "added_generic",
        "added_specific",
        "deleted",
        "template_changed",
        "template_new",
    }
    assert data["files"]["deleted"] == [
        {
            "path": "app.txt",
            "status": "deleted",
            "component": "app",
            "kind": None,
            "generic": True,
            "values": {},
            "identifiers": [],
            "template_changed": False,
            "target": None,
            "note": "",
        }
    ]
    json.dumps(data)  # JSON-able all the way down


# --- the command line -------------------------------------------------------------------------


def test_cli_writes_markdown_and_prints_it(
    demo: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, catalog = demo
    _edit(project)
    out = tmp_path / "reports" / "retro.md"
    code = main(["retro", str(project), "--catalog", str(catalog), "--output", str(out)])
    assert code == 0
    written = out.read_text(encoding="utf-8")
    assert written.startswith("# Retrospective: demo-churn\n")
    captured = capsys.readouterr()
    assert "Retrospective: demo-churn" in captured.out
    assert captured.err.strip() == f"wrote the retrospective to {out}"
    assert [p.name for p in out.parent.iterdir()] == ["retro.md"]  # no temp file left


def test_cli_json(demo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    project, catalog = demo
    _edit(project)
    assert main(["retro", str(project), "--catalog", str(catalog), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["path"] for f in data["files"]["added_generic"]] == ["scripts/retry.py"]


def test_cli_missing_folder_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retro", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'nope'} is not a folder")


def test_cli_refuses_the_built_in_catalog_as_harvest_target(
    demo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from mlops_factory._resources import templates_dir

    project, catalog = demo
    args = ["retro", str(project), "--catalog", str(catalog)]
    assert main([*args, "--harvest-catalog", str(templates_dir())]) == 2
    assert "harvests never write there" in capsys.readouterr().err


# --- the built-in catalog ---------------------------------------------------------------------


@pytest.mark.slow
def test_retro_on_a_project_from_the_built_in_catalog(tmp_path: Path) -> None:
    from mlops_factory._scaffold import new_project

    project = new_project(
        tmp_path / "fraud-scoring", data={"owner": "risk-ml"}, defaults=True, interactive=False
    ).dest
    config = project / "src/fraud_scoring/config.py"
    config.write_text(config.read_text() + '\nSEGMENT_COLUMNS = ["region", "tenure"]\n')
    build_tree(
        project,
        {
            ".github/workflows/lint.yml": "name: lint\non: [pull_request]\njobs:\n"
            "  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check .\n",
            "scripts/segments_report.py": "from fraud_scoring.config import SEGMENT_COLUMNS\n\n"
            "print(SEGMENT_COLUMNS)\n",
        },
    )
    (project / "docs/runbook.md").unlink()

    report = retro(project, display_path="fraud-scoring")

    assert [(f.path, f.component) for f in report.improved] == [
        ("src/fraud_scoring/config.py", "base")
    ]
    assert [(f.path, f.target) for f in report.added_generic] == [
        (".github/workflows/lint.yml", "ci-github")
    ]
    assert [(f.path, f.identifiers) for f in report.added_specific] == [
        ("scripts/segments_report.py", ("SEGMENT_COLUMNS (src/fraud_scoring/config.py)",))
    ]
    assert [(f.path, f.component) for f in report.deleted] == [("docs/runbook.md", "docs")]
    assert report.template_changed == () and report.template_new == ()
    assert [a.command for a in report.actions if a.kind == "harvest"] == [
        "mlops-factory harvest fraud-scoring src/fraud_scoring/config.py --component base "
        "--catalog mlops-catalog",
        "mlops-factory harvest fraud-scoring .github/workflows/lint.yml --component ci-github "
        "--catalog mlops-catalog",
    ]


# --- an untrusted project ---------------------------------------------------------------------


def test_a_link_in_place_of_a_generated_file_is_reported_not_followed(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    project, catalog = demo
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read\n")
    (project / "README.md").unlink()
    (project / "README.md").symlink_to(secret)

    report = retro(project, catalog=catalog)

    assert [(f.path, f.note) for f in report.improved] == [
        ("README.md", "not a regular file, or unreadable")
    ]
    assert [a for a in report.actions if a.kind == "harvest"] == []
    assert "do not read" not in report.to_markdown()


def test_the_project_s_git_config_runs_nothing(demo: tuple[Path, Path], tmp_path: Path) -> None:
    project, catalog = demo
    marker = tmp_path / "ran"
    hooks = project / ".git" / "evil-hooks"
    hooks.mkdir()
    for hook in ("post-checkout", "pre-commit", "fsmonitor-watchman"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / hook).chmod(0o755)
    with (project / ".git" / "config").open("a") as fh:
        fh.write(
            f'[core]\n\tfsmonitor = "touch {marker}"\n\thooksPath = {hooks}\n'
            f'\tpager = "touch {marker}"\n[diff]\n\texternal = "touch {marker}"\n'
        )
    build_tree(project, {"scripts/retry.py": RETRY})

    report = retro(project, catalog=catalog)

    assert _paths(report.added_generic) == ["scripts/retry.py"]
    assert report.history is not None
    assert not marker.exists()


def test_a_generated_project_without_git(demo: tuple[Path, Path]) -> None:
    project, catalog = demo
    shutil.rmtree(project / ".git")
    build_tree(project, {"scripts/retry.py": RETRY, ".venv/lib/site.py": "x = 1\n"})

    report = retro(project, catalog=catalog)

    assert _paths(report.added_generic) == ["scripts/retry.py"]  # .venv is never the team's
    assert report.history is None
    assert report.notes[0].startswith("no git history of the generation")
