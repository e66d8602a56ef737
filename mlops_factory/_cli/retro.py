"""`mlops-factory retro`: a project retrospective with action items."""

from __future__ import annotations

import argparse

from mlops_factory._cli import _options

HELP = "Write a project retrospective: what the team changed, what to harvest, what to adopt."
DESCRIPTION = """\
Compare a project with what its catalog components produce for its recorded answers
(at the recorded versions and at the catalog's current ones), list the generated files
the team improved or deleted and the files it added (generic or project-specific), find
reuse candidates in any repository (CI workflows, IaC, container files, utility
modules), and end with action items: the exact `mlops-factory harvest` and
`mlops-factory add` command lines.

The report is Markdown (printed, and written with --output) or JSON (--format json).
Exit codes: 0 report written, 2 user error, 3 internal error.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="project folder (default: .)")
    parser.add_argument(
        "--catalog",
        metavar="DIR",
        help="the catalog the project was generated from (default: built-in)",
    )
    parser.add_argument(
        "--harvest-catalog",
        metavar="DIR",
        help="the catalog the harvest commands write to (default: --catalog when it is not "
        "the built-in one, else ./mlops-catalog)",
    )
    parser.add_argument(
        "--answers", metavar="FILE", help="questionnaire answers for the assessment (YAML)"
    )
    _options.add_format(parser, ("markdown", "json"), default="markdown")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--trust",
        action="store_true",
        help="allow components of a non-built-in catalog that run code while rendering",
    )


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from mlops_factory._errors import ExitCode
    from mlops_factory._factory import retro
    from mlops_factory._io import check_output_path, write_output

    if args.output:
        check_output_path(args.output)
    report = retro(
        args.path,
        catalog=args.catalog,
        harvest_catalog=args.harvest_catalog,
        answers=args.answers,
        trust=args.trust,
        display_path=args.path,
    )
    if args.format == "json":
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
        if args.output:
            write_output(args.output, text)
            print(f"wrote the retrospective (json) to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return int(ExitCode.OK)

    from rich.console import Console
    from rich.markdown import Markdown

    text = report.to_markdown()
    if args.output:
        write_output(args.output, text)
    Console().print(Markdown(text))
    if args.output:
        print(f"wrote the retrospective to {args.output}", file=sys.stderr)
    return int(ExitCode.OK)
