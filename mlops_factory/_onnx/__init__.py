"""Validate and profile ONNX models with onnxruntime.

Importing this package is cheap (standard library only): onnxruntime and
numpy run in a child process (:mod:`._worker`), so a model that crashes
onnxruntime fails a check instead of ending the caller.
"""

from __future__ import annotations

from mlops_factory._onnx._check import check_model
from mlops_factory._onnx._profile import profile_model, recommend
from mlops_factory._onnx._report import (
    ArraySummary,
    Inference,
    Machine,
    ModelCheckReport,
    ModelInfo,
    OutputParity,
    Parity,
    ProbeResult,
    ProfileReport,
    ProfileResult,
    Setting,
    TensorSpec,
)
from mlops_factory._onnx._smoke import ASSESS_MAX_BYTES, LoadResult, smoke_test
from mlops_factory._onnx._validate import DEFAULT_MAX_BYTES, ModelFile, inspect_model_file

__all__ = [
    "ASSESS_MAX_BYTES",
    "DEFAULT_MAX_BYTES",
    "ArraySummary",
    "Inference",
    "LoadResult",
    "Machine",
    "ModelCheckReport",
    "ModelFile",
    "ModelInfo",
    "OutputParity",
    "Parity",
    "ProbeResult",
    "ProfileReport",
    "ProfileResult",
    "Setting",
    "TensorSpec",
    "check_model",
    "inspect_model_file",
    "profile_model",
    "recommend",
    "smoke_test",
]
