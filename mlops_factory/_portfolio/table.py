"""The portfolio as a rich table: repo x dimension levels, overall, change, trend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlops_factory._assess.model import DIMENSIONS
from mlops_factory._portfolio.model import PortfolioRepo, PortfolioResult
from mlops_factory._text import clean

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

SHORT_TITLES = {
    "people": "People",
    "model_creation": "Model\ncreation",
    "model_release": "Model\nrelease",
    "application_integration": "App\nintegration",
}
LEVEL_STYLES = {0: "red", 1: "yellow", 2: "bright_yellow", 3: "green", 4: "bold green"}
#: Sparkline glyph per level 0-4.
SPARK = "▁▂▄▆█"
SPARK_POINTS = 12
NOT_ASSESSED = "—"


def arrow(delta: int | None) -> str:
    """▲ for up, ▼ for down, nothing otherwise."""
    if not delta:
        return ""
    return "▲" if delta > 0 else "▼"


def change_text(repo: PortfolioRepo) -> str:
    """ "▲ +1", "▼ -2", "= 0", "new", or why there is nothing to compare."""
    if not repo.scored:
        return ""
    if repo.previous is None:
        return "new"
    if not repo.comparable:
        return "other rubric"
    delta = repo.change or 0
    if delta == 0:
        return "= 0"
    return f"{arrow(delta)} {delta:+d}"


def sparkline(repo: PortfolioRepo) -> str:
    return "".join(SPARK[p.level] for p in repo.trend[-SPARK_POINTS:])


def distribution_line(result: PortfolioResult) -> str:
    """ "levels: 0×2 · 1×3 · 2×4 · 3×1 · 4×2"."""
    return "levels: " + " · ".join(f"{lv}×{n}" for lv, n in enumerate(result.distribution()))


def summary_line(result: PortfolioResult) -> str:
    """ "12 repos: 11 scored, 1 not scored in 3.2 s; run #4 stored in /x/mlops-portfolio.db"."""
    n = len(result.repos)
    text = (
        f"{n} repo{'' if n == 1 else 's'}: {len(result.scored)} scored, "
        f"{len(result.failed)} not scored in {result.duration_s:.1f} s"
    )
    if result.run_id is not None:
        text += f"; run #{result.run_id} stored in {clean(result.db)}"
    else:
        text += "; no history kept"
    return text


def _level_cell(level: int | None, delta: int | None) -> Text:
    from rich.text import Text

    if level is None:
        return Text(NOT_ASSESSED, style="magenta")
    text = Text(str(level), style=LEVEL_STYLES[level])
    if delta:
        text.append(" " + arrow(delta), style="green" if delta > 0 else "red")
    return text


def print_table(result: PortfolioResult, console: Console) -> None:
    """Print the portfolio table, the repos that could not be scored, and a summary."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    history = result.run_id is not None
    table = Table(
        title=f"MLOps maturity portfolio (rubric {clean(result.rubric_id)} "
        f"{clean(result.rubric_version)})",
        box=box.SIMPLE_HEAVY,
        title_justify="left",
        pad_edge=False,
        collapse_padding=True,
    )
    longest = max((len(clean(r.name)) for r in result.scored), default=4)
    table.add_column("Repo", overflow="fold", min_width=min(longest, 28))
    for d in DIMENSIONS:
        table.add_column(
            SHORT_TITLES[d], justify="center", min_width=len(max(SHORT_TITLES[d].split(), key=len))
        )
    table.add_column("Overall", justify="center")
    if history:
        table.add_column("Change", justify="right")
        table.add_column("Trend")
    for repo in result.scored:
        cells: list[Text] = [Text(clean(repo.name))]
        cells += [
            _level_cell(repo.dimension_level(d), repo.dimension_change(d)) for d in DIMENSIONS
        ]
        overall = _level_cell(repo.level, None)
        overall.stylize("bold")
        cells.append(overall)
        if history:
            delta = repo.change
            style = "dim" if not delta else ("green" if delta > 0 else "red")
            cells.append(Text(change_text(repo), style=style))
            cells.append(Text(sparkline(repo), style="cyan"))
        table.add_row(*cells)
    if result.scored:
        console.print(table)
        console.print(
            Text(f"{distribution_line(result)}   {NOT_ASSESSED} not assessed", style="dim")
        )
    if result.failed:
        failed = Table(title="Not scored", box=box.SIMPLE_HEAVY, title_justify="left")
        failed.add_column("Input", overflow="fold")
        failed.add_column("Problem", overflow="fold")
        for repo in result.failed:
            problem = Text(clean(repo.error), style="red")
            if repo.hint:
                problem.append("\nhint: " + clean(repo.hint), style="dim")
            failed.add_row(Text(clean(repo.input)), problem)
        console.print(failed)
    console.print(Text(summary_line(result), style="dim"))
