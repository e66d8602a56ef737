"""The report as one self-contained HTML file: inline CSS, no scripts, no fonts,
images or anything else fetched from anywhere, readable on screen and on paper.

Every piece of text goes through :func:`html.escape` (repo text also through
:func:`~._common.clean`), and a Content-Security-Policy forbids scripts and
remote loads, so a hostile snippet stays text.
"""

from __future__ import annotations

from html import escape

from mlops_factory._assess.model import Assessment, Finding, PlanStep, Rubric
from mlops_factory._assess.render import _common as c

#: Evidence items listed per finding; the JSON output has them all.
MAX_EVIDENCE = 10
#: Unreadable paths listed; the summary line counts them all.
MAX_UNREADABLE = 200

_CSS = """
:root { --met: #1a7f37; --partial: #9a6700; --unmet: #cf222e; --open: #8250df;
        --muted: #57606a; --line: #d0d7de; --bg-met: #dafbe1; --bg-partial: #fff8c5;
        --bg-unmet: #ffebe9; --bg-open: #fbefff; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       line-height: 1.45; color: #1f2328; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { margin-top: 1.5rem; }
h4 { margin: 1rem 0 0.3rem; color: var(--muted); }
code, .snippet { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
                 font-size: 0.88em; }
.snippet { background: #f6f8fa; padding: 0 0.3em; white-space: pre-wrap;
           overflow-wrap: anywhere; }
.meta, .legend, .muted { color: var(--muted); }
.overall { font-size: 1.25rem; font-weight: 600; margin: 1rem 0 0.3rem; }
.people-note { color: var(--open); font-weight: 600; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid var(--line); padding: 0.35rem 0.7rem; text-align: left;
         vertical-align: top; }
table.grid td.cell { text-align: center; min-width: 5.5rem; }
.cell-met { background: var(--bg-met); color: var(--met); font-weight: 600; }
.cell-partial { background: var(--bg-partial); color: var(--partial); }
.cell-unmet { background: var(--bg-unmet); color: var(--unmet); }
.cell-not_assessed { background: var(--bg-open); color: var(--open); }
.cell-not_applicable, .cell-empty { color: var(--muted); }
ul.findings { list-style: none; padding-left: 0; margin: 0; }
li.finding { border-left: 4px solid var(--line); padding: 0.3rem 0.7rem; margin: 0.4rem 0; }
li.outcome-met { border-color: var(--met); }
li.outcome-unmet { border-color: var(--unmet); }
li.outcome-error { border-color: var(--partial); background: var(--bg-partial); }
li.outcome-not_assessed { border-color: var(--open); border-left-style: dashed; }
li.outcome-not_applicable { border-color: var(--line); color: var(--muted); }
.badge { display: inline-block; min-width: 7.5rem; font-weight: 600; }
.outcome-met .badge { color: var(--met); }
.outcome-unmet .badge { color: var(--unmet); }
.outcome-error .badge { color: var(--partial); }
.outcome-not_assessed .badge { color: var(--open); }
.outcome-not_applicable .badge { color: var(--muted); }
ul.evidence { margin: 0.2rem 0 0.1rem; padding-left: 1.2rem; }
.weak { color: var(--partial); font-style: italic; }
.question { color: var(--open); }
ol.plan > li { margin: 0.7rem 0; }
ol.plan dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.8rem;
             margin: 0.3rem 0; }
ol.plan dt { color: var(--muted); }
ol.plan dd { margin: 0; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: 0.85rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2, h3, h4 { break-after: avoid; }
  li.finding, ol.plan > li, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(text: str | None) -> str:
    """Repo text for HTML: cleaned, then escaped."""
    return escape(c.clean(text))


def _grid(assessment: Assessment) -> str:
    head = "".join(f"<th>Level {lv}</th>" for lv in c.LEVELS)
    rows = []
    for did, row in c.grid(assessment).items():
        d = c.dimension_result(assessment, did)
        level = (
            f"<strong>{d.level}</strong>"
            if d.assessed
            else '<span class="people-note">not assessed</span>'
        )
        cells = "".join(
            f'<td class="cell cell-{row[lv].state}">{escape(row[lv].text)}</td>' for lv in c.LEVELS
        )
        rows.append(
            f'<tr><th scope="row"><a href="#dim-{escape(did)}">'
            f"{escape(c.dimension_title(did))}</a></th><td>{level}</td>{cells}</tr>"
        )
    return (
        '<table class="grid"><thead><tr><th>Dimension</th><th>Level</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p class="legend">{escape(c.GRID_LEGEND)}</p>'
    )


def _step(step: PlanStep) -> str:
    rows = [
        ("Closes", ", ".join(f"<code>{escape(cid)}</code>" for cid in step.criteria)),
        ("Effort", escape(c.effort(step.effort))),
    ]
    for label, values in (
        ("Actions", step.actions),
        ("Success criteria", step.success),
        ("Deliverables", step.deliverables),
    ):
        if values:
            rows.append((label, "<br>".join(escape(v) for v in values)))
    component = (
        f"<code>{escape(step.component)}</code>" if step.component else escape(c.PEOPLE_STEP)
    )
    rows.append(("Component", component))
    body = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return (
        f"<li><strong>{escape(step.title)}</strong> "
        f'<span class="muted">level {step.level} · '
        f"{escape(c.dimension_title(step.dimension))}</span><dl>{body}</dl></li>"
    )


def _finding(f: Finding) -> str:
    crit = f.criterion
    label = c.OUTCOME_LABELS[f.outcome]
    if f.weak:
        label += " (weak evidence)"
    parts = [
        f'<li class="finding outcome-{f.outcome.value}" id="{escape(crit.id)}">'
        f'<span class="badge">{escape(c.OUTCOME_SYMBOLS[f.outcome])} {escape(label)}</span> '
        f"<code>{escape(crit.id)}</code> {escape(crit.title)}"
    ]
    question = c.question_of(f)
    if question:
        parts.append(f'<div class="question">Question: {escape(question)}</div>')
    if f.message:
        parts.append(f'<div class="muted">{_e(f.message)}</div>')
    items = []
    for ev in f.evidence[:MAX_EVIDENCE]:
        loc = c.location(ev)
        bits = [f"<code>{escape(loc)}</code>"] if loc else []
        if ev.snippet:
            bits.append(f'<span class="snippet">{_e(ev.snippet)}</span>')
        if ev.note:
            note = f"({_e(ev.note)})" if bits else _e(ev.note)
            bits.append(f'<span class="muted">{note}</span>')
        if ev.weak:
            bits.append('<span class="weak">weak</span>')
        items.append(f"<li>{' '.join(bits)}</li>")
    hidden = len(f.evidence) - MAX_EVIDENCE
    if hidden > 0:
        items.append(f'<li class="muted">… and {hidden} more (see the JSON output)</li>')
    if items:
        parts.append(f'<ul class="evidence">{"".join(items)}</ul>')
    parts.append("</li>")
    return "".join(parts)


def _findings(assessment: Assessment) -> str:
    out = []
    for did, levels in c.grouped(assessment.findings):
        out.append(f'<h3 id="dim-{escape(did)}">{escape(c.dimension_title(did))}</h3>')
        for level, items in levels:
            out.append(f"<h4>{escape(c.level_title(level))}</h4>")
            out.append(f'<ul class="findings">{"".join(_finding(f) for f in items)}</ul>')
    return "\n".join(out)


def _unreadable(assessment: Assessment) -> str:
    repo = assessment.repo
    summary = c.unreadable_summary(repo)
    if summary is None:
        return ""
    rows = "".join(
        f"<tr><td><code>{_e(u.path)}</code></td><td>{_e(u.reason)}</td></tr>"
        for u in repo.unreadable[:MAX_UNREADABLE]
    )
    hidden = len(repo.unreadable) - MAX_UNREADABLE
    if hidden > 0:
        rows += f'<tr><td colspan="2" class="muted">… and {hidden} more</td></tr>'
    return (
        f"<section><h2>Files not read</h2><p>{escape(summary)}</p>"
        f"<table><thead><tr><th>Path</th><th>Reason</th></tr></thead><tbody>{rows}</tbody>"
        "</table></section>"
    )


def render(assessment: Assessment, *, rubric: Rubric | None = None) -> str:
    """The full report as one HTML document."""
    repo = assessment.repo
    name = _e(repo.name)
    people = (
        "" if assessment.people_assessed else f'<p class="people-note">{escape(c.PEOPLE_NOTE)}</p>'
    )
    rubric_title = f"{escape(rubric.title)} " if rubric else ""
    steps = "".join(_step(s) for s in assessment.plan.steps)
    plan = f'<ol class="plan">{steps}</ol>' if steps else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MLOps maturity: {name}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>MLOps maturity assessment: {name}</h1>
<p class="meta"><code>{_e(repo.path)}</code> ({escape(c.repo_line(repo))})</p>
</header>
<main>
<section>
<p class="overall">{escape(c.overall(assessment))}</p>
{people}
<p>{escape(c.counts_line(assessment))}</p>
<h2>Summary</h2>
{_grid(assessment)}
</section>
<section>
<h2>{escape(c.plan_heading(assessment))}</h2>
{plan}
</section>
<section>
<h2>Findings</h2>
{_findings(assessment)}
</section>
{_unreadable(assessment)}
</main>
<footer>Rubric {rubric_title}<code>{escape(assessment.rubric_id)}</code>
{escape(assessment.rubric_version)} · generated {escape(assessment.generated_at)}
by mlops-factory {escape(assessment.tool_version)} in {assessment.duration_s:.2f} s</footer>
</body>
</html>
"""
