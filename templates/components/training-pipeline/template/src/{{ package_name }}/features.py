"""Features: one function turns validated records into the model's input matrix.

Training, the ONNX export, the service and the batch job all call ``build_features``, so
the model always sees the same columns in the same order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import DataSchema


def feature_names(schema: DataSchema) -> list[str]:
    """Names of the model's input columns, in order."""
    names: list[str] = []
    for spec in schema.fields:
        if spec.type == "category":
            names.extend(f"{spec.name}={value}" for value in spec.allowed)
        else:
            names.append(spec.name)
    names.extend(["log_tenure_months", "support_calls_per_year"])
    return names


def build_features(frame: pd.DataFrame, schema: DataSchema) -> pd.DataFrame:
    """The model's input columns (float32) for validated records."""
    columns: dict[str, pd.Series] = {}
    for spec in schema.fields:
        if spec.type == "category":
            values = frame[spec.name].astype(str)
            for allowed in spec.allowed:
                columns[f"{spec.name}={allowed}"] = (values == allowed).astype("float32")
        else:
            columns[spec.name] = frame[spec.name].astype("float32")
    tenure = frame["tenure_months"].astype("float64")
    columns["log_tenure_months"] = np.log1p(tenure).astype("float32")
    years = np.maximum(tenure / 12.0, 1.0)
    columns["support_calls_per_year"] = (frame["support_calls"] / years).astype("float32")
    features = pd.DataFrame(columns, index=frame.index)
    return features[feature_names(schema)]


def to_matrix(frame: pd.DataFrame, schema: DataSchema) -> np.ndarray:
    """``build_features`` as a contiguous float32 matrix (what the models consume)."""
    return np.ascontiguousarray(build_features(frame, schema).to_numpy(dtype=np.float32))
