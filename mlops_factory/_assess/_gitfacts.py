"""Git facts of an assessed repository, read through the one safe git runner.

The assessed repo's ``.git`` is untrusted: :mod:`mlops_factory._git` vets its files
(no FIFOs, no config includes), neutralises every program its config names, and bounds
each call in time and output. Only commands that never filter, diff or verify anything
are used here (``for-each-ref``, ``log`` with a fixed format, ``rev-list --count``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from mlops_factory._assess.model import Unreadable
from mlops_factory._git import (
    GIT_TIMEOUT_S,
    SAFE_CONFIG,
    SAFE_ENV,
    GitRefused,
    check_git_dir,
    driver_overrides,
    find_git_dir,
    run_git,
    safe_git_args,
)

__all__ = [
    "GIT_TIMEOUT_S",
    "SAFE_CONFIG",
    "SAFE_ENV",
    "GitFacts",
    "driver_overrides",
    "read_git_facts",
    "safe_git_args",
]


@dataclass(frozen=True, slots=True)
class GitFacts:
    """What the history says, read once."""

    head: str | None
    branch: str | None
    commits: int
    last_change: str | None
    tags: tuple[str, ...]
    branches: tuple[str, ...]


def read_git_facts(root: Path, unreadable: list[Unreadable]) -> GitFacts | None:
    """Read history facts; on any git problem, record it and return None."""
    try:
        git_dir = find_git_dir(root)
        if git_dir is None:
            return None
        check_git_dir(git_dir)

        def git(*args: str) -> str:
            done = run_git(root, *args, git_dir=git_dir)
            if not done.ok:
                raise GitRefused(done.error.splitlines()[0] if done.error else "git failed")
            return done.text

        refs = git("for-each-ref", "--format=%(refname)", "refs/heads", "refs/tags").splitlines()
        tags = tuple(r.removeprefix("refs/tags/") for r in refs if r.startswith("refs/tags/"))
        branches = tuple(r.removeprefix("refs/heads/") for r in refs if r.startswith("refs/heads/"))
        done = run_git(
            root,
            "log",
            "-1",
            "--no-show-signature",
            "--format=%H%x00%cI%x00%D",
            "HEAD",
            git_dir=git_dir,
        )
        if not done.ok:  # an empty repo: HEAD names an unborn branch
            if not os.path.isfile(git_dir / "HEAD"):
                raise GitRefused(done.error.splitlines()[0] if done.error else "no HEAD")
            unborn = _unborn_branch(git_dir)
            if unborn is None:
                raise GitRefused(done.error.splitlines()[0] if done.error else "bad HEAD")
            return GitFacts(None, unborn, 0, None, tags, branches)
        head, last_change, decoration = [*done.text.strip().split("\x00"), "", "", ""][:3]
        match = re.search(r"HEAD -> ([^,]+)", decoration)
        branch = match.group(1).strip() if match else None
        commits = int(git("rev-list", "--count", "HEAD"))
        return GitFacts(head or None, branch, commits, last_change or None, tags, branches)
    except GitRefused as exc:
        unreadable.append(Unreadable(".git", f"git history not readable: {exc.reason}"))
        return None
    except (OSError, ValueError) as exc:  # a corrupt or hostile .git must never end it
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        unreadable.append(Unreadable(".git", f"git history not readable: {reason}"))
        return None


def _unborn_branch(git_dir: str | os.PathLike[str]) -> str | None:
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096).strip()
    except OSError:
        return None
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else None
