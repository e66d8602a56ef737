"""Time `mlops-factory --help` start-up and `assess` on generated repos, next to `git ls-files`.

Goals (issue 2, on the 2-core reference machine):
  --help start-up            < 0.15 s
  assess, 500-file repo      < 0.5 s
  assess, 50,000-file repo   < 3 s     (with git history)

Figures printed (seconds, median of --repeat runs):
  --help                the console script in a subprocess (interpreter start included)
  per repo:
    git ls-files        subprocess wall time, for scale
    assess() warm       in-process `mlops_factory.assess(path)`, imports already paid
    assess() cold       a fresh interpreter: import mlops_factory + assess(path), measured inside
    CLI end to end      `mlops-factory assess PATH --format json --no-input` wall time
    breakdown           snapshot (walk + git facts), all registered signals, slowest signals

Repos come from benchmarks/_repogen.py (a src package, tests, CI, notebooks, data files,
many small modules); --keep DIR reuses/keeps them between runs.

Usage: python benchmarks/bench_assess.py [--repeat N] [--sizes 500,50000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _repogen import generate

GOALS = {"help": 0.15, 500: 0.5, 50_000: 3.0}
COMMITS = {500: 20, 50_000: 300}


def median_of(fn: Callable[[], float], repeat: int) -> float:
    return statistics.median(fn() for _ in range(repeat))


#: Subprocesses run as on an installed package: with a bytecode cache. (A shell that
#: sets PYTHONDONTWRITEBYTECODE would make every start-up recompile every module.)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=ENV, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("mlops-factory")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mlops_factory"]


def verdict(seconds: float, goal: float) -> str:
    return f"{'meets' if seconds < goal else 'MISSES'} goal < {goal:g} s"


def bench_help(repeat: int) -> None:
    cmd = [*console_script(), "--help"]
    wall(cmd)  # warm the OS file cache
    t = median_of(lambda: wall(cmd), max(repeat, 7))
    print(f"--help start-up              {t:7.3f} s   {verdict(t, GOALS['help'])}")


def repo_for(size: int, keep: Path | None, scratch: Path) -> Path:
    root = (keep or scratch) / f"repo-{size}"
    done = root / ".bench-complete"
    if not done.exists():
        started = time.perf_counter()
        generate(root, size, COMMITS.get(size, 50))
        done.write_text("")  # untracked marker; not part of the measured shape
        print(f"  (generated {size:,} files in {time.perf_counter() - started:.1f} s)")
    return root


def breakdown(root: Path) -> tuple[float, float, list[tuple[str, float]]]:
    from mlops_factory._assess.signals import registry, run_signals
    from mlops_factory._assess.snapshot import RepoSnapshot

    start = time.perf_counter()
    snap = RepoSnapshot.open(root)
    opened = time.perf_counter() - start
    timings: list[tuple[str, float]] = []
    for name in sorted(registry()):
        t0 = time.perf_counter()
        run_signals(snap, [name])
        timings.append((name, time.perf_counter() - t0))
    signals = sum(t for _n, t in timings)
    return opened, signals, sorted(timings, key=lambda x: -x[1])


def bench_repo(size: int, repeat: int, keep: Path | None, scratch: Path) -> None:
    import mlops_factory

    print(f"\nrepo with {size:,} files ({COMMITS.get(size, 50)} commits)")
    root = repo_for(size, keep, scratch)
    ls_files = median_of(lambda: wall(["git", "-C", str(root), "ls-files"]), repeat)
    print(f"  git ls-files               {ls_files:7.3f} s")

    def warm() -> float:
        start = time.perf_counter()
        mlops_factory.assess(root)
        return time.perf_counter() - start

    warm()  # imports, rubric, first-use caches
    t_warm = median_of(warm, repeat)
    print(f"  assess() warm              {t_warm:7.3f} s   {verdict(t_warm, GOALS[size])}")

    probe = (
        "import time; t = time.perf_counter(); import mlops_factory; "
        f"mlops_factory.assess({str(root)!r}); print(time.perf_counter() - t)"
    )

    def cold() -> float:
        out = subprocess.run(
            [sys.executable, "-c", probe], env=ENV, check=True, capture_output=True, text=True
        )
        return float(out.stdout.strip().splitlines()[-1])

    cold()  # fills the bytecode cache
    t_cold = median_of(cold, repeat)
    print(f"  assess() cold (+imports)   {t_cold:7.3f} s   {verdict(t_cold, GOALS[size])}")
    cli = [*console_script(), "assess", str(root), "--format", "json", "--no-input"]
    wall(cli)
    t_cli = median_of(lambda: wall(cli), min(repeat, 3))
    print(f"  CLI end to end             {t_cli:7.3f} s   {verdict(t_cli, GOALS[size])}")

    opened, signals, slowest = breakdown(root)
    top = ", ".join(f"{n} {t * 1000:.0f} ms" for n, t in slowest[:5])
    print(f"  breakdown: snapshot {opened:.3f} s, all signals {signals:.3f} s")
    print(f"  slowest signals: {top}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--sizes", default="500,50000", help="comma-separated file counts")
    parser.add_argument("--keep", type=Path, help="generate repos here and keep them")
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-assess-") as scratch:
        if sys.dont_write_bytecode:  # keep the cache out of the source tree
            ENV["PYTHONPYCACHEPREFIX"] = str(Path(scratch) / "pycache")
        bench_help(ns.repeat)
        for size in (int(s) for s in ns.sizes.split(",")):
            bench_repo(size, ns.repeat, ns.keep, Path(scratch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
