"""`mlops-factory new`: generate a project from the template catalog."""

from __future__ import annotations

import argparse

from mlops_factory._cli import _options

HELP = "Generate a new ML project from an architecture pattern of the template catalog."
DESCRIPTION = """\
Generate a new ML project in DEST from an architecture pattern (see `mlops-factory
templates`). Questions are asked on a terminal; otherwise answer them with --data
KEY=VALUE (repeatable), --data-file FILE (YAML) or accept the suggestions with --defaults.

Answer keys: project_name, package_name, description, owner, python_version, license,
pattern, ci (github, azure-devops, gitlab, jenkins, none), iac (terraform, bicep, none),
environments (e.g. dev,staging,prod), data_versioning (dvc, none).

DEST must be new or empty. With --force the generated files are added to a non-empty
DEST; a generated file whose path already exists with other content stops the run
before anything is written (identical files are kept). Generation is atomic: on an
error or Ctrl-C nothing is left behind. Then DEST gets `git init` and a first commit.

Example:
  mlops-factory new fraud-scoring --pattern realtime --data owner=risk-ml --data ci=gitlab
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", metavar="DEST", help="the project folder to create")
    parser.add_argument("--pattern", metavar="P", help="architecture pattern (default: realtime)")
    parser.add_argument(
        "--defaults", action="store_true", help="accept the suggested answer of every question"
    )
    parser.add_argument(
        "--data",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="an answer, e.g. --data ci=gitlab --data environments=dev,staging,prod",
    )
    parser.add_argument("--data-file", metavar="FILE", help="answers in a YAML file")
    parser.add_argument(
        "--force",
        action="store_true",
        help="allow a non-empty DEST (existing files are never overwritten)",
    )
    _options.add_trust(parser)
    parser.add_argument(
        "--no-git", dest="git", action="store_false", help="skip git init and the first commit"
    )
    _options.add_catalog(parser, vcs_ref=True)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from mlops_factory._errors import ExitCode
    from mlops_factory._scaffold import new_project, parse_data_items
    from mlops_factory._text import markup

    result = new_project(
        args.dest,
        pattern=args.pattern,
        data=parse_data_items(args.data),
        data_file=args.data_file,
        defaults=args.defaults,
        force=args.force,
        trust=args.trust,
        git=args.git,
        catalog=_options.catalog(args),
    )
    console = Console()
    console.print(
        f"[bold green]Created[/] {markup(str(result.dest))} "
        f"from the [bold]{markup(result.pattern)}[/] pattern",
        soft_wrap=True,  # a path broken over two lines cannot be copied
        highlight=False,
    )
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("component")
    table.add_column("version")
    table.add_column("answers file", style="dim")
    for component in result.components:
        table.add_row(component.name, component.version, component.answers_file)
    console.print(table)
    if result.commit:
        console.print(f"Initial commit [bold]{result.commit[:12]}[/] on branch main")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {markup(note)}")
    console.print("\n[bold]Next steps:[/]")
    for step in result.next_steps:
        console.print(f"  {markup(step)}", highlight=False, soft_wrap=True)
    return int(ExitCode.OK)
