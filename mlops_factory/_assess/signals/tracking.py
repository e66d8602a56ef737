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
    _tokens,
    catalog_evidence,
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

_TRACKING_DEPS = re.compile(
    r"^\s*(mlflow|mlflow-skinny|azureml-mlflow|wandb|neptune(?:-client)?|comet[-_]ml|clearml|dvclive)\b",
    re.I | re.M,
)


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


@signal("experiment_tracking", "Training code logs runs to an experiment tracker.")
def experiment_tracking(snap: RepoSnapshot) -> SignalResult:
    # Notebook-only logging is not "experiments predictably tracked" (level 0 of the
    # model): kept as weak evidence, but the signal is not found. An opt-in tracker
    # (off unless a flag enables it, or switched off) is weak evidence.
    found = catalog_evidence(snap, "tracks_experiments")
    outside = [e for e in found if not (e.path or "").endswith(".ipynb")]
    if outside:
        return result("experiment_tracking", dedupe(outside))
    if found:
        return result("experiment_tracking", found[:3], found=False)
    return result(
        "experiment_tracking",
        _declared_only(snap, _TRACKING_DEPS, "an experiment tracker"),
        found=False,
    )


@signal("model_registry", "Trained models are registered in a model registry.")
def model_registry(snap: RepoSnapshot) -> SignalResult:
    # A model asset spec, a local model store or a DVC-tracked file is weak evidence.
    cli = [
        Evidence(path, line, snippet(text), "registers a model with the az ml CLI")
        for path, line, text in script_lines(snap, "az ml model create", "az ml model register")
    ][:3]
    found = catalog_evidence(snap, "registers_models")
    return result("model_registry", dedupe([*[e for e in found if not e.weak], *cli, *found]))


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
    evidence.extend(catalog_evidence(snap, "compares_champion"))
    if not evidence:
        evidence = weak[:3]
    return result("champion_challenger", dedupe(evidence))
