"""Data lineage: does each training run record which data it was trained on?"""

from __future__ import annotations

import ast
import re

from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.snapshot import RepoSnapshot

#: Calls that record a dataset as a run input.
_INPUT_CALLS = ("mlflow.log_input", "log_input", "use_artifact")
#: Calls that log values to a tracker, and names that say the value identifies data.
_LOG_CALLS = ("log_param", "log_params", "set_tag", "set_tags", "log_dict")
_DATA_ID = re.compile(
    r"(data|dataset|training)[_-]?(hash|sha|sha256|md5|fingerprint|version|digest)"
)
_PREFILTER = ("log_input", "use_artifact", "hash", "fingerprint", "digest", "data_version")
#: Azure ML job inputs pinned to a data asset version: azureml:<name>:<version>.
_AML_DATA = re.compile(r"path:\s*azureml:[\w.-]+:\d+")


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _mentions_data_id(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            if _DATA_ID.search(sub.value.lower()):
                return True
        elif isinstance(sub, ast.Name) and _DATA_ID.search(sub.id.lower()):
            return True
    return False


def _is_test(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return "/tests/" in f"/{path}" or name.startswith("test_") or name.endswith("_test.py")


@signal("data_lineage", "Training runs record the identity of their data (hash, version, input).")
def data_lineage(snap: RepoSnapshot) -> SignalResult:
    evidence: list[Evidence] = []
    for entry, text in snap.iter_text(snap.by_suffix(".py")):
        if _is_test(entry.path) or not any(k in text for k in _PREFILTER):
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func)
            short = name.rsplit(".", 1)[-1]
            if name in _INPUT_CALLS or short == "log_input":
                note = "a training run logs its dataset as an input"
            elif short in _LOG_CALLS and _mentions_data_id(node):
                note = "a training run logs a data fingerprint or version"
            else:
                continue
            line = text.splitlines()[node.lineno - 1].strip()[:120]
            evidence.append(Evidence(entry.path, node.lineno, line, note))
            break
    for entry, text in snap.iter_text(snap.by_suffix(".yml", ".yaml")):
        if "azureml" not in text or "$schema" not in text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.lstrip().startswith("#") and _AML_DATA.search(line):
                note = "job input pinned to a data asset version"
                evidence.append(Evidence(entry.path, number, line.strip()[:120], note))
                break
    return result("data_lineage", evidence)
