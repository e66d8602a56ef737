"""Scoring with onnxruntime, and the log of what was scored.

Serving and batch scoring both go through :class:`OnnxScorer`: the same feature code as
training, then the ONNX model. Neither needs scikit-learn or MLflow. Records are validated
once, by the caller (the service's request model, or the schema for files), and then scored
from plain column arrays.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from .features import feature_matrix
from .schema import DataSchema

logger = logging.getLogger(__name__)


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
        self.threshold = float(self.metadata.get("threshold", 0.5))
        options = ort.SessionOptions()
        # One thread per request: the service scales with worker processes, not threads.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        # Only the probabilities: the label follows from the threshold in model.json.
        self.output_names = [self.session.get_outputs()[1].name]

    @property
    def version(self) -> str:
        return str(self.metadata.get("model_version", "unknown"))

    def probabilities(self, columns: Mapping[str, Sequence[Any] | np.ndarray]) -> np.ndarray:
        """Probability of the positive class for VALIDATED columns of records."""
        matrix = feature_matrix(columns, self.schema)
        (probabilities,) = self.session.run(self.output_names, {self.input_name: matrix})
        return np.asarray(probabilities, dtype=np.float64)[:, 1]

    def predict_columns(
        self, columns: Mapping[str, Sequence[Any] | np.ndarray]
    ) -> list[Prediction]:
        """Score VALIDATED columns of records (the caller checked them against the schema)."""
        return [
            Prediction(label=int(p >= self.threshold), probability=float(p))
            for p in self.probabilities(columns)
        ]

    def predict_frame(self, frame: pd.DataFrame) -> list[Prediction]:
        """Validate ``frame`` against the schema (raises ``SchemaError``) and score it."""
        checked = self.schema.check(frame, with_target=False)
        return self.predict_columns({n: checked[n].to_numpy() for n in self.schema.feature_names})

    def predict_records(self, records: Sequence[Mapping[str, Any]]) -> list[Prediction]:
        """Validate and score records given as mappings of column name to value."""
        return self.predict_frame(pd.DataFrame.from_records(list(records)))


def _log_lines(
    records: Sequence[Mapping[str, Any]],
    predictions: Sequence[Prediction],
    model_version: str,
    source: str,
    when: float,
) -> str:
    """JSON lines of scored records; ``when`` is a POSIX timestamp."""
    # The fields shared by the records of one call are encoded once.
    shared = json.dumps(
        {
            "timestamp": datetime.fromtimestamp(when, UTC).isoformat(),
            "source": source,
            "model_version": model_version,
        }
    )[:-1]
    return "".join(
        f'{shared}, "inputs": {json.dumps(record)}, "label": {prediction.label}, '
        f'"probability": {round(prediction.probability, 6)}}}\n'
        for record, prediction in zip(records, predictions, strict=True)
    )


class InferenceLog:
    """Appends scored inputs and predictions as JSON lines (thread-safe, synchronous).

    This is the data the drift monitor compares with the training reference. Each append
    is one write of whole lines in append mode, so several processes (service workers)
    can share the file.
    """

    def __init__(self, path: Path | None, sink: Callable[[str], None] | None = None) -> None:
        self.path = path
        # Also send every appended text to the monitored store (see store.inference_sink).
        self.sink = sink
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
        self._append(_log_lines(records, predictions, model_version, source, time.time()))

    def _append(self, text: str) -> None:
        if self.path is None or not text:
            return
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(text)
        if self.sink is not None:
            try:
                self.sink(text)
            except Exception:  # the local file has the entries; the next append retries
                logger.exception("could not send %d bytes to the monitored store", len(text))

    def start(self) -> None:
        """Nothing to start: writes happen in the caller."""

    def flush(self, timeout: float = 5.0) -> bool:
        """Everything logged so far is on disk (always true here)."""
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Nothing to stop."""


class BackgroundInferenceLog(InferenceLog):
    """The inference log of the service: a request only appends its entries to a buffer.

    A daemon thread wakes every ``interval`` seconds and writes whatever is buffered in one
    append, so scoring never waits for the disk, and requests never wake a thread (on a
    busy single-core worker, a wake-up per request costs more than the write). The buffer
    is bounded: when the disk cannot keep up, entries are dropped and counted
    (``dropped``) instead of growing memory or slowing requests.
    """

    def __init__(
        self,
        path: Path | None,
        max_pending: int = 10_000,
        interval: float = 0.2,
        sink: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(path, sink)
        self.dropped = 0
        self.max_pending = max_pending
        self.interval = interval
        self._pending: deque[tuple[Any, ...]] = deque()
        self._drain_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def log_predictions(
        self,
        records: Sequence[Mapping[str, Any]],
        predictions: Sequence[Prediction],
        model_version: str,
        source: str,
    ) -> None:
        if self.path is None:
            return
        if len(self._pending) >= self.max_pending:
            self.dropped += len(records)
            return
        self._pending.append((records, predictions, model_version, source, time.time()))

    def start(self) -> None:
        if self.path is not None and self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="inference-log", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.flush()

    def flush(self, timeout: float = 5.0) -> bool:
        """Write every entry buffered so far (False if another writer held it ``timeout``)."""
        if not self._drain_lock.acquire(timeout=timeout):
            return False
        try:
            entries = []
            while self._pending:
                entries.append(self._pending.popleft())
            if entries:
                try:
                    self._append("".join(_log_lines(*entry) for entry in entries))
                except OSError:
                    logger.exception("could not append %d entries to %s", len(entries), self.path)
            return True
        finally:
            self._drain_lock.release()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the writer thread, then write what is still buffered."""
        if self._thread is not None:
            self._stopping.set()
            self._thread.join(timeout)
            self._thread = None
        self.flush(timeout)


def inference_log(
    config: Mapping[str, Any],
    background: bool = False,
    sink: Callable[[str], None] | None = None,
) -> InferenceLog:
    """The inference log configured in ``scoring.inference_log`` (buffered with ``background``).

    ``sink`` also receives every appended text (the monitored store).
    """
    settings = config["scoring"].get("inference_log") or {}
    enabled = bool(settings.get("enabled", False))
    path = Path(settings["path"]) if enabled else None
    if background:
        pending, interval = int(settings.get("max_pending", 10_000)), settings.get("interval", 0.2)
        return BackgroundInferenceLog(path, pending, float(interval), sink)
    return InferenceLog(path, sink)


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
