"""The report as Markdown a lead can paste into a wiki (GitHub-flavoured tables).

Text from the assessed repo (paths, snippets, notes, messages) is either put in
code spans or backslash-escaped, so it can neither format the page nor inject
HTML. Rubric text is trusted and may use Markdown.
"""

from __future__ import annotations

import re

from mlops_factory._assess.model import Assessment, Finding, Outcome, PlanStep, Rubric
from mlops_factory._assess.render import _common as c

#: Evidence items listed per finding; the JSON output has them all.
MAX_EVIDENCE = 10
#: Unreadable paths listed; the summary line counts them all.
MAX_UNREADABLE = 50

OUTCOME_ICONS: dict[Outcome, str] = {
    Outcome.MET: "✅",
    Outcome.UNMET: "❌",
    Outcome.NOT_APPLICABLE: "➖",
    Outcome.NOT_ASSESSED: "❔",
    Outcome.ERROR: "⚠️",
    Outcome.WAIVED: "🔕",
}
CELL_ICONS: dict[c.CellState, str] = {
    "met": "✅",
    "partial": "🟡",
    "unmet": "❌",
    "not_assessed": "❔",
    "not_applicable": "",
    "empty": "",
}

# Characters that can start formatting, links, HTML or math anywhere in a line.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&$])")


def escape(text: str | None) -> str:
    """Repo text as literal Markdown: cleaned, punctuation backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", c.clean(text))


def code(text: str | None, *, in_table: bool = False) -> str:
    """Repo text as a code span that survives backticks inside it (and pipes, in a table)."""
    body = c.clean(text)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "
    if in_table:
        # GFM splits table cells on | even inside code spans; \| keeps it whole.
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def _table_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _summary(assessment: Assessment) -> list[str]:
    lines = [
        "| Dimension | Level | " + " | ".join(f"L{lv}" for lv in c.LEVELS) + " |",
        "|---|---|" + "---|" * len(c.LEVELS),
    ]
    for did, row in c.grid(assessment).items():
        d = c.dimension_result(assessment, did)
        level = f"**{d.level}**" if d.assessed else f"*{c.dimension_level(d)}*"
        cells = []
        for lv in c.LEVELS:
            cell = row[lv]
            icon = CELL_ICONS[cell.state]
            cells.append(f"{icon} {cell.text}".strip())
        lines.append(
            f"| {_table_text(c.dimension_title(did))} | {level} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    lines.append(f"*{c.GRID_LEGEND}*")
    return lines


def _step(step: PlanStep) -> list[str]:
    lines = [
        f"{step.order}. **{step.title}**: level {step.level}, "
        f"{c.dimension_title(step.dimension)}, effort {c.effort(step.effort)}",
        "   - Closes: " + ", ".join(f"`{cid}`" for cid in step.criteria),
    ]
    for label, values in (
        ("Actions", step.actions),
        ("Success criteria", step.success),
        ("Deliverables", step.deliverables),
    ):
        if len(values) == 1:
            lines.append(f"   - {label}: {values[0]}")
        elif values:
            lines.append(f"   - {label}:")
            lines.extend(f"     - {v}" for v in values)
    component = f"`{step.component}`" if step.component else c.PEOPLE_STEP
    lines.append(f"   - Component: {component} ({step.role})")
    if step.command:
        lines.append(f"   - Run: `{step.command}`")
    return lines


def _next_levels(assessment: Assessment) -> list[str]:
    lines = []
    for n in c.why_not_next(assessment):
        head = f"- **{_table_text(n.dimension)}**: {n.level}"
        if n.next_level is not None:
            head += f" → level {n.next_level} needs:"
        lines.append(head)
        lines.extend(f"  - {escape(line)}" for line in n.lines)
    return lines


def _finding(f: Finding) -> list[str]:
    crit = f.criterion
    label = c.OUTCOME_LABELS[f.outcome]
    if f.weak:
        label += ", on weak evidence only"
    lines = [f"- {OUTCOME_ICONS[f.outcome]} **`{crit.id}`** {crit.title}: *{label}* ({crit.role})"]
    if f.waiver:
        lines.append(f"  - Waived until {f.waiver.expires}: {escape(f.waiver.reason)}")
    question = c.question_of(f)
    if question:
        lines.append(f"  - Question: {question}")
    if f.message:
        lines.append(f"  - {escape(f.message)}")
    for ev in f.evidence[:MAX_EVIDENCE]:
        loc = c.location(ev)
        parts = [code(loc)] if loc else []
        if ev.snippet:
            parts.append(code(ev.snippet))
        if ev.note:
            parts.append(f"({escape(ev.note)})" if parts else escape(ev.note))
        if ev.weak:
            parts.append("*(weak)*")
        lines.append("  - " + " ".join(parts))
    hidden = len(f.evidence) - MAX_EVIDENCE
    if hidden > 0:
        lines.append(f"  - … and {hidden} more (see the JSON output)")
    return lines


def render(assessment: Assessment, *, rubric: Rubric | None = None) -> str:
    """The full report as Markdown."""
    repo = assessment.repo
    out: list[str] = [f"# MLOps maturity assessment: {escape(repo.name)}", ""]
    out.append(f"**{c.overall(assessment)}**")
    if assessment.level_reason:
        out += ["", f"How the level was formed: {escape(assessment.level_reason)}."]
    for extra in (c.kind_line(repo), c.projects_line(repo)):
        if extra:
            out += ["", f"> {escape(extra)}"]
    if not assessment.people_assessed:
        out += ["", f"> **{c.PEOPLE_NOTE}**"]
    for warning in assessment.warnings:
        out += ["", f"> ⚠️ {escape(warning)}"]
    rubric_name = f"{rubric.title} " if rubric else ""
    out += [
        "",
        "| | |",
        "|---|---|",
        f"| Repository | {code(repo.path, in_table=True)} ({escape(c.repo_line(repo))}) |",
        f"| Rubric | {_table_text(rubric_name)}`{assessment.rubric_id}` "
        f"{escape(assessment.rubric_version)} |",
        f"| Generated | {assessment.generated_at} by mlops-factory {assessment.tool_version} |",
        f"| Outcomes | {c.counts_line(assessment)} |",
        f"| Practices | {c.practices_line(assessment)} |",
        "",
        "## Why not the next level",
        "",
        *_next_levels(assessment),
        "",
        "## Summary",
        "",
        *_summary(assessment),
        "",
        f"## {c.plan_heading(assessment)}",
        "",
    ]
    for step in assessment.plan.steps:
        out += _step(step)
    if assessment.plan.steps:
        out.append("")
    out += ["## Findings", ""]
    for did, levels in c.grouped(assessment.findings):
        out += [f"### {c.dimension_title(did)}", ""]
        for level, items in levels:
            out += [f"#### {c.level_title(level)}", ""]
            for f in items:
                out += _finding(f)
            out.append("")
    unreadable = c.unreadable_summary(repo)
    if unreadable:
        out += ["## Files not read", "", escape(unreadable), ""]
        out += ["| Path | Reason |", "|---|---|"]
        for u in repo.unreadable[:MAX_UNREADABLE]:
            out.append(f"| {code(u.path, in_table=True)} | {escape(u.reason)} |")
        hidden = len(repo.unreadable) - MAX_UNREADABLE
        if hidden > 0:
            out.append(f"| … | {hidden} more (see the JSON output) |")
        out.append("")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"
