"""Time `mlops-factory new --defaults` next to bare copier on the same templates and answers.

Goal (issue 3): our overhead within 1.3x of bare copier. Both sides copy the same
component versions from the same materialised git repositories (warmed once
before timing) with the same answers; the bare side is what a user would run by
hand: one `copier copy` per component, in the same order.

Figures printed (median of --repeat runs, at most 3 for processes; seconds):
  in-process   copier.run_copy per component  vs  new_project(...)        <- the goal
  processes    `copier copy` CLI per component vs  `mlops-factory new` CLI

Usage: python benchmarks/bench_new.py [--repeat N] [--pattern P] [--catalog DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mlops_factory._scaffold import load_catalog, materialise, new_project
from mlops_factory._scaffold._new import answers_file

GOAL = 1.3
BIN = Path(sys.executable).parent


def _medians(runs: int, variants: dict[str, Callable[[Path], Any]], work: Path) -> dict[str, float]:
    """Median seconds per variant. Rounds interleave the variants so that a busy machine
    slows every variant alike instead of skewing the ratio."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(runs):
        for name, action in variants.items():
            dest = work / f"{name}-{i}" / "bench-project"
            start = time.perf_counter()
            action(dest)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _row(label: str, seconds: float, base: float | None = None) -> None:
    ratio = f"  ({seconds / base:.2f}x)" if base else ""
    print(f"  {label:<30} {seconds:7.3f} s{ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pattern", default=None)
    parser.add_argument("--catalog", default=None)
    parser.add_argument("--no-cli", action="store_true", help="skip the subprocess comparison")
    args = parser.parse_args()

    import copier

    work = Path(tempfile.mkdtemp(prefix="bench-new-"))
    os.environ["MLOPS_FACTORY_CACHE"] = str(work / "cache")
    try:
        catalog = load_catalog(args.catalog)
        warm = new_project(
            work / "warm" / "bench-project",
            pattern=args.pattern,
            defaults=True,
            interactive=False,
            catalog=catalog,
        )
        answers = dict(warm.answers)
        components = tuple(catalog.components[c.name] for c in warm.components)
        repos = materialise(catalog, components)
        unsafe = True  # the built-in catalog is trusted; same setting on both sides
        print(
            f"pattern {warm.pattern}: {len(components)} components, "
            f"{sum(1 for p in warm.dest.rglob('*') if p.is_file() and '.git' not in p.parts)} "
            f"files; median of {args.repeat} runs"
        )

        def bare(dest: Path) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for component in components:
                    version = repos[component.name]
                    copier.run_copy(
                        str(version.repo),
                        dest,
                        data=answers,
                        answers_file=answers_file(component.name),
                        vcs_ref=version.tag,
                        defaults=True,
                        overwrite=True,
                        unsafe=unsafe,
                        quiet=True,
                    )

        def ours(git: bool) -> Callable[[Path], Any]:
            return lambda dest: new_project(
                dest,
                pattern=warm.pattern,
                defaults=True,
                interactive=False,
                catalog=catalog,
                git=git,
            )

        t = _medians(args.repeat, {"bare": bare, "nogit": ours(False), "new": ours(True)}, work)
        t_bare, t_nogit, t_new = t["bare"], t["nogit"], t["new"]
        print("in-process (import time excluded):")
        _row(f"bare copier.run_copy x{len(components)}", t_bare)
        _row("new_project(git=False)", t_nogit, t_bare)
        _row("new_project(defaults=True)", t_new, t_bare)
        verdict = "within" if t_new / t_bare <= GOAL else "ABOVE"
        print(f"  ratio {t_new / t_bare:.2f}x: {verdict} the {GOAL}x goal")

        if not args.no_cli:
            data_file = work / "answers.yml"
            data_file.write_text(yaml.safe_dump(answers), encoding="utf-8")

            def bare_cli(dest: Path) -> None:
                for component in components:
                    version = repos[component.name]
                    subprocess.run(
                        [
                            str(BIN / "copier"),
                            "copy",
                            *("--defaults", "--overwrite", "--trust", "--quiet"),
                            *("--data-file", str(data_file)),
                            *("--answers-file", answers_file(component.name)),
                            *("--vcs-ref", version.tag),
                            str(version.repo),
                            str(dest),
                        ],
                        check=True,
                        capture_output=True,
                    )

            def ours_cli(dest: Path) -> None:
                subprocess.run(
                    [
                        str(BIN / "mlops-factory"),
                        "new",
                        str(dest),
                        "--defaults",
                        *("--pattern", warm.pattern),
                        *(("--catalog", str(catalog.path)) if args.catalog else ()),
                    ],
                    check=True,
                    capture_output=True,
                    stdin=subprocess.DEVNULL,
                )

            runs = min(args.repeat, 3)  # each bare run starts one interpreter per component
            c = _medians(runs, {"bare-cli": bare_cli, "new-cli": ours_cli}, work)
            c_bare, c_new = c["bare-cli"], c["new-cli"]
            print(f"processes (interpreter start and imports included; median of {runs}):")
            _row(f"copier copy x{len(components)}", c_bare)
            _row("mlops-factory new --defaults", c_new, c_bare)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
