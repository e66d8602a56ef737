"""The catalog's components: the contract each one follows, and how answers shape them.

The render matrix (test_render_matrix.py) checks whole projects per pattern, CI provider
and IaC kind; these tests look at the components one by one and at the answers the matrix
keeps fixed (license, Python version, environments, long names, data versioning, none).
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.scaffold.conftest import (
    COMPONENT_FILES,
    MONITOR_FILES,
    TEMPLATES,
    expected_files,
    leftover_markers,
    load_catalog,
    render_component,
    render_project,
    resolve_answers,
    tree,
)

#: The answer keys of issue 3 (the engine asks them; every component may receive them).
ANSWER_KEYS = {
    "project_name",
    "project_display_name",
    "project_slug",
    "package_name",
    "description",
    "owner",
    "python_version",
    "pattern",
    "ci",
    "iac",
    "environments",
    "data_versioning",
    "license",
}
FINAL_NAMES = set(COMPONENT_FILES)


def _ruff_clean(project: Path) -> None:
    from ruff.__main__ import find_ruff_bin

    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [find_ruff_bin(), *args], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout


def _component_texts(name: str) -> dict[str, str]:
    folder = TEMPLATES / "components" / name / "template"
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in folder.rglob("*")
        if p.is_file()
    }


# --- the catalog contract --------------------------------------------------------------------


def test_catalog_components_are_the_final_names_and_the_folders() -> None:
    catalog = load_catalog()
    folders = {p.name for p in (TEMPLATES / "components").iterdir() if p.is_dir()}
    assert set(catalog["components"]) == FINAL_NAMES == folders
    assert catalog["groups"]["ci"]["members"] == {
        "github": "ci-github",
        "azure-devops": "ci-azure-devops",
        "gitlab": "ci-gitlab",
        "jenkins": "ci-jenkins",
    }
    assert catalog["groups"]["iac"]["members"] == {
        "terraform": "iac-terraform",
        "bicep": "iac-bicep",
    }
    assert catalog["groups"]["data-versioning"]["members"] == {"dvc": "data-versioning-dvc"}
    for name, component in catalog["components"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", component["version"]), name
        for need in component["requires"]:
            assert need in catalog["components"] or need in catalog["groups"], name


def test_patterns_name_components_defaults_and_working_next_steps(
    tmp_path: Path, catalog_cache: Path
) -> None:
    catalog = load_catalog()
    realtime, batch = catalog["patterns"]["realtime"], catalog["patterns"]["batch"]
    assert realtime["default"] is True and "default" not in batch
    assert "serving-realtime" in realtime["components"]
    assert "batch-scoring" in batch["components"] and "serving-realtime" not in batch["components"]
    for pattern in ("realtime", "batch"):
        spec = catalog["patterns"][pattern]
        assert spec["defaults"] == {
            "ci": "github",
            "iac": "terraform",
            "environments": ["dev", "prod"],
            "data_versioning": "none",
        }
        dest = tmp_path / pattern
        render_component("base", dest, _all_on_data(pattern), catalog_cache)
        makefile = (dest / "Makefile").read_text()
        for step in spec["next_steps"]:
            for target in re.findall(r"make ([a-z-]+)", step):
                assert re.search(rf"^{target}:", makefile, re.M), f"{pattern}: make {target}"


@pytest.mark.parametrize("name", sorted(FINAL_NAMES))
def test_component_is_a_copier_template_with_its_own_answers_file(name: str) -> None:
    folder = TEMPLATES / "components" / name
    text = (folder / "copier.yml").read_text(encoding="utf-8")
    head, include = text.split("\n---\n")
    config = yaml.safe_load(head)
    assert config["_subdirectory"] == "template"
    assert config["_answers_file"] == f".mlops-factory/{name}.yml"
    # Questions come only from the shared file, included as its own YAML document.
    assert include.strip() == "!include questions.yml"
    assert all(key.startswith("_") for key in config)
    assert not (folder / "questions.yml").exists()
    answers = [t for p, t in _component_texts(name).items() if "_copier_conf.answers_file" in p]
    assert len(answers) == 1 and "_copier_answers" in answers[0]
    for unsafe in ("_tasks", "_migrations", "_jinja_extensions"):
        assert unsafe not in config, f"{name} needs no {unsafe}"


def test_shared_questions_define_every_answer_key() -> None:
    questions = yaml.safe_load((TEMPLATES / "questions.yml").read_text(encoding="utf-8"))
    assert set(questions) == ANSWER_KEYS
    catalog = load_catalog()
    for name, component in catalog["components"].items():
        assert set(component["questions"]) <= ANSWER_KEYS, name
    assert questions["python_version"]["choices"] == ["3.11", "3.12", "3.13"]
    assert questions["environments"]["default"] == ["dev", "prod"]
    for key in ("ci", "iac", "data_versioning"):
        assert questions[key]["choices"][-1] == "none"


@pytest.mark.parametrize("name", sorted(FINAL_NAMES))
def test_component_declares_the_answers_its_templates_use(name: str) -> None:
    """`add COMPONENT` asks only the component's questions: they must be enough."""
    declared = set(load_catalog()["components"][name]["questions"])
    used = set()
    jinja = re.compile(r"(\{\{|\{%|\[\[|\[%)(.*?)(\}\}|%\}|\]\]|%\])", re.S)
    for path, text in _component_texts(name).items():
        for _, expression, _ in jinja.findall(path + "\n" + text):
            code = re.sub(r"'[^']*'|\"[^\"]*\"", "''", expression)
            # A variable read: not inside a string, not an attribute, not a keyword argument.
            used.update(k for k in ANSWER_KEYS if re.search(rf"(?<![\w.]){k}\b(?!\s*=[^=])", code))
    # `pattern` is data every component receives; the rest must be declared.
    assert used - {"pattern"} <= declared, f"{name} uses {sorted(used - declared)}"


