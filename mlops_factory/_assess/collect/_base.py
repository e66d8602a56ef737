"""What every CI reader shares: the snapshot, a command budget and path resolution."""

from __future__ import annotations

import posixpath
from typing import Any

from mlops_factory._assess.collect.cimodel import Trigger
from mlops_factory._assess.collect.shell import Command, yaml_commands
from mlops_factory._assess.collect.yamlread import Span, YList, YMap
from mlops_factory._assess.snapshot import RepoSnapshot

#: Bounds against hostile files (YAML alias bombs, endless template chains).
MAX_COMMANDS_PER_PIPELINE = 20_000
MAX_DEPTH = 8
#: Step/task inputs that hold a script to run.
SCRIPT_INPUTS = frozenset(
    {"inlinescript", "inline-script", "script", "run", "command", "commands", "inline"}
)


class BuilderBase:
    """State of one CI model build; the per-provider readers extend it."""

    def __init__(self, snapshot: RepoSnapshot) -> None:
        self.snap = snapshot
        self.budget = MAX_COMMANDS_PER_PIPELINE
        #: Azure files referenced as templates: parts of other pipelines, not pipelines.
        self.azure_templates: set[str] = set()
        #: GitLab files to parse: the root file, then child pipelines found on the way.
        self.gitlab_queue: list[str] = []

    def commands(self, value: Any, span: Span | None) -> tuple[Command, ...]:
        if self.budget <= 0:
            return ()
        cmds = yaml_commands(value, span)[: self.budget]
        self.budget -= len(cmds)
        return tuple(cmds)

    def resolve(self, base: str, ref: str, root_relative: bool = False) -> str | None:
        """A repo path for a reference in ``base``; None when external or missing."""
        ref = ref.strip()
        if not ref or "@" in ref or "://" in ref or "${{" in ref or "$(" in ref:
            return None
        if ref.startswith("/") or root_relative:
            path = posixpath.normpath(ref.lstrip("/"))
        else:
            path = posixpath.normpath(posixpath.join(posixpath.dirname(base), ref))
        if path.startswith("../") or path == "..":
            return None
        return path if self.snap.exists(path) else None

    def command_list(self, value: Any, span: Span | None) -> tuple[Command, ...]:
        """Commands of a script given as one string or as a list of strings."""
        if isinstance(value, YList):
            out: list[Command] = []
            for item, ispan in zip(value, value.spans, strict=True):
                if not isinstance(item, YMap | YList):
                    out.extend(self.commands(item, ispan))
            return tuple(out)
        return self.commands(value, span)

    def external_trigger(self, path: str) -> Trigger:
        """The push trigger of a build whose triggers live on the platform, not in the file."""
        return Trigger("push", "external", path, 1, implicit=True)
