"""Plain data shared by every stage of the assessment pipeline.

Everything here is an immutable value so that each stage can be tested with
hand-built input. The JSON form (:meth:`Assessment.to_dict`) is a published,
versioned contract: see docs/assessment-json.md before changing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

#: Bump the major part on any breaking change of :meth:`Assessment.to_dict`.
SCHEMA_VERSION = "2.0"

DIMENSIONS: tuple[str, ...] = (
    "people",
    "model_creation",
    "model_release",
    "application_integration",
)
DIMENSION_TITLES: dict[str, str] = {
    "people": "People",
    "model_creation": "Model creation",
    "model_release": "Model release",
    "application_integration": "Application integration",
}
LEVEL_NAMES: dict[int, str] = {
    0: "No MLOps",
    1: "DevOps but no MLOps",
    2: "Automated training",
    3: "Automated model deployment",
    4: "Full MLOps, automated operations",
}
MAX_LEVEL = 4

EffortSize = Literal["S", "M", "L"]
#: ``defining``: what a level means, it gates the level. ``practice``: a good practice at
#: that level, reported and planned, never gating.
Role = Literal["defining", "practice"]
#: What kind of repository was assessed; the report explains what the level means for it.
RepoKind = Literal["project", "template", "monorepo", "docs"]


class Outcome(StrEnum):
    """What we concluded about one criterion."""

    MET = "met"
    UNMET = "unmet"
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSED = "not_assessed"
    ERROR = "error"
    #: Counted as met because the repository's waivers file says so, with a reason.
    WAIVED = "waived"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One place in the repo that supports (or contradicts) a finding.

    ``weak`` marks evidence that hints at a practice without showing it is done:
    a filename match, an import seen only in a notebook, a tool named only in
    a config that nothing runs.
    """

    path: str | None
    line: int | None = None
    snippet: str = ""
    note: str = ""
    weak: bool = False

    @property
    def strength(self) -> Literal["strong", "weak"]:
        """``weak`` evidence is shown but never meets a defining criterion alone."""
        return "weak" if self.weak else "strong"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "snippet": self.snippet,
            "note": self.note,
            "weak": self.weak,
            "strength": self.strength,
        }


@dataclass(frozen=True, slots=True)
class SignalResult:
    """What one signal saw. ``found`` is the signal's answer; ``evidence`` says where.

    ``error`` is set by the signal runner when the signal raised: the criteria
    that depend on it then become ``error`` outcomes, the run goes on.
    """

    name: str
    found: bool
    evidence: tuple[Evidence, ...] = ()
    error: str | None = None

    @property
    def weak(self) -> bool:
        """True when the signal fired only on weak evidence."""
        return self.found and bool(self.evidence) and all(e.weak for e in self.evidence)

    @property
    def strong(self) -> bool:
        """Found on at least one piece of strong evidence (or found with no evidence list)."""
        return self.found and not self.weak


# ----------------------------------------------------------------- the rubric


@dataclass(frozen=True, slots=True)
class Effort:
    """A t-shirt size with the day range it stands for."""

    size: EffortSize
    days: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "days": list(self.days)}


@dataclass(frozen=True, slots=True)
class Remediation:
    """How to meet a criterion, and how to know it is met."""

    text: str
    effort: Effort
    success: str
    deliverable: str
    component: str | None = None


@dataclass(frozen=True, slots=True)
class Detection:
    """How a criterion is decided.

    Either by signals (every one of ``signals`` must be found, and, when
    ``any_of`` is given, at least one of its alternatives too: an alternative is one
    signal or a group of signals that must all be found), or by a ``question`` put to
    a person. ``applies_if`` names signals that must all be found for the
    criterion to apply at all; otherwise the outcome is not applicable.
    """

    description: str
    signals: tuple[str, ...] = ()
    any_of: tuple[tuple[str, ...], ...] = ()
    applies_if: tuple[str, ...] = ()
    question: str | None = None

    @property
    def is_question(self) -> bool:
        return self.question is not None

    @property
    def all_signals(self) -> tuple[str, ...]:
        """Every signal this detection reads, in order, without repeats."""
        options = (name for group in self.any_of for name in group)
        return tuple(dict.fromkeys((*self.applies_if, *self.signals, *options)))


@dataclass(frozen=True, slots=True)
class EvidenceRules:
    """What counts as strong and as weak evidence for a criterion (shown by ``explain``)."""

    strong: str = ""
    weak: str = ""


