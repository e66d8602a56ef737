"""One portfolio run: discover -> assess in parallel / ingest JSON -> store -> result."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import multiprocessing.context
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from mlops_factory._assess.model import Rubric
from mlops_factory._errors import FactoryError
from mlops_factory._interrupt import terminate_as_interrupt
from mlops_factory._portfolio.history import DEFAULT_DB, History, RunRecord
from mlops_factory._portfolio.inputs import Target, discover
from mlops_factory._portfolio.model import PortfolioRepo, PortfolioResult
from mlops_factory._portfolio.worker import DEFAULT_MEMORY, DEFAULT_TIMEOUT, Limits, Outcome
from mlops_factory._version import __version__

#: Most repos handed to a worker in one task: big enough to amortise the
#: inter-process round trip, small enough for a smooth progress bar.
MAX_BATCH = 16
#: Seconds a pool may stay silent on top of its batch's timeouts (worker start-up)
#: before its workers are taken for hung and killed.
STARTUP_S = 30.0
#: Called as ``progress(done, total)`` while the run goes on.
Progress = Callable[[int, int], None]


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def portfolio(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    rubric: Rubric | str | os.PathLike[str] | None = None,
    answers: Mapping[str, bool | None] | str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    db: str | os.PathLike[str] | None = DEFAULT_DB,
    progress: Progress | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    memory_limit: int | None = DEFAULT_MEMORY,
) -> PortfolioResult:
    """Assess many repositories (and ingest assessment JSON files) as one run.

    Args:
        inputs: repo folders, folders of repos, list files (one path per line) and
            ``assess --format json`` result files; see docs/portfolio.md for the rules.
        rubric: a loaded :class:`Rubric`, a rubric YAML path, or None for the built-in.
        answers: questionnaire answers applied to every assessed repo (criterion id ->
            True / False / None for not applicable), or an answers YAML path.
        jobs: worker processes (default: the CPU count); 1 assesses in this process.
        db: the SQLite history database (created if needed), or None to keep no history.
        progress: called with ``(done, total)`` as repos finish.
        timeout: seconds one repo's assessment may take (None: no limit); a repo that
            takes longer is a failed entry, never a hung run.
        memory_limit: bytes of address space of each worker process (None: no limit);
            a repo that needs more is a failed entry. ``jobs=1`` assesses in this
            process, under the timeout only.

    Returns:
        The :class:`PortfolioResult`: every repo scored or failed with its reason, the
        change since each repo's previous run and its trend when history is kept.

    Raises:
        FactoryError: no inputs, a bad rubric, answers file, ``jobs`` or database.
        A broken repo or JSON file is never raised: it is a failed entry.
    """
    from mlops_factory._assess.questions import load_answers
    from mlops_factory._assess.rubric import load_rubric

    started_at = _now()
    t0 = time.perf_counter()
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise FactoryError(f"jobs must be 1 or more (got {jobs})", "pass --jobs 1 or more")
    loaded = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    # Workers get what they can load cheaply themselves: the rubric path (each loads
    # and caches it once) or, for a rubric built in memory, the object.
    spec: Rubric | str | None = rubric if isinstance(rubric, Rubric) else _path_or_none(rubric)
    if answers is None:
        given: dict[str, bool | None] = {}
    elif isinstance(answers, Mapping):
        given = dict(answers)
    else:
        given = load_answers(answers, loaded)

    targets = discover(inputs)
    limits = Limits(timeout, memory_limit)
    history = History.open(db) if db is not None else None
    try:
        total = len(targets)
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done, total)

        if progress is not None:
            progress(0, total)
        repos, payloads = _score(targets, spec, given, jobs, tick, limits)
        finished_at = _now()
        run_id = None
        # An input that is not there or not a repository (a mistyped path, a stray
        # file) is the user's error: it is reported, never stored in the history.
        missing = {t.path for t in targets if t.error}
        kept = [r for r in repos if not (r.status == "failed" and r.path in missing)]
        if history is not None and kept:
            run = RunRecord(
                started_at=started_at,
                finished_at=finished_at,
                tool_version=__version__,
                rubric_id=loaded.id,
                rubric_version=loaded.version,
                inputs=tuple(os.fspath(i) for i in inputs),
            )
            run_id, previous, trends = history.record(run, kept, payloads)
            repos = [
                replace(r, previous=previous.get(r.key), trend=trends.get(r.key, ())) for r in repos
            ]
    finally:
        if history is not None:
            history.close()
    repos.sort(key=lambda r: (r.name.lower(), r.key))
    return PortfolioResult(
        repos=tuple(repos),
        started_at=started_at,
        finished_at=finished_at,
        duration_s=time.perf_counter() - t0,
        tool_version=__version__,
        rubric_id=loaded.id,
        rubric_version=loaded.version,
        jobs=jobs,
        inputs=tuple(os.fspath(i) for i in inputs),
        run_id=run_id,
        db=str(history.path.resolve()) if history is not None else None,
        _payloads=payloads,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _path_or_none(rubric: str | os.PathLike[str] | None) -> str | None:
    return None if rubric is None else os.path.abspath(rubric)


def json_name(file: str) -> str:
    """The name a JSON input goes by: its stem, or for ``assessment.json`` its folder's
    name (``results/churn/assessment.json`` -> ``churn``), since the folder name recorded
    inside is the CI runner's checkout folder (``s`` on Azure Pipelines)."""
    path = Path(file)
    stem = path.stem
    if stem.lower() == "assessment" and path.parent.name:
        return path.parent.name
    return stem


