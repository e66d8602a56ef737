"""ONNX packaging: are there .onnx models, and do they load and run?

Model files are data, not code: they are opened with onnxruntime in a child
process running our worker (see :mod:`mlops_factory._onnx._isolate`), so a
model that crashes onnxruntime fails the check instead of the assessment.
Only files in the snapshot's index are considered (symlinks out of the repo
never are), external data must sit inside the model's folder, and models over
:data:`~mlops_factory._onnx.ASSESS_MAX_BYTES` are not loaded.
"""

from __future__ import annotations

import os

from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.snapshot import FileEntry, RepoSnapshot

_CACHE_KEY = "onnx.load_results"


def _models(snap: RepoSnapshot) -> list[FileEntry]:
    return snap.by_suffix(".onnx")


@signal("onnx_files", "The repository holds ONNX model files (.onnx).")
def onnx_files(snap: RepoSnapshot) -> SignalResult:
    from mlops_factory._onnx._validate import human_bytes

    evidence = []
    for entry in _models(snap):
        try:
            size = os.stat(snap.root / entry.path).st_size
            note = f"ONNX model file, {human_bytes(size)}"
        except OSError:
            note = "ONNX model file (size unknown)"
        evidence.append(Evidence(entry.path, note=note))
    return result("onnx_files", evidence)


@signal(
    "onnx_models_load",
    "Every .onnx file (up to a size cap) loads with onnxruntime and runs on synthesised input.",
)
def onnx_models_load(snap: RepoSnapshot) -> SignalResult:
    from mlops_factory._onnx import smoke_test

    entries = _models(snap)
    if not entries:
        return result("onnx_models_load", [])
    results = snap.cache.get(_CACHE_KEY)
    if results is None:
        models = [(e.path, snap.root / e.path) for e in entries]
        results = smoke_test(models, root=snap.root)
        snap.cache[_CACHE_KEY] = results
    evidence = []
    for r in results:
        if r.status == "loaded":
            evidence.append(Evidence(r.name, note=f"{r.reason} with onnxruntime"))
        elif r.status == "failed":
            evidence.append(Evidence(r.name, note=f"broken model: {r.reason}"))
        else:
            evidence.append(Evidence(r.name, note=f"not loaded: {r.reason}", weak=True))
    loaded = any(r.status == "loaded" for r in results)
    failed = any(r.status == "failed" for r in results)
    return result("onnx_models_load", evidence, found=loaded and not failed)
