"""portfolio never hangs, never grows without bound and leaves no orphans.

Slow, hungry and stuck repos are simulated with pool tasks (module-level functions the
worker processes import by name); signals go to a real ``mlops-factory portfolio``
subprocess whose assessment is made to block by a ``sitecustomize`` on its path.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from mlops_factory._portfolio import History, portfolio, run, worker
from mlops_factory._portfolio.run import _pool
from mlops_factory._portfolio.worker import Limits, Outcome
from tests.helpers import build_tree

posix = pytest.mark.skipif(sys.platform == "win32", reason="signals and rlimits are POSIX")


def _repos(root: Path, n: int) -> list[str]:
    for i in range(n):
        build_tree(root / f"repo{i}", {"train.py": "print(1)\n", "README.md": "# r\n"})
    return [str(root / f"repo{i}") for i in range(n)]


def slow_batch(paths: Sequence[str]) -> list[Outcome]:
    """Assess, but the repo named repo0 takes an hour (the timer must cut it)."""
    from mlops_factory._assess import pipeline

    real = pipeline.assess

    def slow(path: str, **kwargs: object) -> object:
        if str(path).endswith("repo0"):
            time.sleep(3600)
        return real(path, **kwargs)  # type: ignore[arg-type]

    pipeline.assess = slow  # type: ignore[assignment]
    return worker.assess_batch(paths)


def hungry_batch(paths: Sequence[str]) -> list[Outcome]:
    """Assess, but the repo named repo0 asks for 64 GiB."""
    from mlops_factory._assess import pipeline

    real = pipeline.assess

    def hungry(path: str, **kwargs: object) -> object:
        if str(path).endswith("repo0"):
            return bytearray(64 * 1024**3)
        return real(path, **kwargs)  # type: ignore[arg-type]

    pipeline.assess = hungry  # type: ignore[assignment]
    return worker.assess_batch(paths)


def stuck_batch(paths: Sequence[str]) -> list[Outcome]:
    """repo0 blocks where the timer cannot reach (SIGALRM blocked): only the parent's
    watchdog can end it."""
    if any(p.endswith("repo0") for p in paths):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)
    return worker.assess_batch(paths)


@posix
def test_a_slow_repo_fails_on_its_timeout_and_the_rest_are_scored(tmp_path: Path) -> None:
    paths = _repos(tmp_path, 3)
    out = _pool(paths, None, {}, 2, lambda n: None, task=slow_batch, limits=Limits(2.0, None))
    assert out[paths[0]].score is None
    assert out[paths[0]].error == f"{paths[0]}: the assessment took longer than 2 s"
    assert all(out[p].score is not None for p in paths[1:])


@posix
def test_a_repo_that_needs_too_much_memory_fails_alone(tmp_path: Path) -> None:
    paths = _repos(tmp_path, 2)
    limits = Limits(60.0, 2 * 1024**3)
    out = _pool(paths, None, {}, 2, lambda n: None, task=hungry_batch, limits=limits)
    assert out[paths[0]].error == f"{paths[0]}: the assessment ran out of memory (limit 2 GiB)"
    assert out[paths[1]].score is not None


@posix
def test_a_stuck_worker_is_killed_and_pinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "STARTUP_S", 5.0)
    paths = _repos(tmp_path, 2)
    out = _pool(paths, None, {}, 2, lambda n: None, task=stuck_batch, limits=Limits(1.0, None))
    assert out[paths[0]].error == f"{paths[0]}: the worker process died or hung while assessing it"
    assert out[paths[1]].score is not None


def test_a_path_that_does_not_exist_is_an_error_never_history(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    result = portfolio([tmp_path / "nonexistent"], db=db, jobs=2)
    assert not result.scored and result.run_id is None
    (failed,) = result.failed
    assert failed.error == f"{tmp_path / 'nonexistent'} does not exist"
    with History.open(db) as history:
        assert history.runs() == []
    real = _repos(tmp_path / "fleet", 1)[0]
    result = portfolio([real, tmp_path / "nonexistent"], db=db, jobs=2)
    with History.open(db) as history:
        (stored,) = history.runs()
        assert (stored.repos, stored.scored, stored.failed) == (1, 1, 0)
        assert [row["name"] for row in history.results(stored.id)] == ["repo0"]


_SITECUSTOMIZE = """
import os, time
if os.environ.get("MF_TEST_BLOCK"):
    try:
        from mlops_factory._assess import pipeline
    except ImportError:
        pass
    else:
        def _blocked(path, **kwargs):
            marker = os.path.join(os.environ["MF_TEST_BLOCK"], str(os.getpid()))
            open(marker, "w").close()
            time.sleep(3600)
        pipeline.assess = _blocked
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@posix
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find the workers")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_signal_ends_the_run_and_its_workers(tmp_path: Path, sig: signal.Signals) -> None:
    paths = _repos(tmp_path / "fleet", 2)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(textwrap.dedent(_SITECUSTOMIZE))
    markers = tmp_path / "markers"
    markers.mkdir()
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hook), str(root)]),
        "MF_TEST_BLOCK": str(markers),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlops_factory",
            "portfolio",
            *paths,
            "--jobs",
            "2",
            "--no-history",
            "--no-progress",
            "--timeout",
            "none",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a signal to the test's group must not reach it
        # As from a terminal: a suite started in the background inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(markers.iterdir())) < 2:
            assert time.monotonic() < deadline, "the workers never started"
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.1)
        workers = [int(p.name) for p in markers.iterdir()]
        assert all(_alive(pid) for pid in workers)
        os.kill(proc.pid, sig)
        code = proc.wait(30)
        if sig is not signal.SIGKILL:
            assert code == 130
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for marker in markers.iterdir():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(marker.name), signal.SIGKILL)


@posix
def test_hostile_git_configs_do_not_stop_a_fleet_run(tmp_path: Path) -> None:
    from tests.helpers import git_init

    paths = _repos(tmp_path / "fleet", 3)
    for p in paths:
        git_init(Path(p))
    os.mkfifo(tmp_path / "fifo")
    with open(Path(paths[0]) / ".git" / "config", "a") as fh:
        fh.write("[include]\n\tpath = /dev/zero\n")
    with open(Path(paths[1]) / ".git" / "config", "a") as fh:
        fh.write(f"[include]\n\tpath = {tmp_path / 'fifo'}\n")
    result = portfolio(paths, db=None, jobs=2, timeout=120)
    assert len(result.scored) == 3 and not result.failed
    assert [r.score.head is None for r in result.repos if r.score] == [True, True, False]
