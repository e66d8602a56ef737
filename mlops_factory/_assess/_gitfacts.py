"""Git facts through GitPython, with a configuration that runs nothing from the repo."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlops_factory._assess.model import Unreadable

#: ``-c`` overrides given to every git call. Command-line config beats the repo's
#: own ``.git/config``, so a hostile repo cannot switch these back on.
SAFE_CONFIG: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.sshCommand=false",
    "diff.external=",
    "protocol.allow=never",
    "safe.directory=*",
)
SAFE_ENV: dict[str, str] = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_PAGER": "cat",
    "GIT_ASKPASS": "true",
    "GIT_EXTERNAL_DIFF": "",
    "LC_ALL": "C",
}


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
    import git

    try:
        repo = git.Repo(root, search_parent_directories=False)
        cmd = repo.git
        cmd.set_persistent_git_options(c=list(SAFE_CONFIG), no_optional_locks=True)
        cmd.update_environment(**SAFE_ENV)
        refs = cmd.for_each_ref("--format=%(refname)", "refs/heads", "refs/tags").splitlines()
        tags = tuple(r.removeprefix("refs/tags/") for r in refs if r.startswith("refs/tags/"))
        branches = tuple(r.removeprefix("refs/heads/") for r in refs if r.startswith("refs/heads/"))
        try:
            head = cmd.rev_parse("--verify", "-q", "HEAD")
        except git.GitCommandError:
            return GitFacts(None, None, 0, None, tags, branches)
        branch = cmd.rev_parse("--abbrev-ref", "HEAD")
        commits = int(cmd.rev_list("--count", "HEAD"))
        last_change = cmd.log("-1", "--format=%cI", "HEAD") or None
        return GitFacts(head, branch, commits, last_change, tags, branches)
    except (git.GitError, OSError, ValueError) as exc:
        unreadable.append(Unreadable(".git", f"git history not readable: {exc}".splitlines()[0]))
        return None
