"""Training signals: training code, pipelines, data pipelines, seeds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlops_factory._assess._pyindex import (
    PyFile,
    PyIndex,
    Ref,
    python_index,
)
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import signal
from mlops_factory._assess.signals._common import (
    _LIMIT,
    _code,
    _receiver,
    catalog_evidence,
)
from mlops_factory._assess.signals._graph import graph_evidence, pipelines
from mlops_factory._assess.signals.infra import (
    azureml_docs,
    find_line,
    makefile_targets,
    snippet,
    walk_data,
    yaml_docs,
)
from mlops_factory._assess.snapshot import RepoSnapshot

# ================================================================== training

_NOT_MODELS = re.compile(r"scaler|encoder|vectori[sz]er|tokenizer|imputer|pca|transformer$", re.I)
_TRAIN_LIBS = ("xgboost.train", "lightgbm.train", "catboost.train", "xgboost.cv")


def _training_finder(pf: PyFile) -> Iterator[Evidence]:
    # ``optimizer.step()``, or a gradient scaler stepping it: ``scaler.step(optimizer)``.
    optim_steps = [
        c
        for c in pf.calls
        if c.last == "step"
        and (
            "optim" in _receiver(c).lower()
            or any(isinstance(a, Ref) and "optim" in a.name.lower() for a in c.args)
        )
    ]
    backward = any(c.last == "backward" for c in pf.calls)
    for c in pf.calls:
        if c.decorator:
            continue
        receiver = _receiver(c)
        if c.last in ("fit", "fit_generator", "train_on_batch") and receiver:
            if (c.args or c.kwargs) and not _NOT_MODELS.search(receiver.rsplit(".", 1)[-1]):
                yield pf.evidence(c.line, f"trains a model ({c.last})")
        elif c.name in _TRAIN_LIBS:
            yield pf.evidence(c.line, f"trains a model ({c.name})")
        elif c.last == "train" and ("trainer" in receiver.lower() or "Trainer()" in c.name):
            yield pf.evidence(c.line, "trains a model (Trainer.train)")
    if optim_steps and backward:
        yield pf.evidence(optim_steps[0].line, "trains a model (optimizer steps)")


_TRAIN_WORDS = ("fit", "fit_generator", "train_on_batch", "train", "step", "backward")


@signal("training_code", "Model training lives in Python modules or scripts, not only notebooks.")
def training_code(snap: RepoSnapshot) -> SignalResult:
    # A managed training job (an estimator, a pipeline's train step) trains the model
    # even when no fit() is in the repository.
    extra = [
        *catalog_evidence(snap, "trains", notebooks=False),
        *graph_evidence(pipelines(snap), "train", "trains a model"),
    ]
    res = _code(
        "training_code", snap, _TRAIN_WORDS, _training_finder, extra=extra, notebooks="not_found"
    )
    if not res.found and res.evidence:
        ev = tuple(
            Evidence(e.path, e.line, e.snippet, "training only in notebooks", weak=True)
            for e in res.evidence
        )
        return SignalResult("training_code", False, ev)
    return res


_STEP_KINDS = {
    "prepare": re.compile(
        r"^(prep|prepare|preprocess|ingest|load_data|get_data|fetch|download|clean|split|featur|build_features|extract)"
    ),
    "train": re.compile(r"^(train|fit|run_training)"),
    "evaluate": re.compile(r"^(eval|evaluate|validate|test_model|score_model|compare)"),
    "register": re.compile(r"^(register|promote|publish|deploy|export|save_model)"),
}


def _pipeline_finder(pf: PyFile) -> Iterator[Evidence]:
    """Kedro's pipeline registry (frameworks' own APIs come from the catalog)."""
    if pf.path.rsplit("/", 1)[-1] == "pipeline_registry.py":
        for d in pf.defs:
            if d.name == "register_pipelines":
                yield pf.evidence(d.line, "Kedro pipeline registry")


def _local_pipeline_finder(pf: PyFile) -> Iterator[Evidence]:
    """A local entry point that chains the steps: main() calls prepare, train, evaluate."""
    steps: dict[str, dict[str, int]] = {}
    for c in pf.calls:
        scope = c.scope.rsplit(".", 1)[-1]
        if scope not in ("main", "__main__", "run_pipeline", "pipeline", "run") or c.decorator:
            continue
        last = c.last.lower()
        for kind, rx in _STEP_KINDS.items():
            if rx.match(last):
                steps.setdefault(c.scope, {}).setdefault(kind, c.line)
    for scope, kinds in steps.items():
        if "train" in kinds and len(kinds) >= 2:
            order = sorted(kinds, key=lambda k: kinds[k])
            line = min(kinds.values())
            label = scope if scope != "__main__" else "the __main__ block"
            yield pf.evidence(
                line, f"local pipeline entry point: {label} chains {', '.join(order)}"
            )


_PIPELINE_WORDS = ("register_pipelines",)


#: A recipe line whose command (not an echo of it) runs Python.
_RUNS_PYTHON = re.compile(
    r"(?:^|&&|;|\|\|)\s*[@-]*\s*(?:\S*/)?"
    r"(?:python[0-9.]*|\$\(PYTHON\)|\$\{PYTHON\}|(?:uv|poetry|pdm|hatch|pipenv) run)(?:\s|$)"
)


def _pipeline_specs(snap: RepoSnapshot) -> list[Evidence]:
    evidence: list[Evidence] = []
    for y, kind in azureml_docs(snap):
        if kind == "pipeline_job":
            jobs = y.doc.get("jobs")
            n = len(jobs) if isinstance(jobs, dict) else 0
            evidence.append(
                y.evidence(r"^\s*(type|jobs)\s*:", f"Azure ML pipeline job ({n} steps)")
            )
        elif kind in ("command_job", "sweep_job"):
            label = "command" if kind == "command_job" else "sweep"
            evidence.append(
                y.evidence(r"^\s*(command|type|\$schema)\s*:", f"Azure ML {label} job spec")
            )
    for entry in snap.by_name("dvc.yaml", "dvc.yml"):
        for doc in snap.yaml(entry.path) or ():
            stages = doc.get("stages") if isinstance(doc, dict) else None
            if isinstance(stages, dict) and stages:
                text = snap.read_text(entry.path) or ""
                line, snip = find_line(text, r"^\s*stages\s*:")
                note = f"DVC pipeline ({len(stages)} stages: {', '.join(list(stages)[:5])})"
                evidence.append(Evidence(entry.path, line, snip, note))
    for entry in snap.by_name("MLproject", "MLproject.yaml", "MLproject.yml"):
        for doc in snap.yaml(entry.path) or ():
            if isinstance(doc, dict) and isinstance(doc.get("entry_points"), dict):
                text = snap.read_text(entry.path) or ""
                line, snip = find_line(text, r"^\s*entry_points\s*:")
                evidence.append(Evidence(entry.path, line, snip, "MLflow Project"))
    bundles = bool(snap.by_name("databricks.yml", "databricks.yaml"))
    if bundles:
        for y in yaml_docs(snap, "jobs"):
            resources = y.doc.get("resources")
            if isinstance(resources, dict) and isinstance(resources.get("jobs"), dict):
                evidence.append(y.evidence(r"^\s*jobs\s*:", "Databricks Asset Bundle job"))
    for entry in snap.by_name("pyproject.toml"):
        text = snap.read_text(entry.path) or ""
        if "[tool.kedro]" in text:
            line, snip = find_line(text, r"^\s*\[tool\.kedro\]")
            evidence.append(Evidence(entry.path, line, snip, "Kedro project"))
    for entry in snap.by_name("Makefile", "makefile", "GNUmakefile"):
        text = snap.read_text(entry.path) or ""
        for target, (line, recipe) in makefile_targets(text).items():
            if target in ("pipeline", "train", "training") and any(
                _RUNS_PYTHON.search(r) for r in recipe
            ):
                lines = text.splitlines()
                evidence.append(
                    Evidence(
                        entry.path,
                        line,
                        snippet(lines[line - 1]),
                        f"Makefile target {target!r} runs Python",
                    )
                )
    return evidence


@signal(
    "pipeline_definition", "A training pipeline is defined as code or spec (AML, DVC, Kubeflow...)."
)
def pipeline_definition(snap: RepoSnapshot) -> SignalResult:
    index = python_index(snap)
    extra = _pipeline_specs(snap)
    for pf in index.files("source", ("main", "__main__", "run_pipeline")):
        if "train" in (index.text(pf.path) or ""):
            extra.extend(_local_pipeline_finder(pf))
        if len(extra) >= _LIMIT:
            break
    extra.extend(catalog_evidence(snap, "defines_pipeline", limit=_LIMIT))
    return _code("pipeline_definition", snap, _PIPELINE_WORDS, _pipeline_finder, extra=extra)


_READERS = frozenset(
    {
        "read_csv",
        "read_parquet",
        "read_json",
        "read_excel",
        "read_sql",
        "read_sql_query",
        "read_sql_table",
        "read_table",
        "read_feather",
        "read_orc",
        "read_delta",
        "read_database",
        "scan_csv",
        "scan_parquet",
    }
)
_DATA_SOURCES: tuple[tuple[str, str], ...] = (
    ("sqlalchemy.create_engine", "connects to a database (SQLAlchemy)"),
    ("psycopg2.connect", "connects to PostgreSQL"),
    ("pyodbc.connect", "connects to a database (ODBC)"),
    ("snowflake.connector.connect", "connects to Snowflake"),
    ("google.cloud.bigquery", "queries BigQuery"),
    ("boto3.client", "reads cloud storage (boto3)"),
    ("boto3.resource", "reads cloud storage (boto3)"),
    ("azure.storage.blob", "reads Azure Blob Storage"),
    ("azure.storage.filedatalake", "reads Azure Data Lake"),
    ("google.cloud.storage", "reads Google Cloud Storage"),
    ("datasets.load_dataset", "loads a dataset (Hugging Face datasets)"),
    ("sklearn.datasets", "loads a dataset (sklearn.datasets)"),
    ("torchvision.datasets", "loads a dataset (torchvision)"),
    ("tensorflow_datasets.load", "loads a dataset (tfds)"),
    ("kaggle.api", "downloads a Kaggle dataset"),
)
_DATA_STEP = re.compile(
    r"prep|ingest|download|fetch|extract|preprocess|featur|split|clean|data", re.I
)


def _data_finder(pf: PyFile) -> Iterator[Evidence]:
    data_module = bool(_DATA_STEP.search(pf.path))
    for c in pf.calls:
        if c.decorator:
            continue
        if c.last in _READERS and "." in c.name:
            yield pf.evidence(c.line, f"loads data in code ({c.last})")
        elif ".read." in f".{c.name}." and c.name.split(".", 1)[0] in ("spark", "self"):
            yield pf.evidence(c.line, "loads data with Spark")
        elif c.name.startswith(("requests.get", "urllib.request.urlretrieve", "httpx.get")) and (
            data_module or _DATA_STEP.search(c.scope)
        ):
            yield pf.evidence(c.line, "downloads data in code")
        else:
            for prefix, note in _DATA_SOURCES:
                if c.name == prefix or c.name.startswith((prefix + ".", prefix + "(")):
                    yield pf.evidence(c.line, note)
                    break


_DATA_WORDS = (
    *_READERS,
    "spark",
    "SparkSession",
    "requests",
    "urlretrieve",
    "httpx",
    "sqlalchemy",
    "create_engine",
    "psycopg2",
    "pyodbc",
    "snowflake",
    "bigquery",
    "boto3",
    "storage",
    "load_dataset",
    "datasets",
    "tensorflow_datasets",
    "kaggle",
)


def _data_specs(snap: RepoSnapshot) -> list[Evidence]:
    evidence: list[Evidence] = []
    for entry in snap.by_name("dvc.yaml", "dvc.yml"):
        text = snap.read_text(entry.path) or ""
        for doc in snap.yaml(entry.path) or ():
            stages = doc.get("stages") if isinstance(doc, dict) else None
            for name in stages if isinstance(stages, dict) else ():
                if _DATA_STEP.search(str(name)):
                    line, snip = find_line(text, rf"^\s*{re.escape(str(name))}\s*:")
                    evidence.append(
                        Evidence(entry.path, line, snip, f"DVC stage {name!r} prepares data")
                    )
                    break
    for y, kind in azureml_docs(snap):
        jobs = y.doc.get("jobs") if kind == "pipeline_job" else None
        for name in jobs if isinstance(jobs, dict) else ():
            if _DATA_STEP.search(str(name)):
                line, snip = y.line(rf"^\s*{re.escape(str(name))}\s*:")
                evidence.append(
                    Evidence(y.path, line, snip, f"Azure ML pipeline step {name!r} prepares data")
                )
                break
    return evidence


@signal("data_pipeline", "Training data is gathered and prepared by code, not by hand.")
def data_pipeline(snap: RepoSnapshot) -> SignalResult:
    return _code(
        "data_pipeline",
        snap,
        _DATA_WORDS,
        _data_finder,
        extra=[
            *_data_specs(snap),
            *(
                e
                for e in graph_evidence(pipelines(snap), "data", "prepares data")
                if not (e.path or "").endswith(".ipynb")
            ),
        ],
        notebooks="not_found",
    )


# ================================================================== reproducibility

_SEED_CALLS = frozenset(
    {
        "seed",
        "manual_seed",
        "manual_seed_all",
        "set_seed",
        "seed_everything",
        "set_random_seed",
        "default_rng",
        "RandomState",
        "PRNGKey",
    }
)
_SEED_KWARGS = ("random_state", "random_seed", "seed")
_SEEDED_MODULES = ("numpy", "random", "torch", "tensorflow", "jax", "cupy")


def _fixed(value: Any) -> bool:
    return value is not None and not (isinstance(value, Ref) and value.name in ("", "None"))


def _seed_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.decorator:
            continue
        if c.last in _SEED_CALLS and c.args and _fixed(c.args[0]):
            if c.last == "seed" and "." in c.name and not c.name.startswith(_SEEDED_MODULES):
                continue  # obj.seed(x) on an object we cannot tell
            yield pf.evidence(c.line, f"fixes the random seed ({c.name})")
        else:
            for key in _SEED_KWARGS:
                if c.has_kw(key) and _fixed(c.kw(key)):
                    yield pf.evidence(c.line, f"passes a fixed {key} to {c.last}")
                    break


_SEED_KEYS = ("seed", "random_seed", "random_state")


def _seed_configs(snap: RepoSnapshot, index: PyIndex) -> list[Evidence]:
    out: list[Evidence] = []
    for y in yaml_docs(snap, *_SEED_KEYS):
        for key, value in walk_data(y.doc):
            if key in _SEED_KEYS and isinstance(value, int) and not isinstance(value, bool):
                used = any(key in index.words(p) for p in index.sources)
                out.append(
                    y.evidence(
                        rf"^\s*{key}\s*:",
                        f"configuration fixes {key}: {value}"
                        + ("" if used else " (no training code seen reading it)"),
                        weak=not used,
                    )
                )
                break
        if len(out) >= 3:
            break
    return out


@signal("seeded_training", "Training fixes its random seeds (in code or config).")
def seeded_training(snap: RepoSnapshot) -> SignalResult:
    index = python_index(snap)
    words = (*_SEED_CALLS, *_SEED_KWARGS)
    return _code("seeded_training", snap, words, _seed_finder, extra=_seed_configs(snap, index))
