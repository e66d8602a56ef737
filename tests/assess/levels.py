"""Real small repos at each maturity level 0-4, built in layers.

Each level adds what the maturity model asks of it on top of the level below, the way
a team would grow a project. Used by the level tests and the portfolio tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import build_tree, git_init

NOTEBOOK = json.dumps(
    {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": 1,
                "source": [
                    "import pandas as pd\n",
                    "from sklearn.linear_model import LogisticRegression\n",
                    "import mlflow\n",
                    "df = pd.read_csv('data/churn.csv')\n",
                    "model = LogisticRegression().fit(df[['a', 'b']], df['y'])\n",
                    "mlflow.log_metric('acc', model.score(df[['a', 'b']], df['y']))\n",
                ],
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
)

LEVEL0 = {
    "README.md": """
        # Churn model
        We use MLflow for tracking, GitHub Actions for CI and deploy with Terraform.
        """,
    "notebooks/01-explore.ipynb": NOTEBOOK,
    "data/churn.csv": "a,b,y\n1,2,0\n3,4,1\n",
    "model.pkl": b"\x80\x04\x95binary-pickle\x00\x00",
}

LEVEL1 = {
    "pyproject.toml": """
        [project]
        name = "churn"
        version = "0.1.0"
        dependencies = ["pandas", "scikit-learn"]
        """,
    "src/churn/__init__.py": "",
    "src/churn/data.py": """
        import pandas as pd

        def load(path: str) -> pd.DataFrame:
            return pd.read_csv(path)
        """,
    "src/churn/score.py": """
        import joblib

        _model = None

        def init(path="model.pkl"):
            global _model
            _model = joblib.load(path)

        def predict(rows):
            return _model.predict(rows).tolist()
        """,
    "tests/test_data.py": """
        from churn.data import load

        def test_load(tmp_path):
            p = tmp_path / "d.csv"
            p.write_text("a,b,y\\n1,2,0\\n")
            assert len(load(p)) == 1
        """,
    "tests/test_model.py": """
        import joblib
        from sklearn.dummy import DummyClassifier

        from churn import score

        def test_model_predicts(tmp_path):
            m = DummyClassifier().fit([[0, 0], [1, 1]], [0, 1])
            joblib.dump(m, tmp_path / "m.pkl")
            score.init(tmp_path / "m.pkl")
            assert len(score.predict([[0, 0]])) == 1
        """,
    ".github/workflows/ci.yml": """
        name: ci
        on:
          pull_request:
          push:
            branches: [main]
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with: {python-version: "3.11"}
              - run: pip install -e . pytest
              - run: pytest -q
        """,
}

LEVEL2 = {
    "requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\nmlflow==2.14.1\njoblib==1.4.2\n",
    "configs/train.yaml": "seed: 42\nsample_fraction: 0.1\n",
    "src/churn/train.py": """
        import mlflow
        from sklearn.linear_model import LogisticRegression

        from churn.data import load

        def train(path: str, seed: int = 42):
            df = load(path)
            with mlflow.start_run():
                model = LogisticRegression(random_state=seed).fit(df[["a", "b"]], df["y"])
                mlflow.log_param("seed", seed)
                mlflow.log_metric("accuracy", model.score(df[["a", "b"]], df["y"]))
                mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
            return model
        """,
    "src/churn/pipeline.py": """
        import argparse

        from churn import data, evaluate, train

        def main() -> None:
            parser = argparse.ArgumentParser()
            parser.add_argument("--data", default="data/churn.csv")
            args = parser.parse_args()
            data.load(args.data)
            model = train.train(args.data)
            evaluate.evaluate(model, args.data)

        if __name__ == "__main__":
            main()
        """,
    "src/churn/evaluate.py": """
        from sklearn.metrics import accuracy_score

        from churn.data import load

        def evaluate(model, path):
            df = load(path)
            return accuracy_score(df["y"], model.predict(df[["a", "b"]]))
        """,
    "aml/train-job.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        type: command
        command: python -m churn.pipeline --data ${{inputs.data}}
        code: ../src
        inputs:
          data:
            type: uri_file
            path: azureml:churn-data@latest
        environment: azureml:churn-env:1
        compute: azureml:cpu-cluster
        experiment_name: churn
        """,
    "Dockerfile": """
        FROM python:3.11-slim
        WORKDIR /app
        COPY . .
        RUN pip install --no-cache-dir .
        CMD ["python", "-m", "churn.score"]
        """,
    ".github/workflows/train.yml": """
        name: train
        on:
          pull_request:
        jobs:
          train-sample:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: pip install -r requirements.txt -e .
              - run: python -m churn.pipeline --data data/churn.csv
        """,
}

