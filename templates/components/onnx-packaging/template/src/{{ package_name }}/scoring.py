"""Scoring with onnxruntime, and the log of what was scored.

Serving and batch scoring both go through :class:`OnnxScorer`: schema validation, the same
feature code as training, then the ONNX model. Neither needs scikit-learn or MLflow.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from .features import to_matrix
from .schema import DataSchema


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one record."""

    label: int
    probability: float


class OnnxScorer:
    """An exported model (``model.onnx`` plus its ``model.json`` metadata), ready to score."""

    def __init__(self, model_path: Path, metadata_path: Path, schema: DataSchema) -> None:
        self.schema = schema
        self.metadata: dict[str, Any] = json.loads(metadata_path.read_text(encoding="utf-8"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name

    @property
    def version(self) -> str:
        return str(self.metadata.get("model_version", "unknown"))

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class for validated records."""
        outputs = self.session.run(None, {self.input_name: to_matrix(frame, self.schema)})
        return np.asarray(outputs[1], dtype=np.float64)[:, 1]

    def predict_frame(self, frame: pd.DataFrame) -> list[Prediction]:
        """Validate ``frame`` against the schema (raises ``SchemaError``) and score it."""
        checked = self.schema.check(frame, with_target=False)
        threshold = float(self.metadata.get("threshold", 0.5))
        return [
            Prediction(label=int(p >= threshold), probability=float(p))
            for p in self.probabilities(checked)
        ]

    def predict_records(self, records: Sequence[Mapping[str, Any]]) -> list[Prediction]:
        """Score records given as mappings of column name to value."""
        return self.predict_frame(pd.DataFrame.from_records(list(records)))


class InferenceLog:
    """Appends scored inputs and predictions as JSON lines (thread-safe).

    This is the data the drift monitor compares with the training reference.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()

    def log_predictions(
        self,
        records: Sequence[Mapping[str, Any]],
        predictions: Sequence[Prediction],
        model_version: str,
        source: str,
    ) -> None:
        if self.path is None:
            return
        stamp = datetime.now(UTC).isoformat()
        lines = [
            json.dumps(
                {
                    "timestamp": stamp,
                    "source": source,
                    "model_version": model_version,
                    "inputs": dict(record),
                    "label": prediction.label,
                    "probability": round(prediction.probability, 6),
                }
            )
            for record, prediction in zip(records, predictions, strict=True)
        ]
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")


def inference_log(config: Mapping[str, Any]) -> InferenceLog:
    """The inference log configured in ``scoring.inference_log``."""
    settings = config["scoring"].get("inference_log") or {}
    enabled = bool(settings.get("enabled", False))
    return InferenceLog(Path(settings["path"]) if enabled else None)


def read_inference_log(path: Path, limit: int | None = None) -> pd.DataFrame:
    """The logged inputs (most recent ``limit`` rows) as a frame of input columns."""
    if not path.is_file():
        return pd.DataFrame()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if limit is not None:
        rows = rows[-limit:]
    return pd.DataFrame.from_records([row["inputs"] for row in rows])


def load_scorer(config: Mapping[str, Any], schema: DataSchema) -> OnnxScorer:
    """The scorer for the configured model files (raises FileNotFoundError if not exported)."""
    settings = config["scoring"]
    model_path, metadata_path = Path(settings["model_path"]), Path(settings["metadata_path"])
    for path in (model_path, metadata_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: run the training pipeline first")
    return OnnxScorer(model_path, metadata_path, schema)
