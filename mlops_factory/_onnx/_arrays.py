"""Array helpers for the worker process: synthesise, load, summarise, compare.

Imports numpy at module level; only :mod:`mlops_factory._onnx._worker` imports
this module, so the parent process never pays for numpy.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mlops_factory._onnx._report import SAMPLE_SUFFIXES, Dim

Array = npt.NDArray[Any]

_NUMPY_TYPES: dict[str, Any] = {
    "float": np.float32,
    "double": np.float64,
    "float16": np.float16,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "bool": np.bool_,
    "string": np.object_,
}


class UserError(Exception):
    """Bad user-supplied data (sample, reference); becomes a FactoryError in the parent."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def element_type(type_str: str) -> str | None:
    """``tensor(float)`` -> ``float``; None for non-tensor types."""
    if type_str.startswith("tensor(") and type_str.endswith(")"):
        return type_str[len("tensor(") : -1]
    return None


def numpy_dtype(type_str: str) -> Any:
    """The numpy dtype for an onnxruntime type string, or None when unsupported."""
    elem = element_type(type_str)
    return None if elem is None else _NUMPY_TYPES.get(elem)


def is_float(type_str: str) -> bool:
    return element_type(type_str) in ("float", "double", "float16")


def concrete_shape(
    shape: Sequence[Dim] | None, batch: int, dims: Mapping[str, int]
) -> tuple[int, ...]:
    """Fill symbolic dims from ``dims`` by name, else with ``batch``; unknown rank -> (batch,)."""
    if shape is None:
        return (batch,)
    out: list[int] = []
    for d in shape:
        if isinstance(d, int) and d >= 0:
            out.append(d)
        elif isinstance(d, str) and d in dims:
            out.append(dims[d])
        else:
            out.append(batch)
    return tuple(out)


#: Largest input synthesised when the worker has no memory limit.
MAX_SYNTH_BYTES = 4 * 1024**3


def _synth_budget() -> int:
    """Bytes one synthesised input may take: half the worker's memory limit (the model
    needs the rest), else :data:`MAX_SYNTH_BYTES`."""
    import os

    raw = os.environ.get("MLOPS_FACTORY_WORKER_MEMORY", "")
    return int(raw) // 2 if raw.isdigit() and int(raw) > 0 else MAX_SYNTH_BYTES


