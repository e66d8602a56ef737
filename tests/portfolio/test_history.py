"""The SQLite history: schema and migrations, one transaction per run, concurrent runs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_factory._errors import FactoryError
from mlops_factory._portfolio.history import MIGRATIONS, SCHEMA_VERSION, History, RunRecord
from mlops_factory._portfolio.ingest import compress
from mlops_factory._portfolio.model import PortfolioRepo, Score, StepSummary

ROOT = Path(__file__).resolve().parents[2]


def repo(key: str, level: int = 1, *, rubric: str = "mlops-maturity") -> PortfolioRepo:
    step = StepSummary(
        1, level + 1, "model_creation", "Track experiments", ("MC-202",), "M", (3, 5), "x"
    )
    score = Score(
        rubric_id=rubric,
        rubric_version="1.0.0",
        tool_version="0.1.0",
        generated_at="2026-01-02T03:04:05+00:00",
        name=key,
        path=f"/srv/{key}",
        head="0" * 40,
        branch="main",
        level=level,
        people_assessed=False,
        dimensions={
            "people": None,
            "model_creation": level,
            "model_release": level,
            "application_integration": 2,
        },
        counts={"met": 4, "unmet": 3, "not_applicable": 1, "not_assessed": 7, "error": 0},
        plan_target=level + 1,
        plan_steps=4,
        effort_days=(3.0, 9.0),
        top_steps=(step,),
    )
    return PortfolioRepo(
        key=key, name=key, path=f"/srv/{key}", input="x", source="assessed", status="scored",
        score=score,
    )  # fmt: skip


def failed(key: str) -> PortfolioRepo:
    return PortfolioRepo(
        key=key, name=key, path=f"/srv/{key}", input="x", source="assessed", status="failed",
        error=f"/srv/{key} does not exist",
    )  # fmt: skip


RUN = RunRecord(
    started_at="2026-01-02T03:04:05+00:00",
    finished_at="2026-01-02T03:04:09+00:00",
    tool_version="0.1.0",
    rubric_id="mlops-maturity",
    rubric_version="1.0.0",
    inputs=("repos/",),
)


def test_a_new_database_gets_the_schema_and_its_version(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "h.db"
    with History.open(db) as history:
        assert history.version() == SCHEMA_VERSION == 1
        assert history.journal_mode == "wal"
        tables = {
            r[0] for r in history.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert {"schema_version", "runs", "results"} <= tables
        row = history.conn.execute("SELECT version, tool_version FROM schema_version").fetchall()
        assert row == [(1, "0.1.0")]
        timeout = history.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        assert timeout == 60_000


def test_a_run_is_stored_with_previous_scores_and_trends(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    payload = compress({"level": 1, "note": "the full JSON"})
    with History.open(db) as history:
        run1, prev1, trend1 = history.record(RUN, [repo("a", 1), failed("b")], {"a": payload})
        run2, prev2, trend2 = history.record(RUN, [repo("a", 2), repo("b", 3)], {})
        run3, prev3, _ = history.record(RUN, [repo("a", 2, rubric="custom")], {})
        assert (run1, run2, run3) == (1, 2, 3)
        assert prev1 == {}
        assert set(prev2) == {"a"}  # b failed in run 1: nothing to compare with
        assert (prev2["a"].run_id, prev2["a"].level, prev2["a"].rubric_id) == (
            1,
            1,
            "mlops-maturity",
        )
        assert dict(prev2["a"].dimensions)["model_creation"] == 1
        assert [p.level for p in trend1["a"]] == [1] and trend1["b"] == ()
        assert [(p.run_id, p.level) for p in trend2["a"]] == [(1, 1), (2, 2)]
        assert prev3["a"].run_id == 2

        rows = {r["repo_key"]: r for r in history.results(1)}
        assert rows["a"]["status"] == "scored" and rows["b"]["status"] == "failed"
        assert rows["b"]["error"] == "/srv/b does not exist" and rows["b"]["level"] is None
        assert (rows["a"]["model_creation"], rows["a"]["people"]) == (1, None)
        assert (rows["a"]["met"], rows["a"]["not_assessed"], rows["a"]["errors"]) == (4, 7, 0)
        assert rows["a"]["top_steps"][0]["criteria"] == ["MC-202"]
        assert history.assessment(1, "a") == {"level": 1, "note": "the full JSON"}
        assert history.assessment(2, "a") is None
        (first, *_) = history.runs()
        assert (first.inputs, first.repos, first.scored, first.failed) == (("repos/",), 2, 1, 1)


def test_a_run_that_fails_half_way_leaves_nothing(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.db") as history:
        history.record(RUN, [repo("a")], {})
        with pytest.raises(FactoryError, match="UNIQUE constraint failed"):
            history.record(RUN, [repo("b"), repo("b")], {})
        assert [r.id for r in history.runs()] == [1]
        assert history.conn.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 1


def test_readers_are_not_blocked_by_a_writer_and_writers_queue(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with History.open(db) as first:
        first.record(RUN, [repo("a")], {})
        first.conn.execute("BEGIN IMMEDIATE")  # another run is writing right now
        first.conn.execute("DELETE FROM results")
        with History.open(db, timeout_s=0.2) as second:
            assert len(second.runs()) == 1  # WAL: reads the last committed state
            assert len(second.results(1)) == 1
            started = time.perf_counter()
            with pytest.raises(FactoryError) as info:
                second.record(RUN, [repo("b")], {})
            assert time.perf_counter() - started >= 0.15  # it waited for the lock
            assert info.value.message == f"history database {db} stayed locked by another run"
        first.conn.execute("ROLLBACK")


_WRITER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.portfolio.test_history import RUN, repo
from mlops_factory._portfolio.history import History

db, name, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
(go.parent / f"ready-{{name}}").touch()
while not go.exists():
    time.sleep(0.001)
started = time.time()
ids = []
for i in range(25):
    with History.open(db) as history:
        repos = [repo(f"{{name}}-{{k}}", k % 5) for k in range(40)]
        ids.append(history.record(RUN, repos, {{}})[0])
print(started, time.time(), *ids)
"""


