"""Flags several subcommands share, defined once so their meaning cannot drift apart."""

from __future__ import annotations

import argparse


def level(text: str) -> int:
    """An argparse type for a maturity level 0-4."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a level (0-4)") from None
    if not 0 <= value <= 4:
        raise argparse.ArgumentTypeError(f"level must be 0-4 (got {value})")
    return value


def add_catalog(parser: argparse.ArgumentParser) -> None:
    """``--catalog DIR``: a template catalog other than the built-in one."""
    parser.add_argument(
        "--catalog", metavar="DIR", help="a template catalog folder (default: built-in)"
    )


def add_trust(parser: argparse.ArgumentParser) -> None:
    """``--trust``: let templates from outside the built-in catalog run code."""
    parser.add_argument(
        "--trust",
        action="store_true",
        help="let templates of a non-built-in catalog run tasks and migrations",
    )
