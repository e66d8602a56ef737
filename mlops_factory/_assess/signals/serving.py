"""Packaging and serving signals: ONNX, serving APIs, scoring scripts, batch scoring."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlops_factory._assess._pyindex import (
    Call,
    PyFile,
)
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import signal
from mlops_factory._assess.signals._common import (
    _PREDICT,
    _code,
    _loads_model,
    catalog_evidence,
)
from mlops_factory._assess.signals.infra import (
    azureml_docs,
    script_lines,
    snippet,
)
from mlops_factory._assess.signals.training import _READERS
from mlops_factory._assess.snapshot import RepoSnapshot

# ================================================================== packaging and serving

_ONNX_EXPORTS: tuple[tuple[str, str], ...] = (
    ("torch.onnx.export", "exports to ONNX (torch.onnx.export)"),
    ("torch.onnx.dynamo_export", "exports to ONNX (torch.onnx.dynamo_export)"),
    ("skl2onnx", "converts a scikit-learn model to ONNX (skl2onnx)"),
    ("tf2onnx", "converts a TensorFlow/Keras model to ONNX (tf2onnx)"),
    ("onnxmltools", "converts a model to ONNX (onnxmltools)"),
    ("hummingbird.ml.convert", "converts a model to ONNX (hummingbird)"),
    ("optimum.exporters.onnx", "exports a transformer to ONNX (optimum)"),
)


def _onnx_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.decorator:
            continue
        for prefix, note in _ONNX_EXPORTS:
            if c.name == prefix or c.name.startswith((prefix + ".", prefix + "(")):
                yield pf.evidence(c.line, note)
                break
        else:
            if c.last == "to_onnx" and "." in c.name:
                yield pf.evidence(c.line, "exports the model to ONNX (to_onnx)")


@signal("onnx_packaging", "Models are exported to ONNX (export code or committed .onnx files).")
def onnx_packaging(snap: RepoSnapshot) -> SignalResult:
    artifacts = [
        Evidence(e.path, None, "", "committed ONNX model") for e in snap.by_suffix(".onnx")[:3]
    ]
    artifacts += [
        Evidence(path, line, snippet(text), "converts a model to ONNX from a script")
        for path, line, text in script_lines(snap, "tf2onnx", "optimum-cli export onnx")
    ][:2]
    words = (
        "onnx",
        "skl2onnx",
        "tf2onnx",
        "onnxmltools",
        "to_onnx",
        "convert_sklearn",
        "hummingbird",
        "optimum",
    )
    return _code("onnx_packaging", snap, words, _onnx_finder, extra=artifacts)


_ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "route", "api_route", "websocket"})
_WEB_FRAMEWORKS = (
    "fastapi",
    "flask",
    "starlette",
    "litestar",
    "sanic",
    "quart",
    "aiohttp",
    "falcon",
    "django",
    "robyn",
)
_PREDICTIVE = re.compile(
    r"predict|score|scoring|infer|invocation|classif|recommend|forecast|generat|embed|detect|segment",
    re.I,
)
_PREDICT_CALLS = frozenset(
    {
        "predict",
        "predict_proba",
        "run",
        "generate",
        "infer",
        "inference",
        "forward",
        "score",
        "pipeline",
    }
)


def _route_path(c: Call) -> str:
    if c.args and isinstance(c.args[0], str):
        return c.args[0]
    path = c.kw("path") or c.kw("rule")
    return path if isinstance(path, str) else ""


def _serving_routes(pf: PyFile) -> Iterator[tuple[Call, str, bool]]:
    """(route call, route path, predicts) for web-framework routes in the file."""
    if not pf.imports_any(*_WEB_FRAMEWORKS):
        return
    scoped: dict[str, list[Call]] = {}
    for c in pf.calls:
        if not c.decorator:
            scoped.setdefault(c.scope, []).append(c)
    for c in pf.calls:
        if c.decorator and c.last in _ROUTE_DECORATORS and "." in c.name:
            route = _route_path(c)
            func = c.scope.rsplit(".", 1)[-1]
            calls = scoped.get(c.scope, [])
            predicts = bool(_PREDICTIVE.search(route) or _PREDICTIVE.search(func)) or any(
                x.last in _PREDICT_CALLS and "." in x.name for x in calls
            )
            yield c, route, predicts
        elif not c.decorator and c.last in ("add_url_rule", "add_api_route") and c.args:
            route = _route_path(c)
            yield c, route, bool(_PREDICTIVE.search(route))


def _serving_finder(pf: PyFile) -> Iterator[Evidence]:
    for c, route, predicts in _serving_routes(pf):
        if predicts:
            method = (
                c.last.upper() if c.last not in ("route", "api_route", "add_url_rule") else "route"
            )
            yield pf.evidence(c.line, f"HTTP serving: {method} {route or '(route)'} predicts")


_SERVING_WORDS = (
    *_WEB_FRAMEWORKS,
    "FastAPI",
    "Flask",
    "APIRouter",
)


def _serving_specs(snap: RepoSnapshot) -> list[Evidence]:
    """Model servers and serving platforms from the catalog (endpoints, manifests, SDKs)."""
    return catalog_evidence(snap, "serves", "deploys", notebooks=False)


@signal("serving_api", "A serving API or endpoint spec predicts with the model.")
def serving_api(snap: RepoSnapshot) -> SignalResult:
    return _code(
        "serving_api",
        snap,
        _SERVING_WORDS,
        _serving_finder,
        extra=_serving_specs(snap),
        notebooks="not_found",
    )


def _scoring_finder(pf: PyFile) -> Iterator[Evidence]:
    top = {d.name: d for d in pf.defs if d.kind == "function" and not d.scope}
    if "init" in top and "run" in top:
        yield pf.evidence(top["run"].line, "scoring script with init() and run() (Azure ML style)")
    loads = [c for c in pf.calls if _loads_model(c)]
    if loads:
        for d in pf.defs:
            if d.kind == "function" and re.match(r"^(predict|score|infer|inference)", d.name):
                yield pf.evidence(d.line, f"{d.name}() serves a loaded model")
                break
    yield from _serving_finder(pf)


@signal("scoring_script", "A scoring entry point (score.py, predict function or route) exists.")
def scoring_script(snap: RepoSnapshot) -> SignalResult:
    words = (
        "init",
        "load_model",
        "joblib",
        "pickle",
        "torch",
        "onnxruntime",
        "InferenceSession",
        "from_pretrained",
        *_SERVING_WORDS,
    )
    return _code(
        "scoring_script",
        snap,
        words,
        _scoring_finder,
        extra=catalog_evidence(snap, "serves", notebooks=False),
        notebooks="not_found",
    )


_BATCH_SDK = (
    "BatchEndpoint",
    "BatchDeployment",
    "ModelBatchDeployment",
    "PipelineComponentBatchDeployment",
    "parallel_run_function",
    "ParallelRunStep",
    "ParallelRunConfig",
    "spark_udf",
)
_BATCH_READS = _READERS | {"load", "open", "read"}
_WRITERS = frozenset(
    {"to_csv", "to_parquet", "to_json", "to_sql", "write", "save", "savetxt", "to_excel", "dump"}
)


def _batch_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.last in _BATCH_SDK and not c.decorator:
            yield pf.evidence(c.line, f"batch scoring job ({c.last})")
    by_scope: dict[str, list[Call]] = {}
    for c in pf.calls:
        if not c.decorator:
            by_scope.setdefault(c.scope, []).append(c)
    for _scope, calls in by_scope.items():
        predict = next((c for c in calls if c.last in _PREDICT and "." in c.name), None)
        reads = any(c.last in _BATCH_READS for c in calls)
        writes = any(c.last in _WRITERS for c in calls)
        if predict and reads and writes:
            yield pf.evidence(predict.line, "scores a dataset file to file")
            break


def _batch_specs(snap: RepoSnapshot) -> list[Evidence]:
    labels = {
        "batch_endpoint": "Azure ML batch endpoint",
        "batch_deployment": "Azure ML batch deployment",
    }
    return [
        y.evidence(r"^\s*(\$schema|name)\s*:", labels[kind])
        for y, kind in azureml_docs(snap)
        if kind in labels
    ]


@signal("batch_scoring", "A batch scoring job scores datasets with the model.")
def batch_scoring(snap: RepoSnapshot) -> SignalResult:
    return _code(
        "batch_scoring",
        snap,
        _BATCH_SDK,
        _batch_finder,
        extra=_batch_specs(snap),
        notebooks="not_found",
        where=_may_score_files,
    )


def _may_score_files(words: frozenset[str]) -> bool:
    """Predicts, reads and writes: the words a file-to-file scoring script must have."""
    return not (
        words.isdisjoint(_PREDICT) or words.isdisjoint(_BATCH_READS) or words.isdisjoint(_WRITERS)
    )
