"""CI signals on real small repos: positives per provider, and negatives that only claim,
comment out or disable the practice."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_factory._assess.model import SignalResult
from mlops_factory._assess.signals import _REGISTRY
from mlops_factory._assess.signals import ci as ci_signals
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree

Signal = Callable[[RepoSnapshot], SignalResult]
Tree = dict[str, str]


def run(root: Path, tree: Tree, fn: Signal) -> SignalResult:
    build_tree(root, tree)
    return fn(RepoSnapshot.open(root, with_git=False))


def where(res: SignalResult) -> list[tuple[str | None, int | None]]:
    return [(e.path, e.line) for e in res.evidence]


README_CLAIMS = {
    "README.md": """
        # Model
        CI runs `pytest`, trains with `python train.py` nightly (cron), deploys with
        `kubectl apply` to staging and production after a manual approval.
        """
}


def test_all_ci_signals_are_registered_under_their_final_names() -> None:
    names = {
        "ci_config",
        "ci_builds",
        "ci_runs_tests",
        "ci_trains",
        "ci_deploys",
        "ci_environments",
        "ci_manual_approval",
        "ci_schedule",
        "ci_release_on_tag_or_main",
        "scheduled_retraining",
        "drift_triggered_retraining",
        "ci_model_validation",
    }
    assert names <= set(_REGISTRY)
    assert all(_REGISTRY[n].fn.__module__ == ci_signals.__name__ for n in names)


@pytest.mark.parametrize(
    "fn",
    [spec.fn for spec in _REGISTRY.values() if spec.fn.__module__ == ci_signals.__name__],
    ids=lambda fn: fn.__name__,
)
def test_readme_claims_are_not_evidence(tmp_path: Path, fn: Signal) -> None:
    res = run(tmp_path, README_CLAIMS, fn)
    assert not res.found
    assert res.evidence == ()


# ---------------------------------------------------------------------- ci_config

CONFIG_CASES = {
    "github": ({".github/workflows/ci.yml": "on: push\njobs:\n  a:\n    steps: [{run: make}]\n"},
               ".github/workflows/ci.yml", 3, "GitHub Actions"),
    "azure": ({"azure-pipelines.yml": "steps:\n  - script: make\n"},
              "azure-pipelines.yml", 1, "Azure Pipelines"),
    "gitlab": ({".gitlab-ci.yml": "stages: [b]\nbuild:\n  script: [make]\n"},
               ".gitlab-ci.yml", 2, "GitLab CI"),
    "jenkins": ({"Jenkinsfile": "pipeline {\n stages {\n  stage('B') { steps { sh 'make' } }\n}}"},
                "Jenkinsfile", 3, "Jenkins"),
}  # fmt: skip


@pytest.mark.parametrize("provider", sorted(CONFIG_CASES))
def test_ci_config_per_provider(tmp_path: Path, provider: str) -> None:
    tree, path, line, title = CONFIG_CASES[provider]
    res = run(tmp_path, tree, ci_signals.ci_config)
    assert res.found
    assert where(res) == [(path, line)]
    assert title in res.evidence[0].note
    assert not res.evidence[0].weak


def test_ci_config_one_evidence_per_file(tmp_path: Path) -> None:
    tree: Tree = {}
    for case in CONFIG_CASES.values():
        tree.update(case[0])
    res = run(tmp_path, tree, ci_signals.ci_config)
    assert sorted(e.path or "" for e in res.evidence) == sorted(c[1] for c in CONFIG_CASES.values())


def test_ci_config_negative_disabled_commented_or_broken(tmp_path: Path) -> None:
    tree = {
        ".github/workflows/off.yml": """
            on: push
            jobs:
              a:
                if: false
                steps: [{run: make}]
            """,
        ".github/workflows/commented.yml": """
            # on: push
            # jobs:
            #   a:
            #     steps: [{run: make}]
            """,
        ".github/workflows/bad.yml": "jobs: [\n",
        ".gitlab-ci.yml": "build:\n  script: [make]\n  when: never\n",
        "Jenkinsfile": """
            /* pipeline {
              stages { stage('B') { steps { sh 'make' } } }
            } */
            // stage('C') { steps { sh 'make' } }
            """,
        "docs/azure-pipelines.md": "trigger: main\nsteps:\n  - script: make\n",
    }
    build_tree(tmp_path, tree)
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    res = ci_signals.ci_config(snap)
    assert not res.found
    assert [u.path for u in snap.unreadable] == [".github/workflows/bad.yml"]


# ---------------------------------------------------------------------- ci_builds


def test_ci_builds_positive(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            "azure-pipelines.yml": """
                steps:
                  - task: Docker@2
                    inputs:
                      command: build
                      dockerfile: Dockerfile
                """,
            ".github/workflows/lint.yml": """
                on: pull_request
                jobs:
                  lint:
                    steps:
                      - run: ruff check . && mypy src
                """,
        },
        ci_signals.ci_builds,
    )
    assert where(res) == [(".github/workflows/lint.yml", 5), ("azure-pipelines.yml", 4)]


def test_ci_builds_negative_echo_comment_disabled(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/ci.yml": """
                on: push
                jobs:
                  a:
                    steps:
                      - run: echo "pip install -e ."
                      # - run: pip install -e .
                      - run: docker build .
                        if: ${{ false }}
                """,
        },
        ci_signals.ci_builds,
    )
    assert not res.found


# ---------------------------------------------------------------------- ci_runs_tests

TEST_CASES = {
    "github": ({".github/workflows/ci.yml": """
                    on: [push, pull_request]
                    jobs:
                      test:
                        steps:
                          - run: pip install pytest
                          - run: |
                              python -m pytest -q tests/
                    """}, ".github/workflows/ci.yml", 7),
    "azure": ({"azure-pipelines.yml": """
                    jobs:
                      - job: T
                        steps:
                          - bash: tox -e py311
                    """}, "azure-pipelines.yml", 4),
    "gitlab": ({".gitlab-ci.yml": """
                    test:
                      script:
                        - poetry install
                        - poetry run pytest
                    """}, ".gitlab-ci.yml", 4),
    "jenkins": ({"Jenkinsfile": """
                    pipeline {
                      stages {
                        stage('Test') {
                          steps {
                            sh 'make test'
                          }
                        }
                      }
                    }
                    """}, "Jenkinsfile", 5),
}  # fmt: skip


@pytest.mark.parametrize("provider", sorted(TEST_CASES))
def test_ci_runs_tests_per_provider(tmp_path: Path, provider: str) -> None:
    tree, path, line = TEST_CASES[provider]
    res = run(tmp_path, tree, ci_signals.ci_runs_tests)
    assert where(res) == [(path, line)]


NO_TESTS = {
    "github": {".github/workflows/ci.yml": """
                    on: push
                    jobs:
                      test:
                        steps:
                          - run: pip install pytest pytest-cov
                          # - run: pytest
                          - run: pytest
                            if: false
                          - run: cat pytest.ini
                    """},
    "azure": {"azure-pipelines.yml": """
                    steps:
                      - script: pytest
                        enabled: false
                    """},
    "gitlab": {".gitlab-ci.yml": """
                    test:
                      script: [pytest]
                      rules:
                        - when: never
                    """},
    "jenkins": {"Jenkinsfile": """
                    pipeline {
                      stages {
                        // stage('Test') { steps { sh 'pytest' } }
                        stage('Build') { steps { sh "echo 'pytest later'" } }
                      }
                    }
                    """},
}  # fmt: skip


@pytest.mark.parametrize("provider", sorted(NO_TESTS))
def test_ci_runs_tests_negative_per_provider(tmp_path: Path, provider: str) -> None:
    res = run(tmp_path, NO_TESTS[provider], ci_signals.ci_runs_tests)
    assert not res.found
    assert res.evidence == ()


# ---------------------------------------------------------------------- ci_trains


def test_ci_trains_positive_commands(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/train.yml": """
                on: pull_request
                jobs:
                  sample:
                    steps:
                      - run: python src/models/train_model.py --sample
                """,
            "azure-pipelines.yml": """
                steps:
                  - task: AzureCLI@2
                    inputs:
                      scriptType: bash
                      inlineScript: az ml job create -f aml/pipeline.yml --stream
                """,
            ".gitlab-ci.yml": "repro:\n  script: [dvc pull, dvc repro]\n",
        },
        ci_signals.ci_trains,
    )
    assert where(res) == [
        (".github/workflows/train.yml", 5),
        ("azure-pipelines.yml", 5),
        (".gitlab-ci.yml", 2),
    ]
    assert not any(e.weak for e in res.evidence)


def test_ci_trains_job_named_train_is_weak(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {".gitlab-ci.yml": "train:\n  script: [./run.sh]\n"},
        ci_signals.ci_trains,
    )
    assert res.found and res.weak
    assert where(res) == [(".gitlab-ci.yml", 1)]


def test_ci_trains_negative(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/ci.yml": """
                on: push
                jobs:
                  test:
                    steps:
                      - run: pytest tests/test_train.py
                      - run: python -m churn.deploy_pipeline
                      # - run: python train.py
                      - run: python train.py
                        if: "false"
                """,
        },
        ci_signals.ci_trains,
    )
    assert not res.found


# ---------------------------------------------------------------------- ci_deploys

DEPLOY_CASES = {
    "github": ({".github/workflows/cd.yml": """
                    on:
                      push:
                        branches: [main]
                    jobs:
                      deploy:
                        steps:
                          - run: kubectl apply -f k8s/
                    """}, ".github/workflows/cd.yml", 7, False),
    "azure": ({"azure-pipelines.yml": """
                    trigger: [main]
                    jobs:
                      - deployment: Web
                        environment: staging
                        strategy:
                          runOnce:
                            deploy:
                              steps:
                                - task: AzureWebApp@1
                                  inputs: {appName: churn}
                    """}, "azure-pipelines.yml", 9, False),
    "gitlab": ({".gitlab-ci.yml": """
                    deploy:
                      script: [./scripts/release.sh]
                      environment: production
                    """}, ".gitlab-ci.yml", 3, False),
    "jenkins": ({"Jenkinsfile": """
                    pipeline {
                      stages {
                        stage('Deploy') {
                          steps { sh 'helm upgrade --install churn chart/' }
                        }
                      }
                    }
                    """}, "Jenkinsfile", 4, False),
}  # fmt: skip


@pytest.mark.parametrize("provider", sorted(DEPLOY_CASES))
def test_ci_deploys_per_provider(tmp_path: Path, provider: str) -> None:
    tree, path, line, weak = DEPLOY_CASES[provider]
    res = run(tmp_path, tree, ci_signals.ci_deploys)
    assert where(res) == [(path, line)]
    assert res.evidence[0].weak is weak


def test_ci_deploys_negative_pr_only_disabled_commented(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/pr.yml": """
                on: pull_request
                jobs:
                  preview:
                    steps:
                      - run: helm upgrade --install preview chart/
                """,
            ".github/workflows/main.yml": """
                on: push
                jobs:
                  gated:
                    if: github.event_name == 'pull_request'
                    steps:
                      - run: terraform apply -auto-approve
                  off:
                    if: ${{ false }}
                    steps:
                      - run: docker push acr.io/app
                  # deploy:
                  #   steps:
                  #     - run: kubectl apply -f k8s/
                """,
            "azure-pipelines.yml": """
                trigger: none
                pr: [main]
                steps:
                  - script: az webapp deploy -n app
                """,
            ".gitlab-ci.yml": """
                deploy:
                  script: [kubectl apply -f k8s/]
                  rules:
                    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
                """,
            "Jenkinsfile": """
                pipeline {
                  stages {
                    stage('Deploy') {
                      when { changeRequest() }
                      steps { sh 'kubectl apply -f k8s/' }
                    }
                    /* stage('Ship') { steps { sh 'helm upgrade app chart/' } } */
                  }
                }
                """,
        },
        ci_signals.ci_deploys,
    )
    assert not res.found, res.evidence


def test_ci_deploys_script_named_deploy_is_weak(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {".github/workflows/cd.yml": "on: push\njobs:\n  a:\n    steps: [{run: ./deploy.sh}]\n"},
        ci_signals.ci_deploys,
    )
    assert res.found and res.weak


# ---------------------------------------------------------------------- ci_environments


def test_ci_environments_github_and_jenkins(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/cd.yml": """
                on: push
                jobs:
                  staging:
                    environment: staging
                    steps: [{run: az containerapp update -n app}]
                  pypi:
                    environment: pypi
                    steps: [{run: twine upload dist/*}]
                """,
            "Jenkinsfile": """
                pipeline {
                  stages {
                    stage('Deploy to prod') { steps { sh 'helm upgrade app chart/' } }
                  }
                }
                """,
        },
        ci_signals.ci_environments,
    )
    assert res.found
    assert where(res) == [(".github/workflows/cd.yml", 4), ("Jenkinsfile", 3)]
    assert ["staging" in res.evidence[0].note, "prod" in res.evidence[1].note] == [True, True]


def test_ci_environments_azure_and_gitlab(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            "azure-pipelines.yml": """
                jobs:
                  - deployment: Dev
                    environment: dev
                    strategy: {runOnce: {deploy: {steps: [{script: make deploy}]}}}
                """,
            ".gitlab-ci.yml": """
                prod:
                  script: [make deploy]
                  environment: {name: production}
                """,
        },
        ci_signals.ci_environments,
    )
    assert res.found
    assert sorted(where(res)) == [(".gitlab-ci.yml", 3), ("azure-pipelines.yml", 3)]


def test_ci_environments_negative_single_or_disabled(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/cd.yml": """
                on: push
                jobs:
                  prod:
                    environment: production
                    steps: [{run: helm upgrade app chart/}]
                  prod-again:
                    environment: Production
                    steps: [{run: helm upgrade app chart/}]
                  staging:
                    if: false
                    environment: staging
                    steps: [{run: helm upgrade app chart/}]
                """,
        },
        ci_signals.ci_environments,
    )
    assert not res.found
    assert where(res) == [(".github/workflows/cd.yml", 4)]


# ---------------------------------------------------------------------- ci_manual_approval

APPROVAL_CASES = {
    "github": ({".github/workflows/cd.yml": """
                    on: push
                    jobs:
                      release:
                        environment:
                          name: prod
                        steps: [{run: helm upgrade app chart/}]
                    """}, ".github/workflows/cd.yml", 4, "repository settings"),
    "azure": ({"azure-pipelines.yml": """
                    jobs:
                      - job: wait
                        pool: server
                        steps:
                          - task: ManualValidation@0
                            inputs: {notifyUsers: ops@example.org}
                    """}, "azure-pipelines.yml", 5, "ManualValidation@0"),
    "gitlab": ({".gitlab-ci.yml": """
                    deploy_prod:
                      stage: deploy
                      script: [helm upgrade app chart/]
                      when: manual
                    """}, ".gitlab-ci.yml", 1, "when: manual"),
    "jenkins": ({"Jenkinsfile": """
                    pipeline {
                      stages {
                        stage('Promote') {
                          input { message "Promote to production?" }
                          steps { sh 'helm upgrade app chart/' }
                        }
                      }
                    }
                    """}, "Jenkinsfile", 4, "input step"),
}  # fmt: skip


@pytest.mark.parametrize("provider", sorted(APPROVAL_CASES))
def test_ci_manual_approval_per_provider(tmp_path: Path, provider: str) -> None:
    tree, path, line, note = APPROVAL_CASES[provider]
    res = run(tmp_path, tree, ci_signals.ci_manual_approval)
    assert where(res) == [(path, line)]
    assert note in res.evidence[0].note
    assert not res.weak


def test_ci_manual_approval_azure_deployment_job(tmp_path: Path) -> None:
    tree = {
        "azure-pipelines.yml": """
            jobs:
              - deployment: Prod
                environment: production
                strategy: {runOnce: {deploy: {steps: [{script: make deploy}]}}}
              - deployment: Dev
                environment: dev
                strategy: {runOnce: {deploy: {steps: [{script: make deploy}]}}}
            """
    }
    res = run(tmp_path, tree, ci_signals.ci_manual_approval)
    assert [(e.line, e.weak) for e in res.evidence] == [(3, False), (6, True)]


NO_APPROVAL = {
    "github": {".github/workflows/cd.yml": """
                    on: push
                    jobs:
                      staging:
                        environment: staging
                        steps: [{run: helm upgrade app chart/}]
                      # production:
                      #   environment: production
                    """},
    "azure": {"azure-pipelines.yml": """
                    steps:
                      - task: ManualValidation@0
                        enabled: false
                    """},
    "gitlab": {".gitlab-ci.yml": """
                    lint:
                      script: [ruff check .]
                      when: manual
                    """},
    "jenkins": {"Jenkinsfile": """
                    pipeline {
                      stages {
                        stage('Deploy') {
                          steps {
                            // input message: 'Ship?'
                            sh "echo 'input message: x'"
                          }
                        }
                      }
                    }
                    """},
}  # fmt: skip


@pytest.mark.parametrize("provider", sorted(NO_APPROVAL))
def test_ci_manual_approval_negative_per_provider(tmp_path: Path, provider: str) -> None:
    res = run(tmp_path, NO_APPROVAL[provider], ci_signals.ci_manual_approval)
    assert not res.found


# ---------------------------------------------------------------------- ci_schedule

SCHEDULE_CASES = {
    "github": ({".github/workflows/nightly.yml": """
                    on:
                      schedule:
                        - cron: "0 4 * * *"
                    jobs:
                      a: {steps: [{run: make}]}
                    """}, ".github/workflows/nightly.yml", 3, "0 4 * * *"),
    "azure": ({"azure-pipelines.yml": """
                    trigger: none
                    schedules:
                      - cron: "0 0 * * 0"
                        displayName: weekly
                    steps: [{script: make}]
                    """}, "azure-pipelines.yml", 3, "0 0 * * 0"),
    "gitlab": ({".gitlab-ci.yml": """
                    nightly:
                      script: [make]
                      rules:
                        - if: $CI_PIPELINE_SOURCE == "schedule"
                    """}, ".gitlab-ci.yml", 4, ""),
    "jenkins": ({"Jenkinsfile": """
                    pipeline {
                      triggers { cron('H 3 * * *') }
                      stages { stage('A') { steps { sh 'make' } } }
                    }
                    """}, "Jenkinsfile", 2, "H 3 * * *"),
}  # fmt: skip


@pytest.mark.parametrize("provider", sorted(SCHEDULE_CASES))
def test_ci_schedule_per_provider(tmp_path: Path, provider: str) -> None:
    tree, path, line, cron = SCHEDULE_CASES[provider]
    res = run(tmp_path, tree, ci_signals.ci_schedule)
    assert where(res) == [(path, line)]
    assert cron in res.evidence[0].note


NO_SCHEDULE = {
    "github": {".github/workflows/ci.yml": """
                    on:
                      push:
                      # schedule:
                      #   - cron: "0 4 * * *"
                    jobs:
                      a: {steps: [{run: make}]}
                    """},
    "azure": {"azure-pipelines.yml": """
                    schedules:
                      - cron: "0 0 * * 0"
                    jobs:
                      - job: A
                        condition: false
                        steps: [{script: make}]
                    """},
    "gitlab": {".gitlab-ci.yml": """
                    build:
                      script: [make]
                      rules:
                        - if: $CI_PIPELINE_SOURCE == "schedule"
                          when: never
                        - when: on_success
                    """},
    "jenkins": {"Jenkinsfile": """
                    pipeline {
                      // triggers { cron('H 3 * * *') }
                      stages { stage('A') { steps { sh "echo cron('H 3 * * *')" } } }
                    }
                    """},
}  # fmt: skip


@pytest.mark.parametrize("provider", sorted(NO_SCHEDULE))
def test_ci_schedule_negative_per_provider(tmp_path: Path, provider: str) -> None:
    res = run(tmp_path, NO_SCHEDULE[provider], ci_signals.ci_schedule)
    assert not res.found


# ---------------------------------------------------------------------- ci_release_on_tag_or_main


def test_release_on_tags_and_main(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/release.yml": """
                on:
                  push:
                    tags: ["v*"]
                jobs:
                  publish:
                    steps:
                      - uses: pypa/gh-action-pypi-publish@release/v1
                """,
            "azure-pipelines.yml": """
                trigger:
                  branches:
                    include: [main]
                steps:
                  - script: az ml online-deployment update -n blue -e churn
                """,
        },
        ci_signals.ci_release_on_tag_or_main,
    )
    assert where(res) == [(".github/workflows/release.yml", 3), ("azure-pipelines.yml", 1)]
    assert "tags" in res.evidence[0].note
    assert "main" in res.evidence[1].note
    assert not res.weak


def test_release_gitlab_deploy_on_default_branch_and_jenkins_branch(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                deploy:
                  script: [kubectl apply -f k8s/]
                  rules:
                    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
                """,
            "Jenkinsfile": """
                pipeline {
                  stages {
                    stage('Deploy') {
                      when { branch 'main' }
                      steps { sh 'kubectl apply -f k8s/' }
                    }
                  }
                }
                """,
        },
        ci_signals.ci_release_on_tag_or_main,
    )
    assert where(res) == [(".gitlab-ci.yml", 1), ("Jenkinsfile", 3)]
    # Whether Jenkins builds on pushes is configured outside the repo.
    assert [e.weak for e in res.evidence] == [False, True]


def test_release_chained_after_ci_on_main(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/cd.yml": """
                on:
                  workflow_run:
                    workflows: [CI]
                    branches: [main]
                    types: [completed]
                jobs:
                  deploy:
                    steps: [{run: az containerapp update -n churn --image img}]
                """
        },
        ci_signals.ci_release_on_tag_or_main,
    )
    assert where(res) == [(".github/workflows/cd.yml", 2)]
    assert not res.weak


def test_release_negative_manual_only_or_other_branch(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/deploy.yml": """
                on:
                  workflow_dispatch:
                  pull_request:
                  push:
                    branches: [develop]
                jobs:
                  deploy:
                    steps: [{run: kubectl apply -f k8s/}]
                """,
            ".github/workflows/ci.yml": """
                on:
                  push:
                    branches: [main]
                jobs:
                  test:
                    steps: [{run: pytest}]
                  deploy:
                    if: github.event_name == 'workflow_dispatch'
                    steps: [{run: kubectl apply -f k8s/}]
                """,
            "azure-pipelines.yml": "trigger: none\nsteps:\n  - script: helm upgrade a c/\n",
        },
        ci_signals.ci_release_on_tag_or_main,
    )
    assert not res.found


# ---------------------------------------------------------------------- ci_model_validation


def test_ci_model_validation_positive(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/release.yml": """
                on:
                  push:
                    branches: [main]
                jobs:
                  gate:
                    steps:
                      - run: terraform validate
                      - run: python -m churn.evaluate --against champion
                """,
            "Jenkinsfile": """
                pipeline {
                  stages {
                    stage('Parity') { steps { sh 'make onnx-parity' } }
                  }
                }
                """,
        },
        ci_signals.ci_model_validation,
    )
    assert where(res) == [(".github/workflows/release.yml", 8), ("Jenkinsfile", 3)]
    assert not res.weak


def test_ci_model_validation_negative(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/pr.yml": """
                on: pull_request
                jobs:
                  check:
                    steps:
                      - run: python -m churn.evaluate
                """,
            ".github/workflows/infra.yml": """
                on: push
                jobs:
                  validate:
                    steps:
                      - run: terraform validate
                      - run: az deployment group validate -g rg -f main.bicep
                      - run: python scripts/validate_config.py config.yaml
                      # - run: python -m churn.evaluate
                """,
        },
        ci_signals.ci_model_validation,
    )
    assert not res.found, res.evidence


def test_ci_model_validation_by_name_only_is_weak(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/r.yml": """
                on: push
                jobs:
                  r:
                    steps:
                      - name: Compare challenger with champion
                        run: ./check.sh
                """
        },
        ci_signals.ci_model_validation,
    )
    assert res.found and res.weak


# ---------------------------------------------------------------------- scheduled_retraining


def test_scheduled_retraining_github_and_gitlab(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/retrain.yml": """
                on:
                  schedule:
                    - cron: "0 3 * * 1"
                jobs:
                  retrain:
                    steps:
                      - run: python -m churn.pipeline
                """,
            ".gitlab-ci.yml": """
                retrain:
                  script: [make train]
                  only: [schedules]
                """,
        },
        ci_signals.scheduled_retraining,
    )
    assert where(res) == [(".github/workflows/retrain.yml", 7), (".gitlab-ci.yml", 2)]
    assert "0 3 * * 1" in res.evidence[0].note


def test_scheduled_retraining_azureml_schedule_and_airflow(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            "aml/schedules/weekly-schedule.yml": """
                $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
                name: weekly
                type: schedule
                trigger:
                  type: cron
                  expression: "0 2 * * 1"
                create_job: ../jobs/train-pipeline.yml
                """,
            "aml/jobs/train-pipeline.yml": "type: pipeline\njobs: {}\n",
            "dags/churn_dag.py": """
                from airflow import DAG
                from airflow.operators.bash import BashOperator

                with DAG("churn", schedule="@weekly") as dag:
                    BashOperator(task_id="train", bash_command="python -m churn.train")
                """,
        },
        ci_signals.scheduled_retraining,
    )
    assert where(res) == [("aml/schedules/weekly-schedule.yml", 7), ("dags/churn_dag.py", 4)]
    assert "0 2 * * 1" in res.evidence[0].note


def test_scheduled_retraining_negative(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/nightly.yml": """
                on:
                  schedule:
                    - cron: "0 3 * * *"
                  push:
                jobs:
                  test:
                    steps: [{run: pytest}]
                  train:
                    if: github.event_name == 'push'
                    steps: [{run: python train.py}]
                  off:
                    if: false
                    steps: [{run: python train.py}]
                """,
            ".github/workflows/train.yml": """
                on: workflow_dispatch
                # on:
                #   schedule:
                #     - cron: "0 3 * * *"
                jobs:
                  train:
                    steps: [{run: python train.py}]
                """,
            "dags/train_dag.py": """
                from airflow import DAG

                with DAG("train", schedule=None) as dag:
                    pass
                """,
            "aml/schedule-notes.yml": "name: train later\ndescription: no job yet\n",
        },
        ci_signals.scheduled_retraining,
    )
    assert not res.found, res.evidence


# ---------------------------------------------------------------------- drift_triggered_retraining

RETRAIN_WF = """
    on:
      repository_dispatch:
        types: [drift-detected]
      workflow_dispatch:
    jobs:
      retrain:
        steps:
          - run: python -m churn.pipeline
    """


def test_drift_conditional_step_dispatches(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/monitor.yml": """
                on:
                  schedule:
                    - cron: "0 * * * *"
                jobs:
                  drift:
                    steps:
                      - id: drift
                        run: python -m churn.monitor
                      - if: steps.drift.outputs.drifted == 'true'
                        run: gh workflow run retrain.yml
                """,
        },
        ci_signals.drift_triggered_retraining,
    )
    assert where(res) == [(".github/workflows/monitor.yml", 9)]


def test_drift_then_dispatch_in_one_script_and_needs_job(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                monitor:
                  script:
                    - python scripts/check_drift.py --out drift.json
                    - if [ "$(jq .drift drift.json)" = true ]; then curl "$API/trigger/pipeline"; fi
                """,
            ".github/workflows/watch.yml": """
                on: {schedule: [{cron: "0 0 * * *"}]}
                jobs:
                  detect:
                    outputs:
                      drifted: ${{ steps.d.outputs.drifted }}
                    steps:
                      - id: d
                        run: evidently-report --reference ref.csv
                  retrain:
                    needs: detect
                    if: needs.detect.outputs.drifted == 'true'
                    uses: ./.github/workflows/train.yml
                """,
            ".github/workflows/train.yml": """
                on: workflow_call
                jobs:
                  train:
                    steps: [{run: make train}]
                """,
        },
        ci_signals.drift_triggered_retraining,
    )
    assert sorted(where(res)) == [(".github/workflows/watch.yml", 9), (".gitlab-ci.yml", 4)]


def test_drift_check_failure_triggers_retraining(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            "azure-pipelines.yml": """
                trigger: none
                schedules: [{cron: "0 6 * * *", branches: {include: [main]}}]
                steps:
                  - script: python -m churn.check_drift --fail-on-drift
                  - script: az pipelines run --name retrain
                    condition: failed()
                """
        },
        ci_signals.drift_triggered_retraining,
    )
    assert where(res) == [("azure-pipelines.yml", 5)]


def test_drift_dispatch_from_code(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/retrain.yml": RETRAIN_WF,
            "src/churn/monitor.py": """
                import requests
                from scipy.stats import ks_2samp

                URL = "https://api.github.com/repos/org/churn/dispatches"

                def check(ref, cur, threshold=0.05):
                    if ks_2samp(ref, cur).pvalue < threshold:
                        requests.post(URL, json={"event_type": "drift-detected"}, timeout=10)
                """,
        },
        ci_signals.drift_triggered_retraining,
    )
    assert where(res) == [("src/churn/monitor.py", 4), (".github/workflows/retrain.yml", 2)]


def test_drift_workflow_run_chain(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/drift.yml": """
                name: Drift check
                on: {schedule: [{cron: "0 * * * *"}]}
                jobs:
                  d:
                    steps: [{run: python -m churn.drift}]
                """,
            ".github/workflows/retrain.yml": """
                on:
                  workflow_run:
                    workflows: ["Drift check"]
                    types: [completed]
                jobs:
                  t:
                    steps: [{run: python -m churn.train}]
                """,
        },
        ci_signals.drift_triggered_retraining,
    )
    assert where(res) == [(".github/workflows/retrain.yml", 2)]


def test_drift_negative(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            # Drift computed, but retraining runs regardless of it.
            ".github/workflows/weekly.yml": """
                on: {schedule: [{cron: "0 0 * * 0"}]}
                jobs:
                  all:
                    steps:
                      - id: drift
                        run: python -m churn.drift
                      - run: python -m churn.train
                      # - if: steps.drift.outputs.drifted == 'true'
                      #   run: gh workflow run retrain.yml
                """,
            ".github/workflows/retrain.yml": RETRAIN_WF,
            # Code dispatches, but only in dead code or without computing drift, or in tests.
            "src/churn/dead.py": """
                import subprocess
                from scipy.stats import ks_2samp

                if False:
                    subprocess.run(["gh", "workflow", "run", "retrain.yml"])
                """,
            "src/churn/ops.py": """
                import subprocess

                def retrain():
                    subprocess.run(["gh", "workflow", "run", "retrain.yml"])
                """,
            "tests/test_monitor.py": """
                import subprocess
                def test_drift():
                    subprocess.run(["gh", "workflow", "run", "retrain.yml"])
                """,
        },
        ci_signals.drift_triggered_retraining,
    )
    assert not res.found, res.evidence


def test_drift_code_with_syntax_error_is_recorded(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            ".github/workflows/retrain.yml": RETRAIN_WF,
            "src/monitor.py": "def drift(:\n    requests.post('https://x/dispatches')\n",
        },
    )
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert not ci_signals.drift_triggered_retraining(snap).found
    assert [(u.path, u.reason.split(":")[0]) for u in snap.unreadable] == [
        ("src/monitor.py", "invalid Python")
    ]


def test_drift_code_without_dispatchable_training_pipeline(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        {
            ".github/workflows/train.yml": """
                on: {push: {branches: [main]}}
                jobs:
                  t: {steps: [{run: python train.py}]}
                """,
            "src/monitor.py": """
                import subprocess
                def drift_check(score):
                    if score > 0.2:
                        subprocess.run(["gh", "workflow", "run", "train.yml"])
                """,
        },
        ci_signals.drift_triggered_retraining,
    )
    assert not res.found


# ---------------------------------------------------------------------- robustness


def test_signals_survive_invalid_yaml_and_binary_files(tmp_path: Path) -> None:
    tree = {
        ".github/workflows/bad.yml": "on: [push\njobs: {\n",
        ".gitlab-ci.yml": "\tjob: [\n",
        "azure-pipelines.yml": "steps:\n  - script: 'unterminated\n",
        # Tags are never constructed: this parses as plain data, nothing runs.
        ".azure-pipelines/tagged.yml": "steps: !!python/object/apply:os.system [touch x]\n",
        "notebooks/x.ipynb": json.dumps({"cells": []}),
    }
    build_tree(tmp_path, tree)
    (tmp_path / "Jenkinsfile").write_bytes(b"pipeline {\x00\xff\xfe")
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    for spec in _REGISTRY.values():
        if spec.fn.__module__ == ci_signals.__name__:
            assert not spec.fn(snap).found, spec.name
    reasons = {u.path: u.reason for u in snap.unreadable}
    assert reasons[".github/workflows/bad.yml"].startswith("invalid YAML: ")
    assert reasons[".gitlab-ci.yml"].startswith("invalid YAML: ")
    assert reasons["azure-pipelines.yml"].startswith("invalid YAML: ")
    assert reasons["Jenkinsfile"] == "binary file"
    assert len(snap.unreadable) == 4


def test_gitlab_manual_job_for_the_production_environment_is_an_approval(tmp_path: Path) -> None:
    # GitLab's documented approval job: a manual job that prepares the production environment
    # (it does not deploy); the deploy job after it waits for the person who starts it.
    res = run(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                stages: [approve, deploy]
                approve-prod:
                  stage: approve
                  script: [echo approved]
                  when: manual
                  allow_failure: false
                  environment: {name: production, action: prepare}
                deploy-prod:
                  stage: deploy
                  script: [./deploy.sh]
                  environment: production
                """
        },
        ci_signals.ci_manual_approval,
    )
    assert res.found
    assert any("started by a person" in e.note for e in res.evidence)
    staging = run(
        tmp_path / "staging",
        {
            ".gitlab-ci.yml": """
                approve-staging:
                  script: [echo approved]
                  when: manual
                  environment: {name: staging, action: prepare}
                """
        },
        ci_signals.ci_manual_approval,
    )
    assert not staging.found
