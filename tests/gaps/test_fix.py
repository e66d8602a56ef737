"""fix / `mlops-factory fix` with the built-in rubric and catalog (issue 5's proof (b))."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from mlops_factory import assess
from mlops_factory._cli import main
from mlops_factory._fix import fix, plan_fix
from mlops_factory._scaffold import new_project
from tests.assess.levels import LEVEL0
from tests.gaps import commit_all, tree_bytes
from tests.helpers import build_tree, git_init

AUTOMATABLE = ("model_creation", "model_release", "application_integration")
TRAIN = """\
import pandas as pd
from sklearn.linear_model import LogisticRegression

df = pd.read_csv("data/churn.csv")
model = LogisticRegression().fit(df[["a", "b"]], df["y"])
"""
ANSWERS = {"project_name": "churn", "owner": "churn team"}


def _cli(repo: Path, *flags: str) -> int:
    return main(
        [
            "fix",
            str(repo),
            "--target",
            "3",
            "--data",
            "project_name=churn",
            "--data",
            "owner=t",
            "--no-bind",
            *flags,
        ]
    )


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def cache(shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The built-in catalog's component repositories are built once for this module.
    monkeypatch.setenv("MLOPS_FACTORY_CACHE", str(shared_cache))
    return shared_cache


def _level0(tmp_path: Path, *, readme: bool = True) -> Path:
    """A level-0 repository with code of its own. These tests apply the catalog's
    templates as they are (``bind=False``); binding to the code: test_binding.py."""
    tree: dict[str, Any] = {**LEVEL0, "train.py": TRAIN}
    if not readme:
        del tree["README.md"]
    return git_init(build_tree(tmp_path / "churn", tree))


def test_unbound_templates_beside_a_repo_are_scaffolding_and_raise_no_level(
    tmp_path: Path,
) -> None:
    repo = _level0(tmp_path)
    before = tree_bytes(repo)

    # --no-bind: the catalog's templates as they are, a parallel project beside the team's
    # train.py. Nothing of the repository uses them, so the assessment calls them
    # "scaffolded, not integrated" (weak) and the level does not move.
    result = fix(repo, target=3, data=ANSWERS, conflict="inline", interactive=False, bind=False)

    levels = {d.id: (d.before, d.after) for d in result.levels}
    assert {d: levels[d][0] for d in AUTOMATABLE} == {
        "model_creation": 0,
        "model_release": 0,
        "application_integration": 0,
    }
    assert result.level_before == 0 and result.level_after == 0
    after = assess(repo)
    weak = [
        e
        for f in after.findings
        for e in f.evidence
        if "scaffolded by mlops-factory, not integrated" in e.note
    ]
    assert weak and all(e.weak for e in weak)
    # The conflict fix --conflict inline left in README.md is reported as a finding.
    conflicts = after.finding("AI-105")
    assert conflicts.outcome.value == "unmet"
    assert [e.path for e in conflicts.evidence] == ["README.md"]
    # Existing files are untouched except the conflicts the plan announced.
    assert result.plan.conflicts == ("README.md",)
    now = tree_bytes(repo)
    changed = sorted(p for p in before if now.get(p) != before[p])
    assert changed == ["README.md"]
    assert (repo / "README.md").read_text().startswith("<<<<<<< yours\n# Churn model\n")
    # Every new file is one the plan listed, and each component left its answers file.
    planned = {p for c in result.plan.components for p in c.creates}
    assert set(now) - set(before) == planned
    for component in result.plan.components:
        assert f".mlops-factory/{component.name}.yml" in planned
    # People's criteria stay in the plan as actions for people.
    assert {cid for p in result.plan.people for cid in p.step.criteria} >= {"PE-101", "PE-201"}


def test_the_plan_maps_criteria_to_components_in_dependency_order(tmp_path: Path) -> None:
    repo = _level0(tmp_path)
    before = tree_bytes(repo)
    plan = plan_fix(repo, target=2, data=ANSWERS, interactive=False, bind=False)
    assert tree_bytes(repo) == before  # planning writes nothing
    names = [c.name for c in plan.components]
    assert names[0] == "base"
    assert names.index("training-pipeline") < names.index("onnx-packaging")
    assert names.index("onnx-packaging") < names.index("serving-realtime")
    by_name = {c.name: c for c in plan.components}
    assert "MR-101" in by_name["serving-realtime"].criteria
    assert "MC-202" in by_name["tracking-registry"].criteria
    assert by_name["ci-github"].criteria  # the ci group, resolved to the default provider
    # Level-3 criteria are not in a target-2 plan.
    assert not any(cid.endswith("-301") for c in plan.components for cid in c.criteria)


def test_the_ci_group_follows_the_repositorys_provider(tmp_path: Path) -> None:
    repo = _level0(tmp_path)
    (repo / ".gitlab-ci.yml").write_text("stages: [build]\nbuild:\n  script: [echo hi]\n")
    plan = plan_fix(repo, target=1, data=ANSWERS, interactive=False, bind=False)
    names = [c.name for c in plan.components]
    assert "ci-gitlab" in names and "ci-github" not in names
    assert ".gitlab-ci.yml" in plan.conflicts


def test_a_conflict_stops_the_run_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _level0(tmp_path)
    before = tree_bytes(repo)
    code = _cli(repo, "--yes")
    assert code == 1
    assert tree_bytes(repo) == before
    out = capsys.readouterr().out
    assert "README.md" in out and "Nothing was written." in out


def test_cli_needs_yes_without_a_terminal_dry_run_writes_nothing_yes_applies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _level0(tmp_path, readme=False)
    before = tree_bytes(repo)

    assert _cli(repo) == 2
    assert "confirm with --yes" in capsys.readouterr().err
    assert tree_bytes(repo) == before

    assert _cli(repo, "--dry-run") == 0
    assert tree_bytes(repo) == before
    out = capsys.readouterr().out
    assert "Components to apply" in out and "Steps left" in out
    assert "+++ b/.mlops-factory/serving-realtime.yml" not in out  # a summary, no diff
    assert "--diff shows the full diff" in out

    assert _cli(repo, "--dry-run", "--diff") == 0
    assert "+++ b/.mlops-factory/serving-realtime.yml" in capsys.readouterr().out

    assert _cli(repo, "--yes") == 0
    out = capsys.readouterr().out
    assert "Maturity level" in out and "overall" in out
    assert (repo / ".mlops-factory/base.yml").is_file()
    assert all(tree_bytes(repo)[p] == content for p, content in before.items())


def test_a_generated_project_needs_people_only_and_applied_components_are_not_reapplied(
    tmp_path: Path,
) -> None:
    project = tmp_path / "gen"
    new_project(project, defaults=True, data={"owner": "t"}, interactive=False)
    shutil.rmtree(project / ".github")
    commit_all(project, "drop the workflows")

    plan = plan_fix(project, target=3, interactive=False)

    assert plan.components == ()
    assert plan.preview is None
    reasons = {cid: p.reason for p in plan.people for cid in p.step.criteria}
    assert "ci-github is applied" in reasons["AI-102"]
    assert "mlops-factory update" in reasons["AI-102"]
    assert "no catalog component" in reasons["PE-101"]
