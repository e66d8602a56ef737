"""Waivers: criteria a team decided not to meet, with a reason and an expiry date.

Read from ``.mlops-factory/waivers.yaml`` in the assessed repository::

    waivers:
      - criterion: MR-304
        reason: releases are approved in the change board, outside CI
        expires: 2027-06-30
        owner: platform-team      # optional

A waived criterion counts as met and shows as ``waived`` with its reason in every
format; an expired waiver is ignored with a warning. The file is untrusted input: it
is read through the snapshot (bounded, regular files only) and validated strictly.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from mlops_factory._assess.model import Rubric, Waiver
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._errors import FactoryError

WAIVERS_FILE = ".mlops-factory/waivers.yaml"
_HINT = (
    f"fix {WAIVERS_FILE} (waivers: a list of criterion, reason, expires: YYYY-MM-DD), "
    "or run with --no-waivers"
)


@cache
def _models() -> Any:
    from pydantic import BaseModel, Field

    from mlops_factory._schema import strict_config

    class Entry(BaseModel):
        model_config = strict_config()
        criterion: str = Field(min_length=1)
        reason: str = Field(min_length=1)
        expires: dt.date = Field(strict=False)
        owner: str | None = None

    class File(BaseModel):
        model_config = strict_config()
        waivers: list[Entry]

    return File


def load_waivers(
    snap: RepoSnapshot, rubric: Rubric, today: dt.date | None = None
) -> tuple[dict[str, Waiver], tuple[str, ...]]:
    """The repository's waivers in force, by criterion id, and warnings about the rest."""
    if not snap.exists(WAIVERS_FILE):
        return {}, ()
    from mlops_factory._schema import validate

    source = f"{snap.root}/{WAIVERS_FILE}"
    docs = snap.yaml(WAIVERS_FILE)
    if docs is None:
        raise FactoryError(f"{source} cannot be read or is not valid YAML", _HINT)
    data = docs[0] if docs else {"waivers": []}
    parsed = validate(_models(), data, source=source, hint=_HINT, entry_keys=("criterion",))
    now = today or dt.date.today()
    active: dict[str, Waiver] = {}
    warnings: list[str] = []
    for entry in parsed.waivers:
        criterion = rubric.get(entry.criterion)
        if criterion is None:
            warnings.append(
                f"{WAIVERS_FILE}: waiver for unknown criterion {entry.criterion!r} ignored"
            )
            continue
        if entry.expires < now:
            warnings.append(
                f"{WAIVERS_FILE}: the waiver of {criterion.id} expired on"
                f" {entry.expires.isoformat()} and is ignored"
            )
            continue
        active[criterion.id] = Waiver(
            criterion.id, " ".join(entry.reason.split()), entry.expires.isoformat(), entry.owner
        )
    return active, tuple(warnings)
