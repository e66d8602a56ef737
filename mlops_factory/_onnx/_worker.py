"""The child process that runs onnxruntime: ``python -P -m mlops_factory._onnx._worker``.

Models are data we do not trust; a crash or hang inside onnxruntime must end
this process, not the tool. The parent (:mod:`._isolate`) sends one JSON
request on stdin and reads one JSON event per line. File descriptor 1 is
pointed at stderr before onnxruntime is imported, so nothing native code
prints can corrupt the event stream.

Operations: ``check`` (load, infer, parity, probes), ``profile`` (one
threads x optimisation level session over ascending batch sizes) and
``smoke`` (load and run each of several models once).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import re
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

Event = dict[str, Any]
Emit = Callable[[Event], None]

_ORT_PREFIX = re.compile(r"^\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*")


class OutOfMemory(Exception):
    """An allocation failed under the address-space limit the parent set."""


def _limit_memory() -> int | None:
    """Apply the parent's address-space limit (``MLOPS_FACTORY_WORKER_MEMORY``) to this
    process before anything large is loaded; the limit in bytes, or None."""
    raw = os.environ.get("MLOPS_FACTORY_WORKER_MEMORY", "")
    if not raw.isdigit() or int(raw) <= 0:
        return None
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the timeout still bounds the child
        return None
    limit = int(raw)
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit


def _oom(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation failure (numpy's or onnxruntime's)."""
    from mlops_factory._onnx._isolate import is_out_of_memory

    return isinstance(exc, MemoryError) or is_out_of_memory(str(exc))


def main() -> int:
    """Serve one request; always ends the event stream with ``done`` or ``bug``."""
    limit = _limit_memory()
    proto_fd = os.dup(1)
    os.dup2(2, 1)  # native prints go to stderr from here on
    sys.stdout = sys.stderr
    with os.fdopen(proto_fd, "w", encoding="utf-8") as out:
        emit = _emitter(out)
        try:
            request = json.loads(sys.stdin.read())
            _OPS[request["op"]](request, emit)
        except (OutOfMemory, MemoryError) as exc:
            emit({"event": "out_of_memory", "limit": limit, "detail": clean_error(exc)})
        except Exception:
            emit({"event": "bug", "traceback": traceback.format_exc()})
            return 1
        emit({"event": "done"})
    return 0


def _emitter(out: IO[str]) -> Emit:
    def emit(event: Event) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    return emit


def clean_error(exc: BaseException) -> str:
    """onnxruntime's message without its code prefix, on one line, at most 400 chars."""
    text = _ORT_PREFIX.sub("", str(exc).strip()) or type(exc).__name__
    text = " ".join(text.split()).replace(" Please fix either the inputs/outputs or the model.", "")
    return text if len(text) <= 400 else text[:397] + "..."


# ------------------------------------------------------------------ sessions


