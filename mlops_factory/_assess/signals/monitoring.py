"""Monitoring signals: service telemetry, drift detection, prediction logging."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from mlops_factory._assess._pyindex import (
    SINKS,
    PyFile,
    python_index,
)
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.signals._common import (
    _GROUPS,
    _LIMIT,
    _PREDICT,
    _code,
    _receiver,
    _tokens,
    catalog_evidence,
)
from mlops_factory._assess.signals.infra import (
    azureml_docs,
    dedupe,
    iac_resources,
    k8s_docs,
    walk_data,
)
from mlops_factory._assess.signals.serving import (
    _ROUTE_DECORATORS,
    _SERVING_WORDS,
    _route_path,
    _serving_routes,
)
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._assess.technologies import matches

# ================================================================== monitoring


def _telemetry_finder(pf: PyFile) -> Iterator[Evidence]:
    """A /metrics route (metrics libraries come from the catalog)."""
    for c in pf.calls:
        route = (c.decorator and c.last in _ROUTE_DECORATORS) or c.last == "mount"
        if route and _route_path(c).rstrip("/") == "/metrics":
            yield pf.evidence(c.line, "the service exposes a /metrics endpoint")


def _telemetry_specs(snap: RepoSnapshot) -> list[Evidence]:
    out: list[Evidence] = []
    for res in iac_resources(snap):
        low = res.type.lower()
        if low in ("azurerm_application_insights", "microsoft.insights/components"):
            out.append(
                Evidence(
                    res.path, res.line, res.snippet, f"Application Insights resource ({res.kind})"
                )
            )
        elif low.startswith(("azurerm_monitor_", "microsoft.insights/", "aws_cloudwatch_")):
            out.append(
                Evidence(
                    res.path, res.line, res.snippet, f"monitoring resource {res.type} ({res.kind})"
                )
            )
    for y in k8s_docs(snap):
        if y.doc.get("kind") in ("ServiceMonitor", "PodMonitor"):
            out.append(y.evidence(r"^\s*kind\s*:", f"Prometheus {y.doc['kind']}"))
    for y, kind in azureml_docs(snap):
        if kind == "online_deployment" and y.doc.get("app_insights_enabled") is True:
            out.append(
                y.evidence(
                    r"app_insights_enabled", "Application Insights enabled on the deployment"
                )
            )
    return out[:6]


@signal(
    "monitoring_metrics", "The service emits telemetry (Prometheus, OpenTelemetry, App Insights)."
)
def monitoring_metrics(snap: RepoSnapshot) -> SignalResult:
    return _code(
        "monitoring_metrics",
        snap,
        (),
        _telemetry_finder,
        extra=[
            *catalog_evidence(snap, "exports_metrics", notebooks=False),
            *_telemetry_specs(snap),
        ],
        notebooks="not_found",
        substrings=('"/metrics', "'/metrics"),
    )


_PSI = re.compile(r"(^|_)psi($|_)|population_stability", re.I)
_DRIFT = re.compile(r"drift", re.I)
_STAT_TESTS = frozenset(
    {"ks_2samp", "wasserstein_distance", "jensenshannon", "chisquare", "chi2_contingency", "kstest"}
)


def _drift_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.decorator:
            continue
        if c.last == "ks_2samp":
            yield pf.evidence(c.line, "Kolmogorov-Smirnov drift test (ks_2samp)")
        elif c.last in _STAT_TESTS and (_DRIFT.search(pf.path) or _DRIFT.search(c.scope)):
            yield pf.evidence(c.line, f"statistical drift test ({c.last})")
    for d in pf.defs:
        if d.kind == "function" and _PSI.search(d.name):
            yield pf.evidence(d.line, f"population stability index implementation ({d.name})")


def _drift_specs(snap: RepoSnapshot) -> list[Evidence]:
    out: list[Evidence] = []
    for y, _kind in azureml_docs(snap):
        keys = {k for k, _ in walk_data(y.doc)}
        if "create_monitor" in keys or "monitoring_signals" in keys:
            out.append(
                y.evidence(r"(create_monitor|monitoring_signals)\s*:", "Azure ML model monitor")
            )
    return out


@signal("drift_monitoring", "Code detects data or prediction drift.")
def drift_monitoring(snap: RepoSnapshot) -> SignalResult:
    index = python_index(snap)
    subs = ("ks_2samp", "psi", "population_stability", "drift")
    # Drift libraries and platform monitors come from the catalog; statistical tests
    # and PSI written by hand are read here.
    catalog = catalog_evidence(snap, "monitors_drift")
    evidence = [e for e in catalog if not e.weak]
    weak = [e for e in catalog if e.weak]
    for group in _GROUPS:
        for path in index.paths(group):
            text = index.text(path)
            if not text or not any(s in text for s in subs):
                continue
            pf = index.parse(path)
            found = next(_drift_finder(pf), None) if pf else None
            if found:
                (weak if found.weak else evidence).append(found)
            if len(evidence) >= _LIMIT or len(weak) >= 3:
                break
        if evidence:
            break
    evidence.extend(_drift_specs(snap))
    return result("drift_monitoring", dedupe(evidence or weak))


_PREDICTION_TOKENS = frozenset(
    {
        "pred",
        "preds",
        "prediction",
        "predictions",
        "predicted",
        "yhat",
        "proba",
        "probability",
        "probabilities",
        "scores",
    }
)
_INPUT_TOKENS = frozenset({"input", "inputs", "request", "payload", "features", "data"})
_OUTPUT_TOKENS = frozenset({"output", "outputs", "result", "results", "response"})
_LOG_SINKS = frozenset({"info", "debug", "warning", "log"})
_PREDICTION_WRITER = re.compile(r"^_?(log|record|save|store|write|persist|collect)_?predictions?$")


def _is_service(pf: PyFile) -> bool:
    top = {d.name for d in pf.defs if d.kind == "function" and not d.scope}
    return ("init" in top and "run" in top) or any(True for _ in _serving_routes(pf))


def _prediction_log_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.name.startswith("azureml_ai_monitoring") and c.last == "Collector":
            yield pf.evidence(c.line, "collects inputs and predictions (Azure ML data collector)")
        elif _PREDICTION_WRITER.match(c.last.lower()):
            yield pf.evidence(c.line, f"records predictions ({c.last})")
    writers = {
        d.qualname
        for d in pf.defs
        if d.kind == "function" and _PREDICTION_WRITER.match(d.name.lower())
    }
    for c in pf.calls:
        if c.scope in writers and c.last in SINKS and not c.decorator:
            yield pf.evidence(c.line, f"a prediction log writer ({c.scope.rsplit('.', 1)[-1]})")
            break
    if not _is_service(pf):
        return
    for c in pf.calls:
        if c.decorator or not c.argnames:
            continue
        receiver = _receiver(c).lower()
        if c.last in _LOG_SINKS and not ("log" in receiver or receiver in ("", "app.logger")):
            continue
        if c.last == "append" and "log" not in receiver:
            continue
        tokens = _tokens(c.argnames)
        if tokens & _PREDICTION_TOKENS or (tokens & _INPUT_TOKENS and tokens & _OUTPUT_TOKENS):
            yield pf.evidence(c.line, f"the service logs its predictions ({c.last})")


@signal("prediction_logging", "The served model's inputs and predictions are collected.")
def prediction_logging(snap: RepoSnapshot) -> SignalResult:
    extra: list[Evidence] = []
    for y, kind in azureml_docs(snap):
        collector = y.doc.get("data_collector")
        if kind == "online_deployment" and isinstance(collector, dict):
            extra.append(
                y.evidence(
                    r"^\s*data_collector\s*:", "Azure ML deployment collects inputs and predictions"
                )
            )
    extra.extend(catalog_evidence(snap, "captures_predictions", notebooks=False))
    words = (
        "Collector",
        "azureml_ai_monitoring",
        "init",
        "log_prediction",
        "log_predictions",
        "record_prediction",
        "save_predictions",
        "store_prediction",
        *_SERVING_WORDS,
    )
    return _code(
        "prediction_logging",
        snap,
        words,
        _prediction_log_finder,
        extra=extra,
        notebooks="not_found",
    )


#: Monitors that run on the platform against the deployed model's traffic: central by
#: construction. Libraries (Evidently, NannyML...) may run anywhere, on any data.
_PLATFORM_MONITORS = frozenset(
    {
        "sagemaker",
        "vertex-ai",
        "azureml-v1",
        "azureml-v2",
        "azureml-cli-v2",
        "databricks-lakehouse-monitoring",
        "databricks-bundles",
    }
)


_METRIC_MAKERS = frozenset(
    {
        *("Counter", "Histogram", "Gauge", "Summary"),
        *("create_counter", "create_histogram", "create_gauge", "create_up_down_counter"),
    }
)
#: Metric names about the model's outputs, not the service's health.
_MODEL_METRIC = re.compile(
    r"predict|prediction|score|confidence|probab|drift|accura|label|class|model_output", re.I
)
_SERVICE_METRIC = re.compile(r"latency|duration|seconds|request|http|error|exception", re.I)


def _model_metric(snap: RepoSnapshot, path: str) -> int | None:
    """The line of a metric about the model's predictions declared in a serving file."""
    pf = python_index(snap).parse(path) if path.endswith(".py") else None
    if pf is None:
        return None
    serves = any(predicts for _c, _r, predicts in _serving_routes(pf)) or any(
        c.last in _PREDICT and "." in c.name for c in pf.calls
    )
    if not serves:
        return None
    for c in pf.calls:
        name = c.args[0] if c.args else c.kw("name")
        model = isinstance(name, str) and bool(_MODEL_METRIC.search(name))
        if c.last in _METRIC_MAKERS and model and not _SERVICE_METRIC.search(str(name)):
            return c.line
    return None


