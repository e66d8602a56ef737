"""Tests classified by what they reach through the Python index: a project's own model
loader, a project data function whose output the test checks."""

from __future__ import annotations

from pathlib import Path

from mlops_factory._assess.model import SignalResult
from mlops_factory._assess.signals import registry
from mlops_factory._assess.signals.tests import model_helpers
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree

LOADER = {
    "src/churn/model_io.py": """
        import joblib


        def read_artifact(path):
            return joblib.load(path)
        """,
    "src/churn/service.py": """
        from churn.model_io import read_artifact


        def get_classifier():
            return read_artifact("models/churn.joblib")
        """,
}


def run(root: Path, tree: dict[str, str], name: str) -> SignalResult:
    build_tree(root, tree)
    return registry()[name].fn(RepoSnapshot.open(root, with_git=False))


def test_helpers_are_found_through_two_hops(tmp_path: Path) -> None:
    build_tree(tmp_path, LOADER)
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert model_helpers(snap) == {"read_artifact", "get_classifier"}


def test_a_test_reaching_the_project_loader_is_a_model_test(tmp_path: Path) -> None:
    tree = {
        **LOADER,
        "tests/test_service.py": """
            from churn.service import get_classifier


            def test_classifier_loads():
                clf = get_classifier()
                assert clf is not None
            """,
    }
    res = run(tmp_path, tree, "model_tests")
    assert res.found and not res.weak
    assert res.evidence[0].path == "tests/test_service.py"
    assert "get_classifier()" in res.evidence[0].note


def test_a_test_of_other_project_code_is_not_a_model_test(tmp_path: Path) -> None:
    tree = {
        **LOADER,
        "src/churn/text.py": "def slugify(s):\n    return s.lower()\n",
        "tests/test_text.py": """
            from churn.text import slugify


            def test_slugify():
                assert slugify("A") == "a"
            """,
    }
    assert run(tmp_path, tree, "model_tests").found is False


DATA = {
    "src/churn/features.py": """
        def build_features(df):
            out = df.dropna()
            out["tenure_years"] = out["tenure"] / 12
            return out
        """,
}


def test_a_test_that_computes_data_then_asserts_on_it_is_data_validation(tmp_path: Path) -> None:
    tree = {
        **DATA,
        "tests/test_features.py": """
            import pandas as pd

            from churn.features import build_features


            def test_build():
                out = build_features(pd.DataFrame({"tenure": [12, None]}))
                assert "tenure_years" in out.columns
                assert out.notnull().all().all()
            """,
    }
    res = run(tmp_path, tree, "data_validation_tests")
    assert res.found
    assert "build_features()" in res.evidence[0].note


def test_a_data_function_test_without_data_assertions_is_not_data_validation(
    tmp_path: Path,
) -> None:
    tree = {
        **DATA,
        "tests/test_features.py": """
            from churn.features import build_features


            def test_build_runs():
                build_features(frame)
                assert frame is not None  # asserts nothing the code computed
            """,
    }
    assert run(tmp_path, tree, "data_validation_tests").found is False
