"""The portfolio as ONE self-contained HTML dashboard: inline CSS and SVG, no scripts,
nothing fetched from anywhere.

A heatmap of repos x dimensions, the distribution of levels (bar charts), each
repo's trend over the stored runs (sparklines) and its first plan steps. Every
piece of text from a repo or an ingested JSON file goes through :func:`_e`
(control and bidi characters made visible, then HTML-escaped). The
Content-Security-Policy allows nothing but the one ``<style>`` element, by its
hash: no script, no remote load, no inline ``style`` attribute can run.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from mlops_factory._assess.model import DIMENSION_TITLES, DIMENSIONS, LEVEL_NAMES, MAX_LEVEL
from mlops_factory._assess.render._common import days
from mlops_factory._portfolio.model import PortfolioRepo, PortfolioResult, StepSummary
from mlops_factory._portfolio.table import arrow, change_text
from mlops_factory._text import clean

LEVELS = tuple(range(MAX_LEVEL + 1))

_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --card: #f6f8fa;
        --l0: #fbd5d2; --l1: #fde3b5; --l2: #fbf0a6; --l3: #c9ecd2; --l4: #7fcf95;
        --na: #ece6f5; --up: #1a7f37; --down: #cf222e; --accent: #0969da; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: var(--ink); line-height: 1.45; margin: 0 auto; padding: 1.5rem 1.5rem 3rem;
       max-width: 80rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.2rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem;
     margin: 2rem 0 0.8rem; }
h3 { font-size: 1rem; margin: 0 0 0.2rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.86em; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.meta, .muted, .legend { color: var(--muted); }
.meta { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; margin-top: 1rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
        padding: 0.8rem 1rem; }
.card h2 { border: 0; margin: 0 0 0.4rem; font-size: 1rem; }
.stat { font-size: 2rem; font-weight: 600; margin: 0; }
svg text { font-family: inherit; font-size: 12px; fill: var(--ink); }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .count { font-weight: 600; }
.f0 { fill: var(--l0); } .f1 { fill: var(--l1); } .f2 { fill: var(--l2); }
.f3 { fill: var(--l3); } .f4 { fill: var(--l4); } .fna { fill: var(--na); }
svg .bar { stroke: #00000033; stroke-width: 1; }
.spark { fill: none; stroke: var(--accent); stroke-width: 1.6; stroke-linejoin: round; }
.spark-dot { fill: var(--accent); }
.spark-grid { stroke: var(--line); stroke-width: 1; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; }
table.heatmap th, table.heatmap td { border: 1px solid var(--line); padding: 0.3rem 0.6rem; }
table.heatmap thead th { background: var(--card); font-size: 0.85rem; text-align: center;
                         vertical-align: bottom; }
table.heatmap thead th.name { text-align: left; }
table.heatmap th[scope=row] { text-align: left; font-weight: 600; max-width: 22rem;
                              overflow-wrap: anywhere; }
table.heatmap .path { font-weight: 400; color: var(--muted); font-size: 0.8rem; }
td.lv { text-align: center; font-weight: 600; min-width: 4.5rem;
        font-variant-numeric: tabular-nums; }
td.overall { font-size: 1.1rem; border-left: 2px solid var(--ink); }
.l0 { background: var(--l0); } .l1 { background: var(--l1); } .l2 { background: var(--l2); }
.l3 { background: var(--l3); } .l4 { background: var(--l4); }
.lna { background: repeating-linear-gradient(45deg, var(--na), var(--na) 4px, #fff 4px, #fff 8px);
       color: var(--muted); font-weight: 400; }
.up { color: var(--up); } .down { color: var(--down); }
td.change { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.trend { padding: 0.1rem 0.4rem; }
.arrow { font-size: 0.75rem; margin-left: 0.2rem; }
ul.legend { list-style: none; padding: 0; margin: 0.5rem 0; display: flex; flex-wrap: wrap;
            gap: 0.4rem 1rem; font-size: 0.85rem; }
.swatch { display: inline-block; width: 0.9rem; height: 0.9rem; border: 1px solid var(--line);
          vertical-align: -0.15rem; margin-right: 0.3rem; }
.plans { display: grid; grid-template-columns: repeat(auto-fill, minmax(24rem, 1fr));
         gap: 0.8rem; }
.plan { border: 1px solid var(--line); border-radius: 8px; padding: 0.7rem 0.9rem; }
.plan:target { outline: 2px solid var(--accent); }
.badge { display: inline-block; border-radius: 1rem; padding: 0 0.55rem; font-size: 0.8rem;
         font-weight: 600; border: 1px solid #00000022; margin-left: 0.3rem; }
.plan ol { margin: 0.4rem 0 0; padding-left: 1.3rem; }
.plan li { margin: 0.3rem 0; }
.plan .step-meta { display: block; color: var(--muted); font-size: 0.82rem; }
table.failed th, table.failed td { border: 1px solid var(--line); padding: 0.3rem 0.6rem;
                                   text-align: left; vertical-align: top; }
table.failed td { overflow-wrap: anywhere; }
.error { color: var(--down); }
footer { margin-top: 2.5rem; color: var(--muted); font-size: 0.85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .plan, tr { break-inside: avoid; }
}
"""
#: The CSP hash of the one style element, so that nothing else may style or run.
CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")
CSP = (
    f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)


