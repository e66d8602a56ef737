"""Flags several subcommands share, defined once so their meaning cannot drift apart."""

from __future__ import annotations

import argparse
import re
from typing import Any

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


_CATALOG_HELP = (
    "the template catalog: a folder, a git URL or gh:org/repo (default: "
    "$MLOPS_FACTORY_CATALOG, else `catalog` in ~/.config/mlops-factory/config.yaml, "
    "else the built-in one)"
)


def add_catalog(parser: argparse.ArgumentParser, *, vcs_ref: bool = False) -> None:
    """``--catalog CATALOG`` (a folder, a git URL, ``gh:org/repo``) and, with ``vcs_ref``,
    ``--vcs-ref REF`` (read them back with :func:`catalog`)."""
    parser.add_argument("--catalog", metavar="CATALOG", help=_CATALOG_HELP)
    if vcs_ref:
        parser.add_argument(
            "--vcs-ref",
            metavar="REF",
            help="the branch, tag or commit of a git catalog (default: its default branch)",
        )


def catalog(args: argparse.Namespace) -> Any:
    """The catalog ``--catalog``/``--vcs-ref`` name: the ``--catalog`` text as given (the
    library loads it), or the loaded catalog when a reference is asked for."""
    ref = getattr(args, "vcs_ref", None)
    if not ref:
        return args.catalog
    from mlops_factory._scaffold._catalog import load_catalog

    return load_catalog(args.catalog, vcs_ref=ref)


def catalog_args(args: argparse.Namespace) -> str:
    """``--catalog``/``--vcs-ref`` as given, ready to append to a suggested command."""
    import shlex

    out = f" --catalog {shlex.quote(args.catalog)}" if args.catalog else ""
    if getattr(args, "vcs_ref", None):
        out += f" --vcs-ref {shlex.quote(args.vcs_ref)}"
    return out


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
