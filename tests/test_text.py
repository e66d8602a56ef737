"""The one terminal-safe text function: escapes and bidi overrides become visible."""

from __future__ import annotations

import io

from mlops_factory._text import clean, markup


def test_control_and_bidi_characters_become_visible() -> None:
    hostile = "a\x1b[2J\x1b]0;title\x07b\u202ec\u2066d\te\nf"
    assert clean(hostile) == "a\\x1b[2J\\x1b]0;title\\x07b\\u202ec\\u2066d e\\nf"
    assert clean("plain text, ünïcode ✓") == "plain text, ünïcode ✓"
    assert clean(None) == ""


def test_markup_is_literal_for_rich() -> None:
    from rich.console import Console

    console = Console(record=True, width=80, file=io.StringIO())
    console.print(markup("[bold red]x[/] \x1b[31m"))
    assert console.export_text().strip() == "[bold red]x[/] \\x1b[31m"
