"""Google Cloud Build: ``cloudbuild.yaml`` build configs.

A build config lists ``steps``, each a builder image run with ``args`` (or an
``entrypoint`` and ``args``, or a ``script``). Its triggers (push, pull request,
tag, manual, Pub/Sub, schedule) and their approval setting are configured on the
platform, so the model gives it the platform's external push trigger.
Documented at https://cloud.google.com/build/docs/build-config-file-schema.
"""

from __future__ import annotations

from mlops_factory._assess.collect._base import BuilderBase
from mlops_factory._assess.collect.cimodel import Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.iac import Resource, _get
from mlops_factory._assess.collect.shell import Command, container_command, script_commands
from mlops_factory._assess.collect.yamlread import YList, YMap, as_list, items


class CloudBuildReader(BuilderBase):
    """Reads Cloud Build configs into the CI model."""

    def cloudbuild(self, path: str, doc: YMap, inactive: str) -> Pipeline | None:
        steps_value = doc.get("steps")
        if not isinstance(steps_value, YList):
            return None
        steps: list[Step] = []
        for item, _span in items(steps_value):
            if not isinstance(item, YMap):
                continue
            commands: list[Command] = []
            if "script" in item:
                commands.extend(self.commands(item.get("script"), item.spans.get("script")))
            else:
                args = as_list(item.get("args"))
                text = container_command(item.str("name"), item.str("entrypoint"), args)
                line = item.key_line("args") if "args" in item else item.line
                commands.extend(script_commands(text, line, per_line=False))
            steps.append(
                Step(
                    path,
                    item.line,
                    name=item.str("id"),
                    id=item.str("id"),
                    commands=tuple(commands),
                    uses=item.str("name"),
                )
            )
        triggers, approval = self._declared_triggers(path)
        jobs: list[Job] = []
        if approval is not None:
            step = Step(approval.path, approval.line, name="approval", uses="approval")
            jobs.append(Job(approval.path, approval.line, "approval", steps=(step,)))
        jobs.append(
            Job(
                path,
                doc.key_line("steps"),
                "steps",
                steps=tuple(steps),
                needs=("approval",) if approval is not None else (),
            )
        )
        return Pipeline(
            "cloudbuild",
            path,
            path,
            1,
            tuple(triggers) or (self.external_trigger(path),),
            tuple(jobs),
            (path,),
            inactive,
        )

    def _declared_triggers(self, path: str) -> tuple[list[Trigger], Resource | None]:
        """Triggers of this config declared as ``google_cloudbuild_trigger`` in Terraform:
        GitHub/repository push (branch or tag), pull request, and whether a person approves."""
        from mlops_factory._assess.collect.iac import load_iac

        triggers: list[Trigger] = []
        approval: Resource | None = None
        for r in load_iac(self.snap).resources:
            if r.type != "google_cloudbuild_trigger":
                continue
            filename = str(r.get("filename") or "").lstrip("./")
            if filename != path:
                continue
            for source in ("github", "repository_event_config", "trigger_template"):
                block = r.get(source)
                if block is None:
                    continue
                push = r.get(source, "push") if source != "trigger_template" else block
                if push is not None:
                    branch = _unanchor(str(_get(push, "branch") or _get(push, "branch_name") or ""))
                    tag = str(_get(push, "tag") or _get(push, "tag_name") or "")
                    if tag:
                        triggers.append(Trigger("tag", "push", r.path, r.line, detail=tag))
                    if branch or not tag:
                        triggers.append(
                            Trigger("push", "push", r.path, r.line, (branch,) if branch else ())
                        )
                if r.get(source, "pull_request") is not None:
                    triggers.append(Trigger("pull_request", "pull_request", r.path, r.line))
            if r.get("approval_config", "approval_required") in (True, "true"):
                approval = r
        return triggers, approval


def _unanchor(pattern: str) -> str:
    """A Cloud Build branch regex (``^main$``) as a branch name or glob."""
    plain = pattern.strip().removeprefix("^").removesuffix("$")
    return plain.replace(".*", "*") if plain else ""
