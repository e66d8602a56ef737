"""Training: build the estimator named in configs/training.yaml and fit it, seeded."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import skops.io
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .features import to_matrix
from .schema import DataSchema

MODEL_FILE = "model.skops"
#: Types skops must be told to trust when loading our own tree models.
TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]


def build_model(model_config: Mapping[str, Any], seed: int) -> Pipeline:
    """An unfitted pipeline for the configured model type."""
    kind = model_config.get("type", "logistic_regression")
    params = dict(model_config.get("params") or {})
    if kind == "logistic_regression":
        estimator = LogisticRegression(random_state=seed, **params)
        return Pipeline([("scale", StandardScaler()), ("model", estimator)])
    if kind == "random_forest":
        # No scaler: trees do not need one, and scikit-learn scales in float64 where ONNX
        # scales in float32, which moves values across split thresholds (ONNX parity).
        forest = RandomForestClassifier(random_state=seed, **params)
        return Pipeline([("model", forest)])
    raise ValueError(f"unknown model type {kind!r} (logistic_regression, random_forest)")


def train(
    frame: pd.DataFrame, schema: DataSchema, model_config: Mapping[str, Any], seed: int
) -> Pipeline:
    """Fit the configured model on validated training records."""
    model = build_model(model_config, seed)
    model.fit(to_matrix(frame, schema), frame[schema.target].to_numpy())
    return model


def save_model(model: Pipeline, model_dir: Path) -> Path:
    """Persist a fitted model with skops (no pickle)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / MODEL_FILE
    skops.io.dump(model, path)
    return path


def load_model(model_dir: Path) -> Pipeline:
    """Load a model written by :func:`save_model`."""
    return skops.io.load(model_dir / MODEL_FILE, trusted=TRUSTED_TYPES)
