"""Shared fixtures: a fleet of a dozen real repos of known maturity levels."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlops_factory import assess
from mlops_factory._portfolio import PortfolioResult, portfolio
from tests.assess.levels import LEVEL2, level_repo
from tests.helpers import build_tree, git_init

#: Expected (people, model_creation, model_release, application_integration, overall)
#: per fixture level without questionnaire answers (People is then not assessed).
#: Application integration has no level-2 criteria of its own, so level 1 there is 2.
EXPECTED = {
    0: (None, 0, 0, None, 0),
    1: (None, 1, 1, 1, 1),
    2: (None, 2, 2, 2, 2),
    3: (None, 3, 3, 3, 3),
    4: (None, 4, 4, 4, 4),
}
DIMENSION_IDS = ("people", "model_creation", "model_release", "application_integration")
#: The fleet: repo folder name -> level. Level-0 repos are plain folders (no git).
FLEET = {f"team{i:02d}-l{i % 5}": i % 5 for i in range(12)}


def levels_of(entry: dict[str, object]) -> tuple[object, ...]:
    """(people, creation, release, integration, overall) of one repo of the JSON output."""
    dims = entry["dimensions"]
    assert isinstance(dims, dict)
    return (*(dims[d] for d in DIMENSION_IDS), entry["level"])


@pytest.fixture(scope="session")
def fleet_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet") / "fleet"
    for name, level in FLEET.items():
        level_repo(root / name, level)
    return root


@pytest.fixture
def fleet(fleet_src: Path, tmp_path: Path) -> Path:
    """A private copy of the fleet that a test may change."""
    dest = tmp_path / "fleet"
    shutil.copytree(fleet_src, dest, symlinks=True)
    return dest


@pytest.fixture(scope="session")
def assessment_json(fleet_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `assess --format json` result of a level-3 repo, as CI would upload it."""
    data = assess(fleet_src / "team03-l3").to_dict()
    file = tmp_path_factory.mktemp("results") / "churn" / "assessment.json"
    file.parent.mkdir()
    file.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return file


#: A repo name that is an HTML injection attempt (no "/" so it can be a folder name).
HOSTILE = '<img src=x onerror=alert(1)>&"\u202e'


@pytest.fixture(scope="session")
def two_runs(
    fleet_src: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[PortfolioResult, Path]:
    """The second of two stored runs over the fleet plus a hostile repo name, one repo
    grown a level, one fallen a level, and two inputs that cannot be scored."""
    base = tmp_path_factory.mktemp("two-runs")
    fleet = base / "fleet"
    shutil.copytree(fleet_src, fleet, symlinks=True)
    level_repo(fleet / HOSTILE, 1)
    db = base / "history.db"
    portfolio([fleet], db=db, jobs=2)
    build_tree(fleet / "team01-l1", LEVEL2)
    git_init(fleet / "team01-l1", "grown to level 2")
    fallen = fleet / "team02-l2"
    train = fallen / "src" / "churn" / "train.py"
    kept = [ln for ln in train.read_text().splitlines() if "mlflow" not in ln or "start_run" in ln]
    train.write_text("\n".join(kept).replace("with mlflow.start_run():", "if True:") + "\n")
    git_init(fallen, "dropped experiment tracking")
    bad = base / "bad.json"
    bad.write_text('{"schema_version": "9.0"}')
    result = portfolio([fleet, base / "missing", bad], db=db, jobs=2)
    return result, db
