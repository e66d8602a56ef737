"""The one git runner: hostile repository configs never hang, grow or run anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._git import GitRefused, check_git_dir, run_git
from tests.helpers import build_tree, git_init

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")


def _repo(root: Path) -> Path:
    build_tree(root, {"a.py": "x = 1\n"})
    return git_init(root)


def _append_config(repo: Path, text: str, name: str = "config") -> None:
    with open(repo / ".git" / name, "a", encoding="utf-8") as fh:
        fh.write(text)


def _git_reason(repo: Path) -> str:
    snap = RepoSnapshot.open(repo)
    assert snap.git is None
    reasons = [u.reason for u in snap.unreadable if u.path == ".git"]
    assert len(reasons) == 1
    return reasons[0]


def test_a_plain_repo_runs(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    done = run_git(repo, "rev-list", "--count", "HEAD")
    assert done.ok and done.text.strip() == "1"
    assert RepoSnapshot.open(repo).git is not None


@pytest.mark.parametrize(
    "section",
    [
        "[include]\n\tpath = /dev/zero\n",
        '[includeIf "gitdir:/"]\n\tpath = /dev/zero\n',
        "[core][include] path = /dev/zero\n",  # a header may follow another on one line
    ],
)
def test_config_include_of_dev_zero_is_refused_not_read(tmp_path: Path, section: str) -> None:
    repo = _repo(tmp_path)
    _append_config(repo, section)
    assert "includes other files" in _git_reason(repo)
    with pytest.raises(GitRefused, match="includes other files"):
        run_git(repo, "status")


def test_config_include_of_a_fifo_does_not_hang(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r")
    os.mkfifo(tmp_path / "pipe")
    _append_config(repo, f"[INCLUDE]\n\tpath = {tmp_path / 'pipe'}\n")
    assert "includes other files" in _git_reason(repo)


def test_config_worktree_include_is_refused(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _append_config(repo, "[include]\npath = /dev/zero\n", name="config.worktree")
    assert "includes other files" in _git_reason(repo)


def test_a_commondir_whose_config_is_a_fifo_does_not_hang(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r")
    common = tmp_path / "common"
    common.mkdir()
    os.mkfifo(common / "config")
    (repo / ".git" / "commondir").write_text(str(common) + "\n")
    assert "not a regular file" in _git_reason(repo)


def test_a_commondir_config_with_an_include_is_refused(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r")
    common = tmp_path / "common"
    common.mkdir()
    (common / "config").write_text("[include]\n\tpath = /dev/zero\n")
    (repo / ".git" / "commondir").write_text(str(common) + "\n")
    with pytest.raises(GitRefused, match="includes other files"):
        check_git_dir(repo / ".git")


def test_fsmonitor_and_filters_of_the_repo_never_run(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r")
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\necho ran >> {marker}\ncat\n")
    script.chmod(0o755)
    _append_config(
        repo,
        f'[core]\n\tfsmonitor = {script}\n[filter "x"]\n\tclean = {script}\n\tsmudge = {script}\n',
    )
    (repo / ".gitattributes").write_text("*.py filter=x\n")
    (repo / "a.py").write_text("x = 2\n")
    assert run_git(repo, "status", "--porcelain").ok
    assert run_git(repo, "add", "-A").ok
    assert not marker.exists()
    # control: plain git does run them
    subprocess.run(["git", "-C", str(repo), "status"], capture_output=True, check=False)
    assert marker.exists()


def test_a_call_that_overruns_its_time_is_killed(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r")
    os.mkfifo(tmp_path / "in")
    # hash-object reads the FIFO, which nobody writes: git blocks until killed.
    with pytest.raises(GitRefused, match="longer than"):
        run_git(repo, "hash-object", str(tmp_path / "in"), timeout=0.5)


def test_a_call_that_prints_too_much_is_stopped(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    with pytest.raises(GitRefused, match="more than 10 bytes"):
        run_git(repo, "log", "--format=%H", max_output=10)


def test_inherited_git_dir_does_not_redirect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path / "r")
    other = _repo(tmp_path / "o")
    commit = ["commit", "-q", "--allow-empty", "-m", "2"]
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@e", "-C", str(other), *commit])
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert run_git(repo, "rev-list", "--count", "HEAD").text.strip() == "1"
