"""Small ONNX models built in the test itself with the ``onnx`` helper API.

Every model the tests use is made here from code; no binary blobs are checked in.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import set_external_data

Dims = Sequence[int | str | None] | None

OPSET = 17
IR_VERSION = 8


def weights(features: int = 3, outputs: int = 2) -> np.ndarray:
    """The MatMul weights of :func:`linear`: 0.1, 0.2, ... row by row."""
    return (np.arange(1, features * outputs + 1, dtype=np.float32) / 10).reshape(features, outputs)


def make(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    initializers: Sequence[onnx.TensorProto] = (),
    *,
    producer: str = "tests",
    opset: int = OPSET,
) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "test-graph", inputs, outputs, list(initializers))
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name=producer
    )
    model.ir_version = IR_VERSION
    model.producer_version = "1.0"
    return model


def linear_model(
    features: int = 3, outputs: int = 2, *, batch: int | str | None = "N"
) -> onnx.ModelProto:
    """y = x @ W with x: [batch, features] float; W from :func:`weights`."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, features])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, outputs])
    w = numpy_helper.from_array(weights(features, outputs), "W")
    return make([helper.make_node("MatMul", ["x", "W"], ["y"])], [x], [y], [w])


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


def linear(path: Path, features: int = 3, outputs: int = 2, *, batch: Any = "N") -> Path:
    return save(linear_model(features, outputs, batch=batch), path)


def relu(path: Path, shape: Dims, *, elem: int = TensorProto.FLOAT) -> Path:
    """y = Relu(x); ``shape`` None means unknown rank."""
    x = helper.make_tensor_value_info("x", elem, shape)
    y = helper.make_tensor_value_info("y", elem, shape)
    return save(make([helper.make_node("Relu", ["x"], ["y"])], [x], [y]), path)


def identity(path: Path, elem: int, shape: Dims) -> Path:
    x = helper.make_tensor_value_info("x", elem, shape)
    y = helper.make_tensor_value_info("y", elem, shape)
    return save(make([helper.make_node("Identity", ["x"], ["y"])], [x], [y]), path)


def two_inputs(path: Path) -> Path:
    """y = a + b, both [N, 2] float."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 2])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])
    return save(make([helper.make_node("Add", ["a", "b"], ["y"])], [a, b], [y]), path)


def sequence_input(path: Path) -> Path:
    """y = SequenceLength(s) for a sequence of float tensors: inputs we cannot synthesise."""
    s = helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, None)
    y = helper.make_tensor_value_info("y", TensorProto.INT64, [])
    return save(make([helper.make_node("SequenceLength", ["s"], ["y"])], [s], [y]), path)


def no_inputs(path: Path) -> Path:
    """A constant model: no inputs, y = [1, 2]."""
    value = numpy_helper.from_array(np.array([1.0, 2.0], dtype=np.float32), "v")
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    return save(make([helper.make_node("Constant", [], ["y"], value=value)], [], [y]), path)


def reshape_fails(path: Path) -> Path:
    """Loads fine, fails at run time: reshapes [N, 3] to a constant [2, 2]."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])
    shape = numpy_helper.from_array(np.array([2, 2], dtype=np.int64), "shape")
    node = helper.make_node("Reshape", ["x", "shape"], ["y"])
    return save(make([node], [x], [y], [shape]), path)


def unknown_op(path: Path) -> Path:
    """Well-formed ONNX that onnxruntime refuses to load (no such operator)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    node = helper.make_node("NoSuchOperator", ["x"], ["y"], domain="example.custom")
    model = make([node], [x], [y])
    model.opset_import.append(helper.make_opsetid("example.custom", 1))
    return save(model, path)


def with_external_data(path: Path, location: str, *, data_path: Path | None = None) -> Path:
    """:func:`linear_model` whose weights live in ``location`` (written to ``data_path``,
    default: ``location`` resolved against the model's folder)."""
    model = linear_model()
    w = model.graph.initializer[0]
    raw = w.raw_data
    set_external_data(w, location=location, offset=0, length=len(raw))
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    target = data_path if data_path is not None else path.parent / location
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(raw)
    return save(model, path)


def sklearn_classifier(path: Path) -> tuple[Path, Any]:
    """A logistic regression on 4 features, converted with skl2onnx (ZipMap output);
    returns the path and the fitted scikit-learn model."""
    from skl2onnx import to_onnx  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    rng = np.random.default_rng(0)
    x = rng.random((40, 4)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(np.int64)
    clf = LogisticRegression().fit(x, y)
    model = to_onnx(clf, x[:1], target_opset={"": 15, "ai.onnx.ml": 1})
    return save(model, path), clf


def fake_worker(tmp_path: Path, body: str) -> Path:
    """A worker script that patches the real worker with ``body`` before serving."""
    script = tmp_path / "fake_worker.py"
    script.write_text(
        "import os, signal, sys, time\n"
        "from mlops_factory._onnx import _worker\n"
        + textwrap.dedent(body)
        + "\nsys.exit(_worker.main())\n",
        encoding="utf-8",
    )
    return script


def use_worker(monkeypatch: pytest.MonkeyPatch, script: Path) -> None:
    """Make the isolation layer start ``script`` instead of the real worker."""
    from mlops_factory._onnx import _isolate

    monkeypatch.setattr(_isolate, "_command", lambda: [sys.executable, "-P", os.fspath(script)])