def _session(path: str, *, threads: int | None = None, opt_level: str = "all") -> Any:
    import onnxruntime as ort

    levels = {
        "disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = levels[opt_level]
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if threads is not None:
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def _specs(sess: Any, unknown_rank: list[str]) -> tuple[list[Event], list[Event]]:
    """Inputs and outputs as TensorSpec dicts; onnxruntime shows unknown rank as []."""
    unknown = set(unknown_rank)

    def spec(arg: Any) -> Event:
        shape = arg.shape
        if arg.name in unknown and not shape:
            shape = None
        elif shape is not None:
            shape = [d if isinstance(d, (int, str)) else None for d in shape]
        return {"name": arg.name, "type": arg.type, "shape": shape}

    return [spec(a) for a in sess.get_inputs()], [spec(a) for a in sess.get_outputs()]


def _synth_feeds(specs: list[Event], batch: int, dims: dict[str, int]) -> dict[str, Any]:
    import numpy as np

    from mlops_factory._onnx._arrays import concrete_shape, synthesise

    rng = np.random.default_rng(0)
    return {
        s["name"]: synthesise(s["name"], s["type"], concrete_shape(s["shape"], batch, dims), rng)
        for s in specs
    }


def _sample_feeds(specs: list[Event], path: str) -> dict[str, Any]:
    from mlops_factory._onnx._arrays import cast_to, load_arrays

    raw = load_arrays(path, [s["name"] for s in specs], what="sample")
    return {s["name"]: cast_to(s["name"], raw[s["name"]], s["type"]) for s in specs}


def _user_error(emit: Emit, exc: Exception) -> None:
    emit({"event": "error", "message": getattr(exc, "message", str(exc)), "hint": _exc_hint(exc)})


def _exc_hint(exc: Exception) -> str | None:
    hint = getattr(exc, "hint", None)
    return hint if isinstance(hint, str) else None


def _load(request: Event, emit: Emit) -> tuple[Any, list[Event], list[Event]] | None:
    """Open the session and announce it; on failure emit a user error and return None."""
    import onnxruntime as ort

    try:
        sess = _session(request["model"])
    except Exception as exc:
        if _oom(exc):
            raise OutOfMemory(clean_error(exc)) from None
        emit(
            {
                "event": "error",
                "message": f"onnxruntime cannot load {request['shown']}: {clean_error(exc)}",
                "hint": "check the model with onnx.checker.check_model, or export it again",
            }
        )
        return None
    inputs, outputs = _specs(sess, request.get("unknown_rank", []))
    meta = sess.get_modelmeta()
    emit(
        {
            "event": "loaded",
            "inputs": inputs,
            "outputs": outputs,
            "description": meta.description or "",
            "metadata": dict(meta.custom_metadata_map or {}),
            "onnxruntime_version": ort.__version__,
        }
    )
    return sess, inputs, outputs


# ------------------------------------------------------------------ check


def _check(request: Event, emit: Emit) -> None:
    from mlops_factory._onnx._arrays import UserError, load_arrays

    loaded = _load(request, emit)
    if loaded is None:
        return
    sess, inputs, outputs = loaded
    try:
        if request.get("sample"):
            feeds = _sample_feeds(inputs, request["sample"])
        else:
            feeds = _synth_feeds(inputs, request["batch_size"], request.get("dims", {}))
        source = request["source"]
        reference = None
        if request.get("reference"):
            names = [o["name"] for o in outputs]
            reference = load_arrays(request["reference"], names, what="reference")
    except UserError as exc:
        _user_error(emit, exc)
        return
    for stage in request["stages"]:
        if stage == "infer":
            result = _infer(sess, feeds, source, reference, request)
        else:
            result = _probe(stage.removeprefix("probe:"), sess, inputs, feeds)
        emit({"event": "stage", "stage": stage, "result": result})


def _infer(
    sess: Any, feeds: dict[str, Any], source: str, reference: dict[str, Any] | None, req: Event
) -> Event:
    from mlops_factory._onnx._arrays import compare, summarise

    fed = [summarise(k, v) for k, v in feeds.items()]
    names = [o.name for o in sess.get_outputs()]
    t0 = time.perf_counter()
    try:
        values = sess.run(None, feeds)
    except Exception as exc:
        if _oom(exc):
            raise OutOfMemory(clean_error(exc)) from None
        return {"ok": False, "source": source, "feeds": fed, "error": clean_error(exc)}
    latency = (time.perf_counter() - t0) * 1000
    parity = None
    if reference is not None:
        got = dict(zip(names, values, strict=True))
        parity = {
            "reference": req["reference_shown"],
            "rtol": req["rtol"],
            "atol": req["atol"],
            "outputs": [
                compare(n, got[n], exp, req["rtol"], req["atol"]) for n, exp in reference.items()
            ],
        }
    return {
        "ok": True,
        "source": source,
        "feeds": fed,
        "outputs": [summarise(n, v) for n, v in zip(names, values, strict=True)],
        "latency_ms": latency,
        "parity": parity,
    }


def _probe(name: str, sess: Any, specs: list[Event], feeds: dict[str, Any]) -> Event:
    from mlops_factory._onnx._arrays import summarise
    from mlops_factory._onnx._report import PROBES, ArraySummary

    title = PROBES[name][0]
    plan = _PLANS[name](specs, feeds) if specs else "the model has no inputs"
    if isinstance(plan, str):
        return {
            "name": name,
            "title": title,
            "input": None,
            "fed": "",
            "expected": "either",
            "outcome": "skipped",
            "detail": plan,
        }
    target, probe_feeds, fed, expected = plan
    base = {"name": name, "title": title, "input": target, "fed": fed, "expected": expected}
    try:
        values = sess.run(None, probe_feeds)
    except Exception as exc:
        return {**base, "outcome": "rejected", "detail": clean_error(exc)}
    names = [o.name for o in sess.get_outputs()]
    outs = [summarise(n, v) for n, v in zip(names, values, strict=True)]
    shown = "; ".join(f"{o['name']} {ArraySummary.from_dict(o).describe()}" for o in outs)
    prefix = "accepted invalid input, returned " if expected == "reject" else "returned "
    return {**base, "outcome": "accepted", "detail": prefix + shown, "outputs": outs}


Plan = tuple[str | None, dict[str, Any], str, str] | str


def _fmt(arr: Any) -> str:
    dtype = "string" if arr.dtype == object else str(arr.dtype)
    return f"{dtype}[{', '.join(str(d) for d in arr.shape)}]"


def _first(specs: list[Event], test: Callable[[Event], bool]) -> Event | None:
    return next((s for s in specs if test(s)), None)


def _plan_wrong_dtype(specs: list[Event], feeds: dict[str, Any]) -> Plan:
    import numpy as np

    from mlops_factory._onnx._arrays import is_float, numpy_dtype

    spec = _first(specs, lambda s: numpy_dtype(s["type"]) is not None)
    if spec is None:
        return "no tensor input to probe"
    base = feeds[spec["name"]]
    new = base.astype(np.int64) if is_float(spec["type"]) else np.zeros(base.shape, np.float32)
    fed = f"{_fmt(new)} where {spec['type']} is declared"
    return spec["name"], {**feeds, spec["name"]: new}, fed, "reject"


def _plan_wrong_rank(specs: list[Event], feeds: dict[str, Any]) -> Plan:
    import numpy as np

    spec = _first(specs, lambda s: s["shape"] is not None)
    if spec is None:
        return "no input declares its rank, so any rank is valid"
    new = np.expand_dims(feeds[spec["name"]], -1)
    fed = f"{_fmt(new)} (rank {new.ndim}) where rank {len(spec['shape'])} is declared"
    return spec["name"], {**feeds, spec["name"]: new}, fed, "reject"


def _plan_wrong_features(specs: list[Event], feeds: dict[str, Any]) -> Plan:
    import numpy as np

    spec = _first(specs, lambda s: bool(s["shape"]) and isinstance(s["shape"][-1], int))
    if spec is None:
        return "no input has a fixed last axis (the feature count is symbolic)"
    base = feeds[spec["name"]]
    new = np.resize(base, (*base.shape[:-1], base.shape[-1] + 1))
    fed = f"{_fmt(new)} where {spec['shape'][-1]} values on the last axis are declared"
    return spec["name"], {**feeds, spec["name"]: new}, fed, "reject"


def _nonfinite(specs: list[Event], feeds: dict[str, Any], *, inf: bool) -> Plan:
    from mlops_factory._onnx._arrays import is_float

    spec = _first(specs, lambda s: is_float(s["type"]) and feeds[s["name"]].size > 0)
    if spec is None:
        return "no non-empty float input"
    new = feeds[spec["name"]].copy()
    if inf:
        new.flat[0] = float("inf")
        new.flat[-1] = float("-inf") if new.size > 1 else new.flat[-1]
        fed = f"{_fmt(new)} with +inf" + (" and -inf" if new.size > 1 else "")
    else:
        new.flat[0] = float("nan")
        fed = f"{_fmt(new)} with one NaN"
    return spec["name"], {**feeds, spec["name"]: new}, fed, "either"


def _plan_empty_batch(specs: list[Event], feeds: dict[str, Any]) -> Plan:
    batched = [s for s in specs if s["shape"] is None or len(s["shape"]) >= 1]
    if not batched:
        return "every input is a scalar; there is no batch axis"
    new = dict(feeds)
    for s in batched:
        new[s["name"]] = feeds[s["name"]][:0]
    fixed = [s for s in batched if s["shape"] and isinstance(s["shape"][0], int) and s["shape"][0]]
    expected = "reject" if fixed else "either"
    target = batched[0]["name"]
    fed = ", ".join(f"{s['name']} {_fmt(new[s['name']])}" for s in batched)
    if fixed:
        fed += f" where {fixed[0]['name']} declares a batch of {fixed[0]['shape'][0]}"
    return target, new, fed, expected


_PLANS: dict[str, Callable[[list[Event], dict[str, Any]], Plan]] = {
    "wrong_dtype": _plan_wrong_dtype,
    "wrong_rank": _plan_wrong_rank,
    "wrong_features": _plan_wrong_features,
    "nan": lambda specs, feeds: _nonfinite(specs, feeds, inf=False),
    "inf": lambda specs, feeds: _nonfinite(specs, feeds, inf=True),
    "empty_batch": _plan_empty_batch,
}


# ------------------------------------------------------------------ profile


class _Memory:
    """Peak resident memory of what happens between :meth:`start` and :meth:`peak_mb`."""

    def __init__(self) -> None:
        self.base_kib = 0
        self.method = "unavailable"
        if _proc_kib("VmHWM") is not None:
            try:
                with open("/proc/self/clear_refs", "w") as fh:
                    fh.write("5")
                self.method = "clear_refs"
            except OSError:
                self.method = "vmhwm"
        elif _rusage_kib() is not None:
            self.method = "getrusage"

    def start(self) -> None:
        gc.collect()
        if self.method == "clear_refs":
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")  # peak RSS := current RSS
            self.base_kib = _proc_kib("VmRSS") or 0
        elif self.method == "vmhwm":
            self.base_kib = _proc_kib("VmHWM") or 0
        elif self.method == "getrusage":
            self.base_kib = _rusage_kib() or 0

    def peak_mb(self) -> float | None:
        now = _proc_kib("VmHWM") if self.method in ("clear_refs", "vmhwm") else _rusage_kib()
        if now is None or self.method == "unavailable":
            return None
        return max(0, now - self.base_kib) / 1024


def _proc_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _rusage_kib() -> int | None:
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS reports bytes


def _profile_group(request: Event, emit: Emit) -> None:
    import numpy as np
    import onnxruntime as ort

    from mlops_factory._onnx._arrays import UserError

    memory = _Memory()
    emit(
        {
            "event": "info",
            "onnxruntime_version": ort.__version__,
            "memory_method": memory.method,
            "cpu_model": _cpu_model(),
        }
    )
    threads, opt = request["threads"], request["opt_level"]
    sizes: list[int] = sorted(request["batch_sizes"])

    def result(batch: int, **fields: Any) -> None:
        setting = {"threads": threads, "opt_level": opt, "batch_size": batch}
        emit({"event": "result", "result": {"settings": setting, **fields}})

    # Build every input before the baseline so only the session is measured.
    specs = request["inputs"]
    feeds_by_batch: dict[int, dict[str, Any] | str] = {}
    try:
        sample = _sample_feeds(specs, request["sample"]) if request.get("sample") else None
        for b in sizes:
            feeds_by_batch[b] = _batch_feeds(specs, b, request.get("dims", {}), sample, np)
    except UserError as exc:
        _user_error(emit, exc)
        return
    memory.start()
    try:
        sess = _session(request["model"], threads=threads, opt_level=opt)
    except Exception as exc:
        if _oom(exc):
            raise OutOfMemory(clean_error(exc)) from None
        for b in sizes:
            result(b, error=f"session failed: {clean_error(exc)}")
        return
    for b in sizes:
        feeds = feeds_by_batch[b]
        if isinstance(feeds, str):
            result(b, error=feeds)
            continue
        try:
            lat = _time_runs(
                sess, feeds, request["warmup"], request["runs"], request["max_seconds"]
            )
        except Exception as exc:
            if _oom(exc):
                result(b, error=f"out of memory: {clean_error(exc)}")
                continue
            result(b, error=f"run failed: {clean_error(exc)}")
            continue
        ms = np.asarray(lat, dtype=np.float64) / 1e6
        p50, p95, p99 = (float(x) for x in np.percentile(ms, [50, 95, 99]))
        result(
            b,
            runs=len(lat),
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=p99,
            mean_ms=float(ms.mean()),
            throughput=b * len(lat) / (float(ms.sum()) / 1000),
            peak_memory_mb=memory.peak_mb(),
        )


def _batch_feeds(
    specs: list[Event], batch: int, dims: dict[str, int], sample: dict[str, Any] | None, np: Any
) -> dict[str, Any] | str:
    """Inputs for one batch size, or why this batch size cannot be fed."""
    for s in specs:
        shape = s["shape"]
        if shape and isinstance(shape[0], int) and shape[0] >= 0 and shape[0] != batch:
            return f"input {s['name']!r} has a fixed batch dimension of {shape[0]}"
    if sample is None:
        return _synth_feeds(specs, batch, dims)
    out: dict[str, Any] = {}
    for s in specs:
        arr = sample[s["name"]]
        shape = s["shape"]
        if (shape is not None and len(shape) == 0) or arr.ndim == 0:
            out[s["name"]] = arr
        elif arr.shape[0] == 0:
            return f"sample for {s['name']!r} has no rows"
        else:
            out[s["name"]] = np.take(arr, np.arange(batch) % arr.shape[0], axis=0)
    return out


def _time_runs(
    sess: Any, feeds: dict[str, Any], warmup: int, runs: int, max_seconds: float
) -> list[int]:
    """Latencies in ns of up to ``runs`` calls, stopping after ``max_seconds``
    (but never before ``min(runs, 10)`` calls)."""
    run = sess.run
    for _ in range(warmup):
        run(None, feeds)
    clock = time.perf_counter_ns
    floor = min(runs, 10)
    deadline = clock() + int(max_seconds * 1e9)
    lat: list[int] = []
    append = lat.append
    for _ in range(runs):
        t0 = clock()
        run(None, feeds)
        t1 = clock()
        append(t1 - t0)
        if t1 > deadline and len(lat) >= floor:
            break
    return lat


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# ------------------------------------------------------------------ smoke


def _smoke(request: Event, emit: Emit) -> None:
    from mlops_factory._onnx._arrays import UserError

    for index, model in enumerate(request["models"]):
        event: Event = {"event": "smoke", "index": index}
        try:
            sess = _session(model["path"], threads=1)
        except Exception as exc:
            emit({**event, "ok": False, "stage": "load", "error": clean_error(exc)})
            continue
        inputs, outputs = _specs(sess, model.get("unknown_rank", []))
        try:
            feeds = _synth_feeds(inputs, 1, {})
            sess.run(None, feeds)
        except UserError as exc:
            emit({**event, "ok": False, "stage": "run", "error": exc.message})
            continue
        except Exception as exc:
            emit({**event, "ok": False, "stage": "run", "error": clean_error(exc)})
            continue
        emit({**event, "ok": True, "stage": "run", "inputs": inputs, "outputs": outputs})
        del sess


_OPS: dict[str, Callable[[Event, Emit], None]] = {
    "check": _check,
    "profile": _profile_group,
    "smoke": _smoke,
}


if __name__ == "__main__":
    raise SystemExit(main())
