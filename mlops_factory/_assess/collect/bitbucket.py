"""Bitbucket Pipelines: ``bitbucket-pipelines.yml`` at the repository root.

``pipelines`` holds ``default`` (every push not matched elsewhere), ``branches``,
``tags``, ``pull-requests`` and ``custom`` (started by hand or by a schedule set
up in the UI) sections; each is a list of ``step``, ``parallel`` and ``stage``
items. A step has a ``script``, an optional ``deployment`` environment and
``trigger: manual`` (it waits until a person starts it).
Documented at https://support.atlassian.com/bitbucket-cloud/docs/bitbucket-pipelines-configuration-reference/.
"""

from __future__ import annotations

from typing import Any

from mlops_factory._assess.collect._base import BuilderBase
from mlops_factory._assess.collect.cimodel import Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.yamlread import YList, YMap, items


class BitbucketReader(BuilderBase):
    """Reads Bitbucket Pipelines into one pipeline per section."""

    def bitbucket(self, path: str, doc: YMap) -> list[Pipeline]:
        sections = doc.get("pipelines")
        out: list[Pipeline] = []
        if not isinstance(sections, YMap):
            return out
        for section, value in sections.items():
            line = sections.key_line(section)
            if section == "default" and isinstance(value, YList):
                trig = Trigger("push", "default", path, line)
                out.append(self._bb_pipeline(path, "default", value, (trig,)))
                continue
            if not isinstance(value, YMap):
                continue
            for pattern, body in value.items():
                if not isinstance(body, YList):
                    continue
                pline = value.key_line(pattern)
                name = f"{section}: {pattern}"
                if section == "branches":
                    trig = Trigger("push", "branches", path, pline, (str(pattern),))
                elif section == "tags":
                    trig = Trigger("tag", "tags", path, pline, detail=str(pattern))
                elif section == "pull-requests":
                    trig = Trigger("pull_request", "pull-requests", path, pline)
                elif section == "custom":
                    trig = Trigger("manual", "custom", path, pline)
                else:
                    continue
                out.append(self._bb_pipeline(path, name, body, (trig,)))
        return out

    def _bb_pipeline(
        self, path: str, name: str, body: YList, triggers: tuple[Trigger, ...]
    ) -> Pipeline:
        jobs: list[Job] = []
        self._bb_items(path, body, jobs, "", 0)
        return Pipeline("bitbucket", path, name, body.line, triggers, tuple(jobs), (path,))

    def _bb_items(self, path: str, value: Any, jobs: list[Job], env: str, depth: int) -> None:
        if depth > 4:
            return
        for item, _span in items(value):
            if not isinstance(item, YMap):
                continue
            step = item.get("step")
            if isinstance(step, YMap):
                jobs.append(self._bb_step(path, step, env))
            par = item.get("parallel")
            if isinstance(par, YMap):
                par = par.get("steps")
            if isinstance(par, YList):
                self._bb_items(path, par, jobs, env, depth + 1)
            stage = item.get("stage")
            if isinstance(stage, YMap):
                self._bb_items(path, stage.get("steps"), jobs, stage.str("deployment"), depth + 1)

    def _bb_step(self, path: str, step: YMap, stage_env: str) -> Job:
        steps: list[Step] = []
        for key in ("script", "after-script"):
            cmds = self.command_list(step.get(key), step.spans.get(key))
            if cmds:
                steps.append(Step(path, step.key_line(key), name=key, commands=cmds))
        for item, span in items(step.get("script")):
            if isinstance(item, YMap) and "pipe" in item:
                steps.append(Step(path, span.line if span else step.line, uses=item.str("pipe")))
        env = step.str("deployment") or stage_env
        return Job(
            path,
            step.line,
            step.str("name") or "(step)",
            steps=tuple(steps),
            environment=env,
            environment_line=step.key_line("deployment") if env else 0,
            manual=step.str("trigger") == "manual",
            deployment=bool(env),
        )
