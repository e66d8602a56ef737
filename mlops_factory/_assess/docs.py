"""The criteria reference, generated from the rubric (docs/criteria.md).

``python -m mlops_factory._assess.docs`` rewrites the file; ``--check`` exits 1
when it is stale. ``mlops-factory explain ID`` prints the same text for one
criterion (:func:`criterion_markdown`), so the terminal and the docs never
disagree.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from mlops_factory._assess.model import (
    DIMENSION_TITLES,
    DIMENSIONS,
    LEVEL_NAMES,
    Criterion,
    ModelStatement,
    Rubric,
)
from mlops_factory._io import atomic_write

GENERATED_BY = "python -m mlops_factory._assess.docs"
#: Where the reference lives in a source checkout.
DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "criteria.md"


def signal_descriptions() -> dict[str, str]:
    """Every registered signal's one-line description, by name."""
    from mlops_factory._assess.signals import registry

    return {name: spec.description for name, spec in registry().items()}


def _title(dimension: str) -> str:
    return DIMENSION_TITLES.get(dimension, dimension.replace("_", " ").capitalize())


def _level(level: int) -> str:
    name = LEVEL_NAMES.get(level)
    return f"{level} ({name})" if name else str(level)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _signal_items(names: Iterable[str], descriptions: Mapping[str, str]) -> list[str]:
    out = []
    for name in names:
        desc = descriptions.get(name)
        out.append(f"  - `{name}`: {desc}" if desc else f"  - `{name}`")
    return out


def _role_lines(c: Criterion, statements: Mapping[str, ModelStatement] | None) -> list[str]:
    """For a defining criterion: the model statements that make it defining."""
    if not c.defining:
        return []
    lines = ["**Defining because the model says, at this level:**", ""]
    for sid in c.rests_on:
        s = (statements or {}).get(sid)
        lines.append(f"- `{sid}`: {_one_line(s.text)}" if s else f"- `{sid}`")
    return [*lines, ""]


def criterion_markdown(
    criterion: Criterion,
    *,
    heading: int = 1,
    statements: Mapping[str, ModelStatement] | None = None,
    signals: Mapping[str, str] | None = None,
) -> str:
    """The full text of one criterion as Markdown.

    ``heading`` is the level of its title heading (1 = ``#``). ``statements``
    (by id) adds the text of the model statements it covers. ``signals`` maps
    signal names to descriptions; by default the signal registry is read when
    the criterion is decided by signals.
    """
    c = criterion
    d = c.detection
    r = c.remediation
    if signals is None and d.all_signals:
        signals = signal_descriptions()
    descriptions = signals or {}
    role = (
        "defining (gates the level)"
        if c.defining
        else "practice (reported and planned, never gates)"
    )
    lines = [
        f"{'#' * heading} {c.id}: {_one_line(c.title)}",
        "",
        f"**Level** {_level(c.level)} · **Dimension** {_title(c.dimension)} · **Role** {role}",
        "",
        f"**Why it matters.** {_one_line(c.motivation)}",
        "",
        *_role_lines(c, statements),
        f"**How it is detected.** {_one_line(d.description)}",
        "",
    ]
    if d.question:
        lines += [
            "- Asked as a question (questionnaire, or `--answers FILE`):",
            f"  > {_one_line(d.question)}",
        ]
    if d.signals:
        label = "Signal that must be found" if len(d.signals) == 1 else "All of these signals"
        lines.append(f"- {label}:")
        lines += _signal_items(d.signals, descriptions)
    if d.any_of:
        lines.append("- At least one of these (a group joined by `+` needs all its signals):")
        for group in d.any_of:
            if len(group) == 1:
                lines += _signal_items(group, descriptions)
            else:
                lines.append("  - " + " + ".join(f"`{n}`" for n in group))
                lines += ["  " + item for item in _signal_items(group, descriptions)]
    if d.applies_if:
        lines.append("- Applies only when these are found (otherwise not applicable):")
        lines += _signal_items(d.applies_if, descriptions)
    if not (d.question or d.signals or d.any_of):
        lines.append("- No signal or question: the criterion is never assessed automatically.")
    if c.evidence.strong or c.evidence.weak:
        lines += [
            "",
            f"**Strong evidence.** {_one_line(c.evidence.strong)}",
            "",
            f"**Weak evidence** (shown, never enough for a defining criterion alone)."
            f" {_one_line(c.evidence.weak)}",
        ]
    lines += ["", "**Model statements covered.**", ""]
    if c.covers:
        for sid in c.covers:
            s = (statements or {}).get(sid)
            if s is None:
                lines.append(f"- `{sid}`")
            else:
                lines.append(
                    f"- `{sid}` (level {s.level}, {_title(s.dimension)}): {_one_line(s.text)}"
                )
    else:
        lines.append("- None.")
    component = f"`{r.component}`" if r.component else "none: a people and process step"
    lo, hi = r.effort.days
    lines += [
        "",
        f"**Remediation.** {_one_line(r.text)}",
        "",
        f"- **Effort:** {r.effort.size} ({lo:g}–{hi:g} days)",
        f"- **Success criterion:** {_one_line(r.success)}",
        f"- **Deliverable:** {_one_line(r.deliverable)}",
        f"- **Catalog component:** {component}",
    ]
    return "\n".join(lines) + "\n"


_NOT_SLUG = re.compile(r"[^\w\- ]", re.UNICODE)


