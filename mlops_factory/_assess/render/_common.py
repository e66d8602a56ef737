"""What every report shows, decided once: the summary grid, the grouping of
findings, how evidence, effort and outcomes read. The renderers only lay it out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from mlops_factory._assess.model import (
    DIMENSION_TITLES,
    DIMENSIONS,
    LEVEL_NAMES,
    MAX_LEVEL,
    Assessment,
    DimensionResult,
    Effort,
    Evidence,
    Finding,
    Outcome,
    RepoInfo,
)
from mlops_factory._text import clean as clean  # the one terminal-safe text function

#: Shown next to the overall level when the People dimension was not assessed.
PEOPLE_NOTE = "People not assessed: answer the questionnaire (--answers FILE)"

LEVELS: tuple[int, ...] = tuple(range(1, MAX_LEVEL + 1))

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.MET: "met",
    Outcome.UNMET: "unmet",
    Outcome.NOT_APPLICABLE: "not applicable",
    Outcome.NOT_ASSESSED: "not assessed",
    Outcome.ERROR: "error",
    Outcome.WAIVED: "waived",
}
OUTCOME_SYMBOLS: dict[Outcome, str] = {
    Outcome.MET: "✓",
    Outcome.UNMET: "✗",
    Outcome.NOT_APPLICABLE: "–",
    Outcome.NOT_ASSESSED: "?",
    Outcome.ERROR: "!",
    Outcome.WAIVED: "~",
}

CellState = Literal["met", "partial", "unmet", "not_assessed", "not_applicable", "empty"]


def location(ev: Evidence) -> str | None:
    """``path:line`` or ``path``; None for evidence not tied to a file (an answer)."""
    if not ev.path:
        return None
    path = clean(ev.path)
    return f"{path}:{ev.line}" if ev.line else path


def number(x: float) -> str:
    """1.0 -> "1", 0.5 -> "0.5"."""
    return f"{x:g}"


def days(span: tuple[float, float]) -> str:
    """A day range: "3–5 days", "1 day", "0.5 days"."""
    lo, hi = span
    if lo == hi:
        return f"{number(lo)} day" if lo == 1 else f"{number(lo)} days"
    return f"{number(lo)}–{number(hi)} days"


def effort(e: Effort) -> str:
    """ "M (3–5 days)"."""
    return f"{e.size} ({days(e.days)})"


def dimension_title(dimension_id: str) -> str:
    return DIMENSION_TITLES.get(dimension_id, dimension_id)


def level_title(level: int) -> str:
    """ "Level 2 — Automated training"."""
    name = LEVEL_NAMES.get(level)
    return f"Level {level} — {name}" if name else f"Level {level}"


def overall(assessment: Assessment) -> str:
    """ "Overall level 1 — DevOps but no MLOps"."""
    return f"Overall level {assessment.level} — {LEVEL_NAMES[assessment.level]}"


def dimension_level(d: DimensionResult) -> str:
    if not d.applicable:
        return "n/a"
    return "not assessed" if d.level is None else str(d.level)


def role_label(f: Finding) -> str:
    """ "defining" or "practice", as shown next to a finding."""
    return f.criterion.role


def outcome_label(f: Finding) -> str:
    """The outcome as read: "met (weak evidence)", "waived: <reason>"."""
    label = OUTCOME_LABELS[f.outcome]
    if f.weak:
        label += " (weak evidence)"
    if f.waiver:
        label += f" until {f.waiver.expires}"
    return label


#: What each kind means for the level, shown under the title when it is not a project.
KIND_TITLES = {
    "project": "project",
    "template": "template repository",
    "monorepo": "monorepo",
    "docs": "documentation only",
}


def kind_line(repo: RepoInfo) -> str | None:
    """ "Kind: template repository — <why>"; None for a plain project."""
    if repo.kind == "project" and not repo.scope:
        return None
    text = f"Kind: {KIND_TITLES.get(repo.kind, repo.kind)}"
    if repo.kind_reason:
        text += f" — {clean(repo.kind_reason)}"
    if repo.scope:
        text += f" (assessed: {clean(repo.scope)}/ only, with the root's CI and build files)"
    return text


def projects_line(repo: RepoInfo) -> str | None:
    """A monorepo's projects, comma-separated (at most ten shown)."""
    if not repo.projects:
        return None
    shown = ", ".join(clean(p) for p in repo.projects[:10])
    more = f" and {len(repo.projects) - 10} more" if len(repo.projects) > 10 else ""
    return f"Projects: {shown}{more}"


