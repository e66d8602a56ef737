"""GitHub Actions: workflows under ``.github/workflows`` at the repository root,
reusable workflows and local composite actions."""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any

from mlops_factory._assess.collect._base import MAX_DEPTH, SCRIPT_INPUTS, BuilderBase
from mlops_factory._assess.collect.cimodel import Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.conditions import classify_condition
from mlops_factory._assess.collect.yamlread import (
    Span,
    YList,
    YMap,
    as_list,
    is_false,
    items,
    load_yaml,
    scalar_text,
)


class GitHubReader(BuilderBase):
    """Reads GitHub Actions workflows into the CI model."""

    def _github(self, path: str, doc: YMap) -> Pipeline:
        triggers = _github_triggers(path, doc)
        jobs: list[Job] = []
        sources = [path]
        jobs_map = doc.get("jobs")
        if isinstance(jobs_map, YMap):
            for job_id, jv in jobs_map.items():
                if isinstance(jv, YMap):
                    jobs.append(self._github_job(path, str(job_id), jv, jobs_map, sources))
        name = doc.str("name") or path.rsplit("/", 1)[-1]
        return Pipeline("github", path, name, 1, tuple(triggers), tuple(jobs), tuple(sources))

    def _github_job(
        self, path: str, job_id: str, jv: YMap, parent: YMap, sources: list[str]
    ) -> Job:
        steps: list[Step] = []
        for item, span in items(jv.get("steps")):
            if isinstance(item, YMap):
                steps.extend(self._github_step(path, item, span, sources, 0))
        env_val = jv.get("environment")
        env = env_val.str("name") if isinstance(env_val, YMap) else scalar_text(env_val)
        cond = scalar_text(jv.get("if"))
        calls = ""
        uses = jv.str("uses")
        if uses.startswith("./"):
            calls = self.resolve(path, uses, root_relative=True) or ""
        call_inputs: list[tuple[str, str]] = []
        with_map = jv.get("with")
        if isinstance(with_map, YMap):
            call_inputs = [(str(k), scalar_text(v)) for k, v in with_map.items() if scalar_text(v)]
        if uses and not calls:
            # A reusable workflow from another repository: keep it visible as a step.
            steps.append(Step(path, jv.key_line("uses"), uses=uses, inputs=tuple(call_inputs)))
        return Job(
            path=path,
            line=parent.key_line(job_id),
            id=job_id,
            name=jv.str("name"),
            steps=tuple(steps),
            environment=env,
            environment_line=jv.key_line("environment") if env else 0,
            condition=cond,
            gate=classify_condition("github", cond),
            disabled="if" in jv and is_false(jv.get("if")),
            needs=tuple(as_list(jv.get("needs"))),
            calls=calls,
            call_inputs=tuple(call_inputs),
            matrix=_github_matrix(jv),
        )

    def _github_step(
        self, path: str, item: YMap, span: Span | None, sources: list[str], depth: int
    ) -> list[Step]:
        uses = item.str("uses")
        inputs: list[tuple[str, str]] = []
        commands = list(self.commands(item.get("run"), item.spans.get("run")))
        workdir = item.str("working-directory")
        if workdir and "${{" not in workdir:
            # The step's commands run in that folder (resolution of scripts and Makefiles).
            commands = [replace(c, text=f"cd {workdir} && {c.text}") for c in commands]
        with_map = item.get("with")
        if isinstance(with_map, YMap):
            for k, v in with_map.items():
                inputs.append((str(k), scalar_text(v)))
                if str(k).lower() in SCRIPT_INPUTS:
                    commands.extend(self.commands(v, with_map.spans.get(k)))
        cond = scalar_text(item.get("if"))
        disabled = "if" in item and is_false(item.get("if"))
        step = Step(
            path=path,
            line=item.line,
            name=item.str("name"),
            id=item.str("id"),
            commands=tuple(commands),
            uses=uses,
            inputs=tuple(inputs),
            condition=cond,
            disabled=disabled,
        )
        out = [step]
        if uses.startswith("./") and depth < MAX_DEPTH:
            # A local composite action: its steps run as part of this step.
            folder = posixpath.normpath(uses[2:])
            for name in ("action.yml", "action.yaml"):
                apath = f"{folder}/{name}"
                adoc = load_yaml(self.snap, apath) if self.snap.exists(apath) else None
                if adoc is None:
                    continue
                sources.append(apath)
                runs = adoc.get("runs")
                if isinstance(runs, YMap):
                    for sub, sspan in items(runs.get("steps")):
                        if isinstance(sub, YMap):
                            for inner in self._github_step(apath, sub, sspan, sources, depth + 1):
                                out.append(replace(inner, disabled=inner.disabled or disabled))
                break
        return out

    # ------------------------------------------------------------------ Azure Pipelines