@signal(
    "production_metrics",
    "Metrics of the deployed model are collected centrally (platform model monitoring, "
    "captured predictions, model metrics exported by the service).",
)
def production_metrics(snap: RepoSnapshot) -> SignalResult:
    strong: list[Evidence] = []
    weak: list[Evidence] = []
    for m in matches(snap, "captures_predictions"):
        (weak if m.evidence.weak else strong).append(m.evidence)
    for m in matches(snap, "monitors_drift"):
        central = m.tech in _PLATFORM_MONITORS and not m.evidence.weak
        if central:
            strong.append(m.evidence)
        else:
            weak.append(_weaker(m.evidence, "a drift check; not shown to run on production data"))
    for m in matches(snap, "exports_metrics"):
        path = m.evidence.path or ""
        if m.evidence.weak:
            weak.append(m.evidence)
        elif m.tech in ("prometheus", "opentelemetry", "application-insights", "datadog"):
            line = _model_metric(snap, path)
            if line is not None:
                pf = python_index(snap).parse(path)
                note = f"{m.evidence.note} (a metric of the served model's predictions)"
                strong.append(pf.evidence(line, note) if pf else m.evidence)
            else:
                why = "service telemetry (requests, latency), not the model's outputs"
                weak.append(_weaker(m.evidence, why))
        else:
            strong.append(m.evidence)
    return result("production_metrics", dedupe([*strong, *weak])[:_LIMIT])


def _weaker(ev: Evidence, why: str, *, weak: bool = True) -> Evidence:
    return replace(ev, note=f"{ev.note} ({why})", weak=weak)