def _e(text: str | None) -> str:
    """Untrusted text for HTML: cleaned, then escaped (quotes too)."""
    return escape(clean(text))


def _level_class(level: int | None) -> str:
    return "lna" if level is None else f"l{level}"


# ------------------------------------------------------------------ charts


def distribution_svg(result: PortfolioResult) -> str:
    """Bar chart: how many repos are at each overall level."""
    counts = result.distribution()
    top = max(counts) or 1
    width, height, base, bar_w, gap, left = 330, 190, 160, 46, 16, 18
    chart_h = base - 26
    bars = []
    for level, n in enumerate(counts):
        x = left + level * (bar_w + gap)
        h = round(chart_h * n / top) if n else 0
        y = base - h
        name = LEVEL_NAMES[level]
        bars.append(
            f"<g><title>Level {level} ({escape(name)}): {n} repos</title>"
            f'<rect class="bar f{level}" x="{x}" y="{y}" width="{bar_w}" height="{max(h, 1)}"/>'
            f'<text class="count" x="{x + bar_w / 2:g}" y="{y - 6}" '
            f'text-anchor="middle">{n}</text>'
            f'<text x="{x + bar_w / 2:g}" y="{base + 16}" text-anchor="middle">L{level}</text></g>'
        )
    total = len(result.scored)
    return (
        f'<svg class="distribution" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>Overall maturity level of {total} scored repositories</title>"
        f'<line class="axis" x1="{left - 6}" y1="{base}" x2="{width - 6}" y2="{base}"/>'
        f"{''.join(bars)}</svg>"
    )


def dimensions_svg(result: PortfolioResult) -> str:
    """One stacked bar per dimension: repos at each level, and not assessed."""
    dist = result.dimension_distribution()
    total = len(result.scored) or 1
    label_w, bar_w, row_h, bar_h = 170, 300, 30, 20
    width, height = label_w + bar_w + 10, row_h * len(DIMENSIONS) + 8
    rows = []
    for i, d in enumerate(DIMENSIONS):
        y = 4 + i * row_h
        x = float(label_w)
        segments = []
        for level, n in enumerate(dist[d]):
            if not n:
                continue
            w = bar_w * n / total
            cls = "fna" if level > MAX_LEVEL else f"f{level}"
            what = "not assessed" if level > MAX_LEVEL else f"level {level}"
            label = (
                f'<text x="{x + w / 2:.1f}" y="{y + bar_h / 2 + 4:g}" '
                f'text-anchor="middle">{n}</text>'
                if w >= 18
                else ""
            )
            segments.append(
                f"<g><title>{escape(DIMENSION_TITLES[d])}: {n} at {what}</title>"
                f'<rect class="bar {cls}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                f'height="{bar_h}"/>{label}</g>'
            )
            x += w
        rows.append(
            f'<text x="0" y="{y + bar_h / 2 + 4:g}">{escape(DIMENSION_TITLES[d])}</text>'
            + "".join(segments)
        )
    return (
        f'<svg class="dimensions" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        "<title>Levels by dimension</title>" + "".join(rows) + "</svg>"
    )


