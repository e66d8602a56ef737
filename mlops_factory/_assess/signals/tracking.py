"""Tracking and registry signals: experiment tracking, model registry, champion/challenger."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlops_factory._assess._pyindex import (
    PyFile,
    python_index,
)
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.signals._common import (
    _GROUPS,
    _LIMIT,
    _code,
    _receiver,
    _tokens,
)
from mlops_factory._assess.signals.infra import (
    azureml_docs,
    dedupe,
    k8s_docs,
    script_lines,
    snippet,
    walk_data,
    yaml_docs,
)
from mlops_factory._assess.snapshot import RepoSnapshot

# ================================================================== tracking and registry

_TRACKERS: tuple[tuple[str, frozenset[str] | None, str], ...] = (
    (
        "mlflow",
        frozenset(
            {
                "start_run",
                "log_metric",
                "log_metrics",
                "log_param",
                "log_params",
                "autolog",
                "log_artifact",
                "log_artifacts",
                "log_model",
                "set_experiment",
                "log_dict",
                "log_figure",
                "log_input",
                "log_table",
                "set_tag",
                "set_tags",
                "evaluate",
                "log_batch",
            }
        ),
        "MLflow",
    ),
    (
        "wandb",
        frozenset({"init", "log", "log_artifact", "Artifact", "watch", "save"}),
        "Weights & Biases",
    ),
    ("neptune", None, "Neptune"),
    ("comet_ml", None, "Comet"),
    ("clearml.Task", None, "ClearML"),
    ("dvclive", None, "DVCLive"),
    ("aim.Run", None, "Aim"),
)
_TRACKING_DEPS = re.compile(
    r"^\s*(mlflow|mlflow-skinny|azureml-mlflow|wandb|neptune(?:-client)?|comet[-_]ml|clearml|dvclive)\b",
    re.I | re.M,
)


def _tracking_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.decorator:
            continue
        for module, methods, label in _TRACKERS:
            if c.name == module or c.name.startswith((module + ".", module + "(")):
                if methods is None or c.last in methods:
                    yield pf.evidence(c.line, f"logs to {label} ({c.last})")
                break
        else:
            if (
                c.last in ("log", "log_list", "log_row", "log_table", "log_metric")
                and pf.imports_any("azureml.core")
                and ("run" in _receiver(c).lower() or "Run" in c.name)
            ):
                yield pf.evidence(c.line, "logs to an Azure ML run (SDK v1)")
            elif (
                c.last in ("log_metric", "log_param", "log_batch")
                and pf.imports_any("mlflow")
                and "." in c.name
            ):
                yield pf.evidence(c.line, f"logs to MLflow through a client ({c.last})")


def _declared_only(snap: RepoSnapshot, rx: re.Pattern[str], what: str) -> list[Evidence]:
    """Weak evidence: a library declared as a dependency that no code uses."""
    out: list[Evidence] = []
    for entry in [
        *(e for e in snap.paths_with("requirements") if e.suffix == ".txt"),
        *snap.by_name("pyproject.toml", "environment.yml", "environment.yaml", "setup.cfg"),
    ]:
        text = snap.read_text(entry.path) or ""
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip().lstrip("-").strip().strip("\"',")
            if stripped.startswith("#"):
                continue
            if rx.match(stripped):
                out.append(
                    Evidence(
                        entry.path,
                        number,
                        snippet(line),
                        f"{what} is declared as a dependency but no code uses it",
                        weak=True,
                    )
                )
                break
    return out[:3]


_TRACKING_WORDS = (
    "mlflow",
    "wandb",
    "neptune",
    "comet_ml",
    "clearml",
    "dvclive",
    "aim",
    "azureml",
)


@signal("experiment_tracking", "Training code logs runs to an experiment tracker.")
def experiment_tracking(snap: RepoSnapshot) -> SignalResult:
    # Notebook-only logging is not "experiments predictably tracked" (level 0 of the
    # model): kept as weak evidence, but the signal is not found.
    res = _code(
        "experiment_tracking", snap, _TRACKING_WORDS, _tracking_finder, notebooks="not_found"
    )
    if res.found or res.evidence:
        return res
    return result(
        "experiment_tracking",
        _declared_only(snap, _TRACKING_DEPS, "an experiment tracker"),
        found=False,
    )


_REGISTRY_METHODS = frozenset(
    {
        "create_model_version",
        "create_registered_model",
        "set_registered_model_alias",
        "transition_model_version_stage",
        "set_model_version_tag",
        "update_model_version",
    }
)


def _registry_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.decorator:
            continue
        if c.last == "register_model" and (
            c.name.startswith("mlflow") or pf.imports_any("mlflow", "azureml.core")
        ):
            yield pf.evidence(c.line, "registers a model version")
        elif c.kw("registered_model_name") not in (None, ""):
            yield pf.evidence(c.line, "logs the model into the registry (registered_model_name)")
        elif c.last in _REGISTRY_METHODS and pf.imports_any("mlflow"):
            yield pf.evidence(c.line, f"manages registry versions ({c.last})")
        elif c.name.endswith("models.create_or_update"):
            yield pf.evidence(c.line, "registers a model in Azure ML (models.create_or_update)")
        elif c.name in ("azureml.core.Model.register", "azureml.core.model.Model.register"):
            yield pf.evidence(c.line, "registers a model in Azure ML (SDK v1)")
        elif c.last in ("link_artifact", "link_model") and pf.imports_any("wandb"):
            yield pf.evidence(c.line, "links the model into the W&B registry")
        elif c.last == "RegisterModel" and c.name.startswith("sagemaker"):
            yield pf.evidence(c.line, "registers a model package (SageMaker)")


@signal("model_registry", "Trained models are registered in a model registry.")
def model_registry(snap: RepoSnapshot) -> SignalResult:
    extra = [
        Evidence(path, line, snippet(text), "registers a model with the az ml CLI")
        for path, line, text in script_lines(snap, "az ml model create", "az ml model register")
    ][:3]
    words = (
        "register_model",
        "registered_model_name",
        *_REGISTRY_METHODS,
        "create_or_update",
        "register",
        "link_artifact",
        "link_model",
        "RegisterModel",
    )
    res = _code("model_registry", snap, words, _registry_finder, extra=extra)
    if res.found:
        return res
    specs = [
        y.evidence(r"^\s*(\$schema|type|name)\s*:", "Azure ML model asset spec", weak=True)
        for y, kind in azureml_docs(snap)
        if kind == "model"
    ]
    return result("model_registry", [*res.evidence, *specs[:2]], found=bool(specs) or res.found)


_ROLE = re.compile(r"champion|challenger", re.I)
_CHALLENGER_SIDE = frozenset({"challenger", "candidate"})
_CHAMPION_SIDE = frozenset({"champion", "baseline", "production", "incumbent"})
_MODEL_URI_ALIAS = re.compile(r"^models:/[^@]+@(champion|challenger)$", re.I)


def _champion_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.decorator:
            continue
        low = c.last.lower()
        if "alias" in low or "tag" in low or "stage" in low:
            values = [*c.args, *(v for _k, v in c.kwargs)]
            if any(isinstance(v, str) and _ROLE.search(v) for v in values):
                yield pf.evidence(c.line, f"marks models as champion/challenger ({c.last})")
    for value, line in pf.strings:
        if _MODEL_URI_ALIAS.match(value):
            yield pf.evidence(line, "loads a model by its champion/challenger alias")
    for check in pf.checks:
        if check.kind != "compare":
            continue
        tokens = _tokens(check.names)
        if tokens & _CHALLENGER_SIDE and tokens & _CHAMPION_SIDE:
            yield pf.evidence(
                check.line, "a promotion gate compares the challenger with the champion"
            )
    for a in pf.assigns:
        last = a.target.rsplit(".", 1)[-1]
        if last == "mirror_traffic" or (
            last == "traffic"
            and isinstance(a.value, tuple)
            and a.value[0] == "dict"
            and len(a.value[1]) >= 2
        ):
            yield pf.evidence(a.line, "splits traffic between model deployments (A/B)")


def _champion_specs(snap: RepoSnapshot) -> tuple[list[Evidence], list[Evidence]]:
    strong: list[Evidence] = []
    weak: list[Evidence] = []
    for y, kind in azureml_docs(snap):
        if kind == "online_endpoint":
            traffic = y.doc.get("traffic")
            if isinstance(traffic, dict) and len(traffic) >= 2:
                strong.append(
                    y.evidence(r"^\s*traffic\s*:", "A/B traffic split between deployments")
                )
            if y.doc.get("mirror_traffic"):
                strong.append(
                    y.evidence(r"^\s*mirror_traffic\s*:", "mirrors traffic to a challenger")
                )
    for y in k8s_docs(snap):
        manifest_kind = y.doc.get("kind")
        keys = dict(walk_data(y.doc))
        if manifest_kind == "InferenceService" and "canaryTrafficPercent" in keys:
            strong.append(y.evidence(r"canaryTrafficPercent", "KServe canary rollout"))
        elif manifest_kind == "VirtualService":
            weights = [v for k, v in walk_data(y.doc) if k == "weight"]
            if len(weights) >= 2:
                strong.append(y.evidence(r"^\s*-?\s*weight\s*:", "Istio weighted routing (A/B)"))
        elif manifest_kind == "SeldonDeployment" and "traffic" in keys:
            strong.append(y.evidence(r"^\s*traffic\s*:", "Seldon traffic split"))
    for path, line, text in script_lines(snap, "--traffic"):
        if re.search(r"--traffic\s+['\"]?\w+=\d+\s+\w+=\d+", text):
            strong.append(
                Evidence(path, line, snippet(text), "A/B traffic split with the az ml CLI")
            )
    for y in yaml_docs(snap, "champion", "challenger"):
        for key, value in walk_data(y.doc):
            if _ROLE.search(str(key)) or (isinstance(value, str) and _ROLE.search(value)):
                weak.append(
                    y.evidence(
                        r"champion|challenger",
                        "configuration names a champion/challenger (not seen used in code)",
                        weak=True,
                    )
                )
                break
    return strong, weak


@signal("champion_challenger", "A challenger model is compared with the champion before promotion.")
def champion_challenger(snap: RepoSnapshot) -> SignalResult:
    strong, weak = _champion_specs(snap)
    index = python_index(snap)
    evidence = list(strong)
    subs = ("champion", "challenger", "traffic", "candidate")
    for group in _GROUPS:
        for path in index.paths(group):
            text = index.text(path)
            low = text.lower() if text else ""
            if not any(s in low for s in subs):
                continue
            pf = index.parse(path)
            if pf is not None:
                evidence.extend(list(_champion_finder(pf))[:2])
            if len(evidence) >= _LIMIT:
                break
        if any(not e.weak for e in evidence):
            break
    if not evidence:
        evidence = weak[:3]
    return result("champion_challenger", dedupe(evidence))
