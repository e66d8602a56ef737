"""Release-path signals read from pipeline graphs and the catalog.

``pipeline_gate``: the model is validated before it is registered or released (a
condition step, an evaluator with thresholds, validation criteria that block
registration, a comparison with the champion that decides promotion).
``automated_promotion``: code or a pipeline step moves a model to production (an alias or
stage set, an endpoint updated, traffic shifted); registering alone is not a move.
``scheduled_pipeline``: an orchestrator or platform runs a training pipeline on a
schedule or an event, declared as code (CI cron is read by the CI signals).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from mlops_factory._assess._pyindex import Call, PyFile, python_index
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.signals._common import _LIMIT, _tokens, catalog_evidence
from mlops_factory._assess.signals._graph import PipelineGraph, graph_evidence, pipelines
from mlops_factory._assess.signals.infra import dedupe
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._assess.technologies import constant_strings, matches

_METRIC_TOKENS = frozenset(
    {
        *("accuracy", "acc", "f1", "auc", "roc", "rmse", "mae", "mse", "mape", "r2"),
        *("precision", "recall", "score", "logloss", "loss", "metric", "metrics"),
        *("threshold", "baseline", "champion", "improvement"),
    }
)


def _gated(pf: PyFile, call: Call) -> frozenset[str]:
    """Metric names in the ``if`` tests that enclose ``call`` (empty when not gated)."""
    return frozenset(_tokens(pf.guarded_by(call.line)) & _METRIC_TOKENS)


def _guarded_releases(snap: RepoSnapshot, capabilities: tuple[str, ...]) -> Iterator[Evidence]:
    """Registration or deployment calls that run only when a metric test passes."""
    index = python_index(snap)
    for capability in capabilities:
        for m in matches(snap, capability):
            path = m.evidence.path or ""
            if m.call is None or m.evidence.weak or not path.endswith(".py"):
                continue
            pf = index.parse(path)
            metrics = _gated(pf, m.call) if pf else frozenset()
            if pf and metrics:
                what = "registration" if capability == "registers_models" else "deployment"
                yield pf.evidence(
                    m.call.line,
                    f"{what} runs only when a metric check passes ({', '.join(sorted(metrics))})",
                )


@signal(
    "pipeline_gate",
    "The model is validated before registration or release: a condition step on a metric, "
    "an evaluator with thresholds, validation criteria, or a champion comparison.",
)
def pipeline_gate(snap: RepoSnapshot) -> SignalResult:
    graphs = pipelines(snap)
    evidence = graph_evidence(graphs, "gate", "the pipeline gates the model")
    evidence.extend(catalog_evidence(snap, "evaluates_threshold", "compares_champion"))
    evidence.extend(_guarded_releases(snap, ("registers_models", "deploys")))
    return result("pipeline_gate", _strong_first(evidence))


_PROMOTE_METHODS = frozenset(
    {
        "transition_model_version_stage",
        "set_registered_model_alias",
        "add_version_aliases",
        "set_stage",
        "update_model_package",
        "update_model_version",
        "set_model_version_tag",
    }
)
_PRODUCTION = re.compile(r"^(production|prod|champion|live|approved|main|serving)$", re.I)


def _promotion_calls(snap: RepoSnapshot) -> Iterator[Evidence]:
    index = python_index(snap)
    for pf in index.files("source", _PROMOTE_METHODS):
        for c in pf.calls:
            if c.decorator or c.last not in _PROMOTE_METHODS:
                continue
            target = next((v for v in constant_strings(c) if _PRODUCTION.match(v.strip())), None)
            if target is not None:
                yield pf.evidence(c.line, f"moves the model to {target!r} ({c.last})")
            elif c.last not in ("update_model_version", "set_model_version_tag"):
                yield pf.evidence(
                    c.line,
                    f"changes a model's stage or alias ({c.last}; target not visible)",
                    weak=True,
                )
        for a in pf.assigns:
            last = a.target.rsplit(".", 1)[-1]
            if last == "traffic" and isinstance(a.value, tuple) and a.value[0] == "dict":
                yield pf.evidence(a.line, "updates the endpoint's traffic to the new deployment")


@signal(
    "automated_promotion",
    "Code or a pipeline step moves a model to production automatically (alias or stage set "
    "after a gate, endpoint update inside a pipeline, traffic update).",
)
def automated_promotion(snap: RepoSnapshot) -> SignalResult:
    graphs = pipelines(snap)
    evidence = graph_evidence(graphs, "deploy", "the pipeline deploys the model")
    evidence.extend(_promotion_calls(snap))
    evidence.extend(catalog_evidence(snap, "shifts_traffic"))
    for m in matches(snap, "deploys"):
        if m.evidence.path is None:  # GTO stage tags: the assignment is the promotion
            evidence.append(m.evidence)
        elif not _in_graph(m.evidence, graphs):
            why = "a deployment; nothing here shows it runs automatically"
            evidence.append(replace(m.evidence, note=f"{m.evidence.note} ({why})", weak=True))
    return result("automated_promotion", _strong_first(evidence))


def _in_graph(ev: Evidence, graphs: tuple[PipelineGraph, ...]) -> bool:
    return any(s.path == ev.path and s.line == ev.line for g in graphs for s in g.steps)


def _trains(graph: PipelineGraph) -> bool:
    return "train" in graph.kinds()


@signal(
    "scheduled_pipeline",
    "A training pipeline runs on a schedule or event declared in an orchestrator or platform "
    "(not CI cron).",
)
def scheduled_pipeline(snap: RepoSnapshot) -> SignalResult:
    graphs = pipelines(snap)
    evidence: list[Evidence] = []
    attached: set[str | None] = set()
    for g in graphs:
        for t in g.triggers:
            attached.add(t.evidence.path)
            weak = t.evidence.weak or g.evidence.weak or not _trains(g)
            why = "" if _trains(g) else " (the pipeline has no training step)"
            note = f"{t.evidence.note}: runs the {g.framework} pipeline{why}"
            evidence.append(replace(t.evidence, note=note, weak=weak))
    trains = any(_trains(g) for g in graphs) or any(
        not m.evidence.weak for m in matches(snap, "trains")
    )
    for m in matches(snap, "schedules"):
        if m.evidence.path in attached:
            continue
        why = "" if trains else " (no training is seen for it to run)"
        weak = m.evidence.weak or not trains
        evidence.append(replace(m.evidence, note=m.evidence.note + why, weak=weak))
    return result("scheduled_pipeline", _strong_first(evidence))


def _strong_first(evidence: list[Evidence]) -> list[Evidence]:
    unique = dedupe(evidence)
    return [*(e for e in unique if not e.weak), *(e for e in unique if e.weak)][:_LIMIT]