def test_two_processes_writing_at_once_do_not_corrupt_it(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"  # created by the two writers racing each other
    go = tmp_path / "go"
    script = _WRITER.format(root=str(ROOT))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(db), name, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("left", "right")
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{n}").exists() for n in ("left", "right")):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.01)
    go.touch()  # both interpreters are up: release them together
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    fields = [out.split() for out, _ in outputs]
    (start_l, end_l), (start_r, end_r) = [(float(f[0]), float(f[1])) for f in fields]
    assert start_l < end_r and start_r < end_l  # their writing overlapped in time
    ids = [int(i) for f in fields for i in f[2:]]
    assert sorted(ids) == list(range(1, 51))  # 50 runs, no id twice

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
        per_run = conn.execute(
            "SELECT run_id, COUNT(*), COUNT(DISTINCT substr(repo_key, 1, instr(repo_key, '-'))) "
            "FROM results GROUP BY run_id"
        ).fetchall()
        # Every run complete (40 repos), and each run holds one writer's repos only.
        assert sorted(per_run) == [(i, 40, 1) for i in range(1, 51)]
        scored = conn.execute("SELECT SUM(scored), SUM(repos) FROM runs").fetchone()
        assert scored == (2000, 2000)
    finally:
        conn.close()


def test_migrations_apply_in_order_and_keep_the_data(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with History.open(db) as history:
        history.record(RUN, [repo("a", 3)], {})
    later = {**MIGRATIONS, 2: ("ALTER TABLE runs ADD COLUMN note TEXT",)}
    with History.open(db, migrations=later) as history:
        assert history.version() == 2
        assert history.conn.execute("SELECT level, note FROM results, runs").fetchone() == (3, None)
        versions = history.conn.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        assert versions == [(1,), (2,)]
    # The released code meets a database from the future: refused, never misread.
    with pytest.raises(FactoryError) as info:
        History.open(db)
    assert info.value.message == (
        f"history database {db} has schema version 2, newer than this mlops-factory "
        "0.1.0 understands (1)"
    )


def test_an_empty_file_becomes_a_history(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    db.touch()
    with History.open(db) as history:
        assert history.version() == 1


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.write_text("hello, not sqlite" * 100), "{db} is not an SQLite database"),
        (
            lambda p: (
                sqlite3.connect(p).execute("CREATE TABLE users (id INTEGER)").connection.commit()
            ),
            "{db} is an SQLite database of something else (tables: users)",
        ),
        (lambda p: p.mkdir(), "--db {db} is a folder"),
    ],
)
def test_what_is_not_a_history_is_refused(tmp_path: Path, setup: object, message: str) -> None:
    db = tmp_path / "other.db"
    setup(db)  # type: ignore[operator]
    with pytest.raises(FactoryError) as info:
        History.open(db)
    assert info.value.message == message.format(db=db)
