"""SARIF 2.1.0, for code-scanning dashboards.

One rule per criterion; one result per finding that needs attention (unmet,
error, not assessed). Results point at their evidence, or at the repository
root when there is none (an unmet criterion usually has nothing to point at).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from mlops_factory._assess.model import (
    LEVEL_NAMES,
    Assessment,
    Criterion,
    Evidence,
    Finding,
    Outcome,
    Rubric,
    command_for,
)
from mlops_factory._assess.render import _common as c

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "SRCROOT"

#: SARIF result level per outcome; met and not applicable give no result.
RESULT_LEVELS: dict[Outcome, str] = {
    Outcome.UNMET: "warning",
    Outcome.ERROR: "error",
    Outcome.NOT_ASSESSED: "note",
    # A waived criterion is still reported, with a suppression that carries the reason.
    Outcome.WAIVED: "warning",
}
#: Locations per result; dashboards show the first, the JSON output has them all.
MAX_LOCATIONS = 10
#: Unreadable paths reported as tool notifications.
MAX_NOTIFICATIONS = 200


def _rule_name(title: str) -> str:
    """A readable identifier from a title: "Runs are tracked" -> RunsAreTracked."""
    words = "".join(ch if ch.isalnum() else " " for ch in title).split()
    return "".join(w[:1].upper() + w[1:] for w in words) or "Criterion"


def _help_markdown(crit: Criterion) -> str:
    r = crit.remediation
    lines = [
        r.text,
        "",
        f"- **Effort:** {c.effort(r.effort)}",
        f"- **Success criterion:** {r.success}",
        f"- **Deliverable:** {r.deliverable}",
        f"- **Catalog component:** {f'`{r.component}`' if r.component else c.PEOPLE_STEP}",
        "",
        f"Full text: `mlops-factory explain {crit.id}`",
    ]
    return "\n".join(lines)


def _rule(crit: Criterion) -> dict[str, Any]:
    r = crit.remediation
    return {
        "id": crit.id,
        "name": _rule_name(crit.title),
        "shortDescription": {"text": crit.title},
        "fullDescription": {"text": crit.motivation},
        "help": {"text": r.text, "markdown": _help_markdown(crit)},
        "defaultConfiguration": {"level": "warning"},
        "properties": {
            "level": crit.level,
            "levelName": LEVEL_NAMES.get(crit.level, ""),
            "dimension": crit.dimension,
            "kind": crit.kind,
            "role": crit.role,
            "restsOn": list(crit.rests_on),
            "effort": r.effort.to_dict(),
            "component": r.component,
            "tags": ["mlops-maturity", crit.dimension, f"level-{crit.level}"],
        },
    }


def _uri(path: str) -> str:
    return quote(path.lstrip("/"), safe="/")


def _location(ev: Evidence | None) -> dict[str, Any]:
    if ev is None or not ev.path:
        # The repository root: the result is about the repo as a whole.
        return {"physicalLocation": {"artifactLocation": {"uri": "./", "uriBaseId": SRCROOT}}}
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(ev.path), "uriBaseId": SRCROOT}}
    if ev.line is not None and ev.line >= 1:
        region: dict[str, Any] = {"startLine": ev.line}
        if ev.snippet:
            region["snippet"] = {"text": ev.snippet}
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if ev.note or ev.weak:
        text = ev.note or "weak evidence"
        if ev.note and ev.weak:
            text += " (weak evidence)"
        location["message"] = {"text": text}
    return location


def _message(f: Finding) -> str:
    crit = f.criterion
    parts = [f"{crit.title}: {c.OUTCOME_LABELS[f.outcome]}."]
    if f.message:
        parts.append(f.message if f.message.endswith(".") else f"{f.message}.")
    question = c.question_of(f)
    if question:
        parts.append(f"Answer the questionnaire (--answers FILE): {question}")
    elif f.outcome is Outcome.UNMET:
        parts.append(crit.remediation.text)
        command = command_for(crit)
        if command:
            parts.append(f"Run: {command}")
    return " ".join(parts)


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    with_path = [ev for ev in f.evidence if ev.path]
    locations = [_location(ev) for ev in with_path[:MAX_LOCATIONS]] or [_location(None)]
    out: dict[str, Any] = {
        "ruleId": f.criterion.id,
        "ruleIndex": rule_index,
        "level": RESULT_LEVELS[f.outcome],
        "message": {"text": _message(f)},
        "locations": locations,
        "properties": {
            "outcome": f.outcome.value,
            "level": f.criterion.level,
            "dimension": f.criterion.dimension,
            "role": f.criterion.role,
        },
    }
    if f.waiver:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{f.waiver.reason} (until {f.waiver.expires})",
            }
        ]
    return out


def _utc(stamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def _sarif_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _invocation(assessment: Assessment) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": True}
    end = _utc(assessment.generated_at)
    if end is not None:
        invocation["startTimeUtc"] = _sarif_time(end - timedelta(seconds=assessment.duration_s))
        invocation["endTimeUtc"] = _sarif_time(end)
    notes = []
    for u in assessment.repo.unreadable[:MAX_NOTIFICATIONS]:
        notes.append(
            {
                "level": "note",
                "message": {"text": f"Not read: {u.reason}"},
                "locations": [_location(Evidence(u.path))],
            }
        )
    hidden = len(assessment.repo.unreadable) - MAX_NOTIFICATIONS
    if hidden > 0:
        notes.append({"level": "note", "message": {"text": f"{hidden} more paths not read."}})
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def to_sarif(assessment: Assessment, *, rubric: Rubric | None = None) -> dict[str, Any]:
    """The SARIF log as a dict."""
    criteria: dict[str, Criterion] = {}
    for crit in (rubric.criteria if rubric else ()) + tuple(
        f.criterion for f in assessment.findings
    ):
        criteria.setdefault(crit.id, crit)
    index = {cid: i for i, cid in enumerate(criteria)}
    results = [
        _result(f, index[f.criterion.id]) for f in assessment.findings if f.outcome in RESULT_LEVELS
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "mlops-factory",
                "version": assessment.tool_version,
                "semanticVersion": assessment.tool_version,
                "rules": [_rule(crit) for crit in criteria.values()],
            }
        },
        "invocations": [_invocation(assessment)],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "level": assessment.level,
            "levelName": LEVEL_NAMES[assessment.level],
            "peopleAssessed": assessment.people_assessed,
            "dimensions": {d.id: d.level for d in assessment.dimensions},
            "nextLevels": {
                d.id: d.next_level.to_dict() if d.next_level else None
                for d in assessment.dimensions
            },
            "repoKind": assessment.repo.kind,
            "levelReason": assessment.level_reason,
            "rubric": {"id": assessment.rubric_id, "version": assessment.rubric_version},
            "targetLevel": assessment.plan.target_level,
        },
    }
    root = PurePath(assessment.repo.path)
    if root.is_absolute():
        uri = root.as_uri()
        run["originalUriBaseIds"] = {SRCROOT: {"uri": uri if uri.endswith("/") else uri + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render(assessment: Assessment, *, rubric: Rubric | None = None) -> str:
    """The SARIF log as JSON text."""
    return json.dumps(to_sarif(assessment, rubric=rubric), indent=2) + "\n"
