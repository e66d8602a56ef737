"""Features: one function turns validated columns into the model's input matrix.

Training, the ONNX export, the service and the batch job all call ``feature_matrix``
(through ``to_matrix`` for data frames), so the model always sees the same columns in the
same order. It works on plain column arrays, so the service scores a request without
building a data frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .schema import DataSchema

DERIVED = ("log_tenure_months", "support_calls_per_year")


def feature_names(schema: DataSchema) -> list[str]:
    """Names of the model's input columns, in order."""
    names: list[str] = []
    for spec in schema.fields:
        if spec.type == "category":
            names.extend(f"{spec.name}={value}" for value in spec.allowed)
        else:
            names.append(spec.name)
    names.extend(DERIVED)
    return names


def feature_matrix(
    columns: Mapping[str, Sequence[Any] | np.ndarray], schema: DataSchema
) -> np.ndarray:
    """The model's input (a C-contiguous float32 matrix) for validated columns of records."""
    rows = len(next(iter(columns.values())))
    width = sum(len(spec.allowed) or 1 for spec in schema.fields) + len(DERIVED)
    matrix = np.empty((rows, width), dtype=np.float32)
    position = 0
    for spec in schema.fields:
        values = np.asarray(columns[spec.name])
        if spec.type == "category":
            for allowed in spec.allowed:
                matrix[:, position] = values == allowed
                position += 1
        else:
            matrix[:, position] = values
            position += 1
    tenure = np.asarray(columns["tenure_months"], dtype=np.float64)
    matrix[:, position] = np.log1p(tenure)
    # Customers younger than a year count as one year.
    years = np.maximum(tenure / 12.0, 1.0)
    matrix[:, position + 1] = np.asarray(columns["support_calls"], dtype=np.float64) / years
    return matrix


def to_matrix(frame: pd.DataFrame, schema: DataSchema) -> np.ndarray:
    """``feature_matrix`` of the schema's columns of a validated data frame."""
    return feature_matrix({name: frame[name].to_numpy() for name in schema.feature_names}, schema)


def build_features(frame: pd.DataFrame, schema: DataSchema) -> pd.DataFrame:
    """The model's input columns (float32) as a labelled data frame, for inspection."""
    return pd.DataFrame(to_matrix(frame, schema), columns=feature_names(schema), index=frame.index)