def _all_on_data(pattern: str = "realtime") -> dict[str, Any]:
    answers = resolve_answers(pattern, {"data_versioning": "dvc"})
    return {**answers, "components": sorted(FINAL_NAMES)}


def _alone_files(name: str) -> set[str]:
    """What a component renders on its own when every other component is applied too."""
    if name in MONITOR_FILES:  # CI components add monitoring (and infrastructure) workflows then
        others = ["monitoring-retraining", "iac-terraform"]
        both = expected_files([name, *others], "demo_churn", ["dev", "prod"])
        return both - expected_files(others, "demo_churn", ["dev", "prod"])
    return expected_files([name], "demo_churn", ["dev", "prod"])


def test_every_file_has_one_owner(tmp_path: Path, catalog_cache: Path) -> None:
    """Components render disjoint files, even with every conditional file switched on."""
    outputs = {}
    for name in sorted(FINAL_NAMES):
        dest = tmp_path / name
        render_component(name, dest, _all_on_data(), catalog_cache)
        outputs[name] = tree(dest)
        assert outputs[name] == _alone_files(name), name
    for (a, files_a), (b, files_b) in combinations(outputs.items(), 2):
        assert files_a.isdisjoint(files_b), f"{a} and {b} both write {files_a & files_b}"


# --- answers the matrix keeps fixed ----------------------------------------------------------


