"""ONNX export with skl2onnx, checked for parity with the scikit-learn model.

The exported ``model.onnx`` is what the service and the batch job run (onnxruntime, no
scikit-learn at serving time). ``model.json`` beside it records where the model came
from and the parity measured at export.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType

from .features import feature_names, to_matrix
from .schema import DataSchema

MODEL_FILE = "model.onnx"
METADATA_FILE = "model.json"
INPUT_NAME = "features"


class ParityError(Exception):
    """The ONNX model does not reproduce the scikit-learn model's predictions."""


@dataclass(frozen=True)
class ExportResult:
    model_path: Path
    metadata_path: Path
    max_abs_diff: float


def convert(model: Any, n_features: int, target_opset: Mapping[str, int]) -> bytes:
    """The ONNX bytes of a fitted scikit-learn classifier taking a float32 matrix."""
    onnx_model = to_onnx(
        model,
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
        options={"zipmap": False},  # a plain probability tensor instead of a list of dicts
        target_opset={"": int(target_opset["main"]), "ai.onnx.ml": int(target_opset["ml"])},
    )
    return onnx_model.SerializeToString()


def onnx_probabilities(model_bytes: bytes | Path, matrix: np.ndarray) -> np.ndarray:
    """Positive-class probabilities computed by onnxruntime."""
    source = str(model_bytes) if isinstance(model_bytes, Path) else model_bytes
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: matrix})
    return np.asarray(outputs[1], dtype=np.float64)[:, 1]


def parity(model: Any, model_bytes: bytes | Path, matrix: np.ndarray) -> float:
    """Largest absolute difference of probabilities between scikit-learn and ONNX."""
    native = np.asarray(model.predict_proba(matrix), dtype=np.float64)[:, 1]
    return float(np.max(np.abs(native - onnx_probabilities(model_bytes, matrix))))


def export_model(
    model: Any,
    output_dir: Path,
    schema: DataSchema,
    check_frame: pd.DataFrame,
    scoring_config: Mapping[str, Any],
    metadata: Mapping[str, Any],
) -> ExportResult:
    """Convert ``model``, check parity on ``check_frame`` and write model + metadata."""
    names = feature_names(schema)
    model_bytes = convert(model, len(names), scoring_config["target_opset"])
    diff = parity(model, model_bytes, to_matrix(check_frame, schema))
    tolerance = float(scoring_config["parity_tolerance"])
    if diff > tolerance:
        raise ParityError(f"ONNX differs from scikit-learn by {diff:.2e} (> {tolerance:.0e})")
    output_dir.mkdir(parents=True, exist_ok=True)
    model_path = output_dir / MODEL_FILE
    metadata_path = output_dir / METADATA_FILE
    model_path.write_bytes(model_bytes)
    document = {
        **metadata,
        "feature_names": names,
        "input_name": INPUT_NAME,
        "threshold": 0.5,
        "parity_max_abs_diff": diff,
        "exported_at": datetime.now(UTC).isoformat(),
    }
    metadata_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return ExportResult(model_path, metadata_path, diff)
