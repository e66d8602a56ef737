"""Data: a seeded synthetic data set (no download), loading with schema validation, splits.

``generate`` stands in for the real data source. Replace it (or point
``training.data.raw_path`` at an extract of the real data with the same schema) and the
rest of the pipeline is unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from .schema import DataSchema

CONTRACTS = ("month-to-month", "one-year", "two-year")
_CONTRACT_EFFECT = {"month-to-month": 0.9, "one-year": -0.4, "two-year": -1.3}


def snapshot_seed(seed: int, snapshot: str | None) -> int:
    """The generator seed of a data snapshot (the configured seed when there is none)."""
    if not snapshot:
        return seed
    return seed + 1 + int(hashlib.sha256(snapshot.encode()).hexdigest()[:6], 16) % 9000


def generate(n_rows: int, seed: int, drift: float = 0.0, with_target: bool = True) -> pd.DataFrame:
    """Customer churn records drawn from fixed distributions.

    The same ``seed`` always gives the same rows. ``drift`` > 0 shifts the input
    distributions (longer support queues, higher prices, newer customers) to simulate
    production data moving away from the training data.
    """
    rng = np.random.default_rng(seed)
    tenure = np.clip(rng.gamma(2.0, 14.0 / (1.0 + drift), n_rows), 0, 120).round().astype(int)
    monthly = np.clip(rng.normal(65.0 + 12.0 * drift, 20.0, n_rows), 18.0, 500.0).round(2)
    support = np.clip(rng.poisson(1.5 + 1.2 * drift, n_rows), 0, 50)
    age = np.clip(rng.normal(45.0, 14.0, n_rows), 18, 100).round().astype(int)
    contract = rng.choice(CONTRACTS, size=n_rows, p=[0.55, 0.25, 0.20])
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{seed:04d}-{i:06d}" for i in range(n_rows)],
            "tenure_months": tenure,
            "monthly_charges": monthly,
            "support_calls": support,
            "age": age,
            "contract": contract,
        }
    )
    if with_target:
        logit = (
            -0.6
            - 0.05 * tenure
            + 0.025 * (monthly - 65.0)
            + 0.45 * support
            - 0.01 * (age - 45)
            + np.vectorize(_CONTRACT_EFFECT.get)(contract)
        )
        probability = 1.0 / (1.0 + np.exp(-logit))
        frame["churned"] = (rng.random(n_rows) < probability).astype(int)
    return frame


def fingerprint(path: Path) -> str:
    """SHA-256 of a data file: logged with every run so a model traces back to its data."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load(path: Path, schema: DataSchema, *, with_target: bool = True) -> pd.DataFrame:
    """Read a CSV file and validate it against the schema (raises ``SchemaError``)."""
    frame = pd.read_csv(path)
    return schema.check(frame, with_target=with_target)


def sample(frame: pd.DataFrame, rows: int, seed: int, target: str) -> pd.DataFrame:
    """A stratified random sample of ``rows`` rows (all rows when there are fewer)."""
    if rows >= len(frame):
        return frame
    fraction = rows / len(frame)
    parts = [
        group.sample(frac=fraction, random_state=seed)
        for _, group in frame.groupby(target, sort=True)
    ]
    return pd.concat(parts).sort_index()


def in_holdout(ids: pd.Series, test_size: float, version: str) -> pd.Series:
    """True for the records of the pinned holdout: a stable function of the record id.

    A record is in the holdout when the SHA-256 of ``"<version>:<id>"`` falls in the lowest
    ``test_size`` of the hash range. The same record lands on the same side in every data
    snapshot and on every machine, so no model, champion or challenger, is ever trained on
    a record the gate compares them on. A new ``version`` draws a new holdout.
    """

    def position(value: object) -> float:
        digest = hashlib.sha256(f"{version}:{value}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2.0**64

    return ids.astype(str).map(position) < test_size


def split_by_id(
    frame: pd.DataFrame, test_size: float, id_column: str, version: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train rows and the pinned holdout (see :func:`in_holdout`)."""
    mask = in_holdout(frame[id_column], test_size, version)
    return frame[~mask], frame[mask]


def split(
    frame: pd.DataFrame, test_size: float, seed: int, target: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified train/test split, reproducible from the seed (data without an id column).

    Unlike :func:`split_by_id`, it is not stable across data snapshots: a retrained model
    may have seen rows the champion is tested on.
    """
    rng = np.random.default_rng(seed)
    test_index: list[int] = []
    for _, group in frame.groupby(target, sort=True):
        n_test = round(len(group) * test_size)
        test_index.extend(rng.choice(group.index.to_numpy(), size=n_test, replace=False))
    test = frame.loc[sorted(test_index)]
    train = frame.drop(index=test.index)
    return train, test
