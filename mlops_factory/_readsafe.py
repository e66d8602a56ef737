"""The one reader of untrusted files: bounded, never blocking, never leaving the tree.

Policy, the same for every reader (repository snapshot, project files of retro and
harvest, rubric, answers, data and catalog files through :mod:`mlops_factory._yamlsafe`):

* regular files only: a FIFO, socket or device is refused before it is read, and the
  open is non-blocking, so a path swapped for a FIFO after the check cannot hang us;
* inside a tree (``root`` given), a symbolic link is followed only to a regular file in
  the same tree (never into ``.git``), or not at all (``follow_links=False``); a
  regular file with more than one hard link is refused, since its other name may be
  anywhere (``/etc/passwd``) and nothing in the tree says where;
* at most ``cap`` bytes: a larger file is refused, not truncated.

Refusals raise :class:`Refused` with a short reason for reports.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_HARD_LINK = "hard link: the file has another name, possibly outside the tree"


class Refused(Exception):
    """A file was not read; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def inside(target: str, root: str | os.PathLike[str]) -> bool:
    """True when ``target`` (a resolved path) lies in ``root`` and not in its ``.git``."""
    rel = os.path.relpath(target, root)
    if rel == os.curdir or rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return False
    return ".git" not in rel.split(os.sep)


def read_bytes(
    path: str | os.PathLike[str],
    *,
    cap: int,
    root: str | os.PathLike[str] | None = None,
    follow_links: bool = True,
) -> bytes:
    """The bytes of the regular file ``path`` (at most ``cap``), under the module's policy.

    ``root`` is the tree ``path`` belongs to (an assessed repository, a project); without
    it the file is a user's own (``--answers``) and only the regular-file and size
    rules apply. Raises :class:`Refused`.
    """
    full = os.fspath(path)
    try:
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            if root is not None and not follow_links:
                raise Refused("symbolic link not followed")
            target = os.path.realpath(full)
            if root is not None and not inside(target, root):
                raise Refused("symlink points outside the repository")
            st = os.stat(target)
            full = target
        if not stat.S_ISREG(st.st_mode):
            raise Refused("not a regular file")
        if root is not None and st.st_nlink > 1:
            raise Refused(_HARD_LINK)
        if st.st_size > cap:
            raise Refused(f"larger than the read cap ({cap:,} bytes)")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(full, flags)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the stat
                raise Refused("not a regular file")
            # Ask for what stat promised (+1 to notice growth), not for the cap:
            # a 1 MB buffer per small file is what made reads slow.
            want = min(st.st_size, cap) + 1
            chunks: list[bytes] = []
            total = 0
            while total <= cap:
                chunk = os.read(fd, want)
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                want = max(1, min(cap + 1 - total, 1_048_576))
        finally:
            os.close(fd)
    except OSError as exc:
        raise Refused(f"cannot be read: {exc.strerror or exc}") from None
    data = b"".join(chunks)
    if len(data) > cap:
        raise Refused(f"larger than the read cap ({cap:,} bytes)")
    return data


def read_in(root: Path, rel: str, *, cap: int, follow_links: bool = True) -> bytes:
    """:func:`read_bytes` of the repo-relative POSIX path ``rel`` inside ``root``."""
    native = rel if os.sep == "/" else rel.replace("/", os.sep)
    return read_bytes(os.path.join(root, native), cap=cap, root=root, follow_links=follow_links)
