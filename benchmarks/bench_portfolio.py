"""Throughput of `mlops-factory portfolio` over many small generated repos.

Goal (issue 6, on the 2-core reference machine): at least 20 repos/s over 1,000 repos.

Figures printed:
  generate            time to build the repos (not part of the throughput)
  discover            finding the repos in the folder of repos
  portfolio()         the library call end to end (discover, assess in worker processes,
                      store the run in SQLite), repos/s, for --jobs 1 and the default
  history write       the one-transaction write of the run, measured alone
  dashboard           rendering the HTML dashboard of the run
  CLI end to end      `mlops-factory portfolio DIR --format json -o FILE --html FILE`
                      in a fresh process (interpreter, imports and pool start included)

Repos: a folder of N small repos made from five templates of increasing maturity (a
notebook folder, a package with CI and tests, a training pipeline, deployment, drift
monitoring), 3 to 14 files each; --git-share of them are git checkouts with one commit
(copied from a committed template, which is how the cost of `git init` stays out).

Usage: python benchmarks/bench_portfolio.py [--repos 1000] [--git-share 0.25]
       [--jobs N] [--keep DIR] [--skip-serial]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_REPOS_PER_S = 20.0

NOTEBOOK = '{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": ["import pandas as pd\\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'  # noqa: E501

BASE = {
    "README.md": "# Churn\nA model.\n",
    "notebooks/explore.ipynb": NOTEBOOK,
    "data/sample.csv": "a,b,y\n1,2,0\n",
}
PACKAGE = {
    "pyproject.toml": '[project]\nname = "churn"\nversion = "0.1.0"\n',
    "src/churn/__init__.py": "",
    "src/churn/data.py": "import pandas as pd\n\ndef load(p):\n    return pd.read_csv(p)\n",
    "tests/test_data.py": "from churn.data import load\n\ndef test_load():\n    assert load\n",
    ".github/workflows/ci.yml": (
        "name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - run: pip install -e .\n"
        "      - run: pytest -q\n"
    ),
}
TRAINING = {
    "requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\nmlflow==2.14.1\n",
    "src/churn/train.py": (
        "import mlflow\nfrom sklearn.linear_model import LogisticRegression\n\n"
        "def train(df):\n    with mlflow.start_run():\n"
        "        model = LogisticRegression().fit(df[['a', 'b']], df['y'])\n"
        "        mlflow.log_metric('acc', model.score(df[['a', 'b']], df['y']))\n"
        "        mlflow.sklearn.log_model(model, 'model', registered_model_name='churn')\n"
    ),
    "Dockerfile": "FROM python:3.11-slim\nCOPY . .\nRUN pip install .\n",
}
DEPLOY = {
    "src/churn/app.py": (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n@app.get('/health')\n"
        "def health():\n    return {'ok': True}\n"
    ),
    "infra/main.tf": 'resource "azurerm_resource_group" "rg" {\n  name = "rg-churn"\n}\n',
    ".github/workflows/release.yml": (
        "name: release\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n"
        "    runs-on: ubuntu-latest\n    environment: production\n    steps:\n"
        "      - run: az ml online-deployment update --name blue --endpoint churn\n"
    ),
}
MONITOR = {
    "src/churn/monitor.py": (
        "from scipy.stats import ks_2samp\n\ndef drifted(a, b):\n"
        "    return ks_2samp(a, b).pvalue < 0.01\n"
    ),
    ".github/workflows/retrain.yml": (
        "name: retrain\non:\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  retrain:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: python -m churn.train\n"
    ),
}
TEMPLATES = [
    [BASE],
    [BASE, PACKAGE],
    [BASE, PACKAGE, TRAINING],
    [BASE, PACKAGE, TRAINING, DEPLOY],
    [BASE, PACKAGE, TRAINING, DEPLOY, MONITOR],
]
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
#: Subprocesses run as on an installed package: with a bytecode cache.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def write(root: Path, layers: list[dict[str, str]]) -> None:
    for layer in layers:
        for rel, text in layer.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def generate(root: Path, n: int, git_share: float) -> float:
    """Build ``n`` repos under ``root`` (a folder of repos); return the seconds taken."""
    started = time.perf_counter()
    templates = root.parent / f"{root.name}-templates"
    shutil.rmtree(templates, ignore_errors=True)
    for i, layers in enumerate(TEMPLATES):
        write(templates / f"plain{i}", layers)
        git_dir = templates / f"git{i}"
        write(git_dir, layers)
        subprocess.run([*GIT, "init", "-q", "-b", "main", str(git_dir)], check=True)
        subprocess.run([*GIT, "-C", str(git_dir), "add", "-A"], check=True)
        subprocess.run([*GIT, "-C", str(git_dir), "commit", "-qm", "initial"], check=True)
    every = round(1 / git_share) if git_share > 0 else 0
    for k in range(n):
        variant = k % len(TEMPLATES)
        kind = "git" if every and k % every == 0 else "plain"
        shutil.copytree(templates / f"{kind}{variant}", root / f"repo{k:04d}-{kind}{variant}")
    shutil.rmtree(templates)
    return time.perf_counter() - started


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("mlops-factory")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mlops_factory"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--git-share", type=float, default=0.25)
    parser.add_argument("--jobs", type=int, default=None, help="default: CPU count")
    parser.add_argument("--keep", type=Path, help="generate into / reuse this folder")
    parser.add_argument("--skip-serial", action="store_true", help="skip the --jobs 1 run")
    args = parser.parse_args()

    from mlops_factory._portfolio import History, portfolio, render_dashboard
    from mlops_factory._portfolio.history import RunRecord
    from mlops_factory._portfolio.inputs import discover
    from mlops_factory._portfolio.run import default_jobs

    work = Path(tempfile.mkdtemp(prefix="bench-portfolio-"))
    root = (args.keep or work) / f"repos-{args.repos}"
    jobs = args.jobs or default_jobs()
    print(f"portfolio benchmark: {args.repos} repos, {args.git_share:.0%} with git, {jobs} jobs")
    if root.exists() and sum(1 for _ in root.iterdir()) == args.repos:
        print(f"  generate            reused {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        print(f"  generate            {generate(root, args.repos, args.git_share):7.2f} s")

    started = time.perf_counter()
    found = discover([root])
    print(f"  discover            {time.perf_counter() - started:7.3f} s  ({len(found)} repos)")
    assert len(found) == args.repos, len(found)

    def measured(label: str, n_jobs: int) -> object:
        db = work / f"history-{n_jobs}.db"
        db.unlink(missing_ok=True)
        started = time.perf_counter()
        result = portfolio([root], jobs=n_jobs, db=db)
        took = time.perf_counter() - started
        assert not result.failed, result.failed[:3]
        rate = len(result.repos) / took
        print(f"  {label:<19} {took:7.2f} s  {rate:7.1f} repos/s")
        return result

    if not args.skip_serial:
        measured("portfolio() -j 1", 1)
    result = measured(f"portfolio() -j {jobs}", jobs)

    with History.open(work / "history-write.db") as history:
        run = RunRecord("t0", "t1", "bench", "mlops-maturity", "1", (str(root),))
        started = time.perf_counter()
        history.record(run, result.repos, result._payloads)  # type: ignore[attr-defined]
        took = time.perf_counter() - started
    size = sum(len(p) for p in result._payloads.values())  # type: ignore[attr-defined]
    print(f"  history write       {took:7.3f} s  ({size / 1e6:.1f} MB of compressed JSON)")

    started = time.perf_counter()
    html = render_dashboard(result)  # type: ignore[arg-type]
    print(
        f"  dashboard           {time.perf_counter() - started:7.3f} s  ({len(html) / 1e6:.1f} MB)"
    )

    db = work / "history-cli.db"
    cmd = [
        *console_script(),
        "portfolio",
        str(root),
        "--db",
        str(db),
        "--format",
        "json",
        "--output",
        str(work / "portfolio.json"),
        "--html",
        str(work / "dashboard.html"),
        "--jobs",
        str(jobs),
    ]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=ENV, stdin=subprocess.DEVNULL)
    took = time.perf_counter() - started
    rate = args.repos / took
    verdict = "ok" if rate >= GOAL_REPOS_PER_S else "BELOW GOAL"
    print(
        f"  CLI end to end      {took:7.2f} s  {rate:7.1f} repos/s   "
        f"(goal >= {GOAL_REPOS_PER_S:g} repos/s: {verdict})"
    )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
