"""The portfolio as ONE self-contained HTML dashboard: inline CSS and SVG, no scripts,
nothing fetched from anywhere.

A heatmap of repos x dimensions, the distribution of levels (bar charts), each
repo's trend over the stored runs (sparklines) and its first plan steps. The page is
the Jinja2 template ``templates/dashboard.html.jinja`` rendered with autoescape on;
every string it prints first goes through :func:`mlops_factory._text.clean` (the
environment's ``finalize``), so control and bidi characters from a repo show as
escapes and nothing needs a manual escape call. This module only computes the data
(numbers, geometry, texts). The Content-Security-Policy allows nothing but the one
``<style>`` element, by its hash: no script, no remote load, no inline ``style``
attribute can run.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from mlops_factory._assess.model import DIMENSION_TITLES, DIMENSIONS, LEVEL_NAMES, MAX_LEVEL
from mlops_factory._assess.render._common import days
from mlops_factory._portfolio.model import PortfolioRepo, PortfolioResult, StepSummary
from mlops_factory._portfolio.table import arrow, change_text
from mlops_factory._text import clean

LEVELS = tuple(range(MAX_LEVEL + 1))
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_CSS = (_TEMPLATES / "dashboard.css").read_text(encoding="utf-8")
#: The CSP hash of the one style element, so that nothing else may style or run.
CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")
CSP = (
    f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)


@cache
def _template() -> Any:
    import jinja2
    from markupsafe import Markup

    def finalize(value: Any) -> Any:
        # Every printed string is cleaned; autoescape then escapes it. Markup (the
        # stylesheet, macro output) is ours and passes as it is.
        return clean(value) if isinstance(value, str) and not isinstance(value, Markup) else value

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        keep_trailing_newline=True,
    )
    return env.get_template("dashboard.html.jinja")


def _level_class(level: int | None) -> str:
    return "lna" if level is None else f"l{level}"


# ------------------------------------------------------------------ charts


def _distribution(result: PortfolioResult) -> dict[str, Any]:
    """Bar chart geometry: how many repos are at each overall level."""
    counts = result.distribution()
    top = max(counts) or 1
    width, height, base, bar_w, gap, left = 330, 190, 160, 46, 16, 18
    chart_h = base - 26
    bars = []
    for level, n in enumerate(counts):
        x = left + level * (bar_w + gap)
        h = round(chart_h * n / top) if n else 0
        bars.append(
            {
                "level": level,
                "name": LEVEL_NAMES[level],
                "n": n,
                "x": x,
                "y": base - h,
                "h": max(h, 1),
                "cx": f"{x + bar_w / 2:g}",
            }
        )
    return {
        "width": width,
        "height": height,
        "base": base,
        "left": left,
        "bar_w": bar_w,
        "bars": bars,
    }


def _dimensions(result: PortfolioResult) -> dict[str, Any]:
    """Stacked bar geometry per dimension: repos at each level, and not assessed."""
    dist = result.dimension_distribution()
    total = len(result.scored) or 1
    label_w, bar_w, row_h, bar_h = 170, 300, 30, 20
    rows = []
    for i, d in enumerate(DIMENSIONS):
        y = 4 + i * row_h
        x = float(label_w)
        segments = []
        for level, n in enumerate(dist[d]):
            if not n:
                continue
            w = bar_w * n / total
            segments.append(
                {
                    "n": n,
                    "cls": "fna" if level > MAX_LEVEL else f"f{level}",
                    "what": "not assessed" if level > MAX_LEVEL else f"level {level}",
                    "x": f"{x:.1f}",
                    "w": f"{w:.1f}",
                    "label_x": f"{x + w / 2:.1f}" if w >= 18 else None,
                }
            )
            x += w
        rows.append(
            {
                "title": DIMENSION_TITLES[d],
                "y": y,
                "ty": f"{y + bar_h / 2 + 4:g}",
                "segments": segments,
            }
        )
    return {
        "width": label_w + bar_w + 10,
        "height": row_h * len(DIMENSIONS) + 8,
        "bar_h": bar_h,
        "rows": rows,
    }


def _sparkline(repo: PortfolioRepo) -> dict[str, Any] | None:
    """The repo's overall level over the stored runs (oldest left); None without any."""
    points = repo.trend
    if not points:
        return None
    width, height, pad = 110, 28, 4
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def y(level: int) -> float:
        return pad + (MAX_LEVEL - level) * (height - 2 * pad) / MAX_LEVEL

    coords = [
        (pad + i * step if len(points) > 1 else width / 2, y(p.level)) for i, p in enumerate(points)
    ]
    last_x, last_y = coords[-1]
    return {
        "width": width,
        "height": height,
        "runs": len(points),
        "levels": ", ".join(str(p.level) for p in points),
        "grid": f"{y(0):.1f}",
        "points": " ".join(f"{x:.1f},{yy:.1f}" for x, yy in coords) if len(points) > 1 else "",
        "last_x": f"{last_x:.1f}",
        "last_y": f"{last_y:.1f}",
    }