class _Anchors:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to
    hyphens, and -1, -2... for repeats in document order."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, heading: str) -> str:
        base = _NOT_SLUG.sub("", heading.strip().lower()).replace(" ", "-")
        n = self._seen.get(base, 0)
        self._seen[base] = n + 1
        return base if n == 0 else f"{base}-{n}"


def _dimension_order(criteria: Iterable[Criterion]) -> list[str]:
    present = {c.dimension for c in criteria}
    return [d for d in DIMENSIONS if d in present] + sorted(present - set(DIMENSIONS))


def ordered(criteria: Sequence[Criterion]) -> list[Criterion]:
    """Criteria by dimension (the model's order), then level, then rubric order."""
    dims = _dimension_order(criteria)
    return sorted(criteria, key=lambda c: (dims.index(c.dimension), c.level))


def _cell(text: str) -> str:
    return _one_line(text).replace("|", "\\|")


def criteria_reference(rubric: Rubric, *, signals: Mapping[str, str] | None = None) -> str:
    """The whole criteria reference: header, contents, one section per criterion,
    and which criteria cover each statement of the model."""
    if signals is None:
        signals = signal_descriptions()
    statements = {s.id: s for s in rubric.statements}
    criteria = ordered(rubric.criteria)
    anchor = _Anchors()
    title = "MLOps maturity criteria"
    anchor(title)
    anchor("Contents")

    sections: list[str] = []
    toc: list[str] = []
    links: dict[str, str] = {}
    for dim in _dimension_order(criteria):
        dim_title = _title(dim)
        sections += [f"## {dim_title}", ""]
        toc.append(f"- [{dim_title}](#{anchor(dim_title)})")
        for level in sorted({c.level for c in criteria if c.dimension == dim}):
            level_heading = f"Level {level}: {LEVEL_NAMES.get(level, '')}".rstrip(": ")
            sections += [f"### {level_heading}", ""]
            anchor(level_heading)
            toc.append(f"  - {level_heading}")
            for c in (c for c in criteria if c.dimension == dim and c.level == level):
                text = criterion_markdown(c, heading=4, statements=statements, signals=signals)
                links[c.id] = anchor(f"{c.id}: {_one_line(c.title)}")
                toc.append(f"    - [{c.id}](#{links[c.id]}) {_one_line(c.title)}")
                sections += [text]

    covered_by: dict[str, list[str]] = {s.id: [] for s in rubric.statements}
    for c in rubric.criteria:
        for sid in c.covers:
            covered_by.setdefault(sid, []).append(c.id)
    statements_heading = "Model statements and the criteria that cover them"
    toc.append(f"- [{statements_heading}](#{anchor(statements_heading)})")
    table = [
        f"## {statements_heading}",
        "",
        "Every statement of the maturity model's level tables, and the criteria that cover it.",
        "",
        "| Statement | Level | Area | Text | Covered by |",
        "|---|---|---|---|---|",
    ]
    for s in rubric.statements:
        ids = covered_by.get(s.id, [])
        by = ", ".join(f"[{cid}](#{links[cid]})" for cid in ids) if ids else "**not covered**"
        table.append(
            f"| `{s.id}` | {s.level} | {_cell(_title(s.dimension))} | {_cell(s.text)} | {by} |"
        )

    n = len(rubric.criteria)
    questions = len(rubric.questions())
    header = [
        f"<!-- do not edit — generated by `{GENERATED_BY}` -->",
        "",
        f"# {title}",
        "",
        f"> **Do not edit — generated by `{GENERATED_BY}`** from the rubric "
        f"`{rubric.id}` version {rubric.version} ({_one_line(rubric.title)}). "
        "Edit the rubric and regenerate; a test fails when this file is stale.",
        "",
        f"{n} criteria ({n - questions} decided from the repository, {questions} asked as "
        f"questions) over {len(rubric.statements)} model statements. A dimension reaches "
        "level L when every criterion of levels 1 to L in it is met. "
        "`mlops-factory explain ID` prints one criterion in the terminal.",
        "",
        "## Contents",
        "",
        *toc,
        "",
    ]
    return "\n".join([*header, *sections, *table]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate docs/criteria.md, or with ``--check`` exit 1 when it is stale."""
    parser = argparse.ArgumentParser(
        prog=GENERATED_BY, description="Generate the criteria reference from the rubric."
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the file is stale; write nothing"
    )
    parser.add_argument("--rubric", metavar="FILE", help="rubric file (default: built-in)")
    parser.add_argument(
        "--output", metavar="FILE", type=Path, default=DEFAULT_OUTPUT, help="file to write"
    )
    args = parser.parse_args(argv)

    from mlops_factory._assess.rubric import load_rubric
    from mlops_factory._errors import FactoryError

    try:
        rubric = load_rubric(args.rubric)
    except FactoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return write_or_check(args.output, criteria_reference(rubric), args.check, GENERATED_BY)


def write_or_check(out: Path, text: str, check: bool, generated_by: str) -> int:
    """Write a generated page (atomically, only when it changed), or with ``check`` exit 1
    when it is stale. Shared by the generated pages of docs/."""
    if not out.parent.is_dir():
        print(f"error: folder {out.parent} does not exist", file=sys.stderr)
        return 2
    try:
        current = out.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    if current == text:
        print(f"{out} is up to date")
        return 0
    if check:
        print(f"{out} is stale: run `{generated_by}`", file=sys.stderr)
        return 1
    atomic_write(out, text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
