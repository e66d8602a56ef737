"""Imported once by the worker pool's fork server (never by anything else).

Everything a worker needs is paid here once: the pipeline, every signal module, the
assessment JSON schema and the built-in rubric (parsed into the rubric loader's cache).
Each worker forked from the server inherits it all, instead of paying ~0.4 s at its start.
"""

from __future__ import annotations

import contextlib

from mlops_factory._assess import pipeline  # noqa: F401
from mlops_factory._assess.rubric import load_rubric
from mlops_factory._errors import FactoryError
from mlops_factory._portfolio.ingest import _models

_models()  # pydantic and the assessment JSON schema, built once

# A broken installation is not this module's to report: the workers will, per repo.
with contextlib.suppress(FactoryError):
    load_rubric()
