"""Test signals: what the repository's tests exercise (units, the model, data, the API)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from mlops_factory._assess._pyindex import (
    PyFile,
    python_index,
)
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.signals._common import (
    _LIMIT,
    _PREDICT,
    Finder,
    _loads_model,
    _scan,
    _tokens,
)
from mlops_factory._assess.snapshot import RepoSnapshot

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
    res = _tests_signal("model_tests", snap, words, _model_test_finder)
    if res.found:
        return res
    return result("model_tests", list(_reaches_helpers(snap, model_helpers(snap), "model")))


_MODEL_WORDS = ("joblib", "pickle", "torch", "onnxruntime", "load_model", "from_pretrained")
_MAX_HOPS = 3


def _owner(scope: str) -> str:
    """The name a caller uses: ``Predictor.__init__`` -> ``Predictor``, ``load`` -> ``load``."""
    parts = scope.split(".")
    return parts[-2] if len(parts) >= 2 and parts[-1] == "__init__" else parts[-1]


def model_helpers(snap: RepoSnapshot) -> frozenset[str]:
    """Names of the project's functions (and classes whose constructor) that load a model,
    directly or through other project helpers (a few hops): ``load_model()`` defined in
    the project and calling ``joblib.load`` makes ``load_model`` a model loader."""
    cached = snap.cache.get("model_helpers")
    if isinstance(cached, frozenset):
        return cached
    index = python_index(snap)
    helpers: set[str] = set()
    words: tuple[str, ...] = _MODEL_WORDS
    for _hop in range(_MAX_HOPS):
        found: set[str] = set()
        for pf in index.files("source", words):
            for c in pf.calls:
                if c.decorator or not c.scope or c.scope == "__main__":
                    continue
                if _loads_model(c) or c.last in helpers:
                    found.add(_owner(c.scope))
        new = found - helpers
        if not new:
            break
        helpers |= new
        words = tuple(sorted(new))
    out = frozenset(helpers)
    snap.cache["model_helpers"] = out
    return out


_DATA_HELPER_PATHS = re.compile(r"prep|ingest|featur|clean|transform|data|etl|split", re.I)


def data_helpers(snap: RepoSnapshot) -> frozenset[str]:
    """Top-level functions of the project's data modules (prepare, features, cleaning)."""
    cached = snap.cache.get("data_helpers")
    if isinstance(cached, frozenset):
        return cached
    index = python_index(snap)
    out: set[str] = set()
    for path in index.sources:
        if _DATA_HELPER_PATHS.search(path.rsplit("/", 1)[-1]):
            # The names are only a filter for the tests' calls: read them from the text
            # (``def name(`` at the start of a line) rather than parse every data module.
            out.update(_TOP_DEF.findall(index.text(path) or ""))
    found = frozenset(n for n in out if not n.startswith("_"))
    snap.cache["data_helpers"] = found
    return found


_TOP_DEF = re.compile(r"^(?:async\s+)?def\s+([A-Za-z]\w*)\s*\(", re.M)


def _reaches_helpers(snap: RepoSnapshot, helpers: frozenset[str], what: str) -> Iterator[Evidence]:
    """Test calls into project helpers: model loading reached through the project's own
    loader, whatever it is called."""
    if not helpers:
        return
    index = python_index(snap)
    taken = 0
    for pf in index.files("test", helpers):
        for c in pf.calls:
            if not c.decorator and c.last in helpers and c.scope:
                yield pf.evidence(
                    c.line, f"a test reaches {what} loading through the project's {c.last}()"
                )
                taken += 1
                break
        if taken >= _LIMIT:
            return


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
    res = _tests_signal("data_validation_tests", snap, words, _data_validation_finder)
    if res.found:
        return res
    return result("data_validation_tests", list(_data_checks(snap)))


def _data_checks(snap: RepoSnapshot) -> Iterator[Evidence]:
    """A test that computes data with a project data function, then asserts on the data's
    columns, types, nulls or duplicates."""
    helpers = data_helpers(snap)
    if not helpers:
        return
    index = python_index(snap)
    for pf in index.files("test", helpers):
        computed = {c.scope: c for c in pf.calls if c.last in helpers and not c.decorator}
        for check in pf.checks:
            if check.kind != "assert" or check.scope not in computed:
                continue
            hit = (_DATA_ASSERT_NAMES | {"shape", "notnull", "any", "all"}) & check.names
            if hit:
                helper = computed[check.scope].last
                yield pf.evidence(
                    check.line,
                    f"a test checks the output of {helper}() ({', '.join(sorted(hit))})",
                )
                break


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
