"""Render the built-in template catalog with bare copier, as the catalog contract says.

The scaffolding engine (``mlops-factory new``) materialises each component with the shared
``questions.yml`` at its root and runs ``copier.run_copy`` per component into one folder.
These helpers do the same without the engine, so the template content is tested on its
own: the matrix and end-to-end tests exercise what the templates produce.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import require_tool as require_tool

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
QUESTIONS = "questions.yml"

#: Answers used unless a test overrides them (the engine's defaults for a folder "demo-churn").
BASE_ANSWERS: dict[str, Any] = {
    "project_name": "demo-churn",
    "project_display_name": "demo-churn",
    "project_slug": "demo-churn",
    "package_name": "demo_churn",
    "description": "demo-churn, a machine learning project",
    "owner": "demo-churn team",
    "python_version": "3.11",
    "license": "Proprietary",
}


def load_catalog() -> dict[str, Any]:
    data = yaml.safe_load((TEMPLATES / "catalog.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def resolve_answers(pattern: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Full answers for ``pattern``: base answers, the pattern's defaults, then overrides."""
    catalog = load_catalog()
    answers = {**BASE_ANSWERS, "pattern": pattern, **catalog["patterns"][pattern]["defaults"]}
    answers.update(overrides or {})
    return answers


def resolve_components(pattern: str, answers: Mapping[str, Any]) -> list[str]:
    """The pattern's components, groups resolved through their answers, in requires order."""
    catalog = load_catalog()
    groups = catalog.get("groups", {})
    selected: list[str] = []
    for name in catalog["patterns"][pattern]["components"]:
        if name in groups:
            member = groups[name]["members"].get(answers.get(groups[name]["answer"], "none"))
            if member:
                selected.append(member)
        else:
            selected.append(name)
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for need in catalog["components"][name].get("requires", []):
            if need in groups:
                need = next((m for m in groups[need]["members"].values() if m in selected), "")
            if need in selected:
                visit(need)
        ordered.append(name)

    for name in selected:
        visit(name)
    return ordered


def materialise(component: str, cache: Path) -> Path:
    """A copy of the component folder with the shared questions.yml at its root."""
    target = cache / component
    if not target.exists():
        shutil.copytree(TEMPLATES / "components" / component, target)
        shutil.copy2(TEMPLATES / QUESTIONS, target / QUESTIONS)
    return target


def render_component(component: str, dest: Path, data: Mapping[str, Any], cache: Path) -> None:
    import copier

    copier.run_copy(
        str(materialise(component, cache)),
        str(dest),
        data=dict(data),
        defaults=True,
        unsafe=True,
        quiet=True,
        overwrite=False,
    )


def render_project(
    dest: Path,
    pattern: str = "realtime",
    overrides: Mapping[str, Any] | None = None,
    cache: Path | None = None,
) -> tuple[Path, list[str]]:
    """Render every component of ``pattern`` into ``dest``; return it and the components."""
    cache = cache or dest.parent / f".catalog-{dest.name}"
    answers = resolve_answers(pattern, overrides)
    components = resolve_components(pattern, answers)
    data = {**answers, "components": components}
    dest.mkdir(parents=True, exist_ok=True)
    for component in components:
        render_component(component, dest, data, cache)
    return dest, components


