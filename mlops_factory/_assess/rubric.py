"""Load and validate a maturity rubric from YAML.

The rubric is data (``assessments/*.yaml``) so that an organisation can change
criteria without touching code. Every problem is reported as a
:class:`FactoryError` naming the file, the criterion id and the field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from mlops_factory._assess.model import (
    DIMENSIONS,
    MAX_LEVEL,
    Applicability,
    Criterion,
    Detection,
    Effort,
    EffortSize,
    EvidenceRules,
    ModelStatement,
    Remediation,
    Role,
    Rubric,
)
from mlops_factory._errors import FactoryError

RUBRIC_SCHEMA = "mlops-factory/rubric/v1"
#: Day ranges each effort size may span; a criterion's range must sit inside its size's.
EFFORT_DAYS: dict[str, tuple[float, float]] = {"S": (0.25, 2), "M": (1, 5), "L": (4, 30)}
# Ids are stable and never reused; the digits no longer have to match the level, so a
# criterion can move level and keep the id that answers files and histories use.
_ID = re.compile(r"^[A-Z]{2}-\d{3}$")
_ROLES: tuple[Role, ...] = ("defining", "practice")
_STATEMENT_ID = re.compile(r"^L[0-4]\.[a-z]+\.\d+$")
_COMPONENT = re.compile(r"^[a-z][a-z0-9-]*$")
#: Loaded rubrics by (path, mtime, size, check_signals): a Rubric is immutable, and
#: callers assessing many repos in one process should not re-parse it every time.
_CACHE: dict[tuple[str, int, int, bool], Rubric] = {}


class _Where:
    """Builds error messages that say exactly where a problem is."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str, hint: str | None = None) -> NoReturn:
        raise FactoryError(
            f"{self.source}: {where}: {message}",
            hint or "fix the rubric file, or run without --rubric to use the built-in rubric",
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


def parse_rubric(data: Any, source: str = "<rubric>") -> Rubric:
    """Validate already-parsed YAML ``data`` and build a :class:`Rubric`."""
    w = _Where(source)
    top = _mapping(w, "top level", data)
    _only(
        w,
        "top level",
        top,
        {"schema", "id", "version", "title", "statements", "criteria", "applicability"},
    )
    if top.get("schema") != RUBRIC_SCHEMA:
        w.fail("field 'schema'", f"must be {RUBRIC_SCHEMA!r} (got {top.get('schema')!r})")
    rubric_id = _text(w, "top level", top, "id")
    version = _text(w, "top level", top, "version", coerce=True)
    title = _text(w, "top level", top, "title")

    statements: list[ModelStatement] = []
    for i, raw in enumerate(_list(w, "top level", top, "statements", required=False)):
        where = f"statements[{i}]"
        s = _mapping(w, where, raw)
        _only(w, where, s, {"id", "level", "dimension", "text"})
        sid = _text(w, where, s, "id")
        where = f"statement {sid}"
        if not _STATEMENT_ID.match(sid):
            w.fail(f"{where}: field 'id'", "must look like L2.mc.3 (level, area, number)")
        statements.append(
            ModelStatement(
                id=sid,
                level=_int(w, where, s, "level", 0, MAX_LEVEL),
                dimension=_text(w, where, s, "dimension"),
                text=_text(w, where, s, "text"),
            )
        )
    _unique(w, "statements", [s.id for s in statements])

    criteria: list[Criterion] = []
    raw_criteria = _list(w, "top level", top, "criteria")
    if not raw_criteria:
        w.fail("field 'criteria'", "must list at least one criterion")
    levels = {s.id: s.level for s in statements}
    for i, raw in enumerate(raw_criteria):
        criteria.append(_criterion(w, i, raw, levels))
    _unique(w, "criteria", [c.id for c in criteria])
    applicability: list[Applicability] = []
    for i, raw in enumerate(_list(w, "top level", top, "applicability", required=False)):
        where = f"applicability[{i}]"
        a = _mapping(w, where, raw)
        _only(w, where, a, {"dimension", "signals", "reason"})
        dim = _text(w, where, a, "dimension")
        if dim not in DIMENSIONS:
            w.fail(f"{where}: field 'dimension'", f"must be one of {', '.join(DIMENSIONS)}")
        names = _strings(w, where, a, "signals")
        if not names:
            w.fail(f"{where}: field 'signals'", "must name at least one signal")
        applicability.append(Applicability(dim, tuple(names), _text(w, where, a, "reason")))
    _unique(w, "applicability", [a.dimension for a in applicability])
    return Rubric(
        id=rubric_id,
        version=version,
        title=title,
        source=source,
        criteria=tuple(criteria),
        statements=tuple(statements),
        applicability=tuple(applicability),
    )


def _criterion(w: _Where, index: int, raw: Any, statement_levels: dict[str, int]) -> Criterion:
    c = _mapping(w, f"criteria[{index}]", raw)
    cid = _text(w, f"criteria[{index}]", c, "id")
    where = f"criterion {cid}"
    if not _ID.match(cid):
        w.fail(f"{where}: field 'id'", "must look like MC-201 (two letters, three digits)")
    _only(
        w,
        where,
        c,
        {
            "id",
            "level",
            "dimension",
            "title",
            "motivation",
            "covers",
            "detection",
            "remediation",
            "role",
            "rests_on",
            "evidence",
        },
    )
    level = _int(w, where, c, "level", 1, MAX_LEVEL)
    role = c.get("role", "practice")
    if role not in _ROLES:
        w.fail(f"{where}: field 'role'", f"must be defining or practice (got {role!r})")
    rests_on = tuple(_strings(w, where, c, "rests_on"))
    for sid in rests_on:
        if sid not in statement_levels:
            w.fail(f"{where}: field 'rests_on'", f"names unknown model statement {sid!r}")
        if statement_levels[sid] != level:
            w.fail(
                f"{where}: field 'rests_on'",
                f"statement {sid} is of level {statement_levels[sid]}, the criterion of {level}",
            )
    if role == "defining" and not rests_on:
        w.fail(
            f"{where}: field 'rests_on'",
            "a defining criterion must name the model statement that makes it defining",
        )
    rules = EvidenceRules()
    if c.get("evidence") is not None:
        ev = _mapping(w, f"{where}: field 'evidence'", c.get("evidence"))
        _only(w, f"{where}: evidence", ev, {"strong", "weak"})
        rules = EvidenceRules(
            strong=_text(w, f"{where}: evidence", ev, "strong"),
            weak=_text(w, f"{where}: evidence", ev, "weak"),
        )
    dimension = _text(w, where, c, "dimension")
    if dimension not in DIMENSIONS:
        w.fail(
            f"{where}: field 'dimension'",
            f"must be one of {', '.join(DIMENSIONS)} (got {dimension!r})",
        )

    covers = tuple(_strings(w, where, c, "covers"))
    for sid in covers:
        if sid not in statement_levels:
            w.fail(f"{where}: field 'covers'", f"names unknown model statement {sid!r}")

    d = _mapping(w, f"{where}: field 'detection'", c.get("detection"))
    dwhere = f"{where}: detection"
    _only(w, dwhere, d, {"description", "signals", "any_of", "applies_if", "question"})
    question = d.get("question")
    if question is not None and not (isinstance(question, str) and question.strip()):
        w.fail(f"{dwhere}: field 'question'", "must be non-empty text")
    detection = Detection(
        description=_text(w, dwhere, d, "description"),
        signals=tuple(_strings(w, dwhere, d, "signals")),
        any_of=_alternatives(w, dwhere, d),
        applies_if=tuple(_strings(w, dwhere, d, "applies_if")),
        question=question.strip() if isinstance(question, str) else None,
    )
    if detection.question and (detection.signals or detection.any_of):
        w.fail(dwhere, "has both a question and signals; a criterion is decided one way")
    if not detection.question and not (detection.signals or detection.any_of):
        w.fail(dwhere, "needs either 'signals'/'any_of' or a 'question'")

    r = _mapping(w, f"{where}: field 'remediation'", c.get("remediation"))
    rwhere = f"{where}: remediation"
    _only(w, rwhere, r, {"text", "effort", "success", "deliverable", "component"})
    e = _mapping(w, f"{rwhere}: field 'effort'", r.get("effort"))
    size = e.get("size")
    if size not in EFFORT_DAYS:
        w.fail(f"{rwhere}: field 'effort.size'", f"must be one of S, M, L (got {size!r})")
    days = e.get("days")
    if (
        not isinstance(days, list)
        or len(days) != 2
        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in days)
        or not 0 < days[0] <= days[1]
    ):
        w.fail(
            f"{rwhere}: field 'effort.days'",
            f"must be [low, high] days with 0 < low <= high (got {days!r})",
        )
    lo, hi = EFFORT_DAYS[size]
    if days[0] < lo or days[1] > hi:
        w.fail(
            f"{rwhere}: field 'effort.days'",
            f"{days} is outside size {size}'s range {lo}-{hi} days",
        )
    component = r.get("component")
    if component is not None and not (isinstance(component, str) and _COMPONENT.match(component)):
        w.fail(
            f"{rwhere}: field 'component'", f"must be a catalog component name (got {component!r})"
        )
    effort_size: EffortSize = size
    remediation = Remediation(
        text=_text(w, rwhere, r, "text"),
        effort=Effort(effort_size, (float(days[0]), float(days[1]))),
        success=_text(w, rwhere, r, "success"),
        deliverable=_text(w, rwhere, r, "deliverable"),
        component=component,
    )
    return Criterion(
        id=cid,
        level=level,
        dimension=dimension,
        title=_text(w, where, c, "title"),
        motivation=_text(w, where, c, "motivation"),
        detection=detection,
        remediation=remediation,
        covers=covers,
        role=role,
        rests_on=rests_on,
        evidence=rules,
    )


