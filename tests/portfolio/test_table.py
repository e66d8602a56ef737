"""The rich table: levels, change and trend per repo, what was not scored."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from mlops_factory._portfolio import PortfolioResult
from mlops_factory._portfolio.table import print_table, sparkline
from tests.portfolio.conftest import FLEET


def text_of(result: PortfolioResult, width: int = 140) -> str:
    console = Console(record=True, width=width, file=io.StringIO())
    print_table(result, console)
    return console.export_text()


def row(text: str, name: str) -> list[str]:
    (line,) = [ln for ln in text.splitlines() if ln.strip().startswith(name + " ")]
    return line.split()


def test_each_scored_repo_has_a_row_with_levels_change_and_trend(
    two_runs: tuple[PortfolioResult, Path],
) -> None:
    text = text_of(two_runs[0])
    # name, people, creation, release, integration, overall, change..., trend
    assert row(text, "team01-l1") == [
        *("team01-l1", "—"),
        *("2", "▲", "2", "▲", "2", "▲"),
        *("2", "▲", "+1", "▂▄"),
    ]
    # Dropping experiment tracking takes level 2 away; the dimensions follow the overall
    # level where they have no defining criterion of their own ("as level 1").
    assert row(text, "team02-l2") == [
        *("team02-l2", "—"),
        *("1", "▼", "1", "▼", "1", "▼"),
        *("1", "▼", "-1", "▄▂"),
    ]
    assert row(text, "team04-l4") == ["team04-l4", "—", "4", "4", "4", "4", "=", "0", "██"]
    # Notebooks only: application integration is not applicable.
    assert row(text, "team00-l0") == ["team00-l0", "—", "0", "0", "—", "0", "=", "0", "▁▁"]
    assert all(f" {name} " in text for name in FLEET)
    assert "levels: 0×3 · 1×4 · 2×2 · 3×2 · 4×2" in text
    assert "15 repos: 13 scored, 2 not scored" in text


def test_repos_not_scored_are_listed_with_the_reason(
    two_runs: tuple[PortfolioResult, Path],
) -> None:
    result, db = two_runs
    text = text_of(result, width=400)
    assert "Not scored" in text
    assert "schema_version '9.0' is not supported" in text
    assert "missing does not exist" in text
    assert f"run #2 stored in {db}" in text


def test_repo_text_cannot_style_or_drive_the_terminal(
    two_runs: tuple[PortfolioResult, Path],
) -> None:
    result = two_runs[0]
    evil = replace(result.scored[0], name="[bold red]pwned[/]\x1b[2J")
    text = text_of(replace(result, repos=(evil,)))
    assert "[bold red]pwned[/]\\x1b[2J" in text


def test_without_history_there_is_no_change_column(two_runs: tuple[PortfolioResult, Path]) -> None:
    result = replace(two_runs[0], run_id=None)
    text = text_of(result)
    assert "Change" not in text and "Trend" not in text
    assert "no history kept" in text


def test_sparkline_maps_levels_to_bars(two_runs: tuple[PortfolioResult, Path]) -> None:
    grown = next(r for r in two_runs[0].repos if r.name == "team01-l1")
    assert sparkline(grown) == "▂▄"
