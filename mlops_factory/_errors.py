"""The one error type users see, and the documented exit codes."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; documented in the README, stable across releases."""

    OK = 0
    #: A gate failed: assessed level below ``--fail-under``, a model check failed,
    #: a component is behind its catalog version.
    GATE_FAILED = 1
    #: The user asked for something we cannot do: bad path, flag, rubric, answers file.
    USER_ERROR = 2
    #: A bug in mlops-factory; a traceback and a request to report it are printed.
    INTERNAL_ERROR = 3
    #: Interrupted with Ctrl-C.
    INTERRUPTED = 130


class FactoryError(Exception):
    """A problem the user can fix. Carries a one-line message and an optional hint.

    Raised anywhere in the library; the CLI prints it without a traceback and
    exits with :attr:`exit_code` (2 unless a subclass says otherwise).
    """

    exit_code: ExitCode = ExitCode.USER_ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} (hint: {self.hint})"
