"""The values :func:`check_model` and :func:`profile_model` return.

Plain frozen dataclasses with ``to_dict()`` (the documented JSON, see
docs/model-checks.md) and ``from_dict()`` (the worker process sends results
as JSON lines). Standard library only: importing this must stay cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Dim = int | str | None
Shape = tuple[Dim, ...]
ProbeOutcome = Literal["rejected", "accepted", "crashed", "timed_out", "skipped"]
Expectation = Literal["reject", "either"]

#: name -> (title, what it feeds), in the order they run and are shown.
PROBES: dict[str, tuple[str, str]] = {
    "wrong_dtype": ("wrong dtype", "an input with another element type"),
    "wrong_rank": ("wrong rank", "an input with one extra trailing axis"),
    "wrong_features": ("wrong feature count", "one more value on the last (fixed) axis"),
    "nan": ("NaN", "a NaN in the first float input"),
    "inf": ("infinities", "+inf and -inf in the first float input"),
    "empty_batch": ("empty batch", "zero rows on the first axis of every input"),
}

#: File types accepted for ``--sample`` and ``--reference``.
SAMPLE_SUFFIXES: tuple[str, ...] = (".npz", ".npy", ".json", ".csv")

#: Graph optimisation levels, by the names users type.
OPT_LEVELS: tuple[str, ...] = ("disabled", "basic", "extended", "all")


def _num(value: Any) -> float | None:
    """A finite float, or None (JSON has no NaN)."""
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def _shape_out(shape: Shape | None) -> list[Dim] | None:
    return None if shape is None else list(shape)


def _shape_in(value: Any) -> Shape | None:
    return None if value is None else tuple(value)


def format_shape(shape: Shape | None) -> str:
    """``(None, 'N', 3)`` -> ``[?, N, 3]``; unknown rank -> ``[...]``."""
    if shape is None:
        return "[...]"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


# ------------------------------------------------------------------ check


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """An input or output of the model as onnxruntime sees it.

    ``shape`` is None when the rank is unknown; a dim is a size, a symbolic
    name (``"N"``), or None when the model gives neither.
    """

    name: str
    type: str
    shape: Shape | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "shape": _shape_out(self.shape)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TensorSpec:
        return cls(d["name"], d["type"], _shape_in(d["shape"]))


@dataclass(frozen=True, slots=True)
class ArraySummary:
    """What one fed or returned value looked like (never the values themselves).

    ``kind`` is ``tensor``, ``sequence`` (e.g. a list of maps from a ZipMap)
    or ``map``; statistics cover finite values only, and are None when the
    value is empty or not numeric.
    """

    name: str
    kind: str
    dtype: str
    shape: tuple[int, ...] | None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    nan: int = 0
    inf: int = 0

    def describe(self) -> str:
        """One line, e.g. ``float32[1, 2] min -0.5 max 2.1 (1 NaN)``."""
        dims = "" if self.shape is None else format_shape(self.shape)
        text = f"{self.dtype}{dims}" if self.kind == "tensor" else f"{self.kind} {self.dtype}"
        if self.kind != "tensor" and self.shape is not None:
            text += f" of {self.shape[0]}"
        if self.min is not None and self.max is not None:
            text += f" min {self.min:.4g} max {self.max:.4g}"
        extra = [f"{n} {label}" for n, label in ((self.nan, "NaN"), (self.inf, "inf")) if n]
        return text + (f" ({', '.join(extra)})" if extra else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "dtype": self.dtype,
            "shape": None if self.shape is None else list(self.shape),
            "min": _num(self.min),
            "max": _num(self.max),
            "mean": _num(self.mean),
            "nan": self.nan,
            "inf": self.inf,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArraySummary:
        shape = d.get("shape")
        return cls(
            name=d["name"],
            kind=d["kind"],
            dtype=d["dtype"],
            shape=None if shape is None else tuple(int(x) for x in shape),
            min=_num(d.get("min")),
            max=_num(d.get("max")),
            mean=_num(d.get("mean")),
            nan=int(d.get("nan", 0)),
            inf=int(d.get("inf", 0)),
        )


def _summaries(items: Any) -> tuple[ArraySummary, ...]:
    return tuple(ArraySummary.from_dict(x) for x in items or ())


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One robustness probe: what was fed, what was expected, what happened.

    ``expected`` is ``reject`` for input the model must refuse (wrong dtype,
    rank or feature count, or a batch size its fixed batch axis forbids) and
    ``either`` for unusual but valid input (NaN, infinities, an empty batch).
    """

    name: str
    title: str
    input: str | None
    fed: str
    expected: Expectation
    outcome: ProbeOutcome
    detail: str
    outputs: tuple[ArraySummary, ...] = ()

    @property
    def ok(self) -> bool:
        """False when the tool or process crashed or hung, or bad input was accepted."""
        if self.outcome in ("crashed", "timed_out"):
            return False
        return not (self.expected == "reject" and self.outcome == "accepted")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "input": self.input,
            "fed": self.fed,
            "expected": self.expected,
            "outcome": self.outcome,
            "ok": self.ok,
            "detail": self.detail,
            "outputs": [o.to_dict() for o in self.outputs],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProbeResult:
        return cls(
            name=d["name"],
            title=d["title"],
            input=d.get("input"),
            fed=d.get("fed", ""),
            expected=d["expected"],
            outcome=d["outcome"],
            detail=d.get("detail", ""),
            outputs=_summaries(d.get("outputs")),
        )