LEVEL3 = {
    "dvc.yaml": """
        stages:
          prepare:
            cmd: python -m churn.data
            deps: [data/raw]
            outs: [data/churn.csv]
        """,
    ".dvc/config": "[core]\n    remote = storage\n",
    "src/churn/promote.py": """
        from mlflow import MlflowClient

        def promote(name: str, candidate_version: str, candidate_score: float, margin: float):
            client = MlflowClient()
            client.set_registered_model_alias(name, "challenger", candidate_version)
            champion = client.get_model_version_by_alias(name, "champion")
            champion_score = client.get_run(champion.run_id).data.metrics["accuracy"]
            if candidate_score >= champion_score + margin:
                client.set_registered_model_alias(name, "champion", candidate_version)
                return True
            return False
        """,
    "src/churn/app.py": """
        from fastapi import FastAPI
        from pydantic import BaseModel

        from churn import score

        app = FastAPI()

        class Row(BaseModel):
            a: float
            b: float

        @app.get("/health")
        def health():
            return {"status": "ok"}

        @app.post("/predict")
        def predict(row: Row):
            return {"prediction": score.predict([[row.a, row.b]])[0]}
        """,
    "tests/test_schema.py": """
        import pandas as pd

        from churn.data import load

        def test_data_schema(tmp_path):
            p = tmp_path / "d.csv"
            p.write_text("a,b,y\\n1,2,0\\n")
            df = load(p)
            assert list(df.columns) == ["a", "b", "y"]
            assert df["y"].isnull().sum() == 0
            assert df.dtypes["a"] == "int64"
        """,
    "tests/test_quality.py": """
        from sklearn.metrics import accuracy_score

        from churn.train import train

        def test_accuracy_in_range(tmp_path):
            p = tmp_path / "d.csv"
            p.write_text("a,b,y\\n" + "".join(f"{i},{i},{i % 2}\\n" for i in range(40)))
            model = train(str(p))
            assert accuracy_score([0, 1], model.predict([[0, 0], [1, 1]])) >= 0.5
        """,
    "tests/test_api.py": """
        from fastapi.testclient import TestClient

        from churn.app import app

        def test_health():
            client = TestClient(app)
            assert client.get("/health").status_code == 200

        def test_invalid_input_is_422():
            client = TestClient(app)
            assert client.post("/predict", json={"a": "x"}).status_code == 422
        """,
    "infra/main.tf": """
        resource "azurerm_resource_group" "ml" {
          name     = "rg-churn-${var.environment}"
          location = var.location
        }

        resource "azurerm_machine_learning_workspace" "ws" {
          name                = "mlw-churn-${var.environment}"
          location            = azurerm_resource_group.ml.location
          resource_group_name = azurerm_resource_group.ml.name
        }
        """,
    "infra/variables.tf": """
        variable "environment" { type = string }
        variable "location" { type = string }
        """,
    "infra/env/dev.tfvars": 'environment = "dev"\nlocation = "westeurope"\n',
    "infra/env/prod.tfvars": 'environment = "prod"\nlocation = "westeurope"\n',
    ".github/workflows/release.yml": """
        name: release
        on:
          push:
            branches: [main]
        jobs:
          deploy-staging:
            runs-on: ubuntu-latest
            environment: staging
            steps:
              - uses: actions/checkout@v4
              - run: pip install -e .
              - run: python -m churn.evaluate --compare-champion
              - run: docker build -t acr.io/churn:${{ github.sha }} .
              - run: docker push acr.io/churn:${{ github.sha }}
              - run: az ml online-deployment update --name blue --endpoint churn-staging
          deploy-production:
            needs: deploy-staging
            runs-on: ubuntu-latest
            environment: production
            steps:
              - run: python -m churn.promote
              - run: az ml online-deployment update --name blue --endpoint churn-prod
        """,
}

