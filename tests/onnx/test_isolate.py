"""The worker process boundary: events, exits, timeouts, stray output."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._onnx import check_model
from mlops_factory._onnx._isolate import WorkerFailed, worker_events
from tests.onnx._models import fake_worker, linear, use_worker


def _script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    script = tmp_path / "worker.py"
    script.write_text(code, encoding="utf-8")
    use_worker(monkeypatch, script)


def test_events_stream_until_done(tmp_path: Path) -> None:
    request = {"op": "smoke", "models": [{"path": str(linear(tmp_path / "m.onnx"))}]}
    events = list(worker_events(request, timeout=60))
    assert [e["event"] for e in events] == ["smoke"]
    assert events[0]["ok"] is True


def test_an_early_exit_carries_the_last_stderr_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _script(
        tmp_path,
        monkeypatch,
        "import sys\nprint('first\\nlast words', file=sys.stderr)\nsys.exit(3)\n",
    )
    with pytest.raises(WorkerFailed) as info:
        list(worker_events({"op": "smoke", "models": []}, timeout=30))
    assert info.value.kind == "crashed"
    assert info.value.reason == "exited unexpectedly with status 3: last words"
    assert info.value.stderr == "first\nlast words"


def test_silence_beyond_the_timeout_kills_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _script(tmp_path, monkeypatch, "import time\ntime.sleep(60)\n")
    with pytest.raises(WorkerFailed) as info:
        list(worker_events({"op": "smoke", "models": []}, timeout=0.5))
    assert (info.value.kind, info.value.reason) == ("timed_out", "timed out (no answer in 0.5 s)")


def test_stray_output_cannot_corrupt_the_event_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_worker(
        tmp_path,
        """
        real = _worker._probe
        def probe(*args):
            print("python noise")
            os.write(1, b"native noise on fd 1\\n")
            return real(*args)
        _worker._probe = probe
        """,
    )
    use_worker(monkeypatch, script)
    assert check_model(linear(tmp_path / "m.onnx")).ok


def test_the_worker_does_not_import_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hostile repo could ship numpy.py; the worker runs with -P, so it is not imported.
    (tmp_path / "numpy.py").write_text("raise SystemExit('imported the repo numpy')\n")
    monkeypatch.chdir(tmp_path)
    assert check_model(linear(tmp_path / "m.onnx"), probes=False).ok
