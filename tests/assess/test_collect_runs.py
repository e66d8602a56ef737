"""What a CI step really runs: each indirection with a fixture that runs the tests (or
trains, or promotes) through it and one whose target only echoes or is commented out."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._assess.collect.runs import resolve
from mlops_factory._assess.signals import ci as ci_signals
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree

Tree = dict[str, str]


def workflow(command: str) -> str:
    """A GitHub Actions workflow on pushes to main that runs ``command``."""
    return f"""
        on:
          push:
            branches: [main]
        jobs:
          ci:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: {command}
        """


def snap_of(root: Path, tree: Tree) -> RepoSnapshot:
    build_tree(root, tree)
    return RepoSnapshot.open(root, with_git=False)


# (indirection, CI command, files when it runs the tests, files when it does not)
TESTS: list[tuple[str, str, Tree, Tree]] = [
    (
        "make target with a prerequisite",
        "make check",
        {"Makefile": "check: lint unit\n\nlint:\n\truff check .\n\nunit:\n\tpytest -q\n"},
        {"Makefile": "check: lint\n\nlint:\n\truff check .\n\t# pytest -q\n"},
    ),
    (
        "make -C folder",
        "make -C service test",
        {"service/Makefile": "test:\n\t@python -m pytest\n"},
        {"service/Makefile": "test:\n\t@echo pytest is not set up\n"},
    ),
    (
        "just",
        "just test",
        {"justfile": "test: install\n    pytest tests\n\ninstall:\n    pip install -e .\n"},
        {"justfile": "test:\n    echo 'pytest tests'\n"},
    ),
    (
        "Taskfile",
        "task test",
        {
            "Taskfile.yml": """
                version: '3'
                tasks:
                  test:
                    deps: [install]
                    cmds:
                      - pytest
                  install:
                    cmds:
                      - pip install -r requirements.txt
                """
        },
        {
            "Taskfile.yml": """
                version: '3'
                tasks:
                  test:
                    cmds:
                      - echo "no tests"
                """
        },
    ),
    (
        "mise",
        "mise run test",
        {"mise.toml": '[tasks.test]\nrun = "pytest -q"\n'},
        {"mise.toml": '[tasks.test]\nrun = "echo skip"\n'},
    ),
    (
        "tox",
        "tox -e py312",
        {
            "tox.ini": "[tox]\nenvlist = py312\n\n[testenv]\ndeps = pytest\n"
            "commands =\n    pytest {posargs}\n"
        },
        {"tox.ini": "[tox]\nenvlist = py312\n\n[testenv]\ncommands =\n    ruff check .\n"},
    ),
    (
        "nox",
        "nox -s tests",
        {
            "noxfile.py": """
                import nox


                @nox.session
                def tests(session):
                    session.install("pytest")
                    session.run("pytest", "-q")
                """
        },
        {
            "noxfile.py": """
                import nox


                @nox.session
                def tests(session):
                    session.run("ruff", "check", ".")
                """
        },
    ),
    (
        "hatch script",
        "hatch run ci",
        {"pyproject.toml": '[tool.hatch.envs.default.scripts]\nci = "pytest --cov"\n'},
        {"pyproject.toml": '[tool.hatch.envs.default.scripts]\nci = "ruff check ."\n'},
    ),
    (
        "pdm script",
        "pdm run unit",
        {"pyproject.toml": '[tool.pdm.scripts]\nunit = "pytest tests/unit"\n'},
        {"pyproject.toml": '[tool.pdm.scripts]\nunit = "echo none"\n'},
    ),
    (
        "poe task",
        "poetry run poe check",
        {
            "pyproject.toml": '[tool.poe.tasks]\ncheck = ["lint", "unit"]\n'
            'lint = "ruff check ."\nunit = "pytest"\n'
        },
        {"pyproject.toml": '[tool.poe.tasks]\ncheck = ["lint"]\nlint = "ruff check ."\n'},
    ),
    (
        "npm script",
        "npm test",
        {"package.json": '{"scripts": {"test": "pytest tests/e2e"}}'},
        {"package.json": '{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}'},
    ),
    (
        "shell script calling a script",
        "bash ci/run.sh",
        {"ci/run.sh": "#!/bin/sh\nset -e\n./ci/unit.sh\n", "ci/unit.sh": "#!/bin/sh\npytest\n"},
        {"ci/run.sh": "#!/bin/sh\nset -e\n./ci/unit.sh\n", "ci/unit.sh": "#!/bin/sh\n# pytest\n"},
    ),
    (
        "heredoc",
        "bash ci/run.sh",
        {"ci/run.sh": "#!/bin/sh\nbash <<EOF\npytest -q\nEOF\n"},
        {"ci/run.sh": "#!/bin/sh\ncat > notes.txt <<EOF\npytest -q\nEOF\n"},
    ),
    (
        "python -m module",
        "python -m tools.check",
        {"tools/check.py": "import pytest\n\nraise SystemExit(pytest.main(['-q']))\n"},
        {"tools/check.py": "print('pytest would run here')\n"},
    ),
]


@pytest.mark.parametrize(
    ("name", "command", "positive", "negative"), TESTS, ids=[t[0] for t in TESTS]
)
def test_tests_run_through_each_indirection(
    tmp_path: Path, name: str, command: str, positive: Tree, negative: Tree
) -> None:
    ci = {".github/workflows/ci.yml": workflow(command)}
    pos = snap_of(tmp_path / "pos", {**ci, **positive})
    res = ci_signals.ci_runs_tests(pos)
    assert res.found and not res.evidence[0].weak, name
    assert " through " in res.evidence[0].note, res.evidence[0].note
    neg = snap_of(tmp_path / "neg", {**ci, **negative})
    assert not ci_signals.ci_runs_tests(neg).found, name


def test_an_unresolvable_runner_keeps_its_own_words(tmp_path: Path) -> None:
    snap = snap_of(tmp_path, {".github/workflows/ci.yml": workflow("make test")})
    assert ci_signals.ci_runs_tests(snap).found


def test_resolution_is_bounded_and_guards_cycles(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            "Makefile": "a: b\n\t./loop.sh\n\nb: a\n\t$(MAKE) a\n",
            "loop.sh": "#!/bin/sh\n./loop.sh\nmake a\n",
        },
    )
    assert "test" not in resolve(snap, "make a").kinds
    deep = {f"s{i}.sh": f"#!/bin/sh\n./s{i + 1}.sh\n" for i in range(12)}
    deep["s12.sh"] = "#!/bin/sh\npytest\n"
    assert "test" not in resolve(snap_of(tmp_path / "deep", deep), "./s0.sh").kinds


PROMOTE = """
    from mlflow import MlflowClient

    client = MlflowClient()
    client.set_registered_model_alias("churn", "champion", 7)
    """
TRAIN = """
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression()
    model.fit([[0.0], [1.0]], [0, 1])
    """
REPORT = "print('metrics are in the README')\n"


def test_python_files_are_classified_by_what_they_call(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            "jobs/promote.py": PROMOTE,
            "jobs/fit.py": TRAIN,
            "jobs/report.py": REPORT,
            "jobs/__init__.py": "",
            "jobs/main.py": "from jobs import fit\n",
        },
    )
    assert "promote" in resolve(snap, "python jobs/promote.py").kinds
    assert "train" in resolve(snap, "python -m jobs.fit").kinds
    assert "train" in resolve(snap, "python jobs/main.py").kinds  # through its import
    assert not resolve(snap, "python jobs/report.py").kinds


def test_scripts_that_test_or_validate_by_themselves(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            # A pytest-style test function run as a script (python check_model.py).
            "check_model.py": """
                import pickle

                def test_model_loads():
                    with open("model.pkl", "rb") as f:
                        assert pickle.load(f) is not None

                if __name__ == "__main__":
                    test_model_loads()
                """,
            # The same function never called: defining it runs nothing.
            "uncalled.py": """
                def test_model_loads():
                    assert len([1]) == 1
                """,
            # A backtest: assert the model's metric against a bound.
            "backtest.py": """
                from metaflow import Runner

                with Runner("flow.py").run() as running:
                    assert running.run.data.model_accuracy > 0.9
                """,
            # An acceptance gate: a metric compared with named thresholds, then raise.
            "acceptance.py": """
                import json

                def accept(path):
                    metrics = json.load(open(path))
                    metric_value = metrics["rmse"]
                    threshold_min, threshold_max = 0.0, 3.5
                    accepted = threshold_min <= metric_value <= threshold_max
                    if not accepted:
                        raise SystemExit(f"not accepted: {metric_value}")

                accept("metrics.json")
                """,
            # A loop keeping the best loss: a comparison, but no threshold.
            "keep_best.py": """
                best_loss = 10.0
                for epoch_loss in [3.0, 2.0]:
                    if epoch_loss < best_loss:
                        best_loss = epoch_loss
                """,
            # An assert that is no metric bound.
            "config_check.py": """
                import json

                config = json.load(open("config.json"))
                assert config["name"] == "churn"
                """,
        },
    )
    assert "test" in resolve(snap, "python check_model.py").kinds
    assert "test" not in resolve(snap, "python uncalled.py").kinds
    assert "validate" in resolve(snap, "python backtest.py").kinds
    assert not resolve(snap, "python config_check.py").kinds & {"test", "validate"}
    assert "validate" in resolve(snap, "python acceptance.py").kinds
    assert "validate" not in resolve(snap, "python keep_best.py").kinds
    assert not resolve(snap, "echo python backtest.py").kinds


def test_job_specs_that_ci_submits(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            "dvc.yaml": "stages:\n  train:\n    cmd: python src/fit.py\n",
            "src/fit.py": TRAIN,
            "conf/deployment.yml": """
                environments:
                  prod:
                    workflows:
                      - name: promote-model
                        spark_python_task:
                          python_file: file://jobs/promote.py
                """,
            "jobs/promote.py": PROMOTE,
            "databricks.yml": """
                bundle:
                  name: churn
                resources:
                  jobs:
                    training:
                      tasks:
                        - task_key: train
                          spark_python_task:
                            python_file: ./src/fit.py
                """,
            "jobs/pipeline.yml": """
                $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
                type: pipeline
                jobs:
                  train:
                    type: command
                    code: ../src
                    command: python fit.py
                """,
        },
    )
    assert "train" in resolve(snap, "dvc repro").kinds
    dbx = resolve(snap, "dbx deploy --jobs=promote-model --environment=prod")
    assert "promote" in dbx.kinds
    assert "train" in resolve(snap, "databricks bundle run training").kinds
    assert "train" in resolve(snap, "az ml job create -f jobs/pipeline.yml").kinds
    for words in (
        "kedro run",
        "zenml pipeline run training",
        "anyscale job submit job.yaml",
        "mlflow run .",
        "python training_flow.py run",
    ):
        assert "train" in resolve(snap, words).kinds, words
    assert "promote" not in resolve(snap, "dbx deploy --jobs=other --environment=prod").kinds
    flow = resolve(
        snap,
        "python flow.py --branch ${{ github.head_ref || github.ref_name }} argo-workflows create",
    )
    assert "deploy" in flow.kinds and "train" not in flow.kinds


def test_ci_promotes_model_on_main_but_not_on_pull_requests(tmp_path: Path) -> None:
    files = {"scripts/promote.py": PROMOTE, "scripts/release.sh": "python scripts/promote.py\n"}
    on_main = snap_of(
        tmp_path / "main",
        {".github/workflows/cd.yml": workflow("bash scripts/release.sh"), **files},
    )
    res = ci_signals.ci_promotes_model(on_main)
    assert res.found and not res.evidence[0].weak
    assert any(e.path == "scripts/promote.py" for e in res.evidence)
    on_pr = snap_of(
        tmp_path / "pr",
        {
            ".github/workflows/cd.yml": workflow("bash scripts/release.sh").replace(
                "push:", "pull_request:"
            ),
            **files,
        },
    )
    assert not ci_signals.ci_promotes_model(on_pr).found
    echo_only = snap_of(
        tmp_path / "echo",
        {".github/workflows/cd.yml": workflow("echo python scripts/promote.py"), **files},
    )
    assert not ci_signals.ci_promotes_model(echo_only).found


def test_ci_promotes_model_by_endpoint_deployment_on_a_tag(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                deploy:
                  script:
                    - az ml online-deployment update -f deployment.yml
                  rules:
                    - if: $CI_COMMIT_TAG
                """
        },
    )
    res = ci_signals.ci_promotes_model(snap)
    assert res.found and "endpoint" in res.evidence[0].note


