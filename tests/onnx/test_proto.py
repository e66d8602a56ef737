"""The wire-format reader against models made with the onnx package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import set_external_data

from mlops_factory._onnx._proto import (
    MAX_GRAPH_DEPTH,
    ExternalRef,
    ProtoError,
    Truncated,
    ValueInfo,
    parse_bytes,
    read_header,
)
from tests.onnx._models import linear, linear_model, make, sklearn_classifier


def test_header_fields_match_the_model(tmp_path: Path) -> None:
    model = linear_model()
    model.model_version = 7
    model.domain = "org.example"
    h = parse_bytes(model.SerializeToString())
    assert h.ir_version == 8
    assert h.producer_name == "tests"
    assert h.producer_version == "1.0"
    assert h.model_version == 7
    assert h.domain == "org.example"
    assert h.opsets == {"ai.onnx": 17}
    assert h.has_graph
    assert h.graph_name == "test-graph"
    assert h.inputs == [ValueInfo("x", "tensor(float)", ("N", 3))]
    assert h.outputs == [ValueInfo("y", "tensor(float)", ("N", 2))]
    assert h.initializers == {"W"}
    assert h.external == []


def test_reads_a_file_through_mmap(tmp_path: Path) -> None:
    path = linear(tmp_path / "m.onnx")
    assert read_header(path).inputs[0].shape == ("N", 3)


def test_unknown_rank_unknown_dim_and_non_tensor_types(tmp_path: Path) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.DOUBLE, None)
    z = helper.make_tensor_value_info("z", TensorProto.INT64, [None, 5])
    seq = helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, None)
    y = helper.make_tensor_value_info("y", TensorProto.DOUBLE, None)
    model = make([helper.make_node("Identity", ["x"], ["y"])], [x, z, seq], [y])
    h = parse_bytes(model.SerializeToString())
    assert h.inputs == [
        ValueInfo("x", "tensor(double)", None),
        ValueInfo("z", "tensor(int64)", (None, 5)),
        ValueInfo("s", "seq(tensor(float))", None),
    ]


def test_sklearn_model_with_two_opset_domains(tmp_path: Path) -> None:
    h = read_header(sklearn_classifier(tmp_path / "clf.onnx")[0])
    assert h.producer_name == "skl2onnx"
    assert h.opsets == {"ai.onnx": 15, "ai.onnx.ml": 1}
    assert [o.name for o in h.outputs] == ["output_label", "output_probability"]
    assert h.outputs[1].type == "seq(map(int64,tensor(float)))"


def _external(name: str, location: str) -> TensorProto:
    t = numpy_helper.from_array(np.ones(2, np.float32), name)
    set_external_data(t, location=location, offset=0, length=8)
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    return t


def test_external_data_is_found_everywhere_a_tensor_can_hide() -> None:
    """Initializers, Constant attributes, subgraph initializers, sparse initializers."""
    then_graph = helper.make_graph(
        [helper.make_node("Identity", ["t"], ["o"])],
        "then",
        [],
        [helper.make_tensor_value_info("o", TensorProto.FLOAT, [2])],
        [_external("t", "in_subgraph.bin")],
    )
    else_graph = helper.make_graph(
        [helper.make_node("Identity", ["e"], ["o2"])],
        "else",
        [],
        [helper.make_tensor_value_info("o2", TensorProto.FLOAT, [2])],
        [numpy_helper.from_array(np.zeros(2, np.float32), "e")],
    )
    nodes = [
        helper.make_node("Constant", [], ["c"], value=_external("c", "in_attribute.bin")),
        helper.make_node("If", ["cond"], ["y"], then_branch=then_graph, else_branch=else_graph),
    ]
    sparse = helper.make_sparse_tensor(
        _external("values", "sparse_values.bin"),
        numpy_helper.from_array(np.array([0], np.int64), "idx"),
        [4],
    )
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    graph = helper.make_graph(
        nodes,
        "g",
        [cond],
        [y],
        [_external("W", "weights.bin")],
        sparse_initializer=[sparse],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    h = parse_bytes(model.SerializeToString())
    assert sorted(h.external, key=lambda r: r.location) == [
        ExternalRef("c", "in_attribute.bin", 0, 8),
        ExternalRef("t", "in_subgraph.bin", 0, 8),
        ExternalRef("values", "sparse_values.bin", 0, 8),
        ExternalRef("W", "weights.bin", 0, 8),
    ]
    assert h.initializers == {"W"}  # only the main graph's


def test_non_numeric_offset_is_kept_as_invalid() -> None:
    model = linear_model()
    w = model.graph.initializer[0]
    set_external_data(w, location="w.bin", offset=0, length=24)
    w.ClearField("raw_data")
    for entry in w.external_data:
        if entry.key == "offset":
            entry.value = "zero"
    assert parse_bytes(model.SerializeToString()).external[0].offset == -1


def test_truncated_bytes_raise_truncated() -> None:
    data = linear_model().SerializeToString()
    with pytest.raises(Truncated, match="ends inside a field"):
        parse_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is not a model",
        b'{"json": true}',
        b"\x0f\xff\xff",  # wire type 7
        b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  # an 11-byte varint
        b"\x00\x01",  # field number 0
    ],
)
def test_garbage_raises_proto_error(data: bytes) -> None:
    with pytest.raises(ProtoError):
        parse_bytes(data)


def test_empty_input_is_an_error() -> None:
    with pytest.raises(ProtoError, match="empty"):
        parse_bytes(b"")


def test_length_past_an_inner_message_is_corrupt_not_truncated() -> None:
    # graph (field 7) of 4 bytes holding a node (field 1) claiming 100 bytes.
    data = b"\x08\x08" + b"\x3a\x04" + b"\x0a\x64\x00\x00"
    with pytest.raises(ProtoError) as info:
        parse_bytes(data)
    assert not isinstance(info.value, Truncated)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (lengths here stay under 2**21)."""
    length = len(payload)
    varint = b""
    while True:
        byte = length & 0x7F
        length >>= 7
        varint += bytes([byte | (0x80 if length else 0)])
        if not length:
            break
    return bytes([number << 3 | 2]) + varint + payload


def test_deeply_nested_subgraphs_are_refused() -> None:
    # Built by hand: the protobuf library itself refuses to nest this deep.
    graph = b""
    for _ in range(MAX_GRAPH_DEPTH + 2):
        graph = _field(1, _field(5, _field(6, graph)))  # node -> attribute -> g
    data = b"\x08\x08" + _field(7, graph)
    with pytest.raises(ProtoError, match="nested deeper"):
        parse_bytes(data)


def test_nesting_at_the_limit_is_accepted() -> None:
    graph = b""
    for _ in range(MAX_GRAPH_DEPTH):
        graph = _field(1, _field(5, _field(6, graph)))
    assert parse_bytes(b"\x08\x08" + _field(7, graph)).has_graph
