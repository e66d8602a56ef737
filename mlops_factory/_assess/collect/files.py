"""Shared file readers of the collect stage: non-CI YAML documents, Azure ML specs,
Kubernetes manifests, shell scripts and Makefiles, Dockerfiles.

Formats are parsed, not grepped: YAML with PyYAML (through the snapshot, so a
broken file is recorded once), Dockerfiles line by line with continuations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlops_factory._assess.model import Evidence
from mlops_factory._assess.snapshot import FileEntry, RepoSnapshot

_CI_PATH = re.compile(
    r"^(?:\.github/workflows/|\.gitlab-ci\.ya?ml$|\.gitlab/ci/|azure-pipelines[^/]*\.ya?ml$"
    r"|[^/]*\.azure-pipelines\.ya?ml$|\.azure-pipelines/|\.azuredevops/|\.pipelines/"
    r"|\.circleci/|bitbucket-pipelines\.ya?ml$|\.buildkite/|\.travis\.ya?ml$|\.drone\.ya?ml$)"
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


_MAKE_RULE = re.compile(r"^([A-Za-z0-9_.\-/%$() ]+?)\s*::?(?!=)(.*)$")


def makefile_rules(text: str) -> dict[str, tuple[int, list[str], list[tuple[int, str]]]]:
    """Makefile targets -> (line, prerequisites, recipe lines with their line numbers)."""
    rules: dict[str, tuple[int, list[str], list[tuple[int, str]]]] = {}
    current: list[tuple[int, str]] | None = None
    pending = ""
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("\t"):
            body = line.strip()
            if current is None:
                continue
            if pending:
                pending += " " + body.rstrip("\\").strip()
                if not body.endswith("\\"):
                    current.append((start, pending))
                    pending = ""
                continue
            if body and not body.startswith("#"):
                if body.endswith("\\"):
                    pending, start = body[:-1].strip(), number
                else:
                    current.append((number, body))
            continue
        match = _MAKE_RULE.match(line)
        if match and not line.lstrip().startswith("#") and not line.startswith(" "):
            current = []
            prereqs = match.group(2).split(";", 1)[0].split("#", 1)[0].split()
            for name in match.group(1).split():
                if name not in rules:
                    rules[name] = (number, prereqs, current)
        elif line.strip() and not line.lstrip().startswith("#"):
            current = None
    return rules


def makefile_targets(text: str) -> dict[str, tuple[int, list[str]]]:
    """Makefile targets -> (line, recipe lines without comments)."""
    return {
        name: (line, [r for _n, r in recipe])
        for name, (line, _pre, recipe) in makefile_rules(text).items()
    }


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
