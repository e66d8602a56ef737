"""`mlops-factory portfolio`: assess many repos, keep their history, show the whole picture."""

from __future__ import annotations

import argparse

from mlops_factory._cli import _options

HELP = "Assess many repositories at once: table, history, JSON and an HTML dashboard."
DESCRIPTION = """\
Assess many repositories in parallel and show them side by side: levels per dimension,
overall, change since the last run and the trend. Every run is stored in a SQLite
history database (--db, default ./mlops-portfolio.db).

Inputs (any mix):
  DIR            a repository (it has .git, or project files such as pyproject.toml,
                 README*, *.py at its top), or else a folder of repositories (its
                 immediate subfolders that are repositories)
  FILE.json      a result of `mlops-factory assess --format json` made elsewhere,
                 e.g. in each repository's CI; named after the file (churn.json ->
                 churn; churn/assessment.json -> churn)
  FILE           a list of the above, one per line, relative to the list file;
                 blank lines and # comments are ignored

Exit codes: 0 every input scored (and none below --fail-under); 1 some input could
not be scored, or a repo is below --fail-under; 2 nothing could be scored, or a
usage error. Results that could be scored are stored and rendered in every case.
"""


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be 1 or more (got {value})")
    return value


_FORMATS = ("terminal", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "repos",
        nargs="+",
        metavar="REPOS",
        help="repo folders, folders of repos, list files, .json",
    )
    parser.add_argument("--rubric", metavar="FILE", help="a rubric YAML file (default: built-in)")
    parser.add_argument(
        "--answers", metavar="FILE", help="questionnaire answers (YAML) applied to every repo"
    )
    parser.add_argument(
        "--jobs", "-j", type=_jobs, metavar="N", help="worker processes (default: CPU count)"
    )
    history = parser.add_mutually_exclusive_group()
    history.add_argument(
        "--db",
        metavar="PATH",
        default="mlops-portfolio.db",
        help="history database (SQLite; default: ./mlops-portfolio.db)",
    )
    history.add_argument(
        "--no-history", action="store_true", help="neither read nor write a history database"
    )
    _options.add_format(parser, _FORMATS, default=None, help_suffix="; `table` is an old name")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the table or JSON to FILE")
    parser.add_argument("--html", metavar="FILE", help="also write the HTML dashboard to FILE")
    parser.add_argument(
        "--fail-under",
        type=_options.level,
        metavar="N",
        help="exit 1 when a scored repo's overall level is below N",
    )
    parser.add_argument(
        "--timeout",
        type=_options.seconds_or_none,
        default=600.0,
        metavar="SECONDS",
        help="limit for one repository's assessment; slower ones fail (default 600; 'none')",
    )
    parser.add_argument(
        "--memory-limit",
        type=_options.size_or_none,
        default=4 * 1024**3,
        metavar="SIZE",
        help="address-space limit of each worker process; a repository that needs more "
        "fails (default 4GiB; 'none')",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def run(args: argparse.Namespace) -> int:
    import io
    import json
    import sys
    from collections.abc import Callable

    from rich.console import Console

    from mlops_factory._errors import ExitCode
    from mlops_factory._io import check_output_path, write_output
    from mlops_factory._portfolio import PortfolioResult, portfolio, render_dashboard
    from mlops_factory._portfolio.table import print_table

    err = Console(stderr=True)
    args.format = _options.output_format(args.format, args.output, _FORMATS)
    # Every file this run will write is vetted before the (long) run, not after it.
    for flag, path in (("--output", args.output), ("--html", args.html)):
        if path:
            check_output_path(path, flag)
    if not args.no_history:
        check_output_path(args.db, "--db", "the database")

    def go(progress: Callable[[int, int], None] | None = None) -> PortfolioResult:
        return portfolio(
            args.repos,
            rubric=args.rubric,
            answers=args.answers,
            jobs=args.jobs,
            db=None if args.no_history else args.db,
            progress=progress,
            timeout=args.timeout,
            memory_limit=args.memory_limit,
        )

    if args.no_progress or not err.is_terminal:
        result = go()
    else:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("assessing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("assessing", total=None)

            def on_progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = go(on_progress)

    # Files first: a closed stdout pipe (`| head`) must not cost the dashboard.
    if args.html:
        write_output(args.html, render_dashboard(result), "--html")
        print(f"wrote dashboard to {args.html}", file=sys.stderr)
    if args.format == "json":
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
        if args.output:
            write_output(args.output, text)
            print(f"wrote portfolio JSON to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    elif args.output:
        console = Console(file=io.StringIO(), record=True, width=120)
        print_table(result, console)
        write_output(args.output, console.export_text())
        print(f"wrote portfolio table to {args.output}", file=sys.stderr)
    else:
        print_table(result, Console())

    from mlops_factory._text import clean

    if args.format != "terminal" or args.output:  # else the table on screen lists them
        for repo in result.failed:
            print(f"not scored: {clean(repo.error)}", file=sys.stderr)
    if not result.scored:
        print(f"error: none of the {len(result.repos)} inputs could be scored", file=sys.stderr)
        return int(ExitCode.USER_ERROR)
    below = result.below(args.fail_under) if args.fail_under is not None else ()
    for repo in below:
        print(
            f"{clean(repo.name)}: level {repo.level} is below --fail-under {args.fail_under}",
            file=sys.stderr,
        )
    if result.failed or below:
        return int(ExitCode.GATE_FAILED)
    return int(ExitCode.OK)