def sparkline_svg(repo: PortfolioRepo) -> str:
    """The repo's overall level over the stored runs (oldest left)."""
    points = repo.trend
    if not points:
        return '<span class="muted">no history</span>'
    width, height, pad = 110, 28, 4
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def y(level: int) -> float:
        return pad + (MAX_LEVEL - level) * (height - 2 * pad) / MAX_LEVEL

    coords = [
        (pad + i * step if len(points) > 1 else width / 2, y(p.level)) for i, p in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in coords)
    last_x, last_y = coords[-1]
    levels = ", ".join(str(p.level) for p in points)
    line = f'<polyline class="spark" points="{path}"/>' if len(points) > 1 else ""
    return (
        f'<svg class="sparkline" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>Overall level over the last {len(points)} runs: {levels}</title>"
        f'<line class="spark-grid" x1="0" y1="{y(0):.1f}" x2="{width}" y2="{y(0):.1f}"/>'
        f'{line}<circle class="spark-dot" cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.6"/></svg>'
    )


# ------------------------------------------------------------------ sections


def _cell(level: int | None, delta: int | None, extra: str = "") -> str:
    cls = f"lv {_level_class(level)}{extra}"
    if level is None:
        return f'<td class="{cls}" title="not assessed">–</td>'
    mark = ""
    if delta:
        direction = "up" if delta > 0 else "down"
        mark = (
            f'<span class="arrow {direction}" title="{delta:+d} since last run">'
            f"{arrow(delta)}</span>"
        )
    return f'<td class="{cls}">{level}{mark}</td>'


def _heatmap(result: PortfolioResult, ids: dict[str, str]) -> str:
    history = result.run_id is not None
    head = "".join(f"<th>{escape(DIMENSION_TITLES[d])}</th>" for d in DIMENSIONS)
    head += "<th>Overall</th>"
    if history:
        head += "<th>Change</th><th>Trend</th>"
    rows = []
    for repo in result.scored:
        cells = "".join(
            _cell(repo.dimension_level(d), repo.dimension_change(d)) for d in DIMENSIONS
        )
        cells += _cell(repo.level, None, " overall")
        if history:
            delta = repo.change
            cls = "" if not delta else (" up" if delta > 0 else " down")
            cells += f'<td class="change{cls}">{escape(change_text(repo))}</td>'
            cells += f'<td class="trend">{sparkline_svg(repo)}</td>'
        rows.append(
            f'<tr class="repo"><th scope="row"><a href="#{ids[repo.key]}">{_e(repo.name)}</a>'
            f'<div class="path">{_e(repo.path)}</div></th>{cells}</tr>'
        )
    legend = "".join(
        f'<li><span class="swatch l{lv}"></span>{lv} {escape(LEVEL_NAMES[lv])}</li>'
        for lv in LEVELS
    )
    legend += '<li><span class="swatch lna"></span>not assessed</li>'
    if history:
        legend += '<li><span class="up">▲</span>/<span class="down">▼</span> since last run</li>'
    return (
        '<div class="table-wrap"><table class="heatmap"><thead><tr>'
        f'<th class="name">Repository</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        f'<ul class="legend">{legend}</ul>'
    )


def _step(step: StepSummary) -> str:
    component = (
        f"component <code>{_e(step.component)}</code>" if step.component else "people and process"
    )
    criteria = ", ".join(f"<code>{_e(c)}</code>" for c in step.criteria)
    dimension = DIMENSION_TITLES.get(step.dimension, step.dimension)
    return (
        f"<li><strong>{_e(step.title)}</strong>"
        f'<span class="step-meta">level {step.level} · {_e(dimension)} · '
        f"effort {_e(step.effort_size)} ({escape(days(step.effort_days))}) · {component} · "
        f"closes {criteria}</span></li>"
    )


