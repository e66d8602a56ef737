"""Evidence strength and scope: the stage between signals and criteria.

Signals mark what only they can know as weak (an opt-in logger, a disabled trigger).
This stage adds the rules that depend on *where* evidence is, the same for every
signal: code under examples/ or docs/, notebooks, test fixtures and template content
are weak. In a template repository, everything but the repository's own CI, tests and
build files is template content. With a scope (``--project DIR``), evidence outside
the folder (other than root CI and build files) is dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from mlops_factory._assess.model import Evidence, RepoKind, SignalResult

#: Folder names whose contents illustrate rather than run (compared lower-case).
_ILLUSTRATIVE = frozenset({"examples", "example", "docs", "doc", "tutorial", "tutorials"})
_FIXTURES = frozenset({"fixtures", "fixture", "testdata", "test_data", "__fixtures__"})
_TEMPLATE_SUFFIXES = (".jinja", ".jinja2", ".j2", ".tmpl")
#: Root-level files and folders that belong to the repository itself, template or not.
_OWN_ROOT = (
    # The CI systems' own folders at the root: workflows, composite actions, templates.
    ".github/",
    ".gitlab/",
    ".azuredevops/",
    ".buildkite/",
    ".gitlab-ci.yml",
    "Jenkinsfile",
    "azure-pipelines.yml",
    ".circleci/",
    "bitbucket-pipelines.yml",
    ".travis.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "buildspec.yml",
    "Makefile",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "tox.ini",
    "noxfile.py",
    "tests/",
    "test/",
)


def weak_reason(path: str) -> str | None:
    """Why evidence at ``path`` is weak wherever it is found, or None."""
    parts = path.split("/")
    low = [p.lower() for p in parts]
    if any("{{" in p or "{%" in p for p in parts) or low[-1].endswith(_TEMPLATE_SUFFIXES):
        return "template content, not this repository's running code"
    if low[-1].endswith(".ipynb"):
        return "only in a notebook"
    if any(p in _ILLUSTRATIVE for p in low[:-1]):
        return "in example or documentation code"
    if any(p in _FIXTURES for p in low[:-1]):
        return "in test fixtures"
    return None


def own_file(path: str) -> bool:
    """True for the repository's own CI, build and test files at its root."""
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in _OWN_ROOT)


def _weaken(ev: Evidence, why: str) -> Evidence:
    if ev.weak:
        return ev
    return replace(ev, weak=True, note=f"{ev.note} (weak: {why})" if ev.note else f"weak: {why}")


def qualify(
    signals: Mapping[str, SignalResult],
    *,
    kind: RepoKind = "project",
    scope: str | None = None,
    scaffolded: Collection[str] = (),
) -> dict[str, SignalResult]:
    """Apply the path rules to every signal's evidence; drop evidence outside ``scope``.

    ``scaffolded``: files that mlops-factory wrote and nothing in the repository uses
    yet: they are weak ("scaffolded, not integrated") and never raise a level alone.
    """
    prefix = scope.strip("/") + "/" if scope else None
    out: dict[str, SignalResult] = {}
    for name, res in signals.items():
        if res.error or not res.evidence:
            out[name] = res
            continue
        kept: list[Evidence] = []
        for ev in res.evidence:
            path = ev.path
            if path is None:
                kept.append(ev)
                continue
            if prefix and not (path.startswith(prefix) or own_file(path)):
                continue
            why = weak_reason(path)
            if why is None and path in scaffolded:
                why = (
                    "scaffolded by mlops-factory, not integrated: nothing in the repository uses it"
                )
            if why is None and kind == "template" and not own_file(path):
                why = "template content, not this repository's running code"
            kept.append(_weaken(ev, why) if why else ev)
        found = res.found and (bool(kept) or not prefix)
        out[name] = replace(res, evidence=tuple(kept), found=found)
    return out
