"""Google Cloud Build: ``cloudbuild.yaml`` build configs.

A build config lists ``steps``, each a builder image run with ``args`` (or an
``entrypoint`` and ``args``, or a ``script``). Its triggers (push, pull request,
tag, manual, Pub/Sub, schedule) and their approval setting are configured on the
platform, so the model gives it the platform's external push trigger.
Documented at https://cloud.google.com/build/docs/build-config-file-schema.
"""

from __future__ import annotations

from mlops_factory._assess.collect._base import BuilderBase
from mlops_factory._assess.collect.cimodel import Job, Pipeline, Step
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
        job = Job(path, doc.key_line("steps"), "steps", steps=tuple(steps))
        return Pipeline(
            "cloudbuild", path, path, 1, (self.external_trigger(path),), (job,), (path,), inactive
        )
