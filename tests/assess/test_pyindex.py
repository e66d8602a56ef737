"""The shared Python index: what it records, what it skips, and that it parses lazily."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_factory._assess._pyindex import (
    PyFile,
    Ref,
    is_test_path,
    python_index,
)
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree


def notebook(*cells: str, markdown: str = "") -> str:
    cell_list = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": c.splitlines(True)}
        for c in cells
    ]
    if markdown:
        cell_list.insert(0, {"cell_type": "markdown", "metadata": {}, "source": markdown})
    return json.dumps({"cells": cell_list, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def parse(tmp_path: Path, source: str, name: str = "src/mod.py") -> tuple[PyFile, RepoSnapshot]:
    build_tree(tmp_path, {name: source})
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    pf = python_index(snap).parse(name)
    assert pf is not None
    return pf, snap


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/unit/helpers.py", True),
        ("src/pkg/test/x.py", True),
        ("test_model.py", True),
        ("src/model_test.py", True),
        ("src/conftest.py", True),
        ("src/testing.py", False),
        ("src/contest.py", False),
        ("latest/x.py", False),
    ],
)
def test_test_paths(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


def test_calls_resolve_aliases_and_keep_constant_arguments(tmp_path: Path) -> None:
    pf, _ = parse(
        tmp_path,
        """
        import numpy as np
        import pandas as pd
        from mlflow import log_metric as lm
        from sklearn.ensemble import RandomForestClassifier

        SEED = 7

        def train(path):
            df = pd.read_csv(path)
            np.random.seed(SEED)
            model = RandomForestClassifier(n_estimators=10, random_state=42)
            model.fit(df, df.y)
            lm("acc", 0.9)
            return model
        """,
    )
    calls = {c.name: c for c in pf.calls}
    assert list(calls) == [
        "pandas.read_csv",
        "numpy.random.seed",
        "sklearn.ensemble.RandomForestClassifier",
        "model.fit",
        "mlflow.log_metric",
    ]
    assert calls["pandas.read_csv"].line == 9
    assert calls["pandas.read_csv"].scope == "train"
    assert calls["numpy.random.seed"].args == (Ref("SEED"),)
    assert calls["sklearn.ensemble.RandomForestClassifier"].kw("random_state") == 42
    assert calls["mlflow.log_metric"].args == ("acc", 0.9)
    assert pf.imports == {"numpy": 1, "pandas": 2, "mlflow": 3, "sklearn.ensemble": 4}
    assert pf.imports_any("sklearn") and not pf.imports_any("torch")


def test_decorators_defs_scopes_and_main_block(tmp_path: Path) -> None:
    pf, _ = parse(
        tmp_path,
        """
        from fastapi import FastAPI

        app = FastAPI()

        class Model:
            def predict(self, x):
                return x

        @app.post("/predict", status_code=200)
        async def predict(row):
            return Model().predict(row)

        if __name__ == "__main__":
            import uvicorn
            uvicorn.run(app)
        """,
    )
    route = next(c for c in pf.calls if c.decorator)
    assert (route.name, route.args, route.kw("status_code"), route.scope) == (
        "app.post",
        ("/predict",),
        200,
        "predict",
    )
    assert [(d.name, d.kind, d.scope, d.line) for d in pf.defs] == [
        ("Model", "class", "", 5),
        ("predict", "function", "Model", 6),
        ("predict", "function", "", 10),
    ]
    assert pf.defs[2].decorators == ("app.post",)
    assert next(c for c in pf.calls if c.name == "uvicorn.run").scope == "__main__"
    assert next(c for c in pf.calls if c.last == "predict").name == "Model().predict"


def test_dead_code_and_docstrings_are_no_evidence(tmp_path: Path) -> None:
    pf, _ = parse(
        tmp_path,
        '''
        """Module docstring mentioning "models:/x@champion"."""
        from typing import TYPE_CHECKING

        import mlflow

        TRACKING = False

        if TYPE_CHECKING:
            from torch import nn
        if False:
            mlflow.log_metric("a", 1)
        if 0:
            mlflow.log_param("b", 2)
        if TRACKING:
            mlflow.start_run()
        if not TRACKING:
            print("off")
        else:
            mlflow.autolog()
        while False:
            mlflow.end_run()
        # mlflow.log_artifact("x")

        def f():
            """Calls mlflow.log_model in prose only."""
            return "kept"
        ''',
    )
    assert [c.name for c in pf.calls] == ["print"]
    assert "torch" not in pf.imports
    assert [s for s, _ in pf.strings] == ["off", "kept"]


def test_asserts_and_comparisons_record_names_and_operators(tmp_path: Path) -> None:
    pf, _ = parse(
        tmp_path,
        """
        import pytest

        def test_quality(model, X, y):
            acc = model.score(X, y)
            assert acc >= 0.8
            assert rmse(y) == pytest.approx(1.0, abs=0.1)
            self.assertGreater(f1_value, 0.5)
            if challenger_auc > champion_auc:
                pass
        """,
        name="tests/test_q.py",
    )
    checks = [(c.line, c.kind, sorted(c.ops)) for c in pf.checks]
    assert checks == [
        (5, "assert", [">="]),
        (5, "compare", [">="]),
        (6, "assert", ["==", "approx"]),
        (7, "assert", ["assertGreater"]),
        (8, "compare", [">"]),
    ]
    assert {"acc"} <= pf.checks[0].names
    assert {"f1_value", "assertGreater"} <= pf.checks[3].names
    assert pf.test is True


def test_sink_calls_record_argument_names(tmp_path: Path) -> None:
    pf, _ = parse(
        tmp_path,
        """
        import logging
        log = logging.getLogger(__name__)

        def handle(payload):
            prediction = 1
            log.info("scored %s", prediction, extra={"input": payload})
            other(prediction)
        """,
    )
    info = next(c for c in pf.calls if c.last == "info")
    assert info.argnames == frozenset({"scored %s", "prediction", "input", "payload"})
    assert next(c for c in pf.calls if c.name == "other").argnames == frozenset()


def test_assignments_record_constants_and_dict_keys(tmp_path: Path) -> None:
    pf, _ = parse(
        tmp_path,
        """
        endpoint.traffic = {"blue": 90, "green": 10}
        seed: int = 3
        """,
    )
    assert [(a.target, a.value) for a in pf.assigns] == [
        ("endpoint.traffic", ("dict", ("blue", "green"))),
        ("seed", 3),
    ]


def test_syntax_errors_are_recorded_and_skipped(tmp_path: Path) -> None:
    build_tree(tmp_path, {"src/bad.py": "def broken(:\n", "src/good.py": "import mlflow\n"})
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    index = python_index(snap)
    assert [pf.path for pf in index.files("source")] == ["src/good.py"]
    assert [(u.path, u.reason.split(":")[0]) for u in snap.unreadable] == [
        ("src/bad.py", "invalid Python")
    ]


def test_absurd_nesting_is_recorded_not_raised(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "src/deep.py": "import mlflow\nif " + "not " * 3000 + "x:\n    mlflow.start_run()\n",
            "src/wide.py": "import mlflow\nx = " + "(" * 300 + "1" + ")" * 300 + "\n",
        },
    )
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert list(python_index(snap).files("source", ("mlflow",))) == []
    assert [u.path for u in snap.unreadable] == ["src/deep.py", "src/wide.py"]
    assert all(u.reason.startswith("invalid Python") for u in snap.unreadable)


def test_notebook_code_cells_are_indexed_with_magics_blanked(tmp_path: Path) -> None:
    nb = notebook(
        "%matplotlib inline\nimport mlflow\n!pip install x\n",
        "%%bash\necho mlflow.log_metric\n",
        "mlflow.log_metric('acc', 0.9)\n",
        "def broken(:\n",
        markdown="mlflow.log_param('in markdown', 1)",
    )
    build_tree(tmp_path, {"notebooks/explore.ipynb": nb})
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    pf = python_index(snap).parse("notebooks/explore.ipynb")
    assert pf is not None and pf.notebook and pf.weak
    assert [c.name for c in pf.calls] == ["mlflow.log_metric"]
    ev = pf.evidence(pf.calls[0].line, "logs a metric")
    raw = nb.splitlines()
    assert ev.weak is True
    assert ev.snippet == "mlflow.log_metric('acc', 0.9)"
    assert ev.line is not None and "mlflow.log_metric('acc', 0.9)" in raw[ev.line - 1]
    assert ev.note == "logs a metric (in a notebook)"
    assert snap.unreadable == []


def test_a_broken_notebook_is_recorded(tmp_path: Path) -> None:
    build_tree(tmp_path, {"n.ipynb": "{not json"})
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert python_index(snap).parse("n.ipynb") is None
    assert [u.reason for u in snap.unreadable] == ["invalid notebook: not JSON"]


def test_files_are_parsed_only_when_their_words_match(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "src/a.py": "import mlflow\n",
            "src/b.py": "import os\n# wandb in a comment still passes the prefilter\n",
            "src/c.py": "x = 1\n",
            "tests/test_a.py": "import mlflow\n",
        },
    )
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    index = python_index(snap)
    assert index is python_index(snap)
    assert [pf.path for pf in index.files("source", ("mlflow", "wandb"))] == [
        "src/a.py",
        "src/b.py",
    ]
    assert [pf.path for pf in index.files("source", (), ("x = ",))] == ["src/c.py"]
    assert sorted(index._parsed) == ["src/a.py", "src/b.py", "src/c.py"]
    assert index.tests == ["tests/test_a.py"]
