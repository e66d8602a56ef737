"""``mlops-factory explain ID``: print one criterion's full text, or list them all."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from mlops_factory._errors import FactoryError

if TYPE_CHECKING:
    from mlops_factory._assess.model import Criterion, Rubric

HELP = "Print the full text of a maturity criterion (why, how detected, how to fix)."
DESCRIPTION = (
    "Print a criterion of the maturity rubric: why it matters, how it is detected,\n"
    "which model statements it covers, and how to meet it (effort, success\n"
    "criterion, deliverable, catalog component).\n\n"
    "examples:\n"
    "  mlops-factory explain MC-202\n"
    "  mlops-factory explain --list\n"
    "  mlops-factory explain --rubric our-rubric.yaml XX-101"
)
LIST_HINT = "mlops-factory explain --list"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", nargs="?", metavar="ID", help="criterion id, e.g. MC-202")
    parser.add_argument(
        "--list", action="store_true", help="list every criterion: id, level, dimension, title"
    )
    parser.add_argument(
        "--rubric", metavar="FILE", help="use this rubric instead of the built-in one"
    )


def _load_rubric(path: str | None) -> Rubric:
    from mlops_factory._assess.rubric import load_rubric

    return load_rubric(path)


def find(rubric: Rubric, criterion_id: str) -> Criterion:
    """The criterion ``criterion_id`` (any case), or a FactoryError naming close matches."""
    by_upper = {c.id.upper(): c for c in rubric.criteria}
    wanted = criterion_id.strip().upper()
    found = rubric.get(criterion_id.strip()) or by_upper.get(wanted)
    if found is not None:
        return found
    from mlops_factory._suggest import did_you_mean

    close = did_you_mean(wanted, [c.id for c in rubric.criteria])
    message = f"no criterion {criterion_id!r} in rubric {rubric.id}"
    if close:
        message += f"; {close}"
    raise FactoryError(message, hint=f"`{LIST_HINT}` lists every criterion id")


def listing(rubric: Rubric) -> str:
    """One line per criterion: id, level, dimension, title; aligned columns."""
    from mlops_factory._assess.docs import ordered
    from mlops_factory._assess.model import DIMENSION_TITLES

    criteria = ordered(rubric.criteria)
    id_width = max((len(c.id) for c in criteria), default=0)
    dims = {c.id: DIMENSION_TITLES.get(c.dimension, c.dimension) for c in criteria}
    dim_width = max((len(d) for d in dims.values()), default=0)
    lines = [
        f"{c.id:<{id_width}}  L{c.level}  {dims[c.id]:<{dim_width}}  {' '.join(c.title.split())}"
        for c in criteria
    ]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    rubric = _load_rubric(args.rubric)
    if args.list:
        sys.stdout.write(listing(rubric))
        return 0
    if not args.id:
        raise FactoryError("give a criterion id, e.g. mlops-factory explain MC-202", hint=LIST_HINT)

    from rich.console import Console
    from rich.markdown import Markdown

    from mlops_factory._assess.docs import criterion_markdown

    criterion = find(rubric, args.id)
    statements = {s.id: s for s in rubric.statements}
    text = criterion_markdown(criterion, statements=statements)
    console = Console()
    if console.is_terminal:
        console.print(Markdown(text))
    else:
        sys.stdout.write(text)
    return 0
