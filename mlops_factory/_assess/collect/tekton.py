"""Tekton Pipelines and Triggers (``apiVersion: tekton.dev/*``, ``triggers.tekton.dev/*``).

A ``Task`` runs ``steps`` (``script``, or ``command`` and ``args``); a ``Pipeline``
runs ``tasks`` and ``finally`` tasks (``taskRef`` to a Task or an inline
``taskSpec``). What starts a pipeline: an ``EventListener`` whose trigger
(interceptor ``eventTypes``: push, pull_request...) instantiates a
``TriggerTemplate`` that creates a ``PipelineRun`` of it; or a Pipelines-as-Code
``PipelineRun`` annotated ``pipelinesascode.tekton.dev/on-event`` and
``on-target-branch``. A pipeline nothing in the repository triggers is started by
hand (``tkn pipeline start``). Documented at https://tekton.dev/docs/pipelines/ and
https://tekton.dev/docs/triggers/.
"""

from __future__ import annotations

import re

from mlops_factory._assess.collect._base import BuilderBase
from mlops_factory._assess.collect.cimodel import Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.shell import Command, container_command, script_commands
from mlops_factory._assess.collect.yamlread import YMap, as_list, items

_EVENTS = {
    "push": "push",
    "pull_request": "pull_request",
    "pull-request": "pull_request",
    "tag_push": "tag",
    "merge_request": "pull_request",
    "incoming": "dispatch",
}


def _name(doc: YMap) -> str:
    meta = doc.get("metadata")
    return meta.str("name") if isinstance(meta, YMap) else ""


def _spec(doc: YMap) -> YMap:
    spec = doc.get("spec")
    return spec if isinstance(spec, YMap) else YMap(doc.line)


class TektonReader(BuilderBase):
    """Reads Tekton resources (all files together: refs cross files) into the CI model."""

    def container_steps(self, path: str, steps_value: object) -> list[Step]:
        out: list[Step] = []
        for item, _span in items(steps_value):
            if not isinstance(item, YMap):
                continue
            cmds: tuple[Command, ...]
            if "script" in item:
                cmds = self.commands(item.get("script"), item.spans.get("script"))
            elif "source" in item:
                cmds = self.commands(item.get("source"), item.spans.get("source"))
            else:
                command = as_list(item.get("command"))
                text = container_command(
                    item.str("image"), " ".join(command), as_list(item.get("args"))
                )
                line = item.key_line("command") if "command" in item else item.line
                cmds = (
                    tuple(script_commands(text, line, per_line=False))
                    if (command or "args" in item)
                    else ()
                )
            out.append(
                Step(path, item.line, name=item.str("name"), commands=cmds, uses=item.str("image"))
            )
        return out

    def tekton(self, docs: list[tuple[str, YMap]]) -> list[Pipeline]:
        tasks: dict[str, list[Step]] = {}
        for path, doc in docs:
            if doc.str("kind") in ("Task", "ClusterTask"):
                tasks[_name(doc)] = self.container_steps(path, _spec(doc).get("steps"))
        triggers = self._tekton_triggers(docs)
        out: list[Pipeline] = []
        for path, doc in docs:
            kind = doc.str("kind")
            spec = _spec(doc)
            if kind == "Pipeline":
                name = _name(doc)
                trig = triggers.get(name) or [
                    Trigger("manual", "tkn", path, doc.line, implicit=True)
                ]
                out.append(self._tekton_pipeline(path, name, doc.line, spec, tasks, trig))
            elif kind == "PipelineRun" and isinstance(pspec := spec.get("pipelineSpec"), YMap):
                meta = doc.get("metadata")
                ann = meta.get("annotations") if isinstance(meta, YMap) else None
                trig = _pac_triggers(path, ann) if isinstance(ann, YMap) else []
                trig = trig or [Trigger("manual", "tkn", path, doc.line, implicit=True)]
                out.append(
                    self._tekton_pipeline(path, _name(doc) or path, doc.line, pspec, tasks, trig)
                )
        return out

    def _tekton_pipeline(
        self,
        path: str,
        name: str,
        line: int,
        spec: YMap,
        tasks: dict[str, list[Step]],
        triggers: list[Trigger],
    ) -> Pipeline:
        jobs: list[Job] = []
        for key in ("tasks", "finally"):
            for item, _span in items(spec.get(key)):
                if not isinstance(item, YMap):
                    continue
                ref = item.get("taskRef")
                steps: list[Step] = []
                if isinstance(ref, YMap):
                    steps = list(tasks.get(ref.str("name"), []))
                inline = item.get("taskSpec")
                if isinstance(inline, YMap):
                    steps = self.container_steps(path, inline.get("steps"))
                jobs.append(
                    Job(
                        path,
                        item.line,
                        item.str("name") or "(task)",
                        steps=tuple(steps),
                        needs=tuple(as_list(item.get("runAfter"))),
                    )
                )
        return Pipeline("tekton", path, name, line, tuple(triggers), tuple(jobs), (path,))

    def _tekton_triggers(self, docs: list[tuple[str, YMap]]) -> dict[str, list[Trigger]]:
        """Pipeline name -> triggers, through EventListener -> TriggerTemplate -> PipelineRun."""
        template_runs: dict[str, list[str]] = {}
        for _path, doc in docs:
            if doc.str("kind") != "TriggerTemplate":
                continue
            for res, _span in items(_spec(doc).get("resourcetemplates")):
                if isinstance(res, YMap) and res.str("kind") == "PipelineRun":
                    ref = _spec(res).get("pipelineRef")
                    if isinstance(ref, YMap):
                        template_runs.setdefault(_name(doc), []).append(ref.str("name"))
        out: dict[str, list[Trigger]] = {}
        for path, doc in docs:
            if doc.str("kind") != "EventListener":
                continue
            for trig, span in items(_spec(doc).get("triggers")):
                if not isinstance(trig, YMap):
                    continue
                template = trig.get("template")
                tname = (
                    template.str("ref") or template.str("name")
                    if isinstance(template, YMap)
                    else ""
                )
                events: list[str] = []
                for icp, _s in items(trig.get("interceptors")):
                    if not isinstance(icp, YMap):
                        continue
                    for param, _ps in items(icp.get("params")):
                        if isinstance(param, YMap) and param.str("name") == "eventTypes":
                            events.extend(as_list(param.get("value")))
                line = span.line if span else doc.line
                kinds = [_EVENTS.get(e.lower(), "other") for e in events] or ["dispatch"]
                for pipeline in template_runs.get(tname, []):
                    out.setdefault(pipeline, []).extend(
                        Trigger(k, "EventListener", path, line, detail=tname) for k in kinds
                    )
        return out


def _pac_triggers(path: str, ann: YMap) -> list[Trigger]:
    events = _pac_list(ann.str("pipelinesascode.tekton.dev/on-event"))
    branches = tuple(_pac_list(ann.str("pipelinesascode.tekton.dev/on-target-branch")))
    line = ann.key_line("pipelinesascode.tekton.dev/on-event")
    out: list[Trigger] = []
    for ev in events:
        kind = _EVENTS.get(ev.lower(), "other")
        if kind == "push" and any(b.startswith("refs/tags") for b in branches):
            out.append(Trigger("tag", ev, path, line))
        else:
            out.append(Trigger(kind, ev, path, line, branches if kind != "tag" else ()))
    return out


def _pac_list(text: str) -> list[str]:
    return [t for t in re.split(r"[\[\],\s\"']+", text) if t]
