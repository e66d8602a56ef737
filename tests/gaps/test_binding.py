"""fix and add on repositories with code of their own: bind to it, never add a second one.

Three small repositories written here (issue 12): a training script that pickles a model
with a Flask app serving it under the GPL; a src-layout package with pytest; a
notebook-only repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._cli import main
from mlops_factory._errors import FactoryError
from mlops_factory._fix import fix, plan_fix
from mlops_factory._scaffold._add import add_component
from mlops_factory._scaffold._binding import identify_licence, scan_repository
from tests.gaps import tree_bytes
from tests.helpers import build_tree, git_init

GPL3 = """\
                    GNU GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

 Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>
 Everyone is permitted to copy and distribute verbatim copies
 of this license document, but changing it is not allowed.
"""
MIT = """\
MIT License

Copyright (c) 2025 Risk ML

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
"""

FLASK_REPO: dict[str, Any] = {
    "train.py": """\
        import pickle

        import pandas as pd
        from sklearn.linear_model import LogisticRegression


        def main() -> None:
            df = pd.read_csv("data/train.csv")
            model = LogisticRegression().fit(df[["x"]], df["y"])
            with open("model.pkl", "wb") as fh:
                pickle.dump(model, fh)


        if __name__ == "__main__":
            main()
        """,
    "app.py": """\
        import pickle

        from flask import Flask, jsonify, request

        app = Flask(__name__)
        with open("model.pkl", "rb") as fh:
            model = pickle.load(fh)


        @app.route("/predict", methods=["POST"])
        def predict():
            return jsonify(model.predict([[request.json["x"]]]).tolist())
        """,
    "requirements.txt": "flask\nscikit-learn\npandas\n",
    "LICENSE": GPL3,
}

SRC_REPO: dict[str, Any] = {
    "pyproject.toml": """\
        [project]
        name = "churn"
        version = "0.1.0"
        requires-python = ">=3.10"
        dependencies = ["pandas", "scikit-learn", "joblib"]

        [project.optional-dependencies]
        dev = ["pytest"]

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """,
    "LICENSE": MIT,
    "src/churn/__init__.py": "",
    "src/churn/train.py": """\
        import joblib
        import pandas as pd
        from sklearn.ensemble import RandomForestClassifier


        def main() -> None:
            df = pd.read_csv("data/churn.csv")
            model = RandomForestClassifier(random_state=0).fit(df[["a", "b"]], df["y"])
            joblib.dump(model, "models/churn.joblib")


        if __name__ == "__main__":
            main()
        """,
    "tests/test_train.py": """\
        from churn.train import main


        def test_main_is_callable():
            assert callable(main)
        """,
}


def _notebook() -> str:
    cell = {
        "cell_type": "code",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": [
            "import pickle\n",
            "import pandas as pd\n",
            "from sklearn.linear_model import LogisticRegression\n",
            "df = pd.read_csv('data.csv')\n",
            "model = LogisticRegression().fit(df[['x']], df['y'])\n",
            "pickle.dump(model, open('model.pkl', 'wb'))\n",
        ],
    }
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


NOTEBOOK_REPO: dict[str, Any] = {
    "train.ipynb": _notebook(),
    "requirements.txt": "pandas\nscikit-learn\n",
}


def _repo(tmp_path: Path, tree: dict[str, Any], name: str = "repo") -> Path:
    return git_init(build_tree(tmp_path / name, tree))


def _workflow(repo: Path) -> list[str]:
    """The ``run`` commands of the CI workflow fix added, in order."""
    doc = yaml.safe_load((repo / ".github/workflows/train-and-test.yml").read_text())
    steps = doc["jobs"]["test-and-train"]["steps"]
    return [line for s in steps if "run" in s for line in s["run"].splitlines()]


# --- what the repository has ---------------------------------------------------------------


def test_a_script_repository_binds_its_training_app_model_dependencies_and_gpl(
    tmp_path: Path,
) -> None:
    bindings = scan_repository(_repo(tmp_path, FLASK_REPO))

    assert bindings.layout == "scripts"
    values = bindings.render_data()
    assert values["train_entry"] == "train.py"
    assert values["train_function"] == "main"
    assert values["train_command"] == "python train.py"
    assert values["model_artifact"] == "model.pkl"
    assert values["serving_app"] == "app.py:app"
    assert values["serving_framework"] == "flask"
    assert values["dependency_manager"] == "pip"
    assert values["install_command"] == "python -m pip install -r requirements.txt"
    assert values["license"] == "GPL-3.0"
    # Each binding says where it was read from.
    train = bindings.get("train_entry")
    assert train is not None and train.source.startswith("train.py:") and "pickle.dump" in train.how
    assert bindings.get("test_command") is None  # no tests: nothing is made up


def test_a_src_package_binds_its_module_pytest_python_and_licence(tmp_path: Path) -> None:
    bindings = scan_repository(_repo(tmp_path, SRC_REPO))

    assert bindings.layout == "package"
    values = bindings.render_data()
    assert values["package_name"] == "churn"
    assert values["train_command"] == "python -m churn.train"
    assert values["test_command"] == "python -m pytest"
    assert values["install_command"] == 'python -m pip install -e ".[dev]"'
    assert values["python_version"] == "3.10"
    assert values["license"] == "MIT"
    assert values["model_artifact"] == "models/churn.joblib"


def test_other_dependency_managers_and_python_pins_are_read(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "pyproject.toml": '[tool.poetry]\nname = "x"\n',
            "poetry.lock": "# lock\n",
            ".python-version": "3.12.4\n",
            "tox.ini": "[tox]\nenv_list = py312\n",
            "x/__init__.py": "",
        },
    )
    values = scan_repository(repo).render_data()
    assert values["dependency_manager"] == "poetry"
    assert values["install_command"] == "poetry install"
    assert values["run_prefix"] == "poetry run "
    assert values["python_version"] == "3.12"
    assert values["test_command"] == "tox"


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        (GPL3, "GPL-3.0"),
        (MIT, "MIT"),
        ("Apache License\n Version 2.0, January 2004\n", "Apache-2.0"),
        ("GNU LESSER GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007\n", "LGPL-3.0"),
        ("Redistribution and use in source and binary forms, with or without", "BSD-2-Clause"),
        ("Our own terms.\n", None),
    ],
)
def test_licence_texts_are_identified_by_their_phrases(text: str, spdx: str | None) -> None:
    assert identify_licence(text) == spdx


# --- fix keeps every file and binds to the repository's code -------------------------------


def test_fix_on_a_flask_script_repo_keeps_its_files_and_gpl_and_ci_runs_its_training(
    tmp_path: Path,
) -> None:
    repo = _repo(tmp_path, FLASK_REPO)
    before = tree_bytes(repo)

    result = fix(repo, target=3, defaults=True, interactive=False)

    now = tree_bytes(repo)
    assert all(now[p] == content for p, content in before.items())  # every file kept
    assert identify_licence((repo / "LICENSE").read_text()) == "GPL-3.0"
    names = {c.name for c in result.plan.components}
    # No second project: the components bound to the team's training, model and app.
    assert names == {"ci-github", "tracking-registry", "onnx-packaging", "serving-realtime"}
    assert not (repo / "src").exists() and not (repo / "pyproject.toml").exists()
    # The CI installs the repository's dependencies and runs its training (through the
    # tracking adapter, which imports and calls train.main).
    runs = _workflow(repo)
    assert "python -m pip install -r requirements.txt" in runs
    assert "python tracked_train.py" in runs
    assert runs.index("python tracked_train.py") < runs.index("python export_onnx.py")
    # The API test of the team's app runs once the model is trained.
    assert runs.index("python export_onnx.py") < runs.index("python -m pytest test_app_api.py")
    adapter = (repo / "tracked_train.py").read_text()
    assert "from train import main as train" in adapter and "mlflow.start_run()" in adapter
    # The criteria claimed cite the repository's own code.
    by_name = {c.name: c for c in result.plan.components}
    assert "MC-204" in by_name["ci-github"].criteria
    assert any("train.py" in cite for cite in by_name["ci-github"].cites["MC-204"])
    assert any("train.py" in cite for cite in by_name["tracking-registry"].cites["MC-202"])
    assert any("model.pkl" in cite for cite in by_name["onnx-packaging"].cites["MR-202"])
    # No tests: the CI cannot run them, so AI-104 is not claimed and stays a step.
    assert "AI-104" not in by_name["ci-github"].criteria
    people = {cid: p for p in result.plan.people for cid in p.step.criteria}
    assert "not claimed (AI-104)" in people["AI-104"].reason
    # What it does not apply is a step with its command.
    assert "trains in train.py:main" in people["AI-301"].reason
    assert any("app.py" in cite for cite in by_name["serving-realtime"].cites["MR-201"])
    assert people["MC-301"].command.startswith("mlops-factory add data-versioning-dvc ")


def test_fix_on_a_src_package_runs_its_pytest_and_training_in_ci(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SRC_REPO)
    before = tree_bytes(repo)

    result = fix(repo, target=3, defaults=True, interactive=False)

    now = tree_bytes(repo)
    assert all(now[p] == content for p, content in before.items())
    runs = _workflow(repo)
    assert runs.index('python -m pip install -e ".[dev]"') < runs.index("python -m pytest")
    assert "python -m churn.tracked_train" in runs
    doc = yaml.safe_load((repo / ".github/workflows/train-and-test.yml").read_text())
    setup = next(s for s in doc["jobs"]["test-and-train"]["steps"] if "setup-python" in s["uses"])
    assert setup["with"]["python-version"] == "3.10"  # the repository's, not the catalog's
    ci = next(c for c in result.plan.components if c.name == "ci-github")
    assert {"AI-102", "AI-104", "MC-204"} <= set(ci.criteria)
    assert any("pyproject.toml" in cite for cite in ci.cites["AI-104"])
    assert (repo / "src/churn/tracked_train.py").is_file()


def test_fix_on_a_notebook_repo_scaffolds_tracking_and_does_not_claim_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path, NOTEBOOK_REPO)
    before = tree_bytes(repo)

    result = fix(repo, target=3, defaults=True, interactive=False)

    now = tree_bytes(repo)
    assert all(now[p] == content for p, content in before.items())
    runs = _workflow(repo)
    assert any("nbconvert" in r and "train.ipynb" in r for r in runs)
    by_name = {c.name: c for c in result.plan.components}
    # Running a notebook is a guess to confirm: training in CI is not claimed.
    assert "MC-204" not in by_name["ci-github"].criteria
    assert by_name["tracking-registry"].criteria == ()
    assert by_name["tracking-registry"].todo == (
        "scaffolded: tracked_training.py: call tracked_run() and register_and_promote() from "
        "your training code in train.ipynb",
    )
    people = {cid for p in result.plan.people for cid in p.step.criteria}
    assert "MC-202" in people


def test_data_overrides_a_binding_and_the_plan_shows_where_each_came_from(
    tmp_path: Path,
) -> None:
    repo = _repo(tmp_path, FLASK_REPO)
    plan = plan_fix(
        repo,
        target=2,
        data={"test_command": "python -m unittest"},
        defaults=True,
        interactive=False,
    )
    assert plan.bindings is not None
    given = plan.bindings.get("test_command")
    assert given is not None and given.source == "--data"
    ci = next(c for c in plan.components if c.name == "ci-github")
    assert "AI-104" in ci.criteria  # now bound with certainty
    assert plan.preview is not None
    workflow = next(c for c in plan.preview.changes if c.path.endswith("train-and-test.yml"))
    assert workflow.after is not None and b"run: python -m unittest" in workflow.after


# --- the team's choices are kept -----------------------------------------------------------


def test_defaults_never_replace_a_gpl_licence(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"README.md": "# mine\n", "LICENSE": GPL3})
    before = tree_bytes(repo)

    result = add_component(
        "base", repo, defaults=True, conflict="inline", interactive=False, data={"owner": "t"}
    )

    assert result.stopped and result.written == ()
    assert any("licence" in c and "GPL-3.0" in c for c in result.choice_conflicts)
    assert tree_bytes(repo) == before


def test_a_component_that_changes_the_dependency_manager_is_a_conflict(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path, {"pyproject.toml": '[tool.poetry]\nname = "x"\n', "poetry.lock": "# lock\n"}
    )
    result = add_component("base", repo, defaults=True, dry_run=True, interactive=False)
    assert any("poetry" in c for c in result.choice_conflicts)
    assert not result.clean


# --- previews need no answers, and are a summary --------------------------------------------


def test_a_dry_run_needs_no_answers_and_lists_what_it_would_ask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The catalog's templates as they are (--no-bind) need the project's name and owner.
    repo = _repo(tmp_path, {"train.py": FLASK_REPO["train.py"]})
    before = tree_bytes(repo)

    with pytest.raises(FactoryError, match="missing answers"):
        add_component("docs", repo, interactive=False, bind=False)
    result = add_component("docs", repo, dry_run=True, interactive=False, bind=False)
    assert {"project_name", "owner"} <= set(result.unanswered)

    assert main(["fix", str(repo), "--target", "2", "--dry-run", "--no-bind"]) in (0, 1)
    out = capsys.readouterr().out
    assert "would ask:" in out and "owner" in out
    assert "--diff shows the full diff" in out and "+++ b/" not in out
    assert tree_bytes(repo) == before


def test_the_cli_preview_shows_bindings_and_the_steps_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # table cells on one line each
    repo = _repo(tmp_path, FLASK_REPO)
    assert main(["fix", str(repo), "--target", "3", "--dry-run", "--defaults"]) == 0
    out = capsys.readouterr().out
    assert "Bound to the repository's own code" in out
    assert "python train.py" in out and "GPL-3.0" in out
    assert "/predict" in out  # the app's prediction route, bound
    assert "mlops-factory add data-versioning-dvc" in out
    assert "+++ b/" not in out  # the summary, no diff


def test_add_ci_binds_to_the_repositorys_commands(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SRC_REPO)
    result = add_component("ci", repo, data={"ci": "gitlab"}, interactive=False)
    assert result.written and result.bound[0].name == "ci-gitlab"
    doc = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    assert doc["test"]["script"] == ["python -m pytest"]
    assert doc["train"]["script"] == ["python -m churn.train"]
    assert (repo / ".mlops-factory/bindings/ci-gitlab.yml").is_file()
    assert not (repo / ".mlops-factory/ci-gitlab.yml").exists()  # update must not re-render it


def test_the_scaffolded_files_are_recorded_with_their_hashes(tmp_path: Path) -> None:
    from mlops_factory._assess._scaffolded import recorded_files

    repo = _repo(tmp_path, FLASK_REPO)
    fix(repo, target=3, defaults=True, interactive=False)
    recorded = recorded_files(RepoSnapshot.open(repo, with_git=False))
    assert set(recorded) == {
        ".github/workflows/train-and-test.yml",
        "tracked_train.py",
        "export_onnx.py",
        "test_app_api.py",
    }


@pytest.mark.parametrize("provider", ["github", "gitlab", "azure-devops", "jenkins"])
def test_every_ci_provider_runs_the_repos_commands_even_odd_ones_given_with_data(
    tmp_path: Path, provider: str
) -> None:
    repo = _repo(tmp_path, SRC_REPO)
    odd = 'python -m pytest -k "not slow" # it\'s: ours'
    result = add_component(
        "ci", repo, data={"ci": provider, "test_command": odd}, interactive=False
    )
    (path,) = [p for p in result.written if not p.startswith(".mlops-factory/")]
    text = (repo / path).read_text()
    if provider == "jenkins":
        assert "sh 'python -m pytest -k \"not slow\" # it\\'s: ours'" in text
        assert "sh 'python -m churn.train'" in text
        return
    doc = yaml.safe_load(text)
    found = json.dumps(doc)
    assert json.dumps(odd)[1:-1] in found and "python -m churn.train" in found


def test_several_training_files_make_the_entry_a_guess_to_confirm(tmp_path: Path) -> None:
    train = FLASK_REPO["train.py"]
    repo = _repo(tmp_path, {"train.py": train, "retrain.py": train})
    bindings = scan_repository(repo)
    entry = bindings.get("train_entry")
    assert entry is not None and not entry.certain and "the first of 2" in entry.how
    assert not bindings.certain("train_command")


def test_a_second_fix_binds_to_the_teams_code_not_to_what_the_first_wrote(
    tmp_path: Path,
) -> None:
    repo = _repo(tmp_path, FLASK_REPO)
    fix(repo, target=3, defaults=True, interactive=False)
    bindings = scan_repository(repo)
    assert bindings.value("train_entry") == "train.py"
    assert bindings.certain("train_entry", "train_command")
    # Applying again finds the files it wrote as they are: nothing changes.
    assert bindings.get("test_command") is None  # the API test it wrote is not the team's
    again = fix(repo, target=3, defaults=True, interactive=False, dry_run=True)
    assert again.plan.preview is None or not again.plan.preview.files("create")
    assert again.plan.conflicts == ()


def test_the_onnx_export_fix_writes_converts_the_repos_own_model(tmp_path: Path) -> None:
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    import subprocess
    import sys

    train = """\
        import pickle

        import numpy as np
        from sklearn.linear_model import LogisticRegression


        def main() -> None:
            x = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
            model = LogisticRegression().fit(x, [0, 0, 1, 1])
            with open("model.pkl", "wb") as fh:
                pickle.dump(model, fh)


        if __name__ == "__main__":
            main()
        """
    repo = _repo(tmp_path, {"train.py": train, "requirements.txt": "scikit-learn\n"})
    plan = plan_fix(repo, target=2, defaults=True, interactive=False)
    onnx = next(c for c in plan.components if c.name == "onnx-packaging")
    assert onnx.criteria == ("MR-202",) and onnx.creates[0] == "export_onnx.py"
    fix(repo, target=2, defaults=True, interactive=False)

    # What CI would run, in its order: the team's training, then the export.
    for script in ("train.py", "export_onnx.py"):
        done = subprocess.run(
            [sys.executable, script], cwd=repo, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    assert (repo / "model.onnx").stat().st_size > 0


def test_a_src_package_installed_from_requirements_runs_with_src_on_the_path(
    tmp_path: Path,
) -> None:
    tree = {k: v for k, v in SRC_REPO.items() if k != "pyproject.toml"}
    repo = _repo(tmp_path, {**tree, "requirements.txt": "scikit-learn\njoblib\npandas\n"})
    values = scan_repository(repo).render_data()
    assert values["train_command"] == "PYTHONPATH=src python -m churn.train"


def test_the_licence_file_wins_over_pyproject_and_the_difference_is_noted(
    tmp_path: Path,
) -> None:
    repo = _repo(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\nlicense = "GPL-3.0-or-later"\n',
            "LICENSE": MIT,
        },
    )
    bindings = scan_repository(repo)
    assert bindings.value("license") == "MIT"
    assert any("LICENSE (MIT)" in n and "GPL-3.0" in n for n in bindings.notes)
    same = _repo(
        tmp_path,
        {"pyproject.toml": '[project]\nname = "x"\nlicense = "GPL-3.0-only"\n', "LICENSE": GPL3},
        name="same",
    )
    assert scan_repository(same).notes == ()


def test_the_cli_fix_yes_defaults_reports_claims_citing_the_repos_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    repo = _repo(tmp_path, SRC_REPO)
    before = tree_bytes(repo)
    assert main(["fix", str(repo), "--target", "3", "--yes", "--defaults"]) == 0
    out = capsys.readouterr().out
    assert "AI-104 (ci-github) rests on" in out and "python -m pytest" in out
    assert "MC-204 (ci-github) rests on" in out and "src/churn/train.py" in out
    assert "Maturity level" in out
    now = tree_bytes(repo)
    assert all(now[p] == content for p, content in before.items())
