"""Drone: ``.drone.yml`` at the repository root (one or more ``kind: pipeline`` documents).

Each pipeline has ``steps`` (``commands`` run in the step's image) with optional
``when`` conditions (``branch``, ``event``, ``target``) and a pipeline-level
``trigger`` with the same keys plus ``cron`` (a named cron job). Events: ``push``,
``pull_request``, ``tag``, ``promote`` and ``rollback`` (a person promotes a build
to a ``target`` environment), ``cron``, ``custom``. With no event filter a pipeline
runs on push, pull request and tag. Documented at https://docs.drone.io/pipeline/docker/syntax/.
"""

from __future__ import annotations

from mlops_factory._assess.collect._base import BuilderBase
from mlops_factory._assess.collect.cimodel import Gate, Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.yamlread import YMap, as_list, items

_EVENTS = {
    "push": "push",
    "pull_request": "pull_request",
    "tag": "tag",
    "promote": "manual",
    "rollback": "manual",
    "cron": "schedule",
    "custom": "dispatch",
}


def _include(value: object) -> list[str]:
    if isinstance(value, YMap):
        return as_list(value.get("include"))
    return as_list(value)


class DroneReader(BuilderBase):
    """Reads Drone pipelines into the CI model."""

    def drone(self, path: str, doc: YMap) -> Pipeline | None:
        if doc.str("kind") not in ("pipeline", "") or "steps" not in doc:
            return None
        trig = doc.get("trigger")
        trig = trig if isinstance(trig, YMap) else YMap(1)
        line = doc.key_line("trigger") if "trigger" in doc else doc.line
        events = _include(trig.get("event")) or ["push", "pull_request", "tag"]
        branches = tuple(_include(trig.get("branch")))
        triggers: list[Trigger] = []
        for ev in events:
            kind = _EVENTS.get(ev, "other")
            detail = ", ".join(_include(trig.get("cron"))) if kind == "schedule" else ""
            if ev in ("promote", "rollback"):
                detail = ", ".join(_include(trig.get("target")))
            triggers.append(
                Trigger(
                    kind,
                    ev,
                    path,
                    line,
                    branches if kind == "push" else (),
                    detail=detail,
                    implicit="event" not in trig,
                )
            )
        jobs: list[Job] = []
        for item, _span in items(doc.get("steps")):
            if not isinstance(item, YMap):
                continue
            cmds = self.command_list(item.get("commands"), item.spans.get("commands"))
            when = item.get("when")
            gate = Gate()
            env = ""
            if isinstance(when, YMap):
                kinds = {_EVENTS.get(e, "other") for e in _include(when.get("event"))}
                refs = {
                    "main" if b in ("main", "master") else b for b in _include(when.get("branch"))
                }
                gate = Gate(frozenset(kinds) or None, frozenset(refs) or None)
                targets = _include(when.get("target"))
                env = targets[0] if targets else ""
            step = Step(
                path, item.line, name=item.str("name"), commands=cmds, uses=item.str("image")
            )
            jobs.append(
                Job(
                    path,
                    item.line,
                    item.str("name") or "(step)",
                    steps=(step,),
                    gate=gate,
                    environment=env,
                    environment_line=item.key_line("when") if env else 0,
                )
            )
        return Pipeline(
            "drone", path, doc.str("name") or path, doc.line, tuple(triggers), tuple(jobs), (path,)
        )
