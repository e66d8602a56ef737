"""The provider-neutral CI model: pipelines, triggers, jobs, steps, gates."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from mlops_factory._assess.collect.shell import Command

Provider = Literal[
    "github",
    "azure",
    "gitlab",
    "jenkins",
    "cloudbuild",
    "codebuild",
    "codepipeline",
    "circleci",
    "bitbucket",
    "travis",
    "drone",
    "tekton",
    "argo",
]

PROVIDER_TITLES: dict[str, str] = {
    "github": "GitHub Actions",
    "azure": "Azure Pipelines",
    "gitlab": "GitLab CI",
    "jenkins": "Jenkins",
    "cloudbuild": "Google Cloud Build",
    "codebuild": "AWS CodeBuild",
    "codepipeline": "AWS CodePipeline",
    "circleci": "CircleCI",
    "bitbucket": "Bitbucket Pipelines",
    "travis": "Travis CI",
    "drone": "Drone",
    "tekton": "Tekton",
    "argo": "Argo Workflows",
}


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a job: a script, an action/task, or a Jenkins step."""

    path: str
    line: int
    name: str = ""
    id: str = ""
    commands: tuple[Command, ...] = ()
    #: GitHub action (``actions/checkout@v4``), Azure task (``AzureCLI@2``),
    #: Jenkins step name (``sh``, ``input``), GitLab ``trigger:<project>``.
    uses: str = ""
    inputs: tuple[tuple[str, str], ...] = ()
    condition: str = ""
    disabled: bool = False

    def input(self, key: str) -> str:
        """The value of input ``key`` (case-insensitive), or ''."""
        low = key.lower()
        for k, v in self.inputs:
            if k.lower() == low:
                return v
        return ""

    @property
    def title(self) -> str:
        return self.name or self.id or self.uses


@dataclass(frozen=True, slots=True)
class Gate:
    """What a job's condition restricts it to. ``None`` means no restriction.

    ``events`` uses the trigger kinds; ``refs`` holds ``"main"`` (the default
    branch), ``"tag"``, or other branch names.
    """

    events: frozenset[str] | None = None
    refs: frozenset[str] | None = None

    def union(self, other: Gate) -> Gate:
        ev = None if self.events is None or other.events is None else self.events | other.events
        refs = None if self.refs is None or other.refs is None else self.refs | other.refs
        return Gate(ev, refs)

    def narrowed_by(self, outer: Gate) -> Gate:
        """This gate where it restricts, ``outer`` where it does not."""
        return Gate(
            self.events if self.events is not None else outer.events,
            self.refs if self.refs is not None else outer.refs,
        )


@dataclass(frozen=True, slots=True)
class Job:
    """One job (a GitHub/Azure/GitLab job, a Jenkins stage)."""

    path: str
    line: int
    id: str
    name: str = ""
    stage: str = ""
    steps: tuple[Step, ...] = ()
    environment: str = ""
    environment_line: int = 0
    condition: str = ""
    gate: Gate = field(default_factory=Gate)
    disabled: bool = False
    #: Started by a person: GitLab ``when: manual``.
    manual: bool = False
    #: A declared deployment job: Azure ``deployment:``, GitLab job with an environment.
    deployment: bool = False
    needs: tuple[str, ...] = ()
    #: Repo path of a pipeline this job runs (GitHub reusable workflow, GitLab child).
    calls: str = ""
    #: Inputs passed to the called pipeline (``with:``), scalars only.
    call_inputs: tuple[tuple[str, str], ...] = ()
    #: Matrix axes with scalar values, for resolving ``${{ matrix.x }}``.
    matrix: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def title(self) -> str:
        return self.name or self.id

    @property
    def active_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if not s.disabled)

    @property
    def approval_steps(self) -> tuple[Step, ...]:
        """Active steps that wait for a person: Jenkins ``input``, Azure ``ManualValidation``,
        the GitHub ``manual-approval`` action, a CircleCI/CodePipeline approval."""
        return tuple(s for s in self.active_steps if is_approval(s.uses))


@dataclass(frozen=True, slots=True)
class Trigger:
    """What starts a pipeline. ``branches``/``exclude`` are branch filters (() = all)."""

    #: push, tag, pull_request, schedule, manual, dispatch, call (runs only when another
    #: pipeline calls this one) or other.
    kind: str
    event: str
    path: str
    line: int
    branches: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    detail: str = ""
    #: The provider's default, not written in the file (Azure/GitLab push, Jenkins SCM).
    implicit: bool = False

    @property
    def on_main(self) -> bool:
        """True for a push trigger that covers the main (or master) branch."""
        return self.kind == "push" and covers_main(self.branches, self.exclude)


