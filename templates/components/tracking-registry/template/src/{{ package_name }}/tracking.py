"""Experiment tracking with MLflow: where runs go and how a run is opened or resumed."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow

from .config import section

# Read once at import: mlflow.set_tracking_uri() writes this variable itself, so reading it
# later would return whatever store was configured last instead of the operator's choice.
_ENV_TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI")


def tracking_uri(config: Mapping[str, Any]) -> str:
    """The tracking URI: MLFLOW_TRACKING_URI when set, else the configured local store."""
    if _ENV_TRACKING_URI:
        return _ENV_TRACKING_URI
    uri = str(section(config, "tracking")["uri"])
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        # A relative SQLite path: anchor it in the working directory and create its folder.
        path = Path(uri[len(prefix) :]).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        uri = prefix + path.as_posix()
    return uri


def configure(config: Mapping[str, Any]) -> str:
    """Point MLflow (tracking and registry) at the configured store; return the experiment id."""
    settings = section(config, "tracking")
    uri = tracking_uri(config)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    name = str(settings["experiment"])
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    artifact_location = None
    if uri.startswith("sqlite:"):
        root = Path(str(settings["artifact_root"])).resolve()
        root.mkdir(parents=True, exist_ok=True)
        artifact_location = root.as_uri()
    return str(mlflow.create_experiment(name, artifact_location=artifact_location))


@contextmanager
def start_run(
    config: Mapping[str, Any], run_id: str | None = None, run_name: str | None = None
) -> Iterator[mlflow.ActiveRun]:
    """Open a new run, or resume ``run_id`` (each pipeline step adds to the same run)."""
    experiment_id = configure(config)
    with mlflow.start_run(run_id=run_id, experiment_id=experiment_id, run_name=run_name) as run:
        yield run
