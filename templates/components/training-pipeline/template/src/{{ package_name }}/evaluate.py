"""Evaluation: metrics on held-out data and the minimum quality a model must reach."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from .features import to_matrix
from .schema import DataSchema


class QualityGateError(Exception):
    """The model is below the configured minimum quality."""


def evaluate(model: object, frame: pd.DataFrame, schema: DataSchema) -> dict[str, float]:
    """Classification metrics of ``model`` on labelled records."""
    matrix = to_matrix(frame, schema)
    truth = frame[schema.target].to_numpy()
    probability = np.asarray(model.predict_proba(matrix))[:, 1]  # type: ignore[attr-defined]
    predicted = (probability >= 0.5).astype(int)
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "precision": float(precision_score(truth, predicted, zero_division=0)),
        "recall": float(recall_score(truth, predicted, zero_division=0)),
        "f1": float(f1_score(truth, predicted, zero_division=0)),
        "roc_auc": float(roc_auc_score(truth, probability)),
    }


def quality_failures(metrics: Mapping[str, float], minimums: Mapping[str, float]) -> list[str]:
    """The metrics below their minimum, as sentences (empty when the model is good enough)."""
    return [
        f"{name} {metrics[name]:.4f} is below the minimum {minimum}"
        for name, minimum in minimums.items()
        if metrics[name] < minimum
    ]
