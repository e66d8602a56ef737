"""Portfolio: assess many repositories at once, keep their history, show the whole picture.

discover inputs -> assess in worker processes / ingest ``assess --format json`` files
-> store the run in the SQLite history -> table, JSON, HTML dashboard.
"""

from __future__ import annotations

from mlops_factory._portfolio.dashboard import render_dashboard
from mlops_factory._portfolio.history import DEFAULT_DB, History, RunInfo
from mlops_factory._portfolio.model import (
    PORTFOLIO_SCHEMA_VERSION,
    PortfolioRepo,
    PortfolioResult,
    Previous,
    Score,
    StepSummary,
    TrendPoint,
)
from mlops_factory._portfolio.run import portfolio

__all__ = [
    "DEFAULT_DB",
    "PORTFOLIO_SCHEMA_VERSION",
    "History",
    "PortfolioRepo",
    "PortfolioResult",
    "Previous",
    "RunInfo",
    "Score",
    "StepSummary",
    "TrendPoint",
    "portfolio",
    "render_dashboard",
]
