"""Infrastructure signals (IaC, environments, containers, managed compute) and the
file-format readers other signal modules share: non-CI YAML, Azure ML specs,
Terraform/Bicep/ARM resources, Kubernetes manifests, Dockerfiles, scripts.

Formats are parsed, not grepped: YAML with PyYAML (through the snapshot, so a
broken file is recorded once), Terraform and Bicep by tokenising blocks after
stripping comments and strings, Dockerfiles line by line with continuations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.snapshot import FileEntry, RepoSnapshot

# ------------------------------------------------------------------ shared readers

_CI_PATH = re.compile(
    r"^(?:\.github/workflows/|\.gitlab-ci\.ya?ml$|\.gitlab/ci/|azure-pipelines[^/]*\.ya?ml$"
    r"|[^/]*\.azure-pipelines\.ya?ml$|\.azure-pipelines/|\.azuredevops/|\.pipelines/"
    r"|\.circleci/|bitbucket-pipelines\.ya?ml$|\.buildkite/)"
)
_TEMPLATE = re.compile(r"(?<!\$)\{\{|\{%")
_MAX_NODES = 200_000


def is_ci_path(path: str) -> bool:
    """CI configuration files (read by the CI signals, not here)."""
    return bool(_CI_PATH.match(path))


def snippet(line: str) -> str:
    return line.strip()[:120]


def find_line(text: str, pattern: str | re.Pattern[str], start: int = 1) -> tuple[int, str]:
    """The first non-comment line (1-based, from ``start``) matching ``pattern``."""
    rx = re.compile(pattern) if isinstance(pattern, str) else pattern
    lines = text.splitlines()
    for number in range(max(start, 1), len(lines) + 1):
        line = lines[number - 1]
        if line.lstrip().startswith(("#", "//")):
            continue
        if rx.search(line):
            return number, snippet(line)
    return (1, snippet(lines[0])) if lines else (1, "")


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """One YAML document that is a mapping, with the text of its file."""

    path: str
    doc: dict[str, Any]
    text: str

    def line(self, pattern: str | re.Pattern[str]) -> tuple[int, str]:
        return find_line(self.text, pattern)

    def evidence(self, pattern: str, note: str, *, weak: bool = False) -> Evidence:
        line, snip = self.line(pattern)
        return Evidence(self.path, line, snip, note, weak=weak)


def yaml_files(snap: RepoSnapshot) -> list[FileEntry]:
    """Non-CI, non-template YAML files (templates are not YAML until rendered)."""
    cached: list[FileEntry] | None = snap.cache.get("infra_yaml_files")
    if cached is None:
        cached = [
            e
            for e in snap.by_suffix(".yml", ".yaml")
            if not is_ci_path(e.path) and "/templates/" not in f"/{e.path}"
        ]
        snap.cache["infra_yaml_files"] = cached
    return cached


def yaml_docs(snap: RepoSnapshot, *needles: str) -> Iterator[YamlDoc]:
    """Mapping documents of YAML files whose text contains any of ``needles``."""
    for entry in yaml_files(snap):
        text = snap.read_text(entry.path)
        if not text or (needles and not any(n in text for n in needles)):
            continue
        if _TEMPLATE.search(text):
            continue
        for doc in snap.yaml(entry.path) or ():
            if isinstance(doc, dict):
                yield YamlDoc(entry.path, doc, text)


def walk_data(data: Any) -> Iterator[tuple[Any, Any]]:
    """(key, value) pairs of every mapping in nested YAML/JSON data, bounded."""
    stack = [data]
    seen: set[int] = set()
    budget = _MAX_NODES
    while stack and budget > 0:
        node = stack.pop()
        budget -= 1
        if id(node) in seen:  # YAML anchors can build shared or recursive nodes
            continue
        if isinstance(node, dict):
            seen.add(id(node))
            for key, value in node.items():
                yield key, value
                if isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            seen.add(id(node))
            stack.extend(v for v in node if isinstance(v, dict | list))


_AML_KINDS = {
    "commandjob": "command_job",
    "pipelinejob": "pipeline_job",
    "sweepjob": "sweep_job",
    "sparkjob": "spark_job",
    "managedonlineendpoint": "online_endpoint",
    "kubernetesonlineendpoint": "online_endpoint",
    "managedonlinedeployment": "online_deployment",
    "kubernetesonlinedeployment": "online_deployment",
    "batchendpoint": "batch_endpoint",
    "batchdeployment": "batch_deployment",
    "modelbatchdeployment": "batch_deployment",
    "pipelinecomponentbatchdeployment": "batch_deployment",
    "data": "data",
    "model": "model",
    "amlcompute": "compute",
    "computeinstance": "compute",
    "kubernetescompute": "compute",
    "schedule": "schedule",
    "commandcomponent": "component",
    "pipelinecomponent": "component",
    "parallelcomponent": "component",
    "environment": "environment",
}
_AML_TYPES = {
    "pipeline": "pipeline_job",
    "command": "command_job",
    "sweep": "sweep_job",
    "amlcompute": "compute",
    "uri_file": "data",
    "uri_folder": "data",
    "mltable": "data",
}


def azureml_kind(doc: dict[str, Any]) -> str | None:
    """What an Azure ML v2 YAML spec defines (``pipeline_job``, ``online_endpoint``...)."""
    schema = doc.get("$schema")
    if isinstance(schema, str) and "azureml" in schema.lower():
        name = schema.rstrip("/").rsplit("/", 1)[-1].lower()
        name = name.removesuffix(".json").removesuffix(".schema")
        return _AML_KINDS.get(name, "other")
    kind = doc.get("type")
    if not isinstance(kind, str):
        return None
    kind = kind.lower()
    if kind == "pipeline" and isinstance(doc.get("jobs"), dict):
        return "pipeline_job"
    if kind == "command" and isinstance(doc.get("command"), str):
        return "command_job" if doc.get("environment") or doc.get("code") else None
    if kind in ("uri_file", "uri_folder", "mltable") and "path" in doc and "version" in doc:
        return "data"
    if kind == "amlcompute":
        return "compute"
    return None


def azureml_docs(snap: RepoSnapshot) -> list[tuple[YamlDoc, str]]:
    """Every Azure ML spec in the repo with its kind (cached)."""
    cached: list[tuple[YamlDoc, str]] | None = snap.cache.get("infra_azureml")
    if cached is None:
        cached = []
        for y in yaml_docs(snap, "azureml", "type:"):
            kind = azureml_kind(y.doc)
            if kind:
                cached.append((y, kind))
        snap.cache["infra_azureml"] = cached
    return cached


def k8s_docs(snap: RepoSnapshot) -> list[YamlDoc]:
    """Kubernetes-style manifests: mapping documents with ``apiVersion`` and ``kind``."""
    cached: list[YamlDoc] | None = snap.cache.get("infra_k8s")
    if cached is None:
        cached = [
            y
            for y in yaml_docs(snap, "apiVersion")
            if isinstance(y.doc.get("apiVersion"), str)
            and isinstance(y.doc.get("kind"), str)
            and y.path.rsplit("/", 1)[-1] not in ("Chart.yaml", "Chart.yml")
        ]
        snap.cache["infra_k8s"] = cached
    return cached


_SCRIPT_SUFFIXES = (".sh", ".bash", ".ps1", ".mk")
_SCRIPT_NAMES = ("Makefile", "makefile", "GNUmakefile", "justfile", "Taskfile.yml")


def script_lines(snap: RepoSnapshot, *needles: str) -> Iterator[tuple[str, int, str]]:
    """(path, line, text) of non-comment lines in shell scripts and Makefiles
    containing any of ``needles``."""
    entries = [*snap.by_suffix(*_SCRIPT_SUFFIXES), *snap.by_name(*_SCRIPT_NAMES)]
    for entry, text in snap.iter_text(entries):
        if not any(n in text for n in needles):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            if any(n in line for n in needles):
                yield entry.path, number, line


def makefile_targets(text: str) -> dict[str, tuple[int, list[str]]]:
    """Makefile targets -> (line, recipe lines without comments)."""
    targets: dict[str, tuple[int, list[str]]] = {}
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("\t"):
            body = line.strip()
            if current is not None and body and not body.startswith("#"):
                current.append(body)
            continue
        match = re.match(r"^([A-Za-z0-9_.\-/ ]+?)\s*::?(?!=)", line)
        if match and not line.lstrip().startswith("#"):
            current = []
            for name in match.group(1).split():
                targets.setdefault(name, (number, current))
        elif line.strip() and not line.lstrip().startswith("#"):
            current = None
    return targets


# ------------------------------------------------------------------ IaC parsing


@dataclass(frozen=True, slots=True)
class IacResource:
    """One declared infrastructure resource (or module)."""

    path: str
    line: int
    kind: str  # Terraform, Bicep, ARM, CloudFormation
    type: str
    snippet: str


def _strip_comments(text: str, *, hash_comments: bool, quote: str) -> str:
    """Blank comments (and heredoc/multi-line string bodies), keeping every newline."""
    special = _SPECIAL_HCL if hash_comments else _SPECIAL_BICEP
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        m = special.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        i = m.start()
        token = m.group(0)
        if token == "/*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(_blank(text[i:end]))
        elif token in ("//", "#"):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
        elif token == "'''":
            end = text.find("'''", i + 3)
            end = n if end < 0 else end + 3
            out.append("'" + _blank(text[i + 1 : end - 1]) + "'")
        elif token.startswith("<<"):
            close = re.compile(rf"^\s*{re.escape(m.group(1))}\s*$", re.M)
            found = close.search(text, m.end())
            end = n if found is None else found.end()
            out.append('""' + _blank(text[i + 2 : end]))
        else:  # a quoted string: kept (resource types live in strings), comments inside it too
            j = i + 1
            while j < n and text[j] != quote and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            end = min(j + 1, n)
            out.append(text[i:end])
        i = end
    return "".join(out)


def _blank(chunk: str) -> str:
    return re.sub(r"[^\n]", " ", chunk)


_SPECIAL_HCL = re.compile(r'/\*|//|#|<<-?[ \t]*([A-Za-z_]\w*)|"')
_SPECIAL_BICEP = re.compile(r"/\*|//|'''|'")
_TF_BLOCK = re.compile(
    r'^[ \t]*(resource|module)[ \t]+"([^"\n]+)"(?:[ \t]+"([^"\n]+)")?[ \t]*\{', re.M
)
_BICEP_BLOCK = re.compile(
    r"^[ \t]*(resource|module)[ \t]+\w+[ \t]+'([^'\n]+)'[ \t]*(existing[ \t]*)?=", re.M
)


def iac_resources(snap: RepoSnapshot) -> list[IacResource]:
    """Resources declared in Terraform, Bicep, ARM and CloudFormation files (cached)."""
    cached: list[IacResource] | None = snap.cache.get("infra_iac")
    if cached is not None:
        return cached
    out: list[IacResource] = []
    for entry, text in snap.iter_text(snap.by_suffix(".tf")):
        clean = _strip_comments(text, hash_comments=True, quote='"')
        lines = text.splitlines()
        for m in _TF_BLOCK.finditer(clean):
            line = clean.count("\n", 0, m.start()) + 1
            rtype = m.group(2) if m.group(1) == "resource" else f"module {m.group(2)}"
            out.append(IacResource(entry.path, line, "Terraform", rtype, snippet(lines[line - 1])))
    for entry, text in snap.iter_text(snap.by_suffix(".bicep")):
        clean = _strip_comments(text, hash_comments=False, quote="'")
        lines = text.splitlines()
        for m in _BICEP_BLOCK.finditer(clean):
            if m.group(3):
                continue  # `existing` only references a resource made elsewhere
            line = clean.count("\n", 0, m.start()) + 1
            rtype = m.group(2).split("@", 1)[0]
            rtype = rtype if m.group(1) == "resource" else f"module {rtype}"
            out.append(IacResource(entry.path, line, "Bicep", rtype, snippet(lines[line - 1])))
    for entry in snap.by_suffix(".json"):
        if not _maybe_arm(entry.path):
            continue
        json_text = snap.read_text(entry.path)
        if not json_text or "deploymentTemplate" not in json_text:
            continue
        text = json_text
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            snap.record_unreadable(entry.path, "invalid JSON")
            continue
        if not isinstance(doc, dict) or "deploymentTemplate" not in str(doc.get("$schema", "")):
            continue
        resources = doc.get("resources")
        items = resources if isinstance(resources, list) else []
        for res in items:
            if isinstance(res, dict) and isinstance(res.get("type"), str):
                line, snip = find_line(text, re.escape(json.dumps(res["type"])))
                out.append(IacResource(entry.path, line, "ARM", res["type"], snip))
    for y in yaml_docs(snap, "AWSTemplateFormatVersion", "AWS::"):
        resources = y.doc.get("Resources")
        if not isinstance(resources, dict):
            continue
        for res in resources.values():
            rtype = res.get("Type") if isinstance(res, dict) else None
            if isinstance(rtype, str) and rtype.startswith("AWS::"):
                line, snip = y.line(re.escape(rtype))
                out.append(IacResource(y.path, line, "CloudFormation", rtype, snip))
    snap.cache["infra_iac"] = out
    return out


_ARM_HINT = re.compile(
    r"(azuredeploy|template|deploy|arm|infra|iac|bicep|main|\.azure|resources)", re.I
)


def _maybe_arm(path: str) -> bool:
    """ARM templates by path (data folders can hold thousands of JSON files)."""
    return bool(_ARM_HINT.search(path)) and "/data/" not in f"/{path}"


# ------------------------------------------------------------------ Dockerfiles


@dataclass(frozen=True, slots=True)
class DockerInstruction:
    line: int
    keyword: str
    args: str


def is_dockerfile(entry: FileEntry) -> bool:
    name = entry.name
    lower = name.lower()
    return (
        lower.startswith(("dockerfile", "containerfile"))
        or lower.endswith((".dockerfile", ".containerfile"))
    ) and not lower.endswith((".md", ".txt", ".dockerignore"))


def parse_dockerfile(text: str) -> list[DockerInstruction]:
    """Instructions with their first line, continuations joined, comments dropped."""
    escape = "\\"
    lines = text.splitlines()
    for line in lines[:5]:
        directive = re.match(r"^#\s*escape\s*=\s*([\\`])\s*$", line, re.I)
        if directive:
            escape = directive.group(1)
    out: list[DockerInstruction] = []
    start, parts = 0, list[str]()
    heredoc: str | None = None
    for number, raw in enumerate(lines, start=1):
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            continue
        stripped = raw.strip()
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if parts and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped by docker too
        if not parts:
            start = number
        if stripped.endswith(escape):
            parts.append(stripped[:-1].rstrip())
            continue
        parts.append(stripped)
        joined = " ".join(p for p in parts if p)
        parts = []
        keyword, _, args = joined.partition(" ")
        out.append(DockerInstruction(start, keyword.upper(), args.strip()))
        marker = re.search(r"<<-?\s*[\"']?(\w+)[\"']?", args)
        if marker and keyword.upper() in ("RUN", "COPY"):
            heredoc = marker.group(1)
    return out


# ------------------------------------------------------------------ signals


@signal("iac", "Infrastructure is defined as code (Terraform, Bicep, ARM, Pulumi, Helm, k8s).")
def iac(snap: RepoSnapshot) -> SignalResult:
    evidence: list[Evidence] = []
    by_kind: dict[tuple[str, str], list[IacResource]] = {}
    for res in iac_resources(snap):
        by_kind.setdefault((res.kind, res.path), []).append(res)
    for (kind, _path), items in by_kind.items():
        types = sorted({r.type for r in items})
        shown = ", ".join(types[:6]) + (", ..." if len(types) > 6 else "")
        first = items[0]
        evidence.append(Evidence(first.path, first.line, first.snippet, f"{kind} declares {shown}"))
    for entry in snap.by_name("Pulumi.yaml", "Pulumi.yml"):
        for doc in snap.yaml(entry.path) or ():
            if isinstance(doc, dict) and doc.get("runtime"):
                text = snap.read_text(entry.path) or ""
                line, snip = find_line(text, r"^\s*runtime\s*:")
                evidence.append(
                    Evidence(entry.path, line, snip, f"Pulumi project ({doc['runtime']})")
                )
    for entry in snap.by_name("Chart.yaml", "Chart.yml"):
        for doc in snap.yaml(entry.path) or ():
            if isinstance(doc, dict) and doc.get("apiVersion") and doc.get("name"):
                text = snap.read_text(entry.path) or ""
                line, snip = find_line(text, r"^\s*name\s*:")
                evidence.append(Evidence(entry.path, line, snip, f"Helm chart {doc['name']!r}"))
    kinds: dict[str, list[YamlDoc]] = {}
    for y in k8s_docs(snap):
        kinds.setdefault(y.path, []).append(y)
    for path, docs in kinds.items():
        names = sorted({str(d.doc["kind"]) for d in docs})
        line, snip = docs[0].line(r"^\s*kind\s*:")
        evidence.append(Evidence(path, line, snip, f"Kubernetes manifest ({', '.join(names[:6])})"))
    for entry in snap.by_name("cdk.json"):
        text = snap.read_text(entry.path) or ""
        if '"app"' in text:
            line, snip = find_line(text, r'"app"')
            evidence.append(Evidence(entry.path, line, snip, "AWS CDK app"))
    return result("iac", evidence[:12])


_ENV_NAMES = {
    "dev": "dev",
    "develop": "dev",
    "development": "dev",
    "test": "test",
    "testing": "test",
    "tst": "test",
    "qa": "qa",
    "uat": "uat",
    "stage": "staging",
    "staging": "staging",
    "stg": "staging",
    "preprod": "preprod",
    "pre-prod": "preprod",
    "prod": "prod",
    "production": "prod",
    "prd": "prod",
    "live": "prod",
    "sandbox": "sandbox",
    "sbx": "sandbox",
    "int": "integration",
    "integration": "integration",
    "perf": "perf",
    "nonprod": "nonprod",
    "non-prod": "nonprod",
}
_ENV_FOLDERS = ("environments", "environment", "envs", "env", "stages", "deployments", "deploy")
_CONFIG_FOLDERS = ("config", "configs", "conf", "settings", "params", "parameters")
_CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".env", ".py")
_TOKENS = re.compile(r"[A-Za-z]+(?:-prod)?")
#: Path fragments that can hold per-environment files (narrows 50,000 paths to a few).
_ENV_HINTS = (
    *(f"{folder}/" for folder in (*_ENV_FOLDERS, "overlays", *_CONFIG_FOLDERS)),
    ".env.",
    "config.",
    "config-",
    "config_",
    "settings.",
    "settings-",
    "settings_",
    "application-",
    "application.",
    "params.",
    "params-",
    "params_",
)


def _env_of(name: str) -> str | None:
    for token in _TOKENS.findall(name.lower()):
        if token in _ENV_NAMES:
            return _ENV_NAMES[token]
    return None


def _environment_files(snap: RepoSnapshot) -> dict[str, dict[str, str]]:
    """Group -> environment -> first path showing it."""
    from mlops_factory._assess._pyindex import is_test_path

    groups: dict[str, dict[str, str]] = {}

    def add(group: str, env: str | None, path: str) -> None:
        if env:
            groups.setdefault(group, {}).setdefault(env, path)

    candidates = [
        *snap.by_suffix(".tfvars", ".bicepparam"),
        *(e for e in snap.by_suffix(".json") if "param" in e.name.lower()),
        *snap.paths_with(*_ENV_HINTS, ignore_case=True),
    ]
    for entry in dict.fromkeys(candidates):
        path = entry.path
        if is_test_path(path) or is_ci_path(path):
            continue
        parts = path.split("/")
        name = parts[-1]
        lower = name.lower()
        folder = parts[-2].lower() if len(parts) > 1 else ""
        if lower.endswith((".tfvars", ".tfvars.json")):
            stem_env = _env_of(lower.removesuffix(".json").removesuffix(".tfvars"))
            add("Terraform variable files", stem_env or _env_of(folder), path)
        elif lower.endswith(".bicepparam") or (
            lower.endswith(".json") and "param" in lower and entry.suffix == ".json"
        ):
            add("Bicep/ARM parameter files", _env_of(lower) or _env_of(folder), path)
        for i, part in enumerate(parts[:-1]):
            low = part.lower()
            if low in _ENV_FOLDERS and i + 1 < len(parts) - 1:
                add("environment folders", _ENV_NAMES.get(parts[i + 1].lower()), path)
            if low == "overlays" and i + 1 < len(parts) - 1:
                add("Kubernetes overlays", _ENV_NAMES.get(parts[i + 1].lower()), path)
        if entry.suffix in _CONFIG_SUFFIXES or lower.startswith(".env."):
            in_config = folder in _CONFIG_FOLDERS
            stem = lower.rsplit(".", 1)[0] if "." in lower else lower
            if lower.startswith(".env."):
                add("per-environment config files", _ENV_NAMES.get(lower[5:]), path)
            elif in_config and stem in _ENV_NAMES:
                add("per-environment config files", _ENV_NAMES[stem], path)
            elif re.match(r"^(config|settings|appsettings|application|params)[._-]", stem):
                add(
                    "per-environment config files",
                    _ENV_NAMES.get(re.split(r"[._-]", stem)[-1]),
                    path,
                )
    return groups


def _ci_environments(snap: RepoSnapshot) -> SignalResult | None:
    from mlops_factory._assess.signals import registry

    spec = registry().get("ci_environments")
    return spec.fn(snap) if spec is not None else None


@signal("multiple_environments", "Two or more environments (e.g. dev and prod) are defined.")
def multiple_environments(snap: RepoSnapshot) -> SignalResult:
    evidence: list[Evidence] = []
    for group, envs in _environment_files(snap).items():
        if len(envs) < 2:
            continue
        for env, path in sorted(envs.items()):
            evidence.append(Evidence(path, None, "", f"environment {env!r} ({group})"))
    ci = _ci_environments(snap)
    if ci is not None and ci.found:
        evidence.extend(ci.evidence)
    return result("multiple_environments", evidence)


@signal("container_packaging", "The model or service is packaged as a container image.")
def container_packaging(snap: RepoSnapshot) -> SignalResult:
    evidence: list[Evidence] = []
    seen: list[Evidence] = []
    for entry in snap.paths_with("dockerfile", "containerfile", ignore_case=True):
        if not is_dockerfile(entry):
            continue
        text = snap.read_text(entry.path)
        if not text:
            continue
        instructions = parse_dockerfile(text)
        lines = text.splitlines()
        froms = [i for i in instructions if i.keyword == "FROM"]
        runs = [i for i in instructions if i.keyword in ("CMD", "ENTRYPOINT")]
        if not froms:
            continue
        f = froms[0]
        if runs:
            r = runs[-1]
            evidence.append(
                Evidence(entry.path, f.line, snippet(lines[f.line - 1]), "container base image")
            )
            evidence.append(
                Evidence(entry.path, r.line, snippet(lines[r.line - 1]), f"container {r.keyword}")
            )
        else:
            seen.append(
                Evidence(
                    entry.path,
                    f.line,
                    snippet(lines[f.line - 1]),
                    "Dockerfile without CMD or ENTRYPOINT: it builds an image that runs nothing",
                    weak=True,
                )
            )
    if evidence:
        return result("container_packaging", evidence[:8])
    return result("container_packaging", seen[:4], found=False)


_COMPUTE_TYPES = {
    "azurerm_machine_learning_compute_cluster": "Azure ML compute cluster",
    "azurerm_machine_learning_inference_cluster": "Azure ML inference cluster",
    "azurerm_machine_learning_synapse_spark": "Azure ML Spark pool",
    "databricks_cluster": "Databricks cluster",
    "databricks_job": "Databricks job",
    "google_vertex_ai_": "Vertex AI resource",
    "aws_sagemaker_": "SageMaker resource",
    "microsoft.machinelearningservices/workspaces/computes": "Azure ML compute",
    "aws::sagemaker::": "SageMaker resource",
    "aws::batch::": "AWS Batch",
}
_SAGEMAKER = (
    "sagemaker.estimator",
    "sagemaker.sklearn",
    "sagemaker.pytorch",
    "sagemaker.tensorflow",
    "sagemaker.xgboost",
    "sagemaker.huggingface",
    "sagemaker.processing",
)


def _compute_in_iac(snap: RepoSnapshot) -> Iterator[Evidence]:
    for res in iac_resources(snap):
        low = res.type.lower()
        for prefix, label in _COMPUTE_TYPES.items():
            if low.startswith(prefix):
                yield Evidence(res.path, res.line, res.snippet, f"{label} in {res.kind}")
                break


@signal("managed_compute", "Training runs on managed compute (cluster, job service, k8s job).")
def managed_compute(snap: RepoSnapshot) -> SignalResult:
    from mlops_factory._assess._pyindex import python_index

    evidence: list[Evidence] = []
    for y, kind in azureml_docs(snap):
        if kind in ("command_job", "pipeline_job", "sweep_job", "spark_job"):
            compute = y.doc.get("compute")
            settings = y.doc.get("settings")
            if not compute and isinstance(settings, dict):
                compute = settings.get("default_compute")
            if isinstance(compute, str) and compute.strip() and compute.strip() != "local":
                evidence.append(
                    y.evidence(r"^\s*(default_)?compute\s*:", f"Azure ML job runs on {compute}")
                )
        elif kind == "compute":
            evidence.append(y.evidence(r"^\s*(type|\$schema)\s*:", "Azure ML compute definition"))
    evidence.extend(_compute_in_iac(snap))
    for y in k8s_docs(snap):
        if y.doc.get("kind") in ("Job", "CronJob"):
            evidence.append(y.evidence(r"^\s*kind\s*:", f"Kubernetes {y.doc['kind']}"))
    for y in yaml_docs(snap, "job_clusters", "new_cluster"):
        keys = {k for k, _ in walk_data(y.doc.get("resources", {}))}
        if keys & {"job_clusters", "new_cluster"}:
            evidence.append(y.evidence(r"(job_clusters|new_cluster)\s*:", "Databricks job cluster"))
    if not evidence:
        index = python_index(snap)
        words = ("sagemaker", "AmlCompute", "compute", "compute_target", "aiplatform")
        weak: list[Evidence] = []
        for group in ("source", "notebook"):
            for pf in index.files(group, words):
                for c in pf.calls:
                    note = None
                    if any(c.name.startswith(p) for p in _SAGEMAKER):
                        note = f"SageMaker job ({c.name.rsplit('.', 1)[-1]})"
                    elif c.name.startswith("azure.ai.ml") and (
                        c.last in ("AmlCompute", "ComputeInstance") or c.has_kw("compute")
                    ):
                        note = "Azure ML job on managed compute (SDK)"
                    elif c.name.startswith("azureml.core") and (
                        c.last in ("ScriptRunConfig", "Estimator") and c.has_kw("compute_target")
                    ):
                        note = "Azure ML run on a compute target (SDK v1)"
                    elif c.name.startswith("google.cloud.aiplatform") and "Job" in c.last:
                        note = "Vertex AI custom job"
                    if note:
                        (weak if pf.notebook else evidence).append(pf.evidence(c.line, note))
                        break
            if evidence:
                break
        evidence.extend(weak[:3] if not evidence else [])
    return result("managed_compute", evidence[:10])


def dedupe(evidence: Iterable[Evidence]) -> list[Evidence]:
    """Evidence without repeats of the same (path, line)."""
    out: dict[tuple[str | None, int | None], Evidence] = {}
    for ev in evidence:
        out.setdefault((ev.path, ev.line), ev)
    return list(out.values())
