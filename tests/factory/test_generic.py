"""What makes a file generic, and the reuse kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._factory._generic import (
    Vocabulary,
    catalog_vocabulary,
    detect_answers,
    kind_of,
    project_identifiers,
    reusable,
    specificity,
)
from mlops_factory._factory._values import ProjectValues
from mlops_factory._scaffold import load_catalog
from tests.helpers import build_tree

VALUES = ProjectValues("churn-app", "churn_app", None, None)
NO_VOCABULARY = Vocabulary(frozenset({"config"}), frozenset({"load_config"}))


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (".github/workflows/ci.yml", "ci"),
        (".gitlab-ci.yml", "ci"),
        (".gitlab/ci/release.yml", "ci"),
        ("azure-pipelines.yml", "ci"),
        (".azure-pipelines/templates/setup.yml", "ci"),
        ("Jenkinsfile.retrain", "ci"),
        ("infra/terraform/main.tf", "iac"),
        ("infra/bicep/main.bicep", "iac"),
        ("k8s/deployment.yaml", "iac"),
        ("Dockerfile", "docker"),
        ("batch.Dockerfile", "docker"),
        ("docker-compose.dev.yml", "docker"),
        ("src/churn_app/retry.py", "utility"),
        ("tests/test_retry.py", "other"),
        ("src/churn_app/__init__.py", "other"),
        ("data/raw/x.json", "data"),
        ("notebooks/explore.ipynb", "data"),
        ("models/model.onnx", "data"),
        ("README.md", "other"),
    ],
)
def test_kind_of(path: str, kind: str) -> None:
    assert kind_of(path) == kind


def test_the_built_in_catalog_vocabulary() -> None:
    vocabulary = catalog_vocabulary(load_catalog())
    assert {"config", "pipeline", "train", "features", "scoring", "service"} <= vocabulary.modules
    assert "template" not in vocabulary.modules and "__init__" not in vocabulary.modules


def _project(tmp_path: Path) -> tuple[Path, list[str]]:
    files = {
        "src/churn_app/__init__.py": "",
        "src/churn_app/config.py": "def load_config():\n    return {}\n",
        "src/churn_app/segments.py": "SEGMENTS = ['a']\n\ndef score_segment(x):\n    return x\n",
        "scripts/report.py": "from churn_app.segments import score_segment\n",
        "scripts/rel.py": "from .segments import SEGMENTS\n",
        "scripts/uses_config.py": (
            "from churn_app.config import load_config\n\ndef f():\n    pass\n"
        ),
        "scripts/standalone.py": "import json\n\ndef dump(x):\n    return json.dumps(x)\n",
        ".github/workflows/run.yml": "steps:\n  - run: python -m churn_app.segments\n",
        ".github/workflows/plain.yml": "steps:\n  - run: python -m churn_app.config\n",
        "docs/segments.md": "We call score_segment nightly.\n",
    }
    root = build_tree(tmp_path / "churn-app", files)
    return root, sorted(files)


@pytest.mark.parametrize(
    ("path", "identifiers", "values", "is_reusable"),
    [
        (
            "scripts/report.py",
            ("churn_app.segments", "score_segment (src/churn_app/segments.py)"),
            {"package_name": 1},
            False,
        ),
        (
            "scripts/rel.py",
            ("churn_app.segments", "SEGMENTS (src/churn_app/segments.py)"),
            {},
            False,
        ),
        # config comes from the catalog: every project made from it has one
        ("scripts/uses_config.py", (), {"package_name": 1}, False),  # imports the project
        ("scripts/standalone.py", (), {}, True),
        (".github/workflows/run.yml", ("churn_app.segments",), {"package_name": 1}, False),
        (".github/workflows/plain.yml", (), {"package_name": 1}, True),
        ("docs/segments.md", ("score_segment (src/churn_app/segments.py)",), {}, False),
    ],
)
def test_specificity(
    tmp_path: Path,
    path: str,
    identifiers: tuple[str, ...],
    values: dict[str, int],
    is_reusable: bool,
) -> None:
    root, files = _project(tmp_path)
    ident = project_identifiers(root, files, "churn_app", NO_VOCABULARY)
    assert ident.modules == frozenset({"segments"})
    assert dict(ident.names) == {
        "SEGMENTS": "src/churn_app/segments.py",
        "score_segment": "src/churn_app/segments.py",
        "dump": "scripts/standalone.py",
    }
    spec = specificity(root, path, VALUES, ident)
    assert spec.identifiers == identifiers
    assert dict(spec.values) == values
    assert reusable(kind_of(path), spec) is is_reusable


def test_a_file_s_own_definitions_do_not_make_it_specific(tmp_path: Path) -> None:
    root, files = _project(tmp_path)
    ident = project_identifiers(root, files, "churn_app", NO_VOCABULARY)
    assert specificity(root, "src/churn_app/segments.py", VALUES, ident).identifiers == ()


def test_detect_answers() -> None:
    files = [".github/workflows/ci.yml", "infra/main.bicep", "dvc.yaml", "Jenkinsfile"]
    assert detect_answers(files) == {"ci": "github", "iac": "bicep", "data_versioning": "dvc"}