def _score(
    targets: Sequence[Target],
    spec: Rubric | str | None,
    answers: Mapping[str, bool | None],
    jobs: int,
    tick: Callable[[int], None],
    limits: Limits,
) -> tuple[list[PortfolioRepo], dict[str, bytes]]:
    from mlops_factory._portfolio.ingest import load_json_file

    repos: list[PortfolioRepo] = []
    payloads: dict[str, bytes] = {}
    json_keys: set[str] = set()
    for t in targets:
        if t.kind != "json":
            continue
        name = json_name(t.path)
        key = f"json:{name}"
        if key in json_keys:
            repos.append(
                _failed(
                    t,
                    f"json:{t.path}",
                    name,
                    f"{t.path}: another JSON input is already named {name!r}",
                    "name the files after their repositories (churn.json, "
                    "or churn/assessment.json)",
                )
            )
            tick(1)
            continue
        json_keys.add(key)
        if t.error:
            repos.append(_failed(t, key, name, t.error, t.hint))
        else:
            try:
                score, payload = load_json_file(t.path)
            except FactoryError as exc:
                repos.append(_failed(t, key, name, exc.message, exc.hint))
            else:
                repos.append(
                    PortfolioRepo(
                        key=key,
                        name=name,
                        path=score.path,
                        input=t.input,
                        source="json",
                        status="scored",
                        file=t.path,
                        score=score,
                    )
                )
                payloads[key] = payload
        tick(1)

    folders = [t for t in targets if t.kind == "repo"]
    names = _display_names([t.path for t in folders])
    for t in folders:
        if t.error:
            repos.append(_failed(t, t.path, names[t.path], t.error, t.hint))
            tick(1)
    todo = [t for t in folders if not t.error]
    outcomes = _assess_paths([t.path for t in todo], spec, answers, jobs, tick, limits)
    for t in todo:
        out = outcomes[t.path]
        name = names[t.path]
        if out.score is None:
            repos.append(_failed(t, t.path, name, out.error or "not scored", out.hint))
            continue
        repos.append(
            PortfolioRepo(
                key=t.path,
                name=name,
                path=t.path,
                input=t.input,
                source="assessed",
                status="scored",
                score=out.score,
            )
        )
        payloads[t.path] = out.payload
    return repos, payloads


def _failed(t: Target, key: str, name: str, error: str, hint: str | None = None) -> PortfolioRepo:
    return PortfolioRepo(
        key=key,
        name=name,
        path=t.path,
        input=t.input,
        source="json" if t.kind == "json" else "assessed",
        status="failed",
        file=t.path if t.kind == "json" else None,
        error=error,
        hint=hint,
    )


def _display_names(paths: Sequence[str]) -> dict[str, str]:
    """Folder names; ``parent/name`` for folders that share a name."""
    counts = Counter(Path(p).name for p in paths)
    out: dict[str, str] = {}
    for p in paths:
        path = Path(p)
        out[p] = path.name if counts[path.name] == 1 else f"{path.parent.name}/{path.name}"
    return out


def _assess_paths(
    paths: Sequence[str],
    spec: Rubric | str | None,
    answers: Mapping[str, bool | None],
    jobs: int,
    tick: Callable[[int], None],
    limits: Limits | None = None,
) -> dict[str, Outcome]:
    from mlops_factory._portfolio import worker

    limits = limits or Limits()
    if not paths:
        return {}
    if jobs == 1:
        worker.init(spec, answers, in_worker=False, limits=limits)
        out: dict[str, Outcome] = {}
        for p in paths:
            out[p] = worker.assess_one(p)
            tick(1)
        return out
    # Even one repo goes to a worker: there it runs under the memory limit.
    return _pool(paths, spec, answers, min(jobs, len(paths)), tick, limits=limits)


