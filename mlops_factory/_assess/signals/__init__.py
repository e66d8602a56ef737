"""Signals: small pure functions ``snapshot -> SignalResult``, registered by name.

A signal answers one factual question about a repo ("does CI run the tests?")
and says where it saw the answer. Criteria in the rubric name the signals they
rest on; the rubric loader checks that every name exists here.

Write a signal like this::

    @signal("ci_runs_tests", "A CI job runs the test suite.")
    def ci_runs_tests(snap: RepoSnapshot) -> SignalResult:
        ev = [...]
        return result("ci_runs_tests", ev)

Signals must not raise for odd input; if one does anyway, :func:`run_signals`
turns it into a result with ``error`` set and the assessment goes on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.snapshot import RepoSnapshot

SignalFn = Callable[[RepoSnapshot], SignalResult]

#: Modules that define signals; imported on first use of the registry.
_MODULES: tuple[str, ...] = (
    "ci",
    "tests",
    "training",
    "tracking",
    "serving",
    "monitoring",
    "pipelines",
    "infra",
    "repo",
    "onnx",
    "lineage",
    "release",
    "hygiene",
)


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """A registered signal: its name, one-line description and function."""

    name: str
    description: str
    fn: SignalFn


_REGISTRY: dict[str, SignalSpec] = {}
_loaded = False


def signal(name: str, description: str) -> Callable[[SignalFn], SignalFn]:
    """Register ``fn`` as the signal ``name``."""

    def deco(fn: SignalFn) -> SignalFn:
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise RuntimeError(f"signal {name!r} registered twice")
        _REGISTRY[name] = SignalSpec(name, description, fn)
        return fn

    return deco


def result(name: str, evidence: Iterable[Evidence], *, found: bool | None = None) -> SignalResult:
    """A result that is found when there is evidence (unless ``found`` says otherwise)."""
    ev = tuple(evidence)
    return SignalResult(name=name, found=bool(ev) if found is None else found, evidence=ev)


def registry() -> dict[str, SignalSpec]:
    """All known signals, by name."""
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"{__name__}.{module}")
        _loaded = True
    return _REGISTRY


def run_signals(snapshot: RepoSnapshot, names: Iterable[str]) -> dict[str, SignalResult]:
    """Run each named signal once; a signal that raises yields an ``error`` result."""
    specs = registry()
    out: dict[str, SignalResult] = {}
    for name in names:
        if name in out:
            continue
        spec = specs.get(name)
        if spec is None:
            out[name] = SignalResult(name, False, error=f"unknown signal {name!r}")
            continue
        try:
            res = spec.fn(snapshot)
        except Exception as exc:  # a broken signal must never end the run
            res = SignalResult(name, False, error=f"{type(exc).__name__}: {exc}")
        out[name] = res
    return out
