"""Load and validate a maturity rubric from YAML.

The rubric is data (``assessments/*.yaml``) so that an organisation can change
criteria without touching code. Every problem is reported as a
:class:`FactoryError` naming the file, the criterion id and the field.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from mlops_factory._assess.model import (
    MAX_LEVEL,
    Applicability,
    Criterion,
    Detection,
    Effort,
    EvidenceRules,
    ModelStatement,
    Remediation,
    Rubric,
)
from mlops_factory._errors import FactoryError

RUBRIC_SCHEMA = "mlops-factory/rubric/v1"
#: Day ranges each effort size may span; a criterion's range must sit inside its size's.
EFFORT_DAYS: dict[str, tuple[float, float]] = {"S": (0.25, 2), "M": (1, 5), "L": (4, 30)}
# Ids are stable and never reused; the digits no longer have to match the level, so a
# criterion can move level and keep the id that answers files and histories use.
_ID = re.compile(r"^[A-Z]{2}-\d{3}$")
_STATEMENT_ID = re.compile(r"^L[0-4]\.[a-z]+\.\d+$")
_COMPONENT = re.compile(r"^[a-z][a-z0-9-]*$")
#: Loaded rubrics by (path, mtime, size, check_signals): a Rubric is immutable, and
#: callers assessing many repos in one process should not re-parse it every time.
_CACHE: dict[tuple[str, int, int, bool], Rubric] = {}


_HINT = "fix the rubric file, or run without --rubric to use the built-in rubric"


class _Where:
    """Builds error messages that say exactly where a problem is."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str, hint: str | None = None) -> NoReturn:
        raise FactoryError(
            f"{self.source}: {where}: {message}",
            hint or _HINT,
        )


def load_rubric(
    path: str | os.PathLike[str] | None = None, *, check_signals: bool = True
) -> Rubric:
    """Load the rubric at ``path`` (the built-in one when None) and validate it.

    With ``check_signals`` every signal name is checked against the signal
    registry, so a typo in a custom rubric fails at load, not silently later.
    """

    if path is None:
        from mlops_factory._resources import default_rubric_path

        file = default_rubric_path()
    else:
        file = Path(path)
    source = str(file)
    try:
        st = file.stat()
        key = (str(file.resolve()), st.st_mtime_ns, st.st_size, check_signals)
    except OSError:
        key = None
    if key is not None and key in _CACHE:
        return _CACHE[key]
    from mlops_factory._yamlsafe import load_file

    # The one reader: regular files only (a FIFO or /dev/zero never hangs or fills
    # memory), bounded size and nesting, errors with file and line.
    data = load_file(
        file,
        kind="rubric file",
        hint="check the --rubric path and fix the rubric file's YAML",
    )
    rubric = parse_rubric(data, source)
    if check_signals:
        _check_signal_names(rubric)
    if key is not None:
        _CACHE[key] = rubric
    return rubric


def _text(value: str) -> str:
    """Non-empty text; one-line text has its whitespace runs collapsed (YAML folding)."""
    if not value.strip():
        raise ValueError("must be non-empty text")
    return " ".join(value.split()) if "\n" not in value.strip() else value.strip()


def _pattern(rx: re.Pattern[str], what: str) -> Any:
    """A validator: the text matches ``rx``, else the error says what it should look like."""

    def check(value: str) -> str:
        if not rx.match(value):
            raise ValueError(f"must look like {what} (got {value!r})")
        return value

    return check


def _alternatives(value: list[Any]) -> list[Any]:
    """``any_of``: each item is a signal name or a list of names that must all be found."""
    for item in value:
        group = item if isinstance(item, list) else [item]
        if not group or not all(isinstance(n, str) and n for n in group):
            raise ValueError(f"must list signal names or lists of names (got {item!r})")
    return value


@cache
def _models() -> Any:
    """The rubric's schema as strict pydantic models (built on first use: pydantic is
    imported lazily so that start-up stays fast)."""
    from typing import Annotated, Literal

    from pydantic import AfterValidator, BaseModel, Field

    from mlops_factory._schema import strict_config

    Text = Annotated[str, AfterValidator(_text)]
    Name = Annotated[str, Field(min_length=1)]
    Level = Annotated[int, Field(ge=1, le=MAX_LEVEL)]
    Days = Annotated[int | float, Field(gt=0)]

    class _Model(BaseModel):
        model_config = strict_config()

    class Statement(_Model):
        id: Annotated[str, AfterValidator(_pattern(_STATEMENT_ID, "L2.mc.3 (level, area, number)"))]
        level: Annotated[int, Field(ge=0, le=MAX_LEVEL)]
        dimension: Text
        text: Text

    class EffortModel(_Model):
        size: Literal["S", "M", "L"]
        days: list[Days] = Field(min_length=2, max_length=2)

    class DetectionModel(_Model):
        description: Text
        signals: list[Name] = []
        any_of: Annotated[list[Any], AfterValidator(_alternatives)] = []
        applies_if: list[Name] = []
        question: Text | None = None

    class RemediationModel(_Model):
        text: Text
        effort: EffortModel
        success: Text
        deliverable: Text
        component: (
            Annotated[str, AfterValidator(_pattern(_COMPONENT, "a catalog component name"))] | None
        ) = None

    class EvidenceModel(_Model):
        strong: Text
        weak: Text

    class CriterionModel(_Model):
        id: Annotated[str, AfterValidator(_pattern(_ID, "MC-201 (two letters, three digits)"))]
        level: Level
        dimension: Literal["people", "model_creation", "model_release", "application_integration"]
        title: Text
        motivation: Text
        covers: list[Name] = []
        detection: DetectionModel
        remediation: RemediationModel
        role: Literal["defining", "practice"] = "practice"
        rests_on: list[Name] = []
        evidence: EvidenceModel | None = None

    class ApplicabilityModel(_Model):
        dimension: Literal["people", "model_creation", "model_release", "application_integration"]
        signals: list[Name] = Field(min_length=1)
        reason: Text

    class RubricModel(_Model):
        schema_: Literal["mlops-factory/rubric/v1"] = Field(alias="schema")
        id: Text
        version: Annotated[str | int | float, AfterValidator(lambda v: _text(str(v)))]
        title: Text
        statements: list[Statement] = []
        criteria: list[CriterionModel] = Field(min_length=1)
        applicability: list[ApplicabilityModel] = []

    return RubricModel


