"""Does each model load and run? One isolated worker for many files (used by assess)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlops_factory._errors import FactoryError
from mlops_factory._onnx._isolate import WorkerFailed, worker_events
from mlops_factory._onnx._validate import LfsPointer, ModelTooLarge, inspect_model_file

#: Models above this size (with external data) are not loaded during an assessment.
ASSESS_MAX_BYTES = 200 * 1024**2

LoadStatus = Literal["loaded", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Whether one model file loaded and ran on synthesised inputs.

    ``skipped`` means it was not tried (over the cap, or a Git LFS pointer),
    which is no evidence either way.
    """

    name: str
    status: LoadStatus
    reason: str


def smoke_test(
    models: Sequence[tuple[str, Path]],
    *,
    root: Path | None = None,
    max_bytes: int = ASSESS_MAX_BYTES,
    timeout: float = 60.0,
) -> list[LoadResult]:
    """Load each ``(name, path)`` with onnxruntime and run it once on synthesised inputs.

    Files are checked first (size cap, external data inside the model's folder,
    inside ``root`` when given); only those that pass reach onnxruntime, all in
    one child process that is restarted after a crash. ``timeout`` bounds each
    model. Never raises for a bad model: each gets a :class:`LoadResult`.
    """
    out: dict[int, LoadResult] = {}
    todo: list[tuple[int, dict[str, Any]]] = []
    for i, (name, path) in enumerate(models):
        try:
            model = inspect_model_file(path, max_bytes=max_bytes, root=root, shown=name)
        except (ModelTooLarge, LfsPointer) as exc:
            out[i] = LoadResult(name, "skipped", exc.message)
            continue
        except FactoryError as exc:
            out[i] = LoadResult(name, "failed", exc.message)
            continue
        unknown = [v.name for v in model.header.inputs if v.shape is None]
        todo.append((i, {"path": str(model.path), "unknown_rank": unknown}))
    while todo:
        request = {"op": "smoke", "models": [m for _, m in todo]}
        try:
            for event in worker_events(request, timeout=timeout):
                if event.get("event") != "smoke":
                    continue
                i = todo[int(event["index"])][0]
                name = models[i][0]
                if event.get("ok"):
                    n_in, n_out = len(event.get("inputs", ())), len(event.get("outputs", ()))
                    out[i] = LoadResult(name, "loaded", f"loads and runs ({n_in} in, {n_out} out)")
                else:
                    stage = "does not load" if event.get("stage") == "load" else "fails to run"
                    out[i] = LoadResult(name, "failed", f"{stage}: {event.get('error')}")
            todo = []
        except WorkerFailed as exc:
            pending = [(i, m) for i, m in todo if i not in out]
            if pending:
                i = pending[0][0]
                out[i] = LoadResult(models[i][0], "failed", f"onnxruntime {exc.reason}")
            todo = pending[1:]
    return [out[i] for i in range(len(models))]
