"""The pipeline as a whole: robustness and the shape of the result."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory import FactoryError, assess
from mlops_factory._assess import signals
from mlops_factory._assess.model import Outcome
from mlops_factory._assess.rubric import load_rubric
from tests.assess.levels import level_repo


def test_a_crashing_signal_becomes_an_error_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = signals.registry()["ci_runs_tests"]

    def boom(snap: object) -> signals.SignalResult:
        raise RuntimeError("parser exploded")

    monkeypatch.setitem(signals._REGISTRY, "ci_runs_tests", signals.SignalSpec(spec.name, "", boom))
    result = assess(level_repo(tmp_path / "repo", 1))
    finding = result.finding("AI-104")
    assert finding.outcome is Outcome.ERROR
    assert finding.message == "signal 'ci_runs_tests' failed: RuntimeError: parser exploded"
    assert result.dimension("application_integration").level == 0
    assert result.finding("MC-101").outcome is Outcome.MET  # the rest was assessed


def test_answers_from_a_file_and_a_custom_rubric(tmp_path: Path) -> None:
    repo = level_repo(tmp_path / "repo", 1)
    answers = tmp_path / "a.yml"
    answers.write_text("answers:\n  PE-101: yes\n", encoding="utf-8")
    rubric_file = tmp_path / "rubric.yaml"
    text = Path(load_rubric().source).read_text(encoding="utf-8")
    rubric_file.write_text(text.replace("id: mlops-maturity", "id: acme-maturity"), "utf-8")
    result = assess(repo, rubric=rubric_file, answers=answers)
    assert result.rubric_id == "acme-maturity"
    assert result.finding("PE-101").outcome is Outcome.MET
    assert result.finding("PE-101").evidence[0].note == f"answered 'yes' in {answers}"


def test_result_carries_repo_facts(tmp_path: Path) -> None:
    repo = level_repo(tmp_path / "repo", 3)
    result = assess(repo)
    assert result.repo.is_git and result.repo.commits == 1 and result.repo.tags == 1
    assert result.repo.branch == "main"
    assert result.repo.files == sum(
        1 for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts
    )
    assert result.to_dict()["repo"]["name"] == "repo"


def test_bad_target_and_bad_path(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match="target level must be 1 to 4"):
        assess(tmp_path, target=0)
    with pytest.raises(FactoryError, match="does not exist"):
        assess(tmp_path / "missing")
