"""``profile_model``: latency, throughput and peak memory over a settings grid."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from mlops_factory._errors import FactoryError
from mlops_factory._onnx._check import data_file, model_info, needs_more_memory
from mlops_factory._onnx._isolate import DEFAULT_MEMORY_LIMIT, WorkerFailed, worker_events
from mlops_factory._onnx._report import (
    OPT_LEVELS,
    Machine,
    ProfileReport,
    ProfileResult,
    Setting,
)
from mlops_factory._onnx._validate import DEFAULT_MAX_BYTES, inspect_model_file

Objective = Literal["p50", "p95", "p99"]
#: Called with (settings done, settings in total, the result just measured or None at start).
Progress = Callable[[int, int, ProfileResult | None], None]

DEFAULT_OPT_LEVELS: tuple[str, ...] = OPT_LEVELS
DEFAULT_BATCH_SIZES: tuple[int, ...] = (1, 8, 32)

_MEMORY_METHODS = {
    "clear_refs": (
        "Linux: peak RSS (VmHWM) reset through /proc/self/clear_refs just before the "
        "session is created, minus the RSS at that moment; a fresh process per threads x "
        "optimisation level, batch sizes in ascending order"
    ),
    "vmhwm": (
        "Linux: growth of peak RSS (VmHWM) from just before the session is created "
        "(the peak could not be reset); a fresh process per threads x optimisation level"
    ),
    "getrusage": (
        "growth of getrusage() ru_maxrss from just before the session is created; "
        "a fresh process per threads x optimisation level"
    ),
    "unavailable": "not measured on this platform",
}


def usable_cpus() -> int:
    """CPUs this process may run on (affinity-aware where the OS tells us)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_threads() -> tuple[int, ...]:
    """1 and every usable CPU: the two ends that matter for deployment."""
    return tuple(sorted({1, usable_cpus()}))


def profile_model(
    path: str | os.PathLike[str],
    *,
    threads: Sequence[int] | None = None,
    opt_levels: Sequence[str] = DEFAULT_OPT_LEVELS,
    batch_sizes: Sequence[int] = DEFAULT_BATCH_SIZES,
    warmup: int = 10,
    runs: int = 200,
    max_seconds: float = 1.0,
    min_throughput: float | None = None,
    max_memory_mb: float | None = None,
    objective: Objective = "p50",
    sample: str | os.PathLike[str] | None = None,
    dims: Mapping[str, int] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 300.0,
    deadline: float | None = 3600.0,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    progress: Progress | None = None,
) -> ProfileReport:
    """Measure the model on every (threads, opt level, batch size) and recommend one.

    For each setting: ``warmup`` unmeasured runs, then up to ``runs`` timed
    ``InferenceSession.run`` calls, stopping early once ``max_seconds`` have
    passed (never before 10 runs). Each (threads, opt level) pair runs in a
    fresh child process, so peak memory is the session's own and a crash in
    onnxruntime fails that setting only. Inputs are synthesised (symbolic dims:
    ``dims[name]``, else the batch size) or, with ``sample``, its rows repeated
    to fill the batch.

    The recommendation is the setting with the lowest ``objective`` latency
    among those with ``throughput >= min_throughput`` (samples/s) and
    ``peak_memory_mb <= max_memory_mb``, when given. ``progress`` is called
    after each setting. ``timeout`` bounds one (threads, level) group, ``deadline``
    the whole run (settings not reached by then fail as timed out); each child runs
    under an address-space limit of ``memory_limit`` bytes. Raises
    :class:`~mlops_factory._errors.FactoryError` for an unusable model, sample or grid,
    or a model that needs more memory than the limit in every setting.
    """
    thread_list = _positive_ints(threads if threads is not None else default_threads(), "threads")
    batch_list = _positive_ints(batch_sizes, "batch sizes")
    levels = _opt_levels(opt_levels)
    if warmup < 0 or runs < 1 or max_seconds <= 0:
        raise FactoryError(
            "warm-up must be >= 0, runs >= 1 and --max-seconds > 0",
            "`mlops-factory model profile --help` lists the defaults",
        )
    if objective not in ("p50", "p95", "p99"):
        raise FactoryError(f"unknown objective {objective!r}", "use p50, p95 or p99")
    model = inspect_model_file(path, max_bytes=max_bytes)
    until = None if deadline is None else time.monotonic() + deadline
    header = model.header
    inputs = [
        {"name": v.name, "type": v.type, "shape": None if v.shape is None else list(v.shape)}
        for v in header.inputs
        if v.name not in header.initializers
    ]
    base: dict[str, Any] = {
        "op": "profile",
        "model": str(model.path),
        "inputs": inputs,
        "dims": dict(dims or {}),
        "sample": data_file(sample, "sample"),
        "batch_sizes": batch_list,
        "warmup": warmup,
        "runs": runs,
        "max_seconds": max_seconds,
    }
    total = len(thread_list) * len(levels) * len(batch_list)
    results: list[ProfileResult] = []
    info: dict[str, Any] = {}
    if progress is not None:
        progress(0, total, None)
    for t in thread_list:
        for level in levels:
            group: list[ProfileResult] = []
            try:
                request = {**base, "threads": t, "opt_level": level}
                events = worker_events(
                    request, timeout=timeout, deadline=until, memory_limit=memory_limit
                )
                for event in events:
                    kind = event.get("event")
                    if kind == "error":
                        raise FactoryError(event["message"], event.get("hint"))
                    if kind == "out_of_memory":
                        raise WorkerFailed("out_of_memory", "ran out of memory", "")
                    if kind == "info":
                        info = event
                    elif kind == "result":
                        group.append(ProfileResult.from_dict(event["result"]))
                        results.append(group[-1])
                        if progress is not None:
                            progress(len(results), total, group[-1])
            except WorkerFailed as exc:
                done = {r.setting.batch_size for r in group}
                for b in batch_list:
                    if b not in done:
                        results.append(ProfileResult(Setting(t, level, b), error=_failure(exc)))
                        if progress is not None:
                            progress(len(results), total, results[-1])
    if results and all((r.error or "").startswith("out of memory") for r in results):
        raise needs_more_memory(path, memory_limit)
    if results and all((r.error or "").startswith("session failed") for r in results):
        raise FactoryError(
            f"onnxruntime cannot load {path}: {results[0].error}",
            "run `mlops-factory model check` on it for details",
        )
    recommended, why = recommend(
        results,
        objective=objective,
        min_throughput=min_throughput,
        max_memory_mb=max_memory_mb,
    )
    machine = Machine(
        cpu_count=os.cpu_count() or 1,
        usable_cpus=usable_cpus(),
        cpu_model=str(info.get("cpu_model", platform.machine())),
        platform=platform.platform(),
        python_version=platform.python_version(),
        onnxruntime_version=str(info.get("onnxruntime_version", "unknown")),
        memory_method=_MEMORY_METHODS[str(info.get("memory_method", "unavailable"))],
    )
    return ProfileReport(
        model=model_info(model, str(path), None),
        machine=machine,
        warmup=warmup,
        runs=runs,
        max_seconds=max_seconds,
        objective=objective,
        min_throughput=min_throughput,
        max_memory_mb=max_memory_mb,
        results=tuple(results),
        recommended=recommended,
        recommendation=why,
    )


