"""Generate a realistic ML repository of a given size, with git history, for benchmarks.

Shape (fractions of the file count; a mature but imperfect team repo):

* ``src/<pkg>/``: ~8 % Python modules in sub-packages: utilities, pandas feature code,
  sklearn model code, I/O, configuration; plus the real entry points (train, pipeline,
  score, FastAPI app, drift check, ONNX export);
* ``tests/``: ~3 % test modules (unit tests, a model test, an API test, a quality test);
* ``notebooks/``: ~0.2 % notebooks (at least 2), with outputs;
* ``configs/``, ``aml/``, ``k8s/``, ``.github/workflows/``: YAML configuration and CI;
* ``docs/``: ~3 % Markdown;
* ``data/``: the rest: small PNG-like binaries in class folders, CSV shards, JSON labels;
* top level: README, pyproject, pinned requirements, Dockerfile, Makefile.

Practices deliberately absent (so their signals scan everything and find nothing):
batch scoring, champion/challenger, data versioning, IaC, managed compute.

History: ``commits`` commits built with ``git fast-import`` (fast, runs no hooks);
files are spread over the commits, the last commit's tree is the working tree.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

_SAFE_GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"]

UTIL = '''"""String and collection helpers ({n})."""

from __future__ import annotations

import re
from collections.abc import Iterable


def slug_{n}(text: str) -> str:
    """Lower-case, dash-separated."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def chunks_{n}(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def merge_{n}(*dicts: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {{}}
    for d in dicts:
        for key, value in d.items():
            out[key] = out.get(key, 0) + value
    return out


def flatten_{n}(rows: Iterable[Iterable[int]]) -> list[int]:
    return [x for row in rows for x in row]


class Registry{n}:
    def __init__(self) -> None:
        self._items: dict[str, object] = {{}}

    def add(self, name: str, item: object) -> None:
        if name in self._items:
            raise KeyError(name)
        self._items[name] = item

    def get(self, name: str) -> object:
        return self._items[name]
'''

FEATURES = '''"""Feature engineering for block {n}."""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOW = {n} % 7 + 3


