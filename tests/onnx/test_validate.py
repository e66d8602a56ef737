"""Pre-flight checks: every unusable or unsafe file is a FactoryError with a hint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_factory._errors import FactoryError
from mlops_factory._onnx._validate import (
    LfsPointer,
    ModelTooLarge,
    human_bytes,
    inspect_model_file,
)
from tests.onnx._models import linear, linear_model, save, with_external_data


def test_a_good_model_passes_with_its_facts(tmp_path: Path) -> None:
    path = linear(tmp_path / "m.onnx")
    model = inspect_model_file(path)
    assert model.path == path.resolve()
    assert model.size == path.stat().st_size
    assert model.external_bytes == 0
    assert model.external_files == ()
    assert model.header.ir_version == 8


def test_external_data_inside_the_folder_is_accepted_and_counted(tmp_path: Path) -> None:
    path = with_external_data(tmp_path / "m.onnx", "data/weights.bin")
    model = inspect_model_file(path)
    assert model.external_files == ("data/weights.bin",)
    assert model.external_bytes == 24  # 3 x 2 float32
    assert model.total_bytes == path.stat().st_size + 24


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.write_bytes(b""), "is empty (0 bytes)"),
        (lambda p: p.write_text("just text, not a model"), "is not an ONNX model"),
        (lambda p: p.write_bytes(linear_model().SerializeToString()[:-9]), "is truncated"),
        (lambda p: p.mkdir(), "is not a regular file"),
        (lambda p: None, "does not exist"),
        # Parses as protobuf (one varint field) but has no graph.
        (lambda p: p.write_bytes(b"\x08\x08"), "it parses, but has no graph"),
    ],
    ids=["empty", "not-onnx", "truncated", "folder", "missing", "no-graph"],
)
def test_unusable_files(tmp_path: Path, setup: object, message: str) -> None:
    path = tmp_path / "m.onnx"
    setup(path)  # type: ignore[operator]
    with pytest.raises(FactoryError) as info:
        inspect_model_file(path)
    assert message in info.value.message
    assert info.value.hint


def test_a_model_over_the_cap(tmp_path: Path) -> None:
    path = linear(tmp_path / "m.onnx")
    size = path.stat().st_size
    with pytest.raises(ModelTooLarge) as info:
        inspect_model_file(path, max_bytes=size - 1)
    assert info.value.message == f"{path} is {size} B, over the {size - 1} B cap"


def test_external_data_counts_towards_the_cap(tmp_path: Path) -> None:
    path = with_external_data(tmp_path / "m.onnx", "w.bin")
    size = path.stat().st_size
    inspect_model_file(path, max_bytes=size + 24)
    with pytest.raises(ModelTooLarge, match="with its external data"):
        inspect_model_file(path, max_bytes=size + 23)


def test_git_lfs_pointer(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 9\n")
    with pytest.raises(LfsPointer, match="Git LFS pointer"):
        inspect_model_file(path)


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("../w.bin", "points outside the model's folder ('../w.bin')"),
        ("sub/../../w.bin", "points outside the model's folder"),
        ("..\\w.bin", "points outside the model's folder"),
        ("/etc/passwd", "uses an absolute path '/etc/passwd'"),
        ("C:\\weights.bin", "uses an absolute path"),
        ("*/_ORT_MEM_ADDR_/*", "has a forbidden location"),
        ("missing.bin", "is missing ('missing.bin' not found)"),
    ],
)
def test_external_data_locations_that_are_refused(
    tmp_path: Path, location: str, message: str
) -> None:
    folder = tmp_path / "model"
    path = with_external_data(folder / "m.onnx", location, data_path=tmp_path / "w.bin")
    with pytest.raises(FactoryError) as info:
        inspect_model_file(path)
    assert message in info.value.message
    assert "external data of tensor 'W'" in info.value.message


def test_external_data_through_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    outside = tmp_path / "secret.bin"
    path = with_external_data(folder / "m.onnx", "w.bin", data_path=outside)
    os.symlink(outside, folder / "w.bin")
    with pytest.raises(FactoryError, match="outside the model's folder via a symlink"):
        inspect_model_file(path)


def test_external_data_that_reads_past_its_file(tmp_path: Path) -> None:
    path = with_external_data(tmp_path / "m.onnx", "w.bin")
    (tmp_path / "w.bin").write_bytes(b"\x00" * 10)
    with pytest.raises(
        FactoryError, match=r"reads past the end of 'w.bin' \(offset 0 \+ length 24"
    ):
        inspect_model_file(path)


def test_external_data_with_a_bad_offset(tmp_path: Path) -> None:
    model = linear_model()
    w = model.graph.initializer[0]
    w.ClearField("raw_data")
    for key, value in (("location", "w.bin"), ("offset", "-5")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    (tmp_path / "w.bin").write_bytes(b"\x00" * 24)
    with pytest.raises(FactoryError, match="invalid offset or length"):
        inspect_model_file(save(model, tmp_path / "m.onnx"))


def test_root_must_contain_the_model(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    model = linear(tmp_path / "outside.onnx")
    os.symlink(model, repo / "link.onnx")
    with pytest.raises(FactoryError, match="resolves outside the repository"):
        inspect_model_file(repo / "link.onnx", root=repo)


def test_shown_names_the_file_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    path.write_bytes(b"")
    with pytest.raises(FactoryError) as info:
        inspect_model_file(path, shown="models/m.onnx")
    assert info.value.message == "models/m.onnx is empty (0 bytes)"


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (5 * 1024**2, "5.0 MiB"),
        (3 * 1024**3, "3.0 GiB"),
    ],
)
def test_human_bytes(n: int, text: str) -> None:
    assert human_bytes(n) == text