def _alternatives(w: _Where, where: str, d: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """``any_of``: each item is a signal name or a list of names that must all be found."""
    out: list[tuple[str, ...]] = []
    for item in _list(w, where, d, "any_of", required=False):
        group = item if isinstance(item, list) else [item]
        if not group or not all(isinstance(n, str) and n for n in group):
            w.fail(
                f"{where}: field 'any_of'",
                f"must list signal names or lists of names (got {item!r})",
            )
        out.append(tuple(group))
    return tuple(out)


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


def _mapping(w: _Where, where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        w.fail(where, f"must be a mapping (got {type(value).__name__})")
    return value


def _only(w: _Where, where: str, m: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(str(k) for k in m if k not in allowed)
    if extra:
        w.fail(where, f"unknown field {extra[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _text(w: _Where, where: str, m: Mapping[str, Any], key: str, *, coerce: bool = False) -> str:
    value = m.get(key)
    if coerce and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        w.fail(f"{where}: field {key!r}", "is required and must be non-empty text")
    return " ".join(value.split()) if "\n" not in value.strip() else value.strip()


def _int(w: _Where, where: str, m: Mapping[str, Any], key: str, lo: int, hi: int) -> int:
    value = m.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        w.fail(
            f"{where}: field {key!r}", f"must be a whole number from {lo} to {hi} (got {value!r})"
        )
    return value


def _list(
    w: _Where, where: str, m: Mapping[str, Any], key: str, *, required: bool = True
) -> Sequence[Any]:
    value = m.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        w.fail(f"{where}: field {key!r}", f"must be a list (got {type(value).__name__})")
    return value


def _strings(w: _Where, where: str, m: Mapping[str, Any], key: str) -> list[str]:
    items = _list(w, where, m, key, required=False)
    for item in items:
        if not isinstance(item, str) or not item:
            w.fail(f"{where}: field {key!r}", f"must be a list of names (got {item!r})")
    return list(items)


def _unique(w: _Where, what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            w.fail(what, f"id {i!r} is used twice; ids are stable and unique")
        seen.add(i)
