"""AWS CodeBuild: build specs (``buildspec.yml`` and ``buildspec*.yml``).

A build spec (``version: 0.2``) runs the ``commands`` of its phases in order:
``install``, ``pre_build``, ``build``, ``post_build`` (each with an optional
``finally`` block). What starts the build (a webhook, CodePipeline, a schedule
rule) is configured outside the file, or in a CodePipeline that this repository
may declare (see :mod:`.codepipeline`).
Documented at https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html.
"""

from __future__ import annotations

from mlops_factory._assess.collect._base import BuilderBase
from mlops_factory._assess.collect.cimodel import Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.yamlread import YMap

PHASES = ("install", "pre_build", "build", "post_build")


def is_buildspec(doc: YMap) -> bool:
    """A mapping with build ``phases`` (or a batch build) and a spec ``version``."""
    return "version" in doc and isinstance(doc.get("phases"), YMap)


class CodeBuildReader(BuilderBase):
    """Reads CodeBuild build specs into the CI model."""

    def buildspec_steps(self, path: str, doc: YMap) -> list[Step]:
        """One step per phase (and per ``finally`` block) that has commands."""
        phases = doc.get("phases")
        steps: list[Step] = []
        if not isinstance(phases, YMap):
            return steps
        for phase in PHASES:
            body = phases.get(phase)
            if not isinstance(body, YMap):
                continue
            for key in ("commands", "finally"):
                value = body.get(key)
                if key == "finally" and isinstance(value, YMap):
                    value = value.get("commands")
                cmds = self.command_list(value, body.spans.get(key))
                if cmds:
                    name = phase if key == "commands" else f"{phase} (finally)"
                    steps.append(Step(path, body.key_line(key), name=name, commands=cmds))
        return steps

    def codebuild(
        self, path: str, doc: YMap, inactive: str, triggers: tuple[Trigger, ...] = ()
    ) -> Pipeline | None:
        if not is_buildspec(doc):
            return None
        steps = self.buildspec_steps(path, doc)
        job = Job(path, doc.key_line("phases"), "build", steps=tuple(steps))
        return Pipeline(
            "codebuild",
            path,
            path,
            1,
            triggers or (self.external_trigger(path),),
            (job,),
            (path,),
            inactive,
        )
