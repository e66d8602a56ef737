"""Argo Workflows (``apiVersion: argoproj.io/v1alpha1``): Workflow, CronWorkflow,
WorkflowTemplate, and the Argo Events ``Sensor`` that submits them.

Templates run a ``container`` (``command``/``args``) or a ``script``
(``source``); ``steps`` and ``dag`` templates only call other templates. A
CronWorkflow runs on its ``schedule``/``schedules``; a WorkflowTemplate runs when a
Sensor's trigger submits a workflow from it (an event); a Workflow manifest is
submitted by hand or by another system. Documented at
https://argo-workflows.readthedocs.io/en/latest/fields/ and
https://argoproj.github.io/argo-events/sensors/triggers/argo-workflow/.
"""

from __future__ import annotations

from mlops_factory._assess.collect.cimodel import Job, Pipeline, Trigger
from mlops_factory._assess.collect.tekton import TektonReader, _name, _spec
from mlops_factory._assess.collect.yamlread import Span, YList, YMap, as_list, items

_KINDS = ("Workflow", "CronWorkflow", "WorkflowTemplate", "ClusterWorkflowTemplate")


class ArgoReader(TektonReader):
    """Reads Argo Workflows manifests into the CI model."""

    def argo(self, docs: list[tuple[str, YMap]]) -> list[Pipeline]:
        sensed: dict[str, list[Trigger]] = {}
        for path, doc in docs:
            if doc.str("kind") == "Sensor":
                for name, line in _sensor_targets(doc):
                    sensed.setdefault(name, []).append(
                        Trigger("dispatch", "sensor", path, line, detail=_name(doc))
                    )
        out: list[Pipeline] = []
        for path, doc in docs:
            kind = doc.str("kind")
            if kind not in _KINDS:
                continue
            spec = _spec(doc)
            name = _name(doc) or path
            triggers: list[Trigger] = []
            if kind == "CronWorkflow":
                crons = as_list(spec.get("schedules")) or as_list(spec.get("schedule"))
                line = (
                    spec.key_line("schedules") if "schedules" in spec else spec.key_line("schedule")
                )
                triggers = [Trigger("schedule", "cron", path, line, detail=c) for c in crons]
                inner = spec.get("workflowSpec")
                spec = inner if isinstance(inner, YMap) else YMap(spec.line)
            triggers.extend(sensed.get(name, []))
            if not triggers:
                triggers = [Trigger("manual", "submit", path, doc.line, implicit=True)]
            jobs: list[Job] = []
            for tpl, _span in items(spec.get("templates")):
                if not isinstance(tpl, YMap):
                    continue
                body = (
                    tpl.get("container")
                    if isinstance(tpl.get("container"), YMap)
                    else (tpl.get("script"))
                )
                if not isinstance(body, YMap):
                    continue
                steps = self.container_steps(path, _one(body))
                jobs.append(
                    Job(path, tpl.line, tpl.str("name") or "(template)", steps=tuple(steps))
                )
            out.append(
                Pipeline("argo", path, name, doc.line, tuple(triggers), tuple(jobs), (path,))
            )
        return out


def _one(body: YMap) -> YList:
    seq = YList(body.line)
    seq.append(body)
    seq.spans.append(Span(body.line, body.line, body.line))
    return seq


def _sensor_targets(doc: YMap) -> list[tuple[str, int]]:
    """(workflow template name, line) of each Sensor trigger that submits a workflow."""
    out: list[tuple[str, int]] = []
    for trig, span in items(_spec(doc).get("triggers")):
        tmpl = trig.get("template") if isinstance(trig, YMap) else None
        if not isinstance(tmpl, YMap):
            continue
        for key in ("argoWorkflow", "k8s"):
            body = tmpl.get(key)
            source = body.get("source") if isinstance(body, YMap) else None
            resource = source.get("resource") if isinstance(source, YMap) else None
            if not isinstance(resource, YMap):
                continue
            spec = _spec(resource)
            ref = spec.get("workflowTemplateRef")
            if isinstance(ref, YMap):
                out.append((ref.str("name"), span.line if span else doc.line))
            elif resource.str("kind") == "Workflow":
                out.append((_name(resource) or "", span.line if span else doc.line))
    return out
