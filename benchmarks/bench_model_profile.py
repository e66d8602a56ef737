"""Profiler overhead: `profile_model` p50 next to a bare onnxruntime `run` loop.

Goal (issue 4): the profiler's measured p50 within 5% of the bare loop's, on the
same model, inputs and session settings. The bare loop is what one would write
by hand: create the session in this process, warm up, then time each
`sess.run(None, feeds)` with `time.perf_counter_ns`. The profiler does the same
in its worker process; its extra cost per run is one clock read and a list append.

Rounds alternate bare and profiler measurements so that drift (thermal, noisy
neighbours) hits both sides; the median ratio over rounds is the figure.

Figures printed per model (milliseconds):
  bare p50 | profiler p50 | ratio   (per round, then the median ratio)
  wall time of one profile_model call (process start-up, model load, warm-up)

Usage: python benchmarks/bench_model_profile.py [--rounds N] [--runs N] [--batch N]
Needs the dev extras (the `onnx` package builds the models).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from mlops_factory._onnx import profile_model

GOAL = 0.05  # |profiler p50 / bare p50 - 1|
THREADS = 1
OPT_LEVEL = "all"


def mlp(path: Path, features: int, hidden: int, classes: int) -> Path:
    """x[N, features] -> MatMul -> Relu -> MatMul -> y[N, classes]."""
    rng = np.random.default_rng(42)
    w1 = numpy_helper.from_array(rng.standard_normal((features, hidden)).astype(np.float32), "W1")
    w2 = numpy_helper.from_array(rng.standard_normal((hidden, classes)).astype(np.float32), "W2")
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("MatMul", ["r", "W2"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", classes])],
        [w1, w2],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def bare_p50(path: Path, features: int, batch: int, warmup: int, runs: int) -> float:
    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])
    # The same inputs the profiler synthesises: seed 0, standard normal, float32.
    feeds: dict[str, Any] = {
        "x": np.random.default_rng(0).standard_normal((batch, features)).astype(np.float32)
    }
    for _ in range(warmup):
        sess.run(None, feeds)
    lat = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        sess.run(None, feeds)
        lat.append(time.perf_counter_ns() - t0)
    return float(np.percentile(np.asarray(lat, dtype=np.float64) / 1e6, 50))


def profiler_p50(path: Path, batch: int, warmup: int, runs: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    report = profile_model(
        path,
        threads=[THREADS],
        opt_levels=[OPT_LEVEL],
        batch_sizes=[batch],
        warmup=warmup,
        runs=runs,
        max_seconds=600,
    )
    wall = time.perf_counter() - t0
    (result,) = report.results
    if result.p50_ms is None:
        raise SystemExit(f"profiling failed: {result.error}")
    return result.p50_ms, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()

    print(f"onnxruntime {ort.__version__}, Python {sys.version.split()[0]}, ", end="")
    print(f"{THREADS} intra-op thread, opt {OPT_LEVEL}, batch {args.batch}, {args.runs} runs")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        models = {
            "small MLP 64-128-4": (mlp(Path(tmp) / "small.onnx", 64, 128, 4), 64),
            "MLP 512-1024-10": (mlp(Path(tmp) / "mlp.onnx", 512, 1024, 10), 512),
        }
        for name, (path, features) in models.items():
            print(f"\n{name}")
            print(f"  {'round':>5}  {'bare p50':>10}  {'profiler p50':>12}  {'ratio':>6}")
            ratios, walls = [], []
            for i in range(args.rounds):
                bare = bare_p50(path, features, args.batch, args.warmup, args.runs)
                prof, wall = profiler_p50(path, args.batch, args.warmup, args.runs)
                ratios.append(prof / bare)
                walls.append(wall)
                print(f"  {i + 1:>5}  {bare:>10.4f}  {prof:>12.4f}  {prof / bare:>6.3f}")
            ratio = statistics.median(ratios)
            worst = max(worst, abs(ratio - 1))
            print(f"  median ratio {ratio:.3f}  (goal: within 1 +/- {GOAL:.2f})")
            print(f"  profile_model wall time per call: {statistics.median(walls):.2f} s")
    verdict = "met" if worst <= GOAL else "NOT met"
    print(f"\ngoal (profiler p50 within 5% of the bare loop): {verdict}, worst gap {worst:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