def test_working_directory_cd_and_shell_flags(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            ".github/workflows/ci.yml": """
                on: push
                jobs:
                  ci:
                    runs-on: ubuntu-latest
                    steps:
                      - run: bash -x test.sh
                        working-directory: ci
                """,
            "ci/test.sh": "#!/bin/sh\ncd ../service && make unit\n",
            "service/Makefile": "unit:\n\tpytest\n",
        },
    )
    res = ci_signals.ci_runs_tests(snap)
    assert res.found and "service/Makefile" in res.evidence[0].note


def test_a_smoke_training_run_is_weak(tmp_path: Path) -> None:
    smoke = snap_of(
        tmp_path / "smoke",
        {".github/workflows/ci.yml": workflow("python train.py --epochs 1 --fast-dev-run")},
    )
    res = ci_signals.ci_trains(smoke)
    assert res.evidence and all(e.weak for e in res.evidence) and "smoke" in res.evidence[0].note
    full = snap_of(tmp_path / "full", {".github/workflows/ci.yml": workflow("python train.py")})
    assert not ci_signals.ci_trains(full).evidence[0].weak


VERTEX = """
    from google.cloud import aiplatform

    aiplatform.init(project="p", location="europe-west1")
    job = aiplatform.PipelineJob(display_name="train", template_path="pipeline.json")
    job.submit()
    """
