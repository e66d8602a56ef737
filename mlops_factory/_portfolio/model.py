"""Plain data of a portfolio run: one :class:`PortfolioRepo` per repository, one
:class:`PortfolioResult` per run.

:meth:`PortfolioResult.to_dict` is a published contract (``portfolio --format
json``), versioned by :data:`PORTFOLIO_SCHEMA_VERSION` and documented in
docs/portfolio.md. Every text field that comes from a repo or from an ingested
JSON file is untrusted: renderers escape it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mlops_factory._assess.model import DIMENSIONS, LEVEL_NAMES, MAX_LEVEL

#: Bump the major part on any breaking change of :meth:`PortfolioResult.to_dict`.
PORTFOLIO_SCHEMA_VERSION = "1.0"
#: Plan steps kept per repo (in the history database, the JSON output and the dashboard).
TOP_STEPS = 3

Source = Literal["assessed", "json"]
Status = Literal["scored", "failed"]


@dataclass(frozen=True, slots=True)
class StepSummary:
    """One of a repo's first plan steps."""

    order: int
    level: int
    dimension: str
    title: str
    criteria: tuple[str, ...]
    effort_size: str
    effort_days: tuple[float, float]
    component: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "level": self.level,
            "dimension": self.dimension,
            "title": self.title,
            "criteria": list(self.criteria),
            "effort": {"size": self.effort_size, "days": list(self.effort_days)},
            "component": self.component,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepSummary:
        effort = data["effort"]
        lo, hi = effort["days"]
        return cls(
            order=int(data["order"]),
            level=int(data["level"]),
            dimension=str(data["dimension"]),
            title=str(data["title"]),
            criteria=tuple(str(c) for c in data["criteria"]),
            effort_size=str(effort["size"]),
            effort_days=(float(lo), float(hi)),
            component=None if data["component"] is None else str(data["component"]),
        )


@dataclass(frozen=True, slots=True)
class Score:
    """What portfolio keeps of one assessment (the full JSON goes to the history)."""

    rubric_id: str
    rubric_version: str
    tool_version: str
    generated_at: str
    name: str
    path: str
    head: str | None
    branch: str | None
    level: int
    people_assessed: bool
    #: Dimension id -> level (None: not assessed), for the model's four dimensions.
    dimensions: Mapping[str, int | None]
    counts: Mapping[str, int]
    plan_target: int
    plan_steps: int
    effort_days: tuple[float, float]
    top_steps: tuple[StepSummary, ...]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """A repo's overall level in one stored run."""

    run_id: int
    finished_at: str
    level: int

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "finished_at": self.finished_at, "level": self.level}


@dataclass(frozen=True, slots=True)
class Previous:
    """The repo's last score in an earlier run (from the history database)."""

    run_id: int
    finished_at: str
    rubric_id: str
    level: int
    dimensions: Mapping[str, int | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "finished_at": self.finished_at,
            "rubric_id": self.rubric_id,
            "level": self.level,
            "dimensions": {d: self.dimensions.get(d) for d in DIMENSIONS},
        }


