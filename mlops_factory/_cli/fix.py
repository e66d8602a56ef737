"""`mlops-factory fix`: close a repository's maturity gaps with catalog components."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from mlops_factory._fix import FixPlan, FixResult, PeopleStep

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

On a repository with code of its own, the components are bound to that code: the plan
shows each binding (training entry point, test and install commands, model file, serving
app, dependency manager, Python version, licence) and the file it was read from
(--data train_command=... and the like override them). The CI it adds runs the
repository's own tests and training; the tracking adapter wraps its training function.
Components that would add a second, generated project beside the repository's code
(base, training-pipeline, serving, ONNX...) are not applied: their criteria stay steps,
each with the command that carries it out or shows it. A criterion is claimed only when
its binding is certain; what could not be wired is listed ("scaffolded: ..."). The
licence, package name, Python version and dependency manager are never changed: a
component that would change one is a conflict, and nothing is written. --no-bind
applies the catalog's templates as they are (a generated project beside the code).

On a terminal you confirm the plan; otherwise pass --yes. The plan is a summary
(components, bindings, files added and changed, the criteria each closes); --dry-run
writes nothing and never asks for answers (it lists what it would ask); --diff prints the
full diff.

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

    from mlops_factory._cli import _options
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
        catalog=_options.catalog(args),
        rubric=args.rubric,
        assessment_answers=args.answers,
        preview=args.dry_run,
        bind=args.bind,
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

        return render_outcome(console, plan.preview, every_file=False, diff=args.diff, notes=False)
    if plan.choice_conflicts or (plan.conflicts and plan.preview.conflict == "stop"):
        from mlops_factory._cli.add import render_outcome

        return render_outcome(
            console, apply_fix(plan).applied or plan.preview, every_file=False, notes=False
        )
    if args.diff:
        console.out(plan.preview.diff(), highlight=False, end="")
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

        code = render_outcome(console, result.applied, every_file=False, notes=False)
    else:
        code = int(ExitCode.OK)
    if result.after is not None:
        render_claims(console, plan)
    render_levels(console, result)
    return code


def render_plan(console: Console, plan: FixPlan) -> None:
    """The plan at a glance: level now, bindings, components with the criteria each closes
    (and the repository code it rests on) and their files, what is left to wire, and the
    steps for people, each with its command."""
    from rich.table import Table

    from mlops_factory._text import markup

    console.print(
        f"[bold]{markup(str(plan.project))}[/] is at level [bold]{plan.before.level}[/]; "
        f"target level {plan.target}.",
        highlight=False,
        soft_wrap=True,
    )
    if plan.preview is not None and any(c.bound for c in plan.components):
        from mlops_factory._cli.add import render_bindings

        render_bindings(console, plan.preview, todo=False)  # the steps list them
    if plan.components:
        table = Table(title="Components to apply", show_header=True, header_style="bold", box=None)
        table.add_column("#", justify="right")
        table.add_column("component")
        table.add_column("closes")
        table.add_column("adds")
        table.add_column("changes (conflicts)")
        for i, c in enumerate(plan.components, start=1):
            closes = ", ".join(c.criteria) or (
                "[dim]none claimed (scaffolded)[/]" if c.bound else f"[dim]{markup(c.reason)}[/]"
            )
            conflicts = ", ".join(c.conflicts)
            table.add_row(
                str(i),
                f"{c.name} {c.version}" + (" [dim](bound)[/]" if c.bound else ""),
                closes,
                f"{len(c.creates)} file(s)",
                f"[bold red]{markup(conflicts)}[/]" if conflicts else "-",
            )
        console.print(table)
    if plan.people:
        # One row per reason, so the plan fits a screen: the steps a component is not
        # applied for, or that are people's work, share it.
        grouped: dict[str, list[PeopleStep]] = {}
        for item in plan.people:
            grouped.setdefault(item.reason, []).append(item)
        table = Table(title="Steps left", show_header=True, header_style="bold", box=None)
        table.add_column("level", justify="right")
        table.add_column("criteria")
        table.add_column("why not automatic", style="dim")
        table.add_column("command")
        for reason, items in grouped.items():
            levels = sorted({i.step.level for i in items})
            commands = list(dict.fromkeys(i.command for i in items if i.command))
            if commands and all(c.startswith("mlops-factory explain ") for c in commands):
                commands = commands[:1] + (
                    [f"(and {len(commands) - 1} more)"] if commands[1:] else []
                )
            table.add_row(
                "-".join(map(str, (levels[0], levels[-1]))) if len(levels) > 1 else str(levels[0]),
                ", ".join(cid for i in items for cid in i.step.criteria),
                markup(reason),
                markup("\n".join(commands)) or "-",
            )
        console.print(table)
    for note in plan.notes:
        console.print(f"[yellow]note:[/] {markup(note)}", soft_wrap=True)


def render_claims(console: Console, plan: FixPlan) -> None:
    """The criteria claimed by bound components, each with the repository code it cites."""
    from mlops_factory._text import markup

    for component in plan.components:
        for criterion, cites in component.cites.items():
            console.print(
                f"[green]{criterion}[/] ({markup(component.name)}) rests on "
                + markup("; ".join(cites)),
                soft_wrap=True,
            )


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