SAGEMAKER = """
    from sagemaker.workflow.pipeline import Pipeline

    pipeline = Pipeline(name="training", steps=[])
    pipeline.upsert(role_arn="arn:aws:iam::111:role/sm")
    pipeline.start()
    """
KFP = """
    import kfp

    client = kfp.Client(host="https://kfp.example.com")
    client.create_run_from_pipeline_package("pipeline.yaml", arguments={})
    """


@pytest.mark.parametrize("code", [VERTEX, SAGEMAKER, KFP], ids=["vertex", "sagemaker", "kfp"])
def test_pipeline_submission_scripts_count_as_training(tmp_path: Path, code: str) -> None:
    snap = snap_of(
        tmp_path,
        {
            ".github/workflows/ci.yml": workflow("python -m pipelines.submit"),
            "pipelines/submit.py": code,
            "pipelines/__init__.py": "",
        },
    )
    assert not ci_signals.ci_trains(snap).evidence[0].weak
    quiet = snap_of(
        tmp_path / "echo",
        {
            ".github/workflows/ci.yml": workflow("echo python -m pipelines.submit"),
            "pipelines/submit.py": code,
        },
    )
    assert not ci_signals.ci_trains(quiet).found


@pytest.mark.parametrize(
    "command",
    [
        "dvc repro",
        "kedro run",
        "zenml pipeline run training",
        "anyscale job submit job.yaml",
        "databricks bundle run training",
        "az ml job create -f pipeline.yml",
        "mlflow run .",
    ],
)
def test_job_submissions_that_only_echo_or_are_commented_out_count_for_nothing(
    tmp_path: Path, command: str
) -> None:
    echoed = snap_of(tmp_path / "echo", {".github/workflows/ci.yml": workflow(f"echo '{command}'")})
    assert not ci_signals.ci_trains(echoed).found
    script = snap_of(
        tmp_path / "script",
        {
            ".github/workflows/ci.yml": workflow("bash ci/train.sh"),
            "ci/train.sh": f"#!/bin/sh\n# {command}\necho done\n",
        },
    )
    assert not ci_signals.ci_trains(script).found
    live = snap_of(tmp_path / "live", {".github/workflows/ci.yml": workflow(command)})
    assert ci_signals.ci_trains(live).found


