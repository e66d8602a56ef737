"""Does a file look generic, or does it belong to this one project?

A file is *project-specific* when it refers to identifiers that appear only in this
project: modules of the project's package and top-level functions, classes and
constants the team wrote, that the catalog's templates do not provide (so another
project would not have them). The project's values (project name, package name,
description, owner) do not make a file specific: harvest replaces them with template
variables; they are reported so the reader sees what will be replaced.

Reuse candidates are grouped by kind: CI workflows, infrastructure as code, container
files, and utility modules (self-contained Python modules that import nothing from the
project's own package).
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

from mlops_factory._assess._pyindex import PyFile, parse_python
from mlops_factory._factory._files import decode, read_bytes
from mlops_factory._factory._values import ProjectValues, find_values, prefers_package
from mlops_factory._scaffold._catalog import Catalog

KIND_TITLES = {
    "ci": "CI workflow",
    "iac": "infrastructure as code",
    "docker": "container",
    "utility": "utility module",
    "data": "data or artifact",
    "other": "other",
}
_DATA_SUFFIXES = (
    ".csv", ".tsv", ".parquet", ".feather", ".arrow", ".pkl", ".pickle", ".joblib", ".onnx",
    ".pt", ".pth", ".h5", ".hdf5", ".npy", ".npz", ".ipynb", ".db", ".sqlite", ".zip",
    ".gz", ".tar", ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".xlsx", ".xls", ".bin",
)  # fmt: skip
_CI_PATTERNS = (
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".github/actions/*/action.yml",
    ".github/actions/*/action.yaml",
    ".gitlab-ci.yml",
    ".gitlab/*",
    "azure-pipelines*.yml",
    "azure-pipelines*.yaml",
    "*.azure-pipelines.yml",
    ".azure-pipelines/*",
    ".azuredevops/*",
    ".pipelines/*",
    "Jenkinsfile",
    "Jenkinsfile.*",
    "*.jenkinsfile",
    "bitbucket-pipelines.yml",
    ".circleci/config.yml",
)
_IAC_SUFFIXES = (".tf", ".tfvars", ".bicep", ".bicepparam", ".hcl")
_IAC_FOLDERS = ("k8s", "kubernetes", "helm", "charts", "manifests", "kustomize")
_DOCKER_PATTERNS = (
    "Dockerfile",
    "*.Dockerfile",
    "Dockerfile.*",
    "*.dockerfile",
    "docker-compose*.yml",
    "docker-compose*.yaml",
    "compose.yml",
    "compose.yaml",
    ".dockerignore",
)
_NOT_UTILITY = ("__init__.py", "conftest.py", "setup.py", "noxfile.py", "__main__.py")
#: Names too common to tell one project from another.
_COMMON = frozenset(
    {
        "main",
        "run",
        "cli",
        "app",
        "api",
        "setup",
        "load",
        "save",
        "read",
        "write",
        "train",
        "predict",
        "evaluate",
        "score",
        "test",
        "config",
        "settings",
        "utils",
        "util",
        "helpers",
        "helper",
        "data",
        "model",
        "models",
        "features",
        "feature",
        "pipeline",
        "schema",
        "service",
        "logger",
        "init",
        "build",
        "fit",
        "transform",
        "process",
        "handler",
        "server",
        "client",
        "metrics",
        "monitor",
        "report",
        "export",
        "common",
        "core",
        "base",
        "types",
        "constants",
        "version",
        "start",
        "stop",
        "health",
        "check",
        "validate",
        "parse",
        "args",
        "options",
        "params",
        "result",
        "results",
        "output",
        "input",
        "inputs",
        "outputs",
        "path",
        "paths",
        "file",
        "files",
        "name",
        "names",
        "value",
        "values",
        "item",
        "items",
    }
)
_DEF_RE = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)", re.M)
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEST_PARTS = ("tests", "test")


def kind_of(rel: str) -> str:
    """The reuse kind of a project file: ci, iac, docker, utility (any Python module
    outside the tests), data (data sets, models, notebooks, images: never harvested) or
    other."""
    path = PurePosixPath(rel)
    name = path.name
    if path.parts[0] == "data" or name.lower().endswith(_DATA_SUFFIXES):
        return "data"
    if any(fnmatch(rel, p) or (p.endswith("/*") and rel.startswith(p[:-1])) for p in _CI_PATTERNS):
        return "ci"
    if name.endswith(_IAC_SUFFIXES) or (
        path.parts[0] in _IAC_FOLDERS and name.endswith((".yml", ".yaml", ".tpl"))
    ):
        return "iac"
    if any(fnmatch(name, p) for p in _DOCKER_PATTERNS):
        return "docker"
    if name.endswith(".py") and name not in _NOT_UTILITY and not is_test(rel):
        return "utility"
    return "other"


def is_test(rel: str) -> bool:
    """Test code: under tests/ or test/, or named test_*.py / *_test.py."""
    path = PurePosixPath(rel)
    return (
        any(p in _TEST_PARTS for p in path.parts[:-1])
        or path.name.startswith("test_")
        or path.name.endswith("_test.py")
    )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What the catalog's templates provide: module names of the package and top-level
    function/class names. A reference to one of these is generic: every project made
    from the catalog has it."""

    modules: frozenset[str]
    names: frozenset[str]


