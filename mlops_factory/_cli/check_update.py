"""`mlops-factory check-update`: which components of which projects are behind the catalog."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mlops_factory._cli import _options

if TYPE_CHECKING:
    from mlops_factory._scaffold._update import UpdateReport

HELP = "Report which catalog components of one or many projects are behind the catalog."
DESCRIPTION = """\
For each PATH (default: the current folder), compare the component versions recorded in
its .mlops-factory/*.yml answers files with the catalog's versions: current, behind
(with the kind of change: major, minor, patch), or special cases (not in the catalog any
more, from another catalog, newer than the catalog). Made for a scheduled job over a
fleet of repositories.

A catalog is identified by the name its catalog.yaml declares, so a clone of it at any
path (or its git URL) checks the projects generated from another clone.

Exit codes: 0 every component of every PATH was checked and is current; 1 at least one
component is behind; 2 something could not be checked, with the reason (a PATH that is
not a project, a component from another catalog, unversioned, unknown to the catalog or
newer than it, an unreachable catalog) or another user error; 2 wins over 1.

Examples:
  mlops-factory check-update repos/* --format json
  mlops-factory check-update repos/* --catalog gh:acme/mlops-catalog --vcs-ref v2
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", metavar="PATH", nargs="*", default=["."], help="projects to check")
    _options.add_format(parser, ("terminal", "json"), help_suffix="; `table` is an old name")
    _options.add_catalog(parser, vcs_ref=True)


def run(args: argparse.Namespace) -> int:
    from mlops_factory._errors import ExitCode
    from mlops_factory._scaffold._update import check_updates

    report = check_updates(args.paths, catalog=_options.catalog(args))
    if args.format == "json":
        import json
        import sys

        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        _table(report, _options.catalog_args(args))
    if not report.complete:
        return int(ExitCode.USER_ERROR)
    return int(ExitCode.GATE_FAILED if report.behind else ExitCode.OK)


def _table(report: UpdateReport, catalog_args: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from mlops_factory._text import markup

    console = Console()
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("project", "component", "recorded", "catalog", "status"):
        table.add_column(column)
    styles = {"current": "green", "behind": "bold yellow"}
    for project in report.projects:
        where = markup(str(project.path))
        if project.error is not None:
            table.add_row(where, "-", "-", "-", f"[bold red]error[/]: {markup(project.error)}")
            continue
        for c in project.components:
            status = c.status + (f" ({c.change})" if c.change else "")
            if c.note:
                status += f": {c.note}"
            style = styles.get(c.status, "dim")
            table.add_row(
                where,
                markup(c.name),
                markup(c.recorded or "-"),
                c.current or "-",
                f"[{style}]{markup(status)}[/]",
            )
            where = ""
    console.print(table)
    behind = sum(len(p.behind) for p in report.projects)
    unchecked = sum(len(p.unchecked) for p in report.projects)
    source = (
        "built-in catalog"
        if report.builtin
        else f"catalog {report.catalog_name!r} ({report.catalog_source})"
    )
    if behind:
        console.print(
            f"{behind} component(s) behind the {markup(source)} {report.catalog_version}; "
            f"run `mlops-factory update PATH{markup(catalog_args)}`",
            highlight=False,
            soft_wrap=True,
        )
    if unchecked or report.errors:
        what = []
        if unchecked:
            what.append(f"{unchecked} component(s) could not be checked (see their status)")
        if report.errors:
            what.append(f"{len(report.errors)} path(s) could not be read")
        console.print(
            f"[bold red]Incomplete:[/] {'; '.join(what)}; only what was checked is reported.",
            highlight=False,
            soft_wrap=True,
        )
        import shlex

        for project in report.projects:
            origin = project.origin
            if origin is None or not origin.source:
                continue
            if any(c.status == "other-catalog" for c in project.components):
                command = f"mlops-factory check-update {shlex.quote(str(project.path))}"
                console.print(
                    f"  {markup(str(project.path))} comes from catalog {markup(origin.name)!r}: "
                    f"{markup(command + origin.catalog_args())}",
                    highlight=False,
                    soft_wrap=True,
                )
    elif not behind:
        console.print(f"All components match the {markup(source)}.", highlight=False)