def test_azure_working_directory(tmp_path: Path) -> None:
    pipeline = """
        trigger: [main]
        steps:
          - script: make unit
            workingDirectory: {folder}
        """
    tree = {"service/Makefile": "unit:\n\tpytest\n", "Makefile": "unit:\n\techo none\n"}
    inside = snap_of(
        tmp_path / "in", {"azure-pipelines.yml": pipeline.format(folder="service"), **tree}
    )
    assert ci_signals.ci_runs_tests(inside).found
    root = snap_of(tmp_path / "root", {"azure-pipelines.yml": pipeline.format(folder="."), **tree})
    assert not ci_signals.ci_runs_tests(root).found


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("aws sagemaker start-pipeline-execution --pipeline-name churn", "train"),
        ("kfp run submit -e churn -f pipeline.yaml", "train"),
        ("dvc metrics diff main", "validate"),
        ("anyscale service deploy -f service.yaml", "deploy"),
    ],
)
def test_platform_clis_are_read_from_the_technology_catalog(command: str, kind: str) -> None:
    from mlops_factory._assess.collect.runs import text_kinds
    from mlops_factory._assess.technologies import catalog

    # The command is a `cli:` recogniser of the catalog, not a pattern in the code.
    prefixes = {
        p
        for cap in ("trains", "defines_pipeline", "deploys", "compares_champion")
        for p, _tech in catalog().cli_commands(cap)
    }
    assert any(command.startswith(p) for p in prefixes)
    assert kind in text_kinds(command)
    assert kind not in text_kinds(f"echo {command}")
