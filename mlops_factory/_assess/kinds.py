"""What kind of repository this is: a project, a template, a monorepo or documentation.

The kind changes what the level means, not how it is computed: a template's level is
that of the template repository itself (its own CI and tests), since what it
generates is only a promise until rendered; a monorepo's level is that of the whole
tree, with its projects listed so one can be assessed alone with ``--project``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_factory._assess.model import RepoKind
from mlops_factory._assess.snapshot import RepoSnapshot

#: Files that make a repository a project template, by the generator's documentation:
#: copier (copier.yml), cookiecutter (cookiecutter.json; ccds.json for
#: cookiecutter-data-science), Databricks asset bundle templates
#: (databricks_template_schema.json).
_TEMPLATE_FILES = {
    "copier.yml": "a copier template (copier.yml)",
    "copier.yaml": "a copier template (copier.yaml)",
    "cookiecutter.json": "a cookiecutter template (cookiecutter.json)",
    "ccds.json": "a cookiecutter-data-science template (ccds.json)",
    "databricks_template_schema.json": "a Databricks asset bundle template",
}
#: AWS Service Catalog products are how SageMaker Projects templates are published.
_SERVICE_CATALOG = re.compile(r"AWS::ServiceCatalog::(?:CloudFormationProduct|Portfolio)\b")
_CODE_SUFFIXES = frozenset(
    {
        ".py",
        ".ipynb",
        ".r",
        ".scala",
        ".java",
        ".kt",
        ".ts",
        ".js",
        ".go",
        ".rs",
        ".sh",
        ".tf",
        ".bicep",
        ".sql",
        ".jl",
        ".cs",
        ".groovy",
    }
)
_CODE_NAMES = frozenset({"Dockerfile", "Makefile", "Jenkinsfile", "MLproject", "dvc.yaml"})
#: Files that make a folder a project of its own.
_MANIFESTS = frozenset(
    {
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "requirements.txt",
        "environment.yml",
        "environment.yaml",
        "Pipfile",
        "package.json",
        "MLproject",
        "dvc.yaml",
        "databricks.yml",
        "pom.xml",
        "build.gradle",
        "go.mod",
        "Cargo.toml",
    }
)
_NOT_PROJECTS = frozenset(
    {"tests", "test", "docs", "doc", "examples", "example", "node_modules", ".github"}
)


@dataclass(frozen=True, slots=True)
class KindInfo:
    """The repository's kind, why, and (monorepo) its projects."""

    kind: RepoKind
    reason: str
    projects: tuple[str, ...] = ()


def _is_code(name: str, suffix: str) -> bool:
    return suffix in _CODE_SUFFIXES or name in _CODE_NAMES or name.startswith("Dockerfile")


def project_roots(snap: RepoSnapshot) -> list[str]:
    """Folders below the root that hold a project manifest, outermost only."""
    dirs = sorted(
        {
            e.path.rsplit("/", 1)[0]
            for e in snap.files
            if e.name in _MANIFESTS and "/" in e.path and e.path.count("/") <= 3
        }
    )
    roots: list[str] = []
    for d in dirs:
        parts = d.split("/")
        if any(p.lower() in _NOT_PROJECTS or p.startswith(".") or "{{" in p for p in parts):
            continue
        if any(d.startswith(r + "/") for r in roots):
            continue
        roots.append(d)
    return roots


def classify(snap: RepoSnapshot) -> KindInfo:
    """Decide the kind from the files' names (and, for Service Catalog, a few root files)."""
    if not any(_is_code(e.name, e.suffix) for e in snap.files) and not any(
        e.path.startswith(".github/workflows/") for e in snap.files
    ):
        return KindInfo(
            "docs",
            "no code, pipelines, CI or infrastructure: documentation only, so no dimension"
            " can claim anything (level 0)",
        )
    root = {e.name: e for e in snap.root_files()}
    for name, what in _TEMPLATE_FILES.items():
        if name in root:
            return _template(what)
    if any(
        e.path.split("/", 1)[0].startswith("{{") and "cookiecutter" in e.path for e in snap.files
    ):
        return _template("a cookiecutter template ({{cookiecutter...}} folder)")
    for entry in root.values():
        if entry.suffix in (".yaml", ".yml", ".json"):
            text = snap.read_text(entry.path) or ""
            if _SERVICE_CATALOG.search(text):
                return _template(
                    f"a catalog of project templates published through AWS Service Catalog"
                    f" ({entry.path})"
                )
    roots = project_roots(snap)
    tops = {r.split("/", 1)[0] for r in roots}
    own_manifest = any(n in root for n in ("pyproject.toml", "setup.py", "setup.cfg"))
    if len(tops) >= 3 or (len(tops) >= 2 and not own_manifest):
        return KindInfo(
            "monorepo",
            f"{len(roots)} independent projects in one repository: the level is that of the"
            " whole tree; assess one project alone with --project DIR",
            tuple(roots[:50]),
        )
    return KindInfo("project", "")


def _template(what: str) -> KindInfo:
    return KindInfo(
        "template",
        f"{what}: the level describes the template repository itself (its own CI and"
        " tests); to assess what it generates, render it and assess the rendering",
    )
