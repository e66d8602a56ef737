"""check_model: signature, inference, probes, parity, and crashes kept in the worker."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto

from mlops_factory._errors import FactoryError
from mlops_factory._onnx import (
    Inference,
    ModelCheckReport,
    ProbeResult,
    TensorSpec,
    check_model,
)
from mlops_factory._onnx._isolate import WorkerBug
from tests.onnx._models import (
    fake_worker,
    identity,
    linear,
    no_inputs,
    relu,
    reshape_fails,
    sequence_input,
    sklearn_classifier,
    two_inputs,
    unknown_op,
    use_worker,
    weights,
)


@pytest.fixture(scope="module")
def linear_report(tmp_path_factory: pytest.TempPathFactory) -> ModelCheckReport:
    return check_model(linear(tmp_path_factory.mktemp("lin") / "m.onnx"))


def _probes(report: ModelCheckReport) -> dict[str, ProbeResult]:
    return {p.name: p for p in report.probes}


def test_happy_path_signature_and_inference(linear_report: ModelCheckReport) -> None:
    r = linear_report
    assert r.ok and r.problems == []
    assert r.inputs == (TensorSpec("x", "tensor(float)", ("N", 3)),)
    assert r.outputs == (TensorSpec("y", "tensor(float)", ("N", 2)),)
    assert r.model.ir_version == 8
    assert r.model.opsets == {"ai.onnx": 17}
    assert (r.model.producer_name, r.model.producer_version) == ("tests", "1.0")
    assert r.inference.ok
    assert r.inference.source == "synthesised inputs (batch size 1)"
    assert r.inference.feeds[0].shape == (1, 3)
    (y,) = r.inference.outputs
    assert (y.name, y.kind, y.dtype, y.shape) == ("y", "tensor", "float32", (1, 2))
    assert r.parity is None


def test_probe_outcomes_on_a_fixed_feature_model(linear_report: ModelCheckReport) -> None:
    probes = _probes(linear_report)
    assert list(probes) == [
        "wrong_dtype",
        "wrong_rank",
        "wrong_features",
        "nan",
        "inf",
        "empty_batch",
    ]
    outcomes = {name: (p.expected, p.outcome, p.ok) for name, p in probes.items()}
    assert outcomes == {
        "wrong_dtype": ("reject", "rejected", True),
        "wrong_rank": ("reject", "rejected", True),
        "wrong_features": ("reject", "rejected", True),
        "nan": ("either", "accepted", True),
        "inf": ("either", "accepted", True),
        "empty_batch": ("either", "accepted", True),
    }
    assert probes["wrong_dtype"].fed == "int64[1, 3] where tensor(float) is declared"
    assert "Unexpected input data type" in probes["wrong_dtype"].detail
    assert probes["wrong_rank"].fed == "float32[1, 3, 1] (rank 3) where rank 2 is declared"
    assert (
        probes["wrong_features"].fed == "float32[1, 4] where 3 values on the last axis are declared"
    )
    # A NaN in x[0, 0] reaches both outputs; +inf and -inf in one row cancel to NaN.
    assert probes["nan"].outputs[0].nan == 2
    assert probes["inf"].outputs[0].nan == 2
    assert probes["empty_batch"].outputs[0].shape == (0, 2)


def test_json_shape(linear_report: ModelCheckReport) -> None:
    data = json.loads(json.dumps(linear_report.to_dict()))
    assert {"ok", "inputs", "outputs", "probes", "inference", "parity", "model"} <= set(data)
    assert data["ok"] is True
    assert data["inputs"] == [{"name": "x", "type": "tensor(float)", "shape": ["N", 3]}]
    assert data["outputs"][0]["shape"] == ["N", 2]
    assert data["outputs"][0]["observed"]["shape"] == [1, 2]
    assert [p["outcome"] for p in data["probes"]] == [
        "rejected",
        "rejected",
        "rejected",
        "accepted",
        "accepted",
        "accepted",
    ]
    assert data["probes"][3]["outputs"][0]["min"] is None  # all NaN: no finite stats


def test_symbolic_dims_take_the_batch_size_or_a_named_value(tmp_path: Path) -> None:
    path = relu(tmp_path / "m.onnx", ["N", "T", 4])
    r = check_model(path, batch_size=3, dims={"T": 5}, probes=False)
    assert r.inputs[0].shape == ("N", "T", 4)
    assert r.inference.feeds[0].shape == (3, 5, 4)
    assert r.inference.outputs[0].shape == (3, 5, 4)
    assert r.probes == ()


def test_unknown_dims_and_unknown_rank(tmp_path: Path) -> None:
    r = check_model(relu(tmp_path / "m.onnx", None), batch_size=2)
    assert r.inputs[0].shape is None
    assert r.inference.feeds[0].shape == (2,)
    probes = _probes(r)
    assert probes["wrong_rank"].outcome == "skipped"
    assert probes["wrong_rank"].detail == "no input declares its rank, so any rank is valid"
    assert probes["wrong_features"].outcome == "skipped"
    assert r.ok


def test_symbolic_feature_axis_skips_the_feature_probe(tmp_path: Path) -> None:
    r = check_model(relu(tmp_path / "m.onnx", [None, "F"]))
    assert r.inputs[0].shape == (None, "F")
    p = _probes(r)["wrong_features"]
    assert (p.outcome, p.detail) == (
        "skipped",
        "no input has a fixed last axis (the feature count is symbolic)",
    )


def test_fixed_batch_axis_must_reject_an_empty_batch(tmp_path: Path) -> None:
    r = check_model(linear(tmp_path / "m.onnx", batch=1))
    p = _probes(r)["empty_batch"]
    assert (p.expected, p.outcome, p.ok) == ("reject", "rejected", True)
    assert p.fed == "x float32[0, 3] where x declares a batch of 1"


def test_string_and_integer_inputs(tmp_path: Path) -> None:
    r = check_model(identity(tmp_path / "s.onnx", TensorProto.STRING, ["N"]))
    p = _probes(r)
    assert r.inference.feeds[0].dtype == "string"
    assert p["wrong_dtype"].outcome == "rejected"
    assert p["wrong_dtype"].fed == "float32[1] where tensor(string) is declared"
    assert p["nan"].outcome == p["inf"].outcome == "skipped"
    r2 = check_model(identity(tmp_path / "i.onnx", TensorProto.INT64, ["N", 2]), probes=False)
    assert (r2.inference.outputs[0].dtype, r2.inference.outputs[0].max) == ("int64", 0.0)


def test_sklearn_model_with_zipmap_output_and_parity(tmp_path: Path) -> None:
    path, clf = sklearn_classifier(tmp_path / "clf.onnx")
    x = np.random.default_rng(1).random((5, 4)).astype(np.float32)
    np.savez(tmp_path / "x.npz", X=x)
    np.savez(
        tmp_path / "ref.npz",
        output_label=clf.predict(x),
        output_probability=clf.predict_proba(x),
    )
    r = check_model(path, sample=tmp_path / "x.npz", reference=tmp_path / "ref.npz")
    assert r.ok, r.problems
    assert r.inference.source == f"sample {tmp_path / 'x.npz'}"
    prob = r.inference.outputs[1]
    assert (prob.kind, prob.dtype, prob.shape) == ("sequence", "maps", (5,))
    assert r.parity is not None
    assert [(o.name, o.ok, o.total) for o in r.parity.outputs] == [
        ("output_label", True, 5),
        ("output_probability", True, 10),
    ]


def _sample_and_expected(tmp_path: Path) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]], dtype=np.float32)
    return x, x @ weights()


def test_parity_passes_within_tolerance(tmp_path: Path) -> None:
    x, y = _sample_and_expected(tmp_path)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "ref.npz", y=y + 1e-6)
    r = check_model(
        linear(tmp_path / "m.onnx"),
        sample=tmp_path / "x.npy",
        reference=tmp_path / "ref.npz",
        probes=False,
    )
    assert r.ok
    assert r.parity is not None and r.parity.ok
    (o,) = r.parity.outputs
    assert (o.name, o.mismatched, o.total, o.expected_shape) == ("y", 0, 4, (2, 2))
    assert o.max_abs_diff is not None and 0 < o.max_abs_diff < 1e-5


def test_parity_fails_outside_tolerance(tmp_path: Path) -> None:
    x, y = _sample_and_expected(tmp_path)
    y = y.copy()
    y[1, 0] += 0.5
    (tmp_path / "x.json").write_text(json.dumps({"x": x.tolist()}))
    (tmp_path / "ref.json").write_text(json.dumps(y.tolist()))  # unnamed: the first output
    r = check_model(
        linear(tmp_path / "m.onnx"),
        sample=tmp_path / "x.json",
        reference=tmp_path / "ref.json",
        rtol=1e-3,
        atol=1e-3,
        probes=False,
    )
    assert not r.ok
    assert r.parity is not None and not r.parity.ok
    (o,) = r.parity.outputs
    assert (o.mismatched, o.total) == (1, 4)
    assert o.max_abs_diff == pytest.approx(0.5, abs=1e-5)
    assert o.detail.startswith("first mismatch at [1, 0]:")
    assert r.problems == [f"parity with {tmp_path / 'ref.json'} failed for y"]


def test_parity_shape_mismatch_fails(tmp_path: Path) -> None:
    x, y = _sample_and_expected(tmp_path)
    np.savez(tmp_path / "x.npz", x=x)
    np.savez(tmp_path / "ref.npz", y=y[:1])
    r = check_model(
        linear(tmp_path / "m.onnx"),
        sample=tmp_path / "x.npz",
        reference=tmp_path / "ref.npz",
        probes=False,
    )
    (o,) = r.parity.outputs  # type: ignore[union-attr]
    assert (o.ok, o.detail) == (False, "shape [2, 2] != expected [1, 2]")


def test_csv_sample_with_a_header(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
    r = check_model(linear(tmp_path / "m.onnx"), sample=tmp_path / "x.csv", probes=False)
    assert r.inference.feeds[0].shape == (3, 3)
    assert r.inference.feeds[0].dtype == "float32"
    assert r.inference.outputs[0].shape == (3, 2)


def test_inference_failure_fails_the_check(tmp_path: Path) -> None:
    r = check_model(reshape_fails(tmp_path / "m.onnx"))
    assert not r.ok
    assert not r.inference.ok
    assert r.inference.error
    assert r.problems[0].startswith("inference on synthesised inputs (batch size 1) failed:")
    assert len(r.probes) == 6  # probes still ran


@pytest.mark.parametrize(
    ("files", "kwargs", "message"),
    [
        ({}, {"sample": "nope.npz"}, "sample file nope.npz does not exist"),
        ({"x.txt": b"1,2,3"}, {"sample": "x.txt"}, "has an unsupported type .txt"),
        ({"x.npz": b"not a zip"}, {"sample": "x.npz"}, "cannot read sample file"),
        (
            {"x.json": b'{"nope": [[1, 2, 3]], "x": [[1, 2, 3]]}'},
            {"sample": "x.json"},
            "has arrays",
        ),
        ({"x.csv": b"1,2\n3\n"}, {"sample": "x.csv"}, "rows have different numbers of columns"),
        ({"r.npz": b"PK"}, {"reference": "r.npz"}, "cannot read reference file"),
    ],
)
def test_unusable_sample_or_reference_is_a_user_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, bytes],
    kwargs: dict[str, str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with pytest.raises(FactoryError) as info:
        check_model(linear(tmp_path / "m.onnx"), **kwargs)  # type: ignore[arg-type]
    assert message in info.value.message


def test_one_unnamed_array_for_two_inputs_is_a_user_error(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1, 2), np.float32))
    with pytest.raises(FactoryError, match="holds one unnamed array, but the model has 2 inputs"):
        check_model(two_inputs(tmp_path / "m.onnx"), sample=tmp_path / "x.npy")


def test_inputs_we_cannot_synthesise_are_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match="cannot build a value for input 's'") as info:
        check_model(sequence_input(tmp_path / "m.onnx"))
    assert info.value.hint == "pass --sample with real input values"


def test_a_model_without_inputs(tmp_path: Path) -> None:
    r = check_model(no_inputs(tmp_path / "m.onnx"))
    assert r.ok and r.inputs == ()
    assert r.inference.outputs[0].max == 2.0
    assert {p.outcome for p in r.probes} == {"skipped"}
    assert {p.detail for p in r.probes} == {"the model has no inputs"}


def test_a_model_onnxruntime_cannot_load(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match=r"onnxruntime cannot load .*m\.onnx: ") as info:
        check_model(unknown_op(tmp_path / "m.onnx"))
    assert info.value.hint


def test_bad_arguments(tmp_path: Path) -> None:
    path = linear(tmp_path / "m.onnx")
    with pytest.raises(FactoryError, match="batch size must be at least 1"):
        check_model(path, batch_size=0)
    with pytest.raises(FactoryError, match="must not be negative"):
        check_model(path, rtol=-1)
    with pytest.raises(FactoryError, match="dim 'T' must not be negative"):
        check_model(path, dims={"T": -1})


# ----------------------------------------------------------- crashes and hangs


def test_a_probe_that_crashes_onnxruntime_fails_only_that_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_worker(
        tmp_path,
        """
        real = _worker._probe
        def probe(name, *args):
            if name == "nan":
                os.kill(os.getpid(), signal.SIGSEGV)
            return real(name, *args)
        _worker._probe = probe
        """,
    )
    use_worker(monkeypatch, script)
    r = check_model(linear(tmp_path / "m.onnx"))
    probes = _probes(r)
    assert (probes["nan"].outcome, probes["nan"].ok) == ("crashed", False)
    assert probes["nan"].detail == "onnxruntime crashed (killed by SIGSEGV)"
    # The worker was restarted for the probes after the crash.
    assert [probes[n].outcome for n in ("inf", "empty_batch")] == ["accepted", "accepted"]
    assert r.inference.ok and not r.ok
    assert r.problems == ["probe 'NaN': crashed (onnxruntime crashed (killed by SIGSEGV))"]


def test_a_probe_that_hangs_is_killed_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_worker(
        tmp_path,
        """
        real = _worker._probe
        def probe(name, *args):
            if name == "wrong_rank":
                time.sleep(60)
            return real(name, *args)
        _worker._probe = probe
        """,
    )
    use_worker(monkeypatch, script)
    r = check_model(linear(tmp_path / "m.onnx"), timeout=2)
    p = _probes(r)["wrong_rank"]
    assert (p.outcome, p.detail) == ("timed_out", "onnxruntime timed out (no answer in 2 s)")
    assert _probes(r)["wrong_features"].outcome == "rejected"


def test_a_crash_during_inference_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_worker(
        tmp_path,
        """
        def infer(*args):
            os.kill(os.getpid(), signal.SIGSEGV)
        _worker._infer = infer
        """,
    )
    use_worker(monkeypatch, script)
    r = check_model(linear(tmp_path / "m.onnx"))
    assert r.inference == Inference(
        ok=False,
        source="synthesised inputs (batch size 1)",
        error="onnxruntime crashed (killed by SIGSEGV)",
    )
    assert len(r.probes) == 6 and all(p.ok for p in r.probes)
    assert not r.ok


def test_a_crash_while_loading_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_worker(
        tmp_path,
        """
        def session(*args, **kwargs):
            os.abort()
        _worker._session = session
        """,
    )
    use_worker(monkeypatch, script)
    with pytest.raises(
        FactoryError, match=r"onnxruntime crashed \(killed by SIGABRT\) while loading"
    ):
        check_model(linear(tmp_path / "m.onnx"))


def test_a_bug_in_our_worker_is_not_blamed_on_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_worker(
        tmp_path,
        """
        def infer(*args):
            raise ZeroDivisionError("oops")
        _worker._infer = infer
        """,
    )
    use_worker(monkeypatch, script)
    with pytest.raises(WorkerBug, match="ZeroDivisionError: oops"):
        check_model(linear(tmp_path / "m.onnx"))
