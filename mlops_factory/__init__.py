"""mlops-factory: an organisation's AI factory.

Scaffold standard ML projects from a catalog of architecture patterns, assess any
repository against the five-level MLOps maturity model, and close the gaps with
catalog components. The command line (``mlops-factory``) is a thin layer over
the functions exported here.

Exports are resolved lazily so that importing the package (and running
``mlops-factory --help``) does not pay for rich, copier, pydantic or onnxruntime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlops_factory._errors import ExitCode, FactoryError
from mlops_factory._version import __version__

if TYPE_CHECKING:
    from mlops_factory._assess.model import (
        Assessment,
        Criterion,
        DimensionResult,
        Evidence,
        Finding,
        Outcome,
        Plan,
        PlanStep,
        Rubric,
    )
    from mlops_factory._assess.pipeline import assess
    from mlops_factory._assess.render import render as render_assessment
    from mlops_factory._assess.rubric import load_rubric
    from mlops_factory._factory import HarvestResult, RetroReport, harvest, retro
    from mlops_factory._fix import FixPlan, FixResult, fix
    from mlops_factory._onnx import ModelCheckReport, ProfileReport, check_model, profile_model
    from mlops_factory._portfolio import PortfolioRepo, PortfolioResult, portfolio
    from mlops_factory._portfolio import render_dashboard as render_portfolio
    from mlops_factory._scaffold import (
        ApplyResult,
        Catalog,
        NewProjectResult,
        UpdateReport,
        UpdateResult,
        add_component,
        check_updates,
        load_catalog,
        new_project,
        update_project,
    )

_LAZY: dict[str, tuple[str, str]] = {
    "assess": ("mlops_factory._assess.pipeline", "assess"),
    "load_rubric": ("mlops_factory._assess.rubric", "load_rubric"),
    "render_assessment": ("mlops_factory._assess.render", "render"),
    "check_model": ("mlops_factory._onnx", "check_model"),
    "profile_model": ("mlops_factory._onnx", "profile_model"),
    "ModelCheckReport": ("mlops_factory._onnx", "ModelCheckReport"),
    "ProfileReport": ("mlops_factory._onnx", "ProfileReport"),
    "new_project": ("mlops_factory._scaffold", "new_project"),
    "NewProjectResult": ("mlops_factory._scaffold", "NewProjectResult"),
    "load_catalog": ("mlops_factory._scaffold", "load_catalog"),
    "Catalog": ("mlops_factory._scaffold", "Catalog"),
    **{
        name: ("mlops_factory._scaffold", name)
        for name in (
            "add_component",
            "ApplyResult",
            "update_project",
            "UpdateResult",
            "check_updates",
            "UpdateReport",
        )
    },
    **{name: ("mlops_factory._fix", name) for name in ("fix", "FixPlan", "FixResult")},
    **{
        name: ("mlops_factory._portfolio", name)
        for name in ("portfolio", "PortfolioResult", "PortfolioRepo")
    },
    "render_portfolio": ("mlops_factory._portfolio", "render_dashboard"),
    **{
        name: ("mlops_factory._factory", name)
        for name in ("retro", "RetroReport", "harvest", "HarvestResult")
    },
    **{
        name: ("mlops_factory._assess.model", name)
        for name in (
            "Assessment",
            "Criterion",
            "DimensionResult",
            "Evidence",
            "Finding",
            "Outcome",
            "Plan",
            "PlanStep",
            "Rubric",
        )
    },
}

__all__ = [
    "ApplyResult",
    "Assessment",
    "Catalog",
    "Criterion",
    "DimensionResult",
    "Evidence",
    "ExitCode",
    "FactoryError",
    "Finding",
    "FixPlan",
    "FixResult",
    "HarvestResult",
    "ModelCheckReport",
    "NewProjectResult",
    "Outcome",
    "Plan",
    "PlanStep",
    "PortfolioRepo",
    "PortfolioResult",
    "ProfileReport",
    "RetroReport",
    "Rubric",
    "UpdateReport",
    "UpdateResult",
    "__version__",
    "add_component",
    "assess",
    "check_model",
    "check_updates",
    "fix",
    "harvest",
    "load_catalog",
    "load_rubric",
    "new_project",
    "portfolio",
    "profile_model",
    "render_assessment",
    "render_portfolio",
    "retro",
    "update_project",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'mlops_factory' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