def _github_triggers(path: str, doc: YMap) -> list[Trigger]:
    if "on" in doc:
        value, span = doc.get("on"), doc.spans["on"]
    elif "true" in doc:
        value, span = doc.get("true"), doc.spans["true"]
    else:
        return []
    events: list[tuple[str, Any, int]] = []
    if isinstance(value, str):
        events.append((value, None, span.line))
    elif isinstance(value, YList):
        events.extend((str(v), None, s.line) for v, s in zip(value, value.spans, strict=True))
    elif isinstance(value, YMap):
        events.extend((str(k), v, value.key_line(k)) for k, v in value.items())
    out: list[Trigger] = []
    for event, cfg, line in events:
        cfg_map = cfg if isinstance(cfg, YMap) else YMap(line)
        if event == "push":
            has_br = "branches" in cfg_map or "branches-ignore" in cfg_map
            has_tag = "tags" in cfg_map or "tags-ignore" in cfg_map
            if has_br or not has_tag:
                out.append(
                    Trigger(
                        "push",
                        event,
                        path,
                        line,
                        tuple(as_list(cfg_map.get("branches"))),
                        tuple(as_list(cfg_map.get("branches-ignore"))),
                    )
                )
            if has_tag or not has_br:
                tags = ", ".join(as_list(cfg_map.get("tags")))
                tline = cfg_map.key_line("tags") if "tags" in cfg_map else line
                out.append(Trigger("tag", event, path, tline, detail=tags, implicit=not has_tag))
        elif event in ("pull_request", "pull_request_target"):
            out.append(
                Trigger("pull_request", event, path, line, tuple(as_list(cfg_map.get("branches"))))
            )
        elif event == "schedule":
            for item, ispan in items(cfg):
                if isinstance(item, YMap) and "cron" in item:
                    out.append(
                        Trigger(
                            "schedule", event, path, item.key_line("cron"), detail=item.str("cron")
                        )
                    )
                elif ispan is not None:
                    out.append(Trigger("schedule", event, path, ispan.line))
            if not isinstance(cfg, YList):
                out.append(Trigger("schedule", event, path, line))
        elif event == "workflow_dispatch":
            out.append(Trigger("manual", event, path, line))
        elif event == "repository_dispatch":
            types = ", ".join(as_list(cfg_map.get("types")))
            out.append(Trigger("dispatch", event, path, line, detail=types))
        elif event == "workflow_run":
            names = ", ".join(as_list(cfg_map.get("workflows")))
            out.append(
                Trigger(
                    "dispatch",
                    event,
                    path,
                    line,
                    tuple(as_list(cfg_map.get("branches"))),
                    detail=names,
                )
            )
        elif event == "workflow_call":
            out.append(Trigger("call", event, path, line))
        elif event == "release":
            out.append(Trigger("tag", event, path, line, detail="release"))
        else:
            out.append(Trigger("other", event, path, line))
    return out


def _github_matrix(jv: YMap) -> tuple[tuple[str, tuple[str, ...]], ...]:
    strategy = jv.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, YMap) else None
    if not isinstance(matrix, YMap):
        return ()
    axes: dict[str, list[str]] = {}
    for key, val in matrix.items():
        if key in ("include", "exclude"):
            continue
        axes.setdefault(str(key), []).extend(as_list(val))
    for item, _span in items(matrix.get("include")):
        if isinstance(item, YMap):
            for key in item:
                value = item.str(key)
                if value:
                    axes.setdefault(str(key), []).append(value)
    return tuple((k, tuple(dict.fromkeys(v))) for k, v in axes.items())
