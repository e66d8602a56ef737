"""Travis CI: ``.travis.yml`` at the repository root.

A build runs its phases (``install``, ``before_script``, ``script``,
``after_success``, ``deploy``...) on pushes and pull requests (both by default;
``branches: only`` narrows pushes); ``jobs.include`` adds jobs and stages, each
with an optional ``if:`` condition (``branch = main``, ``tag IS present``,
``type = cron``); a ``deploy`` runs for the branch or tags its ``on:`` names.
Cron builds are configured in the UI. Documented at https://docs.travis-ci.com/user/job-lifecycle/.
"""

from __future__ import annotations

import re

from mlops_factory._assess.collect._base import BuilderBase
from mlops_factory._assess.collect.cimodel import Gate, Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.shell import Command
from mlops_factory._assess.collect.yamlread import YMap, as_list, items, scalar_text

_PHASES = (
    "before_install",
    "install",
    "before_script",
    "script",
    "after_success",
    "before_deploy",
    "after_deploy",
)
_TYPE = {"push": "push", "pull_request": "pull_request", "cron": "schedule", "api": "dispatch"}


def travis_gate(condition: str) -> Gate:
    """The restriction a Travis ``if:`` condition puts on a job (conservative)."""
    if not condition or re.search(r"\bOR\b|\bNOT\b|!=", condition, re.I):
        return Gate()
    events = {
        _TYPE[m.group(1).lower()]
        for m in re.finditer(r"\btype\s*(?:=|IS)\s*(\w+)", condition, re.I)
        if m.group(1).lower() in _TYPE
    }
    refs = {
        "main" if m.group(1) in ("main", "master") else m.group(1)
        for m in re.finditer(r"\bbranch\s*=\s*([\w./-]+)", condition, re.I)
    }
    if re.search(r"\btag\s+IS\s+present\b", condition, re.I):
        refs.add("tag")
    return Gate(frozenset(events) or None, frozenset(refs) or None)


class TravisReader(BuilderBase):
    """Reads a Travis config into the CI model."""

    def travis(self, path: str, doc: YMap) -> Pipeline:
        branches = doc.get("branches")
        only = as_list(branches.get("only")) if isinstance(branches, YMap) else []
        except_ = as_list(branches.get("except")) if isinstance(branches, YMap) else []
        triggers = (
            Trigger("push", "push", path, 1, tuple(only), tuple(except_), implicit=True),
            Trigger("tag", "push", path, 1, implicit=True),
            Trigger("pull_request", "pull_request", path, 1, implicit=True),
        )
        jobs: list[Job] = []
        base = self._travis_job(path, "build", doc, doc.line, Gate())
        jobs_map = doc.get("jobs") if isinstance(doc.get("jobs"), YMap) else doc.get("matrix")
        includes = list(items(jobs_map.get("include"))) if isinstance(jobs_map, YMap) else []
        if base.steps:
            jobs.append(base)
        for item, span in includes:
            if isinstance(item, YMap):
                name = item.str("name") or item.str("stage") or "(job)"
                cond = scalar_text(item.get("if"))
                job = self._travis_job(
                    path, name, item, span.line if span else item.line, travis_gate(cond)
                )
                # An included job inherits the top-level phases it does not set.
                inherited = tuple(
                    s for s in base.steps if s.name not in {x.name for x in job.steps}
                )
                jobs.append(
                    Job(
                        job.path,
                        job.line,
                        job.id,
                        steps=inherited + job.steps,
                        gate=job.gate,
                        condition=cond,
                        stage=item.str("stage"),
                    )
                )
        return Pipeline("travis", path, path, 1, triggers, tuple(jobs), (path,))

    def _travis_job(self, path: str, name: str, body: YMap, line: int, gate: Gate) -> Job:
        steps: list[Step] = []
        for phase in _PHASES:
            cmds = self.command_list(body.get(phase), body.spans.get(phase))
            if cmds:
                steps.append(Step(path, body.key_line(phase), name=phase, commands=cmds))
        deploy_gate = gate
        for item, span in (
            items(body.get("deploy"))
            if not isinstance(body.get("deploy"), YMap)
            else [(body.get("deploy"), body.spans.get("deploy"))]
        ):
            if not isinstance(item, YMap):
                continue
            provider = item.str("provider")
            dline = span.line if span else body.key_line("deploy")
            deploy_cmds: tuple[Command, ...] = ()
            if provider == "script":
                deploy_cmds = self.command_list(item.get("script"), item.spans.get("script"))
            steps.append(
                Step(
                    path,
                    dline,
                    name="deploy",
                    uses=f"travis-deploy:{provider}",
                    commands=deploy_cmds,
                )
            )
            on = item.get("on")
            if isinstance(on, YMap):
                refs: set[str] = set()
                if on.get("tags") is True:
                    refs.add("tag")
                refs.update(
                    "main" if b in ("main", "master") else b for b in as_list(on.get("branch"))
                )
                if refs:
                    deploy_gate = Gate(gate.events, frozenset(refs))
        return Job(path, line, name, steps=tuple(steps), gate=deploy_gate)
