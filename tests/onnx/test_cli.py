"""`mlops-factory model check|profile` through the real dispatcher."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from mlops_factory._cli import main
from tests.onnx._models import linear, linear_model, reshape_fails, weights, with_external_data

PROFILE_TINY = [
    "--threads",
    "1",
    "--opt-levels",
    "all",
    "--batch-sizes",
    "1,2",
    "--warmup",
    "1",
    "--runs",
    "5",
]


def test_check_text_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    path = linear(tmp_path / "m.onnx")
    assert main(["model", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "IR 8, opsets ai.onnx 17, producer tests 1.0" in out
    assert "[N, 3]" in out
    assert "Robustness probes" in out
    assert "✓ model check passed" in out


def test_check_json_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = linear(tmp_path / "m.onnx")
    assert main(["model", "check", str(path), "--format", "json", "--batch-size", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert data["inputs"][0]["name"] == "x"
    assert data["outputs"][0]["observed"]["shape"] == [2, 2]
    assert len(data["probes"]) == 6


def test_check_fails_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "check", str(reshape_fails(tmp_path / "m.onnx"))]) == 1
    assert "✗ model check failed:" in capsys.readouterr().out


def test_parity_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = linear(tmp_path / "m.onnx")
    x = np.ones((2, 3), np.float32)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "good.npz", y=x @ weights())
    np.savez(tmp_path / "bad.npz", y=x @ weights() + 1)
    args = ["model", "check", str(path), "--sample", str(tmp_path / "x.npy"), "--no-probes"]
    assert main([*args, "--reference", str(tmp_path / "good.npz")]) == 0
    assert "Parity with" in capsys.readouterr().out
    assert main([*args, "--reference", str(tmp_path / "bad.npz"), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["parity"]["ok"] is False
    assert data["parity"]["outputs"][0]["mismatched"] == 4


def test_output_file_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = linear(tmp_path / "m.onnx")
    out = tmp_path / "report.json"
    assert main(["model", "check", str(path), "--format", "json", "--output", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())["ok"] is True
    text = tmp_path / "report.txt"
    assert main(["model", "check", str(path), "--output", str(text)]) == 0
    assert "model check passed" in text.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "report.json", "report.txt"]


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    (tmp_path / "empty.onnx").write_bytes(b"")
    (tmp_path / "text.onnx").write_text("this is not a model\n")
    data = linear_model().SerializeToString()
    (tmp_path / "trunc.onnx").write_bytes(data[: len(data) - 20])
    outside = with_external_data(
        tmp_path / "model" / "ext.onnx", "../w.bin", data_path=tmp_path / "w.bin"
    )
    big = linear(tmp_path / "big.onnx")
    return {
        "zero-byte": (tmp_path / "empty.onnx", "is empty (0 bytes)"),
        "not-onnx": (tmp_path / "text.onnx", "is not an ONNX model"),
        "truncated": (tmp_path / "trunc.onnx", "is truncated"),
        "outside": (outside, "points outside the model's folder ('../w.bin')"),
        "over-cap": (big, "over the 100 B cap"),
        "missing": (tmp_path / "nope.onnx", "does not exist"),
    }


@pytest.mark.parametrize("command", ["check", "profile"])
@pytest.mark.parametrize(
    "case", ["zero-byte", "not-onnx", "truncated", "outside", "over-cap", "missing"]
)
def test_bad_input_exits_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, case: str
) -> None:
    path, message = _bad_inputs(tmp_path)[case]
    cap = ["--max-bytes", "100"] if case == "over-cap" else []
    assert main(["model", command, str(path), *cap]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    first, second = captured.err.splitlines()[:2]
    assert first.startswith("error: ") and message in first
    assert second.startswith("hint: ")
    assert "Traceback" not in captured.err


def test_bad_sample_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = linear(tmp_path / "m.onnx")
    (tmp_path / "x.npz").write_bytes(b"PK\x03\x04 broken")
    assert main(["model", "check", str(path), "--sample", str(tmp_path / "x.npz")]) == 2
    assert "cannot read sample file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags",
    [
        ["check", "--batch-size", "0"],
        ["check", "--rtol", "-1"],
        ["check", "--dim", "T"],
        ["check", "--max-bytes", "lots"],
        ["profile", "--threads", "0"],
        ["profile", "--opt-levels", "turbo"],
        ["profile", "--batch-sizes", ","],
    ],
)
def test_bad_flags_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    path = linear(tmp_path / "m.onnx")
    assert main(["model", flags[0], str(path), *flags[1:]]) == 2
    assert "usage:" in capsys.readouterr().err


def test_a_subcommand_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model"]) == 2


def test_profile_json_with_progress_kept_off_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = linear(tmp_path / "m.onnx")
    assert main(["model", "profile", str(path), *PROFILE_TINY, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["settings"]["batch_size"] for r in data["results"]] == [1, 2]
    assert data["recommended"]["settings"]["threads"] == 1
    assert data["machine"]["cpu_count"] == os.cpu_count()


def test_profile_text_and_unmet_constraint_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    path = linear(tmp_path / "m.onnx")
    assert main(["model", "profile", str(path), *PROFILE_TINY]) == 0
    out = capsys.readouterr().out
    assert "★ recommended: 1 thread(s), opt all, batch" in out
    assert "onnxruntime" in out and "CPUs" in out
    assert "peak memory:" in out
    assert main(["model", "profile", str(path), *PROFILE_TINY, "--max-memory-mb", "0.001"]) == 1
    assert "no recommendation" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "value"), [("1000", 1000), ("2KB", 2048), ("1.5MiB", 1572864), ("2g", 2 * 1024**3)]
)
def test_size_flag(text: str, value: int) -> None:
    from mlops_factory._cli.model import _size

    assert _size(text) == value
