"""Read assessment JSON (``assess --format json``, docs/assessment-json.md) into a
:class:`~mlops_factory._portfolio.model.Score`.

The same code reads what a worker just assessed and what another machine's CI
wrote, so a file that passes here is exactly as usable as a local assessment.
Only the fields portfolio reads are checked, each with a message that names the
file and the field; unknown fields are ignored, as the contract asks of readers.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from mlops_factory._assess.model import DIMENSIONS, MAX_LEVEL
from mlops_factory._errors import FactoryError
from mlops_factory._portfolio.model import TOP_STEPS, Score, StepSummary

#: The assessment JSON major version this reader understands.
SUPPORTED_MAJOR = "1"
#: Larger files are refused before parsing: an assessment is tens of kilobytes.
MAX_JSON_BYTES = 64 * 1024 * 1024
_HINT = (
    "portfolio reads the JSON written by `mlops-factory assess --format json` "
    "(see docs/assessment-json.md)"
)
_COUNTS = ("met", "unmet", "not_applicable", "not_assessed", "error")


class _Check:
    """Field checks whose errors say which file and which field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, expected: str, value: Any) -> NoReturn:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise FactoryError(
            f"{self.source}: field '{where}': expected {expected}, got {shown}", _HINT
        )

    def obj(self, data: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            self.fail(where, "an object", data)
        return data

    def get(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in data:
            raise FactoryError(f"{self.source}: field '{where}{key}' is missing", _HINT)
        return data[key]

    def text(self, data: Mapping[str, Any], key: str, where: str, *, null: bool = False) -> Any:
        value = self.get(data, key, where)
        if value is None and null:
            return None
        if not isinstance(value, str):
            self.fail(where + key, "a string" + (" or null" if null else ""), value)
        return value

    def integer(
        self, data: Mapping[str, Any], key: str, where: str, lo: int, hi: int, *, null: bool = False
    ) -> Any:
        value = self.get(data, key, where)
        if value is None and null:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            bound = f"an integer {lo}-{hi}" if hi < 10**9 else f"an integer >= {lo}"
            self.fail(where + key, bound + (" or null" if null else ""), value)
        return value

    def days(self, data: Mapping[str, Any], key: str, where: str) -> tuple[float, float]:
        value = self.get(data, key, where)
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
        )
        if not ok:
            self.fail(where + key, "[low, high] numbers", value)
        return float(value[0]), float(value[1])


def score_of(data: Any, source: str) -> Score:
    """Check an assessment's JSON form and keep what portfolio needs.

    Raises :class:`FactoryError` naming ``source`` and the field when the data is not
    an assessment of a supported ``schema_version``.
    """
    c = _Check(source)
    top = c.obj(data, "(top level)")
    version = c.get(top, "schema_version", "")
    if not isinstance(version, str) or version.split(".")[0] != SUPPORTED_MAJOR:
        raise FactoryError(
            f"{source}: schema_version {version!r} is not supported "
            f"(this mlops-factory reads {SUPPORTED_MAJOR}.x)",
            "write it with an mlops-factory whose `assess --format json` has schema_version "
            f"{SUPPORTED_MAJOR}.x, or upgrade the mlops-factory that reads it",
        )
    tool = c.obj(c.get(top, "tool", ""), "tool")
    rubric = c.obj(c.get(top, "rubric", ""), "rubric")
    repo = c.obj(c.get(top, "repo", ""), "repo")
    level = c.integer(top, "level", "", 0, MAX_LEVEL)
    people = c.get(top, "people_assessed", "")
    if not isinstance(people, bool):
        c.fail("people_assessed", "true or false", people)

    raw_dims = c.get(top, "dimensions", "")
    if not isinstance(raw_dims, list):
        c.fail("dimensions", "a list", raw_dims)
    dimensions: dict[str, int | None] = dict.fromkeys(DIMENSIONS)
    for i, raw in enumerate(raw_dims):
        where = f"dimensions[{i}]."
        d = c.obj(raw, where[:-1])
        did = c.text(d, "id", where)
        dim_level = c.integer(d, "level", where, 0, MAX_LEVEL, null=True)
        if did in dimensions:  # ids a newer minor version may add are ignored
            dimensions[did] = dim_level

    raw_counts = c.obj(c.get(top, "counts", ""), "counts")
    counts = {k: c.integer(raw_counts, k, "counts.", 0, 10**12) for k in _COUNTS}

    plan = c.obj(c.get(top, "plan", ""), "plan")
    target = c.integer(plan, "target_level", "plan.", 0, MAX_LEVEL)
    effort = c.days(plan, "effort_days", "plan.")
    steps = c.get(plan, "steps", "plan.")
    if not isinstance(steps, list):
        c.fail("plan.steps", "a list", steps)
    top_steps = tuple(_step(c, raw, i) for i, raw in enumerate(steps[:TOP_STEPS]))

    return Score(
        rubric_id=c.text(rubric, "id", "rubric."),
        rubric_version=c.text(rubric, "version", "rubric."),
        tool_version=c.text(tool, "version", "tool."),
        generated_at=c.text(top, "generated_at", ""),
        name=c.text(repo, "name", "repo."),
        path=c.text(repo, "path", "repo."),
        head=c.text(repo, "head", "repo.", null=True),
        branch=c.text(repo, "branch", "repo.", null=True),
        level=level,
        people_assessed=people,
        dimensions=dimensions,
        counts=counts,
        plan_target=target,
        plan_steps=len(steps),
        effort_days=effort,
        top_steps=top_steps,
    )


def _step(c: _Check, raw: Any, i: int) -> StepSummary:
    where = f"plan.steps[{i}]."
    s = c.obj(raw, where[:-1])
    criteria = c.get(s, "criteria", where)
    if not isinstance(criteria, list) or not all(isinstance(x, str) for x in criteria):
        c.fail(where + "criteria", "a list of strings", criteria)
    effort = c.obj(c.get(s, "effort", where), where + "effort")
    return StepSummary(
        order=c.integer(s, "order", where, 1, 10**9),
        level=c.integer(s, "level", where, 0, MAX_LEVEL),
        dimension=c.text(s, "dimension", where),
        title=c.text(s, "title", where),
        criteria=tuple(criteria),
        effort_size=c.text(effort, "size", where + "effort."),
        effort_days=c.days(effort, "days", where + "effort."),
        component=c.text(s, "component", where, null=True),
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
