"""``check_model``: load, run, probe and compare a model in an isolated worker."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_factory._errors import FactoryError
from mlops_factory._onnx._isolate import DEFAULT_MEMORY_LIMIT, WorkerFailed, worker_events
from mlops_factory._onnx._report import (
    PROBES,
    SAMPLE_SUFFIXES,
    Inference,
    ModelCheckReport,
    ModelInfo,
    ProbeResult,
    TensorSpec,
)
from mlops_factory._onnx._validate import (
    DEFAULT_MAX_BYTES,
    ModelFile,
    human_bytes,
    inspect_model_file,
)


def check_model(
    path: str | os.PathLike[str],
    *,
    sample: str | os.PathLike[str] | None = None,
    reference: str | os.PathLike[str] | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    batch_size: int = 1,
    dims: Mapping[str, int] | None = None,
    probes: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 120.0,
    deadline: float | None = 600.0,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> ModelCheckReport:
    """Validate an ONNX model for release and return what was found.

    The file is checked before onnxruntime sees it (not empty, under
    ``max_bytes`` including external data, well-formed ONNX, external data only
    inside the model's folder). Then, in a child process so that a crash in
    onnxruntime cannot take the caller down, the model is loaded on the CPU
    provider and run on ``sample`` (``.npz``, ``.npy``, ``.json`` or ``.csv``)
    or on inputs synthesised from its signature, where each symbolic dim is
    ``dims[name]`` if given, else ``batch_size``. The robustness probes
    (:data:`PROBES`) follow, and with ``reference`` (same formats, keyed by
    output name) the outputs are compared within ``|a - e| <= atol + rtol * |e|``.

    ``timeout`` bounds each step (load, inference, one probe) in seconds, ``deadline``
    the whole check (None: no overall limit); the child runs under an address-space
    limit of ``memory_limit`` bytes (None: none), and a model that needs more is a
    :class:`~mlops_factory._errors.FactoryError` (exit 2), not a failed check.

    Raises :class:`~mlops_factory._errors.FactoryError` when the model or the
    sample/reference files are unusable; a failed check is
    ``report.ok == False``, with reasons in ``report.problems``.
    """
    if batch_size < 1:
        raise FactoryError(
            f"batch size must be at least 1, not {batch_size}", "pass --batch-size 1 or more"
        )
    until = None if deadline is None else time.monotonic() + deadline
    if rtol < 0 or atol < 0:
        raise FactoryError(
            "--rtol and --atol must not be negative",
            "pass tolerances of 0 or more, e.g. --rtol 1e-4",
        )
    dims = dict(dims or {})
    _check_dims(dims)
    model = inspect_model_file(path, max_bytes=max_bytes)
    stages = ["infer", *(f"probe:{name}" for name in PROBES)] if probes else ["infer"]
    request: dict[str, Any] = {
        "op": "check",
        "model": str(model.path),
        "shown": str(path),
        "unknown_rank": [v.name for v in model.header.inputs if v.shape is None],
        "batch_size": batch_size,
        "dims": dims,
        "rtol": rtol,
        "atol": atol,
        "sample": data_file(sample, "sample"),
        "source": (
            f"sample {sample}"
            if sample is not None
            else f"synthesised inputs (batch size {batch_size})"
        ),
        "reference": data_file(reference, "reference"),
        "reference_shown": str(reference) if reference is not None else None,
    }
    results: dict[str, dict[str, Any]] = {}
    loaded: dict[str, Any] | None = None
    remaining = stages
    while remaining:
        started = False
        try:
            events = worker_events(
                {**request, "stages": remaining},
                timeout=timeout,
                deadline=until,
                memory_limit=memory_limit,
            )
            for event in events:
                kind = event.get("event")
                if kind == "error":
                    raise FactoryError(event["message"], event.get("hint"))
                if kind == "out_of_memory":
                    raise needs_more_memory(path, memory_limit)
                if kind == "loaded":
                    loaded, started = event, True
                elif kind == "stage":
                    results[event["stage"]] = event["result"]
            break
        except WorkerFailed as exc:
            if exc.kind == "out_of_memory":
                raise needs_more_memory(path, memory_limit) from None
            if loaded is None:
                raise FactoryError(
                    f"onnxruntime {exc.reason} while loading {path}",
                    "the model is malformed or needs an operator this onnxruntime lacks",
                ) from None
            pending = [s for s in remaining if s not in results]
            # The stage in progress when the worker died is the first without a result;
            # a worker that died while re-loading takes every pending stage with it.
            failed = pending if not started else pending[:1]
            for stage in failed:
                results[stage] = _failed_stage(stage, exc, request["source"])
            remaining = [s for s in pending if s not in results]
    assert loaded is not None
    return _report(model, str(path), loaded, results, stages)


def needs_more_memory(path: str | os.PathLike[str], limit: int | None) -> FactoryError:
    """The user error for a model that ran out of the child's address-space limit."""
    within = f" than the {human_bytes(limit)} memory limit" if limit else " memory than is free"
    return FactoryError(
        f"{path}: the model needs more{within}",
        "raise --memory-limit (e.g. --memory-limit 16GiB) if the machine has the memory, "
        "or check the model's shapes and --batch-size",
    )


def _check_dims(dims: Mapping[str, int]) -> None:
    for name, value in dims.items():
        if value < 0:
            raise FactoryError(
                f"dim {name!r} must not be negative, not {value}",
                f"pass --dim {name}=N with N of 0 or more",
            )


def data_file(path: str | os.PathLike[str] | None, what: str) -> str | None:
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise FactoryError(f"{what} file {p} does not exist", f"pass an existing --{what} file")
    if p.suffix.lower() not in SAMPLE_SUFFIXES:
        raise FactoryError(
            f"{what} file {p} has an unsupported type {p.suffix or '(none)'}",
            f"use one of {', '.join(SAMPLE_SUFFIXES)}",
        )
    return str(p.resolve())


def _failed_stage(stage: str, exc: WorkerFailed, source: str) -> dict[str, Any]:
    reason = f"onnxruntime {exc.reason}"
    if stage == "infer":
        return {"ok": False, "source": source, "error": reason}
    name = stage.removeprefix("probe:")
    return {
        "name": name,
        "title": PROBES[name][0],
        "input": None,
        "fed": PROBES[name][1],
        "expected": "reject",
        "outcome": exc.kind,
        "detail": reason,
    }


def model_info(model: ModelFile, shown: str, loaded: Mapping[str, Any] | None) -> ModelInfo:
    """Facts about ``model`` from its header and, when given, onnxruntime's view."""
    h = model.header
    return ModelInfo(
        path=shown,
        size_bytes=model.size,
        external_data_bytes=model.external_bytes,
        external_files=model.external_files,
        ir_version=h.ir_version,
        opsets=dict(sorted(h.opsets.items())),
        producer_name=h.producer_name,
        producer_version=h.producer_version,
        model_version=h.model_version,
        graph_name=h.graph_name,
        description=(loaded or {}).get("description", ""),
        metadata=dict((loaded or {}).get("metadata", {})),
    )


def _report(
    model: ModelFile,
    shown: str,
    loaded: dict[str, Any],
    results: dict[str, dict[str, Any]],
    stages: list[str],
) -> ModelCheckReport:
    return ModelCheckReport(
        model=model_info(model, shown, loaded),
        inputs=tuple(TensorSpec.from_dict(s) for s in loaded["inputs"]),
        outputs=tuple(TensorSpec.from_dict(s) for s in loaded["outputs"]),
        inference=Inference.from_dict(results["infer"]),
        probes=tuple(ProbeResult.from_dict(results[s]) for s in stages if s.startswith("probe:")),
        onnxruntime_version=str(loaded.get("onnxruntime_version", "")),
    )
