"""A minimal, read-only reader of the ONNX protobuf wire format.

Why not the ``onnx`` package: it is a dev dependency only, and it would parse
the whole model (weights included) into memory. We need a few header fields
and every place a tensor can point at external data, *before* onnxruntime
sees the file. This reader walks the wire format over an ``mmap``, skips
weight payloads without copying them, and never recurses deeper than
:data:`MAX_GRAPH_DEPTH` nested graphs.

Field numbers are those of ``onnx/onnx.proto`` (stable since IR version 3).
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NoReturn

#: Subgraphs (If/Loop/Scan bodies) nested deeper than this are refused.
MAX_GRAPH_DEPTH = 32

_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5

ELEM_TYPES: dict[int, str] = {
    1: "float",
    2: "uint8",
    3: "int8",
    4: "uint16",
    5: "int16",
    6: "int32",
    7: "int64",
    8: "string",
    9: "bool",
    10: "float16",
    11: "double",
    12: "uint32",
    13: "uint64",
    14: "complex64",
    15: "complex128",
    16: "bfloat16",
    17: "float8e4m3fn",
    18: "float8e4m3fnuz",
    19: "float8e5m2",
    20: "float8e5m2fnuz",
    21: "uint4",
    22: "int4",
    23: "float4e2m1",
}


class ProtoError(Exception):
    """The bytes are not a well-formed ONNX model."""


class Truncated(ProtoError):
    """A field runs past the end of the file: the file was cut short."""


@dataclass(frozen=True, slots=True)
class ExternalRef:
    """One tensor whose bytes live in another file."""

    tensor: str
    location: str
    offset: int | None
    length: int | None


@dataclass(frozen=True, slots=True)
class ValueInfo:
    """A graph input or output as declared in the file.

    ``shape`` is None when the rank is unknown; a dim is an int, a symbolic
    name, or None when neither is given.
    """

    name: str
    type: str
    shape: tuple[int | str | None, ...] | None


@dataclass(slots=True)
class ModelHeader:
    """What :func:`read_header` found in a model file."""

    ir_version: int = 0
    producer_name: str = ""
    producer_version: str = ""
    domain: str = ""
    model_version: int = 0
    opsets: dict[str, int] = field(default_factory=dict)
    has_graph: bool = False
    graph_name: str = ""
    inputs: list[ValueInfo] = field(default_factory=list)
    outputs: list[ValueInfo] = field(default_factory=list)
    initializers: set[str] = field(default_factory=set)
    external: list[ExternalRef] = field(default_factory=list)


def read_header(path: str | os.PathLike[str]) -> ModelHeader:
    """Parse the model file at ``path`` (no weights are copied).

    Raises :class:`Truncated` when the file ends inside a field,
    :class:`ProtoError` when it is not well-formed protobuf, and ``OSError``
    when it cannot be read. An empty file raises :class:`ProtoError`.
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise ProtoError("the file is empty")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _Reader(buf, size).model()


def parse_bytes(data: bytes) -> ModelHeader:
    """:func:`read_header` for bytes already in memory (used by tests)."""
    if not data:
        raise ProtoError("the file is empty")
    return _Reader(data, len(data)).model()


