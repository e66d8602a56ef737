"""CircleCI: ``.circleci/config.yml`` at the repository root.

Jobs hold ``steps`` (``run:`` as a string or with ``command:``); workflows
invoke jobs with ``requires``, branch and tag ``filters`` and ``type: approval``
(a hold until a person approves). A workflow runs on every push unless its
``triggers`` are schedules (legacy scheduled workflows) or its ``when`` asks for
a scheduled pipeline; jobs run on tags only when a tag filter says so.
Documented at https://circleci.com/docs/configuration-reference/.
"""

from __future__ import annotations

from mlops_factory._assess.collect._base import BuilderBase
from mlops_factory._assess.collect.cimodel import Gate, Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.yamlread import YMap, as_list, items, scalar_text


class CircleCIReader(BuilderBase):
    """Reads a CircleCI config into one pipeline per workflow."""

    def circleci_steps(self, path: str, job: YMap) -> list[Step]:
        steps: list[Step] = []
        for item, span in items(job.get("steps")):
            if isinstance(item, str):
                steps.append(Step(path, span.line if span else job.line, name=item, uses=item))
                continue
            if not isinstance(item, YMap):
                continue
            for key, value in item.items():
                line = item.key_line(key)
                if key == "run":
                    if isinstance(value, YMap):
                        cmds = self.commands(value.get("command"), value.spans.get("command"))
                        steps.append(
                            Step(path, line, name=value.str("name"), commands=cmds, uses="run")
                        )
                    else:
                        cmds = self.commands(value, item.spans.get(key))
                        steps.append(Step(path, line, commands=cmds, uses="run"))
                else:
                    # An orb command or a built-in step (`save_cache`): visible, not run here.
                    steps.append(Step(path, line, name=str(key), uses=str(key)))
        return steps

    def circleci(self, path: str, doc: YMap) -> list[Pipeline]:
        jobs_map = doc.get("jobs")
        jobs_map = jobs_map if isinstance(jobs_map, YMap) else YMap(1)
        workflows = doc.get("workflows")
        out: list[Pipeline] = []
        if not isinstance(workflows, YMap):
            return out
        for wf_name, wf in workflows.items():
            if not isinstance(wf, YMap):
                continue
            triggers = self._circleci_triggers(path, wf)
            jobs: list[Job] = []
            for entry, span in items(wf.get("jobs")):
                name, cfg = (
                    (entry, YMap(span.line if span else 1))
                    if isinstance(entry, str)
                    else (
                        next(iter(entry.items()))
                        if isinstance(entry, YMap) and entry
                        else ("", None)
                    )
                )
                if not name or not isinstance(cfg, YMap):
                    continue
                line = span.line if span else wf.line
                gate = _circleci_gate(cfg.get("filters"))
                if cfg.str("type") == "approval":
                    step = Step(path, line, name=str(name), uses="approval")
                    jobs.append(
                        Job(
                            path,
                            line,
                            str(name),
                            steps=(step,),
                            gate=gate,
                            needs=tuple(as_list(cfg.get("requires"))),
                        )
                    )
                    continue
                body = jobs_map.get(str(name))
                steps = self.circleci_steps(path, body) if isinstance(body, YMap) else []
                jobs.append(
                    Job(
                        path,
                        line,
                        str(cfg.str("name") or name),
                        steps=tuple(steps),
                        gate=gate,
                        needs=tuple(as_list(cfg.get("requires"))),
                    )
                )
            out.append(
                Pipeline(
                    "circleci", path, str(wf_name), wf.line, tuple(triggers), tuple(jobs), (path,)
                )
            )
        return out

    def _circleci_triggers(self, path: str, wf: YMap) -> list[Trigger]:
        out: list[Trigger] = []
        for item, _span in items(wf.get("triggers")):
            sched = item.get("schedule") if isinstance(item, YMap) else None
            if isinstance(sched, YMap):
                branches = _filter_list(sched.get("filters"), "branches", "only")
                out.append(
                    Trigger(
                        "schedule",
                        "schedule",
                        path,
                        sched.key_line("cron"),
                        tuple(branches),
                        detail=sched.str("cron"),
                    )
                )
        when = scalar_text(wf.get("when")) or str(wf.get("when") or "")
        if "scheduled_pipeline" in when and "not" not in when.lower():
            out.append(Trigger("schedule", "scheduled_pipeline", path, wf.key_line("when")))
        if not out:
            out.append(Trigger("push", "push", path, wf.line, implicit=True))
            out.append(Trigger("tag", "push", path, wf.line, implicit=True))
        return out


def _filter_list(filters: object, kind: str, key: str) -> list[str]:
    if not isinstance(filters, YMap):
        return []
    sub = filters.get(kind)
    return as_list(sub.get(key)) if isinstance(sub, YMap) else []


def _circleci_gate(filters: object) -> Gate:
    """Branch and tag filters: jobs run on tags only when a ``tags`` filter allows it."""
    only = _filter_list(filters, "branches", "only")
    ignore = _filter_list(filters, "branches", "ignore")
    refs: set[str] = {"main" if b in ("main", "master") else b for b in only}
    if not only and not any(p in ("/.*/", ".*") for p in ignore):
        refs.add("*")  # every branch, but no tag
    if _filter_list(filters, "tags", "only"):
        refs.add("tag")
    return Gate(None, frozenset(refs))