@dataclass(frozen=True, slots=True)
class Criterion:
    """One requirement of the maturity model, with a stable id.

    The id is stable and never reused; it does not have to encode the level, so a
    criterion can move level without a new id. ``rests_on`` names the model
    statements that make a defining criterion defining.
    """

    id: str
    level: int
    dimension: str
    title: str
    motivation: str
    detection: Detection
    remediation: Remediation
    covers: tuple[str, ...] = ()
    role: Role = "practice"
    rests_on: tuple[str, ...] = ()
    evidence: EvidenceRules = EvidenceRules()

    @property
    def defining(self) -> bool:
        return self.role == "defining"

    @property
    def kind(self) -> Literal["signal", "question"]:
        return "question" if self.detection.is_question else "signal"


@dataclass(frozen=True, slots=True)
class ModelStatement:
    """One statement of the maturity model's level tables (MATURITY_MODEL.md §2)."""

    id: str
    level: int
    dimension: str
    text: str


@dataclass(frozen=True, slots=True)
class Applicability:
    """When a dimension has a subject at all: any of ``signals`` found (weakly is enough).

    With none found the dimension is not applicable, ``reason`` says why, and it is
    left out of the overall level.
    """

    dimension: str
    signals: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Rubric:
    """A validated rubric: criteria plus the model statements they cover."""

    id: str
    version: str
    title: str
    source: str
    criteria: tuple[Criterion, ...]
    statements: tuple[ModelStatement, ...] = ()
    applicability: tuple[Applicability, ...] = ()
    _by_id: dict[str, Criterion] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({c.id: c for c in self.criteria})

    def get(self, criterion_id: str) -> Criterion | None:
        """The criterion with this id (case-insensitive), or None."""
        return self._by_id.get(criterion_id) or self._by_id.get(criterion_id.upper())

    def questions(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.detection.is_question)


# ----------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one criterion on one repo, with its evidence."""

    criterion: Criterion
    outcome: Outcome
    evidence: tuple[Evidence, ...] = ()
    message: str = ""
    waiver: Waiver | None = None

    @property
    def passing(self) -> bool:
        """Counts towards a level: met, waived or not applicable."""
        return self.outcome in (Outcome.MET, Outcome.WAIVED, Outcome.NOT_APPLICABLE)

    @property
    def weak(self) -> bool:
        """True when a met outcome rests only on weak evidence."""
        return (
            self.outcome is Outcome.MET
            and bool(self.evidence)
            and all(e.weak for e in self.evidence)
        )

    def to_dict(self) -> dict[str, Any]:
        c = self.criterion
        return {
            "id": c.id,
            "level": c.level,
            "dimension": c.dimension,
            "title": c.title,
            "kind": c.kind,
            "role": c.role,
            "rests_on": list(c.rests_on),
            "outcome": self.outcome.value,
            "weak": self.weak,
            "message": self.message,
            "evidence": [e.to_dict() for e in self.evidence],
            "component": c.remediation.component,
            "command": command_for(c),
            "waiver": self.waiver.to_dict() if self.waiver else None,
        }


def command_for(c: Criterion) -> str:
    """The command that closes a criterion, or how to answer its question."""
    if c.detection.is_question:
        return (
            "mlops-factory assess . --save-answers answers.yml"
            f"  # answer {c.id} in answers.yml, then assess with --answers answers.yml"
        )
    if c.remediation.component:
        return f"mlops-factory add {c.remediation.component} ."
    # Work no component can do: the criterion's full text says how.
    return f"mlops-factory explain {c.id}"


@dataclass(frozen=True, slots=True)
class Waiver:
    """A criterion the team decided to waive, from ``.mlops-factory/waivers.yaml``."""

    criterion: str
    reason: str
    expires: str
    owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "expires": self.expires, "owner": self.owner}


@dataclass(frozen=True, slots=True)
class Missing:
    """A defining criterion that keeps a dimension below its next level."""

    id: str
    title: str
    outcome: str
    command: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "outcome": self.outcome,
            "command": self.command,
        }


@dataclass(frozen=True, slots=True)
class NextLevel:
    """What a dimension needs for its next level: the defining criteria still missing."""

    level: int
    missing: tuple[Missing, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "missing": [m.to_dict() for m in self.missing]}