def practices_line(assessment: Assessment) -> str:
    """ "Practices: 12 of 20 met"."""
    cov = assessment.practice_coverage()
    return f"Practices: {cov['met']} of {cov['total']} met (reported, never gating)"


@dataclass(frozen=True, slots=True)
class NextStep:
    """One dimension's "why not the next level": its level, the next, what is missing."""

    dimension: str
    level: str
    next_level: int | None
    lines: tuple[str, ...]


def why_not_next(assessment: Assessment) -> list[NextStep]:
    """Per dimension, what keeps it from the next level: defining criteria, one line each,
    with the command or question that closes it."""
    out: list[NextStep] = []
    for did in dimension_ids(assessment):
        d = dimension_result(assessment, did)
        title = dimension_title(did)
        if not d.applicable:
            out.append(NextStep(title, "n/a", None, (f"not applicable: {clean(d.reason)}",)))
            continue
        if d.level is None:
            out.append(NextStep(title, "not assessed", None, (clean(d.reason),)))
            continue
        if d.next_level is None:
            why = (
                "at the top level"
                if d.level >= MAX_LEVEL
                else "no defining criterion of this dimension is missing; the next level rests"
                " on the other dimensions"
            )
            out.append(NextStep(title, str(d.level), None, (why,)))
            continue
        lines = []
        for m in d.next_level.missing:
            how = f"  → {m.command}" if m.command else ""
            lines.append(f"{m.id} {clean(m.title)} ({m.outcome}){how}")
        out.append(NextStep(title, str(d.level), d.next_level.level, tuple(lines)))
    return out


def dimension_ids(assessment: Assessment) -> list[str]:
    """The model's dimensions in their fixed order, then any other the rubric used."""
    seen = list(DIMENSIONS)
    for did in [d.id for d in assessment.dimensions] + [
        f.criterion.dimension for f in assessment.findings
    ]:
        if did not in seen:
            seen.append(did)
    return seen


def dimension_result(assessment: Assessment, dimension_id: str) -> DimensionResult:
    try:
        return assessment.dimension(dimension_id)
    except KeyError:
        return DimensionResult(dimension_id, None)


@dataclass(frozen=True, slots=True)
class Cell:
    """The criteria of one dimension at one level. Not-applicable criteria are left
    out of ``total``: they neither count for nor against the level."""

    met: int = 0
    total: int = 0
    not_assessed: int = 0
    errors: int = 0
    not_applicable: int = 0

    @property
    def state(self) -> CellState:
        if self.total == 0:
            return "not_applicable" if self.not_applicable else "empty"
        if self.met == self.total:
            return "met"
        if self.met == 0 and self.not_assessed == self.total:
            return "not_assessed"
        if self.met == 0:
            return "unmet"
        return "partial"

    @property
    def ratio(self) -> str:
        """ "2/3", or "n/a" / "–" when nothing counts."""
        if self.total == 0:
            return "n/a" if self.not_applicable else "–"
        return f"{self.met}/{self.total}"

    @property
    def marks(self) -> str:
        """ " ?1 !2": how many are not assessed (?) or errors (!)."""
        out = ""
        if self.not_assessed:
            out += f" ?{self.not_assessed}"
        if self.errors:
            out += f" !{self.errors}"
        return out

    @property
    def text(self) -> str:
        return self.ratio + self.marks


GRID_LEGEND = (
    "Cells: criteria met / criteria that apply; ?n not assessed, !n errors; "
    "not-applicable criteria are left out."
)