def catalog_vocabulary(catalog: Catalog) -> Vocabulary:
    """Module and definition names in every component's template files (read as text)."""
    modules: set[str] = set()
    names: set[str] = set()
    for component in catalog.components.values():
        base = component.path
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            rel = path.relative_to(base).as_posix()
            plain = rel[: -len(".jinja")] if rel.endswith(".jinja") else rel
            if not plain.endswith(".py") or not path.is_file():
                continue
            parts = PurePosixPath(plain).parts
            at = next((i for i, p in enumerate(parts[:-1]) if "package_name" in p), None)
            if at is not None:
                inner = parts[at + 1 :]
                module = inner[0] if len(inner) > 1 else PurePosixPath(plain).stem
                if module != "__init__":
                    modules.add(module)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            names.update(_DEF_RE.findall(text))
    return Vocabulary(frozenset(modules), frozenset(names))


@dataclass(frozen=True, slots=True)
class ProjectIdentifiers:
    """Identifiers that appear only in this project."""

    package: str | None
    #: Modules of the project's package the catalog does not provide (first segment).
    modules: frozenset[str]
    #: Top-level names the team defined -> the file defining them.
    names: Mapping[str, str] = field(default_factory=dict)


def project_identifiers(
    root: Path, files: Sequence[str], package: str | None, vocabulary: Vocabulary
) -> ProjectIdentifiers:
    """The project's own modules and top-level definitions that the catalog lacks."""
    modules: set[str] = set()
    names: dict[str, str] = {}
    prefixes = [f"src/{package}/", f"{package}/"] if package else []
    for rel in files:
        if not rel.endswith(".py") or is_test(rel):
            continue
        for prefix in prefixes:
            if rel.startswith(prefix):
                inner = rel[len(prefix) : -len(".py")]
                first = inner.split("/")[0]
                if first != "__init__" and first not in vocabulary.modules:
                    modules.add(first)
        tree = _parse(root, rel)
        if tree is None:
            continue
        for name in _top_level_names(tree):
            if _distinctive(name, vocabulary):
                names.setdefault(name, rel)
    return ProjectIdentifiers(package, frozenset(modules), names)


_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
_BUILTINS = frozenset(dir(builtins))


def _distinctive(name: str, vocabulary: Vocabulary) -> bool:
    return (
        len(name) >= 4
        and not name.startswith("_")
        and not name.startswith("test")
        and name.lower() not in _COMMON
        and name not in vocabulary.names
        and name not in _BUILTINS
        and name not in _STDLIB
        and not keyword.iskeyword(name)
    )


def _parse(root: Path, rel: str) -> PyFile | None:
    data = read_bytes(root, rel, cap=1_048_576)
    text = decode(data) if data is not None else None
    return _parse_text(rel, text) if text is not None else None


