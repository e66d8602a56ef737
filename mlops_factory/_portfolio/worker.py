"""What runs in each worker process: assess repos, return small picklable outcomes.

The rubric and answers are set once per worker by :func:`init` (the rubric loader
caches by file identity, so a worker parses the rubric file once). Every
exception raised while assessing a repo is caught and returned as a failure:
one broken repo never ends the run.

Bounds: each repo is assessed under a timer (:data:`Limits.timeout`, an interval
timer that interrupts the Python code), a worker process under an address-space
limit (``RLIMIT_AS``), and a worker whose parent run died exits by itself, so an
interrupted or killed run leaves no orphans.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_factory._errors import FactoryError

if TYPE_CHECKING:
    from mlops_factory._assess.model import Rubric
    from mlops_factory._portfolio.model import Score

_STATE: dict[str, Any] = {}


#: Default seconds one repo's assessment may take.
DEFAULT_TIMEOUT = 600.0
#: Default bytes of address space of a worker process.
DEFAULT_MEMORY = 4 * 1024**3


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds of one repo's assessment: seconds (None: none) and, in a worker process,
    bytes of address space (None: none)."""

    timeout: float | None = DEFAULT_TIMEOUT
    memory: int | None = DEFAULT_MEMORY


class _TimedOut(BaseException):
    """Raised by the interval timer inside an assessment that took too long (a
    BaseException so that no ``except Exception`` in a signal swallows it)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One repo's result: a score and the compressed assessment JSON, or an error."""

    path: str
    score: Score | None = None
    payload: bytes = b""
    error: str | None = None
    hint: str | None = None


def init(
    rubric: Rubric | str | None,
    answers: Mapping[str, bool | None],
    in_worker: bool,
    limits: Limits | None = None,
    parent: int | None = None,
) -> None:
    """Prepare this process: load the rubric once, keep the answers, warm imports, and
    (in a worker) apply the memory limit and watch the ``parent`` run's process."""
    from mlops_factory._assess.rubric import load_rubric

    limits = limits or Limits()
    if in_worker:
        # Ctrl-C goes to the whole process group; the parent decides how to stop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if limits.memory:
            _limit_memory(limits.memory)
        if parent:
            threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
        # Paid once here rather than inside the first repo's timing.
        import mlops_factory._assess.pipeline  # noqa: F401
    _STATE["rubric"] = rubric if not isinstance(rubric, str | None) else load_rubric(rubric)
    _STATE["answers"] = dict(answers)
    _STATE["limits"] = limits


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the timeout still bounds each repo
        return
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _watch_parent(parent: int) -> None:
    """End this worker when the run that started it is gone (SIGKILL, a crash): its
    pipes would otherwise keep it, and the work it holds, alive forever."""
    import time

    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # the pid was reused by another user's process
            os._exit(1)


def _alarm(_signum: int, _frame: Any) -> None:
    raise _TimedOut


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (main thread of a POSIX process only)."""
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    assert seconds is not None
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def assess_one(path: str) -> Outcome:
    """Assess one repo with the process's rubric and answers; never raises."""
    from mlops_factory._assess.pipeline import assess
    from mlops_factory._portfolio.ingest import compress, score_of

    limits: Limits = _STATE.get("limits") or Limits()
    try:
        with _deadline(limits.timeout):
            data = assess(path, rubric=_STATE["rubric"], answers=_STATE["answers"]).to_dict()
        return Outcome(path, score_of(data, path), compress(data))
    except _TimedOut:
        return Outcome(
            path,
            error=f"{path}: the assessment took longer than {limits.timeout:g} s",
            hint="raise --timeout, or run `mlops-factory assess PATH` on it alone",
        )
    except MemoryError:
        return Outcome(path, error=out_of_memory(path, limits.memory), hint=_MEMORY_HINT)
    except FactoryError as exc:
        return Outcome(path, error=exc.message, hint=exc.hint)
    except RecursionError:
        return Outcome(path, error=f"{path}: the assessment recursed too deeply")
    except Exception as exc:  # a bug in a signal or the pipeline: report it, go on
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return Outcome(
            path,
            error=f"{path}: internal error {what}",
            hint="this is a bug in mlops-factory; `mlops-factory assess PATH` shows the traceback",
        )


_MEMORY_HINT = "raise --memory-limit, or run `mlops-factory assess PATH` on it alone"


def out_of_memory(path: str, limit: int | None) -> str:
    """The failure of a repo whose assessment ran out of memory."""
    within = f" (limit {limit / 1024**3:g} GiB)" if limit else ""
    return f"{path}: the assessment ran out of memory{within}"


def assess_batch(paths: Sequence[str]) -> list[Outcome]:
    """Assess several repos in a row (one task of the process pool)."""
    return [assess_one(p) for p in paths]