def synthesise(name: str, type_str: str, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
    """Valid-looking input: standard normal floats, zeros for ints (safe as indices).

    A shape too large to build (a huge declared dim, an absurd --batch-size) is a
    :class:`UserError`, checked in Python integers before numpy allocates anything.
    """
    dtype = numpy_dtype(type_str)
    if dtype is None:
        raise UserError(
            f"cannot build a value for input {name!r} of type {type_str}",
            "pass --sample with real input values",
        )
    count = 1
    for d in shape:
        count *= d
    # floats are drawn as float64, then cast: count both buffers
    need = count * (8 + np.dtype(dtype).itemsize if dtype is not np.object_ else 64)
    budget = _synth_budget()
    if need > budget:
        raise UserError(
            f"input {name!r} of shape {list(shape)} needs {need:,} bytes to synthesise, "
            f"over the {budget:,}-byte budget",
            "pass a smaller --batch-size or --dim NAME=N, a --sample file, or raise --memory-limit",
        )
    if dtype is np.object_:
        return np.full(shape, "", dtype=object)
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(shape).astype(dtype)
    return np.zeros(shape, dtype=dtype)


def cast_to(name: str, value: Array, type_str: str) -> Array:
    """Cast a loaded sample array to the input's element type."""
    dtype = numpy_dtype(type_str)
    if dtype is None:
        raise UserError(f"input {name!r} has type {type_str}, which samples cannot provide")
    if dtype is np.object_:
        return value.astype(object)
    if value.dtype.kind in "USO":
        raise UserError(f"sample for input {name!r} holds text, but the input is {type_str}")
    return value.astype(dtype, copy=False)


# ------------------------------------------------------------------ loading


def load_arrays(path: str, names: Sequence[str], *, what: str) -> dict[str, Array]:
    """Read a sample or reference file into {name: array}.

    ``names`` are the model's input names (sample) or output names
    (reference). A file holding a single unnamed array maps to the first name;
    a sample must cover every input, a reference at least one output.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        loaded: Array | dict[str, Array]
        if suffix == ".npz":
            with np.load(p, allow_pickle=False) as npz:
                loaded = {k: npz[k] for k in npz.files}
        elif suffix == ".npy":
            loaded = np.load(p, allow_pickle=False)
        elif suffix == ".json":
            loaded = _from_json(json.loads(p.read_text(encoding="utf-8")))
        elif suffix == ".csv":
            loaded = _from_csv(p)
        else:
            raise UserError(
                f"{what} file {path} has an unsupported type {suffix or '(none)'}",
                f"use one of {', '.join(SAMPLE_SUFFIXES)}",
            )
    except UserError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {what} file {path}: {exc}") from None
    return _match(loaded, list(names), what=what, path=path)


def _from_json(data: Any) -> Array | dict[str, Array]:
    if isinstance(data, dict):
        return {str(k): _json_array(v) for k, v in data.items()}
    return _json_array(data)


def _json_array(value: Any) -> Array:
    arr = np.asarray(value)
    if arr.dtype == object:
        raise ValueError("arrays must be rectangular lists of numbers or strings")
    return arr


def _from_csv(path: Path) -> Array:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [row for row in csv.reader(fh) if any(cell.strip() for cell in row)]
    if rows and not all(_is_number(c) for c in rows[0]):
        rows = rows[1:]  # a header row
    if not rows:
        raise ValueError("no data rows")
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("rows have different numbers of columns")
    try:
        return np.array([[float(c) for c in r] for r in rows], dtype=np.float64)
    except ValueError:
        raise ValueError(
            "every cell must be a number (a .csv sample is one tabular input)"
        ) from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _match(
    loaded: Array | dict[str, Array], names: list[str], *, what: str, path: str
) -> dict[str, Array]:
    if not isinstance(loaded, dict):
        if what == "sample" and len(names) != 1:
            raise UserError(
                f"sample file {path} holds one unnamed array, but the model has "
                f"{len(names)} inputs ({', '.join(names)})",
                "use a .npz or a JSON object keyed by input name",
            )
        return {names[0]: loaded}
    if len(loaded) == 1 and len(names) == 1:
        return {names[0]: next(iter(loaded.values()))}
    unknown = sorted(set(loaded) - set(names))
    missing = [n for n in names if n not in loaded]
    kind = "inputs" if what == "sample" else "outputs"
    if unknown or (what == "sample" and missing) or not set(loaded) & set(names):
        raise UserError(
            f"{what} file {path} has arrays {sorted(loaded)}, but the model's {kind} are {names}",
            f"key the arrays by the model's {kind[:-1]} names",
        )
    return {n: loaded[n] for n in names if n in loaded}


# ------------------------------------------------------------------ results


def as_array(value: Any) -> Array | None:
    """An output as an array; a list of maps (ZipMap) becomes rows of values by sorted key."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            keys = sorted(value[0])
            if all(sorted(v) == keys for v in value):
                return np.array([[v[k] for k in keys] for v in value])
            return None
        try:
            arr = np.asarray(value)
        except ValueError:
            return None
        return None if arr.dtype == object else arr
    return None


def summarise(name: str, value: Any) -> dict[str, Any]:
    """An ArraySummary dict for a fed or returned value."""
    if isinstance(value, np.ndarray):
        out: dict[str, Any] = {
            "name": name,
            "kind": "tensor",
            "dtype": str(value.dtype) if value.dtype != object else "string",
            "shape": [int(d) for d in value.shape],
        }
        out.update(_stats(value))
        return out
    if isinstance(value, list):
        inner = "maps" if value and isinstance(value[0], dict) else "values"
        out = {"name": name, "kind": "sequence", "dtype": inner, "shape": [len(value)]}
        arr = as_array(value)
        if arr is not None:
            out.update(_stats(arr))
        return out
    if isinstance(value, dict):
        return {"name": name, "kind": "map", "dtype": "map", "shape": [len(value)]}
    return {"name": name, "kind": type(value).__name__, "dtype": "unknown", "shape": None}


def _stats(arr: Array) -> dict[str, Any]:
    if arr.size == 0 or arr.dtype.kind not in "biuf":
        return {}
    values = arr.astype(np.float64, copy=False)
    finite = np.isfinite(values)
    stats: dict[str, Any] = {
        "nan": int(np.isnan(values).sum()),
        "inf": int(np.isinf(values).sum()),
    }
    if finite.any():
        good = values[finite]
        stats.update(min=float(good.min()), max=float(good.max()), mean=float(good.mean()))
    return stats


def compare(name: str, actual: Any, expected: Array, rtol: float, atol: float) -> dict[str, Any]:
    """An OutputParity dict: ``|a - e| <= atol + rtol * |e|``, NaN equal to NaN."""
    got = as_array(actual)
    exp_shape = [int(d) for d in expected.shape]
    if got is None:
        return _parity(name, False, exp_shape, None, detail="output is not comparable as an array")
    got_shape = [int(d) for d in got.shape]
    if got.shape != expected.shape:
        return _parity(
            name, False, exp_shape, got_shape, detail=f"shape {got_shape} != expected {exp_shape}"
        )
    total = int(expected.size)
    if expected.dtype.kind in "USO" or got.dtype.kind in "USO":
        same = np.asarray(got.astype(str) == expected.astype(str))
        bad = int(total - same.sum())
        return _parity(name, bad == 0, exp_shape, got_shape, mismatched=bad, total=total)
    a = got.astype(np.float64)
    e = expected.astype(np.float64)
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    bad = int(total - close.sum())
    both = np.isfinite(a) & np.isfinite(e)
    diff = np.abs(a - e)[both]
    max_abs = float(diff.max()) if diff.size else 0.0
    denom = np.abs(e[both])
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(denom > 0, diff / np.where(denom > 0, denom, 1.0), 0.0)
    max_rel = float(rel.max()) if rel.size else 0.0
    detail = ""
    if bad:
        first = tuple(int(i) for i in np.argwhere(~close)[0])
        detail = (
            f"first mismatch at {list(first)}: {float(a[first]):.6g} "
            f"vs expected {float(e[first]):.6g}"
        )
    return _parity(
        name,
        bad == 0,
        exp_shape,
        got_shape,
        mismatched=bad,
        total=total,
        max_abs=max_abs,
        max_rel=max_rel,
        detail=detail,
    )


def _parity(
    name: str,
    ok: bool,
    expected_shape: list[int],
    actual_shape: list[int] | None,
    *,
    mismatched: int = 0,
    total: int = 0,
    max_abs: float | None = None,
    max_rel: float | None = None,
    detail: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "ok": ok,
        "expected_shape": expected_shape,
        "actual_shape": actual_shape,
        "mismatched": mismatched,
        "total": total,
        "max_abs_diff": max_abs,
        "max_rel_diff": max_rel,
        "detail": detail,
    }