def parse_rubric(data: Any, source: str = "<rubric>") -> Rubric:
    """Validate already-parsed YAML ``data`` and build a :class:`Rubric`.

    The shape is checked by the one schema layer (strict models: errors name the file,
    the entry and the field); what spans entries (unique ids, statements that exist and
    are of the right level, effort ranges) is checked after, in the same words.
    """
    from mlops_factory._schema import validate

    raw = validate(_models(), data, source=source, hint=_HINT, entry_keys=("id",))
    w = _Where(source)
    statements = tuple(
        ModelStatement(id=s.id, level=s.level, dimension=s.dimension, text=s.text)
        for s in raw.statements
    )
    _unique(w, "statements", [s.id for s in statements])
    levels = {s.id: s.level for s in statements}
    criteria = tuple(_criterion(w, i, c, levels) for i, c in enumerate(raw.criteria))
    _unique(w, "criteria", [c.id for c in criteria])
    applicability = tuple(
        Applicability(a.dimension, tuple(a.signals), a.reason) for a in raw.applicability
    )
    _unique(w, "applicability", [a.dimension for a in applicability])
    return Rubric(
        id=raw.id,
        version=raw.version,
        title=raw.title,
        source=source,
        criteria=criteria,
        statements=statements,
        applicability=applicability,
    )


def _criterion(w: _Where, index: int, c: Any, statement_levels: dict[str, int]) -> Criterion:
    """A :class:`Criterion` from its validated model, with the cross-entry checks."""
    where = f"criteria[{index}] ({c.id})"
    for field, ids in (("covers", c.covers), ("rests_on", c.rests_on)):
        for sid in ids:
            if sid not in statement_levels:
                w.fail(f"{where}: field {field!r}", f"names unknown model statement {sid!r}")
    for sid in c.rests_on:
        if statement_levels[sid] != c.level:
            w.fail(
                f"{where}: field 'rests_on'",
                f"statement {sid} is of level {statement_levels[sid]}, the criterion of {c.level}",
            )
    if c.role == "defining" and not c.rests_on:
        w.fail(
            f"{where}: field 'rests_on'",
            "a defining criterion must name the model statement that makes it defining",
        )
    d = c.detection
    if d.question and (d.signals or d.any_of):
        w.fail(
            f"{where}: field 'detection'",
            "has both a question and signals; a criterion is decided one way",
        )
    if not d.question and not (d.signals or d.any_of):
        w.fail(f"{where}: field 'detection'", "needs either 'signals'/'any_of' or a 'question'")
    r = c.remediation
    lo_days, hi_days = r.effort.days
    if not lo_days <= hi_days:
        w.fail(
            f"{where}: field 'remediation.effort.days'",
            f"must be [low, high] days with 0 < low <= high (got {r.effort.days!r})",
        )
    lo, hi = EFFORT_DAYS[r.effort.size]
    if lo_days < lo or hi_days > hi:
        w.fail(
            f"{where}: field 'remediation.effort.days'",
            f"{r.effort.days} is outside size {r.effort.size}'s range {lo}-{hi} days",
        )
    return Criterion(
        id=c.id,
        level=c.level,
        dimension=c.dimension,
        title=c.title,
        motivation=c.motivation,
        detection=Detection(
            description=d.description,
            signals=tuple(d.signals),
            any_of=tuple(tuple(a) if isinstance(a, list) else (a,) for a in d.any_of),
            applies_if=tuple(d.applies_if),
            question=d.question,
        ),
        remediation=Remediation(
            text=r.text,
            effort=Effort(r.effort.size, (float(lo_days), float(hi_days))),
            success=r.success,
            deliverable=r.deliverable,
            component=r.component,
        ),
        covers=tuple(c.covers),
        role=c.role,
        rests_on=tuple(c.rests_on),
        evidence=EvidenceRules(c.evidence.strong, c.evidence.weak)
        if c.evidence
        else EvidenceRules(),
    )


def _check_signal_names(rubric: Rubric) -> None:
    from mlops_factory._assess.signals import registry

    known = registry()
    named = [(c.id, n) for c in rubric.criteria for n in c.detection.all_signals]
    named += [(f"applicability {a.dimension}", n) for a in rubric.applicability for n in a.signals]
    for owner, name in named:
        if name in known:
            continue
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        field = "signals" if owner.startswith("applicability") else "detection"
        where = (
            f"{rubric.source}: {'' if field == 'signals' else 'criterion '}{owner}: field {field!r}"
        )
        raise FactoryError(
            f"{where}: unknown signal {name!r}",
            f"did you mean {close[0]!r}?"
            if close
            else "docs/criteria.md lists the signals the built-in rubric uses",
        )


# ----------------------------------------------------------------- field helpers


def _unique(w: _Where, what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            w.fail(what, f"id {i!r} is used twice; ids are stable and unique")
        seen.add(i)
