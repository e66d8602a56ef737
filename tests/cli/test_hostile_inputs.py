"""Bad files a user (or a pull request) hands the CLI: user errors, never a hang or a crash.

Each runs the real CLI in a subprocess under a timeout, so a hang fails the test
instead of blocking the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import build_tree

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops_factory", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        check=False,
    )


def _bad_files(tmp_path: Path) -> dict[str, str]:
    os.mkfifo(tmp_path / "fifo.yml")
    huge = tmp_path / "huge.yml"
    with open(huge, "wb") as fh:  # sparse: 100 MB on paper, nothing on disk
        fh.truncate(100 * 1_048_576)
    (tmp_path / "deep.yml").write_text("answers: " + "[" * 100_000 + "]" * 100_000 + "\n")
    return {
        "/dev/zero": "not a regular file",
        str(tmp_path / "fifo.yml"): "not a regular file",
        str(huge): "larger than the read cap",
        str(tmp_path / "deep.yml"): "nested too deeply",
    }


def test_assess_answers_that_are_not_answers_files(tmp_path: Path) -> None:
    repo = build_tree(tmp_path / "repo", {"train.py": "print(1)\n"})
    for path, reason in _bad_files(tmp_path).items():
        done = _cli("assess", str(repo), "--no-input", "--answers", path, cwd=tmp_path)
        assert done.returncode == 2, (path, done.stderr)
        assert reason in done.stderr and "Traceback" not in done.stderr


def test_new_data_file_that_is_not_an_answers_file(tmp_path: Path) -> None:
    for path, reason in _bad_files(tmp_path).items():
        dest = tmp_path / "proj"
        done = _cli("new", str(dest), "--defaults", "--no-git", "--data-file", path, cwd=tmp_path)
        assert done.returncode == 2, (path, done.stderr)
        assert reason in done.stderr and "Traceback" not in done.stderr
        assert not dest.exists()
