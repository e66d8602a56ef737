"""Renderers: an :class:`~mlops_factory._assess.model.Assessment` as a terminal
report, JSON, Markdown, SARIF 2.1.0 or one self-contained HTML file.

Each format lives in its own module and is imported only when asked for, so
that writing JSON never pulls in rich.
"""

from __future__ import annotations

import importlib
import json
from typing import TYPE_CHECKING

from mlops_factory._errors import FactoryError

if TYPE_CHECKING:
    from rich.console import Console

    from mlops_factory._assess.model import Assessment, Rubric

__all__ = ["FORMATS", "print_terminal", "render"]

#: Every output format, in the order ``--format`` lists them.
FORMATS: tuple[str, ...] = ("terminal", "json", "markdown", "sarif", "html")

_MODULES: dict[str, str] = {
    "terminal": "terminal",
    "markdown": "markdown",
    "sarif": "sarif",
    "html": "html",
}


def render(assessment: Assessment, fmt: str, *, rubric: Rubric | None = None) -> str:
    """Render ``assessment`` in format ``fmt`` (one of :data:`FORMATS`).

    The text ends with one newline. ``rubric``, when given, lets SARIF list a rule
    for every criterion of the rubric, not only those with a finding, and names
    the rubric in the Markdown and HTML reports. ``terminal`` gives the terminal
    report as plain text (no colour), 100 columns wide.
    """
    if fmt == "json":
        return json.dumps(assessment.to_dict(), indent=2) + "\n"
    module_name = _MODULES.get(fmt)
    if module_name is None:
        raise FactoryError(
            f"unknown output format {fmt!r}",
            hint=f"use one of: {', '.join(FORMATS)}",
        )
    module = importlib.import_module(f"{__name__}.{module_name}")
    text: str = module.render(assessment, rubric=rubric)
    return text


def print_terminal(assessment: Assessment, console: Console) -> None:
    """Print the rich terminal report (summary grid, findings, plan) to ``console``."""
    from mlops_factory._assess.render import terminal

    terminal.print_terminal(assessment, console)
