"""Conditions (GitHub ``if:``, Azure ``condition:``, GitLab ``rules: if``) as gates.

Expressions are read as text and classified with conservative patterns: what is
not understood restricts nothing.
"""

from __future__ import annotations

import re

from mlops_factory._assess.collect.cimodel import Gate

_FLAGS = re.IGNORECASE

_GH_EVENT = re.compile(r"github\.event_name\s*==\s*['\"]([\w-]+)['\"]", _FLAGS)
_GH_MAIN = re.compile(
    r"github\.ref\s*==\s*['\"]refs/heads/(main|master)['\"]"
    r"|github\.ref_name\s*==\s*['\"](main|master)['\"]"
    r"|github\.ref\s*==\s*format\([^)]*default_branch",
    _FLAGS,
)
_GH_BRANCH = re.compile(r"github\.ref\s*==\s*['\"]refs/heads/([\w./-]+)['\"]", _FLAGS)
_GH_TAG = re.compile(
    r"startsWith\(\s*github\.ref\s*,\s*['\"]refs/tags|github\.ref_type\s*==\s*['\"]tag", _FLAGS
)
_GH_EVENT_KIND = {
    "pull_request": "pull_request",
    "pull_request_target": "pull_request",
    "schedule": "schedule",
    "workflow_dispatch": "manual",
    "repository_dispatch": "dispatch",
    "workflow_run": "dispatch",
    "push": "push",
    "release": "tag",
}

_AZ_REASON = re.compile(
    r"(not\(\s*)?eq\(\s*variables\[?['\"]?build\.reason['\"]?\]?\s*,\s*['\"](\w+)['\"]", _FLAGS
)
_AZ_MAIN = re.compile(
    r"(not\(\s*)?eq\(\s*variables\[?['\"]?build\.sourcebranch(name)?['\"]?\]?\s*,\s*"
    r"['\"](refs/heads/)?(main|master)['\"]",
    _FLAGS,
)
_AZ_TAG = re.compile(
    r"(not\(\s*)?startsWith\(\s*variables\[?['\"]?build\.sourcebranch['\"]?\]?\s*,\s*['\"]refs/tags",
    _FLAGS,
)
_AZ_REASON_KIND = {
    "pullrequest": "pull_request",
    "schedule": "schedule",
    "manual": "manual",
    "individualci": "push",
    "batchedci": "push",
    "resourcetrigger": "dispatch",
    "buildcompletion": "dispatch",
}

_GL_SOURCE = re.compile(r"\$CI_PIPELINE_SOURCE\s*==\s*['\"]([\w-]+)['\"]", _FLAGS)
_GL_MR = re.compile(r"\$CI_MERGE_REQUEST_I?ID\b(?!\s*==\s*null)", _FLAGS)
_GL_MAIN = re.compile(
    r"\$CI_COMMIT_(BRANCH|REF_NAME)\s*==\s*(\$CI_DEFAULT_BRANCH|['\"](main|master)['\"])", _FLAGS
)
_GL_BRANCH = re.compile(r"\$CI_COMMIT_(?:BRANCH|REF_NAME)\s*==\s*['\"]([\w./-]+)['\"]", _FLAGS)
_GL_TAG = re.compile(r"\$CI_COMMIT_TAG\b(?!\s*==\s*null)", _FLAGS)
_GL_SOURCE_KIND = {
    "merge_request_event": "pull_request",
    "external_pull_request_event": "pull_request",
    "schedule": "schedule",
    "web": "manual",
    "api": "dispatch",
    "trigger": "dispatch",
    "pipeline": "dispatch",
    "parent_pipeline": "call",
    "push": "push",
}
GL_ONLY_KIND = {
    "merge_requests": "pull_request",
    "external_pull_requests": "pull_request",
    "schedules": "schedule",
    "web": "manual",
    "api": "dispatch",
    "triggers": "dispatch",
    "pipelines": "dispatch",
    "pushes": "push",
}


def classify_condition(provider: str, text: str) -> Gate:
    """The restriction a condition expression puts on a job (conservative).

    Disjunctions are split and their gates joined; anything not understood
    restricts nothing.
    """
    if not text.strip():
        return Gate()
    if provider == "azure":
        if re.search(r"\bor\(", text, _FLAGS):
            return Gate()
        return _classify_one(provider, text)
    gate: Gate | None = None
    for part in text.split("||"):
        one = _classify_one(provider, part)
        gate = one if gate is None else gate.union(one)
    return gate or Gate()


def _classify_one(provider: str, text: str) -> Gate:
    events: set[str] = set()
    refs: set[str] = set()
    if provider == "github":
        for m in _GH_EVENT.finditer(text):
            events.add(_GH_EVENT_KIND.get(m.group(1), "other"))
        if _GH_MAIN.search(text):
            refs.add("main")
        else:
            refs.update(m.group(1) for m in _GH_BRANCH.finditer(text))
        if _GH_TAG.search(text):
            refs.add("tag")
    elif provider == "azure":
        for m in _AZ_REASON.finditer(text):
            if not m.group(1):
                events.add(_AZ_REASON_KIND.get(m.group(2).lower(), "other"))
        for m in _AZ_MAIN.finditer(text):
            if not m.group(1):
                refs.add("main")
        for m in _AZ_TAG.finditer(text):
            if not m.group(1):
                refs.add("tag")
    elif provider == "gitlab":
        for m in _GL_SOURCE.finditer(text):
            events.add(_GL_SOURCE_KIND.get(m.group(1).lower(), "other"))
        if _GL_MR.search(text):
            events.add("pull_request")
        if _GL_MAIN.search(text):
            refs.add("main")
        else:
            refs.update(m.group(1) for m in _GL_BRANCH.finditer(text))
        if _GL_TAG.search(text):
            refs.add("tag")
    return Gate(frozenset(events) if events else None, frozenset(refs) if refs else None)
