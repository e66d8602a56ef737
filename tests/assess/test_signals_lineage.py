"""data_lineage: training runs record which data they used."""

from __future__ import annotations

from pathlib import Path

from mlops_factory._assess.signals.lineage import data_lineage
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree


def _run(tmp_path: Path, tree: dict[str, str]) -> tuple[bool, list[tuple[str | None, int | None]]]:
    res = data_lineage(RepoSnapshot.open(build_tree(tmp_path, tree), with_git=False))
    return res.found, [(e.path, e.line) for e in res.evidence]


def test_logged_data_fingerprint(tmp_path: Path) -> None:
    found, where = _run(
        tmp_path,
        {
            "src/pkg/train.py": """
                import hashlib
                import mlflow

                def train(path):
                    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
                    mlflow.log_param("data_sha256", digest)
                """
        },
    )
    assert found and where == [("src/pkg/train.py", 6)]


def test_log_input_and_pinned_azureml_data_asset(tmp_path: Path) -> None:
    found, where = _run(
        tmp_path,
        {
            "train.py": "import mlflow\nmlflow.log_input(dataset, context='training')\n",
            "job.yml": (
                "$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\n"
                "inputs:\n  data:\n    path: azureml:churn:4\n"
            ),
        },
    )
    assert found and sorted(where) == [("job.yml", 4), ("train.py", 2)]


def test_comments_tests_and_unrelated_params_are_not_lineage(tmp_path: Path) -> None:
    found, _ = _run(
        tmp_path,
        {
            "train.py": "import mlflow\n# mlflow.log_input(ds)\nmlflow.log_param('seed', 42)\n",
            "tests/test_train.py": "import mlflow\nmlflow.log_param('data_hash', 'x')\n",
            "job.yml": "$schema: azureml\ninputs:\n  # path: azureml:churn:4\n  x: 1\n",
            "broken.py": "def (:\n  log_input(\n",
        },
    )
    assert not found
