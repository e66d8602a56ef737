"""The data contract (configs/schema.yaml) and its validation.

The same schema checks the training data, every batch file and (through the request
model built from it) every request to the service, so what the model was trained on and
what it is asked to score cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

TYPES = ("integer", "number", "category")


class SchemaError(ValueError):
    """Data does not satisfy the schema; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class FieldSpec:
    """One input column."""

    name: str
    type: str
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataSchema:
    """Columns of a record: an optional id, the features and the target."""

    fields: tuple[FieldSpec, ...]
    target: str
    target_values: tuple[int, ...]
    id_column: str | None = None

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def row_problems(self, frame: pd.DataFrame, *, with_target: bool) -> pd.Series:
        """Per row, the problems found (empty string when the row is valid).

        Columns that are missing altogether are reported by :meth:`validate`, not here.
        """
        problems = pd.Series("", index=frame.index, dtype=object)

        def flag(mask: pd.Series, message: str) -> None:
            problems.loc[mask] = problems.loc[mask] + message + "; "

        for spec in self.fields:
            if spec.name not in frame.columns:
                continue
            column = frame[spec.name]
            missing = column.isna()
            flag(missing, f"{spec.name} is missing")
            present = ~missing
            if spec.type == "category":
                flag(present & ~column.astype(str).isin(spec.allowed), f"{spec.name} not allowed")
                continue
            numeric = pd.to_numeric(column, errors="coerce")
            flag(present & numeric.isna(), f"{spec.name} is not a number")
            valid = present & numeric.notna()
            if spec.type == "integer":
                flag(valid & (numeric != np.floor(numeric)), f"{spec.name} is not an integer")
            if spec.min is not None:
                flag(valid & (numeric < spec.min), f"{spec.name} below {spec.min}")
            if spec.max is not None:
                flag(valid & (numeric > spec.max), f"{spec.name} above {spec.max}")
        if with_target and self.target in frame.columns:
            flag(~frame[self.target].isin(self.target_values), f"{self.target} not a class")
        return problems.str.rstrip("; ")

    def validate(self, frame: pd.DataFrame, *, with_target: bool = True) -> list[str]:
        """Every problem of ``frame``, as readable sentences (empty when valid)."""
        required = self.feature_names + ([self.target] if with_target else [])
        errors = [f"missing column {name!r}" for name in required if name not in frame.columns]
        if frame.empty:
            errors.append("no rows")
        problems = self.row_problems(frame, with_target=with_target)
        bad = problems[problems != ""]
        for index, text in bad.head(5).items():
            errors.append(f"row {index}: {text}")
        if len(bad) > 5:
            errors.append(f"... and {len(bad) - 5} more invalid rows")
        if self.id_column and self.id_column in frame.columns:
            duplicated = int(frame[self.id_column].duplicated().sum())
            if duplicated:
                errors.append(f"{duplicated} duplicated values in {self.id_column!r}")
        return errors

    def check(self, frame: pd.DataFrame, *, with_target: bool = True) -> pd.DataFrame:
        """Return ``frame`` with schema dtypes, or raise :class:`SchemaError`."""
        errors = self.validate(frame, with_target=with_target)
        if errors:
            raise SchemaError(errors)
        return self.coerce(frame)

    def coerce(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Cast the schema's columns to their dtypes (valid data only)."""
        out = frame.copy()
        for spec in self.fields:
            if spec.type == "integer":
                out[spec.name] = pd.to_numeric(out[spec.name]).astype("int64")
            elif spec.type == "number":
                out[spec.name] = pd.to_numeric(out[spec.name]).astype("float64")
            else:
                out[spec.name] = out[spec.name].astype(str)
        if self.target in out.columns:
            out[self.target] = out[self.target].astype("int64")
        return out


def schema_from_mapping(data: Mapping[str, Any]) -> DataSchema:
    """Build the schema from the ``schema`` configuration section."""
    fields = []
    for name, spec in data["features"].items():
        kind = spec["type"]
        if kind not in TYPES:
            raise ValueError(f"schema field {name!r}: type {kind!r} is not one of {TYPES}")
        fields.append(
            FieldSpec(
                name=name,
                type=kind,
                min=spec.get("min"),
                max=spec.get("max"),
                allowed=tuple(str(v) for v in spec.get("allowed", ())),
            )
        )
    target = data["target"]
    return DataSchema(
        fields=tuple(fields),
        target=target["name"],
        target_values=tuple(int(v) for v in target["allowed"]),
        id_column=data.get("id_column"),
    )


def load_schema(config: Mapping[str, Any]) -> DataSchema:
    """The schema of a loaded configuration."""
    return schema_from_mapping(config["schema"])
