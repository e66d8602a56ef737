"""The retrospective as Markdown (a wiki page that ends with action items).

Text from the project (paths, commit subjects, author names, identifiers) goes into
code spans or is backslash-escaped with the assessment renderer's helpers, so a file
name or a commit message cannot format the page or inject HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mlops_factory._assess.render import _common as c
from mlops_factory._assess.render.markdown import code, escape
from mlops_factory._text import clean

if TYPE_CHECKING:
    from mlops_factory._factory._retro import FileFinding, RetroReport

#: Rows listed per file table; the JSON output has them all.
MAX_ROWS = 50


def _values(finding: FileFinding) -> str:
    if not finding.values:
        return ""
    return ", ".join(f"{k} ×{n}" for k, n in finding.values.items())


def _rows(items: Sequence[FileFinding]) -> tuple[Sequence[FileFinding], str | None]:
    if len(items) <= MAX_ROWS:
        return items, None
    return items[:MAX_ROWS], f"… and {len(items) - MAX_ROWS} more (see `--format json`)."


def _table(header: Sequence[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows]
    return out


def _section(
    lines: list[str],
    title: str,
    intro: str,
    items: Sequence[FileFinding],
    header: list[str],
    row: Callable[[FileFinding], list[str]],
) -> None:
    lines += ["", f"### {title} ({len(items)})", ""]
    if not items:
        lines.append("None.")
        return
    lines += [intro, ""]
    shown, more = _rows(items)
    lines += _table(header, [row(f) for f in shown])
    if more:
        lines += ["", more]


def render_markdown(report: RetroReport) -> str:
    """The retrospective report as GitHub-flavoured Markdown."""
    from mlops_factory._factory._retro import kind_title

    name = report.project_name or report.project.name
    a = report.assessment
    lines = [f"# Retrospective: {escape(name)}", ""]
    catalog = "the built-in catalog" if report.catalog_builtin else code(str(report.catalog_path))
    lines.append(
        f"Project {code(str(report.project))}, compared with {catalog} "
        f"(version {escape(report.catalog_version)}) by mlops-factory "
        f"{escape(report.tool_version)} on {escape(report.generated_at)}."
    )

    lines += ["", "## Maturity", "", f"**{c.overall(a)}**", ""]
    rows = []
    for did in c.dimension_ids(a):
        d = c.dimension_result(a, did)
        level = c.dimension_level(d)
        named = (
            "" if d.level is None else f" — {escape(c.level_title(d.level).split(' — ', 1)[-1])}"
        )
        rows.append([escape(c.dimension_title(did)), f"{level}{named}"])
    lines += _table(["Dimension", "Level"], rows)
    if any(d.level is None for d in a.dimensions):
        lines += [
            "",
            "People and process criteria are questions: pass `--answers FILE` (the same file "
            "as `mlops-factory assess --answers`) to score them.",
        ]

    lines += ["", "## What changed since the project was generated", ""]
    if not report.from_catalog:
        lines.append(
            "The project was not generated from the catalog (no `.mlops-factory/` answers "
            "files), so there is no generated baseline to compare with."
        )
    else:
        if report.pattern:
            lines.append(
                f"Generated from pattern {code(report.pattern)} with "
                f"{len(report.components)} components."
            )
        h = report.history
        if h is not None and h.generation_commit:
            lines += [
                "",
                f"Generation commit {code(h.generation_commit[:12])} "
                f"({escape(h.generation_date or 'unknown date')}): **{h.commits_since}** "
                f"commits since, by {h.authors} author(s), touching "
                f"{len(h.files_touched)} file(s).",
            ]
            if h.recent:
                lines += ["", "Latest commits:", ""]
                lines += [
                    f"- {code(x.sha)} {escape(x.date[:10])} {escape(x.author)}: {escape(x.subject)}"
                    for x in h.recent
                ]
        rows = []
        for s in report.components:
            status = {
                "current": "up to date",
                "behind": "**template changed since** (`mlops-factory update`)",
                "ahead": "newer than the catalog",
                "unknown": "no version recorded",
                "not_in_catalog": "not in this catalog",
            }.get(s.status, s.status)
            if s.status == "behind" and not s.recorded_available:
                status += "; recorded version not in the template cache"
            rows.append(
                [
                    code(s.name, in_table=True),
                    escape(s.recorded_version or "—"),
                    escape(s.catalog_version or "—"),
                    status,
                ]
            )
        lines += [""]
        lines += _table(["Component", "Generated at", "Catalog now", "Status"], rows)

        lines += ["", "## Files compared with the templates"]
        _section(
            lines,
            "Improved by the team",
            "Generated files the team changed (compared with what the component produced "
            "at the recorded version).",
            report.improved,
            ["File", "Component", "Template changed since", "Note"],
            lambda f: [
                code(f.path, in_table=True),
                code(f.component or "", in_table=True),
                "yes" if f.template_changed else "no",
                escape(f.note),
            ],
        )
        _section(
            lines,
            "Added, generic",
            "Files the team added that look generic once harvest replaces the project's "
            "values (no identifiers that appear only in this project).",
            report.added_generic,
            ["File", "Kind", "Values harvest replaces", "Harvest into"],
            lambda f: [
                code(f.path, in_table=True),
                escape(kind_title(f.kind)),
                escape(_values(f)),
                code(f.target or "", in_table=True) if f.target else "",
            ],
        )
        _section(
            lines,
            "Added, project-specific",
            "Files the team added that refer to identifiers that appear only in this project.",
            report.added_specific,
            ["File", "Kind", "Project-only identifiers"],
            lambda f: [
                code(f.path, in_table=True),
                escape(kind_title(f.kind)),
                ", ".join(code(i, in_table=True) for i in f.identifiers[:5])
                + (f" +{len(f.identifiers) - 5}" if len(f.identifiers) > 5 else ""),
            ],
        )
        _section(
            lines,
            "Deleted",
            "Generated files the team removed.",
            report.deleted,
            ["File", "Component"],
            lambda f: [code(f.path, in_table=True), code(f.component or "", in_table=True)],
        )
        _section(
            lines,
            "Changed by the template since",
            "Files the team did not touch whose template changed since the recorded "
            "version (`mlops-factory update` brings the change).",
            report.template_changed,
            ["File", "Component", "Note"],
            lambda f: [
                code(f.path, in_table=True),
                code(f.component or "", in_table=True),
                escape(f.note),
            ],
        )
        _section(
            lines,
            "New in the current templates",
            "Files the current catalog version adds that the project does not have yet.",
            report.template_new,
            ["File", "Component"],
            lambda f: [code(f.path, in_table=True), code(f.component or "", in_table=True)],
        )

    lines += ["", "## Reuse candidates", ""]
    if report.reuse_candidates:
        if report.from_catalog:
            intro = "Files the team added that look generic (data, models and notebooks left out)."
        else:
            intro = (
                "CI workflows, infrastructure as code, container files and self-contained "
                "utility modules without identifiers that appear only in this project."
            )
        lines += [intro, ""]
        shown, more = _rows(report.reuse_candidates)
        lines += _table(
            ["File", "Kind", "Values harvest replaces", "Harvest into"],
            [
                [
                    code(f.path, in_table=True),
                    escape(kind_title(f.kind)),
                    escape(_values(f)),
                    code(f.target or "", in_table=True),
                ]
                for f in shown
            ],
        )
        if more:
            lines += ["", more]
    else:
        lines.append("None found.")

    lines += ["", "## Action items", ""]
    if not report.actions:
        lines.append("None: the project matches its templates and meets what the catalog offers.")
    for number, action in enumerate(report.actions, start=1):
        lines.append(f"{number}. {_title(action.title)}")
        if action.command:
            lines += ["", "   ```sh", f"   {clean(action.command)}", "   ```", ""]
    if report.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {escape(n)}" for n in report.notes]
    return "\n".join(lines).rstrip() + "\n"


def _title(text: str) -> str:
    """An action title: its `code spans` are kept, the rest escaped."""
    parts = text.split("`")
    out = []
    for index, part in enumerate(parts):
        out.append(code(part) if index % 2 else escape(part))
    return "".join(out)