class _Reader:
    def __init__(self, buf: mmap.mmap | bytes, size: int) -> None:
        self.buf = buf
        self.size = size
        self.header = ModelHeader()

    # ------------------------------------------------------------ wire format

    def _varint(self, pos: int, end: int, top: bool = False) -> tuple[int, int]:
        buf = self.buf
        result = 0
        shift = 0
        while True:
            if pos >= end:
                self._overrun(top)
            b = buf[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result, pos
            shift += 7
            if shift >= 70:
                raise ProtoError(f"malformed varint at byte {pos}")

    def _overrun(self, top: bool) -> NoReturn:
        # A top-level field running past the end of the file means the file was
        # cut short; an inner field running past its (complete) message means
        # the bytes are not what they claim to be.
        if top:
            raise Truncated(f"the file ends inside a field (at byte {self.size:,})")
        raise ProtoError("a field runs past the end of its message")

    def _fields(
        self, start: int, end: int, top: bool = False
    ) -> Iterator[tuple[int, int, int, int]]:
        """Yield (field, wire type, value or payload start, payload end)."""
        pos = start
        while pos < end:
            key, pos = self._varint(pos, end, top)
            num, wire = key >> 3, key & 7
            if num == 0:
                raise ProtoError(f"field number 0 at byte {pos:,}")
            if wire == _VARINT:
                value, pos = self._varint(pos, end, top)
                yield num, wire, value, pos
            elif wire == _LEN:
                length, pos = self._varint(pos, end, top)
                stop = pos + length
                if stop > end:
                    self._overrun(top)
                yield num, wire, pos, stop
                pos = stop
            elif wire in (_FIXED64, _FIXED32):
                pos += 8 if wire == _FIXED64 else 4
                if pos > end:
                    self._overrun(top)
            else:
                # Groups (3, 4) are not used by onnx.proto; 6 and 7 do not exist.
                raise ProtoError(f"unexpected wire type {wire} at byte {pos:,}")

    def _str(self, start: int, end: int) -> str:
        return bytes(self.buf[start:end]).decode("utf-8", errors="replace")

    @staticmethod
    def _need(wire: int, expected: int, what: str) -> None:
        if wire != expected:
            raise ProtoError(f"{what} has the wrong wire type")

    # ------------------------------------------------------------ messages

    def model(self) -> ModelHeader:
        h = self.header
        for num, wire, a, b in self._fields(0, self.size, top=True):
            if num == 1:
                self._need(wire, _VARINT, "ir_version")
                h.ir_version = a
            elif num == 2 and wire == _LEN:
                h.producer_name = self._str(a, b)
            elif num == 3 and wire == _LEN:
                h.producer_version = self._str(a, b)
            elif num == 4 and wire == _LEN:
                h.domain = self._str(a, b)
            elif num == 5 and wire == _VARINT:
                h.model_version = a
            elif num == 7:
                self._need(wire, _LEN, "graph")
                h.has_graph = True
                self._graph(a, b, depth=0, top=True)
            elif num == 8:
                self._need(wire, _LEN, "opset_import")
                self._opset(a, b)
            elif num == 20 and wire == _LEN:  # training_info
                for n2, w2, a2, b2 in self._fields(a, b):
                    if n2 in (1, 3) and w2 == _LEN:
                        self._graph(a2, b2, depth=1, top=False)
            elif num == 25 and wire == _LEN:  # functions
                self._function(a, b)
        return h

    def _opset(self, start: int, end: int) -> None:
        domain, version = "", 0
        for num, wire, a, b in self._fields(start, end):
            if num == 1 and wire == _LEN:
                domain = self._str(a, b)
            elif num == 2 and wire == _VARINT:
                version = a
        self.header.opsets[domain or "ai.onnx"] = version

    def _function(self, start: int, end: int) -> None:
        for num, wire, a, b in self._fields(start, end):
            if num == 7 and wire == _LEN:
                self._node(a, b, depth=1)
            elif num == 11 and wire == _LEN:
                self._attribute(a, b, depth=1)

    def _graph(self, start: int, end: int, *, depth: int, top: bool) -> None:
        if depth > MAX_GRAPH_DEPTH:
            raise ProtoError(f"subgraphs nested deeper than {MAX_GRAPH_DEPTH} levels")
        h = self.header
        for num, wire, a, b in self._fields(start, end):
            if wire != _LEN:
                continue
            if num == 1:
                self._node(a, b, depth)
            elif num == 5:
                name = self._tensor(a, b)
                if top:
                    h.initializers.add(name)
            elif num == 15:
                self._sparse_tensor(a, b)
            elif top and num == 2:
                h.graph_name = self._str(a, b)
            elif top and num == 11:
                h.inputs.append(self._value_info(a, b))
            elif top and num == 12:
                h.outputs.append(self._value_info(a, b))

    def _node(self, start: int, end: int, depth: int) -> None:
        for num, wire, a, b in self._fields(start, end):
            if num == 5 and wire == _LEN:
                self._attribute(a, b, depth)

    def _attribute(self, start: int, end: int, depth: int) -> None:
        for num, wire, a, b in self._fields(start, end):
            if wire != _LEN:
                continue
            if num in (5, 10):  # t, tensors
                self._tensor(a, b)
            elif num in (6, 11):  # g, graphs
                self._graph(a, b, depth=depth + 1, top=False)
            elif num in (22, 23):  # sparse_tensor, sparse_tensors
                self._sparse_tensor(a, b)

    def _sparse_tensor(self, start: int, end: int) -> None:
        for num, wire, a, b in self._fields(start, end):
            if num in (1, 2) and wire == _LEN:
                self._tensor(a, b)

    def _tensor(self, start: int, end: int) -> str:
        """Record the tensor's external data, if any; return its name."""
        name = ""
        entries: dict[str, str] = {}
        for num, wire, a, b in self._fields(start, end):
            if num == 8 and wire == _LEN:
                name = self._str(a, b)
            elif num == 13 and wire == _LEN:
                key, value = "", ""
                for n2, w2, a2, b2 in self._fields(a, b):
                    if n2 == 1 and w2 == _LEN:
                        key = self._str(a2, b2)
                    elif n2 == 2 and w2 == _LEN:
                        value = self._str(a2, b2)
                entries[key] = value
        # Any external_data entry counts, whatever data_location says: stricter
        # than onnxruntime, so nothing it would open escapes our checks.
        if entries:
            self.header.external.append(
                ExternalRef(
                    tensor=name,
                    location=entries.get("location", ""),
                    offset=_int_or_none(entries.get("offset")),
                    length=_int_or_none(entries.get("length")),
                )
            )
        return name

    def _value_info(self, start: int, end: int) -> ValueInfo:
        name = ""
        type_ = "unknown"
        shape: tuple[int | str | None, ...] | None = None
        for num, wire, a, b in self._fields(start, end):
            if num == 1 and wire == _LEN:
                name = self._str(a, b)
            elif num == 2 and wire == _LEN:
                type_, shape = self._type(a, b, depth=0)
        return ValueInfo(name, type_, shape)

    def _type(
        self, start: int, end: int, depth: int
    ) -> tuple[str, tuple[int | str | None, ...] | None]:
        if depth > MAX_GRAPH_DEPTH:
            raise ProtoError("type nested too deeply")
        for num, wire, a, b in self._fields(start, end):
            if wire != _LEN:
                continue
            if num in (1, 8):  # tensor_type, sparse_tensor_type
                elem, shape = 0, None
                for n2, w2, a2, b2 in self._fields(a, b):
                    if n2 == 1 and w2 == _VARINT:
                        elem = a2
                    elif n2 == 2 and w2 == _LEN:
                        shape = self._shape(a2, b2)
                kind = "tensor" if num == 1 else "sparse_tensor"
                return f"{kind}({ELEM_TYPES.get(elem, f'type {elem}')})", shape
            if num in (4, 9):  # sequence_type, optional_type
                inner = "unknown"
                for n2, w2, a2, b2 in self._fields(a, b):
                    if n2 == 1 and w2 == _LEN:
                        inner = self._type(a2, b2, depth + 1)[0]
                return f"{'seq' if num == 4 else 'optional'}({inner})", None
            if num == 5:  # map_type
                key, value = "unknown", "unknown"
                for n2, w2, a2, b2 in self._fields(a, b):
                    if n2 == 1 and w2 == _VARINT:
                        key = ELEM_TYPES.get(a2, f"type {a2}")
                    elif n2 == 2 and w2 == _LEN:
                        value = self._type(a2, b2, depth + 1)[0]
                return f"map({key},{value})", None
        return "unknown", None

    def _shape(self, start: int, end: int) -> tuple[int | str | None, ...]:
        dims: list[int | str | None] = []
        for num, wire, a, b in self._fields(start, end):
            if num != 1 or wire != _LEN:
                continue
            dim: int | str | None = None
            for n2, w2, a2, b2 in self._fields(a, b):
                if n2 == 1 and w2 == _VARINT:
                    dim = a2 if a2 < (1 << 63) else a2 - (1 << 64)
                elif n2 == 2 and w2 == _LEN:
                    dim = self._str(a2, b2)
            dims.append(dim)
        return tuple(dims)


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return -1  # present but not a number: the validator refuses negatives
