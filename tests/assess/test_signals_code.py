"""Code signals on real small repos: a positive per detection route, and negatives that only
claim the practice (README, comments, dead code), keep it in tests, or only in notebooks."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_factory._assess.model import SignalResult
from mlops_factory._assess.signals import registry
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree

Signal = Callable[[RepoSnapshot], SignalResult]


# ------------------------------------------------------------------ helpers (shared)


def notebook(*cells: str) -> str:
    """A minimal .ipynb (indent 1) with one code cell per argument."""
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "metadata": {}, "outputs": [], "source": c.splitlines(True)}
                for c in cells
            ],
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


#: In a notebook built by :func:`notebook`, the first source line of the first cell.
NB_FIRST_LINE = 8


@dataclass(frozen=True)
class Case:
    """One repo and what a signal must say about it.

    ``first`` is the (path, line) of the first evidence item; None means the signal
    must return no evidence at all.
    """

    signal: str
    id: str
    tree: Mapping[str, str | bytes]
    found: bool
    first: tuple[str | None, int | None] | None = None
    note: str = ""
    weak: bool = False


def run(root: Path, tree: Mapping[str, str | bytes], fn: Signal) -> SignalResult:
    build_tree(root, tree)
    return fn(RepoSnapshot.open(root, with_git=False))


def check(res: SignalResult, case: Case) -> None:
    """Assert exactly what a case expects."""
    assert res.name == case.signal
    assert res.error is None
    assert res.found is case.found, res.evidence
    if case.first is None:
        assert res.evidence == (), res.evidence
        return
    assert res.evidence, "expected evidence"
    first = res.evidence[0]
    assert (first.path, first.line) == case.first, res.evidence
    assert case.note in first.note, first.note
    assert all(len(e.snippet) <= 120 and "\n" not in e.snippet for e in res.evidence)
    assert all(e.weak for e in res.evidence) is case.weak, res.evidence


def case_id(case: Case) -> str:
    return f"{case.signal}-{case.id}"


# ------------------------------------------------------------------ tests


UNIT = [
    Case(
        "unit_tests",
        "pytest-functions",
        {
            "tests/test_math.py": """
                import math


                def test_sqrt():
                    assert math.sqrt(4) == 2


                def test_pow():
                    assert 2**2 == 4
                """
        },
        True,
        ("tests/test_math.py", 4),
        "2 test functions; about 2 test functions in 1 test files",
    ),
    Case(
        "unit_tests",
        "unittest-class",
        {
            "tests/test_case.py": """
                import unittest


                class TestMath(unittest.TestCase):
                    def test_add(self):
                        self.assertEqual(1 + 1, 2)
                """
        },
        True,
        ("tests/test_case.py", 5),
        "1 test functions",
    ),
    Case(
        "unit_tests",
        "fixtures-and-helpers-only",
        {
            "tests/conftest.py": "import pytest\n\n@pytest.fixture\ndef model():\n    return 1\n",
            "tests/helpers.py": "def make_data():\n    return []\n",
            "README.md": "Run the tests: `pytest` (def test_everything)\n",
        },
        False,
    ),
    Case(
        "unit_tests",
        "commented-out-or-in-a-docstring",
        {"tests/test_x.py": '# def test_x():\n"""\ndef test_fake():\n    pass\n"""\n'},
        False,
    ),
    Case(
        "unit_tests",
        "only-in-a-notebook",
        {"notebooks/checks.ipynb": notebook("def test_x():\n    assert add(2, 2) == 4\n")},
        False,
    ),
]

MODEL_TESTS = [
    Case(
        "model_tests",
        "joblib-load-and-predict",
        {
            "tests/test_model.py": """
                import joblib


                def test_predicts():
                    model = joblib.load("model.pkl")
                    assert len(model.predict([[1, 2]])) == 1
                """
        },
        True,
        ("tests/test_model.py", 5),
        "a test loads a trained model",
    ),
    Case(
        "model_tests",
        "onnxruntime-session",
        {
            "tests/test_onnx.py": """
                import onnxruntime as ort


                def test_onnx():
                    sess = ort.InferenceSession("model.onnx")
                    assert sess.run(None, {"x": [[1.0]]})
                """
        },
        True,
        ("tests/test_onnx.py", 5),
        "loads a trained model",
    ),
    Case(
        "model_tests",
        "only-in-a-comment",
        {"tests/test_x.py": "def test_x():\n    # model.predict(x)\n    assert add(1, 1) == 2\n"},
        False,
    ),
    Case(
        "model_tests",
        "only-in-source-and-notebooks",
        {
            "src/app.py": "def f(model, x):\n    return model.predict(x)\n",
            "nb.ipynb": notebook("model.predict(x)\n"),
        },
        False,
    ),
]

DATA_VALIDATION = [
    Case(
        "data_validation_tests",
        "pandera-schema",
        {
            "tests/test_schema.py": """
                import pandera as pa


                def test_schema(df):
                    schema = pa.DataFrameSchema({"a": pa.Column(int)})
                    schema.validate(df)
                """
        },
        True,
        ("tests/test_schema.py", 5),
        "a test validates data with pandera",
    ),
    Case(
        "data_validation_tests",
        "asserts-on-columns-and-nulls",
        {
            "tests/test_data.py": """
                def test_data_integrity(df):
                    assert list(df.columns) == ["a", "b"]
                    assert df["a"].isnull().sum() == 0
                """
        },
        True,
        ("tests/test_data.py", 2),
        "test_data_integrity asserts on the data's columns",
    ),
    Case(
        "data_validation_tests",
        "jsonschema-on-input-records",
        {
            "tests/test_inputs.py": """
                import jsonschema

                SCHEMA = {"type": "object", "required": ["a"]}


                def test_input_records(rows):
                    for row in rows:
                        jsonschema.validate(row, SCHEMA)
                """
        },
        True,
        ("tests/test_inputs.py", 8),
        "a test validates data with jsonschema",
    ),
    Case(
        "data_validation_tests",
        "jsonschema-on-a-report-is-not-data-validation",
        {
            "tests/test_report.py": "import jsonschema\n\n\ndef test_sarif(report, schema):\n"
            "    jsonschema.validate(report, schema)\n"
        },
        False,
    ),
    Case(
        "data_validation_tests",
        "data-test-without-validation",
        {"tests/test_data.py": "def test_data_loader(rows):\n    assert len(rows) == 3\n"},
        False,
    ),
    Case(
        "data_validation_tests",
        "column-asserts-in-an-unrelated-test",
        {"tests/test_render.py": "def test_render(df):\n    assert list(df.columns) == ['a']\n"},
        False,
    ),
    Case(
        "data_validation_tests",
        "pandera-only-in-a-comment-or-in-source",
        {
            "tests/test_x.py": "# import pandera\ndef test_x():\n    assert add(2, 2) == 4\n",
            "src/schema.py": "import pandera as pa\n\nSCHEMA = pa.DataFrameSchema({})\n",
        },
        False,
    ),
]

MODEL_QUALITY = [
    Case(
        "model_quality_tests",
        "accuracy-threshold",
        {
            "tests/test_quality.py": """
                from sklearn.metrics import accuracy_score


                def test_accuracy(model, X, y):
                    acc = accuracy_score(y, model.predict(X))
                    assert acc >= 0.8
                """
        },
        True,
        ("tests/test_quality.py", 6),
        "a test holds a model metric (acc) to a bound",
    ),
    Case(
        "model_quality_tests",
        "approx-with-tolerance",
        {
            "tests/test_rmse.py": """
                import pytest


                def test_rmse(rmse):
                    assert rmse == pytest.approx(1.0, abs=0.1)
                """
        },
        True,
        ("tests/test_rmse.py", 5),
        "(rmse)",
    ),
    Case(
        "model_quality_tests",
        "unittest-assert-greater",
        {
            "tests/test_f1.py": """
                import unittest


                class TestQuality(unittest.TestCase):
                    def test_f1(self):
                        self.assertGreaterEqual(self.f1, 0.7)
                """
        },
        True,
        ("tests/test_f1.py", 6),
        "(f1)",
    ),
    Case(
        "model_quality_tests",
        "exact-equality-is-no-range",
        {"tests/test_q.py": "def test_q(accuracy):\n    assert accuracy == 0.93\n"},
        False,
    ),
    Case(
        "model_quality_tests",
        "comment-count-and-notebook",
        {
            "tests/test_q.py": "def test_q(preds):\n    # assert acc >= 0.8\n"
            "    assert len(preds) > 0\n",
            "nb.ipynb": notebook("acc = 0.9\nassert acc >= 0.8\n"),
        },
        False,
    ),
]

API_TESTS = [
    Case(
        "api_tests",
        "fastapi-testclient",
        {
            "tests/test_api.py": """
                from fastapi.testclient import TestClient

                from app.main import app

                client = TestClient(app)


                def test_predict():
                    assert client.post("/predict", json={}).status_code == 200
                """
        },
        True,
        ("tests/test_api.py", 5),
        "TestClient",
    ),
    Case(
        "api_tests",
        "flask-test-client",
        {
            "tests/test_app.py": """
                from app import create_app


                def test_score():
                    client = create_app().test_client()
                    assert client.post("/score").status_code == 200
                """
        },
        True,
        ("tests/test_app.py", 5),
        "test client",
    ),
    Case(
        "api_tests",
        "scoring-script-init-run",
        {
            "tests/test_score.py": """
                import score


                def test_run():
                    score.init()
                    assert score.run("{}")
                """
        },
        True,
        ("tests/test_score.py", 5),
        "scoring script's init()",
    ),
    Case(
        "api_tests",
        "comment-readme-and-notebook",
        {
            "tests/test_x.py": "# requests.post('http://localhost/predict')\ndef test_x():\n"
            "    assert add(2, 2) == 4\n",
            "README.md": "We test the API with TestClient.\n",
            "nb.ipynb": notebook("from fastapi.testclient import TestClient\nTestClient(app)\n"),
        },
        False,
    ),
]

TRAINING = [
    Case(
        "training_code",
        "sklearn-fit",
        {
            "src/train.py": """
                from sklearn.linear_model import LogisticRegression


                def train(X, y):
                    model = LogisticRegression()
                    model.fit(X, y)
                    return model
                """
        },
        True,
        ("src/train.py", 6),
        "trains a model (fit)",
    ),
    Case(
        "training_code",
        "torch-loop",
        {
            "src/loop.py": """
                import torch


                def train(model, loader):
                    optimizer = torch.optim.Adam(model.parameters())
                    for x, y in loader:
                        loss = model(x).sub(y).pow(2).mean()
                        optimizer.zero_grad()
                        loss.backward()
                        optimizer.step()
                """
        },
        True,
        ("src/loop.py", 10),
        "optimizer steps",
    ),
    Case(
        "training_code",
        "amp-grad-scaler-loop",
        {
            "src/engine.py": """
                import torch


                def train_one_epoch(model, loader, optimizer):
                    scaler = torch.cuda.amp.GradScaler()
                    for x, y in loader:
                        loss = model(x).sub(y).pow(2).mean()
                        scaler.scale(loss).backward()
                        scaler.step(optimizer)
                        scaler.update()
                """
        },
        True,
        ("src/engine.py", 9),
        "optimizer steps",
    ),
    Case(
        "training_code",
        "xgboost-train",
        {
            "src/boost.py": """
                import xgboost as xgb


                def train(dtrain):
                    return xgb.train({"max_depth": 3}, dtrain)
                """
        },
        True,
        ("src/boost.py", 5),
        "xgboost.train",
    ),
    Case(
        "training_code",
        "only-in-a-notebook",
        {
            "notebooks/train.ipynb": notebook(
                "from sklearn.linear_model import LogisticRegression\n"
                "model = LogisticRegression()\nmodel.fit(X, y)\n"
            )
        },
        False,
        ("notebooks/train.ipynb", NB_FIRST_LINE + 2),
        "training only in notebooks",
        weak=True,
    ),
    Case(
        "training_code",
        "only-in-tests-comments-docstrings-and-dead-code",
        {
            "tests/test_train.py": "def test_fit(model, X, y):\n    model.fit(X, y)\n",
            "src/train.py": '"""Train with model.fit(X, y)."""\n# model.fit(X, y)\n'
            "if False:\n    model.fit(X, y)\n",
        },
        False,
    ),
    Case(
        "training_code",
        "preprocessing-fit-is-not-training",
        {
            "src/prep.py": "from sklearn.preprocessing import StandardScaler\n\n"
            "scaler = StandardScaler()\nscaler.fit(X)\n"
        },
        False,
    ),
]

PIPELINES = [
    Case(
        "pipeline_definition",
        "azureml-pipeline-yaml",
        {
            "pipelines/train.yml": """
                $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
                type: pipeline
                jobs:
                  prep:
                    type: command
                    command: python prep.py
                  train:
                    type: command
                    command: python train.py
                """
        },
        True,
        ("pipelines/train.yml", 2),
        "Azure ML pipeline job (2 steps)",
    ),
    Case(
        "pipeline_definition",
        "dvc-stages",
        {
            "dvc.yaml": """
                stages:
                  prepare:
                    cmd: python prepare.py
                  train:
                    cmd: python train.py
                """
        },
        True,
        ("dvc.yaml", 1),
        "DVC pipeline (2 stages: prepare, train)",
    ),
    Case(
        "pipeline_definition",
        "mlflow-project",
        {"MLproject": "name: churn\nentry_points:\n  main:\n    command: python train.py\n"},
        True,
        ("MLproject", 2),
        "MLflow Project",
    ),
    Case(
        "pipeline_definition",
        "kubeflow-decorator",
        {
            "src/pipeline.py": """
                from kfp import dsl


                @dsl.pipeline(name="train")
                def pipeline():
                    pass
                """
        },
        True,
        ("src/pipeline.py", 4),
        "Kubeflow Pipelines",
    ),
    Case(
        "pipeline_definition",
        "airflow-dag",
        {"dags/train.py": "from airflow import DAG\n\nwith DAG('train') as dag:\n    pass\n"},
        True,
        ("dags/train.py", 3),
        "Airflow DAG",
    ),
    Case(
        "pipeline_definition",
        "prefect-flow",
        {"flows/train.py": "from prefect import flow\n\n\n@flow\ndef train():\n    pass\n"},
        True,
        ("flows/train.py", 4),
        "Prefect flow",
    ),
    Case(
        "pipeline_definition",
        "local-entry-point-chaining-steps",
        {
            "src/pipeline.py": """
                from pkg import data, evaluate, train


                def main():
                    df = data.prepare()
                    model = train.train_model(df)
                    evaluate.evaluate(model, df)


                if __name__ == "__main__":
                    main()
                """
        },
        True,
        ("src/pipeline.py", 5),
        "main chains prepare, train, evaluate",
    ),
    Case(
        "pipeline_definition",
        "makefile-train-target",
        {"Makefile": ".PHONY: train\n\ntrain:\n\tpython -m pkg.train\n"},
        True,
        ("Makefile", 3),
        "Makefile target 'train' runs Python",
    ),
    Case(
        "pipeline_definition",
        "kedro-registry",
        {
            "src/pkg/pipeline_registry.py": "def register_pipelines():\n    return {}\n",
        },
        True,
        ("src/pkg/pipeline_registry.py", 1),
        "Kedro pipeline registry",
    ),
    Case(
        "pipeline_definition",
        "databricks-bundle-job",
        {
            "databricks.yml": """
                bundle:
                  name: churn
                resources:
                  jobs:
                    train:
                      name: train
                      job_clusters:
                        - job_cluster_key: main
                          new_cluster:
                            spark_version: 14.3.x-scala2.12
                      tasks:
                        - task_key: train
                          job_cluster_key: main
                """
        },
        True,
        ("databricks.yml", 4),
        "Databricks Asset Bundle job",
    ),
    Case(
        "pipeline_definition",
        "only-in-a-notebook-is-weak",
        {
            "nb.ipynb": notebook(
                "from kfp import dsl\n\n@dsl.pipeline(name='x')\ndef p():\n    pass\n"
            )
        },
        True,
        ("nb.ipynb", NB_FIRST_LINE + 2),
        "a Kubeflow pipeline defined in code (in a notebook)",
        weak=True,
    ),
    Case(
        "pipeline_definition",
        "claims-commented-spec-and-echo-target",
        {
            "README.md": "Our DVC pipeline (dvc.yaml) and `make train` do everything.\n",
            "dvc.yaml": "# stages:\n#   train:\n#     cmd: python train.py\n",
            "Makefile": "train:\n\techo 'python train.py'\n",
            "src/run.py": "def main():\n    train()\n",
        },
        False,
    ),
]

DATA = [
    Case(
        "data_pipeline",
        "pandas-read",
        {"src/data.py": "import pandas as pd\n\n\ndef load(path):\n    return pd.read_csv(path)\n"},
        True,
        ("src/data.py", 5),
        "read_csv",
    ),
    Case(
        "data_pipeline",
        "sklearn-datasets",
        {
            "src/data.py": "from sklearn.datasets import load_iris\n\n"
            "X, y = load_iris(return_X_y=True)\n"
        },
        True,
        ("src/data.py", 3),
        "sklearn.datasets",
    ),
    Case(
        "data_pipeline",
        "dvc-prepare-stage",
        {"dvc.yaml": "stages:\n  prepare:\n    cmd: python prepare.py\n"},
        True,
        ("dvc.yaml", 2),
        "DVC stage 'prepare' prepares data",
    ),
    Case(
        "data_pipeline",
        "only-in-a-notebook",
        {"nb.ipynb": notebook("import pandas as pd\ndf = pd.read_csv('data.csv')\n")},
        False,
        ("nb.ipynb", NB_FIRST_LINE + 1),
        "(in a notebook)",
        weak=True,
    ),
    Case(
        "data_pipeline",
        "only-in-tests-and-comments",
        {
            "tests/test_data.py": "import pandas as pd\n\npd.read_csv('x.csv')\n",
            "src/data.py": "# df = pd.read_csv('x.csv')\nimport pandas\n",
        },
        False,
    ),
]

TRACKING = [
    Case(
        "experiment_tracking",
        "mlflow-in-code",
        {
            "src/train.py": """
                import mlflow


                def train():
                    with mlflow.start_run():
                        mlflow.log_metric("acc", 0.9)
                """
        },
        True,
        ("src/train.py", 5),
        "logs runs to MLflow",
    ),
    Case(
        "experiment_tracking",
        "wandb",
        {"src/train.py": "import wandb\n\nwandb.init(project='x')\n"},
        True,
        ("src/train.py", 3),
        "Weights & Biases",
    ),
    Case(
        "experiment_tracking",
        "only-in-a-notebook",
        {"nb.ipynb": notebook("import mlflow\nmlflow.log_metric('acc', 0.9)\n")},
        False,
        ("nb.ipynb", NB_FIRST_LINE + 1),
        "logs runs to MLflow (in a notebook)",
        weak=True,
    ),
    Case(
        "experiment_tracking",
        "declared-but-never-used",
        {"requirements.txt": "pandas==2.2.2\nmlflow==2.14.1\n", "src/a.py": "import os\n"},
        False,
        ("requirements.txt", 2),
        "declared as a dependency but no code uses it",
        weak=True,
    ),
    Case(
        "experiment_tracking",
        "tests-comments-and-dead-code",
        {
            "tests/test_x.py": "import mlflow\nmlflow.log_metric('a', 1)\n",
            "src/train.py": "import mlflow\n# mlflow.log_metric('a', 1)\nif False:\n"
            "    mlflow.start_run()\n",
        },
        False,
    ),
]

REGISTRY = [
    Case(
        "model_registry",
        "register-model",
        {"src/reg.py": "import mlflow\n\nmlflow.register_model('runs:/1/model', 'churn')\n"},
        True,
        ("src/reg.py", 3),
        "registers a model version",
    ),
    Case(
        "model_registry",
        "log-model-with-registered-name",
        {
            "src/train.py": "import mlflow\n\n"
            "mlflow.sklearn.log_model(m, 'model', registered_model_name='churn')\n"
        },
        True,
        ("src/train.py", 3),
        "registered_model_name",
    ),
    Case(
        "model_registry",
        "az-ml-cli-in-a-script",
        {"scripts/register.sh": "#!/bin/sh\n# az ml model list\naz ml model create --name churn\n"},
        True,
        ("scripts/register.sh", 3),
        "az ml CLI",
    ),
    Case(
        "model_registry",
        "only-in-a-notebook-is-weak",
        {"nb.ipynb": notebook("import mlflow\nmlflow.register_model('runs:/1/m', 'churn')\n")},
        True,
        ("nb.ipynb", NB_FIRST_LINE + 1),
        "(in a notebook)",
        weak=True,
    ),
    Case(
        "model_registry",
        "unregistered-log-model-and-comment",
        {
            "src/train.py": "import mlflow\n\nmlflow.sklearn.log_model(m, 'model')\n"
            "# mlflow.register_model('runs:/1/model', 'churn')\n"
        },
        False,
    ),
]

CHAMPION = [
    Case(
        "champion_challenger",
        "registry-alias",
        {
            "src/promote.py": "from mlflow import MlflowClient\n\nclient = MlflowClient()\n"
            "client.set_registered_model_alias('churn', 'champion', '3')\n"
        },
        True,
        ("src/promote.py", 4),
        "champion/challenger (set_registered_model_alias)",
    ),
    Case(
        "champion_challenger",
        "endpoint-traffic-split",
        {
            "deploy/endpoint.yml": """
                $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json
                name: churn
                auth_mode: key
                traffic:
                  blue: 90
                  green: 10
                """
        },
        True,
        ("deploy/endpoint.yml", 4),
        "A/B traffic split",
    ),
    Case(
        "champion_challenger",
        "promotion-gate",
        {
            "src/gate.py": "def promote(challenger_auc, champion_auc):\n"
            "    if challenger_auc > champion_auc:\n        return True\n    return False\n"
        },
        True,
        ("src/gate.py", 2),
        "a promotion gate compares the challenger with the champion",
    ),
    Case(
        "champion_challenger",
        "config-only-is-weak",
        {"config/promotion.yaml": "alias: champion\n"},
        True,
        ("config/promotion.yaml", 1),
        "not seen used in code",
        weak=True,
    ),
    Case(
        "champion_challenger",
        "comment-log-message-and-single-deployment",
        {
            "src/a.py": "# client.set_registered_model_alias('m', 'champion', 1)\n"
            "print('the champion is served')\n",
            "deploy/endpoint.yml": "$schema: https://azuremlschemas.azureedge.net/latest/"
            "managedOnlineEndpoint.schema.json\nname: x\ntraffic:\n  blue: 100\n",
        },
        False,
    ),
]

SEEDS = [
    Case(
        "seeded_training",
        "random-state",
        {
            "src/train.py": "from sklearn.ensemble import RandomForestClassifier\n\n"
            "model = RandomForestClassifier(random_state=42)\n"
        },
        True,
        ("src/train.py", 3),
        "passes a fixed random_state to RandomForestClassifier",
    ),
    Case(
        "seeded_training",
        "numpy-seed",
        {"src/train.py": "import numpy as np\n\nnp.random.seed(0)\n"},
        True,
        ("src/train.py", 3),
        "fixes the random seed (numpy.random.seed)",
    ),
    Case(
        "seeded_training",
        "config-seed-read-by-code",
        {
            "configs/train.yaml": "seed: 42\n",
            "src/train.py": "import yaml\n\ncfg = yaml.safe_load(open('configs/train.yaml'))\n"
            "run(cfg['seed'])\n",
        },
        True,
        ("configs/train.yaml", 1),
        "configuration fixes seed: 42",
    ),
    Case(
        "seeded_training",
        "config-seed-nobody-reads-is-weak",
        {"configs/train.yaml": "seed: 42\n"},
        True,
        ("configs/train.yaml", 1),
        "no training code seen reading it",
        weak=True,
    ),
    Case(
        "seeded_training",
        "none-seed-tests-and-comments",
        {
            "src/train.py": "from sklearn.ensemble import RandomForestClassifier\n\n"
            "model = RandomForestClassifier(random_state=None)\n# np.random.seed(0)\n",
            "tests/test_x.py": "import numpy as np\n\nnp.random.seed(0)\n",
        },
        False,
    ),
]

ONNX = [
    Case(
        "onnx_packaging",
        "torch-export",
        {
            "src/export.py": "import torch\n\n\ndef export(model, x):\n"
            "    torch.onnx.export(model, x, 'model.onnx')\n"
        },
        True,
        ("src/export.py", 5),
        "torch.onnx.export",
    ),
    Case(
        "onnx_packaging",
        "skl2onnx",
        {
            "src/export.py": "from skl2onnx import convert_sklearn\n\n"
            "onx = convert_sklearn(model, initial_types=[])\n"
        },
        True,
        ("src/export.py", 3),
        "skl2onnx",
    ),
    Case(
        "onnx_packaging",
        "committed-onnx-file",
        {"models/model.onnx": b"\x08\x07onnx-bytes\x00"},
        True,
        ("models/model.onnx", None),
        "committed ONNX model",
    ),
    Case(
        "onnx_packaging",
        "dependency-and-comment-only",
        {
            "requirements.txt": "onnx==1.16.0\nskl2onnx==1.17.0\n",
            "src/export.py": "# from skl2onnx import convert_sklearn\nimport os\n",
        },
        False,
    ),
]

SCORING = [
    Case(
        "scoring_script",
        "azureml-init-run",
        {
            "src/score.py": """
                import json

                import joblib

                model = None


                def init():
                    global model
                    model = joblib.load("model.pkl")


                def run(raw):
                    return model.predict(json.loads(raw)).tolist()
                """
        },
        True,
        ("src/score.py", 13),
        "init() and run()",
    ),
    Case(
        "scoring_script",
        "predict-function-loading-a-model",
        {
            "src/predict.py": "import joblib\n\n_model = joblib.load('m.pkl')\n\n\n"
            "def predict(rows):\n    return _model.predict(rows)\n"
        },
        True,
        ("src/predict.py", 6),
        "predict() serves a loaded model",
    ),
    Case(
        "scoring_script",
        "only-in-a-notebook",
        {"nb.ipynb": notebook("def init():\n    pass\n\ndef run(x):\n    return x\n")},
        False,
        ("nb.ipynb", NB_FIRST_LINE + 3),
        "(in a notebook)",
        weak=True,
    ),
    Case(
        "scoring_script",
        "run-without-init-and-predict-without-model",
        {
            "src/job.py": "def run():\n    print('hello')\n",
            "src/math.py": "def predict(x):\n    return x * 2\n",
        },
        False,
    ),
]

FASTAPI_APP = """
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/health")
    def health():
        return {"ok": True}


    @app.post("/predict")
    def predict(row: dict):
        return {"y": 1}
    """

SERVING = [
    Case(
        "serving_api",
        "fastapi-predict-route",
        {"src/app.py": FASTAPI_APP},
        True,
        ("src/app.py", 11),
        "HTTP serving: POST /predict predicts",
    ),
    Case(
        "serving_api",
        "flask-score-route",
        {
            "src/app.py": "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
            "@app.route('/score', methods=['POST'])\ndef score():\n    return '1'\n"
        },
        True,
        ("src/app.py", 6),
        "route /score",
    ),
    Case(
        "serving_api",
        "azureml-online-deployment",
        {
            "deploy/blue.yml": "$schema: https://azuremlschemas.azureedge.net/latest/"
            "managedOnlineDeployment.schema.json\nname: blue\nendpoint_name: churn\n"
        },
        True,
        ("deploy/blue.yml", 1),
        "Azure ML online deployment",
    ),
    Case(
        "serving_api",
        "kserve-inference-service",
        {
            "k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: churn\n"
        },
        True,
        ("k8s/isvc.yaml", 2),
        "InferenceService manifest",
    ),
    Case(
        "serving_api",
        "health-route-only",
        {
            "src/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/health')\ndef health():\n    return {}\n",
            "README.md": "POST /predict serves the model.\n",
        },
        False,
    ),
    Case(
        "serving_api",
        "only-in-a-notebook",
        {"nb.ipynb": notebook(FASTAPI_APP.replace("\n    ", "\n").strip() + "\n")},
        False,
        ("nb.ipynb", NB_FIRST_LINE + 10),
        "(in a notebook)",
        weak=True,
    ),
]

BATCH = [
    Case(
        "batch_scoring",
        "azureml-batch-endpoint",
        {
            "deploy/batch.yml": "$schema: https://azuremlschemas.azureedge.net/latest/"
            "batchEndpoint.schema.json\nname: churn-batch\n"
        },
        True,
        ("deploy/batch.yml", 1),
        "Azure ML batch endpoint",
    ),
    Case(
        "batch_scoring",
        "file-to-file-script",
        {
            "src/batch.py": """
                import joblib
                import pandas as pd


                def main(src, dst):
                    model = joblib.load("model.pkl")
                    df = pd.read_csv(src)
                    df["y"] = model.predict(df)
                    df.to_csv(dst)
                """
        },
        True,
        ("src/batch.py", 8),
        "scores a dataset file to file",
    ),
    Case(
        "batch_scoring",
        "predict-without-writing",
        {
            "src/online.py": "import pandas as pd\n\n\ndef f(model, path):\n"
            "    return model.predict(pd.read_csv(path))\n"
        },
        False,
    ),
]

MONITORING = [
    Case(
        "monitoring_metrics",
        "prometheus-client",
        {
            "src/metrics.py": "from prometheus_client import Counter\n\n"
            "REQUESTS = Counter('requests_total', 'Requests')\n"
        },
        True,
        ("src/metrics.py", 3),
        "Prometheus metrics",
    ),
    Case(
        "monitoring_metrics",
        "metrics-route",
        {
            "src/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/metrics')\ndef metrics():\n    return ''\n"
        },
        True,
        ("src/app.py", 6),
        "/metrics endpoint",
    ),
    Case(
        "monitoring_metrics",
        "app-insights-in-terraform",
        {"infra/main.tf": 'resource "azurerm_application_insights" "ai" {\n  name = "x"\n}\n'},
        True,
        ("infra/main.tf", 1),
        "Application Insights resource (Terraform)",
    ),
    Case(
        "monitoring_metrics",
        "import-requirement-and-comment-only",
        {
            "src/a.py": "import prometheus_client\n# Counter('x', 'y')\n",
            "requirements.txt": "prometheus-client==0.20.0\n",
        },
        False,
    ),
]

DRIFT = [
    Case(
        "drift_monitoring",
        "evidently",
        {
            "src/drift.py": "from evidently.report import Report\n"
            "from evidently.metric_preset import DataDriftPreset\n\n"
            "report = Report(metrics=[DataDriftPreset()])\n"
        },
        True,
        ("src/drift.py", 4),
        "Evidently",
    ),
    Case(
        "drift_monitoring",
        "ks-2samp",
        {
            "src/drift.py": "from scipy.stats import ks_2samp\n\n\ndef drifted(a, b):\n"
            "    return ks_2samp(a, b).pvalue < 0.05\n"
        },
        True,
        ("src/drift.py", 5),
        "Kolmogorov-Smirnov",
    ),
    Case(
        "drift_monitoring",
        "psi-implementation",
        {
            "src/stability.py": "import numpy as np\n\n\ndef psi(expected, actual):\n"
            "    return float(np.sum(expected - actual))\n"
        },
        True,
        ("src/stability.py", 4),
        "population stability index implementation (psi)",
    ),
    Case(
        "drift_monitoring",
        "azureml-monitor",
        {
            "monitoring/monitor.yml": """
                $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
                name: churn-monitor
                trigger:
                  type: recurrence
                  frequency: day
                  interval: 1
                create_monitor:
                  monitoring_signals:
                    drift:
                      type: data_drift
                """
        },
        True,
        ("monitoring/monitor.yml", 7),
        "Azure ML model monitor",
    ),
    Case(
        "drift_monitoring",
        "only-in-a-notebook-is-weak",
        {"nb.ipynb": notebook("from scipy.stats import ks_2samp\nks_2samp([1], [2])\n")},
        True,
        ("nb.ipynb", NB_FIRST_LINE + 1),
        "(in a notebook)",
        weak=True,
    ),
    Case(
        "drift_monitoring",
        "requirement-test-and-comment-only",
        {
            "requirements.txt": "evidently==0.4.0\n",
            "tests/test_drift.py": "from scipy.stats import ks_2samp\n\nks_2samp([1], [2])\n",
            "src/a.py": "# report = Report(metrics=[DataDriftPreset()])\nimport evidently\n",
        },
        False,
    ),
]

PREDICTION_LOGS = [
    Case(
        "prediction_logging",
        "azureml-collector",
        {
            "src/score.py": "from azureml_ai_monitoring import Collector\n\n"
            "inputs = Collector(name='model_inputs')\n"
        },
        True,
        ("src/score.py", 3),
        "Azure ML data collector",
    ),
    Case(
        "prediction_logging",
        "service-logs-predictions",
        {
            "src/app.py": """
                import logging

                from fastapi import FastAPI

                app = FastAPI()
                log = logging.getLogger(__name__)


                @app.post("/predict")
                def predict(row: dict):
                    prediction = 1
                    log.info("prediction %s", prediction)
                    return {"prediction": prediction}
                """
        },
        True,
        ("src/app.py", 12),
        "the service logs its predictions (info)",
    ),
    Case(
        "prediction_logging",
        "deployment-data-collector",
        {
            "deploy/blue.yml": """
                $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
                name: blue
                data_collector:
                  collections:
                    model_inputs:
                      enabled: 'True'
                """
        },
        True,
        ("deploy/blue.yml", 3),
        "collects inputs and predictions",
    ),
    Case(
        "prediction_logging",
        "prediction-log-writer",
        {
            "src/telemetry.py": """
                import logging

                log = logging.getLogger("predictions")


                def log_prediction(features, prediction):
                    log.info("prediction", extra={"features": features, "prediction": prediction})
                """
        },
        True,
        ("src/telemetry.py", 7),
        "a prediction log writer (log_prediction)",
    ),
    Case(
        "prediction_logging",
        "service-logs-no-predictions-and-batch-logs",
        {
            "src/app.py": "import logging\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.post('/predict')\ndef predict(row: dict):\n"
            "    logging.info('request received')\n    return {}\n",
            "src/batch.py": "import logging\n\nlogging.info('prediction %s', prediction)\n",
        },
        False,
    ),
]

CASES = [
    *UNIT,
    *MODEL_TESTS,
    *DATA_VALIDATION,
    *MODEL_QUALITY,
    *API_TESTS,
    *TRAINING,
    *PIPELINES,
    *DATA,
    *TRACKING,
    *REGISTRY,
    *CHAMPION,
    *SEEDS,
    *ONNX,
    *SCORING,
    *SERVING,
    *BATCH,
    *MONITORING,
    *DRIFT,
    *PREDICTION_LOGS,
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_code_signal(tmp_path: Path, case: Case) -> None:
    check(run(tmp_path, case.tree, registry()[case.signal].fn), case)


def test_every_code_signal_has_a_positive_and_a_negative_case() -> None:
    names = {c.signal for c in CASES}
    assert names == _SIGNAL_NAMES
    for name in names:
        assert {c.found for c in CASES if c.signal == name} == {True, False}, name


_SIGNAL_NAMES = {
    "unit_tests",
    "model_tests",
    "data_validation_tests",
    "model_quality_tests",
    "api_tests",
    "training_code",
    "pipeline_definition",
    "data_pipeline",
    "experiment_tracking",
    "model_registry",
    "champion_challenger",
    "seeded_training",
    "onnx_packaging",
    "scoring_script",
    "serving_api",
    "batch_scoring",
    "monitoring_metrics",
    "drift_monitoring",
    "prediction_logging",
}


CLAIMS_ONLY = {
    "README.md": """
        # Churn
        We track experiments with MLflow (`mlflow.log_metric`), register models
        (`mlflow.register_model`), train with `model.fit(X, y)` in a DVC pipeline, serve
        `POST /predict` with FastAPI, export ONNX, watch drift with Evidently, expose
        `/metrics`, log every prediction, test with pytest and deploy with Terraform
        to dev and prod via Docker.
        """,
    "docs/guide.md": """
        ```python
        import mlflow
        mlflow.log_metric("acc", 0.9)
        model.fit(X, y)
        ```
        ```dockerfile
        FROM python:3.11
        CMD ["python", "app.py"]
        ```
        """,
    "src/disabled.py": '''
        """Planned: mlflow.start_run(), model.fit(X, y), torch.onnx.export(...)."""
        # import mlflow
        # mlflow.log_metric("acc", 0.9)
        # model.fit(X, y)
        ENABLE_EXTRAS = False

        if False:
            import mlflow
            import pandas as pd
            from fastapi import FastAPI
            from prometheus_client import Counter
            from scipy.stats import ks_2samp

            mlflow.start_run()
            mlflow.register_model("runs:/1/m", "churn")
            pd.read_csv("data.csv")
            model.fit(X, y)
            ks_2samp(a, b)
            Counter("x", "y")

        if ENABLE_EXTRAS:
            import numpy as np
            import torch

            np.random.seed(0)
            torch.onnx.export(model, x, "m.onnx")
        ''',
    "Dockerfile": '# FROM python:3.11\n# CMD ["python", "app.py"]\n',
    "infra/main.tf": '# resource "azurerm_resource_group" "rg" {}\n/* resource "x" "y" {} */\n',
    ".gitattributes": "# *.csv filter=lfs diff=lfs merge=lfs -text\n",
    "requirements.txt": "# mlflow==2.14\n",
}


def test_claims_comments_and_dead_code_are_no_evidence(tmp_path: Path) -> None:
    build_tree(tmp_path, CLAIMS_ONLY)
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    signals = registry()
    fns = [signals[name].fn for name in sorted(_SIGNAL_NAMES | _OTHER_SIGNALS)]
    for fn in fns:
        res = fn(snap)
        assert (res.found, res.evidence) == (False, ()), (res.name, res.evidence)
    assert snap.unreadable == []


_OTHER_SIGNALS = {
    "iac",
    "container_packaging",
    "managed_compute",
    "data_versioning",
    "dependency_pinning",
    "release_versioning",
    "notebooks",
}
