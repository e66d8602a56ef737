"""The history database: every portfolio run, in SQLite.

Concurrency: the database is in WAL mode (readers never block the writer) with a
busy timeout, and a run is written in ONE ``BEGIN IMMEDIATE`` transaction (the
write lock is taken up front, so two runs writing at once queue instead of
failing half way). Reading the previous results and writing the new ones happen
in that same transaction, so "change since the last run" is always computed
against a consistent history.

Schema changes are migrations (:data:`MIGRATIONS`), applied in order under the
same lock and recorded in the ``schema_version`` table; a database written by a
newer mlops-factory is refused rather than misread. Documented in docs/portfolio.md.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_factory._assess.model import DIMENSIONS
from mlops_factory._errors import FactoryError
from mlops_factory._portfolio.model import PortfolioRepo, Previous, TrendPoint
from mlops_factory._version import __version__

#: The default database: in the current folder, next to what it describes.
DEFAULT_DB = "mlops-portfolio.db"
#: Seconds a run waits for another run's write to finish before giving up.
BUSY_TIMEOUT_S = 60.0
#: Runs shown in a repo's trend.
TREND_RUNS = 20

#: Version -> statements that bring the schema from version-1 to version.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            rubric_id TEXT NOT NULL,
            rubric_version TEXT NOT NULL,
            inputs TEXT NOT NULL,
            repos INTEGER NOT NULL,
            scored INTEGER NOT NULL,
            failed INTEGER NOT NULL
        )""",
        """CREATE TABLE results (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            repo_key TEXT NOT NULL,
            name TEXT NOT NULL,
            path TEXT NOT NULL,
            input TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('assessed', 'json')),
            file TEXT,
            status TEXT NOT NULL CHECK (status IN ('scored', 'failed')),
            error TEXT,
            hint TEXT,
            head TEXT,
            branch TEXT,
            rubric_id TEXT,
            rubric_version TEXT,
            tool_version TEXT,
            generated_at TEXT,
            level INTEGER CHECK (level BETWEEN 0 AND 4),
            people INTEGER CHECK (people BETWEEN 0 AND 4),
            model_creation INTEGER CHECK (model_creation BETWEEN 0 AND 4),
            model_release INTEGER CHECK (model_release BETWEEN 0 AND 4),
            application_integration INTEGER CHECK (application_integration BETWEEN 0 AND 4),
            people_assessed INTEGER,
            met INTEGER,
            unmet INTEGER,
            not_applicable INTEGER,
            not_assessed INTEGER,
            errors INTEGER,
            plan_target INTEGER,
            plan_steps INTEGER,
            effort_low REAL,
            effort_high REAL,
            top_steps TEXT,
            assessment BLOB,
            UNIQUE (run_id, repo_key)
        )""",
        "CREATE INDEX results_by_repo ON results (repo_key, run_id)",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)

_DIM_COLUMNS = ", ".join(DIMENSIONS)


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One stored run."""

    id: int
    started_at: str
    finished_at: str
    tool_version: str
    rubric_id: str
    rubric_version: str
    inputs: tuple[str, ...]
    repos: int
    scored: int
    failed: int


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What a run knows about itself before it is stored."""

    started_at: str
    finished_at: str
    tool_version: str
    rubric_id: str
    rubric_version: str
    inputs: tuple[str, ...]


