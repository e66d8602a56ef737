"""Worker-side array helpers, tested in-process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mlops_factory._onnx._arrays import (
    UserError,
    as_array,
    cast_to,
    compare,
    concrete_shape,
    load_arrays,
    summarise,
    synthesise,
)


def test_concrete_shape() -> None:
    assert concrete_shape(["N", 3, None, "T"], 4, {"T": 7}) == (4, 3, 4, 7)
    assert concrete_shape(None, 2, {}) == (2,)
    assert concrete_shape([], 2, {}) == ()


def test_synthesise_by_type() -> None:
    rng = np.random.default_rng(0)
    f = synthesise("x", "tensor(float)", (2, 3), rng)
    assert f.dtype == np.dtype(np.float32) and f.shape == (2, 3)
    i = synthesise("i", "tensor(int64)", (2,), rng)
    assert i.tolist() == [0, 0]
    s = synthesise("s", "tensor(string)", (1,), rng)
    assert s.tolist() == [""]
    with pytest.raises(UserError, match="cannot build a value for input 'q'"):
        synthesise("q", "seq(tensor(float))", (1,), rng)


def test_cast_refuses_text_for_numbers() -> None:
    with pytest.raises(UserError, match="holds text"):
        cast_to("x", np.array(["a"]), "tensor(float)")
    assert cast_to("x", np.array([1, 2]), "tensor(float)").dtype == np.float32


def test_load_arrays_formats(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"x": [[1, 2]], "y": [3]}))
    got = load_arrays(str(tmp_path / "a.json"), ["x", "y"], what="sample")
    assert {k: v.tolist() for k, v in got.items()} == {"x": [[1, 2]], "y": [3]}
    np.savez(tmp_path / "b.npz", whatever=np.ones(2))
    assert list(load_arrays(str(tmp_path / "b.npz"), ["x"], what="sample")) == ["x"]
    # A reference may cover only some outputs.
    got = load_arrays(str(tmp_path / "a.json"), ["x", "y", "z"], what="reference")
    assert list(got) == ["x", "y"]
    with pytest.raises(UserError, match="but the model's inputs are"):
        load_arrays(str(tmp_path / "a.json"), ["x", "y", "z"], what="sample")


def test_csv_without_header_and_ragged_json(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("1,2\n\n3,4\n")
    assert load_arrays(str(tmp_path / "x.csv"), ["x"], what="sample")["x"].tolist() == [
        [1.0, 2.0],
        [3.0, 4.0],
    ]
    (tmp_path / "r.json").write_text("[[1, 2], [3]]")
    with pytest.raises(UserError, match="cannot read sample file"):
        load_arrays(str(tmp_path / "r.json"), ["x"], what="sample")


def test_pickled_npy_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(UserError, match="cannot read sample file"):
        load_arrays(str(tmp_path / "o.npy"), ["x"], what="sample")


def test_zipmap_output_becomes_rows_by_sorted_key() -> None:
    arr = as_array([{1: 0.25, 0: 0.75}, {0: 0.5, 1: 0.5}])
    assert arr is not None and arr.tolist() == [[0.75, 0.25], [0.5, 0.5]]
    assert as_array([{0: 1.0}, {1: 1.0}]) is None


def test_summarise_counts_non_finite() -> None:
    s = summarise("y", np.array([1.0, np.nan, np.inf, -2.0]))
    assert (s["min"], s["max"], s["nan"], s["inf"]) == (-2.0, 1.0, 1, 1)
    assert summarise("e", np.zeros((0, 2)))["shape"] == [0, 2]


def test_compare_numbers_and_strings() -> None:
    ok = compare("y", np.array([1.0, np.nan]), np.array([1.0 + 1e-9, np.nan]), 1e-6, 0)
    assert (ok["ok"], ok["mismatched"], ok["total"]) == (True, 0, 2)
    bad = compare("y", np.array([1.0, 2.0]), np.array([1.0, 3.0]), 0, 0.1)
    assert (bad["ok"], bad["mismatched"], bad["max_abs_diff"]) == (False, 1, 1.0)
    assert bad["max_rel_diff"] == pytest.approx(1 / 3)
    assert bad["detail"] == "first mismatch at [1]: 2 vs expected 3"
    s = compare("s", np.array(["a", "b"], dtype=object), np.array(["a", "c"]), 0, 0)
    assert (s["ok"], s["mismatched"]) == (False, 1)
