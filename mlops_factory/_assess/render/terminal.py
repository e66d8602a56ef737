"""The terminal report (rich): summary grid, findings with evidence, the plan.

Everything from the assessed repo goes through :class:`rich.text.Text` after
:func:`~._common.clean`, never through console markup, so a snippet such as
``[red]`` or an escape sequence prints as the characters it is.
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from mlops_factory._assess.model import Assessment, Finding, Outcome, PlanStep, Rubric
from mlops_factory._assess.render import _common as c

#: Evidence items shown per finding; the JSON output has them all.
MAX_EVIDENCE = 3

OUTCOME_STYLES: dict[Outcome, str] = {
    Outcome.MET: "green",
    Outcome.UNMET: "red",
    Outcome.NOT_APPLICABLE: "dim",
    Outcome.NOT_ASSESSED: "magenta",
    Outcome.ERROR: "bold yellow",
    Outcome.WAIVED: "cyan",
}
CELL_STYLES: dict[c.CellState, str] = {
    "met": "bold green",
    "partial": "yellow",
    "unmet": "red",
    "not_assessed": "magenta",
    "not_applicable": "dim",
    "empty": "dim",
}


def summary_table(assessment: Assessment) -> Table:
    """Rows: the dimensions; columns: their level, then met/total per level 1-4."""
    table = Table(title="Dimension × level", title_justify="left", show_lines=False)
    table.add_column("Dimension")
    table.add_column("Level", justify="center")
    for level in c.LEVELS:
        table.add_column(f"L{level}", justify="center")
    cells = c.grid(assessment)
    for did, row in cells.items():
        d = c.dimension_result(assessment, did)
        level_text = Text(c.dimension_level(d), style="bold" if d.assessed else "magenta")
        table.add_row(
            Text(c.dimension_title(did)),
            level_text,
            *(Text(row[lv].text, style=CELL_STYLES[row[lv].state]) for lv in c.LEVELS),
        )
    return table


def overall_line(assessment: Assessment) -> Text:
    line = Text(c.overall(assessment), style="bold")
    if not assessment.people_assessed:
        line.append("    ")
        line.append(c.PEOPLE_NOTE, style="magenta")
    return line


def _finding(f: Finding) -> RenderableType:
    crit = f.criterion
    head = Text("  ")
    head.append(c.OUTCOME_SYMBOLS[f.outcome], style=OUTCOME_STYLES[f.outcome])
    head.append(f" {crit.id}", style="bold")
    head.append(f"  {crit.title}  ")
    head.append(c.outcome_label(f), style=OUTCOME_STYLES[f.outcome])
    head.append(f"  {c.role_label(f)}", style="bold" if crit.defining else "dim")
    lines: list[RenderableType] = [head]
    question = c.question_of(f)
    if question:
        lines.append(Text(f"      question: {question}", style="magenta"))
    if f.message:
        style = "yellow" if f.outcome is Outcome.ERROR else "dim"
        lines.append(Text(f"      {c.clean(f.message)}", style=style))
    for ev in f.evidence[:MAX_EVIDENCE]:
        parts: list[tuple[str, str]] = []
        loc = c.location(ev)
        if loc:
            parts.append((loc, "cyan"))
        if ev.snippet:
            parts.append((c.clean(ev.snippet), ""))
        if ev.note:
            parts.append((f"({c.clean(ev.note)})" if parts else c.clean(ev.note), "dim"))
        if ev.weak:
            parts.append(("(weak)", "yellow"))
        line = Text("      ")
        for i, (text, style) in enumerate(parts):
            line.append(("  " if i else "") + text, style=style)
        lines.append(line)
    hidden = len(f.evidence) - MAX_EVIDENCE
    if hidden > 0:
        lines.append(Text(f"      … {hidden} more (see --format json)", style="dim"))
    return Group(*lines)


def findings(assessment: Assessment) -> list[RenderableType]:
    out: list[RenderableType] = []
    for did, levels in c.grouped(assessment.findings):
        out.append(Text(c.dimension_title(did), style="bold underline"))
        for level, items in levels:
            out.append(Text(f" {c.level_title(level)}", style="bold"))
            out.extend(_finding(f) for f in items)
    return out


def next_levels(assessment: Assessment) -> list[RenderableType]:
    """Per dimension: its level, and what is missing for the next one."""
    out: list[RenderableType] = []
    for n in c.why_not_next(assessment):
        head = Text(f"  {n.dimension}: ", style="bold")
        head.append(n.level, style="bold")
        if n.next_level is not None:
            head.append(f" → {n.next_level} needs:", style="bold")
        out.append(head)
        out.extend(Text(f"      {line}") for line in n.lines)
    return out


def _step(step: PlanStep) -> RenderableType:
    head = Text(f"{step.order:>2}. ", style="bold")
    head.append(step.title, style="bold")
    head.append(
        f"  [L{step.level} · {c.dimension_title(step.dimension)} · effort {c.effort(step.effort)}]",
        style="dim",
    )
    lines: list[RenderableType] = [head]

    def field(name: str, values: tuple[str, ...], sep: str = "; ") -> None:
        if values:
            lines.append(Text(f"    {name}: " + sep.join(values)))

    field("closes", step.criteria, ", ")
    if step.command:
        lines.append(Text(f"    run: {step.command}", style="cyan"))
    field("do", step.actions)
    field("success", step.success)
    field("deliverables", step.deliverables)
    lines.append(Text(f"    component: {step.component or c.PEOPLE_STEP}"))
    return Group(*lines)


def plan(assessment: Assessment) -> list[RenderableType]:
    return [_step(s) for s in assessment.plan.steps]


def print_terminal(assessment: Assessment, console: Console) -> None:
    """Print the full report to ``console``."""
    repo = assessment.repo
    title = Text("MLOps maturity: ", style="bold")
    title.append(c.clean(repo.name), style="bold")
    console.print(Rule(title, align="left"))
    console.print(Text(f"{c.clean(repo.path)}  ({c.repo_line(repo)})", style="dim"))
    console.print()
    console.print(summary_table(assessment))
    console.print(Text(c.GRID_LEGEND, style="dim"))
    console.print()
    console.print(overall_line(assessment))
    if assessment.level_reason:
        console.print(Text(f"How: {c.clean(assessment.level_reason)}", style="dim"))
    for extra in (c.kind_line(repo), c.projects_line(repo)):
        if extra:
            console.print(Text(extra, style="yellow"))
    console.print(Text(c.counts_line(assessment)))
    console.print(Text(c.practices_line(assessment), style="dim"))
    for warning in assessment.warnings:
        console.print(Text(f"warning: {c.clean(warning)}", style="yellow"))
    console.print()
    console.print(Rule(Text("Why not the next level", style="bold"), align="left"))
    for item in next_levels(assessment):
        console.print(item)
    console.print()
    console.print(Rule(Text("Findings", style="bold"), align="left"))
    for item in findings(assessment):
        console.print(item)
    console.print()
    console.print(Rule(Text(c.plan_heading(assessment), style="bold"), align="left"))
    for item in plan(assessment):
        console.print(item)
    unreadable = c.unreadable_summary(repo)
    if unreadable:
        console.print()
        console.print(Text(unreadable, style="yellow"))
    console.print(
        Text(
            f"rubric {assessment.rubric_id} {assessment.rubric_version} · "
            f"mlops-factory {assessment.tool_version} · {assessment.duration_s:.2f} s",
            style="dim",
        )
    )


def render(assessment: Assessment, *, rubric: Rubric | None = None) -> str:
    """The terminal report as plain text, 100 columns wide (``rubric`` is unused)."""
    buf = io.StringIO()
    console = Console(file=buf, width=100, color_system=None, force_terminal=False)
    print_terminal(assessment, console)
    return buf.getvalue()
