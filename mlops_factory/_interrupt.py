"""SIGTERM handled like Ctrl-C while a command holds something to clean up.

CI cancellation and ``timeout`` send SIGTERM, whose default action ends the process
on the spot: no ``finally`` runs, so a staging folder, copier's temporary clones or a
worker pool would be left behind. Inside :func:`terminate_as_interrupt` SIGTERM raises
:class:`Terminated` (a ``KeyboardInterrupt``) instead, so the cleanup that already
runs for Ctrl-C runs for it too and the CLI exits with 130.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class Terminated(KeyboardInterrupt):
    """The process got SIGTERM; raised where it was, like Ctrl-C."""


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` for the block (main thread only: signal
    handlers cannot be set elsewhere, and there the default stays)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(_signum: int, _frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
