"""Flags several subcommands share, defined once so their meaning cannot drift apart."""

from __future__ import annotations

import argparse
import re

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)


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


def size(text: str) -> int:
    """An argparse type for a size: ``1000``, ``500MB``, ``1.5GiB``, ``2G`` (binary
    multiples) -> bytes."""
    m = _SIZE.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 500MB, 2GiB)")
    number, unit = float(m.group(1)), m.group(2).lower()
    value = int(number * 1024 ** " kmgt".index(unit or " "))
    if value < 1:
        raise argparse.ArgumentTypeError(f"size must be at least 1 byte: {text!r}")
    return value


def size_or_none(text: str) -> int | None:
    """:func:`size`, or None for ``none`` (no limit)."""
    return None if text.strip().lower() in ("none", "0") else size(text)


def seconds_or_none(text: str) -> float | None:
    """An argparse type for a positive number of seconds, or None for ``none``."""
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return value
