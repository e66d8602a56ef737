"""Git facts through GitPython, with a configuration that runs nothing from the repo.

The assessed repo's ``.git/config`` is untrusted: it can name an fsmonitor
program, a hooks folder, clean/smudge filters, textconv and external diff
commands, a gpg program and a pager, any of which git would run. Command-line
``-c`` settings beat the repo's own config, so every git call here carries
:data:`SAFE_CONFIG` plus :func:`driver_overrides` for the drivers the repo
declares, and runs in :data:`SAFE_ENV`. On top of that, only commands that
never filter, diff or verify anything are used (``for-each-ref``, ``log`` with
a fixed format, ``rev-list --count``).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from mlops_factory._assess.model import Unreadable

#: Seconds after which a git call is killed (a hostile repo can make git wait forever).
GIT_TIMEOUT_S = 30.0
#: ``-c`` overrides given to every git call.
SAFE_CONFIG: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.sshCommand=false",
    "core.askPass=false",
    "diff.external=",
    "log.showSignature=false",
    "gpg.program=false",
    "gpg.openpgp.program=false",
    "gpg.x509.program=false",
    "gpg.ssh.program=false",
    "color.ui=never",
    "submodule.recurse=false",
    "protocol.allow=never",
    "credential.helper=",
    "safe.directory=*",
)
#: Environment for every git call: no system or user config, no prompts, no
#: pager, no optional index writes, no config smuggled in through the environment.
SAFE_ENV: dict[str, str] = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_COUNT": "0",
    "GIT_CONFIG_PARAMETERS": "",
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_ASKPASS": "false",
    "SSH_ASKPASS": "false",
    "GIT_EXTERNAL_DIFF": "",
    "LC_ALL": "C",
}

#: Section headers that declare a driver git may run: ``[filter "x"]``, ``[diff "x"]``.
_DRIVER = re.compile(r'^\s*\[\s*(filter|diff|merge)\s+"((?:[^"\\\n]|\\.)*)"\s*\]', re.M | re.I)
_NEUTRAL: dict[str, tuple[str, ...]] = {
    "filter": ("clean=", "smudge=", "process=", "required=false"),
    "diff": ("textconv=", "command=", "cachetextconv=false"),
    "merge": ("driver=",),
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


def driver_overrides(git_dir: str | os.PathLike[str]) -> tuple[str, ...]:
    """``-c`` settings that blank every filter/diff/merge driver the repo config declares.

    Belt and braces: the commands we run never apply drivers, but a future
    ``git status`` or ``git diff`` with these overrides would not run them either.
    """
    out: list[str] = []
    for name in ("config", "config.worktree"):
        path = os.path.join(git_dir, name)
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                continue
            with open(path, "rb") as fh:
                text = fh.read(1_048_576).decode("utf-8", errors="replace")
        except OSError:
            continue
        for kind, driver in _DRIVER.findall(text):
            driver = driver.replace('\\"', '"').replace("\\\\", "\\")
            out.extend(f"{kind.lower()}.{driver}.{key}" for key in _NEUTRAL[kind.lower()])
    return tuple(dict.fromkeys(out))


def safe_git_args(git_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Arguments to put right after ``git`` so that it runs nothing from the repo."""
    settings = (*SAFE_CONFIG, *(driver_overrides(git_dir) if git_dir else ()))
    return [arg for setting in settings for arg in ("-c", setting)]


def read_git_facts(root: Path, unreadable: list[Unreadable]) -> GitFacts | None:
    """Read history facts; on any git problem, record it and return None."""
    refusal = _special_git_files(root)
    if refusal:
        unreadable.append(Unreadable(".git", f"git history not readable: {refusal}"))
        return None
    import git

    try:
        repo = git.Repo(root, search_parent_directories=False)
        cmd = repo.git
        settings = [*SAFE_CONFIG, *driver_overrides(repo.git_dir)]
        cmd.set_persistent_git_options(c=settings, no_optional_locks=True)
        # An inherited GIT_DIR/GIT_WORK_TREE (e.g. when run from a git hook) would
        # point git at another repository.
        cmd.update_environment(**SAFE_ENV, GIT_DIR=str(repo.git_dir), GIT_WORK_TREE=str(root))
        limit = {"kill_after_timeout": GIT_TIMEOUT_S}
        refs = cmd.for_each_ref(
            "--format=%(refname)", "refs/heads", "refs/tags", **limit
        ).splitlines()
        tags = tuple(r.removeprefix("refs/tags/") for r in refs if r.startswith("refs/tags/"))
        branches = tuple(r.removeprefix("refs/heads/") for r in refs if r.startswith("refs/heads/"))
        try:
            line = cmd.log("-1", "--no-show-signature", "--format=%H%x00%cI%x00%D", "HEAD", **limit)
        except git.GitCommandError:  # an empty repo: HEAD names an unborn branch
            return GitFacts(None, _unborn_branch(repo.git_dir), 0, None, tags, branches)
        head, last_change, decoration = [*line.split("\x00"), "", "", ""][:3]
        match = re.search(r"HEAD -> ([^,]+)", decoration)
        branch = match.group(1).strip() if match else None
        commits = int(cmd.rev_list("--count", "HEAD", **limit))
        return GitFacts(head or None, branch, commits, last_change or None, tags, branches)
    except Exception as exc:  # a corrupt or hostile .git must never end the assessment
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        unreadable.append(Unreadable(".git", f"git history not readable: {reason}"))
        return None


def _special_git_files(root: Path) -> str | None:
    """Why git must not be run here: a FIFO or device where git (or GitPython) would
    read a file would block the assessment forever. None when all is regular."""
    dot = root / ".git"
    try:
        st = os.stat(dot)
        if stat.S_ISDIR(st.st_mode):
            git_dir = dot
        elif stat.S_ISREG(st.st_mode):
            with open(dot, "rb") as fh:
                pointer = fh.read(4096).decode("utf-8", errors="replace").strip()
            if not pointer.startswith("gitdir:"):
                return ".git is a file without a gitdir: line"
            git_dir = (root / pointer.removeprefix("gitdir:").strip()).resolve()
        else:
            return ".git is not a folder or a file"
        for name in ("HEAD", "config", "config.worktree", "commondir", "packed-refs"):
            path = git_dir / name
            if os.path.lexists(path) and not stat.S_ISREG(os.stat(path).st_mode):
                return f"{name} in the git folder is not a regular file"
    except OSError as exc:
        return f"cannot inspect the git folder: {exc.strerror or exc}"
    return None


def _unborn_branch(git_dir: str | os.PathLike[str]) -> str | None:
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096).strip()
    except OSError:
        return None
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else None