@dataclass(frozen=True, slots=True)
class OutputParity:
    """Parity of one output against its reference values."""

    name: str
    ok: bool
    expected_shape: tuple[int, ...] | None
    actual_shape: tuple[int, ...] | None
    mismatched: int
    total: int
    max_abs_diff: float | None
    max_rel_diff: float | None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "expected_shape": None if self.expected_shape is None else list(self.expected_shape),
            "actual_shape": None if self.actual_shape is None else list(self.actual_shape),
            "mismatched": self.mismatched,
            "total": self.total,
            "max_abs_diff": _num(self.max_abs_diff),
            "max_rel_diff": _num(self.max_rel_diff),
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OutputParity:
        def shape(v: Any) -> tuple[int, ...] | None:
            return None if v is None else tuple(int(x) for x in v)

        return cls(
            name=d["name"],
            ok=bool(d["ok"]),
            expected_shape=shape(d.get("expected_shape")),
            actual_shape=shape(d.get("actual_shape")),
            mismatched=int(d.get("mismatched", 0)),
            total=int(d.get("total", 0)),
            max_abs_diff=_num(d.get("max_abs_diff")),
            max_rel_diff=_num(d.get("max_rel_diff")),
            detail=d.get("detail", ""),
        )


@dataclass(frozen=True, slots=True)
class Parity:
    """Outputs compared with ``--reference`` within ``|a - e| <= atol + rtol * |e|``."""

    reference: str
    rtol: float
    atol: float
    outputs: tuple[OutputParity, ...]

    @property
    def ok(self) -> bool:
        return bool(self.outputs) and all(o.ok for o in self.outputs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reference": self.reference,
            "rtol": self.rtol,
            "atol": self.atol,
            "outputs": [o.to_dict() for o in self.outputs],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Parity:
        return cls(
            reference=d["reference"],
            rtol=float(d["rtol"]),
            atol=float(d["atol"]),
            outputs=tuple(OutputParity.from_dict(o) for o in d.get("outputs", ())),
        )


@dataclass(frozen=True, slots=True)
class Inference:
    """The run on synthesised inputs or the ``--sample``."""

    ok: bool
    source: str
    feeds: tuple[ArraySummary, ...] = ()
    outputs: tuple[ArraySummary, ...] = ()
    latency_ms: float | None = None
    error: str | None = None
    parity: Parity | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "source": self.source,
            "feeds": [f.to_dict() for f in self.feeds],
            "outputs": [o.to_dict() for o in self.outputs],
            "latency_ms": _num(self.latency_ms),
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Inference:
        parity = d.get("parity")
        return cls(
            ok=bool(d["ok"]),
            source=d.get("source", ""),
            feeds=_summaries(d.get("feeds")),
            outputs=_summaries(d.get("outputs")),
            latency_ms=_num(d.get("latency_ms")),
            error=d.get("error"),
            parity=None if parity is None else Parity.from_dict(parity),
        )


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Facts about the model file, read from the file itself and from onnxruntime."""

    path: str
    size_bytes: int
    external_data_bytes: int
    external_files: tuple[str, ...]
    ir_version: int
    opsets: dict[str, int]
    producer_name: str
    producer_version: str
    model_version: int
    graph_name: str
    description: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size_bytes": self.size_bytes,
            "external_data_bytes": self.external_data_bytes,
            "external_files": list(self.external_files),
            "ir_version": self.ir_version,
            "opsets": dict(self.opsets),
            "producer_name": self.producer_name,
            "producer_version": self.producer_version,
            "model_version": self.model_version,
            "graph_name": self.graph_name,
            "description": self.description,
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True, slots=True)
class ModelCheckReport:
    """Everything ``mlops-factory model check`` found. ``ok`` is the verdict."""

    model: ModelInfo
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    inference: Inference
    probes: tuple[ProbeResult, ...]
    onnxruntime_version: str

    @property
    def parity(self) -> Parity | None:
        return self.inference.parity

    @property
    def problems(self) -> list[str]:
        """One sentence per failed check; empty when the model passed."""
        out: list[str] = []
        if not self.inference.ok:
            out.append(f"inference on {self.inference.source} failed: {self.inference.error}")
        for p in self.probes:
            if not p.ok:
                out.append(f"probe {p.title!r}: {p.outcome} ({p.detail})")
        if self.parity is not None and not self.parity.ok:
            bad = [o.name for o in self.parity.outputs if not o.ok] or ["no output compared"]
            out.append(f"parity with {self.parity.reference} failed for {', '.join(bad)}")
        return out

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        observed = {o.name: o for o in self.inference.outputs}
        outputs = []
        for spec in self.outputs:
            entry = spec.to_dict()
            got = observed.get(spec.name)
            entry["observed"] = None if got is None else got.to_dict()
            outputs.append(entry)
        return {
            "ok": self.ok,
            "problems": self.problems,
            "model": self.model.to_dict(),
            "onnxruntime_version": self.onnxruntime_version,
            "inputs": [i.to_dict() for i in self.inputs],
            "outputs": outputs,
            "inference": self.inference.to_dict(),
            "probes": [p.to_dict() for p in self.probes],
            "parity": None if self.parity is None else self.parity.to_dict(),
        }


# ------------------------------------------------------------------ profile


@dataclass(frozen=True, slots=True)
class Setting:
    """One point of the profiling grid."""

    threads: int
    opt_level: str
    batch_size: int

    def to_dict(self) -> dict[str, Any]:
        return {"threads": self.threads, "opt_level": self.opt_level, "batch_size": self.batch_size}

    def describe(self) -> str:
        return f"{self.threads} thread(s), opt {self.opt_level}, batch {self.batch_size}"


@dataclass(frozen=True, slots=True)
class ProfileResult:
    """Latency, throughput and peak memory for one setting (or why it failed).

    Latencies are per ``run`` call in milliseconds; ``throughput`` is samples
    (rows) per second: ``batch_size * runs / total run time``;
    ``peak_memory_mb`` is the session's peak resident memory in MiB (see
    docs/model-checks.md for how it is measured), None when unavailable.
    """

    setting: Setting
    runs: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    mean_ms: float | None = None
    throughput: float | None = None
    peak_memory_mb: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.p50_ms is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.setting.to_dict(),
            "runs": self.runs,
            "p50_ms": _num(self.p50_ms),
            "p95_ms": _num(self.p95_ms),
            "p99_ms": _num(self.p99_ms),
            "mean_ms": _num(self.mean_ms),
            "throughput": _num(self.throughput),
            "peak_memory_mb": _num(self.peak_memory_mb),
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProfileResult:
        s = d["settings"]
        return cls(
            setting=Setting(int(s["threads"]), str(s["opt_level"]), int(s["batch_size"])),
            runs=int(d.get("runs", 0)),
            p50_ms=_num(d.get("p50_ms")),
            p95_ms=_num(d.get("p95_ms")),
            p99_ms=_num(d.get("p99_ms")),
            mean_ms=_num(d.get("mean_ms")),
            throughput=_num(d.get("throughput")),
            peak_memory_mb=_num(d.get("peak_memory_mb")),
            error=d.get("error"),
        )


@dataclass(frozen=True, slots=True)
class Machine:
    """Where the profile was measured."""

    cpu_count: int
    usable_cpus: int
    cpu_model: str
    platform: str
    python_version: str
    onnxruntime_version: str
    memory_method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpu_count": self.cpu_count,
            "usable_cpus": self.usable_cpus,
            "cpu_model": self.cpu_model,
            "platform": self.platform,
            "python_version": self.python_version,
            "onnxruntime_version": self.onnxruntime_version,
            "memory_method": self.memory_method,
        }


@dataclass(frozen=True, slots=True)
class ProfileReport:
    """The grid, every measured setting, and the recommendation.

    ``recommended`` is the setting with the lowest ``objective`` latency among
    those meeting the constraints; None (and ``ok`` False) when none does.
    """

    model: ModelInfo
    machine: Machine
    warmup: int
    runs: int
    max_seconds: float
    objective: str
    min_throughput: float | None
    max_memory_mb: float | None
    results: tuple[ProfileResult, ...]
    recommended: ProfileResult | None
    recommendation: str

    @property
    def ok(self) -> bool:
        return self.recommended is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "model": self.model.to_dict(),
            "machine": self.machine.to_dict(),
            "grid": {
                "threads": sorted({r.setting.threads for r in self.results}),
                "opt_levels": [
                    lvl
                    for lvl in OPT_LEVELS
                    if any(r.setting.opt_level == lvl for r in self.results)
                ],
                "batch_sizes": sorted({r.setting.batch_size for r in self.results}),
                "warmup": self.warmup,
                "runs": self.runs,
                "max_seconds": self.max_seconds,
            },
            "constraints": {
                "objective": self.objective,
                "min_throughput": self.min_throughput,
                "max_memory_mb": self.max_memory_mb,
            },
            "results": [r.to_dict() for r in self.results],
            "recommended": None if self.recommended is None else self.recommended.to_dict(),
            "recommendation": self.recommendation,
        }
