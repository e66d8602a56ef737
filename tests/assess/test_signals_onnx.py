"""onnx_files and onnx_models_load on small repos built in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_factory._assess.model import SignalResult
from mlops_factory._assess.signals import _REGISTRY
from mlops_factory._assess.signals.onnx import onnx_files, onnx_models_load
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._onnx import ASSESS_MAX_BYTES
from tests.helpers import build_tree, git_init
from tests.onnx._models import linear, linear_model, with_external_data


def _snap(root: Path) -> RepoSnapshot:
    return RepoSnapshot.open(root, with_git=False)


def _notes(res: SignalResult) -> list[tuple[str | None, str, bool]]:
    return [(e.path, e.note, e.weak) for e in res.evidence]


def test_both_signals_are_registered() -> None:
    # The registry as this module left it (registry() would import every signal module).
    specs = _REGISTRY
    assert specs["onnx_files"].fn is onnx_files
    assert specs["onnx_models_load"].fn is onnx_models_load


def test_a_repo_without_models_starts_no_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_factory._onnx import _smoke

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker was started")

    monkeypatch.setattr(_smoke, "worker_events", boom)
    snap = _snap(build_tree(tmp_path, {"train.py": "print('hi')\n"}))
    files, loads = onnx_files(snap), onnx_models_load(snap)
    assert (files.found, files.evidence) == (False, ())
    assert (loads.found, loads.evidence) == (False, ())


def test_good_models_are_found_and_load(tmp_path: Path) -> None:
    build_tree(tmp_path, {"README.md": "# demo\n"})
    linear(tmp_path / "models" / "a.onnx")
    with_external_data(tmp_path / "models" / "b" / "b.onnx", "weights.bin")
    git_init(tmp_path)
    snap = RepoSnapshot.open(tmp_path)
    size_a = (tmp_path / "models" / "a.onnx").stat().st_size
    files = onnx_files(snap)
    assert files.found
    assert _notes(files)[0] == ("models/a.onnx", f"ONNX model file, {size_a} B", False)
    assert [e.path for e in files.evidence] == ["models/a.onnx", "models/b/b.onnx"]
    loads = onnx_models_load(snap)
    assert loads.found and not loads.weak
    assert _notes(loads) == [
        ("models/a.onnx", "loads and runs (1 in, 1 out) with onnxruntime", False),
        ("models/b/b.onnx", "loads and runs (1 in, 1 out) with onnxruntime", False),
    ]


def test_a_broken_model_is_evidence_against(tmp_path: Path) -> None:
    data = linear_model().SerializeToString()
    build_tree(tmp_path, {"good.onnx": data, "export/broken.onnx": data[:-15]})
    loads = onnx_models_load(_snap(tmp_path))
    assert not loads.found
    assert _notes(loads) == [
        ("good.onnx", "loads and runs (1 in, 1 out) with onnxruntime", False),
        (
            "export/broken.onnx",
            "broken model: export/broken.onnx is truncated: "
            f"the file ends inside a field (at byte {len(data) - 15})",
            False,
        ),
    ]


def test_external_data_outside_the_model_folder_is_refused(tmp_path: Path) -> None:
    with_external_data(tmp_path / "models" / "m.onnx", "../w.bin", data_path=tmp_path / "w.bin")
    loads = onnx_models_load(_snap(tmp_path))
    assert not loads.found
    ((path, note, _),) = _notes(loads)
    assert path == "models/m.onnx"
    assert note == (
        "broken model: models/m.onnx: external data of tensor 'W' points outside "
        "the model's folder ('../w.bin')"
    )


def test_lfs_pointers_and_huge_files_are_not_tried(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {"lfs.onnx": "version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n"},
    )
    with open(tmp_path / "huge.onnx", "wb") as fh:  # sparse: no disk used
        fh.truncate(ASSESS_MAX_BYTES + 1)
    loads = onnx_models_load(_snap(tmp_path))
    # Nothing was loaded, so there is no evidence that the models work.
    assert not loads.found
    assert [(p, w) for p, _, w in _notes(loads)] == [("huge.onnx", True), ("lfs.onnx", True)]
    assert "over the 200.0 MiB cap" in loads.evidence[0].note
    assert (
        loads.evidence[1].note == "not loaded: lfs.onnx is a Git LFS pointer, not the model itself"
    )


def test_skipped_files_do_not_count_against_a_loading_model(tmp_path: Path) -> None:
    linear(tmp_path / "m.onnx")
    build_tree(tmp_path, {"big/lfs.onnx": "version https://git-lfs.github.com/spec/v1\n"})
    loads = onnx_models_load(_snap(tmp_path))
    assert loads.found


def test_symlinks_out_of_the_repo_are_never_opened(tmp_path: Path) -> None:
    outside = linear(tmp_path / "outside" / "m.onnx")
    repo = tmp_path / "repo"
    build_tree(repo, {"README.md": "x\n"})
    os.symlink(outside, repo / "link.onnx")
    snap = _snap(repo)
    assert onnx_files(snap).found is False
    assert onnx_models_load(snap).evidence == ()


def test_results_are_cached_on_the_snapshot(tmp_path: Path) -> None:
    linear(tmp_path / "m.onnx")
    snap = _snap(tmp_path)
    first = onnx_models_load(snap)
    assert onnx_models_load(snap) == first
    assert len(snap.cache["onnx.load_results"]) == 1
