"""Git facts read through the one safe git runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_factory._assess._gitfacts import (
    SAFE_CONFIG,
    driver_overrides,
    read_git_facts,
    safe_git_args,
)
from mlops_factory._assess.model import Unreadable
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree, git_init

GIT = [
    "git",
    "-c",
    "user.name=T",
    "-c",
    "user.email=t@example.com",
    "-c",
    "core.hooksPath=/dev/null",
]


def git(root: Path, *args: str) -> str:
    out = subprocess.run([*GIT, "-C", str(root), *args], check=True, capture_output=True)
    return out.stdout.decode().strip()


def test_facts_of_a_repo_with_history_tags_and_branches(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a.py": "x = 1\n"})
    git_init(tmp_path, tag="v1.0.0")
    (tmp_path / "a.py").write_text("x = 2\n")
    git(tmp_path, "commit", "-qam", "second")
    git(tmp_path, "tag", "-a", "v1.1.0", "-m", "release")
    git(tmp_path, "branch", "feature/x")
    facts = RepoSnapshot.open(tmp_path).git
    assert facts is not None
    assert facts.head == git(tmp_path, "rev-parse", "HEAD")
    assert facts.branch == "main"
    assert facts.commits == 2
    assert facts.last_change == git(tmp_path, "log", "-1", "--format=%cI")
    assert facts.tags == ("v1.0.0", "v1.1.0")
    assert facts.branches == ("feature/x", "main")


def test_empty_repo_has_no_head(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(tmp_path)], check=True)
    facts = RepoSnapshot.open(tmp_path).git
    assert facts is not None
    assert (facts.head, facts.branch, facts.commits, facts.last_change) == (None, "trunk", 0, None)


def test_detached_head_has_no_branch(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a.py": ""})
    git_init(tmp_path)
    git(tmp_path, "checkout", "-q", "--detach")
    facts = RepoSnapshot.open(tmp_path).git
    assert facts is not None
    assert facts.branch is None
    assert facts.commits == 1


def test_a_corrupt_git_folder_is_reported_not_raised(tmp_path: Path) -> None:
    build_tree(tmp_path, {".git/HEAD": "garbage", "a.py": ""})
    snap = RepoSnapshot.open(tmp_path)
    assert snap.git is None
    assert [u.path for u in snap.unreadable] == [".git"]
    assert snap.unreadable[0].reason.startswith("git history not readable: ")


@pytest.mark.parametrize("name", ["config", "HEAD"])
def test_a_fifo_in_the_git_folder_is_refused_not_waited_on(tmp_path: Path, name: str) -> None:
    build_tree(tmp_path, {"a.py": ""})
    git_init(tmp_path)
    (tmp_path / ".git" / name).unlink()
    os.mkfifo(tmp_path / ".git" / name)
    # In a child process with a timeout: if the guard failed, git would block forever.
    probe = (
        "from mlops_factory._assess.snapshot import RepoSnapshot; import sys; "
        "s = RepoSnapshot.open(sys.argv[1]); print(s.git, [tuple(u) for u in "
        "[(x.path, x.reason) for x in s.unreadable]])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    reason = f"git history not readable: {name} in the git folder is not a regular file"
    assert out.stdout.strip() == f"None [('.git', {reason!r})]"


def test_inherited_git_environment_cannot_redirect_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    build_tree(other, {"b.py": ""})
    git_init(other)
    git(other, "commit", "-q", "--allow-empty", "-m", "two")
    repo = tmp_path / "repo"
    build_tree(repo, {"a.py": ""})
    git_init(repo)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    unreadable: list[Unreadable] = []
    facts = read_git_facts(repo, unreadable)
    assert facts is not None and facts.commits == 1
    assert unreadable == []


def test_driver_overrides_blank_every_declared_driver(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "config": '[core]\n\tbare = false\n[filter "lfs"]\n\tclean = x\n[diff "ev\\"il"]\n'
            "\ttextconv = y\n",
            "config.worktree": '[merge "ours"]\n\tdriver = true\n',
        },
    )
    assert driver_overrides(tmp_path) == (
        "filter.lfs.clean=",
        "filter.lfs.smudge=",
        "filter.lfs.process=",
        "filter.lfs.required=false",
        'diff.ev"il.textconv=',
        'diff.ev"il.command=',
        'diff.ev"il.cachetextconv=false',
        "merge.ours.driver=",
    )


def test_safe_git_args_pair_every_setting_with_dash_c(tmp_path: Path) -> None:
    args = safe_git_args()
    assert args[0::2] == ["-c"] * len(SAFE_CONFIG)
    assert args[1::2] == list(SAFE_CONFIG)
    assert "core.fsmonitor=false" in SAFE_CONFIG
    assert "core.hooksPath=/dev/null" in SAFE_CONFIG
    assert "log.showSignature=false" in SAFE_CONFIG