def _parse_text(rel: str, text: str) -> PyFile | None:
    """The module through the one Python reader, with the names it uses."""
    try:
        return parse_python(rel, text, names=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _top_level_names(pf: PyFile) -> list[str]:
    """Module-level functions, classes and UPPER_CASE constants."""
    out = [d.name for d in pf.defs if not d.scope]
    out.extend(
        a.target for a in pf.assigns if not a.scope and "." not in a.target and a.target.isupper()
    )
    return list(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class Specificity:
    """What ties a file to this project."""

    #: Answer key -> occurrences of the project's values (harvest replaces these).
    values: Mapping[str, int]
    #: Identifiers that appear only in this project (harvest cannot replace these).
    identifiers: tuple[str, ...]
    #: For Python: the module imports from the project's own package.
    imports_project: bool = False
    #: For Python: it defines at least one top-level function or class.
    defines: bool = False

    @property
    def generic(self) -> bool:
        """Generic once harvest replaces the project's values."""
        return not self.identifiers


def specificity(
    root: Path, rel: str, values: ProjectValues, ident: ProjectIdentifiers
) -> Specificity:
    """How ``rel`` is tied to this project (values and project-only identifiers)."""
    data = read_bytes(root, rel)
    text = decode(data) if data is not None else None
    counts: dict[str, int] = {}
    for m in find_values(rel, values, prefer_package=True):
        counts[m.key] = counts.get(m.key, 0) + 1
    if text is None:
        return Specificity(dict(sorted(counts.items())), ())
    for m in find_values(text, values, prefer_package=prefers_package(rel)):
        counts[m.key] = counts.get(m.key, 0) + 1
    found: dict[str, None] = {}
    imports_project = defines = False
    pf = _parse_text(rel, text) if rel.endswith(".py") else None
    if pf is not None:
        own = set(_top_level_names(pf))
        defines = any(not d.scope for d in pf.defs)
        imports_project = _python_refs(pf, rel, ident, own, found)
    else:
        _text_refs(text, ident, found)
    return Specificity(dict(sorted(counts.items())), tuple(found), imports_project, defines)


def _python_refs(
    pf: PyFile, rel: str, ident: ProjectIdentifiers, own: set[str], found: dict[str, None]
) -> bool:
    """Record project-only references of a parsed module; True when it imports from the
    project's package (absolutely or relatively)."""
    package = ident.package
    prefix = package or "."
    imports_project = False
    imported: list[str] = []  # names brought in by ``from X import name``
    for module in pf.imports:
        if module.startswith("."):  # ``from .mod import x`` is recorded as ``.mod.x``
            imports_project = True
            parts = module[1:].split(".")
            if parts[0] in ident.modules:
                found.setdefault(f"{prefix}.{parts[0]}")
            imported.append(parts[-1])
            continue
        parts = module.split(".")
        if package and parts[0] == package:
            imports_project = True
            if len(parts) > 1 and parts[1] in ident.modules:
                found.setdefault(f"{package}.{parts[1]}")
    for target in pf.aliases.values():
        parts = target.split(".")
        if package and parts[0] == package and len(parts) == 2 and parts[1] in ident.modules:
            found.setdefault(f"{package}.{parts[1]}")
        if package and parts[0] == package:
            imported.append(parts[-1])
    for name in imported:
        if name in ident.names and ident.names[name] != rel:
            found.setdefault(f"{name} ({ident.names[name]})")
    for name in sorted(pf.names):
        where = ident.names.get(name)
        if where is not None and where != rel and name not in own:
            found.setdefault(f"{name} ({where})")
    return imports_project


def _text_refs(text: str, ident: ProjectIdentifiers, found: dict[str, None]) -> None:
    package = ident.package
    if package and ident.modules:
        for m in re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(package)}[./](\w+)", text):
            if m.group(1) in ident.modules:
                found.setdefault(f"{package}.{m.group(1)}")
    if ident.names:
        for word in dict.fromkeys(_WORD_RE.findall(text)):
            where = ident.names.get(word)
            if where is not None:
                found.setdefault(f"{word} ({where})")


def reusable(kind: str, spec: Specificity) -> bool:
    """Whether a file of ``kind`` is a reuse candidate: generic, and for a utility module
    self-contained (imports nothing from the project) with a function or class."""
    if not spec.generic or kind in ("other", "data"):
        return False
    if kind == "utility":
        return spec.defines and not spec.imports_project
    return True


def slug(text: str) -> str:
    """``text`` as a component-name fragment (lowercase words joined by '-')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def new_component_name(rel: str, kind: str) -> str:
    """The component a file with no existing home is harvested into."""
    if kind in ("ci", "iac", "docker"):
        return f"shared-{kind}"
    stem = slug(PurePosixPath(rel).name.split(".")[0]) or "files"
    if not stem[0].isalpha():
        stem = f"f-{stem}"
    return f"shared-{stem}"


def ci_provider(rel: str) -> str | None:
    """The CI provider answer (``ci``) a CI file belongs to."""
    if rel.startswith(".github/"):
        return "github"
    if rel == ".gitlab-ci.yml" or rel.startswith(".gitlab/"):
        return "gitlab"
    if "azure-pipelines" in rel or rel.startswith(
        (".azure-pipelines/", ".azuredevops/", ".pipelines/")
    ):
        return "azure-devops"
    if "jenkinsfile" in rel.lower():
        return "jenkins"
    return None


def iac_tool(rel: str) -> str | None:
    """The IaC answer (``iac``) a file belongs to."""
    if rel.endswith((".tf", ".tfvars", ".hcl")):
        return "terraform"
    if rel.endswith((".bicep", ".bicepparam")):
        return "bicep"
    return None


def detect_answers(files: Iterable[str]) -> dict[str, str]:
    """Group answers a repository shows by its files (CI provider, IaC tool)."""
    out: dict[str, str] = {}
    for rel in files:
        kind = kind_of(rel)
        if kind == "ci" and "ci" not in out:
            provider = ci_provider(rel)
            if provider:
                out["ci"] = provider
        elif kind == "iac" and "iac" not in out:
            tool = iac_tool(rel)
            if tool:
                out["iac"] = tool
        elif rel == "dvc.yaml" or rel.startswith(".dvc/"):
            out.setdefault("data_versioning", "dvc")
    return out