@dataclass(frozen=True, slots=True)
class PortfolioRepo:
    """One repository of a portfolio run: scored, or failed with the reason."""

    #: Identity across runs: the resolved folder path, or ``json:NAME`` for a JSON input.
    key: str
    #: Display name (folder name; ``parent/name`` when two repos share a name).
    name: str
    #: The repo's path: the resolved folder, or the path recorded in an ingested JSON.
    path: str
    #: The input as given (a command-line argument or a line of a list file).
    input: str
    source: Source
    status: Status
    #: The ingested JSON file (resolved), for ``source == "json"``.
    file: str | None = None
    error: str | None = None
    hint: str | None = None
    score: Score | None = None
    previous: Previous | None = None
    #: Overall levels over the stored runs, oldest first, this run included.
    trend: tuple[TrendPoint, ...] = ()

    @property
    def scored(self) -> bool:
        return self.score is not None

    @property
    def level(self) -> int | None:
        return self.score.level if self.score else None

    def dimension_level(self, dimension: str) -> int | None:
        return self.score.dimensions.get(dimension) if self.score else None

    @property
    def comparable(self) -> bool:
        """True when there is an earlier score under the same rubric to compare with."""
        return (
            self.score is not None
            and self.previous is not None
            and self.previous.rubric_id == self.score.rubric_id
        )

    @property
    def change(self) -> int | None:
        """Overall level now minus at the last run; None when there is nothing to compare."""
        if not self.comparable or self.score is None or self.previous is None:
            return None
        return self.score.level - self.previous.level

    def dimension_change(self, dimension: str) -> int | None:
        if not self.comparable or self.previous is None:
            return None
        now, before = self.dimension_level(dimension), self.previous.dimensions.get(dimension)
        return None if now is None or before is None else now - before

    def to_dict(self) -> dict[str, Any]:
        s = self.score
        plan = None
        if s is not None:
            plan = {
                "target_level": s.plan_target,
                "steps": s.plan_steps,
                "effort_days": list(s.effort_days),
                "top_steps": [step.to_dict() for step in s.top_steps],
            }
        return {
            "key": self.key,
            "name": self.name,
            "path": self.path,
            "input": self.input,
            "source": self.source,
            "file": self.file,
            "status": self.status,
            "error": None if self.error is None else {"message": self.error, "hint": self.hint},
            "head": s.head if s else None,
            "branch": s.branch if s else None,
            "rubric": {"id": s.rubric_id, "version": s.rubric_version} if s else None,
            "tool_version": s.tool_version if s else None,
            "generated_at": s.generated_at if s else None,
            "level": s.level if s else None,
            "level_name": LEVEL_NAMES[s.level] if s else None,
            "people_assessed": s.people_assessed if s else None,
            "dimensions": {d: s.dimensions.get(d) for d in DIMENSIONS} if s else None,
            "counts": dict(s.counts) if s else None,
            "plan": plan,
            "previous": self.previous.to_dict() if self.previous else None,
            "change": self.change,
            "trend": [p.to_dict() for p in self.trend],
        }


@dataclass(frozen=True)
class PortfolioResult:
    """The result of :func:`mlops_factory.portfolio`: every repo of one run.

    ``repos`` are sorted by name (case-insensitive), then key. ``run_id`` is the
    run's id in the history database, None when history was off.
    """

    repos: tuple[PortfolioRepo, ...]
    started_at: str
    finished_at: str
    duration_s: float
    tool_version: str
    rubric_id: str
    rubric_version: str
    jobs: int
    inputs: tuple[str, ...] = ()
    run_id: int | None = None
    db: str | None = None
    _payloads: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def scored(self) -> tuple[PortfolioRepo, ...]:
        return tuple(r for r in self.repos if r.scored)

    @property
    def failed(self) -> tuple[PortfolioRepo, ...]:
        return tuple(r for r in self.repos if not r.scored)

    def distribution(self) -> list[int]:
        """How many scored repos are at each overall level 0-4 (index = level)."""
        out = [0] * (MAX_LEVEL + 1)
        for r in self.scored:
            if r.score is not None:
                out[r.score.level] += 1
        return out

    def dimension_distribution(self) -> dict[str, list[int]]:
        """Per dimension: counts at levels 0-4, then the count not assessed (index 5)."""
        out = {d: [0] * (MAX_LEVEL + 2) for d in DIMENSIONS}
        for r in self.scored:
            for d in DIMENSIONS:
                level = r.dimension_level(d)
                out[d][MAX_LEVEL + 1 if level is None else level] += 1
        return out

    def below(self, level: int) -> tuple[PortfolioRepo, ...]:
        """Scored repos whose overall level is below ``level``."""
        return tuple(r for r in self.scored if r.score is not None and r.score.level < level)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form; documented in docs/portfolio.md."""
        dims = self.dimension_distribution()
        return {
            "schema_version": PORTFOLIO_SCHEMA_VERSION,
            "kind": "mlops-factory-portfolio",
            "tool": {"name": "mlops-factory", "version": self.tool_version},
            "run": {
                "id": self.run_id,
                "db": self.db,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "duration_s": round(self.duration_s, 3),
                "jobs": self.jobs,
                "inputs": list(self.inputs),
            },
            "rubric": {"id": self.rubric_id, "version": self.rubric_version},
            "summary": {
                "repos": len(self.repos),
                "scored": len(self.scored),
                "failed": len(self.failed),
                "levels": self.distribution(),
                "dimensions": {
                    d: {"levels": counts[: MAX_LEVEL + 1], "not_assessed": counts[MAX_LEVEL + 1]}
                    for d, counts in dims.items()
                },
            },
            "repos": [r.to_dict() for r in self.repos],
        }