@dataclass(frozen=True, slots=True)
class Pipeline:
    """One CI pipeline definition (a workflow file, an Azure/GitLab pipeline, a Jenkinsfile)."""

    provider: Provider
    path: str
    name: str
    line: int
    triggers: tuple[Trigger, ...] = ()
    jobs: tuple[Job, ...] = ()
    #: Every repo file this pipeline was assembled from (templates, includes, actions).
    sources: tuple[str, ...] = ()
    #: Why the platform would probably not run this file as it stands ('' = it would):
    #: a build spec that nothing in the repository points to, a workflow template.
    inactive: str = ""

    @property
    def title(self) -> str:
        return PROVIDER_TITLES[self.provider]

    @property
    def active_jobs(self) -> tuple[Job, ...]:
        return tuple(j for j in self.jobs if not j.disabled)


@dataclass(frozen=True)
class CIModel:
    """All CI pipelines of a repo, with trigger resolution across pipeline calls."""

    pipelines: tuple[Pipeline, ...] = ()

    def by_path(self, path: str) -> Pipeline | None:
        for p in self.pipelines:
            if p.path == path:
                return p
        return None

    def callers(self, pipeline: Pipeline) -> list[tuple[Pipeline, Job]]:
        """Active jobs of other pipelines that run ``pipeline``."""
        return [
            (p, j)
            for p in self.pipelines
            for j in p.active_jobs
            if j.calls == pipeline.path and p.path != pipeline.path
        ]

    def effective_triggers(
        self, pipeline: Pipeline, _seen: frozenset[str] = frozenset()
    ) -> tuple[Trigger, ...]:
        """The pipeline's triggers, with ``call`` replaced by what starts its callers."""
        out = [t for t in pipeline.triggers if t.kind != "call"]
        if any(t.kind == "call" for t in pipeline.triggers) and pipeline.path not in _seen:
            seen = _seen | {pipeline.path}
            for caller, job in self.callers(pipeline):
                out.extend(self.job_triggers(caller, job, seen))
        return tuple(out)

    def job_triggers(
        self, pipeline: Pipeline, job: Job, _seen: frozenset[str] = frozenset()
    ) -> tuple[Trigger, ...]:
        """The pipeline triggers under which ``job`` runs (its gate applied)."""
        out: list[Trigger] = []
        gate = job.gate
        for t in self.effective_triggers(pipeline, _seen):
            if gate.events is not None and t.kind not in gate.events:
                continue
            if gate.refs is not None:
                if t.kind == "tag":
                    if "tag" not in gate.refs:
                        continue
                elif t.kind == "pull_request":
                    continue
                else:
                    branches = tuple(r for r in gate.refs if r != "tag")
                    if not branches:
                        continue
                    if t.kind == "push":
                        kept = tuple(b for b in branches if _branch_covered(b, t))
                        if not kept:
                            continue
                        t = replace(t, branches=kept, exclude=())
            out.append(t)
        return tuple(out)

    def environments(self, pipeline: Pipeline, job: Job) -> tuple[str, ...]:
        """The job's environment names, with ``${{ inputs.x }}``/``${{ matrix.x }}`` resolved."""
        env = job.environment
        if not env:
            return ()
        m = _EXPR_REF.fullmatch(env.strip())
        if m is None:
            return (env,)
        scope, name = m.group(1), m.group(2)
        values: list[str] = []
        if scope == "matrix":
            values = [v for k, vs in job.matrix if k == name for v in vs]
        else:
            for _caller, cjob in self.callers(pipeline):
                values.extend(v for k, v in cjob.call_inputs if k == name and "${{" not in v)
        return tuple(dict.fromkeys(values)) or (env,)


def is_approval(uses: str) -> bool:
    low = uses.lower()
    return low in ("input", "approval") or low.startswith(
        ("manualvalidation@", "trstringer/manual-approval", "codepipeline:approval")
    )


_EXPR_REF = re.compile(r"\$\{\{\s*(inputs|matrix)\.([\w-]+)\s*\}\}")


def covers_main(branches: Iterable[str], exclude: Iterable[str] = ()) -> bool:
    """True when branch filters (() = all branches) include main or master."""
    inc = [_strip_ref(b) for b in branches]
    exc = [_strip_ref(b) for b in exclude]
    for name in ("main", "master"):
        if inc and not any(fnmatch.fnmatchcase(name, pat) for pat in inc):
            continue
        if any(fnmatch.fnmatchcase(name, pat) for pat in exc):
            continue
        return True
    return False


def _branch_covered(branch: str, trigger: Trigger) -> bool:
    if branch == "main":
        return covers_main(trigger.branches, trigger.exclude)
    inc = [_strip_ref(b) for b in trigger.branches]
    return (not inc or any(fnmatch.fnmatchcase(branch, p) for p in inc)) and not any(
        fnmatch.fnmatchcase(branch, _strip_ref(p)) for p in trigger.exclude
    )


def _strip_ref(ref: str) -> str:
    return ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref
