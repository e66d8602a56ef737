"""Shell scripts as logical commands: continuations joined, comments dropped, lines kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_factory._assess.collect.yamlread import Span, YList, YMap, scalar_text


@dataclass(frozen=True, slots=True)
class Command:
    """One logical shell line (continuations joined, comments dropped)."""

    text: str
    line: int


def script_commands(script: str, first_line: int, per_line: bool = True) -> list[Command]:
    """Split a shell script into logical commands with their lines.

    ``per_line``: line i of the script is at ``first_line + i`` (literal blocks,
    Groovy strings); otherwise every command is reported at ``first_line``.
    """
    out: list[Command] = []
    pending: list[str] = []
    start = first_line
    for i, raw in enumerate(script.split("\n")):
        line_no = first_line + i if per_line else first_line
        stripped = raw.strip()
        if not pending:
            start = line_no
            if not stripped or stripped.startswith("#"):
                continue
        stripped = _strip_shell_comment(stripped)
        if stripped.endswith("\\") or stripped.endswith("`"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        text = " ".join(p for p in pending if p)
        pending = []
        if text:
            out.append(Command(text, start))
    if pending:
        text = " ".join(p for p in pending if p)
        if text:
            out.append(Command(text, start))
    return out


def _strip_shell_comment(line: str) -> str:
    quote = ""
    prev = " "
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and prev in " \t":
            return line[:i].rstrip()
        prev = ch
    return line


def yaml_commands(value: Any, span: Span | None) -> list[Command]:
    if value is None or isinstance(value, YMap | YList) or span is None:
        return []
    text = scalar_text(value)
    if span.style == "|":
        return script_commands(text, span.line + 1)
    if span.style == ">":
        return script_commands(text, span.line + 1, per_line=False)
    return script_commands(text, span.line, per_line=False)


_SHELLS = ("bash", "sh", "/bin/bash", "/bin/sh", "/usr/bin/env bash")


def container_command(image: str, entrypoint: str, args: list[str]) -> str:
    """The command a container step runs: its entrypoint (or the image's tool) and args.

    ``bash -c SCRIPT`` is the script itself; with no entrypoint, a builder image
    (``gcr.io/cloud-builders/docker``) names its tool.
    """
    if entrypoint in _SHELLS and len(args) >= 2 and args[0] in ("-c", "-ec", "-xc", "-eu", "-exc"):
        return args[1]
    tool = entrypoint or image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    return " ".join([tool, *args]).strip()
