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


#: The one set of output format names; a command accepts the subset that applies to it.
FORMATS = ("terminal", "json", "markdown", "sarif", "html")
#: Names earlier releases used, still accepted: `table` (portfolio), `text` (model).
FORMAT_ALIASES = {"table": "terminal", "text": "terminal", "md": "markdown"}


def add_format(
    parser: argparse.ArgumentParser,
    names: tuple[str, ...],
    default: str | None = "terminal",
    help_suffix: str = "",
) -> None:
    """``--format NAME``: one of ``names`` (a subset of :data:`FORMATS`); old names are
    aliases, a typo gets "did you mean"."""

    def parse(text: str) -> str:
        name = text.strip().lower()
        name = FORMAT_ALIASES.get(name, name)
        if name in names:
            return name
        from mlops_factory._suggest import did_you_mean

        close = did_you_mean(text, (*names, *(a for a, n in FORMAT_ALIASES.items() if n in names)))
        raise argparse.ArgumentTypeError(
            f"unknown format {text!r} (choose from {', '.join(names)})"
            + (f"; {close}" if close else "")
        )

    parse.__name__ = "format"  # argparse names the type in its messages
    shown = (
        f"default: {default}" if default else "default: from the --output extension, else terminal"
    )
    parser.add_argument(
        "--format",
        type=parse,
        default=default,
        metavar="{" + ",".join(names) + "}",
        help=f"output format ({shown}){help_suffix}",
    )


#: Output file extension -> the format it holds (longest suffix first).
_EXTENSIONS: tuple[tuple[str, str], ...] = (
    (".sarif.json", "sarif"),
    (".sarif", "sarif"),
    (".json", "json"),
    (".md", "markdown"),
    (".markdown", "markdown"),
    (".html", "html"),
    (".htm", "html"),
    (".txt", "terminal"),
)
#: Format -> the extension to suggest for it.
_SUGGESTED_EXTENSION = {
    "sarif": ".sarif",
    "json": ".json",
    "markdown": ".md",
    "html": ".html",
    "terminal": ".txt",
}


def output_format(
    given: str | None, output: str | None, names: tuple[str, ...], default: str = "terminal"
) -> str:
    """The format to write: ``--format`` when given, else the one ``-o FILE``'s extension
    names, else ``default``. A ``--format`` that contradicts the extension (``--format
    json -o report.html``) is a user error: the file would lie about its content."""
    from mlops_factory._errors import FactoryError

    lowered = (output or "").lower()
    ext, implied = next(
        ((e, f) for e, f in _EXTENSIONS if output and lowered.endswith(e)), ("", None)
    )
    if given is None:
        return implied if implied in names else default
    # SARIF is JSON: a .sarif.json file may be asked for as either.
    if implied is None or given == implied or (ext == ".sarif.json" and given == "json"):
        return given
    renamed = output[: len(output) - len(ext)] + _SUGGESTED_EXTENSION[given] if output else ""
    rename = f"name the file for {given}: -o {renamed}"
    raise FactoryError(
        f"--format {given} does not match --output {output} (a {ext} file holds {implied})",
        f"drop --format to write {implied}, or {rename}" if implied in names else rename,
    )
