"""What the git history says since a project was generated.

The generation commit is the first commit that added an answers file
(``.mlops-factory/*.yml``): ``mlops-factory new`` commits them with every generated
file. Only commands that never run filters, diff drivers or hooks are used
(``log`` with fixed formats and ``--name-only``, ``rev-list --count``), with the
assessment's safe git configuration (:mod:`mlops_factory._assess._gitfacts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_factory._factory._files import ANSWERS_DIR, run_git

#: Commits listed in the report (the count covers all of them).
MAX_COMMITS_LISTED = 15


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit since generation."""

    sha: str
    date: str
    author: str
    subject: str

    def to_dict(self) -> dict[str, Any]:
        return {"sha": self.sha, "date": self.date, "author": self.author, "subject": self.subject}


@dataclass(frozen=True, slots=True)
class History:
    """The history of a project since the commit that generated it."""

    #: The generation commit (full id), None when it cannot be found.
    generation_commit: str | None
    generation_date: str | None
    #: Commits after the generation commit up to HEAD.
    commits_since: int
    #: Distinct authors of those commits.
    authors: int
    #: Files touched by those commits (paths as git reports them, sorted).
    files_touched: tuple[str, ...]
    #: The latest commits since generation, newest first (at most MAX_COMMITS_LISTED).
    recent: tuple[Commit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "generation_commit": self.generation_commit,
            "generation_date": self.generation_date,
            "commits_since": self.commits_since,
            "authors": self.authors,
            "files_touched": list(self.files_touched),
            "recent": [c.to_dict() for c in self.recent],
        }


def read_history(root: Path) -> History | None:
    """The history since generation, or None when the project is not a readable git
    checkout or has no commit that added an answers file."""
    added = run_git(
        root,
        "log",
        "--no-show-signature",
        "--no-renames",
        "--diff-filter=A",
        "--format=%H%x00%cI",
        "--reverse",
        "HEAD",
        "--",
        f"{ANSWERS_DIR}/",
    )
    if not added:
        return None
    first = next((line for line in added.splitlines() if "\0" in line), None)
    if first is None:
        return None
    sha, date = first.split("\0", 1)
    span = f"{sha}..HEAD"
    count = run_git(root, "rev-list", "--count", span)
    log = run_git(root, "log", "--no-show-signature", "--format=%h%x00%cI%x00%an%x00%s", span)
    names = run_git(
        root, "log", "--no-show-signature", "--no-renames", "--format=", "--name-only", span
    )
    commits = []
    for line in (log or "").splitlines():
        parts = line.split("\0")
        if len(parts) == 4:
            commits.append(Commit(*parts))
    touched = sorted({n for n in (names or "").splitlines() if n.strip()})
    return History(
        generation_commit=sha,
        generation_date=date.strip() or None,
        commits_since=int(count.strip()) if count and count.strip().isdigit() else len(commits),
        authors=len({c.author for c in commits}),
        files_touched=tuple(touched),
        recent=tuple(commits[:MAX_COMMITS_LISTED]),
    )