def add_ratios(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["ratio_{n}"] = out["a"] / out["b"].replace(0, np.nan)
    out["log_a"] = np.log1p(out["a"].clip(lower=0))
    return out


def rolling_stats(df: pd.DataFrame, column: str = "a") -> pd.DataFrame:
    roll = df[column].rolling(WINDOW, min_periods=1)
    return df.assign(mean_{n}=roll.mean(), std_{n}=roll.std().fillna(0.0))


def encode(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return pd.get_dummies(df, columns=columns, dtype=float)


def build(df: pd.DataFrame) -> pd.DataFrame:
    return encode(rolling_stats(add_ratios(df)), ["segment"])
'''

MODEL = '''"""Model definition for variant {n}."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def make_model(numeric: list[str], depth: int = {depth}) -> Pipeline:
    pre = ColumnTransformer([("num", StandardScaler(), numeric)])
    clf = GradientBoostingClassifier(max_depth=depth, n_estimators={trees})
    return Pipeline([("pre", pre), ("clf", clf)])


def predict_labels(model: Pipeline, frame) -> list[int]:
    return [int(x) for x in model.predict(frame)]


def predict_scores(model: Pipeline, frame) -> list[float]:
    return [float(p[1]) for p in model.predict_proba(frame)]
'''

IO = '''"""Reading and writing dataset shards ({n})."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def load_shard(root: Path, index: int = {n}) -> pd.DataFrame:
    return pd.read_csv(root / f"part-{{index:05d}}.csv")


def save_shard(df: pd.DataFrame, root: Path, index: int = {n}) -> Path:
    path = root / f"part-{{index:05d}}.parquet"
    df.to_parquet(path)
    return path


def list_shards(root: Path) -> list[Path]:
    return sorted(root.glob("part-*.csv"))
'''

CONFIG = '''"""Settings for component {n}."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings{n}:
    name: str = "component-{n}"
    batch_size: int = {batch}
    learning_rate: float = 0.0{n}
    tags: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def with_tag(self, tag: str) -> "Settings{n}":
        return Settings{n}(self.name, self.batch_size, self.learning_rate, (*self.tags, tag))
'''

TEMPLATES = ((UTIL, 40), (FEATURES, 25), (MODEL, 15), (IO, 10), (CONFIG, 10))

ENTRY_POINTS = {
    "train.py": '''"""Train the churn model and track it in MLflow."""

import mlflow
import numpy as np

from {pkg}.io_0 import load_shard
from {pkg}.models_0 import make_model


def train(root, seed: int = 42):
    np.random.seed(seed)
    df = load_shard(root)
    with mlflow.start_run():
        model = make_model(["a", "b"])
        model.fit(df[["a", "b"]], df["y"])
        mlflow.log_metric("accuracy", model.score(df[["a", "b"]], df["y"]))
        mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
    return model
''',
    "pipeline.py": '''"""Local pipeline: prepare, train, evaluate."""

from {pkg} import evaluate, prepare, train


def main() -> None:
    data = prepare.prepare_data("data/raw")
    model = train.train(data)
    evaluate.evaluate_model(model, data)


if __name__ == "__main__":
    main()
''',
    "score.py": '''"""Azure ML scoring script."""

import json

import joblib

model = None


def init():
    global model
    model = joblib.load("model.pkl")


def run(raw):
    return model.predict(json.loads(raw)["data"]).tolist()
''',
    "app.py": '''"""HTTP serving."""

import logging

from fastapi import FastAPI

from {pkg} import score

app = FastAPI()
log = logging.getLogger("predictions")


@app.get("/health")
def health():
    return {{"status": "ok"}}


@app.post("/predict")
def predict(row: dict):
    prediction = score.run(row)
    log.info("prediction %s", prediction)
    return {{"prediction": prediction}}
''',
    "drift.py": '''"""Drift check between training and serving data."""

from scipy.stats import ks_2samp


def drifted(reference, current, alpha: float = 0.05) -> bool:
    return ks_2samp(reference, current).pvalue < alpha
''',
    "export.py": '''"""Export to ONNX."""

from skl2onnx import to_onnx


def export(model, sample):
    return to_onnx(model, sample)
''',
}

TEST_UNIT = """from {pkg}.{sub}.{mod} import *  # noqa: F403


def test_smoke_{n}():
    assert {n} + 1 == {n1}


def test_strings_{n}():
    assert "abc".upper() == "ABC"


def test_lists_{n}():
    assert sorted([3, 1, 2]) == [1, 2, 3]
"""

TESTS_SPECIAL = {
    "test_model.py": """import joblib


def test_model_predicts(tmp_path):
    model = joblib.load("tests/data/model.pkl")
    assert len(model.predict([[0.0, 1.0]])) == 1
""",
    "test_api.py": """from fastapi.testclient import TestClient

from {pkg}.app import app


def test_health():
    assert TestClient(app).get("/health").status_code == 200
""",
    "test_quality.py": """from sklearn.metrics import roc_auc_score


def test_auc(model, X, y):
    assert roc_auc_score(y, model.predict_proba(X)[:, 1]) >= 0.7
""",
}

WORKFLOWS = {
    "ci.yml": """name: ci
on:
  pull_request:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt -e .
      - run: ruff check .
      - run: pytest -q
""",
    "train.yml": """name: train
on:
  schedule:
    - cron: "0 2 * * 0"
  workflow_dispatch:
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt -e .
      - run: python -m {pkg}.pipeline
""",
    "deploy.yml": """name: deploy
on:
  push:
    tags: ["v*"]
jobs:
  staging:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: docker build -t registry.example.com/churn:${{{{ github.sha }}}} .
      - run: docker push registry.example.com/churn:${{{{ github.sha }}}}
  production:
    needs: staging
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: kubectl apply -f k8s/
""",
}


def _notebook(n: int, rng: random.Random) -> str:
    image = "iVBORw0KGgo" + "".join(rng.choice("ABCDEFGHIJKLMNOP") for _ in range(20_000))
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": [f"# Exploration {n}\n"]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": ["import pandas as pd\n", "df = pd.read_csv('data/raw/part-00000.csv')\n"],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "outputs": [{"output_type": "display_data", "data": {"image/png": image}}],
            "source": ["df.describe()\n", "df.plot()\n"],
        },
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def plan(n_files: int, seed: int = 0) -> dict[str, bytes]:
    """Every path of the repo with its content."""
    rng = random.Random(seed)
    pkg = "churn"
    files: dict[str, bytes] = {}

    def put(path: str, text: str | bytes) -> None:
        files[path] = text if isinstance(text, bytes) else text.encode()

    put("README.md", "# Churn\n\nPredicts churn. See docs/.\n")
    put(
        "pyproject.toml",
        f'[project]\nname = "{pkg}"\nversion = "1.3.0"\n'
        'dependencies = ["pandas", "scikit-learn"]\n',
    )
    put("CHANGELOG.md", "# Changelog\n\n## 1.3.0\n- retrain weekly\n")
    put(
        "requirements.txt",
        "pandas==2.2.2\nnumpy==1.26.4\nscikit-learn==1.5.0\nmlflow==2.14.1\nfastapi==0.111.0\n",
    )
    put(
        "Dockerfile",
        "FROM python:3.11-slim\nCOPY . /app\nRUN pip install /app\n"
        f'CMD ["uvicorn", "{pkg}.app:app"]\n',
    )
    put("Makefile", f"test:\n\tpytest -q\n\ntrain:\n\tpython -m {pkg}.pipeline\n")
    put(f"src/{pkg}/__init__.py", "")
    for name, text in ENTRY_POINTS.items():
        put(f"src/{pkg}/{name}", text.format(pkg=pkg))
    for name, text in WORKFLOWS.items():
        put(f".github/workflows/{name}", text.format(pkg=pkg))
    for name, text in TESTS_SPECIAL.items():
        put(f"tests/{name}", text.format(pkg=pkg))
    put(
        "k8s/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: churn\nspec:\n  replicas: 2\n",
    )

    n_src = max(10, n_files * 8 // 100)
    n_tests = max(5, n_files * 3 // 100)
    n_notebooks = max(2, n_files * 2 // 1000)
    n_configs = max(4, n_files * 5 // 1000)
    n_docs = max(5, n_files * 3 // 100)

    weights = [w for _t, w in TEMPLATES]
    kinds = ("utils", "features", "models", "io", "config")
    modules: list[tuple[str, str]] = []
    for i in range(n_src):
        k = rng.choices(range(len(TEMPLATES)), weights)[0]
        sub = f"{kinds[k]}{i // 200}"
        mod = f"{kinds[k]}_{i}"
        if i < len(kinds):  # the modules the entry points import
            sub, mod, k = kinds[i], f"{kinds[i]}_0", i
        text = TEMPLATES[k][0].format(
            n=i, depth=rng.randint(2, 6), trees=rng.randint(50, 400), batch=rng.randint(8, 256)
        )
        put(f"src/{pkg}/{sub}/{mod}.py", text)
        files.setdefault(f"src/{pkg}/{sub}/__init__.py", b"")
        modules.append((sub, mod))
    for i in range(n_tests):
        sub, mod = modules[i % len(modules)]
        put(
            f"tests/{sub}/test_{mod}_{i}.py",
            TEST_UNIT.format(pkg=pkg, sub=sub, mod=mod, n=i, n1=i + 1),
        )
    for i in range(n_notebooks):
        put(f"notebooks/{i:02d}-exploration.ipynb", _notebook(i, rng))
    for i in range(n_configs):
        put(
            f"configs/{'train' if i == 0 else f'experiment_{i}'}.yaml",
            f"name: exp-{i}\nseed: {i}\nparams:\n  max_depth: {rng.randint(2, 8)}\n"
            f"  learning_rate: 0.{rng.randint(1, 9)}\nfeatures: [a, b, ratio_{i}]\n",
        )
    for i in range(n_docs):
        put(
            f"docs/section{i // 50}/page_{i}.md",
            f"# Page {i}\n\nHow component {i} works. We plan to track with MLflow.\n",
        )
    remaining = n_files - len(files)
    for i in range(max(0, remaining)):
        kind = i % 10
        if kind < 6:
            header = b"\x89PNG\r\n\x1a\n" + rng.randbytes(120)
            put(f"data/raw/images/class_{i % 7}/batch_{i // 2000}/img_{i:06d}.png", header)
        elif kind < 9:
            rows = "".join(f"{rng.random():.4f},{rng.random():.4f},{i % 2}\n" for _ in range(12))
            put(f"data/raw/tabular/shard_{i // 1000}/part-{i:05d}.csv", "a,b,y\n" + rows)
        else:
            put(
                f"data/labels/chunk_{i // 1000}/label_{i:06d}.json",
                json.dumps({"id": i, "y": i % 2}),
            )
    return files


def generate(root: Path, n_files: int, commits: int = 0, seed: int = 0) -> Path:
    """Write the repo under ``root``; with ``commits`` > 0 make it a git repo with history."""
    files = plan(n_files, seed)
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if commits > 0:
        _history(root, files, commits)
    return root


def _history(root: Path, files: dict[str, bytes], commits: int) -> None:
    subprocess.run([*_SAFE_GIT, "init", "-q", "-b", "main", str(root)], check=True)
    paths = list(files)
    stream = bytearray()
    per = max(1, len(paths) // commits)
    for c in range(commits):
        chunk = paths[c * per : (c + 1) * per] if c < commits - 1 else paths[c * per :]
        when = 1_700_000_000 + c * 3600
        msg = f"change {c}\n".encode()
        stream += b"commit refs/heads/main\n"
        stream += f"committer Bench <bench@example.com> {when} +0000\n".encode()
        stream += b"data %d\n%s\n" % (len(msg), msg)
        for path in chunk:
            data = files[path]
            stream += b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)
        if c % 50 == 49:
            stream += f"reset refs/tags/v1.{c // 50}.0\nfrom refs/heads/main\n\n".encode()
    subprocess.run(
        [*_SAFE_GIT, "-C", str(root), "fast-import", "--quiet"], input=bytes(stream), check=True
    )
    subprocess.run([*_SAFE_GIT, "-C", str(root), "reset", "-q"], check=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--commits", type=int, default=0)
    ns = parser.parse_args()
    generate(ns.root, ns.files, ns.commits)