LEVEL4 = {
    "src/churn/monitor.py": """
        import json
        import subprocess

        import numpy as np
        from scipy.stats import ks_2samp

        def psi(expected, actual, bins=10):
            edges = np.histogram_bin_edges(expected, bins=bins)
            e, _ = np.histogram(expected, edges)
            a, _ = np.histogram(actual, edges)
            e = np.clip(e / e.sum(), 1e-6, None)
            a = np.clip(a / a.sum(), 1e-6, None)
            return float(np.sum((a - e) * np.log(a / e)))

        def check(reference, current, threshold=0.2):
            report = {c: {"psi": psi(reference[c], current[c]),
                          "ks": ks_2samp(reference[c], current[c]).pvalue} for c in reference}
            drifted = any(v["psi"] > threshold for v in report.values())
            with open("drift-report.json", "w") as fh:
                json.dump(report, fh)
            if drifted:
                subprocess.run(["gh", "workflow", "run", "retrain.yml"], check=True)
            return drifted
        """,
    "src/churn/telemetry.py": """
        import logging

        from prometheus_client import Counter, Histogram

        REQUESTS = Counter("predict_requests_total", "Prediction requests")
        LATENCY = Histogram("predict_latency_seconds", "Prediction latency")
        log = logging.getLogger("predictions")

        def log_prediction(features, prediction):
            log.info("prediction", extra={"features": features, "prediction": prediction})
        """,
    "src/churn/metrics_app.py": """
        from prometheus_client import make_asgi_app

        from churn.app import app

        app.mount("/metrics", make_asgi_app())
        """,
    ".github/workflows/retrain.yml": """
        name: retrain
        on:
          schedule:
            - cron: "0 3 * * 1"
          workflow_dispatch:
        jobs:
          retrain:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: pip install -r requirements.txt -e .
              - run: python -m churn.pipeline --data data/churn.csv
        """,
    ".github/workflows/release.yml": """
        name: release
        on:
          push:
            branches: [main]
        jobs:
          deploy-staging:
            runs-on: ubuntu-latest
            environment: staging
            steps:
              - uses: actions/checkout@v4
              - run: pip install -e .
              - run: python -m churn.evaluate --compare-champion
              - run: docker build -t acr.io/churn:${{ github.sha }} .
              - run: docker push acr.io/churn:${{ github.sha }}
              - run: az ml online-deployment create --name green --endpoint churn-staging
          deploy-production:
            needs: deploy-staging
            runs-on: ubuntu-latest
            environment: production
            steps:
              - run: python -m churn.promote
              - run: az ml online-deployment create --name green --endpoint churn-prod
              - run: az ml online-endpoint update --name churn-prod --traffic "blue=90 green=10"
              - run: python -m churn.smoke
              - if: failure()
                run: az ml online-endpoint update -n churn-prod --traffic "blue=100 green=0"
        """,
    ".github/workflows/monitor.yml": """
        name: monitor
        on:
          schedule:
            - cron: "0 * * * *"
        jobs:
          drift:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: pip install -e .
              - id: drift
                run: python -m churn.monitor
              - if: steps.drift.outputs.drifted == 'true'
                run: gh workflow run retrain.yml
        """,
}

LAYERS = (LEVEL0, LEVEL1, LEVEL2, LEVEL3, LEVEL4)


#: Answers that put People at the same level as the repo.
def people_answers(level: int) -> dict[str, bool]:
    """Questionnaire answers for a team at ``level``: yes up to it, no above."""
    ids = {1: ["PE-101"], 2: ["PE-201", "PE-202"], 3: ["PE-301", "PE-302"], 4: ["PE-401", "PE-402"]}
    return {cid: lvl <= level for lvl, cids in ids.items() for cid in cids}


def level_repo(root: Path, level: int, *, git: bool = True) -> Path:
    """Build the repo for ``level`` (0-4) under ``root``."""
    for layer in LAYERS[: level + 1]:
        build_tree(root, layer)
    if level == 0:
        return root  # notebooks on a laptop: not even under version control
    if git:
        git_init(root, f"level {level}", tag="v0.1.0" if level >= 3 else None)
    return root