def grid(assessment: Assessment) -> dict[str, dict[int, Cell]]:
    """Dimension -> level -> cell, for every dimension and levels 1-4."""
    counts: dict[tuple[str, int], Counter[Outcome]] = {}
    for f in assessment.findings:
        key = (f.criterion.dimension, f.criterion.level)
        counts.setdefault(key, Counter())[f.outcome] += 1
    out: dict[str, dict[int, Cell]] = {}
    for did in dimension_ids(assessment):
        row: dict[int, Cell] = {}
        for level in LEVELS:
            c = counts.get((did, level), Counter())
            row[level] = Cell(
                met=c[Outcome.MET] + c[Outcome.WAIVED],
                total=sum(c.values()) - c[Outcome.NOT_APPLICABLE],
                not_assessed=c[Outcome.NOT_ASSESSED],
                errors=c[Outcome.ERROR],
                not_applicable=c[Outcome.NOT_APPLICABLE],
            )
        out[did] = row
    return out


def grouped(findings: Iterable[Finding]) -> list[tuple[str, list[tuple[int, list[Finding]]]]]:
    """Findings by dimension (model order first), then level; rubric order within."""
    by_dim: dict[str, dict[int, list[Finding]]] = {}
    for f in findings:
        by_dim.setdefault(f.criterion.dimension, {}).setdefault(f.criterion.level, []).append(f)
    order = list(DIMENSIONS) + sorted(set(by_dim) - set(DIMENSIONS))
    return [(did, sorted(by_dim[did].items())) for did in order if did in by_dim]


def counts_line(assessment: Assessment) -> str:
    """ "12 met · 3 unmet · 1 not applicable · 2 not assessed · 0 errors"."""
    counts = assessment.counts()
    parts = []
    for outcome in Outcome:
        n = counts[outcome.value]
        label = OUTCOME_LABELS[outcome]
        if outcome is Outcome.ERROR and n != 1:
            label = "errors"
        parts.append(f"{n} {label}")
    return " · ".join(parts)


def question_of(f: Finding) -> str | None:
    """The question to answer, for a question criterion left unanswered."""
    if f.outcome is Outcome.NOT_ASSESSED and f.criterion.detection.question:
        return f.criterion.detection.question
    return None


def unreadable_summary(repo: RepoInfo) -> str | None:
    """One line: how many paths were not read, by reason; None when all were read."""
    if not repo.unreadable:
        return None
    reasons = Counter(u.reason for u in repo.unreadable)
    n = len(repo.unreadable)
    noun = "path" if n == 1 else "paths"
    detail = "; ".join(f"{clean(reason)} ({k})" for reason, k in reasons.most_common())
    return f"{n} {noun} not read: {detail}"


def repo_line(repo: RepoInfo) -> str:
    """ "main @ 1a2b3c4, 42 commits, 120 files" or "not a git repository, 12 files"."""
    parts: list[str] = []
    if repo.is_git:
        ref = clean(repo.branch) or "detached"
        if repo.head:
            ref += f" @ {clean(repo.head)[:12]}"
        parts.append(ref)
        if repo.commits is not None:
            parts.append(f"{repo.commits} commit" + ("" if repo.commits == 1 else "s"))
    else:
        parts.append("not a git repository")
    parts.append(f"{repo.files} file" + ("" if repo.files == 1 else "s"))
    return ", ".join(parts)


def plan_heading(assessment: Assessment) -> str:
    """ "Plan: level 1 → 3 (4 steps, 6–12 days)" or a note that nothing is left."""
    plan = assessment.plan
    if not plan.steps:
        return f"Plan: nothing to do to reach level {plan.target_level}"
    n = len(plan.steps)
    steps = f"{n} step" + ("" if n == 1 else "s")
    return (
        f"Plan: level {plan.current_level} → {plan.target_level} "
        f"({steps}, {days(plan.effort_days)})"
    )


#: How a step without a catalog component reads.
PEOPLE_STEP = "none: a people and process step"
