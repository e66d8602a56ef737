"""Atomic writes: whole files only, sane modes, nothing left behind on failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mlops_factory._io import atomic_write


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_follows_the_umask_not_mkstemps_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "report.md", "# hi\n")
    finally:
        os.umask(old)
    assert (tmp_path / "report.md").read_bytes() == b"# hi\n"
    assert _mode(tmp_path / "report.md") == 0o644


def test_existing_file_keeps_its_mode_and_text_is_written_verbatim(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("old")
    target.chmod(0o750)
    atomic_write(target, "a\r\nb\n")
    assert target.read_bytes() == b"a\r\nb\n"
    assert _mode(target) == 0o750


def test_explicit_mode(tmp_path: Path) -> None:
    atomic_write(tmp_path / "x", b"\x00\x01", mode=0o600, keep_umask=False)
    assert _mode(tmp_path / "x") == 0o600


def test_failure_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "answers.yml"
    target.write_text("old\n")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yml"]