# ------------------------------------------------------------------ sections


def _cell(level: int | None, delta: int | None, extra: str = "") -> dict[str, Any]:
    return {"level": level, "delta": delta, "arrow": arrow(delta) if delta else "", "extra": extra}


def _row(repo: PortfolioRepo, anchor: str) -> dict[str, Any]:
    delta = repo.change
    cells = [_cell(repo.dimension_level(d), repo.dimension_change(d)) for d in DIMENSIONS]
    return {
        "id": anchor,
        "name": repo.name,
        "path": repo.path,
        "cells": [*cells, _cell(repo.level, None, " overall")],
        "change": change_text(repo),
        "change_cls": "" if not delta else (" up" if delta > 0 else " down"),
        "spark": _sparkline(repo),
    }


def _step(step: StepSummary) -> dict[str, Any]:
    return {
        "title": step.title,
        "level": step.level,
        "dimension": DIMENSION_TITLES.get(step.dimension, step.dimension),
        "effort_size": step.effort_size,
        "effort": days(step.effort_days),
        "component": step.component,
        "criteria": list(step.criteria),
    }


def _plan(repo: PortfolioRepo, anchor: str) -> dict[str, Any] | None:
    s = repo.score
    if s is None:
        return None
    return {
        "id": anchor,
        "name": repo.name,
        "path": repo.path,
        "file": repo.file,
        "level": s.level,
        "level_cls": _level_class(s.level),
        "head": s.head[:12] if s.head else None,
        "branch": s.branch or "detached",
        "target": s.plan_target,
        "plan_steps": s.plan_steps,
        "effort": days(s.effort_days),
        "steps": [_step(step) for step in s.top_steps],
        "more": s.plan_steps - len(s.top_steps),
    }


def render_dashboard(result: PortfolioResult) -> str:
    """The whole dashboard as one HTML document (ends with a newline)."""
    from markupsafe import Markup

    ids = {r.key: f"repo-{i}" for i, r in enumerate(result.repos, start=1)}
    html: str = _template().render(
        csp=Markup(CSP),  # ours; quotes must stay literal for readers of the page
        css=Markup(_CSS),  # ours, hashed in the CSP: printed exactly as it is
        run_id=result.run_id,
        finished_at=result.finished_at,
        started_at=result.started_at,
        repos=len(result.repos),
        scored=len(result.scored),
        failed=[{"input": r.input, "error": r.error, "hint": r.hint} for r in result.failed],
        rubric_id=result.rubric_id,
        rubric_version=result.rubric_version,
        people_missing=sum(1 for r in result.scored if r.score and not r.score.people_assessed),
        median=_median_level(result),
        distribution=_distribution(result),
        dimensions=_dimensions(result),
        dimension_titles=[DIMENSION_TITLES[d] for d in DIMENSIONS],
        history=result.run_id is not None,
        heatmap=[_row(r, ids[r.key]) for r in result.scored],
        levels=[(lv, LEVEL_NAMES[lv]) for lv in LEVELS],
        plans=[p for p in (_plan(r, ids[r.key]) for r in result.scored) if p is not None],
        tool_version=result.tool_version,
        duration_s=result.duration_s,
        jobs=result.jobs,
    )
    return html


def _median_level(result: PortfolioResult) -> str:
    levels = sorted(r.score.level for r in result.scored if r.score)
    if not levels:
        return "–"
    mid = len(levels) // 2
    value = levels[mid] if len(levels) % 2 else (levels[mid - 1] + levels[mid]) / 2
    return f"{value:g}"