class History:
    """An open history database. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.journal_mode = ""

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        migrations: Mapping[int, Sequence[str]] = MIGRATIONS,
        timeout_s: float = BUSY_TIMEOUT_S,
    ) -> History:
        """Open (creating if needed) and migrate the database at ``path``."""
        file = Path(path).expanduser()
        if file.is_dir():
            raise FactoryError(f"--db {file} is a folder", "pass a file path for the database")
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(file, timeout=timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise FactoryError(
                f"history database {file} cannot be opened: {exc}",
                "pass another --db PATH, or --no-history",
            ) from None
        history = cls(conn, file)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            history._wal()
            history._migrate(migrations)
        except BaseException:
            conn.close()
            raise
        return history

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fail(self, exc: sqlite3.Error) -> FactoryError:
        text = str(exc)
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
            return FactoryError(
                f"{self.path} is not an SQLite database",
                "pass another --db path, or remove the file",
            )
        if "locked" in text or "busy" in text:
            return FactoryError(
                f"history database {self.path} stayed locked by another run",
                "retry when the other portfolio run has finished",
            )
        return FactoryError(
            f"history database {self.path}: {text}", "pass another --db PATH, or --no-history"
        )

    def _wal(self) -> None:
        try:
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        # Some filesystems (network shares) cannot do WAL and SQLite keeps its rollback
        # journal: writers are still serialised by BEGIN IMMEDIATE, readers then wait too.
        self.journal_mode = str(mode).lower()

    def version(self) -> int:
        """The schema version recorded in the database (0 for a new database)."""
        try:
            row = self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return 0
            raise self._fail(exc) from None
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        return int(row[0] or 0)

    def _migrate(self, migrations: Mapping[int, Sequence[str]]) -> None:
        latest = max(migrations)
        if self.version() == latest:
            return  # the common case: no write lock needed
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self._migrate_locked(migrations, latest)
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def _migrate_locked(self, migrations: Mapping[int, Sequence[str]], latest: int) -> None:
        tables = {
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if tables and "schema_version" not in tables:
            raise FactoryError(
                f"{self.path} is an SQLite database of something else "
                f"(tables: {', '.join(sorted(tables)[:5])})",
                "pass another --db path for the portfolio history",
            )
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, tool_version TEXT NOT NULL)"
        )
        current = self.version()  # again, under the lock: another run may have migrated
        if current > latest:
            raise FactoryError(
                f"history database {self.path} has schema version {current}, newer than "
                f"this mlops-factory {__version__} understands ({latest})",
                "upgrade mlops-factory, or pass another --db path",
            )
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for version in range(current + 1, latest + 1):
            for statement in migrations[version]:
                self.conn.execute(statement)
            self.conn.execute(
                "INSERT INTO schema_version (version, applied_at, tool_version) VALUES (?, ?, ?)",
                (version, now, __version__),
            )

    # ------------------------------------------------------------------ writing

    def record(
        self,
        run: RunRecord,
        repos: Sequence[PortfolioRepo],
        payloads: Mapping[str, bytes],
    ) -> tuple[int, dict[str, Previous], dict[str, tuple[TrendPoint, ...]]]:
        """Store one run and its repos in one transaction.

        Returns the run id, each repo's previous score (by key, repos seen before
        only) and each repo's trend (by key; oldest first, this run included).
        """
        keys = [r.key for r in repos]
        scored = sum(1 for r in repos if r.scored)
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                previous = self._previous(keys)
                cur = self.conn.execute(
                    "INSERT INTO runs (started_at, finished_at, tool_version, rubric_id, "
                    "rubric_version, inputs, repos, scored, failed) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run.started_at,
                        run.finished_at,
                        run.tool_version,
                        run.rubric_id,
                        run.rubric_version,
                        json.dumps(list(run.inputs)),
                        len(repos),
                        scored,
                        len(repos) - scored,
                    ),
                )
                run_id = int(cur.lastrowid or 0)
                self.conn.executemany(
                    _INSERT_RESULT, [_row(run_id, r, payloads.get(r.key)) for r in repos]
                )
                trends = self._trends(keys)
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        return run_id, previous, trends

    def _previous(self, keys: Sequence[str]) -> dict[str, Previous]:
        out: dict[str, Previous] = {}
        query = (
            f"SELECT r.run_id, runs.finished_at, r.rubric_id, r.level, {_DIM_COLUMNS} "
            "FROM results r JOIN runs ON runs.id = r.run_id "
            "WHERE r.repo_key = ? AND r.status = 'scored' ORDER BY r.run_id DESC LIMIT 1"
        )
        for key in keys:
            row = self.conn.execute(query, (key,)).fetchone()
            if row is not None:
                out[key] = Previous(
                    run_id=row[0],
                    finished_at=row[1],
                    rubric_id=row[2],
                    level=row[3],
                    dimensions=dict(zip(DIMENSIONS, row[4:], strict=True)),
                )
        return out

    def _trends(self, keys: Sequence[str]) -> dict[str, tuple[TrendPoint, ...]]:
        query = (
            "SELECT r.run_id, runs.finished_at, r.level FROM results r "
            "JOIN runs ON runs.id = r.run_id "
            "WHERE r.repo_key = ? AND r.status = 'scored' ORDER BY r.run_id DESC LIMIT ?"
        )
        out: dict[str, tuple[TrendPoint, ...]] = {}
        for key in keys:
            rows = self.conn.execute(query, (key, TREND_RUNS)).fetchall()
            out[key] = tuple(TrendPoint(r[0], r[1], r[2]) for r in reversed(rows))
        return out

    # ------------------------------------------------------------------ reading

    def runs(self) -> list[RunInfo]:
        """Every stored run, oldest first."""
        try:
            rows = self.conn.execute(
                "SELECT id, started_at, finished_at, tool_version, rubric_id, rubric_version, "
                "inputs, repos, scored, failed FROM runs ORDER BY id"
            ).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        return [
            RunInfo(
                id=r[0],
                started_at=r[1],
                finished_at=r[2],
                tool_version=r[3],
                rubric_id=r[4],
                rubric_version=r[5],
                inputs=tuple(json.loads(r[6])),
                repos=r[7],
                scored=r[8],
                failed=r[9],
            )
            for r in rows
        ]

    def results(self, run_id: int) -> list[dict[str, Any]]:
        """The stored rows of one run (without the assessment blob), by repo key."""
        try:
            cur = self.conn.execute(
                "SELECT * FROM results WHERE run_id = ? ORDER BY repo_key", (run_id,)
            )
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        out = []
        for row in rows:
            item = dict(zip(names, row, strict=True))
            item.pop("assessment")
            item["top_steps"] = json.loads(item["top_steps"]) if item["top_steps"] else []
            out.append(item)
        return out

    def assessment(self, run_id: int, key: str) -> Any:
        """The full assessment JSON stored for ``key`` in run ``run_id`` (None if absent)."""
        from mlops_factory._portfolio.ingest import decompress

        row = self.conn.execute(
            "SELECT assessment FROM results WHERE run_id = ? AND repo_key = ?", (run_id, key)
        ).fetchone()
        return decompress(row[0]) if row and row[0] is not None else None


_COLUMNS = (
    "run_id, repo_key, name, path, input, source, file, status, error, hint, head, branch, "
    "rubric_id, rubric_version, tool_version, generated_at, level, "
    f"{_DIM_COLUMNS}, people_assessed, met, unmet, not_applicable, not_assessed, errors, "
    "plan_target, plan_steps, effort_low, effort_high, top_steps, assessment"
)
_INSERT_RESULT = (
    f"INSERT INTO results ({_COLUMNS}) VALUES ({', '.join('?' * (_COLUMNS.count(',') + 1))})"
)


def _row(run_id: int, r: PortfolioRepo, payload: bytes | None) -> tuple[Any, ...]:
    s = r.score
    head = (run_id, r.key, r.name, r.path, r.input, r.source, r.file, r.status, r.error, r.hint)
    if s is None:
        return head + (None,) * (_COLUMNS.count(",") + 1 - len(head))
    return (
        *head,
        s.head,
        s.branch,
        s.rubric_id,
        s.rubric_version,
        s.tool_version,
        s.generated_at,
        s.level,
        *(s.dimensions.get(d) for d in DIMENSIONS),
        int(s.people_assessed),
        *(s.counts.get(k, 0) for k in ("met", "unmet", "not_applicable", "not_assessed", "error")),
        s.plan_target,
        s.plan_steps,
        s.effort_days[0],
        s.effort_days[1],
        json.dumps([step.to_dict() for step in s.top_steps]),
        payload,
    )
