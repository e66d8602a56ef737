"""`mlops-factory update`: move a project's components to the catalog's versions."""

from __future__ import annotations

import argparse

from mlops_factory._cli import _options

HELP = "Move every catalog component of a project to the catalog's current version."
DESCRIPTION = """\
Move every component recorded in PATH's .mlops-factory/*.yml answers files (or only
--component NAME) to the catalog's current version, with a three-way merge like `copier
update`: the component is rendered at the version the project records and at the
catalog's version with the project's answers, and the difference is merged into your
files. Local edits survive, template changes arrive, files the new version adds are
created; where your edits and the template's overlap the file gets git-style conflict
blocks (<<<<<<< yours / ======= / >>>>>>> component version) to resolve by hand.

PATH must be a git work tree without uncommitted changes (commit or stash first), so the
update can be reviewed with `git diff` and undone. Nothing is committed. --dry-run prints
the full diff and writes nothing (a dirty tree is fine then).

Exit codes: 0 updated cleanly or already current, 1 conflicts written (resolve the
markers), 2 user error (not a git repository, uncommitted changes, no answers files, a
component from another catalog or newer than the catalog).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", nargs="?", default=".", help="the project")
    parser.add_argument(
        "--component",
        metavar="NAME",
        action="append",
        help="update only this component (repeatable)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the full diff and write nothing"
    )
    _options.add_trust(parser)
    _options.add_catalog(parser, vcs_ref=True)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from mlops_factory._errors import ExitCode
    from mlops_factory._scaffold._update import update_project
    from mlops_factory._text import markup

    result = update_project(
        args.path,
        catalog=_options.catalog(args),
        components=args.component,
        dry_run=args.dry_run,
        trust=args.trust,
    )
    console = Console()
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("component")
    table.add_column("recorded")
    table.add_column("catalog")
    table.add_column("result")
    for item in result.components:
        if item.action == "updated":
            what = "would update" if result.dry_run else "updated"
            what = f"[bold]{what}[/]"
            if item.conflicts:
                what += f" [bold red]({len(item.conflicts)} conflict(s))[/]"
        elif item.action == "current":
            what = "[green]current[/]"
        else:
            what = f"[yellow]skipped[/]: {markup(item.note)}"
        table.add_row(markup(item.name), markup(item.recorded or "-"), item.current or "-", what)
    console.print(table)
    changed = [c for c in result.changes if c.kind not in ("unchanged",)]
    for change in changed:
        note = f" ({markup(change.note)})" if change.note else ""
        console.print(f"  {change.kind:9} {markup(change.path)}{note}", highlight=False)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {markup(note)}", soft_wrap=True)
    if result.dry_run:
        diff = result.diff()
        if diff:
            console.print()
            console.out(diff, highlight=False, end="")
        console.print("Dry run: nothing written.")
    elif not result.updated:
        console.print("Everything is current.")
    else:
        console.print(
            f"[bold green]Updated[/] {len(result.updated)} component(s); "
            f"{len(result.written)} file(s) written. Review with `git diff`, then commit."
        )
    if result.conflicts:
        console.print(
            f"[bold red]{len(result.conflicts)} conflict(s)[/]"
            + (" would need resolving" if result.dry_run else "")
            + f": {markup(', '.join(c.path for c in result.conflicts))}. "
            "Resolve the blocks between <<<<<<< yours and >>>>>>>.",
            soft_wrap=True,
        )
        return int(ExitCode.GATE_FAILED)
    return int(ExitCode.OK)
