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
