"""Report values: verdicts, one-line descriptions, JSON round trips."""

from __future__ import annotations

import math

import pytest

from mlops_factory._onnx import (
    ArraySummary,
    Inference,
    ModelCheckReport,
    ModelInfo,
    OutputParity,
    Parity,
    ProbeResult,
    ProfileResult,
    Setting,
    TensorSpec,
)
from mlops_factory._onnx._report import format_shape


def _probe(expected: str, outcome: str) -> ProbeResult:
    return ProbeResult("p", "probe", "x", "fed", expected, outcome, "detail")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expected", "outcome", "ok"),
    [
        ("reject", "rejected", True),
        ("reject", "accepted", False),
        ("either", "accepted", True),
        ("either", "rejected", True),
        ("either", "skipped", True),
        ("either", "crashed", False),
        ("reject", "timed_out", False),
    ],
)
def test_probe_verdict(expected: str, outcome: str, ok: bool) -> None:
    assert _probe(expected, outcome).ok is ok


def test_array_summary_describe() -> None:
    s = ArraySummary("y", "tensor", "float32", (2, 3), min=-0.5, max=2.125, nan=1)
    assert s.describe() == "float32[2, 3] min -0.5 max 2.125 (1 NaN)"
    seq = ArraySummary("p", "sequence", "maps", (4,))
    assert seq.describe() == "sequence maps of 4"


def test_format_shape() -> None:
    assert format_shape(None) == "[...]"
    assert format_shape((None, "N", 3)) == "[?, N, 3]"
    assert format_shape(()) == "[]"


def test_round_trips_and_json_has_no_nan() -> None:
    s = ArraySummary("y", "tensor", "float32", (1,), min=math.nan, max=math.inf, mean=1.0)
    d = s.to_dict()
    assert (d["min"], d["max"], d["mean"]) == (None, None, 1.0)
    assert ArraySummary.from_dict(d) == ArraySummary("y", "tensor", "float32", (1,), mean=1.0)
    p = ProbeResult("nan", "NaN", "x", "fed", "either", "accepted", "ok", (s,))
    assert ProbeResult.from_dict(p.to_dict()).outputs[0].mean == 1.0
    r = ProfileResult(Setting(2, "all", 8), runs=3, p50_ms=1.0, throughput=math.nan)
    back = ProfileResult.from_dict(r.to_dict())
    assert back.setting == Setting(2, "all", 8) and back.throughput is None


def _report(inference: Inference, probes: tuple[ProbeResult, ...] = ()) -> ModelCheckReport:
    info = ModelInfo("m.onnx", 1, 0, (), 8, {"ai.onnx": 17}, "t", "1", 0, "g")
    spec = TensorSpec("y", "tensor(float)", ("N",))
    return ModelCheckReport(info, (), (spec,), inference, probes, "1.0")


def test_problems_collect_every_failed_check() -> None:
    parity = Parity("ref.npz", 1e-4, 1e-5, (OutputParity("y", False, (1,), (1,), 1, 1, 1.0, 1.0),))
    inference = Inference(ok=True, source="sample s.npz", parity=parity)
    report = _report(inference, (_probe("reject", "accepted"),))
    assert report.problems == [
        "probe 'probe': accepted (detail)",
        "parity with ref.npz failed for y",
    ]
    assert not report.ok
    assert report.to_dict()["outputs"] == [
        {"name": "y", "type": "tensor(float)", "shape": ["N"], "observed": None}
    ]


def test_empty_parity_is_not_a_pass() -> None:
    assert not Parity("ref.npz", 0, 0, ()).ok
