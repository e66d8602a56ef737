"""`mlops-factory assess`: score a repository against the maturity model."""

from __future__ import annotations

import argparse
import sys

from mlops_factory._cli import _options

HELP = "Score a repository against the five-level MLOps maturity model and plan the next steps."
DESCRIPTION = """\
Score a repository (git checkout or plain folder) against the MLOps maturity model:
levels 0-4 over four dimensions (People, Model creation, Model release, Application
integration), with the evidence for every finding and a remediation plan.

Nothing in the repository is executed. People and process criteria are questions:
asked on a terminal, read from --answers FILE otherwise; unanswered ones are shown
as "not assessed" and never counted as met.

Levels: each criterion is defining (it gates its level) or a practice (reported,
never gating). Defining criteria are met on strong evidence only. Levels 2-4 are a
chain (training as code with tracking and a registry; automatic, validated release;
retraining from production metrics); level 1 (CI builds and tests) stands alone.

Answers file (YAML); `--no-input --save-answers FILE` writes one to fill in:
  rubric: mlops-maturity
  answers:
    PE-101: yes      # yes / no / n/a; left empty: not assessed

Output: --format, or the extension of -o FILE (.json, .md, .sarif, .html, .txt).

A folder inside a git repository assesses the whole repository (a note says so);
`--project .` assesses only that folder, with the repository's root CI still counting:
  mlops-factory assess repo/services/churn --project .

Waivers (.mlops-factory/waivers.yaml in the assessed repository):
  waivers:
    - criterion: MR-304
      reason: production releases are approved by the change board
      expires: 2027-06-30
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="repository folder (default: .)")
    parser.add_argument("--rubric", metavar="FILE", help="a rubric YAML file (default: built-in)")
    parser.add_argument("--answers", metavar="FILE", help="questionnaire answers (YAML)")
    parser.add_argument(
        "--save-answers",
        metavar="FILE",
        help="write the questionnaire with the answers used to FILE (unanswered ones empty)",
    )
    parser.add_argument("--no-input", action="store_true", help="never prompt, even on a terminal")
    _options.add_format(parser, _options.FORMATS, default=None)
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--target",
        type=_options.level,
        metavar="N",
        help="plan the path up to level N (default: next)",
    )
    parser.add_argument(
        "--project",
        metavar="DIR",
        help="assess one project folder of a monorepo, relative to PATH (the root's CI and "
        "build files still count)",
    )
    parser.add_argument(
        "--no-waivers",
        action="store_true",
        help="ignore .mlops-factory/waivers.yaml and show the raw result",
    )
    parser.add_argument(
        "--fail-under",
        type=_options.level,
        metavar="N",
        help="exit 1 when the overall level is below N (for CI gating)",
    )


def run(args: argparse.Namespace) -> int:
    import shlex
    from pathlib import Path

    from mlops_factory._assess.pipeline import assess, enclosing_repository
    from mlops_factory._assess.questions import ask_questions, load_answers, save_answers
    from mlops_factory._assess.rubric import load_rubric
    from mlops_factory._errors import ExitCode, FactoryError
    from mlops_factory._io import check_output_path, write_output

    if args.target is not None and args.target == 0:
        raise FactoryError("--target must be 1 to 4", "drop --target to plan the next level")
    if not Path(args.path).is_dir():
        raise FactoryError(
            f"{args.path} is not a folder", "pass the folder of a repository, e.g. `assess .`"
        )
    fmt = _options.output_format(args.format, args.output, _options.FORMATS)
    # Vet the files to write before any work, so a typo is exit 2, not a late traceback.
    if args.output:
        check_output_path(args.output)
    if args.save_answers:
        check_output_path(args.save_answers, "--save-answers", "the answers")
    rubric = load_rubric(args.rubric)
    answers = load_answers(args.answers, rubric) if args.answers else {}
    interactive = (
        not args.no_input
        and not args.answers
        and sys.stdin.isatty()
        and (fmt == "terminal" or args.output)
    )
    if interactive and rubric.questions():
        print(
            "People and process questions (skip any you cannot answer; "
            "skipped ones are reported as not assessed):",
            file=sys.stderr,
        )
        answers = ask_questions(rubric, answers)
    if args.save_answers:
        save_answers(args.save_answers, answers, rubric)

    root, inside = enclosing_repository(args.path)
    if inside is not None:
        scope = inside if args.project in (None, ".") else f"{inside}/{args.project}"
        if args.project is None:
            print(
                f"note: {args.path} is inside the git repository {root}: assessing the whole "
                f"repository (`mlops-factory assess {shlex.quote(args.path)} --project .` "
                "assesses only that folder)",
                file=sys.stderr,
            )
        else:
            print(
                f"note: {args.path} is inside the git repository {root}: assessing its "
                f"folder {scope}",
                file=sys.stderr,
            )
    result = assess(
        args.path,
        rubric=rubric,
        answers=answers,
        target=args.target,
        project=args.project,
        waivers=not args.no_waivers,
    )

    if fmt == "terminal":
        import io

        from rich.console import Console

        from mlops_factory._assess.render import print_terminal

        if not args.output:
            print_terminal(result, Console())
        else:
            console = Console(file=io.StringIO(), record=True, width=100)
            print_terminal(result, console)
            write_output(args.output, console.export_text())
            print(f"wrote terminal report to {args.output}", file=sys.stderr)
    else:
        from mlops_factory._assess.render import render

        text = render(result, fmt, rubric=rubric)
        if args.output:
            write_output(args.output, text)
            print(f"wrote {fmt} report to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")

    if args.fail_under is not None and result.level < args.fail_under:
        print(
            f"level {result.level} is below --fail-under {args.fail_under}",
            file=sys.stderr,
        )
        return int(ExitCode.GATE_FAILED)
    return int(ExitCode.OK)
