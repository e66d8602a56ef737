"""The CI systems beyond the first four, read as their documentation defines them.

Each system has a positive fixture (a CI file that runs the tests) and a negative one
(a step that only echoes, or a commented-out test run), plus its triggers,
environments and approvals where the format has them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._assess.collect.ci import load_ci
from mlops_factory._assess.model import SignalResult
from mlops_factory._assess.signals import ci as ci_signals
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree

Tree = dict[str, str]


def snap_of(root: Path, tree: Tree) -> RepoSnapshot:
    build_tree(root, tree)
    return RepoSnapshot.open(root, with_git=False)


def strong(res: SignalResult) -> list[str]:
    return [f"{e.path}:{e.line}" for e in res.evidence if not e.weak]


# (system, runs the tests, only echoes or comments the test run out)
SYSTEMS: list[tuple[str, Tree, Tree]] = [
    (
        "cloudbuild",
        {
            "cloudbuild.yaml": """
                steps:
                  - name: python:3.12
                    entrypoint: pip
                    args: [install, -r, requirements.txt, --user]
                  - name: python:3.12
                    entrypoint: python
                    args: [-m, pytest, tests]
                """
        },
        {
            "cloudbuild.yaml": """
                steps:
                  - name: python:3.12
                    entrypoint: bash
                    args: [-c, 'echo "pytest runs elsewhere"']
                """
        },
    ),
    (
        "codebuild",
        {
            "buildspec.yml": """
                version: 0.2
                phases:
                  install:
                    commands:
                      - pip install -r requirements.txt
                  build:
                    commands:
                      - pytest -q
                """
        },
        {
            "buildspec.yml": """
                version: 0.2
                phases:
                  build:
                    commands:
                      # - pytest -q
                      - echo "tests disabled"
                """
        },
    ),
    (
        "circleci",
        {
            ".circleci/config.yml": """
                version: 2.1
                jobs:
                  test:
                    docker:
                      - image: cimg/python:3.12
                    steps:
                      - checkout
                      - run:
                          name: Run tests
                          command: pytest
                workflows:
                  main:
                    jobs:
                      - test
                """
        },
        {
            ".circleci/config.yml": """
                version: 2.1
                jobs:
                  test:
                    docker:
                      - image: cimg/python:3.12
                    steps:
                      - checkout
                      - run: echo "pytest is for later"
                workflows:
                  main:
                    jobs:
                      - test
                """
        },
    ),
    (
        "bitbucket",
        {
            "bitbucket-pipelines.yml": """
                image: python:3.12
                pipelines:
                  default:
                    - step:
                        name: Test
                        script:
                          - pip install -r requirements.txt
                          - pytest
                """
        },
        {
            "bitbucket-pipelines.yml": """
                image: python:3.12
                pipelines:
                  default:
                    - step:
                        name: Test
                        script:
                          # - pytest
                          - echo "no tests yet"
                """
        },
    ),
    (
        "travis",
        {
            ".travis.yml": """
                language: python
                python: ["3.12"]
                install: pip install -r requirements.txt
                script: pytest
                """
        },
        {
            ".travis.yml": """
                language: python
                install: pip install pytest
                script: echo "pytest"
                """
        },
    ),
    (
        "drone",
        {
            ".drone.yml": """
                kind: pipeline
                type: docker
                name: default
                steps:
                  - name: test
                    image: python:3.12
                    commands:
                      - pip install -r requirements.txt
                      - python -m pytest
                """
        },
        {
            ".drone.yml": """
                kind: pipeline
                type: docker
                name: default
                steps:
                  - name: test
                    image: python:3.12
                    commands:
                      - echo "python -m pytest"
                """
        },
    ),
    (
        "tekton",
        {
            "tekton/tasks.yaml": """
                apiVersion: tekton.dev/v1
                kind: Task
                metadata:
                  name: unit-tests
                spec:
                  steps:
                    - name: pytest
                      image: python:3.12
                      script: |
                        pip install -r requirements.txt
                        pytest
                ---
                apiVersion: tekton.dev/v1
                kind: Pipeline
                metadata:
                  name: ci
                spec:
                  tasks:
                    - name: test
                      taskRef:
                        name: unit-tests
                ---
                apiVersion: triggers.tekton.dev/v1beta1
                kind: TriggerTemplate
                metadata:
                  name: ci-template
                spec:
                  resourcetemplates:
                    - apiVersion: tekton.dev/v1
                      kind: PipelineRun
                      metadata:
                        generateName: ci-run-
                      spec:
                        pipelineRef:
                          name: ci
                ---
                apiVersion: triggers.tekton.dev/v1beta1
                kind: EventListener
                metadata:
                  name: listener
                spec:
                  triggers:
                    - name: on-pull-request
                      interceptors:
                        - ref:
                            name: github
                          params:
                            - name: eventTypes
                              value: [pull_request]
                      template:
                        ref: ci-template
                """
        },
        {
            "tekton/tasks.yaml": """
                apiVersion: tekton.dev/v1
                kind: Task
                metadata:
                  name: unit-tests
                spec:
                  steps:
                    - name: pytest
                      image: python:3.12
                      script: |
                        # pytest
                        echo skipped
                ---
                apiVersion: tekton.dev/v1
                kind: Pipeline
                metadata:
                  name: ci
                spec:
                  tasks:
                    - name: test
                      taskRef:
                        name: unit-tests
                """
        },
    ),
    (
        "argo",
        {
            "workflows/ci.yaml": """
                apiVersion: argoproj.io/v1alpha1
                kind: WorkflowTemplate
                metadata:
                  name: ci
                spec:
                  entrypoint: test
                  templates:
                    - name: test
                      container:
                        image: python:3.12
                        command: [python, -m, pytest]
                ---
                apiVersion: argoproj.io/v1alpha1
                kind: Sensor
                metadata:
                  name: on-push
                spec:
                  dependencies:
                    - name: push
                      eventSourceName: github
                      eventName: repo
                  triggers:
                    - template:
                        name: run-ci
                        argoWorkflow:
                          operation: submit
                          source:
                            resource:
                              apiVersion: argoproj.io/v1alpha1
                              kind: Workflow
                              metadata:
                                generateName: ci-
                              spec:
                                workflowTemplateRef:
                                  name: ci
                """
        },
        {
            "workflows/ci.yaml": """
                apiVersion: argoproj.io/v1alpha1
                kind: WorkflowTemplate
                metadata:
                  name: ci
                spec:
                  entrypoint: test
                  templates:
                    - name: test
                      container:
                        image: alpine
                        command: [echo, pytest]
                """
        },
    ),
]


@pytest.mark.parametrize(("system", "positive", "negative"), SYSTEMS, ids=[s[0] for s in SYSTEMS])
def test_each_system_runs_tests_or_only_echoes(
    tmp_path: Path, system: str, positive: Tree, negative: Tree
) -> None:
    pos = snap_of(tmp_path / "pos", positive)
    assert {p.provider for p in load_ci(pos).pipelines} == {system}
    assert strong(ci_signals.ci_runs_tests(pos)), system
    assert ci_signals.ci_config(pos).found
    neg = snap_of(tmp_path / "neg", negative)
    assert not ci_signals.ci_runs_tests(neg).found, system


CFN_PIPELINE = """
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      TestProject:
        Type: AWS::CodeBuild::Project
        Properties:
          Source:
            Type: CODEPIPELINE
            BuildSpec: |
              version: 0.2
              phases:
                build:
                  commands:
                    - {command}
      Pipeline:
        Type: AWS::CodePipeline::Pipeline
        Properties:
          Stages:
            - Name: Source
              Actions:
                - Name: Checkout
                  ActionTypeId: {{Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}}
                  Configuration:
                    RepositoryName: model-repo
                    BranchName: main
            - Name: Build
              Actions:
                - Name: Test
                  ActionTypeId: {{Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}}
                  Configuration:
                    ProjectName: !Ref TestProject
            - Name: ApproveProd
              Actions:
                - Name: Approval
                  ActionTypeId: {{Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}}
            - Name: DeployProd
              Actions:
                - Name: Deploy
                  ActionTypeId:
                    Category: Deploy
                    Owner: AWS
                    Provider: CloudFormation
                    Version: "1"
    """


def test_codepipeline_declared_in_cloudformation(tmp_path: Path) -> None:
    snap = snap_of(tmp_path / "pos", {"infra/pipeline.yaml": CFN_PIPELINE.format(command="pytest")})
    pipelines = [p for p in load_ci(snap).pipelines if p.provider == "codepipeline"]
    assert len(pipelines) == 1
    [p] = pipelines
    assert [t.branches for t in p.triggers] == [("main",)]
    assert strong(ci_signals.ci_runs_tests(snap))
    assert ci_signals.ci_manual_approval(snap).found
    assert ci_signals.ci_release_on_tag_or_main(snap).found
    assert "prod" in {j.environment for j in p.jobs}
    neg = snap_of(tmp_path / "neg", {"infra/pipeline.yaml": CFN_PIPELINE.format(command="echo ok")})
    assert not ci_signals.ci_runs_tests(neg).found


def test_codepipeline_in_a_cdk_app(tmp_path: Path) -> None:
    app = """
        from aws_cdk import Stack, pipelines


        class PipelineStack(Stack):
            def __init__(self, scope, construct_id, **kwargs):
                super().__init__(scope, construct_id, **kwargs)
                pipeline = pipelines.CodePipeline(
                    self,
                    "Pipeline",
                    synth=pipelines.ShellStep(
                        "Synth",
                        input=pipelines.CodePipelineSource.connection(
                            "org/repo", "main", connection_arn="arn"
                        ),
                        commands=["pip install -r requirements.txt", "{command}", "cdk synth"],
                    ),
                )
                pipeline.add_stage(
                    ProdStage(self, "Prod"), pre=[pipelines.ManualApprovalStep("PromoteToProd")]
                )
        """
    snap = snap_of(tmp_path / "pos", {"infra/app.py": app.replace("{command}", "pytest -q")})
    assert [p.provider for p in load_ci(snap).pipelines] == ["codepipeline"]
    assert strong(ci_signals.ci_runs_tests(snap))
    assert ci_signals.ci_manual_approval(snap).found
    assert ci_signals.ci_deploys(snap).found
    neg = snap_of(tmp_path / "neg", {"infra/app.py": app.replace("{command}", "echo later")})
    assert not ci_signals.ci_runs_tests(neg).found


def test_a_build_spec_nothing_names_is_weak_and_one_iac_names_is_strong(tmp_path: Path) -> None:
    spec = """
        version: 0.2
        phases:
          build:
            commands:
              - pytest
        """
    nested = snap_of(tmp_path / "a", {"seed/build/buildspec.yml": spec})
    res = ci_signals.ci_runs_tests(nested)
    assert res.evidence and all(e.weak for e in res.evidence)
    assert "no CodeBuild project" in res.evidence[0].note
    named = snap_of(
        tmp_path / "b",
        {
            "seed/build/buildspec.yml": spec,
            "infra/main.tf": """
                resource "aws_codebuild_project" "tests" {
                  name = "tests"
                  source {
                    type      = "CODECOMMIT"
                    buildspec = "seed/build/buildspec.yml"
                  }
                }
                """,
        },
    )
    assert strong(ci_signals.ci_runs_tests(named))


def test_nested_github_workflows_are_not_run(tmp_path: Path) -> None:
    wf = """
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - run: pytest
        """
    snap = snap_of(tmp_path, {"templates/project/.github/workflows/ci.yml": wf})
    assert load_ci(snap).pipelines == ()
    assert not ci_signals.ci_runs_tests(snap).found


def test_circleci_approval_filters_and_scheduled_workflow(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            ".circleci/config.yml": """
                version: 2.1
                jobs:
                  train:
                    docker: [{image: cimg/python:3.12}]
                    steps:
                      - run: python train.py
                  deploy:
                    docker: [{image: cimg/python:3.12}]
                    steps:
                      - run: helm upgrade --install model ./chart
                workflows:
                  release:
                    jobs:
                      - hold:
                          type: approval
                      - deploy:
                          requires: [hold]
                          filters:
                            branches:
                              only: main
                  nightly:
                    triggers:
                      - schedule:
                          cron: "0 2 * * *"
                          filters:
                            branches:
                              only: [main]
                    jobs:
                      - train
                """
        },
    )
    assert ci_signals.ci_manual_approval(snap).found
    assert ci_signals.ci_release_on_tag_or_main(snap).found
    assert ci_signals.ci_schedule(snap).found
    assert strong(ci_signals.scheduled_retraining(snap))


def test_bitbucket_sections_deployments_and_manual_steps(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            "bitbucket-pipelines.yml": """
                pipelines:
                  branches:
                    main:
                      - step:
                          name: Deploy staging
                          deployment: staging
                          script:
                            - kubectl apply -f k8s/
                      - step:
                          name: Deploy production
                          deployment: production
                          trigger: manual
                          script:
                            - kubectl apply -f k8s/
                  pull-requests:
                    '**':
                      - step:
                          script:
                            - pytest
                """
        },
    )
    assert ci_signals.ci_environments(snap).found
    assert ci_signals.ci_manual_approval(snap).found
    assert ci_signals.ci_release_on_tag_or_main(snap).found
    kinds = {t.kind for p in load_ci(snap).pipelines for t in p.triggers}
    assert kinds == {"push", "pull_request"}


def test_travis_deploy_on_tags_and_drone_promotion(tmp_path: Path) -> None:
    travis = snap_of(
        tmp_path / "t",
        {
            ".travis.yml": """
                language: python
                script: pytest
                deploy:
                  provider: script
                  script: docker push registry.example.com/model:latest
                  on:
                    tags: true
                """
        },
    )
    res = ci_signals.ci_release_on_tag_or_main(travis)
    assert res.found and "tags" in res.evidence[0].note
    drone = snap_of(
        tmp_path / "d",
        {
            ".drone.yml": """
                kind: pipeline
                type: docker
                name: deploy
                trigger:
                  event: [promote]
                  target: [production]
                steps:
                  - name: deploy
                    image: alpine/helm
                    commands:
                      - helm upgrade --install model ./chart
                ---
                kind: pipeline
                type: docker
                name: nightly
                trigger:
                  event: [cron]
                  cron: [nightly]
                steps:
                  - name: train
                    image: python:3.12
                    commands:
                      - python train.py
                """
        },
    )
    [deploy, nightly] = load_ci(drone).pipelines
    assert [t.kind for t in deploy.triggers] == ["manual"]
    assert [t.kind for t in nightly.triggers] == ["schedule"]
    assert strong(ci_signals.scheduled_retraining(drone))
    assert not ci_signals.ci_release_on_tag_or_main(drone).found


def test_tekton_event_listener_and_pipelines_as_code(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            "tekton/pipeline.yaml": """
                apiVersion: tekton.dev/v1
                kind: Pipeline
                metadata:
                  name: train
                spec:
                  tasks:
                    - name: train
                      taskSpec:
                        steps:
                          - name: train
                            image: python:3.12
                            script: python train.py
                ---
                apiVersion: triggers.tekton.dev/v1beta1
                kind: TriggerTemplate
                metadata:
                  name: train-template
                spec:
                  resourcetemplates:
                    - apiVersion: tekton.dev/v1
                      kind: PipelineRun
                      metadata:
                        generateName: train-run-
                      spec:
                        pipelineRef:
                          name: train
                ---
                apiVersion: triggers.tekton.dev/v1beta1
                kind: EventListener
                metadata:
                  name: listener
                spec:
                  triggers:
                    - name: on-push
                      interceptors:
                        - ref:
                            name: github
                          params:
                            - name: eventTypes
                              value: [push]
                      template:
                        ref: train-template
                """,
            ".tekton/pr.yaml": """
                apiVersion: tekton.dev/v1
                kind: PipelineRun
                metadata:
                  name: pr-tests
                  annotations:
                    pipelinesascode.tekton.dev/on-event: "[pull_request]"
                    pipelinesascode.tekton.dev/on-target-branch: "[main]"
                spec:
                  pipelineSpec:
                    tasks:
                      - name: test
                        taskSpec:
                          steps:
                            - name: test
                              image: python:3.12
                              script: pytest
                """,
        },
    )
    by_name = {p.name: p for p in load_ci(snap).pipelines}
    assert [t.kind for t in by_name["train"].triggers] == ["push"]
    assert [t.kind for t in by_name["pr-tests"].triggers] == ["pull_request"]
    assert strong(ci_signals.ci_trains(snap))
    assert strong(ci_signals.ci_runs_tests(snap))


def test_argo_cron_workflow_schedules_and_a_bare_workflow_is_manual(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            "argo/retrain.yaml": """
                apiVersion: argoproj.io/v1alpha1
                kind: CronWorkflow
                metadata:
                  name: retrain
                spec:
                  schedule: "0 3 * * 1"
                  workflowSpec:
                    entrypoint: train
                    templates:
                      - name: train
                        container:
                          image: trainer:1
                          command: [python, train.py]
                """,
            "argo/once.yaml": """
                apiVersion: argoproj.io/v1alpha1
                kind: Workflow
                metadata:
                  name: once
                spec:
                  entrypoint: test
                  templates:
                    - name: test
                      script:
                        image: python:3.12
                        command: [bash]
                        source: pytest
                """,
        },
    )
    assert strong(ci_signals.scheduled_retraining(snap))
    tests = ci_signals.ci_runs_tests(snap)
    assert tests.evidence and all(e.weak for e in tests.evidence)
    assert "started by hand" in tests.evidence[0].note


def test_workflow_dispatch_only_counts_as_manual(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            ".github/workflows/train.yml": """
                on:
                  workflow_dispatch:
                  # push:
                  #   branches: [main]
                jobs:
                  train:
                    runs-on: ubuntu-latest
                    steps:
                      - run: python train.py
                """
        },
    )
    res = ci_signals.ci_trains(snap)
    assert res.evidence and all(e.weak for e in res.evidence)


def test_codepipeline_declared_in_terraform(tmp_path: Path) -> None:
    main = """
        resource "aws_codebuild_project" "tests" {
          name = "model-tests"
          source {
            type      = "CODEPIPELINE"
            buildspec = "buildspec.yml"
          }
        }

        resource "aws_codepipeline" "release" {
          name     = "model-release"
          role_arn = "arn:aws:iam::111:role/codepipeline"
          stage {
            name = "Source"
            action {
              name     = "Source"
              category = "Source"
              owner    = "AWS"
              provider = "CodeStarSourceConnection"
              version  = "1"
              configuration = {
                FullRepositoryId = "org/model"
                BranchName       = "main"
              }
            }
          }
          stage {
            name = "Test"
            action {
              name     = "UnitTests"
              category = "Build"
              owner    = "AWS"
              provider = "CodeBuild"
              version  = "1"
              configuration = {
                ProjectName = aws_codebuild_project.tests.name
              }
            }
          }
        }
        """
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - {cmd}\n"
    snap = snap_of(
        tmp_path / "pos",
        {"infra/main.tf": main, "buildspec.yml": spec.format(cmd="pytest")},
    )
    [p] = [p for p in load_ci(snap).pipelines if p.provider == "codepipeline"]
    assert [t.branches for t in p.triggers] == [("main",)]
    assert any(e.path == "buildspec.yml" for e in ci_signals.ci_runs_tests(snap).evidence)
    neg = snap_of(
        tmp_path / "neg",
        {"infra/main.tf": main, "buildspec.yml": spec.format(cmd="echo pytest")},
    )
    assert not ci_signals.ci_runs_tests(neg).found


def test_cloud_build_trigger_declared_in_terraform(tmp_path: Path) -> None:
    config = """
        steps:
          - name: gcr.io/google.com/cloudsdktool/cloud-sdk
            entrypoint: gcloud
            args: [run, deploy, model, --image, europe-docker.pkg.dev/p/r/model]
        """
    trigger = """
        resource "google_cloudbuild_trigger" "release" {
          name     = "release"
          filename = "deploy/cloudbuild.yaml"
          github {
            owner = "org"
            name  = "model"
            push {
              tag = "^v.*"
            }
          }
          approval_config {
            approval_required = true
          }
        }
        """
    snap = snap_of(tmp_path / "tf", {"deploy/cloudbuild.yaml": config, "infra/build.tf": trigger})
    [p] = load_ci(snap).pipelines
    assert not p.inactive and [t.kind for t in p.triggers] == ["tag"]
    assert ci_signals.ci_manual_approval(snap).found
    res = ci_signals.ci_release_on_tag_or_main(snap)
    assert res.found and not res.evidence[0].weak
    alone = snap_of(tmp_path / "alone", {"deploy/cloudbuild.yaml": config})
    [q] = load_ci(alone).pipelines
    assert q.inactive and all(e.weak for e in ci_signals.ci_deploys(alone).evidence)