def _plan(repo: PortfolioRepo, anchor: str) -> str:
    s = repo.score
    if s is None:
        return ""
    git = ""
    if s.head:
        branch = _e(s.branch) if s.branch else "detached"
        git = f" · {branch} @ <code>{_e(s.head[:12])}</code>"
    source = f" · from <code>{_e(repo.file)}</code>" if repo.file else ""
    if s.top_steps:
        more = s.plan_steps - len(s.top_steps)
        steps = "".join(_step(step) for step in s.top_steps)
        tail = f'<p class="muted">… and {more} more in the full report</p>' if more > 0 else ""
        body = (
            f'<p class="muted">Plan to level {s.plan_target}: {s.plan_steps} '
            f"step{'' if s.plan_steps == 1 else 's'}, {escape(days(s.effort_days))}</p>"
            f"<ol>{steps}</ol>{tail}"
        )
    else:
        body = f'<p class="muted">Nothing left to reach level {s.plan_target}.</p>'
    return (
        f'<article class="plan" id="{anchor}"><h3>{_e(repo.name)}'
        f'<span class="badge {_level_class(s.level)}">Level {s.level}</span></h3>'
        f'<p class="meta"><code>{_e(repo.path)}</code>{git}{source}</p>{body}</article>'
    )


def _failed(result: PortfolioResult) -> str:
    if not result.failed:
        return ""
    rows = "".join(
        f'<tr><td><code>{_e(r.input)}</code></td><td><span class="error">{_e(r.error)}</span>'
        + (f'<div class="muted">hint: {_e(r.hint)}</div>' if r.hint else "")
        + "</td></tr>"
        for r in result.failed
    )
    return (
        f"<section><h2>Not scored ({len(result.failed)})</h2>"
        '<table class="failed"><thead><tr><th>Input</th><th>Problem</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def render_dashboard(result: PortfolioResult) -> str:
    """The whole dashboard as one HTML document (ends with a newline)."""
    ids = {r.key: f"repo-{i}" for i, r in enumerate(result.repos, start=1)}
    scored, failed = len(result.scored), len(result.failed)
    run = f"Run #{result.run_id} · " if result.run_id is not None else ""
    meta = (
        f"{run}{escape(result.finished_at)} · {len(result.repos)} repositories "
        f"({scored} scored, {failed} not scored) · rubric <code>{_e(result.rubric_id)}</code> "
        f"{_e(result.rubric_version)}"
    )
    people_missing = sum(1 for r in result.scored if r.score and not r.score.people_assessed)
    people = (
        f'<p class="muted">People not assessed in {people_missing} of {scored} repos: their '
        "overall level rests on the other dimensions (answer the questionnaire with "
        "<code>--answers FILE</code>).</p>"
        if people_missing
        else ""
    )
    plans = "".join(_plan(r, ids[r.key]) for r in result.scored)
    median = _median_level(result)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MLOps maturity portfolio</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>MLOps maturity portfolio</h1>
<p class="meta">{meta}</p>
</header>
<main>
<section class="charts">
<div class="card"><h2>Repositories</h2><p class="stat">{scored}</p>
<p class="muted">scored{f", {failed} not scored" if failed else ""}</p>
<p class="muted">median level {median}</p></div>
<div class="card"><h2>Overall level</h2>{distribution_svg(result)}</div>
<div class="card"><h2>Levels by dimension</h2>{dimensions_svg(result)}</div>
</section>
<section>
<h2>Heatmap: repositories × dimensions</h2>
{people}
{_heatmap(result, ids)}
</section>
<section>
<h2>Next steps per repository</h2>
<div class="plans">{plans}</div>
</section>
{_failed(result)}
</main>
<footer>mlops-factory {escape(result.tool_version)} · started {escape(result.started_at)}
· {result.duration_s:.1f} s · {result.jobs} worker{"" if result.jobs == 1 else "s"}</footer>
</body>
</html>
"""


def _median_level(result: PortfolioResult) -> str:
    levels = sorted(r.score.level for r in result.scored if r.score)
    if not levels:
        return "–"
    mid = len(levels) // 2
    value = levels[mid] if len(levels) % 2 else (levels[mid - 1] + levels[mid]) / 2
    return f"{value:g}"
