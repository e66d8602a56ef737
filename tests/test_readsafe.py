"""The one untrusted-file reader: regular files in the tree only, bounded, never blocking."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._cli import main
from mlops_factory._factory._files import read_bytes as project_read_bytes
from mlops_factory._readsafe import Refused, read_bytes, read_in
from tests.helpers import build_tree

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and FIFOs")

SECRET = "root:x:0:0:SECRET-MARKER:/root:/bin/bash\n"


def _hostile(tmp_path: Path) -> Path:
    """A repo whose README.md and Dockerfile are hard links to a file outside it."""
    secret = tmp_path / "passwd"
    secret.write_text(SECRET)
    repo = build_tree(tmp_path / "repo", {"train.py": "import mlflow\n"})
    os.link(secret, repo / "README.md")
    os.link(secret, repo / "Dockerfile")
    return repo


def test_a_hard_link_to_a_file_outside_is_reported_not_read(tmp_path: Path) -> None:
    repo = _hostile(tmp_path)
    snap = RepoSnapshot.open(repo, with_git=False)
    assert snap.read_text("README.md") is None
    reasons = {u.path: u.reason for u in snap.unreadable}
    assert reasons["README.md"].startswith("hard link")
    assert snap.read_text("train.py") == "import mlflow\n"
    assert project_read_bytes(repo, "README.md") is None


@pytest.mark.parametrize("fmt", ["terminal", "json", "markdown", "html", "sarif"])
def test_no_format_quotes_a_hard_linked_file(
    tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _hostile(tmp_path)
    out = tmp_path / f"report.{fmt}"
    code = main(["assess", str(repo), "--no-input", "--format", fmt, "-o", str(out)])
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "SECRET-MARKER" not in text and "SECRET-MARKER" not in capsys.readouterr().out
    if fmt in ("json", "markdown"):
        assert "hard link" in text


def test_fifo_device_and_oversize_are_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "big").write_bytes(b"x" * 101)
    (tmp_path / "ok").write_bytes(b"hello")
    with pytest.raises(Refused, match="not a regular file"):
        read_bytes(tmp_path / "pipe", cap=100)
    with pytest.raises(Refused, match="not a regular file"):
        read_bytes("/dev/zero", cap=100)
    with pytest.raises(Refused, match="read cap"):
        read_bytes(tmp_path / "big", cap=100)
    assert read_bytes(tmp_path / "ok", cap=100) == b"hello"


def test_symlinks_inside_are_followed_outside_never(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("secret")
    repo = build_tree(tmp_path / "repo", {"a.txt": "inside"})
    os.symlink(repo / "a.txt", repo / "in.txt")
    os.symlink(tmp_path / "outside.txt", repo / "out.txt")
    assert read_in(repo, "in.txt", cap=100) == b"inside"
    with pytest.raises(Refused, match="outside"):
        read_in(repo, "out.txt", cap=100)
    with pytest.raises(Refused, match="not followed"):
        read_in(repo, "in.txt", cap=100, follow_links=False)


def test_a_users_own_hard_linked_file_is_read(tmp_path: Path) -> None:
    # Outside a tree (``--answers``), a hard link is the user's own business.
    (tmp_path / "a.yml").write_text("x: 1\n")
    os.link(tmp_path / "a.yml", tmp_path / "b.yml")
    assert read_bytes(tmp_path / "b.yml", cap=100) == b"x: 1\n"
