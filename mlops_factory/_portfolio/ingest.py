"""Read assessment JSON (``assess --format json``, docs/assessment-json.md) into a
:class:`~mlops_factory._portfolio.model.Score`.

The same code reads what a worker just assessed and what another machine's CI
wrote, so a file that passes here is exactly as usable as a local assessment.
Only the fields portfolio reads are checked, by strict pydantic models through the one
schema layer (:mod:`mlops_factory._schema`), with messages that name the file, the entry
and the field; unknown fields are ignored, as the contract asks of readers.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from mlops_factory._assess.model import DIMENSIONS, MAX_LEVEL, SCHEMA_VERSION
from mlops_factory._errors import FactoryError
from mlops_factory._portfolio.model import TOP_STEPS, Score, StepSummary

#: The assessment JSON major version this reader understands.
SUPPORTED_MAJOR = SCHEMA_VERSION.split(".")[0]
#: Larger files are refused before parsing: an assessment is tens of kilobytes.
MAX_JSON_BYTES = 64 * 1024 * 1024
_HINT = (
    "portfolio reads the JSON written by `mlops-factory assess --format json` "
    "(see docs/assessment-json.md)"
)
_COUNTS = ("met", "unmet", "not_applicable", "not_assessed", "error", "waived")


@cache
def _models() -> Any:
    """The assessment JSON's schema as strict pydantic models (only the fields portfolio
    reads; unknown ones are ignored, as the contract asks). Built on first use: pydantic
    stays out of start-up."""
    from typing import Annotated

    from pydantic import BaseModel, Field

    from mlops_factory._schema import strict_config

    level = Annotated[int, Field(ge=0, le=MAX_LEVEL)]
    count = Annotated[int, Field(ge=0)]
    days = Annotated[list[float], Field(min_length=2, max_length=2)]

    class _Model(BaseModel):
        model_config = strict_config(extra="ignore")

    class Named(_Model):
        id: str
        version: str

    class Tool(_Model):
        version: str

    class Repo(_Model):
        name: str
        path: str
        head: str | None
        branch: str | None

    class Dimension(_Model):
        id: str
        level: level | None

    class Counts(_Model):
        met: count
        unmet: count
        not_applicable: count
        not_assessed: count
        error: count
        waived: count

    class Effort(_Model):
        size: str
        days: days

    class Step(_Model):
        order: Annotated[int, Field(ge=1)]
        level: level
        dimension: str
        title: str
        criteria: list[str]
        effort: Effort
        component: str | None

    class Plan(_Model):
        target_level: level
        effort_days: days
        steps: list[Step]

    class Assessment(_Model):
        schema_version: str
        generated_at: str
        tool: Tool
        rubric: Named
        repo: Repo
        level: level
        people_assessed: bool
        dimensions: list[Dimension]
        counts: Counts
        plan: Plan

    return Assessment


def score_of(data: Any, source: str) -> Score:
    """Check an assessment's JSON form and keep what portfolio needs.

    Raises :class:`FactoryError` naming ``source``, the entry and the field when the data
    is not an assessment of a supported ``schema_version``.
    """
    from mlops_factory._schema import validate

    version = data.get("schema_version") if isinstance(data, Mapping) else None
    if isinstance(version, str) and version.split(".")[0] != SUPPORTED_MAJOR:
        raise FactoryError(
            f"{source}: schema_version {version!r} is not supported "
            f"(this mlops-factory reads {SUPPORTED_MAJOR}.x)",
            "write it with an mlops-factory whose `assess --format json` has schema_version "
            f"{SUPPORTED_MAJOR}.x, or upgrade the mlops-factory that reads it",
        )
    a = validate(_models(), data, source=source, hint=_HINT)
    dimensions: dict[str, int | None] = dict.fromkeys(DIMENSIONS)
    for d in a.dimensions:
        if d.id in dimensions:  # ids a newer minor version may add are ignored
            dimensions[d.id] = d.level
    return Score(
        rubric_id=a.rubric.id,
        rubric_version=a.rubric.version,
        tool_version=a.tool.version,
        generated_at=a.generated_at,
        name=a.repo.name,
        path=a.repo.path,
        head=a.repo.head,
        branch=a.repo.branch,
        level=a.level,
        people_assessed=a.people_assessed,
        dimensions=dimensions,
        counts={k: getattr(a.counts, k) for k in _COUNTS},
        plan_target=a.plan.target_level,
        plan_steps=len(a.plan.steps),
        effort_days=(a.plan.effort_days[0], a.plan.effort_days[1]),
        top_steps=tuple(
            StepSummary(
                order=s.order,
                level=s.level,
                dimension=s.dimension,
                title=s.title,
                criteria=tuple(s.criteria),
                effort_size=s.effort.size,
                effort_days=(s.effort.days[0], s.effort.days[1]),
                component=s.component,
            )
            for s in a.plan.steps[:TOP_STEPS]
        ),
    )


def load_json_file(path: str | os.PathLike[str]) -> tuple[Score, bytes]:
    """Read and check one assessment JSON file: its score and the compressed document."""
    from mlops_factory._readsafe import Refused, read_bytes

    file = Path(path)
    if not os.path.lexists(file):
        raise FactoryError(f"{file} does not exist", "check the path")
    try:
        # The one untrusted-file reader: a FIFO or a device never blocks the run.
        raw = read_bytes(file, cap=MAX_JSON_BYTES)
    except Refused as exc:
        raise FactoryError(f"{file}: {exc.reason}", _HINT) from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FactoryError(
            f"{file}: not UTF-8 text, so not an assessment JSON file", _HINT
        ) from None
    except json.JSONDecodeError as exc:
        raise FactoryError(
            f"{file}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", _HINT
        ) from None
    except RecursionError:
        raise FactoryError(f"{file}: JSON nested too deeply", _HINT) from None
    return score_of(data, str(file)), compress(data)


def compress(data: Any) -> bytes:
    """The assessment document as stored in the history: compact UTF-8 JSON, zlib'ed."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return zlib.compress(text.encode("utf-8"), 6)


def decompress(blob: bytes) -> Any:
    """Inverse of :func:`compress`."""
    return json.loads(zlib.decompress(blob).decode("utf-8"))