def _failure(exc: WorkerFailed) -> str:
    if exc.kind == "out_of_memory":
        return f"out of memory: onnxruntime {exc.reason}"
    return f"onnxruntime {exc.reason}"


def recommend(
    results: Sequence[ProfileResult],
    *,
    objective: Objective = "p50",
    min_throughput: float | None = None,
    max_memory_mb: float | None = None,
) -> tuple[ProfileResult | None, str]:
    """The fastest result meeting the constraints, and a sentence saying why (or why none).

    Ties on the objective go to the lower p99, then fewer threads, then the
    smaller batch.
    """
    measured = [r for r in results if r.ok]
    if not measured:
        return None, "no setting could be measured"
    limits: list[str] = []
    fits = measured
    if min_throughput is not None:
        fits = [r for r in fits if (r.throughput or 0.0) >= min_throughput]
        limits.append(f"throughput >= {min_throughput:g} samples/s")
    if max_memory_mb is not None:
        fits = [
            r for r in fits if r.peak_memory_mb is not None and r.peak_memory_mb <= max_memory_mb
        ]
        limits.append(f"peak memory <= {max_memory_mb:g} MiB")
    constraint = " and ".join(limits)
    if not fits:
        return None, f"no measured setting has {constraint}"

    def key(r: ProfileResult) -> tuple[float, float, int, int]:
        value = getattr(r, f"{objective}_ms")
        return (value, r.p99_ms or 0.0, r.setting.threads, r.setting.batch_size)

    best = min(fits, key=key)
    among = f"{len(fits)} of {len(measured)} measured settings"
    why = f"lowest {objective} latency among {among}" + (f" with {constraint}" if limits else "")
    return best, why


def _positive_ints(values: Sequence[int], what: str) -> list[int]:
    out = sorted(set(values))
    if not out or any(v < 1 for v in out):
        raise FactoryError(
            f"{what} must be one or more integers >= 1, not {list(values)}",
            "give whole numbers of 1 or more, e.g. 1,2,4",
        )
    return out


def _opt_levels(levels: Sequence[str]) -> list[str]:
    unknown = [lvl for lvl in levels if lvl not in OPT_LEVELS]
    if unknown or not levels:
        raise FactoryError(
            f"unknown optimisation level(s) {unknown or list(levels)}",
            f"use any of {', '.join(OPT_LEVELS)}",
        )
    return [lvl for lvl in OPT_LEVELS if lvl in levels]
