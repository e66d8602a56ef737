"""`portfolio()` end to end on real repos: levels, history across runs, broken inputs."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from mlops_factory._assess import pipeline
from mlops_factory._assess.rubric import load_rubric
from mlops_factory._errors import FactoryError
from mlops_factory._portfolio import History, PortfolioResult, portfolio, worker
from mlops_factory._portfolio.run import _assess_paths, _pool, json_name
from mlops_factory._portfolio.worker import Outcome
from tests.assess.levels import LEVEL2, people_answers
from tests.helpers import build_tree, git_init
from tests.portfolio.conftest import EXPECTED, FLEET, levels_of


def test_a_dozen_repos_score_at_their_exact_levels(fleet_src: Path, tmp_path: Path) -> None:
    result = portfolio([fleet_src], db=tmp_path / "h.db", jobs=2)
    got = {r.name: levels_of(r.to_dict()) for r in result.repos}
    assert got == {name: EXPECTED[level] for name, level in FLEET.items()}
    assert [r.name for r in result.repos] == sorted(FLEET)
    assert not result.failed
    assert result.distribution() == [3, 3, 2, 2, 2]
    assert result.run_id == 1
    assert all(r.previous is None and r.change is None for r in result.repos)
    assert all([p.level for p in r.trend] == [r.level] for r in result.repos)


def test_two_runs_are_two_history_entries_with_the_change_between(
    fleet: Path, tmp_path: Path
) -> None:
    db = tmp_path / "h.db"
    first = portfolio([fleet], db=db, jobs=2)
    # The level-1 team builds a training pipeline between the runs.
    grown = fleet / "team01-l1"
    build_tree(grown, LEVEL2)
    git_init(grown, "level 2")
    second = portfolio([fleet], db=db, jobs=2)

    with History.open(db) as history:
        runs = history.runs()
        assert [r.id for r in runs] == [first.run_id, second.run_id] == [1, 2]
        assert [(r.repos, r.scored, r.failed) for r in runs] == [(12, 12, 0), (12, 12, 0)]
        rows = history.results(2)
        assert len(rows) == 12
        stored = {row["name"]: row["level"] for row in rows}
        assert stored["team01-l1"] == 2
        full = history.assessment(2, str(grown.resolve()))
        assert full["level"] == 2 and full["schema_version"] == "2.0"

    by_name = {r.name: r for r in second.repos}
    repo = by_name["team01-l1"]
    assert repo.previous is not None and repo.previous.level == 1 and repo.previous.run_id == 1
    assert repo.change == 1
    assert repo.dimension_change("model_creation") == 1
    assert repo.dimension_change("people") is None
    assert [p.level for p in repo.trend] == [1, 2]
    assert [p.run_id for p in repo.trend] == [1, 2]
    others = [r for r in second.repos if r.name != "team01-l1"]
    assert {r.change for r in others} == {0}


def test_broken_inputs_are_reported_and_the_rest_scored(
    fleet_src: Path, tmp_path: Path, assessment_json: Path
) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "notes.txt").write_text("not a repo\n")
    wrong = lists / "wrong.json"
    data = json.loads(assessment_json.read_text())
    data["schema_version"] = "3.0"
    wrong.write_text(json.dumps(data))
    garbage = lists / "garbage.json"
    garbage.write_text("{not json")
    listing = lists / "repos.txt"
    listing.write_text(
        "# the fleet, a stray file, a typo, two bad results and a good one\n"
        f"{fleet_src}\n"
        "notes.txt\n"
        "missing-repo   # typo\n"
        "wrong.json\n"
        "garbage.json\n"
        f"{assessment_json}\n"
    )
    result = portfolio([listing], db=tmp_path / "h.db", jobs=2)

    assert len(result.scored) == 13  # the 12 repos and the good JSON
    failed = {r.input: r.error for r in result.failed}
    assert set(failed) == {"notes.txt", "missing-repo", "wrong.json", "garbage.json"}
    assert failed["notes.txt"] == (
        f"notes.txt (in {listing}) is a file, not a repository folder or an assessment .json"
    )
    assert failed["missing-repo"] == f"missing-repo (in {listing}) does not exist"
    assert failed["wrong.json"] == (
        f"{wrong.resolve()}: schema_version '3.0' is not supported (this mlops-factory reads 2.x)"
    )
    assert failed["garbage.json"] == (
        f"{garbage.resolve()}: invalid JSON at line 1, column 2: "
        "Expecting property name enclosed in double quotes"
    )
    churn = next(r for r in result.scored if r.name == "churn")
    assert (churn.source, churn.key, churn.level, churn.file) == (
        "json",
        "json:churn",
        3,
        str(assessment_json.resolve()),
    )
    with History.open(tmp_path / "h.db") as history:
        (run,) = history.runs()
        # notes.txt and missing-repo are not repositories: reported, never stored
        assert (run.repos, run.scored, run.failed) == (15, 13, 2)
        statuses = sorted(row["status"] for row in history.results(run.id))
        assert statuses == ["failed"] * 2 + ["scored"] * 13


def test_a_repo_whose_assessment_fails_in_a_worker_is_reported(fleet_src: Path) -> None:
    # Discovery would refuse a file; handing one straight to the pool shows that a
    # repo failing inside a worker process comes back as an error, the rest scored.
    stray = fleet_src / "team00-l0" / "README.md"
    good = str(fleet_src / "team02-l2")
    ticks: list[int] = []
    out = _assess_paths([good, str(stray), str(fleet_src / "team04-l4")], None, {}, 2, ticks.append)
    assert out[good].score is not None and out[good].score.level == 2
    assert out[str(stray)].score is None
    assert out[str(stray)].error == f"{stray} is not a folder"
    assert out[str(fleet_src / "team04-l4")].score is not None
    assert sum(ticks) == 3


def crashing_batch(paths: Sequence[str]) -> list[Outcome]:
    """A pool task that kills its worker process on the repo named team05-l0."""
    if any(p.endswith("team05-l0") for p in paths):
        os._exit(70)  # a hard crash: no exception, no result, the pool breaks
    return worker.assess_batch(paths)


def test_a_worker_process_that_dies_costs_only_the_repo_that_killed_it(fleet_src: Path) -> None:
    paths = [str(p) for p in sorted(fleet_src.iterdir())]
    ticks: list[int] = []
    out = _pool(paths, None, {}, 2, ticks.append, task=crashing_batch)
    killer = str(fleet_src / "team05-l0")
    assert out[killer].score is None
    assert out[killer].error == f"{killer}: the worker process died or hung while assessing it"
    scored = {Path(p).name: o.score.level for p, o in out.items() if o.score is not None}
    assert scored == {name: level for name, level in FLEET.items() if name != "team05-l0"}
    assert sum(ticks) == len(paths) == 12


def test_an_internal_error_in_one_repo_does_not_stop_the_run(
    fleet_src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.assess
    victim = str((fleet_src / "team02-l2").resolve())

    def flaky(path: str, **kwargs: object) -> object:
        if str(path) == victim:
            raise RuntimeError("signal exploded\nsecond line")
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "assess", flaky)
    result = portfolio([fleet_src], db=None, jobs=1)
    (broken,) = result.failed
    assert broken.name == "team02-l2"
    assert broken.error == f"{victim}: internal error RuntimeError: signal exploded"
    assert broken.hint is not None and "bug" in broken.hint
    assert len(result.scored) == 11


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root reads any folder whatever its mode, and the interpreter under /root "
    "cannot be run as another user here",
)
def test_an_unreadable_folder_is_reported(fleet: Path) -> None:
    locked = fleet / "team02-l2"
    locked.chmod(0)
    try:
        inside = portfolio([fleet], db=None, jobs=2)  # found in a folder of repos
        direct = portfolio([locked, fleet / "team01-l1"], db=None, jobs=2)  # given by name
    finally:
        locked.chmod(0o755)
    (broken,) = inside.failed
    assert broken.error == f"{locked} cannot be listed: Permission denied"
    assert len(inside.scored) == 11
    (broken,) = direct.failed
    assert broken.error == f"{locked} cannot be read"
    assert len(direct.scored) == 1


def test_answers_apply_to_every_repo(fleet_src: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    lines = [f"  {cid}: {'yes' if ok else 'no'}" for cid, ok in people_answers(2).items()]
    answers.write_text("rubric: mlops-maturity\nanswers:\n" + "\n".join(lines) + "\n")
    result = portfolio([fleet_src], answers=answers, db=None, jobs=2)
    assert {r.name: r.dimension_level("people") for r in result.repos} == dict.fromkeys(FLEET, 2)
    assert {r.name: r.level for r in result.repos} == {
        name: min(level, 2) for name, level in FLEET.items()
    }


def test_in_process_and_pool_agree_and_a_rubric_object_reaches_the_workers(fleet_src: Path) -> None:
    rubric = load_rubric()
    one = portfolio([fleet_src], rubric=rubric, db=None, jobs=1)
    two = portfolio([fleet_src], rubric=rubric, db=None, jobs=2)

    def same(result: PortfolioResult) -> list[dict[str, object]]:
        return [r.to_dict() | {"generated_at": None} for r in result.repos]

    assert same(one) == same(two)
    assert (one.jobs, two.jobs) == (1, 2)


def test_without_history_there_is_no_run_id_and_no_trend(fleet_src: Path, tmp_path: Path) -> None:
    result = portfolio([fleet_src / "team01-l1"], db=None)
    (repo,) = result.repos
    assert (result.run_id, result.db, repo.trend, repo.previous) == (None, None, (), None)
    assert not list(tmp_path.glob("*.db"))


def test_the_same_repo_given_twice_is_scored_once(fleet_src: Path) -> None:
    result = portfolio(
        [fleet_src, fleet_src / "team03-l3", f"{fleet_src}/team03-l3/"], db=None, jobs=2
    )
    assert len(result.repos) == 12


def test_repos_sharing_a_folder_name_are_told_apart(fleet_src: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "team01-l1"
    other.mkdir(parents=True)
    (other / "README.md").write_text("# another team01\n")
    result = portfolio([fleet_src / "team01-l1", other], db=None, jobs=1)
    assert [r.name for r in result.repos] == ["elsewhere/team01-l1", "fleet/team01-l1"]


def test_two_json_inputs_with_one_name_keep_the_first(
    tmp_path: Path, assessment_json: Path
) -> None:
    twin = tmp_path / "churn.json"
    twin.write_text(assessment_json.read_text())
    result = portfolio([assessment_json, twin], db=tmp_path / "h.db")
    (kept,) = result.scored
    (dropped,) = result.failed
    assert (kept.key, kept.file) == ("json:churn", str(assessment_json))
    assert (dropped.key, dropped.name) == (f"json:{twin}", "churn")
    assert dropped.error == f"{twin}: another JSON input is already named 'churn'"


def test_json_inputs_are_named_after_their_file() -> None:
    assert json_name("/r/churn.json") == "churn"
    assert json_name("/r/churn/assessment.json") == "churn"
    assert json_name("/r/churn/Assessment.JSON") == "churn"
    assert json_name("/r/fraud-model.json") == "fraud-model"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"jobs": 0}, "jobs must be 1 or more (got 0)"),
        (
            {"rubric": "/nonexistent/rubric.yml"},
            "rubric file /nonexistent/rubric.yml does not exist",
        ),
        ({"answers": "/nonexistent/a.yml"}, "answers file /nonexistent/a.yml does not exist"),
    ],
)
def test_bad_arguments_are_user_errors(
    fleet_src: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(FactoryError) as info:
        portfolio([fleet_src], db=None, **kwargs)  # type: ignore[arg-type]
    assert info.value.message == message


def test_no_inputs_is_a_user_error() -> None:
    with pytest.raises(FactoryError, match="no repositories given"):
        portfolio([], db=None)


def test_progress_reports_every_repo(fleet_src: Path, assessment_json: Path) -> None:
    calls: list[tuple[int, int]] = []
    portfolio(
        [fleet_src, assessment_json], db=None, jobs=2, progress=lambda d, t: calls.append((d, t))
    )
    assert calls[0] == (0, 13)
    assert calls[-1] == (13, 13)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