def _context() -> multiprocessing.context.BaseContext:
    """Where workers come from. Never plain fork: the parent runs threads (the progress
    bar, the pool's manager) and forking a threaded process can deadlock the child.
    A fork server (Unix) is started once per process with the assessment preloaded,
    so each worker forks from it ready to go; elsewhere workers are spawned."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["mlops_factory._portfolio._preload"])
    return ctx


def _pool(
    paths: Sequence[str],
    spec: Rubric | str | None,
    answers: Mapping[str, bool | None],
    workers: int,
    tick: Callable[[int], None],
    task: Callable[[Sequence[str]], list[Outcome]] | None = None,
    limits: Limits | None = None,
) -> dict[str, Outcome]:
    """Assess ``paths`` in worker processes.

    A worker process that dies (a crash in native code, killed for memory) or stops
    answering (stuck past the repo timeout where the timer cannot reach it) breaks
    the whole pool and every task still pending in it. So: the repos left over are
    run again one per task in a fresh pool, and if that breaks too, one per pool,
    which pins the failure on the one repo that causes it; every other repo is still
    scored.
    """
    from mlops_factory._portfolio import worker

    limits = limits or Limits()
    run = task or worker.assess_batch
    size = max(1, min(MAX_BATCH, math.ceil(len(paths) / (workers * 4))))
    out: dict[str, Outcome] = {}
    for batch_size, n_workers in ((size, workers), (1, workers)):
        left = [p for p in paths if p not in out]
        if not left:
            return out
        if _run_pool(left, batch_size, n_workers, spec, answers, run, tick, out, limits):
            return out
    for p in [p for p in paths if p not in out]:
        if not _run_pool([p], 1, 1, spec, answers, run, tick, out, limits):
            out[p] = Outcome(
                p,
                error=f"{p}: the worker process died or hung while assessing it",
                hint="it crashed, was killed (e.g. out of memory) or overran --timeout; "
                "run `mlops-factory assess PATH` on it alone to see why",
            )
            tick(1)
    return out


def _run_pool(
    paths: Sequence[str],
    batch_size: int,
    workers: int,
    spec: Rubric | str | None,
    answers: Mapping[str, bool | None],
    run: Callable[[Sequence[str]], list[Outcome]],
    tick: Callable[[int], None],
    out: dict[str, Outcome],
    limits: Limits,
) -> bool:
    """One pool over ``paths``; outcomes go to ``out``. False when the pool broke or
    went silent for longer than a batch may take (its workers are then killed)."""
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    from mlops_factory._portfolio import worker

    batches = [list(paths[i : i + batch_size]) for i in range(0, len(paths), batch_size)]
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(batches)),
        mp_context=_context(),
        initializer=worker.init,
        initargs=(spec, dict(answers), True, limits, os.getpid()),
    )
    # The timer in the worker ends a slow assessment; this is the backstop for one
    # stuck where the timer cannot reach (inside native code): no result for this long
    # means a worker hangs. Workers start in a second or two; give them that too.
    silence = None if limits.timeout is None else batch_size * limits.timeout + STARTUP_S
    intact = True
    try:
        with terminate_as_interrupt():
            pending: dict[Future[list[Outcome]], list[str]] = {
                pool.submit(run, batch): batch for batch in batches
            }
            while pending:
                finished, _ = wait(pending, timeout=silence, return_when=FIRST_COMPLETED)
                if not finished:
                    _kill_workers(pool)
                    intact = False
                    break
                for future in finished:
                    batch = pending.pop(future)
                    try:
                        results = future.result()
                    except BrokenProcessPool:
                        intact = False
                        continue
                    for r in results:
                        out[r.path] = r
                    tick(len(batch))
    except BaseException:
        _kill_workers(pool)
        raise
    if intact:
        pool.shutdown()
    return intact


def _kill_workers(pool: object) -> None:
    """End a pool now: kill its worker processes (a shutdown alone waits for the tasks
    they run, which may never end), then release it."""
    processes = getattr(pool, "_processes", None) or {}
    for proc in list(processes.values()):
        with contextlib.suppress(OSError, ValueError):
            proc.kill()
    for proc in list(processes.values()):
        with contextlib.suppress(OSError, ValueError, AssertionError):
            proc.join(5)
    pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[attr-defined]
