"""smoke_test: many models, one isolated worker, every outcome a LoadResult."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._onnx import LoadResult, smoke_test
from tests.onnx._models import fake_worker, linear, reshape_fails, unknown_op, use_worker


def test_each_model_gets_a_result_in_order(tmp_path: Path) -> None:
    models = [
        ("good.onnx", linear(tmp_path / "good.onnx")),
        ("runfail.onnx", reshape_fails(tmp_path / "runfail.onnx")),
        ("noload.onnx", unknown_op(tmp_path / "noload.onnx")),
    ]
    (tmp_path / "empty.onnx").write_bytes(b"")
    (tmp_path / "lfs.onnx").write_text("version https://git-lfs.github.com/spec/v1\n")
    models += [("empty.onnx", tmp_path / "empty.onnx"), ("lfs.onnx", tmp_path / "lfs.onnx")]
    results = smoke_test(models, root=tmp_path)
    assert [(r.name, r.status) for r in results] == [
        ("good.onnx", "loaded"),
        ("runfail.onnx", "failed"),
        ("noload.onnx", "failed"),
        ("empty.onnx", "failed"),
        ("lfs.onnx", "skipped"),
    ]
    assert results[0].reason == "loads and runs (1 in, 1 out)"
    assert results[1].reason.startswith("fails to run: ")
    assert results[2].reason.startswith("does not load: ")
    assert results[3].reason == "empty.onnx is empty (0 bytes)"
    assert results[4].reason == "lfs.onnx is a Git LFS pointer, not the model itself"


def test_over_the_cap_is_skipped(tmp_path: Path) -> None:
    path = linear(tmp_path / "m.onnx")
    (result,) = smoke_test([("m.onnx", path)], max_bytes=10)
    assert result.status == "skipped"
    assert "over the 10 B cap" in result.reason


def test_a_crash_fails_that_model_and_the_rest_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_worker(
        tmp_path,
        """
        real = _worker._session
        def session(path, **kwargs):
            if path.endswith("crash.onnx"):
                os.kill(os.getpid(), signal.SIGSEGV)
            return real(path, **kwargs)
        _worker._session = session
        """,
    )
    use_worker(monkeypatch, script)
    models = [(n, linear(tmp_path / n)) for n in ("a.onnx", "crash.onnx", "b.onnx")]
    assert smoke_test(models) == [
        LoadResult("a.onnx", "loaded", "loads and runs (1 in, 1 out)"),
        LoadResult("crash.onnx", "failed", "onnxruntime crashed (killed by SIGSEGV)"),
        LoadResult("b.onnx", "loaded", "loads and runs (1 in, 1 out)"),
    ]


def test_no_worker_when_nothing_reaches_onnxruntime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_factory._onnx import _smoke

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker was started")

    monkeypatch.setattr(_smoke, "worker_events", boom)
    (tmp_path / "bad.onnx").write_text("not a model")
    assert smoke_test([("bad.onnx", tmp_path / "bad.onnx")])[0].status == "failed"
    assert smoke_test([]) == []
