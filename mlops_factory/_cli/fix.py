"""`mlops-factory fix`: close a repository's maturity gaps with catalog components."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from mlops_factory._fix import FixPlan, FixResult

HELP = "Assess a repository and apply the catalog components that close its gaps."
DESCRIPTION = """\
Assess the repository at PATH, map every unmet criterion up to level --target to the
catalog component that provides it (groups such as ci resolve to the provider the
repository uses, or --data ci=...; components they require are added), show the plan
(components, the criteria each closes, the files each adds), apply the components after
confirmation, re-assess and print the level per dimension before and after. Criteria no
component can close (people, process) stay in the plan as actions for people.

Answers for the components: as for `mlops-factory add` (--data, --data-file, the
project's recorded answers, the repository, the terminal, --defaults).

Existing files are never changed silently: the plan lists every existing file that a
component would change (a conflict). By default a conflict stops the run before anything
is written; --conflict inline writes the conflicting files with git-style conflict blocks
to resolve by hand. Nothing else of yours is touched.

On a terminal you confirm the plan; otherwise pass --yes. --dry-run prints the plan and
the full diff and writes nothing.

Exit codes: 0 applied (or nothing to apply, or a clean dry run), 1 conflicts (nothing
written, or markers written with --conflict inline), 2 user error (including no --yes
without a terminal).

Example:
  mlops-factory fix . --target 3 --data owner=risk-ml --dry-run
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mlops_factory._cli.add import add_apply_arguments

    parser.add_argument("path", metavar="PATH", nargs="?", default=".", help="the repository")
    parser.add_argument(
        "--target",
        metavar="N",
        type=int,
        choices=(1, 2, 3, 4),
        required=True,
        help="the maturity level to reach (1-4)",
    )
    parser.add_argument("--yes", "-y", action="store_true", help="apply without asking")
    parser.add_argument("--answers", metavar="FILE", help="assessment questionnaire answers (YAML)")
    parser.add_argument("--rubric", metavar="FILE", help="a custom rubric YAML file")
    add_apply_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import sys

    from rich.console import Console

    from mlops_factory._errors import ExitCode, FactoryError
    from mlops_factory._fix import apply_fix, plan_fix
    from mlops_factory._scaffold import parse_data_items

    plan = plan_fix(
        args.path,
        target=args.target,
        data=parse_data_items(args.data),
        data_file=args.data_file,
        defaults=args.defaults,
        conflict=args.conflict,
        trust=args.trust,
        catalog=args.catalog,
        rubric=args.rubric,
        assessment_answers=args.answers,
    )
    console = Console()
    render_plan(console, plan)
    if plan.preview is None:
        if plan.people:
            console.print("No catalog component to apply: the remaining steps are for people.")
        else:
            console.print(f"Nothing to do: level {plan.target} is reached.")
        return int(ExitCode.OK)
    if args.dry_run:
        from mlops_factory._cli.add import render_outcome

        console.print("\n[bold]Dry run[/]: the changes, nothing is written.")
        return render_outcome(console, plan.preview, every_file=False)
    if plan.conflicts and plan.preview.conflict == "stop":
        from mlops_factory._cli.add import render_outcome

        return render_outcome(console, apply_fix(plan).applied or plan.preview, every_file=False)
    if not args.yes:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise FactoryError(
                "fix writes files: confirm with --yes (there is no terminal to ask)",
                hint="review the plan first with --dry-run",
            )
        import questionary

        if not questionary.confirm("Apply these components?", default=False).unsafe_ask():
            console.print("Nothing written.")
            return int(ExitCode.OK)
    result = apply_fix(plan)
    if result.applied is not None:
        from mlops_factory._cli.add import render_outcome

        code = render_outcome(console, result.applied, every_file=False)
    else:
        code = int(ExitCode.OK)
    render_levels(console, result)
    return code


def render_plan(console: Console, plan: FixPlan) -> None:
    """The plan: level now, components with their criteria and files, people's steps."""
    from rich.table import Table

    from mlops_factory._text import markup

    console.print(
        f"[bold]{markup(str(plan.project))}[/] is at level [bold]{plan.before.level}[/]; "
        f"target level {plan.target}.",
        highlight=False,
        soft_wrap=True,
    )
    if plan.components:
        table = Table(title="Components to apply", show_header=True, header_style="bold", box=None)
        table.add_column("#", justify="right")
        table.add_column("component")
        table.add_column("closes")
        table.add_column("adds")
        table.add_column("changes (conflicts)")
        for i, c in enumerate(plan.components, start=1):
            closes = ", ".join(c.criteria) or f"[dim]{markup(c.reason)}[/]"
            conflicts = ", ".join(c.conflicts)
            table.add_row(
                str(i),
                f"{c.name} {c.version}",
                closes,
                f"{len(c.creates)} file(s)",
                f"[bold red]{markup(conflicts)}[/]" if conflicts else "-",
            )
        console.print(table)
    if plan.people:
        table = Table(title="Actions for people", show_header=True, header_style="bold", box=None)
        table.add_column("level", justify="right")
        table.add_column("criteria")
        table.add_column("step")
        table.add_column("why not automatic", style="dim")
        for item in plan.people:
            table.add_row(
                str(item.step.level),
                ", ".join(item.step.criteria),
                markup(item.step.title),
                markup(item.reason),
            )
        console.print(table)
    for note in plan.notes:
        console.print(f"[yellow]note:[/] {markup(note)}", soft_wrap=True)


def render_levels(console: Console, result: FixResult) -> None:
    """The level per dimension before and after."""
    from rich.table import Table

    from mlops_factory._assess.model import DIMENSION_TITLES

    if result.after is None:
        return
    table = Table(title="Maturity level", show_header=True, header_style="bold", box=None)
    table.add_column("dimension")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for change in result.levels:
        before = "-" if change.before is None else str(change.before)
        after = "-" if change.after is None else str(change.after)
        style = "bold green" if (change.after or 0) > (change.before or 0) else ""
        table.add_row(
            DIMENSION_TITLES.get(change.id, change.id),
            before,
            f"[{style}]{after}[/]" if style else after,
        )
    table.add_row("[bold]overall[/]", str(result.level_before), str(result.level_after))
    console.print(table)
