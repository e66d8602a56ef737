"""End to end: real repos at levels 0-4 assess at exactly those levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory import assess
from mlops_factory._assess.model import Outcome
from tests.assess.levels import level_repo, people_answers

AUTOMATABLE = ("model_creation", "model_release", "application_integration")

# Expected (people, model_creation, model_release, application_integration, overall).
# The level-0 repo has notebooks and a pickled model but no application code, tests or
# CI: Application integration has no subject there (None, not applicable).
EXPECTED = {
    0: (0, 0, 0, None, 0),
    1: (1, 1, 1, 1, 1),
    2: (2, 2, 2, 2, 2),
    3: (3, 3, 3, 3, 3),
    4: (4, 4, 4, 4, 4),
}


@pytest.mark.parametrize("level", sorted(EXPECTED))
def test_fixture_repo_assesses_at_its_level(tmp_path: Path, level: int) -> None:
    repo = level_repo(tmp_path / f"level{level}", level)
    result = assess(repo, answers=people_answers(level))
    got = tuple(result.dimension(d).level for d in ("people", *AUTOMATABLE))
    explain = {
        f.criterion.id: (f.outcome.value, f.message)
        for f in result.findings
        if f.outcome not in (Outcome.MET, Outcome.NOT_APPLICABLE) and f.criterion.level <= level + 1
    }
    assert (*got, result.level) == EXPECTED[level], explain
    assert not [f for f in result.findings if f.outcome is Outcome.ERROR]


def test_without_answers_people_is_not_assessed_and_left_out(tmp_path: Path) -> None:
    result = assess(level_repo(tmp_path / "repo", 2))
    people = result.dimension("people")
    assert people.level is None
    assert len(people.not_assessed) == 7
    assert not result.people_assessed
    assert result.level == 2
    assert all(
        f.outcome is Outcome.NOT_ASSESSED for f in result.findings if f.criterion.kind == "question"
    )


def test_level0_claims_in_readme_are_not_evidence(tmp_path: Path) -> None:
    result = assess(level_repo(tmp_path / "repo", 0), answers=people_answers(0))
    for cid in ("MC-202", "AI-102", "MR-303"):
        finding = result.finding(cid)
        assert finding.outcome is Outcome.UNMET, cid
        assert all(e.path != "README.md" for e in finding.evidence), cid


def test_notebook_only_tracking_is_weak_not_met(tmp_path: Path) -> None:
    result = assess(level_repo(tmp_path / "repo", 0))
    tracking = result.finding("MC-202")
    assert tracking.outcome is Outcome.UNMET
    assert all(e.weak for e in tracking.evidence)


def test_plan_from_level1_reaches_level2_with_components(tmp_path: Path) -> None:
    result = assess(level_repo(tmp_path / "repo", 1), answers=people_answers(1))
    plan = result.plan
    assert (plan.current_level, plan.target_level) == (1, 2)
    closed = {cid for s in plan.steps for cid in s.criteria}
    assert {"MC-201", "MC-202", "MC-203", "MC-204", "PE-201", "PE-202"} <= closed
    assert all(s.level <= 2 for s in plan.steps)
    assert {s.component for s in plan.steps if s.dimension != "people"} <= {
        "training-pipeline",
        "tracking-registry",
        "ci",
        "base",
        "onnx-packaging",
        "serving-realtime",
    }
    full = assess(tmp_path / "repo", answers=people_answers(1), target=4)
    assert full.plan.target_level == 4
    assert len(full.plan.steps) > len(plan.steps)