@pytest.mark.parametrize(
    ("license_name", "first_line", "spdx"),
    [
        ("Proprietary", "Copyright (c)", "LicenseRef-Proprietary"),
        ("MIT", "MIT License", "MIT"),
        ("Apache-2.0", "Copyright", "Apache-2.0"),
        ("BSD-3-Clause", "BSD 3-Clause License", "BSD-3-Clause"),
    ],
)
def test_license_answer(
    tmp_path: Path, catalog_cache: Path, license_name: str, first_line: str, spdx: str
) -> None:
    dest = tmp_path / "p"
    render_component("base", dest, {**_all_on_data(), "license": license_name}, catalog_cache)
    text = (dest / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith(first_line)
    assert "demo-churn team" in text
    pyproject = tomllib.loads((dest / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == spdx


def test_python_version_answer_reaches_packaging_ci_and_images(
    tmp_path: Path, catalog_cache: Path
) -> None:
    project, _ = render_project(
        tmp_path / "p", "realtime", {"python_version": "3.12"}, catalog_cache
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == ">=3.12"
    assert pyproject["tool"]["ruff"]["target-version"] == "py312"
    assert (project / "Dockerfile").read_text().count("FROM python:3.12-slim") == 1
    assert 'PYTHON_VERSION: "3.12"' in (project / ".github/workflows/pr.yml").read_text()
    assert "python=3.12" in (project / "azureml/conda.yml").read_text()


def test_three_environments_give_three_overlays_var_files_and_a_staging_release(
    tmp_path: Path, catalog_cache: Path
) -> None:
    envs = ["dev", "staging", "prod"]
    project, components = render_project(
        tmp_path / "p", "realtime", {"environments": envs}, catalog_cache
    )
    assert tree(project) == expected_files(components, "demo_churn", envs)
    assert (
        'ENVIRONMENTS = ("dev", "staging", "prod")'
        in (project / "src/demo_churn/config.py").read_text()
    )
    staging = yaml.safe_load((project / "configs/environments/staging.yaml").read_text())
    assert staging["registry"]["auto_promote"] is False
    assert staging["monitoring"]["trigger_retraining"] is True
    release = yaml.safe_load((project / ".github/workflows/release.yml").read_text())
    assert release["jobs"]["deploy-staging"]["environment"] == "staging"


def test_long_names_stay_lint_clean(tmp_path: Path, catalog_cache: Path) -> None:
    long = {
        "project_name": "customer-lifetime-value-forecasting-service",
        "package_name": "customer_lifetime_value_forecasting_service",
    }
    for pattern, ci in (("realtime", "gitlab"), ("batch", "jenkins")):
        project, _ = render_project(
            tmp_path / pattern, pattern, {**long, "ci": ci, "iac": "bicep"}, catalog_cache
        )
        _ruff_clean(project)
        # Azure resource names derive from a slug of the project name: 24 characters at
        # most, no trailing dash.
        tfvars = (project / "infra/bicep/environments/prod.bicepparam").read_text()
        assert "param project = 'customer-lifetime-value'\n" in tfvars
    # Azure ML endpoint names: 3 to 32 characters, a letter first; component names: lowercase
    # letters, digits and underscores.
    endpoint = yaml.safe_load((project / "azureml/batch-endpoint.yml").read_text())
    assert endpoint["name"] == "customer-lifetime-value-dev"
    jenkinsfile = (project / "Jenkinsfile").read_text()
    for name in re.findall(r"^\s*endpoint=(\S+)$", jenkinsfile, re.M):
        assert re.fullmatch(r"[a-z][a-z0-9-]{2,31}", name), name
    component = yaml.safe_load((project / "azureml/batch-scoring-component.yml").read_text())
    assert component["name"] == "customer_lifetime_value_forecasting_service_batch_scoring"


def test_without_ci_and_iac_the_project_is_still_complete(
    tmp_path: Path, catalog_cache: Path
) -> None:
    project, components = render_project(
        tmp_path / "p", "batch", {"ci": "none", "iac": "none"}, catalog_cache
    )
    assert not any(c.startswith(("ci-", "iac-")) for c in components)
    assert tree(project) == expected_files(components, "demo_churn", ["dev", "prod"])
    assert leftover_markers(project) == []
    readme = (project / "README.md").read_text()
    assert "## CI/CD" not in readme and "## Infrastructure" not in readme
    monitoring = yaml.safe_load((project / "configs/monitoring.yaml").read_text())
    assert monitoring["retraining"] == {"provider": "none"}
    _ruff_clean(project)


def test_dvc_stages_run_the_pipeline_steps(tmp_path: Path, catalog_cache: Path) -> None:
    project, components = render_project(
        tmp_path / "p", "realtime", {"data_versioning": "dvc", "ci": "gitlab"}, catalog_cache
    )
    assert "data-versioning-dvc" in components
    assert tree(project) == expected_files(components, "demo_churn", ["dev", "prod"])
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert list(stages) == ["prepare", "train", "evaluate", "register", "export"]
    pipeline = (project / "src/demo_churn/pipeline.py").read_text()
    for name, stage in stages.items():
        assert stage["cmd"].startswith(f"python -m demo_churn.pipeline {name} ")
        assert f'add_parser("{name}"' in pipeline or f'add_parser(\n        "{name}"' in pipeline
        for dep in stage.get("deps", []):
            if dep.startswith(("src/", "configs/")):
                assert (project / dep).exists(), dep
    config = (project / ".dvc/config").read_text()
    assert config.count("['remote ") == 2 and "remote = dev" in config
    makefile = (project / "Makefile").read_text()
    assert "repro:" in makefile


def test_lock_pins_every_dependency_the_project_declares(
    tmp_path: Path, catalog_cache: Path
) -> None:
    # base owns pyproject.toml and the lock; every component switched on declares it all.
    project = tmp_path / "p"
    render_component("base", project, _all_on_data(), catalog_cache)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    lines = [
        line
        for line in (project / "requirements-lock.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[\w.+-]+", line) for line in lines), lines
    pinned = {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower() for line in lines}
    declared = [*pyproject["project"]["dependencies"]]
    for requirements in pyproject["project"]["optional-dependencies"].values():
        declared += [r for r in requirements if not r.startswith(pyproject["project"]["name"])]
    for requirement in declared:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement)[0]).lower()
        assert name in pinned, f"{requirement} is not in requirements-lock.txt"


def test_owner_and_description_with_quotes_colons_and_dollars_stay_valid(
    tmp_path: Path, catalog_cache: Path
) -> None:
    """The engine allows ' and ': ' (not " or backslash) in these one-line answers."""
    import hcl2

    owner = "Data & ML: O'Brien's team ${team}"
    description = "Churn: who's leaving? 100% %{sure}"
    for iac in ("terraform", "bicep"):
        project, _ = render_project(
            tmp_path / iac,
            "realtime",
            {"owner": owner, "description": description, "iac": iac},
            catalog_cache,
        )
        pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
        assert pyproject["project"]["description"] == description
        assert pyproject["project"]["authors"] == [{"name": owner}]
        for path in [*project.rglob("*.yml"), *project.rglob("*.yaml")]:
            list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        _ruff_clean(project)
    tfvars = hcl2.loads(
        (tmp_path / "terraform/infra/terraform/environments/dev.tfvars").read_text()
    )
    # HCL would interpolate ${...}: the template escapes it as $${...}.
    assert tfvars["owner"] == "\"Data & ML: O'Brien's team $${team}\""
    bicep = (tmp_path / "bicep/infra/bicep/environments/dev.bicepparam").read_text()
    assert "param owner = 'Data & ML: O\\'Brien\\'s team \\${team}'" in bicep


@pytest.mark.parametrize(
    ("owner", "codeowners"),
    [("@acme/risk-ml", "* @acme/risk-ml\n"), ("risk@acme.example", "* risk@acme.example\n")],
)
def test_base_writes_codeowners_for_a_valid_owner(
    tmp_path: Path, catalog_cache: Path, owner: str, codeowners: str
) -> None:
    render_component("base", tmp_path / "p", {**_all_on_data(), "owner": owner}, catalog_cache)
    assert (tmp_path / "p" / "CODEOWNERS").read_text().endswith(codeowners)


def test_base_writes_no_codeowners_for_a_team_name_and_shows_the_display_name(
    tmp_path: Path, catalog_cache: Path
) -> None:
    data = {**_all_on_data(), "owner": "risk-ml team", "project_display_name": "Churn (EU)"}
    render_component("base", tmp_path / "p", data, catalog_cache)
    assert not (tmp_path / "p" / "CODEOWNERS").exists()
    assert (tmp_path / "p" / "README.md").read_text().startswith("# Churn (EU)\n")
