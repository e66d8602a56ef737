"""The command line: parse flags, call the library, render. Nothing else lives here.

Each subcommand is one module in this package exposing ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Modules import heavy
libraries inside ``run`` so that ``mlops-factory --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from mlops_factory._errors import ExitCode, FactoryError
from mlops_factory._version import __version__

#: Subcommand name -> module (relative to this package). Order is the --help order.
COMMANDS: dict[str, str] = {
    # Assess where a repo stands.
    "assess": "assess",
    "explain": "explain",
    # Start projects from the catalog.
    "new": "new",
    "templates": "templates",
    # Close gaps and keep projects current.
    "fix": "fix",
    "add": "add",
    "update": "update",
    "check-update": "check_update",
    # Feed the factory and follow the fleet.
    "retro": "retro",
    "harvest": "harvest",
    "portfolio": "portfolio",
    # Check packaged models.
    "model": "model",
}

ISSUES_URL = "https://github.com/mlops-factory/mlops-factory/issues"


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{COMMANDS[name]}")


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's error shape: ``error:`` and ``hint:`` lines, and "did you
    mean" for a mistyped subcommand, choice or flag."""

    def error(self, message: str) -> NoReturn:
        from mlops_factory._suggest import did_you_mean

        help_command = f"`{self.prog} --help`"
        hint = f"{help_command} lists the commands and flags"
        choice = _INVALID_CHOICE.search(message)
        if choice:
            options = re.findall(r"'([^']*)'", choice.group(2))
            close = did_you_mean(choice.group(1), options)
            if close:
                hint = f"{close} ({help_command} lists them)"
        self.print_usage(sys.stderr)
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        print(f"hint: {hint}", file=sys.stderr)
        self.exit(int(ExitCode.USER_ERROR))

    def unknown_flags(self, extra: Sequence[str]) -> NoReturn:
        """Exit 2 on arguments no flag took, suggesting the closest flags."""
        from mlops_factory._suggest import did_you_mean

        flags = [s for s in self._option_string_actions if s.startswith("--")]
        close = [
            hint
            for arg in extra
            if arg.startswith("-")
            and (hint := did_you_mean(arg.split("=", 1)[0], flags)) is not None
        ]
        help_command = f"`{self.prog} --help`"
        self.print_usage(sys.stderr)
        print(f"error: {self.prog}: unrecognized arguments: {' '.join(extra)}", file=sys.stderr)
        if close:
            print(f"hint: {'; '.join(close)} ({help_command} lists the flags)", file=sys.stderr)
        else:
            print(f"hint: {help_command} lists the flags", file=sys.stderr)
        self.exit(int(ExitCode.USER_ERROR))


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, every subcommand wired."""
    parser = _Parser(
        prog="mlops-factory",
        description=(
            "An AI factory for ML teams: scaffold standard projects, assess MLOps "
            "maturity (levels 0-4), and close the gaps with catalog components."
        ),
        epilog=(
            "Exit codes: 0 success, 1 gate failed (e.g. level below --fail-under), "
            "2 user error, 3 internal error, 130 interrupted."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _load(name)
        command = sub.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _innermost(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.ArgumentParser:
    """The (sub)subcommand parser the words of ``argv`` select, e.g. ``model check``'s."""
    for word in argv:
        child = _subparsers(parser).get(word)
        if child is not None:
            parser = child
    return parser


def _print_user_error(exc: FactoryError, prog: str) -> None:
    """``error:`` then ``hint:``; an error raised without a hint points at the command's
    help, so every user error says where to look next."""
    from mlops_factory._text import clean

    # Messages quote file names and contents: nothing in them may drive the terminal.
    def safe(text: str) -> str:
        return "\n".join(clean(line) for line in text.splitlines())

    print(f"error: {safe(exc.message)}", file=sys.stderr)
    hint = exc.hint or f"`{prog} --help` describes the command's arguments"
    print(f"hint: {safe(hint)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the process exit code."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args, extra = parser.parse_known_args(words)
        if extra:
            # The subcommand's parser knows its flags: it suggests the closest ones.
            command = _innermost(parser, words)
            if isinstance(command, _Parser):
                command.unknown_flags(extra)
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse exits 2 on bad flags, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        print(
            "\nerror: name a command\nhint: `mlops-factory assess .` assesses the repository here",
            file=sys.stderr,
        )
        return int(ExitCode.USER_ERROR)
    from mlops_factory._interrupt import terminate_as_interrupt

    try:
        # SIGTERM (a cancelled CI job) unwinds like Ctrl-C: every command's cleanup runs.
        with terminate_as_interrupt():
            return int(args._module.run(args))
    except FactoryError as exc:
        _print_user_error(exc, _innermost(parser, words).prog)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception:
        traceback.print_exc()
        print(
            f"\nThis is a bug in mlops-factory {__version__}, not something you did. "
            f"Please report it at {ISSUES_URL} with the traceback above and the command you ran.",
            file=sys.stderr,
        )
        return int(ExitCode.INTERNAL_ERROR)