@pytest.fixture(scope="session")
def catalog_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Materialised components, shared by every render of the session."""
    yield tmp_path_factory.mktemp("catalog")


# --- what a rendered project must contain ---------------------------------------------------

#: Files per component; {p} is the package, {env} expands to one file per environment.
COMPONENT_FILES: dict[str, tuple[str, ...]] = {
    "base": (
        ".dockerignore",
        ".editorconfig",
        ".gitignore",
        ".pre-commit-config.yaml",
        "CHANGELOG.md",
        "LICENSE",
        "Makefile",
        "README.md",
        "pyproject.toml",
        "requirements-lock.txt",
        "configs/environments/{env}.yaml",
        "src/{p}/__init__.py",
        "src/{p}/config.py",
        "tests/test_config.py",
    ),
    "training-pipeline": (
        "azureml/conda.yml",
        "azureml/pipeline.yml",
        "azureml/train-environment.yml",
        "configs/schema.yaml",
        "configs/training.yaml",
        "src/{p}/data.py",
        "src/{p}/evaluate.py",
        "src/{p}/features.py",
        "src/{p}/pipeline.py",
        "src/{p}/schema.py",
        "src/{p}/train.py",
        "tests/conftest.py",
        "tests/test_data.py",
        "tests/test_features.py",
        "tests/test_model_quality.py",
        "tests/test_pipeline.py",
        "tests/test_schema.py",
    ),
    "tracking-registry": (
        "configs/registry.yaml",
        "configs/tracking.yaml",
        "src/{p}/registry.py",
        "src/{p}/tracking.py",
        "tests/test_registry.py",
    ),
    "data-versioning-dvc": (".dvc/.gitignore", ".dvc/config", ".dvcignore", "dvc.yaml"),
    "onnx-packaging": (
        "configs/scoring.yaml",
        "src/{p}/export.py",
        "src/{p}/scoring.py",
        "tests/test_onnx_parity.py",
        "tests/test_scoring.py",
    ),
    "serving-realtime": (
        "Dockerfile",
        "azureml/online-deployment.yml",
        "azureml/online-endpoint.yml",
        "configs/serving.yaml",
        "scripts/smoke_test.py",
        "src/{p}/service.py",
        "tests/test_api.py",
    ),
    "batch-scoring": (
        "azureml/batch-deployment.yml",
        "azureml/batch-endpoint.yml",
        "azureml/batch-schedule.yml",
        "azureml/batch-scoring-component.yml",
        "azureml/batch-scoring-job.yml",
        "batch.Dockerfile",
        "configs/batch.yaml",
        "src/{p}/batch.py",
        "tests/test_batch.py",
    ),
    "monitoring-retraining": (
        "azureml/retraining-schedule.yml",
        "configs/monitoring.yaml",
        "src/{p}/monitoring.py",
        "src/{p}/store.py",
        "tests/test_drift.py",
    ),
    "ci-github": (
        ".github/workflows/pr.yml",
        ".github/workflows/release.yml",
        ".github/workflows/retrain.yml",
    ),
    "ci-azure-devops": (
        ".azure-pipelines/pr.yml",
        ".azure-pipelines/release.yml",
        ".azure-pipelines/retrain.yml",
        ".azure-pipelines/templates/setup.yml",
    ),
    "ci-gitlab": (
        ".gitlab-ci.yml",
        ".gitlab/ci/merge-request.yml",
        ".gitlab/ci/release.yml",
        ".gitlab/ci/retrain.yml",
    ),
    "ci-jenkins": ("Jenkinsfile", "Jenkinsfile.retrain"),
    "iac-terraform": (
        "infra/terraform/environments/{env}.tfvars",
        "infra/terraform/main.tf",
        "infra/terraform/outputs.tf",
        "infra/terraform/variables.tf",
        "infra/terraform/versions.tf",
    ),
    "iac-bicep": ("infra/bicep/environments/{env}.bicepparam", "infra/bicep/main.bicep"),
    "docs": ("docs/architecture.md", "docs/model-card.md", "docs/runbook.md"),
}
#: Files a CI component adds when monitoring-retraining is applied too.
MONITOR_FILES: dict[str, str] = {
    "ci-github": ".github/workflows/monitor.yml",
    "ci-azure-devops": ".azure-pipelines/monitor.yml",
    "ci-gitlab": ".gitlab/ci/monitor.yml",
    "ci-jenkins": "Jenkinsfile.monitor",
}


#: Files a CI component adds when an IaC component is applied too (plan, approval, apply).
INFRA_FILES: dict[str, str] = {
    "ci-github": ".github/workflows/infra.yml",
    "ci-azure-devops": ".azure-pipelines/infra.yml",
    "ci-gitlab": ".gitlab/ci/infra.yml",
    "ci-jenkins": "Jenkinsfile.infra",
}


def expected_files(
    components: Iterable[str], package: str, environments: Iterable[str]
) -> set[str]:
    """Every file a project rendered from ``components`` must contain, and nothing else."""
    components = list(components)
    files: set[str] = set()
    for component in components:
        files.add(f".mlops-factory/{component}.yml")
        paths = list(COMPONENT_FILES[component])
        if component in MONITOR_FILES and "monitoring-retraining" in components:
            paths.append(MONITOR_FILES[component])
        if component in INFRA_FILES and {"iac-terraform", "iac-bicep"} & set(components):
            paths.append(INFRA_FILES[component])
        for path in paths:
            path = path.replace("{p}", package)
            if "{env}" in path:
                files.update(path.replace("{env}", env) for env in environments)
            else:
                files.add(path)
    return files


def tree(root: Path) -> set[str]:
    """Relative paths of every file under ``root``."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# --- leftovers of template syntax ------------------------------------------------------------

#: Opening Jinja markers (default and the CI components' [[ ]] delimiters) that must never
#: survive rendering. ``${{`` (GitHub Actions, Azure Pipelines, Azure ML) and ``${#``
#: (bash) are the target systems' own syntax. Closing markers alone are not checked:
#: ``%}`` is legitimate in a Python format spec such as ``{share:.0%}``.
LEFTOVERS = re.compile(r"(?<!\$)\{\{|\{%|(?<!\$)\{#|\[%|\[\[-?\s+[A-Za-z_]|\[#\s")


def leftover_markers(root: Path) -> list[str]:
    """``path:line: text`` of every leftover template marker, in contents and names."""
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if LEFTOVERS.search(rel) or rel.endswith(".jinja"):
            found.append(f"{rel}: template syntax in the file name")
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if LEFTOVERS.search(line):
                found.append(f"{rel}:{number}: {line.strip()}")
    return found


# --- external tools --------------------------------------------------------------------------
