"""Infrastructure signals on real small repos, and the format readers they rest on."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._assess.signals import infra
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.assess.test_signals_code import Case, case_id, check, notebook, run
from tests.helpers import build_tree

IAC = [
    Case(
        "iac",
        "terraform-resources",
        {
            "infra/main.tf": """
                # resource "azurerm_commented" "x" {}
                terraform {
                  required_providers {}
                }

                resource "azurerm_resource_group" "rg" {
                  name = "rg-#-not-a-comment" // trailing comment
                }

                /* resource "azurerm_disabled" "y" {
                } */
                resource "azurerm_storage_account" "sa" {
                  tags = { note = <<EOT
                resource "in_a_heredoc" "z" {
                EOT
                  }
                }
                """
        },
        True,
        ("infra/main.tf", 6),
        "Terraform declares azurerm_resource_group, azurerm_storage_account",
    ),
    Case(
        "iac",
        "bicep-resources",
        {
            "infra/main.bicep": """
                // resource old 'Microsoft.Old/things@2020-01-01' = {}
                param location string = resourceGroup().location

                resource existingVnet 'Microsoft.Network/virtualNetworks@2023-04-01' existing = {
                  name: 'vnet'
                }

                resource ws 'Microsoft.MachineLearningServices/workspaces@2023-10-01' = {
                  name: 'mlw'
                  location: location
                }
                """
        },
        True,
        ("infra/main.bicep", 8),
        "Bicep declares Microsoft.MachineLearningServices/workspaces",
    ),
    Case(
        "iac",
        "arm-template",
        {
            "infra/azuredeploy.json": """
                {
                  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                  "contentVersion": "1.0.0.0",
                  "resources": [
                    {"type": "Microsoft.Storage/storageAccounts", "name": "sa"}
                  ]
                }
                """
        },
        True,
        ("infra/azuredeploy.json", 5),
        "ARM declares Microsoft.Storage/storageAccounts",
    ),
    Case(
        "iac",
        "kubernetes-manifests",
        {
            "k8s/deploy.yaml": """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: churn
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: churn
                """
        },
        True,
        ("k8s/deploy.yaml", 2),
        "Kubernetes manifest (Deployment, Service)",
    ),
    Case(
        "iac",
        "helm-chart",
        {
            "chart/Chart.yaml": "apiVersion: v2\nname: churn\nversion: 0.1.0\n",
            "chart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: {{ .Values.kind }}\n",
        },
        True,
        ("chart/Chart.yaml", 2),
        "Helm chart 'churn'",
    ),
    Case(
        "iac",
        "pulumi",
        {"Pulumi.yaml": "name: churn\nruntime: python\n"},
        True,
        ("Pulumi.yaml", 2),
        "Pulumi project (python)",
    ),
    Case(
        "iac",
        "cloudformation",
        {
            "cfn/stack.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n"
            "    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Ref Name\n"
        },
        True,
        ("cfn/stack.yaml", 4),
        "CloudFormation declares AWS::S3::Bucket",
    ),
    Case(
        "iac",
        "variables-only-commented-and-claimed",
        {
            "infra/variables.tf": 'variable "env" { type = string }\n',
            "infra/main.tf": '# resource "azurerm_resource_group" "rg" {}\n',
            "infra/refs.bicep": "resource v 'Microsoft.Network/virtualNetworks@2023-04-01' "
            "existing = {\n"
            "  name: 'x'\n}\n",
            "README.md": '```hcl\nresource "azurerm_resource_group" "rg" {}\n```\n',
        },
        False,
    ),
]

ENVIRONMENTS = [
    Case(
        "multiple_environments",
        "terraform-var-files",
        {
            "infra/env/dev.tfvars": 'environment = "dev"\n',
            "infra/env/prod.tfvars": 'environment = "prod"\n',
        },
        True,
        ("infra/env/dev.tfvars", None),
        "environment 'dev' (Terraform variable files)",
    ),
    Case(
        "multiple_environments",
        "config-per-environment",
        {"config/dev.yaml": "db: x\n", "config/production.yaml": "db: y\n"},
        True,
        ("config/dev.yaml", None),
        "environment 'dev' (per-environment config files)",
    ),
    Case(
        "multiple_environments",
        "kustomize-overlays",
        {
            "k8s/overlays/staging/kustomization.yaml": "resources: [../../base]\n",
            "k8s/overlays/prod/kustomization.yaml": "resources: [../../base]\n",
        },
        True,
        ("k8s/overlays/prod/kustomization.yaml", None),
        "environment 'prod' (Kubernetes overlays)",
    ),
    Case(
        "multiple_environments",
        "ci-deploys-to-two-environments",
        {
            ".github/workflows/deploy.yml": """
                name: deploy
                on:
                  push:
                    branches: [main]
                jobs:
                  staging:
                    runs-on: ubuntu-latest
                    environment: staging
                    steps:
                      - run: kubectl apply -f k8s/
                  production:
                    runs-on: ubuntu-latest
                    environment: production
                    steps:
                      - run: kubectl apply -f k8s/
                """
        },
        True,
        (".github/workflows/deploy.yml", 8),
        "staging",
    ),
    Case(
        "multiple_environments",
        "one-environment-tests-and-claims",
        {
            "infra/prod.tfvars": 'environment = "prod"\n',
            "tests/config/dev.yaml": "x: 1\n",
            "README.md": "We deploy to dev, staging and prod.\n",
        },
        False,
    ),
]

CONTAINERS = [
    Case(
        "container_packaging",
        "dockerfile-with-cmd",
        {
            "Dockerfile": """
                # syntax=docker/dockerfile:1
                FROM python:3.11-slim AS base
                RUN pip install \\
                    # a comment inside the continuation
                    fastapi uvicorn
                COPY . /app
                CMD ["uvicorn", "app:app"]
                """
        },
        True,
        ("Dockerfile", 2),
        "container base image",
    ),
    Case(
        "container_packaging",
        "named-dockerfile-with-entrypoint",
        {"docker/train.dockerfile": 'FROM python:3.11\nENTRYPOINT ["python", "train.py"]\n'},
        True,
        ("docker/train.dockerfile", 1),
        "container base image",
    ),
    Case(
        "container_packaging",
        "no-cmd-is-reported-not-found",
        {"Dockerfile": "FROM python:3.11\nRUN pip install x\n"},
        False,
        ("Dockerfile", 1),
        "without CMD or ENTRYPOINT",
        weak=True,
    ),
    Case(
        "container_packaging",
        "commented-and-claimed",
        {
            "Dockerfile": '# FROM python:3.11\n# CMD ["python"]\n',
            "docs/docker.md": '```\nFROM python:3.11\nCMD ["python"]\n```\n',
        },
        False,
    ),
]

COMPUTE = [
    Case(
        "managed_compute",
        "azureml-job-compute",
        {
            "aml/train.yml": """
                $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
                type: command
                command: python train.py
                environment: azureml:env:1
                compute: azureml:cpu-cluster
                """
        },
        True,
        ("aml/train.yml", 5),
        "Azure ML job runs on azureml:cpu-cluster",
    ),
    Case(
        "managed_compute",
        "terraform-compute-cluster",
        {
            "infra/ml.tf": 'resource "azurerm_machine_learning_compute_cluster" "cpu" {\n'
            '  vm_size = "STANDARD_DS3_V2"\n}\n'
        },
        True,
        ("infra/ml.tf", 1),
        "Azure ML compute cluster in Terraform",
    ),
    Case(
        "managed_compute",
        "kubernetes-job",
        {"k8s/train-job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: train\n"},
        True,
        ("k8s/train-job.yaml", 2),
        "Kubernetes Job",
    ),
    Case(
        "managed_compute",
        "databricks-job-cluster",
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
        ("databricks.yml", 7),
        "Databricks job cluster",
    ),
    Case(
        "managed_compute",
        "sagemaker-estimator",
        {
            "src/launch.py": "from sagemaker.sklearn import SKLearn\n\n"
            "est = SKLearn(entry_point='train.py', instance_type='ml.m5.large')\nest.fit()\n"
        },
        True,
        ("src/launch.py", 3),
        "SageMaker job",
    ),
    Case(
        "managed_compute",
        "only-in-a-notebook-is-weak",
        {
            "nb.ipynb": notebook(
                "from sagemaker.sklearn import SKLearn\nSKLearn(entry_point='t.py')\n"
            )
        },
        True,
        ("nb.ipynb", 9),
        "(in a notebook)",
        weak=True,
    ),
    Case(
        "managed_compute",
        "local-compute-and-claims",
        {
            "aml/train.yml": "$schema: https://azuremlschemas.azureedge.net/latest/"
            "commandJob.schema.json\ntype: command\ncommand: python t.py\ncompute: local\n",
            "README.md": "Runs on an Azure ML compute cluster.\n",
            "infra/ml.tf": '# resource "azurerm_machine_learning_compute_cluster" "c" {}\n',
        },
        False,
    ),
]

CASES = [*IAC, *ENVIRONMENTS, *CONTAINERS, *COMPUTE]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_infra_signal(tmp_path: Path, case: Case) -> None:
    check(run(tmp_path, case.tree, getattr(infra, case.signal)), case)


def test_every_infra_signal_has_a_positive_and_a_negative_case() -> None:
    names = {"iac", "multiple_environments", "container_packaging", "managed_compute"}
    assert {c.signal for c in CASES} == names
    for name in names:
        assert {c.found for c in CASES if c.signal == name} == {True, False}, name


def test_invalid_yaml_is_recorded_once_and_skipped(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "k8s/broken.yaml": "apiVersion: v1\nkind: [Service\n",
            "k8s/ok.yaml": "apiVersion: v1\nkind: Service\n",
        },
    )
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    first = infra.iac(snap)
    infra.managed_compute(snap)
    assert [e.path for e in first.evidence] == ["k8s/ok.yaml"]
    assert [u.path for u in snap.unreadable] == ["k8s/broken.yaml"]
    assert snap.unreadable[0].reason.startswith("invalid YAML: ")


def test_dockerfile_parser_joins_continuations_and_skips_heredocs() -> None:
    text = (
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows AS build\n"
        "RUN echo a `\n"
        "    b\n"
        "RUN <<EOF\n"
        "CMD not-an-instruction\n"
        "EOF\n"
        'cmd ["run"]\n'
    )
    got = [(i.line, i.keyword, i.args) for i in infra.parse_dockerfile(text)]
    assert got == [
        (2, "FROM", "mcr.microsoft.com/windows AS build"),
        (3, "RUN", "echo a b"),
        (5, "RUN", "<<EOF"),
        (8, "CMD", '["run"]'),
    ]


def test_makefile_targets_keep_recipes_without_comments() -> None:
    text = "all: train\n\ntrain: data\n\t# python old.py\n\t@python -m pkg.train\nX := 1\n"
    assert infra.makefile_targets(text) == {
        "all": (1, []),
        "train": (3, ["@python -m pkg.train"]),
    }


def test_yaml_walk_survives_recursive_anchors(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a.yml": "a: &x [1, *x]\nb: {k: v}\n"})
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    docs = snap.yaml("a.yml")
    assert docs is not None
    keys = [k for k, _ in infra.walk_data(docs[0])]
    assert keys == ["a", "b", "k"]