@dataclass(frozen=True, slots=True)
class DimensionResult:
    """A dimension's gated level. ``level`` is None when it was not assessed or not applicable."""

    id: str
    level: int | None
    #: Defining criteria of the next level that keep the dimension where it is.
    blockers: tuple[str, ...] = ()
    #: Criteria of this dimension left unanswered or undecidable.
    not_assessed: tuple[str, ...] = ()
    applicable: bool = True
    #: Why the dimension is not applicable or not assessed; empty otherwise.
    reason: str = ""
    next_level: NextLevel | None = None
    #: Practices of this dimension met (or waived) and applicable, for practice coverage.
    practices_met: int = 0
    practices_total: int = 0

    @property
    def assessed(self) -> bool:
        return self.level is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": DIMENSION_TITLES.get(self.id, self.id),
            "level": self.level,
            "assessed": self.assessed,
            "applicable": self.applicable,
            "reason": self.reason,
            "blockers": list(self.blockers),
            "not_assessed": list(self.not_assessed),
            "next_level": self.next_level.to_dict() if self.next_level else None,
            "practices": {"met": self.practices_met, "total": self.practices_total},
        }


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One step of the remediation plan; closes one or more criteria."""

    order: int
    level: int
    dimension: str
    title: str
    criteria: tuple[str, ...]
    effort: Effort
    success: tuple[str, ...]
    deliverables: tuple[str, ...]
    component: str | None
    actions: tuple[str, ...]
    #: ``defining`` when the step closes a criterion that gates a level.
    role: Role = "practice"
    #: The command that carries the step out, or how to answer its question.
    command: str = ""

    @property
    def for_people(self) -> bool:
        """True when no catalog component can do this step: people must."""
        return self.component is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "level": self.level,
            "dimension": self.dimension,
            "title": self.title,
            "criteria": list(self.criteria),
            "effort": self.effort.to_dict(),
            "success_criteria": list(self.success),
            "deliverables": list(self.deliverables),
            "component": self.component,
            "actions": list(self.actions),
            "role": self.role,
            "command": self.command,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """Ordered steps from the current level to ``target_level``."""

    current_level: int
    target_level: int
    steps: tuple[PlanStep, ...]

    @property
    def effort_days(self) -> tuple[float, float]:
        return (
            sum(s.effort.days[0] for s in self.steps),
            sum(s.effort.days[1] for s in self.steps),
        )

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.effort_days
        return {
            "current_level": self.current_level,
            "target_level": self.target_level,
            "effort_days": [lo, hi],
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A path the snapshot saw but did not read, and why."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class RepoInfo:
    """What we tell about the assessed repo itself."""

    path: str
    name: str
    is_git: bool
    files: int
    head: str | None = None
    branch: str | None = None
    commits: int | None = None
    last_change: str | None = None
    tags: int | None = None
    unreadable: tuple[Unreadable, ...] = ()
    kind: RepoKind = "project"
    #: Why the kind was chosen, and what the level means for it.
    kind_reason: str = ""
    #: Monorepo: the folders holding independent projects.
    projects: tuple[str, ...] = ()
    #: ``--project``: the folder the assessment was limited to.
    scope: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "is_git": self.is_git,
            "files": self.files,
            "head": self.head,
            "branch": self.branch,
            "commits": self.commits,
            "last_change": self.last_change,
            "tags": self.tags,
            "unreadable": [u.to_dict() for u in self.unreadable],
            "kind": self.kind,
            "kind_reason": self.kind_reason,
            "projects": list(self.projects),
            "scope": self.scope,
        }


@dataclass(frozen=True)
class Assessment:
    """The result of :func:`mlops_factory.assess`."""

    repo: RepoInfo
    rubric_id: str
    rubric_version: str
    level: int
    dimensions: tuple[DimensionResult, ...]
    findings: tuple[Finding, ...]
    plan: Plan
    tool_version: str
    generated_at: str
    duration_s: float = 0.0
    #: How the overall level was formed from the dimensions, in one or two sentences.
    level_reason: str = ""
    #: Things the user should know that are not findings (expired waivers, ...).
    warnings: tuple[str, ...] = ()

    @property
    def people_assessed(self) -> bool:
        return any(d.id == "people" and d.assessed for d in self.dimensions)

    def dimension(self, dimension_id: str) -> DimensionResult:
        for d in self.dimensions:
            if d.id == dimension_id:
                return d
        raise KeyError(dimension_id)

    def finding(self, criterion_id: str) -> Finding:
        for f in self.findings:
            if f.criterion.id == criterion_id:
                return f
        raise KeyError(criterion_id)

    def practice_coverage(self) -> dict[str, int]:
        """Practices met (or waived) out of the applicable, assessed ones."""
        met = sum(d.practices_met for d in self.dimensions)
        return {"met": met, "total": sum(d.practices_total for d in self.dimensions)}

    def counts(self) -> dict[str, int]:
        out = {o.value: 0 for o in Outcome}
        for f in self.findings:
            out[f.outcome.value] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form; documented in docs/assessment-json.md."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "mlops-factory", "version": self.tool_version},
            "generated_at": self.generated_at,
            "duration_s": round(self.duration_s, 3),
            "rubric": {"id": self.rubric_id, "version": self.rubric_version},
            "repo": self.repo.to_dict(),
            "level": self.level,
            "level_name": LEVEL_NAMES[self.level],
            "level_reason": self.level_reason,
            "people_assessed": self.people_assessed,
            "practices": self.practice_coverage(),
            "warnings": list(self.warnings),
            "dimensions": [d.to_dict() for d in self.dimensions],
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
            "plan": self.plan.to_dict(),
        }
