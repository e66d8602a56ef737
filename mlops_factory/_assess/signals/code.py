"""Code signals: tests, training, pipelines, tracking, registry, serving, monitoring.

Python is read through the shared index (:mod:`mlops_factory._assess._pyindex`):
parsed with ``ast``, never imported, comments and dead branches ignored. Specs
(Azure ML YAML, dvc.yaml, MLproject, Kubernetes manifests, IaC) are parsed with
the readers in :mod:`.infra`.

Notebooks: evidence found only in notebooks is weak. For signals about
repeatable work (training code, data pipeline, experiment tracking, scoring,
serving, batch scoring, service telemetry, prediction logging) a notebook is not
the thing itself, so notebook-only evidence is kept but the signal is not found;
the rubric would otherwise count it as met (weakly) for a notebooks-only repo.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from mlops_factory._assess._pyindex import (
    SINKS,
    Call,
    Group,
    PyFile,
    PyIndex,
    Ref,
    python_index,
)
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.signals.infra import (
    azureml_docs,
    dedupe,
    find_line,
    iac_resources,
    k8s_docs,
    makefile_targets,
    script_lines,
    snippet,
    walk_data,
    yaml_docs,
)
from mlops_factory._assess.snapshot import RepoSnapshot

Finder = Callable[[PyFile], Iterator[Evidence]]
_LIMIT = 6
_GROUPS: tuple[Group, ...] = ("source", "notebook")


def _scan(
    index: PyIndex,
    group: Group,
    words: Iterable[str],
    finder: Finder,
    *,
    limit: int = _LIMIT,
    per_file: int = 1,
    substrings: Iterable[str] = (),
    where: Callable[[frozenset[str]], bool] | None = None,
) -> list[Evidence]:
    """Evidence from the files of ``group`` mentioning ``words``; stops at ``limit``."""
    out: list[Evidence] = []
    for pf in index.files(group, words, substrings, where):
        for taken, ev in enumerate(finder(pf), start=1):
            out.append(ev)
            if len(out) >= limit:
                return out
            if taken >= per_file:
                break
    return out


def _code(
    name: str,
    snap: RepoSnapshot,
    words: Iterable[str],
    finder: Finder,
    *,
    extra: Iterable[Evidence] = (),
    notebooks: Literal["weak", "not_found"] = "weak",
    per_file: int = 1,
    substrings: Iterable[str] = (),
    where: Callable[[frozenset[str]], bool] | None = None,
) -> SignalResult:
    """The usual shape: source modules first, then specs (``extra``), then notebooks.

    ``notebooks="weak"``: notebook-only evidence makes the signal found, weakly.
    ``notebooks="not_found"``: it is reported, but the signal is not found.
    """
    index = python_index(snap)
    words = tuple(words)
    subs = tuple(substrings)
    evidence = _scan(
        index, "source", words, finder, per_file=per_file, substrings=subs, where=where
    )
    evidence.extend(extra)
    if evidence:
        return result(name, dedupe(evidence))
    in_notebooks = _scan(index, "notebook", words, finder, limit=3, substrings=subs, where=where)
    return result(name, in_notebooks, found=bool(in_notebooks) and notebooks == "weak")


def _tokens(names: Iterable[str]) -> set[str]:
    """Lower-case parts of identifiers and strings (``val_accuracy`` -> val, accuracy)."""
    out: set[str] = set()
    for name in names:
        low = name.lower()
        out.add(low)
        out.update(t for t in re.split(r"[^a-z0-9]+", low) if t)
    return out


def _receiver(call: Call) -> str:
    """The object a method is called on: ``self.model.predict`` -> ``self.model``."""
    return call.name.rsplit(".", 1)[0] if "." in call.name else ""


_MODEL_LOADS = (
    "joblib.load",
    "pickle.load",
    "pickle.loads",
    "cloudpickle.load",
    "dill.load",
    "torch.load",
    "torch.jit.load",
    "onnxruntime.InferenceSession",
    "skops.io.load",
    "tensorflow.saved_model.load",
)
_PREDICT = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function"})


def _loads_model(c: Call) -> bool:
    if c.decorator:
        return False
    if c.last in ("load_model", "from_pretrained", "load_learner"):
        return True
    return any(c.name == p or c.name.startswith(p + "(") for p in _MODEL_LOADS)


# ================================================================== tests

_TEST_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(test\w*)[ \t]*\(", re.M)


def _test_defs(pf: PyFile) -> list[int]:
    """Lines of test functions pytest or unittest would collect."""
    classes = {d.qualname: d for d in pf.defs if d.kind == "class"}
    lines: list[int] = []
    for d in pf.defs:
        if d.kind != "function" or not d.name.startswith("test"):
            continue
        if not d.scope:
            lines.append(d.line)
        elif d.scope in classes:
            cls = classes[d.scope]
            if cls.name.startswith("Test") or any("TestCase" in b for b in cls.bases):
                lines.append(d.line)
    return lines


@signal("unit_tests", "The repo has test files with test functions.")
def unit_tests(snap: RepoSnapshot) -> SignalResult:
    index = python_index(snap)
    counted: list[tuple[str, int]] = []
    for path in index.tests:
        text = index.text(path)
        if text and "def test" in text:
            n = len(_TEST_DEF.findall(text))
            if n:
                counted.append((path, n))
    evidence: list[Evidence] = []
    for path, _n in counted:
        pf = index.parse(path)
        lines = _test_defs(pf) if pf else []
        if pf and lines:
            evidence.append(pf.evidence(lines[0], f"{len(lines)} test functions"))
        if len(evidence) >= _LIMIT:
            break
    if evidence:
        total = sum(n for _p, n in counted)
        first = evidence[0]
        evidence[0] = Evidence(
            first.path,
            first.line,
            first.snippet,
            f"{first.note}; about {total} test functions in {len(counted)} test files",
        )
    return result("unit_tests", evidence)


def _tests_signal(
    name: str, snap: RepoSnapshot, words: Iterable[str], finder: Finder
) -> SignalResult:
    index = python_index(snap)
    return result(name, _scan(index, "test", words, finder))


def _model_test_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.decorator:
            continue
        if c.last in _PREDICT and "." in c.name:
            yield pf.evidence(c.line, f"a test calls the model ({c.last})")
        elif _loads_model(c):
            yield pf.evidence(c.line, "a test loads a trained model")
        elif c.last == "run" and pf.imports_any("onnxruntime") and c.args:
            yield pf.evidence(c.line, "a test runs an ONNX Runtime session")
        elif c.last == "score" and "." in c.name and len(c.args) >= 2:
            yield pf.evidence(c.line, "a test scores the model")


@signal("model_tests", "Tests load or call a trained model.")
def model_tests(snap: RepoSnapshot) -> SignalResult:
    words = (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "load_model",
        "from_pretrained",
        "joblib",
        "pickle",
        "torch",
        "onnxruntime",
        "InferenceSession",
        "score",
        "skops",
    )
    return _tests_signal("model_tests", snap, words, _model_test_finder)


_VALIDATION_LIBS = ("pandera", "great_expectations", "deepchecks", "jsonschema", "pydantic")
_DATA_ASSERT_NAMES = frozenset(
    {
        "columns",
        "dtypes",
        "dtype",
        "isnull",
        "isna",
        "notnull",
        "notna",
        "duplicated",
        "is_unique",
        "hasnans",
        "between",
        "nunique",
        "schema",
        "is_monotonic_increasing",
    }
)
_DATA_TEST_NAME = re.compile(r"schema|data|valid|integrity|column|dtype|quality|null", re.I)
_ABOUT_DATA = re.compile(r"data|record|row|feature|input|payload|integrity|column", re.I)
_PYDANTIC_VALIDATE = ("model_validate", "parse_obj", "validate_python")


def _data_validation_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        lib = next((m for m in _VALIDATION_LIBS if c.name.startswith(m + ".")), None)
        # jsonschema and pydantic also validate API documents and reports: they count
        # only where the test is about data.
        generic = lib in ("jsonschema", "pydantic") or c.last in _PYDANTIC_VALIDATE
        if generic and not (_ABOUT_DATA.search(c.scope) or _ABOUT_DATA.search(pf.path)):
            continue
        if lib == "pydantic":
            continue  # declaring a model is not validating data; the calls below are
        if lib:
            yield pf.evidence(c.line, f"a test validates data with {lib}")
        elif c.last in _PYDANTIC_VALIDATE and pf.imports_any("pydantic"):
            yield pf.evidence(c.line, "a test validates records with pydantic")
        elif c.last == "validate" and pf.imports_any("pandera"):
            yield pf.evidence(c.line, "a test validates a dataset against a schema")
    for check in pf.checks:
        if check.kind != "assert" or not check.scope:
            continue
        func = check.scope.rsplit(".", 1)[-1]
        if func.startswith("test") and _DATA_TEST_NAME.search(func):
            hit = _DATA_ASSERT_NAMES & check.names
            if hit:
                yield pf.evidence(
                    check.line, f"{func} asserts on the data's {', '.join(sorted(hit))}"
                )


@signal("data_validation_tests", "Tests validate data schema and integrity.")
def data_validation_tests(snap: RepoSnapshot) -> SignalResult:
    words = (*_VALIDATION_LIBS, *_DATA_ASSERT_NAMES, "model_validate", "validate")
    return _tests_signal("data_validation_tests", snap, words, _data_validation_finder)


_METRIC_TOKENS = frozenset(
    {
        "accuracy",
        "acc",
        "f1",
        "auc",
        "roc",
        "rmse",
        "mae",
        "mse",
        "mape",
        "r2",
        "precision",
        "recall",
        "score",
        "logloss",
        "balanced",
    }
)
_THRESHOLD_OPS = frozenset({"<", "<=", ">", ">=", "approx"})
_THRESHOLD_ASSERTS = (
    "assertGreater",
    "assertGreaterEqual",
    "assertLess",
    "assertLessEqual",
    "assertAlmostEqual",
    "assert_allclose",
    "assert_array_less",
    "assert_almost_equal",
)


def _model_quality_finder(pf: PyFile) -> Iterator[Evidence]:
    for check in pf.checks:
        if check.kind != "assert":
            continue
        threshold = bool(check.ops & _THRESHOLD_OPS) or bool(check.ops & set(_THRESHOLD_ASSERTS))
        if not threshold:
            continue
        metrics = _tokens(check.names) & _METRIC_TOKENS
        if metrics:
            yield pf.evidence(
                check.line, f"a test holds a model metric ({', '.join(sorted(metrics))}) to a bound"
            )


@signal("model_quality_tests", "Tests assert that a model metric stays within a bound.")
def model_quality_tests(snap: RepoSnapshot) -> SignalResult:
    index = python_index(snap)
    subs = ("acc", "f1", "auc", "rmse", "mae", "mse", "r2", "precision", "recall", "score")
    evidence: list[Evidence] = []
    for path in index.tests:
        text = index.text(path)
        if not text or not any(s in text for s in subs):
            continue
        pf = index.parse(path)
        if pf is None:
            continue
        found = next(_model_quality_finder(pf), None)
        if found:
            evidence.append(found)
            if len(evidence) >= _LIMIT:
                break
    return result("model_quality_tests", evidence)


_HTTP_CLIENTS = ("requests.", "httpx.", "aiohttp.", "urllib.request.urlopen")
_SCORE_ENTRY = re.compile(r"(?:^|\.)scor(?:e|ing)(?:_\w+)?\.(?:init|run)$")


def _api_test_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        if c.decorator:
            continue
        if c.last == "TestClient":
            yield pf.evidence(c.line, "a test drives the HTTP API with TestClient")
        elif c.last in ("test_client", "AsyncClient") and (
            c.last == "test_client" or pf.imports_any("httpx")
        ):
            yield pf.evidence(c.line, "a test drives the HTTP API with a test client")
        elif c.name.startswith(_HTTP_CLIENTS) and c.last in (
            "get",
            "post",
            "put",
            "request",
            "urlopen",
            "Client",
        ):
            yield pf.evidence(c.line, "a test calls an HTTP endpoint")
        elif _SCORE_ENTRY.search(c.name):
            yield pf.evidence(c.line, f"a test calls the scoring script's {c.last}()")
        elif c.name.endswith("online_endpoints.invoke"):
            yield pf.evidence(c.line, "a test invokes the online endpoint")


@signal("api_tests", "Tests exercise the serving interface (HTTP API or scoring script).")
def api_tests(snap: RepoSnapshot) -> SignalResult:
    words = (
        "TestClient",
        "test_client",
        "AsyncClient",
        "requests",
        "httpx",
        "aiohttp",
        "urlopen",
        "score",
        "scoring",
        "init",
        "invoke",
    )
    return _tests_signal("api_tests", snap, words, _api_test_finder)


# ================================================================== training

_NOT_MODELS = re.compile(r"scaler|encoder|vectori[sz]er|tokenizer|imputer|pca|transformer$", re.I)
_TRAIN_LIBS = ("xgboost.train", "lightgbm.train", "catboost.train", "xgboost.cv")


def _training_finder(pf: PyFile) -> Iterator[Evidence]:
    optim_steps = [c for c in pf.calls if c.last == "step" and "optim" in _receiver(c).lower()]
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
    res = _code("training_code", snap, _TRAIN_WORDS, _training_finder, notebooks="not_found")
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
_FRAMEWORK_CALLS: tuple[tuple[str, str, bool], ...] = (
    # (resolved name prefix, framework, decorator)
    ("kfp.dsl.pipeline", "Kubeflow Pipelines", True),
    ("kfp.v2.dsl.pipeline", "Kubeflow Pipelines", True),
    ("airflow.decorators.dag", "Airflow DAG", True),
    ("airflow.DAG", "Airflow DAG", False),
    ("airflow.models.DAG", "Airflow DAG", False),
    ("airflow.models.dag.DAG", "Airflow DAG", False),
    ("prefect.flow", "Prefect flow", True),
    ("zenml.pipeline", "ZenML pipeline", True),
    ("zenml.pipelines.pipeline", "ZenML pipeline", True),
    ("sagemaker.workflow.pipeline.Pipeline", "SageMaker Pipelines", False),
    ("azure.ai.ml.dsl.pipeline", "Azure ML pipeline (SDK v2)", True),
    ("azureml.pipeline.core.Pipeline", "Azure ML pipeline (SDK v1)", False),
    ("kedro.pipeline.pipeline", "Kedro pipeline", False),
    ("kedro.pipeline.Pipeline", "Kedro pipeline", False),
    ("dagster.job", "Dagster job", True),
    ("dagster.asset", "Dagster assets", True),
    ("flytekit.workflow", "Flyte workflow", True),
)


def _pipeline_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        for prefix, framework, decorator in _FRAMEWORK_CALLS:
            if c.decorator == decorator and (c.name == prefix or c.name.startswith(prefix + "(")):
                yield pf.evidence(c.line, f"{framework} defined in code")
                break
    for d in pf.defs:
        if d.kind == "class" and any(b.startswith("metaflow.FlowSpec") for b in d.bases):
            yield pf.evidence(d.line, "Metaflow flow defined in code")
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


_PIPELINE_WORDS = (
    "kfp",
    "airflow",
    "prefect",
    "zenml",
    "sagemaker",
    "metaflow",
    "kedro",
    "register_pipelines",
    "dagster",
    "flytekit",
    "azure",
    "azureml",
)


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
        extra=_data_specs(snap),
        notebooks="not_found",
    )


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
    for c in pf.calls:
        if c.name.startswith("bentoml.Service") or (
            c.decorator and c.name.startswith(("bentoml.service", "bentoml.api"))
        ):
            yield pf.evidence(c.line, "BentoML service")
        elif c.decorator and c.name.startswith(("ray.serve.deployment", "ray.serve.ingress")):
            yield pf.evidence(c.line, "Ray Serve deployment")
        elif c.name.startswith(("kserve.ModelServer", "mlserver")):
            yield pf.evidence(c.line, "KServe/MLServer model server")
        elif c.name.startswith("azure.ai.ml") and c.last in (
            "ManagedOnlineDeployment",
            "KubernetesOnlineDeployment",
        ):
            yield pf.evidence(c.line, "Azure ML online deployment (SDK)")
    for d in pf.defs:
        if d.kind == "class" and any(
            b.startswith(("kserve.Model", "kserve.KFModel", "mlserver.MLModel")) for b in d.bases
        ):
            yield pf.evidence(d.line, "KServe/MLServer model class")


_SERVING_WORDS = (
    *_WEB_FRAMEWORKS,
    "FastAPI",
    "Flask",
    "APIRouter",
    "bentoml",
    "kserve",
    "serve",
    "mlserver",
    "ManagedOnlineDeployment",
    "KubernetesOnlineDeployment",
)


def _serving_specs(snap: RepoSnapshot) -> list[Evidence]:
    evidence: list[Evidence] = []
    labels = {
        "online_endpoint": "Azure ML online endpoint",
        "online_deployment": "Azure ML online deployment",
    }
    for y, kind in azureml_docs(snap):
        if kind in labels:
            evidence.append(y.evidence(r"^\s*(\$schema|name)\s*:", labels[kind]))
    for y in k8s_docs(snap):
        if y.doc.get("kind") in ("InferenceService", "SeldonDeployment"):
            evidence.append(y.evidence(r"^\s*kind\s*:", f"{y.doc['kind']} manifest"))
    for entry in snap.by_name("bentofile.yaml", "bentofile.yml"):
        for doc in snap.yaml(entry.path) or ():
            if isinstance(doc, dict) and doc.get("service"):
                text = snap.read_text(entry.path) or ""
                line, snip = find_line(text, r"^\s*service\s*:")
                evidence.append(Evidence(entry.path, line, snip, "BentoML bentofile"))
    return evidence


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
    return _code("scoring_script", snap, words, _scoring_finder, notebooks="not_found")


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


# ================================================================== monitoring

_TELEMETRY: tuple[tuple[str, str], ...] = (
    ("prometheus_fastapi_instrumentator", "Prometheus metrics (FastAPI instrumentator)"),
    ("prometheus_client", "Prometheus metrics (prometheus_client)"),
    ("starlette_exporter", "Prometheus metrics (starlette_exporter)"),
    ("prometheus_flask_exporter", "Prometheus metrics (prometheus_flask_exporter)"),
    ("azure.monitor.opentelemetry", "Application Insights (azure-monitor-opentelemetry)"),
    ("opencensus.ext.azure", "Application Insights (opencensus-ext-azure)"),
    ("applicationinsights", "Application Insights SDK"),
    ("opentelemetry", "OpenTelemetry"),
    ("datadog", "Datadog metrics"),
    ("statsd", "StatsD metrics"),
)


def _telemetry_finder(pf: PyFile) -> Iterator[Evidence]:
    for c in pf.calls:
        for prefix, note in _TELEMETRY:
            if c.name == prefix or c.name.startswith((prefix + ".", prefix + "(")):
                yield pf.evidence(c.line, note)
                break
        else:
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
    words = (
        "prometheus_client",
        "prometheus_fastapi_instrumentator",
        "starlette_exporter",
        "prometheus_flask_exporter",
        "Instrumentator",
        "opentelemetry",
        "applicationinsights",
        "configure_azure_monitor",
        "opencensus",
        "datadog",
        "statsd",
    )
    return _code(
        "monitoring_metrics",
        snap,
        words,
        _telemetry_finder,
        extra=_telemetry_specs(snap),
        notebooks="not_found",
        substrings=('"/metrics', "'/metrics"),
    )


_DRIFT_LIBS: tuple[tuple[str, str], ...] = (
    ("evidently", "Evidently"),
    ("alibi_detect", "Alibi Detect"),
    ("nannyml", "NannyML"),
    ("whylogs", "whylogs"),
    ("frouros", "Frouros"),
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
        for module, label in _DRIFT_LIBS:
            if c.name.startswith((module + ".", module + "(")) or c.name == module:
                yield pf.evidence(c.line, f"drift detection with {label}")
                break
        else:
            if c.name.startswith("deepchecks") and _DRIFT.search(c.name):
                yield pf.evidence(c.line, "drift detection with Deepchecks")
            elif c.last == "ks_2samp":
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
    subs = (
        "evidently",
        "alibi_detect",
        "nannyml",
        "whylogs",
        "deepchecks",
        "frouros",
        "ks_2samp",
        "psi",
        "population_stability",
        "drift",
    )
    evidence: list[Evidence] = []
    weak: list[Evidence] = []
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
    return result("drift_monitoring", evidence or weak)


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
