"""Run :mod:`._worker` in a child process and stream its events back.

A segfault, abort or hang inside onnxruntime ends the child only; the parent
sees :class:`WorkerFailed` and turns it into a failed check. The child runs
OUR code (``python -P``: the current folder, which may be an untrusted repo,
is not put on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal

#: Environment variable that carries the child's address-space limit in bytes.
MEMORY_ENV = "MLOPS_FACTORY_WORKER_MEMORY"
#: Default address-space limit of the child: a model that needs more is refused cleanly
#: (exit 2) instead of dragging the machine into swap or the OOM killer.
DEFAULT_MEMORY_LIMIT = 8 * 1024**3
#: What an allocation failure looks like in a child's last words.
_OOM = re.compile(
    r"MemoryError|bad_alloc|bad allocation|Failed to allocate|Cannot allocate memory|"
    r"out of memory|Unable to allocate",
    re.I,
)

#: The folder that holds the ``mlops_factory`` package, so the child finds it
#: even when the parent runs from a source tree without an install.
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_STDERR_TAIL = 2000


class WorkerFailed(Exception):
    """The worker died, went silent, overran the deadline or ran out of its memory
    limit; ``kind`` says which."""

    def __init__(
        self, kind: Literal["crashed", "timed_out", "out_of_memory"], reason: str, stderr: str
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.stderr = stderr


class WorkerBug(RuntimeError):
    """Our own worker code raised: a bug in mlops-factory, not in the model."""


def _command() -> list[str]:
    return [sys.executable, "-P", "-m", "mlops_factory._onnx._worker"]


def _env(memory_limit: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(MEMORY_ENV, None)
    if memory_limit:
        env[MEMORY_ENV] = str(memory_limit)
    parts = [_PACKAGE_PARENT, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"crashed (killed by {name})"
    return f"exited unexpectedly with status {code}"


def is_out_of_memory(text: str) -> bool:
    """Whether an error text says an allocation failed."""
    return bool(_OOM.search(text))


def worker_events(
    request: dict[str, Any],
    *,
    timeout: float,
    deadline: float | None = None,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> Iterator[dict[str, Any]]:
    """Send ``request`` to a fresh worker and yield its events up to ``done``.

    The worker runs under an address-space limit of ``memory_limit`` bytes (None: no
    limit). Raises :class:`WorkerFailed` when the process dies before ``done``, sends
    nothing for ``timeout`` seconds, or is still running at ``deadline`` (a
    ``time.monotonic()`` value; it is then killed), and :class:`WorkerBug` when our
    worker code raised.
    """
    if deadline is not None and time.monotonic() >= deadline:
        raise WorkerFailed("timed_out", "not started: the overall time limit was reached", "")
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            _command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            env=_env(memory_limit),
        )
        assert proc.stdin is not None and proc.stdout is not None
        lines: queue.Queue[bytes | None] = queue.Queue()
        reader = threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True)
        reader.start()
        try:
            try:
                proc.stdin.write(json.dumps(request).encode("utf-8"))
                proc.stdin.close()
            except BrokenPipeError:
                pass  # the child already died; the exit status says why
            while True:
                wait = timeout
                if deadline is not None:
                    wait = min(wait, max(0.0, deadline - time.monotonic()))
                try:
                    line = lines.get(timeout=wait)
                except queue.Empty:
                    proc.kill()
                    proc.wait()
                    overall = wait < timeout
                    reason = (
                        "timed out (the overall time limit was reached)"
                        if overall
                        else f"timed out (no answer in {timeout:g} s)"
                    )
                    raise WorkerFailed("timed_out", reason, _tail(err)) from None
                if line is None:
                    code = proc.wait()
                    tail = _tail(err)
                    reason = _describe_exit(code)
                    last = tail.splitlines()[-1].strip() if tail else ""
                    if last:  # e.g. "terminate called after throwing ..." or an import error
                        reason += f": {last[:200]}"
                    if memory_limit and is_out_of_memory(tail[-500:]):
                        raise WorkerFailed("out_of_memory", reason, tail)
                    raise WorkerFailed("crashed", reason, tail)
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # not ours; the worker writes one JSON object per line
                if event.get("event") == "done":
                    proc.wait()
                    return
                if event.get("event") == "bug":
                    proc.wait()
                    raise WorkerBug("the onnx worker failed:\n" + str(event.get("traceback")))
                yield event
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            reader.join(timeout=5)


def _pump(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):
        pass
    lines.put(None)


def _tail(err: IO[bytes]) -> str:
    try:
        err.seek(0, os.SEEK_END)
        size = err.tell()
        err.seek(max(0, size - _STDERR_TAIL))
        return err.read().decode("utf-8", errors="replace").strip()
    except OSError:
        return ""
