"""The one output helper: a bad -o/--output/--html/--save-answers/--db is exit 2 with a hint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_factory._cli import main
from mlops_factory._errors import FactoryError
from mlops_factory._io import check_output_path, write_output
from tests.helpers import build_tree


def _bad_paths(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "dir").mkdir(exist_ok=True)
    (tmp_path / "file.txt").write_text("x")
    fifo = tmp_path / "fifo"
    if hasattr(os, "mkfifo") and not fifo.exists():
        os.mkfifo(fifo)
    out = {
        str(tmp_path / "dir"): "is a folder",
        str(tmp_path / "file.txt" / "report.json"): "is not a folder",
    }
    if fifo.exists():
        out[str(fifo)] = "is not a regular file"
    return out


def _assert_user_error(code: int, err: str, reason: str) -> None:
    assert code == 2, err
    assert reason in err and "hint: " in err and "Traceback" not in err


def test_the_helper_refuses_and_writes(tmp_path: Path) -> None:
    for path, reason in _bad_paths(tmp_path).items():
        with pytest.raises(FactoryError, match=reason) as info:
            write_output(path, "x", "--html")
        assert info.value.message.startswith(f"--html {path}")
        assert info.value.hint
    write_output(tmp_path / "new" / "deeper" / "r.md", "report\n")
    assert (tmp_path / "new" / "deeper" / "r.md").read_text() == "report\n"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_no_permission_is_a_user_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(FactoryError, match="no permission to write in"):
            check_output_path(locked / "r.json")
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("flag", ["--output", "--html", "--db"])
def test_portfolio_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str) -> None:
    repo = build_tree(tmp_path / "repo", {"train.py": "print(1)\n"})
    for path, reason in _bad_paths(tmp_path).items():
        extra = ["--no-history"] if flag != "--db" else []
        code = main(["portfolio", str(repo), "--jobs", "1", "--no-progress", *extra, flag, path])
        _assert_user_error(code, capsys.readouterr().err, reason)


def test_model_check_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"\x08\x08")  # never read: the output is vetted first
    for path, reason in _bad_paths(tmp_path).items():
        code = main(["model", "check", str(model), "--output", path])
        _assert_user_error(code, capsys.readouterr().err, reason)


def test_retro_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = build_tree(tmp_path / "proj", {"train.py": "print(1)\n"})
    for path, reason in _bad_paths(tmp_path).items():
        code = main(["retro", str(project), "--output", path])
        _assert_user_error(code, capsys.readouterr().err, reason)


def test_assess_save_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = build_tree(tmp_path / "repo", {"train.py": "print(1)\n"})
    for path, reason in _bad_paths(tmp_path).items():
        code = main(["assess", str(repo), "--no-input", "--format", "json", "--save-answers", path])
        _assert_user_error(code, capsys.readouterr().err, reason)
