"""Atomic file writes: readers see the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    mode: int | None = None,
    keep_umask: bool = True,
) -> None:
    """Replace ``path`` with ``data`` in one rename from a temp file in the same folder.

    Text is written as UTF-8 exactly as given (no newline translation). The file gets
    ``mode`` when given (masked by the umask when ``keep_umask``); otherwise an existing
    file keeps its mode and a new one gets the usual ``0o666 & ~umask``, not the
    0600 that ``mkstemp`` would leave behind. Missing parent folders are created.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
            keep_umask = False
        except OSError:
            mode = 0o666
    if keep_umask:
        mode &= ~_umask()
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)  # `--output reports/x.json` just works
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, stat.S_IMODE(mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_output_path(
    path: str | os.PathLike[str], flag: str = "--output", what: str = "the report"
) -> Path:
    """Vet a file the user asked us to write (``-o``, ``--html``, ``--save-answers``,
    ``--db``; ``what`` it will hold, for the hint) before any work is done, so a typo
    costs an exit 2 with a hint, not a traceback after a long run. Missing parent
    folders are fine (they are created) as long as the nearest existing one is a
    writable folder. Returns the path."""
    from mlops_factory._errors import FactoryError

    target = Path(path)
    shown = f"{flag} {target}"
    if os.path.isdir(target):
        raise FactoryError(f"{shown} is a folder", f"pass a file path for {what}")
    if os.path.lexists(target):
        try:
            st = os.stat(target)
        except OSError as exc:
            raise FactoryError(f"{shown} cannot be used: {exc.strerror}", _PERM_HINT) from None
        if not stat.S_ISREG(st.st_mode):
            raise FactoryError(f"{shown} is not a regular file", "name a new or regular file")
    folder = target.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    if not os.path.isdir(folder):
        raise FactoryError(f"{shown}: {folder} is not a folder", "check the path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FactoryError(f"{shown}: no permission to write in {folder}", _PERM_HINT)
    return target


_PERM_HINT = "choose a path you may write to"


def write_output(path: str | os.PathLike[str], data: str | bytes, flag: str = "--output") -> None:
    """Write a user-named output file atomically (the one output helper behind ``-o``,
    ``--output``, ``--html`` and ``--save-answers``): any problem is a user error
    (exit 2) naming the flag and the path, never a traceback."""
    from mlops_factory._errors import FactoryError

    target = check_output_path(path, flag)
    try:
        atomic_write(target, data)
    except OSError as exc:
        raise FactoryError(
            f"{flag} {target} cannot be written: {exc.strerror or exc}", _PERM_HINT
        ) from None
