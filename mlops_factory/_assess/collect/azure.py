"""Azure Pipelines: stages, jobs, deployment jobs, templates (``extends`` too)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mlops_factory._assess.collect._base import MAX_DEPTH, SCRIPT_INPUTS, BuilderBase
from mlops_factory._assess.collect.cimodel import Gate, Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.conditions import classify_condition
from mlops_factory._assess.collect.shell import Command
from mlops_factory._assess.collect.yamlread import (
    YList,
    YMap,
    as_list,
    is_false,
    items,
    load_yaml,
    scalar_text,
)


class AzureReader(BuilderBase):
    """Reads Azure Pipelines files into the CI model."""

    def _azure(self, path: str, doc: YMap) -> Pipeline:
        triggers = _azure_triggers(path, doc)
        sources = [path]
        jobs: list[Job] = []
        self._azure_body(path, doc, jobs, sources, Gate(), "", False, 0)
        extends = doc.get("extends")
        if isinstance(extends, YMap):
            ref = extends.str("template")
            tpath = self.resolve(path, ref)
            params = extends.get("parameters")
            if tpath:
                self._azure_template(tpath, jobs, sources, "body", Gate(), "", False, 0)
            if isinstance(params, YMap):
                # Stages/jobs/steps handed to the template as parameters still run.
                self._azure_body(path, params, jobs, sources, Gate(), "", False, 1)
        name = doc.str("name") or path.rsplit("/", 1)[-1]
        return Pipeline("azure", path, name, 1, tuple(triggers), tuple(jobs), tuple(sources))

    def _azure_template(
        self,
        tpath: str,
        jobs: list[Job],
        sources: list[str],
        level: str,
        gate: Gate,
        stage: str,
        disabled: bool,
        depth: int,
    ) -> list[Step]:
        """Expand a template at ``level`` ("body", "stages", "jobs" or "steps")."""
        if depth >= MAX_DEPTH:
            return []
        self.azure_templates.add(tpath)
        tdoc = load_yaml(self.snap, tpath)
        if tdoc is None:
            return []
        if tpath not in sources:
            sources.append(tpath)
        if level == "steps":
            return self._azure_steps(tpath, tdoc.get("steps"), sources, depth + 1)
        self._azure_body(tpath, tdoc, jobs, sources, gate, stage, disabled, depth + 1)
        return []

    def _azure_body(
        self,
        path: str,
        doc: YMap,
        jobs: list[Job],
        sources: list[str],
        gate: Gate,
        stage: str,
        disabled: bool,
        depth: int,
    ) -> None:
        if "stages" in doc:
            for item, _span in items(doc.get("stages")):
                if isinstance(item, YMap):
                    self._azure_stage(path, item, jobs, sources, depth)
        if "jobs" in doc:
            self._azure_jobs(path, doc.get("jobs"), jobs, sources, gate, stage, disabled, depth)
        if "steps" in doc and isinstance(doc.get("steps"), YList):
            steps = self._azure_steps(path, doc.get("steps"), sources, depth)
            line = doc.key_line("steps")
            if steps:
                jobs.append(
                    Job(
                        path,
                        line,
                        "(steps)",
                        steps=tuple(steps),
                        stage=stage,
                        gate=gate,
                        disabled=disabled,
                    )
                )

    def _azure_stage(
        self, path: str, item: YMap, jobs: list[Job], sources: list[str], depth: int
    ) -> None:
        if "template" in item and "stage" not in item:
            tpath = self.resolve(path, item.str("template"))
            if tpath:
                self._azure_template(tpath, jobs, sources, "stages", Gate(), "", False, depth)
            return
        cond = scalar_text(item.get("condition"))
        name = item.str("stage")
        self._azure_jobs(
            path,
            item.get("jobs"),
            jobs,
            sources,
            classify_condition("azure", cond),
            name,
            ("condition" in item and is_false(item.get("condition")))
            or item.get("enabled") is False,
            depth,
        )

    def _azure_jobs(
        self,
        path: str,
        value: Any,
        jobs: list[Job],
        sources: list[str],
        gate: Gate,
        stage: str,
        disabled: bool,
        depth: int,
    ) -> None:
        for item, _span in items(value):
            if not isinstance(item, YMap):
                continue
            if "template" in item and "job" not in item and "deployment" not in item:
                tpath = self.resolve(path, item.str("template"))
                if tpath:
                    self._azure_template(tpath, jobs, sources, "jobs", gate, stage, disabled, depth)
                continue
            cond = scalar_text(item.get("condition"))
            job_disabled = (
                disabled
                or ("condition" in item and is_false(item.get("condition")))
                or item.get("enabled") is False
            )
            steps: list[Step] = []
            env = ""
            env_line = 0
            deployment = "deployment" in item
            if deployment:
                env_val = item.get("environment")
                env = env_val.str("name") if isinstance(env_val, YMap) else scalar_text(env_val)
                # "name.resource" targets a resource inside the environment.
                env = env.split(".", 1)[0] if env and "$" not in env else env
                env_line = item.key_line("environment") if env else 0
                strategy = item.get("strategy")
                if isinstance(strategy, YMap):
                    for kind in strategy.values():
                        if isinstance(kind, YMap):
                            steps.extend(self._azure_hooks(path, kind, sources, depth))
            steps.extend(self._azure_steps(path, item.get("steps"), sources, depth))
            job_id = item.str("deployment") if deployment else item.str("job")
            jobs.append(
                Job(
                    path=path,
                    line=item.line,
                    id=job_id or "(job)",
                    name=item.str("displayName"),
                    stage=stage,
                    steps=tuple(steps),
                    environment=env,
                    environment_line=env_line,
                    condition=cond,
                    gate=classify_condition("azure", cond).narrowed_by(gate),
                    disabled=job_disabled,
                    deployment=deployment and bool(env),
                    needs=tuple(as_list(item.get("dependsOn"))),
                )
            )

    def _azure_hooks(self, path: str, kind: YMap, sources: list[str], depth: int) -> list[Step]:
        steps: list[Step] = []
        for hook_name, hook in kind.items():
            if not isinstance(hook, YMap):
                continue
            if hook_name == "on":
                for sub in hook.values():
                    if isinstance(sub, YMap):
                        steps.extend(self._azure_steps(path, sub.get("steps"), sources, depth))
            else:
                steps.extend(self._azure_steps(path, hook.get("steps"), sources, depth))
        return steps

    def _azure_steps(self, path: str, value: Any, sources: list[str], depth: int) -> list[Step]:
        steps: list[Step] = []
        for item, _span in items(value):
            if not isinstance(item, YMap):
                continue
            if "template" in item and "task" not in item:
                tpath = self.resolve(path, item.str("template"))
                if tpath:
                    steps.extend(
                        self._azure_template(tpath, [], sources, "steps", Gate(), "", False, depth)
                    )
                continue
            commands: list[Command] = []
            for key in ("script", "bash", "pwsh", "powershell"):
                if key in item:
                    commands.extend(self.commands(item.get(key), item.spans.get(key)))
            workdir = item.str("workingDirectory")
            if workdir and "$(" not in workdir and "${{" not in workdir:
                # The script runs in that folder (where its scripts and Makefiles are found).
                commands = [replace(c, text=f"cd {workdir} && {c.text}") for c in commands]
            task = item.str("task")
            inputs: list[tuple[str, str]] = []
            in_map = item.get("inputs")
            if isinstance(in_map, YMap):
                for k, v in in_map.items():
                    inputs.append((str(k), scalar_text(v)))
                    if str(k).lower() in SCRIPT_INPUTS:
                        commands.extend(self.commands(v, in_map.spans.get(k)))
                commands.extend(_azure_task_command(task, in_map))
            cond = scalar_text(item.get("condition"))
            steps.append(
                Step(
                    path=path,
                    line=item.line,
                    name=item.str("displayName"),
                    id=item.str("name"),
                    commands=tuple(commands),
                    uses=task,
                    inputs=tuple(inputs),
                    condition=cond,
                    disabled=item.get("enabled") is False
                    or ("condition" in item and is_false(item.get("condition"))),
                )
            )
        return steps

    # ------------------------------------------------------------------ GitLab CI


def _azure_task_command(task: str, inputs: YMap) -> list[Command]:
    """Synthetic commands for tasks that run a script file or wrap a known CLI."""
    low = task.lower()
    out: list[Command] = []
    args = inputs.str("arguments") or inputs.str("scriptArguments")
    for key in ("scriptPath", "filePath"):
        script_path = inputs.str(key)
        if script_path:
            runner = "python" if low.startswith("pythonscript") else "bash"
            out.append(Command(f"{runner} {script_path} {args}".strip(), inputs.key_line(key)))
            break
    tool = _TASK_TOOLS.get(low.split("@", 1)[0].rstrip("v0123456789"), "")
    command = inputs.str("command").lower()
    if tool and command:
        line = inputs.key_line("command")
        if tool == "docker" and command == "buildandpush":
            out.append(Command("docker build", line))
            command = "push"
        out.append(Command(f"{tool} {command} {args}".strip(), line))
    return out


#: Azure tasks that wrap a CLI through their ``command`` input.
_TASK_TOOLS = {
    "docker": "docker",
    "kubernetes": "kubectl",
    "helmdeploy": "helm",
    "terraformtask": "terraform",
    "terraformcli": "terraform",
    "terraform": "terraform",
}


def _azure_filter(value: Any) -> tuple[list[str], list[str], list[str], list[str]]:
    """(branches include, branches exclude, tags include, tags exclude) of a trigger."""
    if isinstance(value, str):
        return [value], [], [], []
    if isinstance(value, YList):
        return as_list(value), [], [], []
    if not isinstance(value, YMap):
        return [], [], [], []
    br = value.get("branches")
    tags = value.get("tags")
    if isinstance(br, YMap):
        b_inc, b_exc = as_list(br.get("include")), as_list(br.get("exclude"))
    else:
        b_inc, b_exc = as_list(br), []
    if isinstance(tags, YMap):
        t_inc, t_exc = as_list(tags.get("include")), as_list(tags.get("exclude"))
    else:
        t_inc, t_exc = as_list(tags), []
    return b_inc, b_exc, t_inc, t_exc


def _azure_triggers(path: str, doc: YMap) -> list[Trigger]:
    out: list[Trigger] = []
    if "trigger" not in doc:
        # Azure's default: every push to every branch runs the pipeline.
        out.append(Trigger("push", "trigger", path, 1, implicit=True))
    else:
        value = doc.get("trigger")
        line = doc.key_line("trigger")
        if not (value is None or (isinstance(value, str) and value.lower() == "none")):
            b_inc, b_exc, t_inc, _t_exc = _azure_filter(value)
            tag_refs = [b for b in b_inc if b.startswith("refs/tags/")]
            b_inc = [b for b in b_inc if not b.startswith("refs/tags/")]
            only_tags = bool(t_inc or tag_refs) and not b_inc and not b_exc
            if not only_tags:
                out.append(Trigger("push", "trigger", path, line, tuple(b_inc), tuple(b_exc)))
            if t_inc or tag_refs:
                out.append(
                    Trigger("tag", "trigger", path, line, detail=", ".join(t_inc + tag_refs))
                )
    if "pr" in doc:
        value = doc.get("pr")
        if not (value is None or (isinstance(value, str) and value.lower() == "none")):
            b_inc, _b_exc, _t, _te = _azure_filter(value)
            out.append(Trigger("pull_request", "pr", path, doc.key_line("pr"), tuple(b_inc)))
    for item, span in items(doc.get("schedules")):
        if isinstance(item, YMap):
            b_inc, b_exc, _t, _te = _azure_filter(item)
            line = item.key_line("cron") if "cron" in item else (span.line if span else 1)
            out.append(
                Trigger(
                    "schedule",
                    "schedules",
                    path,
                    line,
                    tuple(b_inc),
                    tuple(b_exc),
                    detail=item.str("cron"),
                )
            )
    resources = doc.get("resources")
    if isinstance(resources, YMap):
        for item, _span in items(resources.get("pipelines")):
            if isinstance(item, YMap) and item.get("trigger") not in (None, False, "none"):
                b_inc, b_exc, _t, _te = _azure_filter(item.get("trigger"))
                out.append(
                    Trigger(
                        "dispatch",
                        "resources.pipelines",
                        path,
                        item.key_line("trigger"),
                        tuple(b_inc),
                        tuple(b_exc),
                        detail=item.str("source") or item.str("pipeline"),
                    )
                )
    return out
