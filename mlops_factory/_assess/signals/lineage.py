"""Data lineage: does each training run record which data it was trained on?"""

from __future__ import annotations

import re
from typing import Any

from mlops_factory._assess._pyindex import Call, Ref, python_index
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.snapshot import RepoSnapshot

_LOG_CALLS = frozenset({"log_param", "log_params", "set_tag", "set_tags", "log_dict"})
_INPUT_CALLS = frozenset({"log_input", "use_artifact"})
_DATA_ID = re.compile(
    r"(data|dataset|training)[_-]?(hash|sha|sha256|md5|fingerprint|version|digest)"
)
#: Azure ML job inputs pinned to a data asset version: azureml:<name>:<version>.
_AML_DATA = re.compile(r"path:\s*azureml:[\w.-]+:\d+")


def _names_data(value: Any) -> bool:
    """A logged key, value or variable whose name says it identifies the data."""
    if isinstance(value, Ref):
        return bool(_DATA_ID.search(value.name.lower()))
    if isinstance(value, str):
        return bool(_DATA_ID.search(value.lower()))
    if isinstance(value, dict):
        return any(_names_data(k) or _names_data(v) for k, v in value.items())
    return False


def _records_data(call: Call) -> str | None:
    if call.last in _INPUT_CALLS:
        return "a training run logs its dataset as an input"
    if call.last in _LOG_CALLS:
        values = (*call.args, *(v for _, v in call.kwargs), *(Ref(n) for n in call.argnames))
        if any(_names_data(v) for v in values):
            return "a training run logs a data fingerprint or version"
    return None


@signal("data_lineage", "Training runs record the identity of their data (hash, version, input).")
def data_lineage(snap: RepoSnapshot) -> SignalResult:
    evidence: list[Evidence] = []
    index = python_index(snap)
    for pf in index.files("source", words=_LOG_CALLS | _INPUT_CALLS):
        for call in pf.calls:
            note = _records_data(call)
            if note:
                evidence.append(pf.evidence(call.line, note))
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
