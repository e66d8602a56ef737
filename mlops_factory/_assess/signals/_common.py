"""Helpers shared by the code signals: scanning the Python index, model loads."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

from mlops_factory._assess._pyindex import (
    Call,
    Group,
    PyFile,
    PyIndex,
    python_index,
)
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result
from mlops_factory._assess.signals.infra import (
    dedupe,
)
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._assess.technologies import find

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


def catalog_evidence(
    snap: RepoSnapshot,
    *capabilities: str,
    notebooks: bool = True,
    limit: int = _LIMIT,
) -> list[Evidence]:
    """Where the technology catalog sees ``capabilities`` (strong first).

    ``notebooks=False`` drops notebook evidence: for signals about repeatable work a
    notebook is not the thing itself.
    """
    found = find(snap, *capabilities, limit=limit * 3)
    if not notebooks:
        found = [e for e in found if not (e.path or "").endswith(".ipynb")]
    return found[:limit]
