"""profile_model on tiny grids, and the recommendation on hand-built results."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlops_factory._errors import FactoryError
from mlops_factory._onnx import ProfileReport, ProfileResult, Setting, profile_model, recommend
from mlops_factory._onnx._profile import default_threads, usable_cpus
from tests.onnx._models import fake_worker, linear, sequence_input, unknown_op, use_worker

TINY: dict[str, Any] = {"warmup": 1, "runs": 5, "max_seconds": 0.2}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ProfileReport:
    path = linear(tmp_path_factory.mktemp("prof") / "m.onnx")
    return profile_model(path, threads=[1], opt_levels=["basic", "all"], batch_sizes=[4, 1], **TINY)


def test_every_setting_is_measured_in_grid_order(report: ProfileReport) -> None:
    assert [r.setting for r in report.results] == [
        Setting(1, "basic", 1),
        Setting(1, "basic", 4),
        Setting(1, "all", 1),
        Setting(1, "all", 4),
    ]
    for r in report.results:
        assert r.error is None
        assert r.runs == 5
        assert r.p50_ms is not None and r.p95_ms is not None and r.p99_ms is not None
        assert 0 < r.p50_ms <= r.p95_ms <= r.p99_ms
        assert r.throughput is not None and r.throughput > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory via /proc")
def test_peak_memory_is_measured_on_linux(report: ProfileReport) -> None:
    peaks = [r.peak_memory_mb for r in report.results]
    assert all(p is not None and p > 0 for p in peaks)
    assert "/proc/self/clear_refs" in report.machine.memory_method or "VmHWM" in (
        report.machine.memory_method
    )


def test_machine_and_recommendation(report: ProfileReport) -> None:
    import onnxruntime

    m = report.machine
    assert m.onnxruntime_version == onnxruntime.__version__
    assert m.cpu_count >= 1 and m.usable_cpus == usable_cpus()
    assert report.ok
    assert report.recommended is not None
    best = min(report.results, key=lambda r: (r.p50_ms, r.p99_ms, r.setting.batch_size))
    assert report.recommended is best
    assert report.recommendation == "lowest p50 latency among 4 of 4 measured settings"


def test_json_shape(report: ProfileReport) -> None:
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True
    assert data["grid"] == {
        "threads": [1],
        "opt_levels": ["basic", "all"],
        "batch_sizes": [1, 4],
        "warmup": 1,
        "runs": 5,
        "max_seconds": 0.2,
    }
    first = data["results"][0]
    assert first["settings"] == {"threads": 1, "opt_level": "basic", "batch_size": 1}
    assert {"p50_ms", "p95_ms", "p99_ms", "throughput", "peak_memory_mb", "error"} <= set(first)
    assert data["recommended"]["settings"] in [r["settings"] for r in data["results"]]
    assert {"cpu_count", "onnxruntime_version", "memory_method"} <= set(data["machine"])


def test_constraints_that_nothing_meets(tmp_path: Path) -> None:
    path = linear(tmp_path / "m.onnx")
    r = profile_model(
        path, threads=[1], opt_levels=["all"], batch_sizes=[1], min_throughput=1e12, **TINY
    )
    assert not r.ok and r.recommended is None
    assert r.recommendation == "no measured setting has throughput >= 1e+12 samples/s"


def test_fixed_batch_axis_fails_other_batch_sizes(tmp_path: Path) -> None:
    path = linear(tmp_path / "m.onnx", batch=1)
    r = profile_model(path, threads=[1], opt_levels=["all"], batch_sizes=[1, 2], **TINY)
    ok, bad = r.results
    assert ok.ok and ok.setting.batch_size == 1
    assert bad.error == "input 'x' has a fixed batch dimension of 1"
    assert r.recommended is ok


def test_sample_rows_are_repeated_to_fill_the_batch(tmp_path: Path) -> None:
    path = linear(tmp_path / "m.onnx")
    np.save(tmp_path / "x.npy", np.ones((3, 3), np.float32))
    r = profile_model(
        path, threads=[1], opt_levels=["all"], batch_sizes=[8], sample=tmp_path / "x.npy", **TINY
    )
    assert r.results[0].ok


def test_progress_is_reported_per_setting(tmp_path: Path) -> None:
    calls: list[tuple[int, int, Setting | None]] = []

    def progress(done: int, total: int, last: ProfileResult | None) -> None:
        calls.append((done, total, None if last is None else last.setting))

    profile_model(
        linear(tmp_path / "m.onnx"),
        threads=[1],
        opt_levels=["basic"],
        batch_sizes=[1, 2],
        progress=progress,
        **TINY,
    )
    assert calls == [(0, 2, None), (1, 2, Setting(1, "basic", 1)), (2, 2, Setting(1, "basic", 2))]


def test_a_crashing_session_fails_its_settings_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_worker(
        tmp_path,
        """
        real = _worker._session
        def session(path, *, threads=None, opt_level="all"):
            if opt_level == "basic":
                os.kill(os.getpid(), signal.SIGSEGV)
            return real(path, threads=threads, opt_level=opt_level)
        _worker._session = session
        """,
    )
    use_worker(monkeypatch, script)
    r = profile_model(
        linear(tmp_path / "m.onnx"),
        threads=[1],
        opt_levels=["basic", "all"],
        batch_sizes=[1, 2],
        **TINY,
    )
    assert [(r.setting.opt_level, r.error) for r in r.results] == [
        ("basic", "onnxruntime crashed (killed by SIGSEGV)"),
        ("basic", "onnxruntime crashed (killed by SIGSEGV)"),
        ("all", None),
        ("all", None),
    ]
    assert r.recommended is not None and r.recommended.setting.opt_level == "all"


def test_inputs_we_cannot_synthesise_are_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match="cannot build a value for input 's'"):
        profile_model(
            sequence_input(tmp_path / "m.onnx"),
            threads=[1],
            opt_levels=["all"],
            batch_sizes=[1],
            **TINY,
        )


def test_a_model_that_does_not_load_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match="onnxruntime cannot load"):
        profile_model(
            unknown_op(tmp_path / "m.onnx"),
            threads=[1],
            opt_levels=["all"],
            batch_sizes=[1],
            **TINY,
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threads": [0]}, "threads must be one or more integers >= 1"),
        ({"batch_sizes": []}, "batch sizes must be one or more integers >= 1"),
        ({"opt_levels": ["turbo"]}, "unknown optimisation level"),
        ({"runs": 0}, "runs >= 1"),
        ({"objective": "p42"}, "unknown objective"),
    ],
)
def test_bad_grid_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(FactoryError, match=message):
        profile_model(linear(tmp_path / "m.onnx"), **kwargs)  # type: ignore[arg-type]


def test_default_threads_are_one_and_all_usable_cpus() -> None:
    assert default_threads() == tuple(sorted({1, usable_cpus()}))


# ----------------------------------------------------------- recommend()


def _r(
    threads: int, batch: int, p50: float, thr: float, mem: float | None, p99: float = 9.0
) -> ProfileResult:
    return ProfileResult(
        Setting(threads, "all", batch),
        runs=10,
        p50_ms=p50,
        p95_ms=p50,
        p99_ms=p99,
        throughput=thr,
        peak_memory_mb=mem,
    )


RESULTS = [
    _r(1, 1, 1.0, 1000, 20),
    _r(2, 1, 0.8, 1250, 40),
    _r(1, 8, 2.0, 4000, 30),
    _r(2, 8, 1.5, 5300, 60),
    ProfileResult(Setting(2, "all", 32), error="run failed: boom"),
]


def test_recommend_without_constraints_is_the_fastest() -> None:
    best, why = recommend(RESULTS)
    assert best is RESULTS[1]
    assert why == "lowest p50 latency among 4 of 4 measured settings"


def test_recommend_under_a_throughput_constraint() -> None:
    best, why = recommend(RESULTS, min_throughput=3000)
    assert best is RESULTS[3]
    assert why == (
        "lowest p50 latency among 2 of 4 measured settings with throughput >= 3000 samples/s"
    )


def test_recommend_under_both_constraints() -> None:
    best, _ = recommend(RESULTS, min_throughput=3000, max_memory_mb=50)
    assert best is RESULTS[2]


def test_recommend_ties_go_to_lower_p99_then_fewer_threads() -> None:
    a, b, c = _r(2, 1, 1.0, 1, 1, p99=2.0), _r(1, 1, 1.0, 1, 1, p99=3.0), _r(1, 1, 1.0, 1, 1, 2.0)
    assert recommend([a, b, c])[0] is c


def test_recommend_with_memory_unknown_cannot_meet_a_memory_limit() -> None:
    best, why = recommend([_r(1, 1, 1.0, 1, None)], max_memory_mb=100)
    assert best is None and why == "no measured setting has peak memory <= 100 MiB"


def test_recommend_when_nothing_was_measured() -> None:
    assert recommend([RESULTS[-1]]) == (None, "no setting could be measured")
