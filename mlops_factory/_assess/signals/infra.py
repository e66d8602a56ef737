"""Infrastructure signals: IaC, what the IaC graph closes (the retraining loop,
prediction capture, model monitoring), environments, containers, managed compute.

The readers live in the collect stage (:mod:`mlops_factory._assess.collect.files`
for YAML, scripts and Dockerfiles, :mod:`mlops_factory._assess.collect.iac` for the
resource graph); the names other signal modules import from here are re-exported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from mlops_factory._assess.collect.files import (
    DockerInstruction,
    YamlDoc,
    azureml_docs,
    azureml_kind,
    find_line,
    is_ci_path,
    is_dockerfile,
    k8s_docs,
    makefile_targets,
    parse_dockerfile,
    script_lines,
    snippet,
    walk_data,
    yaml_docs,
    yaml_files,
)
from mlops_factory._assess.collect.iac import IacResource, Resource, iac_resources
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.snapshot import RepoSnapshot

__all__ = [
    "DockerInstruction",
    "IacResource",
    "YamlDoc",
    "azureml_docs",
    "azureml_kind",
    "dedupe",
    "find_line",
    "iac_resources",
    "is_ci_path",
    "is_dockerfile",
    "k8s_docs",
    "makefile_targets",
    "parse_dockerfile",
    "script_lines",
    "snippet",
    "walk_data",
    "yaml_docs",
    "yaml_files",
]

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


def loop_evidence(snap: RepoSnapshot) -> list[Evidence]:
    """Evidence of each IaC chain from a model-metric alarm to a training start."""
    from mlops_factory._assess.collect.iacquery import retraining_loops

    evidence: list[Evidence] = []
    for loop in retraining_loops(snap):
        alarm, end = loop.chain[0], loop.chain[-1]
        hops = " -> ".join(r.type for r in loop.chain)
        evidence.append(Evidence(alarm.path, alarm.line, alarm.snippet, f"{alarm.format}: {hops}"))
        if loop.code[0]:
            note = f"{end.type} runs code that starts the training pipeline"
            evidence.append(Evidence(loop.code[0], loop.code[1], "", note))
        else:
            evidence.append(
                Evidence(end.path, end.line, end.snippet, f"{end.type} starts training")
            )
    return evidence


@signal(
    "iac_retraining_loop",
    "Infrastructure code closes the loop: a model-metric alarm or alert starts the training "
    "pipeline (through an event rule, topic or function).",
)
def iac_retraining_loop(snap: RepoSnapshot) -> SignalResult:
    return result("iac_retraining_loop", loop_evidence(snap)[:8])


@signal(
    "iac_prediction_capture",
    "An endpoint or deployment declared as code captures requests and predictions.",
)
def iac_prediction_capture(snap: RepoSnapshot) -> SignalResult:
    from mlops_factory._assess.collect.iacquery import prediction_capture

    return result("iac_prediction_capture", _found_in_iac(prediction_capture(snap)))


@signal(
    "iac_monitoring",
    "Infrastructure code declares model or data monitoring (monitoring schedules, model "
    "monitors, alerts on model metrics).",
)
def iac_monitoring(snap: RepoSnapshot) -> SignalResult:
    from mlops_factory._assess.collect.iacquery import model_monitoring

    return result("iac_monitoring", _found_in_iac(model_monitoring(snap)))


def _found_in_iac(found: list[tuple[Resource, str]]) -> list[Evidence]:
    """Evidence of the resources an IaC graph query found (at most eight)."""
    return [Evidence(r.path, r.line, r.snippet, f"{note} ({r.format})") for r, note in found[:8]]


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
    for env, path in _cdk_stage_environments(snap).items():
        add("CDK stacks or stages", env, path)
    return groups


def _cdk_stage_environments(snap: RepoSnapshot) -> dict[str, str]:
    """Environments of CDK stacks or stages a Python app instantiates once per
    environment (``ModelStack(app, "model-prod", env=...)``), read through the index."""
    from mlops_factory._assess._pyindex import Ref, python_index

    out: dict[str, str] = {}
    for pf in python_index(snap).files("source", words=("aws_cdk",)):
        if not pf.imports_any("aws_cdk"):
            continue
        for c in pf.calls:
            if (
                len(c.args) >= 2
                and isinstance(c.args[0], Ref)
                and isinstance(c.args[1], str)
                and (c.last.endswith(("Stack", "Stage")) or c.has_kw("env"))
            ):
                words = re.split(
                    r"[^a-z0-9]+", re.sub(r"(?<=[a-z])(?=[A-Z])", "-", c.args[1]).lower()
                )
                env = next((_ENV_NAMES[w] for w in words if w in _ENV_NAMES), None)
                if env:
                    out.setdefault(env, pf.path)
    return out


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
