"""The files of a project, read safely (the project is untrusted input).

In a git checkout the files are what git tracks plus untracked files that are not
ignored (so build output and data the team ignores never show up as "added");
elsewhere the same walk as the assessment's snapshot, skipping tool caches and
virtual environments. Only regular files inside the project are read, never
through a symbolic link, and each read is capped.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mlops_factory._git import GitRefused, find_git_dir
from mlops_factory._git import run_git as _run_git
from mlops_factory._readsafe import Refused, read_in

#: Files larger than this are compared by size and a streamed hash, never read whole.
MAX_READ_BYTES = 4 * 1_048_576
#: The folder of the answers files: what the engine records, not the team's work.
ANSWERS_DIR = ".mlops-factory"


def run_git(root: Path, *args: str) -> str | None:
    """Run a read-only git command through the one safe git runner (nothing from the
    repository's config runs, bounded in time and output); None on any failure."""
    try:
        folder = find_git_dir(root)
        if folder is None:
            return None
        done = _run_git(root, *args, git_dir=folder)
    except GitRefused:
        return None
    return done.text if done.ok else None


def project_files(root: Path) -> list[str]:
    """Repo-relative posix paths of the project's regular files (sorted), without
    ``.git`` and the answers folder; git's view (tracked + untracked not ignored) when
    the project is a git checkout."""
    listed = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is not None:
        paths = {p for p in listed.split("\0") if p}
        out = [p for p in paths if _is_regular(root / p) and not _skipped(p)]
        return sorted(out)
    from mlops_factory._assess.snapshot import RepoSnapshot

    snapshot = RepoSnapshot.open(root, with_git=False)
    return sorted(e.path for e in snapshot.files if not _skipped(e.path))


def _skipped(rel: str) -> bool:
    return rel.startswith(f"{ANSWERS_DIR}/") or rel == ".git" or rel.startswith(".git/")


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def inside(root: Path, rel: str) -> bool:
    """Whether ``rel`` names a path inside ``root`` without passing through a link."""
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or ".." in parts:
        return False
    here = root
    for part in parts[:-1]:
        here = here / part
        if here.is_symlink() or not here.is_dir():
            return False
    return True


def read_bytes(root: Path, rel: str, cap: int = MAX_READ_BYTES) -> bytes | None:
    """The bytes of a regular file inside ``root`` (no link followed, no hard-linked
    file), or None when it is missing, not a regular file, a link, bigger than ``cap``
    or unreadable (the one untrusted-file reader, :mod:`mlops_factory._readsafe`)."""
    if not inside(root, rel):
        return None
    try:
        return read_in(root, rel, cap=cap, follow_links=False)
    except Refused:
        return None


def is_executable(root: Path, rel: str) -> bool:
    """Whether a regular file has an executable bit."""
    try:
        st = os.lstat(root / rel)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and bool(st.st_mode & 0o111)


def decode(data: bytes) -> str | None:
    """``data`` as UTF-8 text, or None when it is binary or another encoding (such files
    are copied as they are, never templated)."""
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
