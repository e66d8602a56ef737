"""YAML with line numbers: mappings and lists that remember where each value sits.

CI and IaC readers need the line of every key; PyYAML's composer gives node marks,
which are kept here on :class:`YMap`/:class:`YList`. Nothing is constructed from
tags (CloudFormation's ``!Ref`` stays data, see ``intrinsics``), and the nesting
is bounded before parsing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlops_factory._assess.snapshot import RepoSnapshot

_YAML_KEY = "ci.yaml"
_LINES_KEY = "ci.lines"
MAX_NESTING = 200


def load_yaml(snapshot: RepoSnapshot, path: str) -> YMap | None:
    """The first YAML document of ``path`` as a :class:`YMap`, parsed once per snapshot.

    None when the file is missing, unreadable, not a mapping, or invalid YAML
    (then recorded in ``snapshot.unreadable``).
    """
    docs = load_yaml_all(snapshot, path)
    return docs[0] if docs else None


def load_yaml_all(snapshot: RepoSnapshot, path: str, *, intrinsics: bool = False) -> list[YMap]:
    """Every mapping document of ``path`` (parsed once per snapshot and mode).

    ``intrinsics``: CloudFormation short forms (``!Ref X``, ``!GetAtt A.B``) become
    their long forms (``{"Ref": "X"}``, ``{"Fn::GetAtt": "A.B"}``).
    """
    key = _YAML_KEY + (".cfn" if intrinsics else "")
    cache: dict[str, list[YMap]] = snapshot.cache.setdefault(key, {})
    if path in cache:
        return cache[path]
    docs: list[YMap] = []
    text = snapshot.read_text(path) if snapshot.exists(path) else None
    if text is not None:
        try:
            docs = parse_yaml_docs(text, intrinsics=intrinsics)
        except _YamlFailure as exc:
            record_unreadable(snapshot, path, f"invalid YAML: {exc}")
    cache[path] = docs
    return docs


def source_line(snapshot: RepoSnapshot, path: str, line: int) -> str:
    """Line ``line`` (1-based) of ``path``, stripped and cut to 120 characters."""
    cache: dict[str, list[str]] = snapshot.cache.setdefault(_LINES_KEY, {})
    lines = cache.get(path)
    if lines is None:
        lines = (snapshot.read_text(path) or "").splitlines()
        cache[path] = lines
    if 1 <= line <= len(lines):
        text = lines[line - 1].strip()
        return text if len(text) <= 120 else text[:117] + "..."
    return ""


def record_unreadable(snapshot: RepoSnapshot, path: str, reason: str) -> None:
    # Once per path, shared with every other reader of the snapshot.
    snapshot.record_unreadable(path, reason)


# ---------------------------------------------------------------------- YAML with line numbers


@dataclass(frozen=True, slots=True)
class Span:
    """Where a mapping value or list item sits: 1-based lines and the scalar style."""

    key_line: int
    line: int
    end_line: int
    style: str = ""


class YMap(dict[str, Any]):
    """A YAML mapping with its line and each value's :class:`Span` (keys as written)."""

    __slots__ = ("line", "spans")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.spans: dict[str, Span] = {}

    def key_line(self, key: str) -> int:
        span = self.spans.get(key)
        return span.key_line if span else self.line

    def str(self, key: str) -> str:
        """The value of ``key`` as text when it is a scalar, else ''."""
        value = self.get(key)
        if value is None or isinstance(value, YMap | YList):
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


class YList(list[Any]):
    """A YAML sequence with its line and each item's :class:`Span`."""

    __slots__ = ("line", "spans")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.spans: list[Span] = []


class _YamlFailure(Exception):
    pass


def parse_yaml_docs(text: str, *, intrinsics: bool = False) -> list[YMap]:
    """The mapping documents of a YAML text, with lines (raises on invalid YAML)."""
    from mlops_factory._yamlsafe import YamlProblem, compose

    try:
        nodes = compose(text)
    except YamlProblem as exc:
        where = f" (line {exc.line})" if exc.line else ""
        raise _YamlFailure(f"{exc.problem}{where}") from None
    memo: dict[int, Any] = {}
    out: list[YMap] = []
    for node in nodes:
        if node is None:
            continue
        try:
            value = _convert(node, memo, 0, intrinsics)
        except RecursionError:
            raise _YamlFailure("nested too deeply") from None
        if isinstance(value, YMap):
            out.append(value)
    return out


def _span(key: Any, node: Any) -> Span:
    return Span(
        key_line=key.start_mark.line + 1 if key is not None else node.start_mark.line + 1,
        line=node.start_mark.line + 1,
        end_line=node.end_mark.line + 1,
        style=getattr(node, "style", None) or "",
    )


def _convert(node: Any, memo: dict[int, Any], depth: int, intrinsics: bool = False) -> Any:
    if id(node) in memo:
        return memo[id(node)]
    value = _convert_node(node, memo, depth, intrinsics)
    tag = node.tag if isinstance(node.tag, str) else ""
    if intrinsics and tag.startswith("!") and not tag.startswith("!!"):
        # CloudFormation's short form `!GetAtt A.B` is the long form {"Fn::GetAtt": "A.B"}.
        name = tag[1:]
        long_name = name if name in ("Ref", "Condition") else f"Fn::{name}"
        wrapper = YMap(node.start_mark.line + 1)
        wrapper[long_name] = value
        wrapper.spans[long_name] = _span(None, node)
        memo[id(node)] = wrapper
        return wrapper
    return value


def _convert_node(node: Any, memo: dict[int, Any], depth: int, intrinsics: bool) -> Any:
    import yaml

    if depth > MAX_NESTING:
        raise _YamlFailure("nested too deeply")
    key = id(node)
    if key in memo:
        return memo[key]
    if isinstance(node, yaml.MappingNode):
        out = YMap(node.start_mark.line + 1)
        memo[key] = out
        merges = []
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                merges.append(v)
                continue
            if not isinstance(k, yaml.ScalarNode):
                continue
            # Keys stay as written: GitHub's `on:` must not become the boolean True.
            out[k.value] = _convert(v, memo, depth + 1, intrinsics)
            out.spans[k.value] = _span(k, v)
        for m in merges:
            for src in m.value if isinstance(m, yaml.SequenceNode) else [m]:
                conv = _convert(src, memo, depth + 1, intrinsics)
                if isinstance(conv, YMap):
                    for name, val in conv.items():
                        if name not in out:
                            out[name] = val
                            out.spans[name] = conv.spans[name]
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = YList(node.start_mark.line + 1)
        memo[key] = seq
        for item in node.value:
            seq.append(_convert(item, memo, depth + 1, intrinsics))
            seq.spans.append(_span(None, item))
        return seq
    return _scalar(node)


def _scalar(node: Any) -> Any:
    tag: str = node.tag
    value: str = node.value
    if tag.endswith(":bool"):
        return value.lower() in ("true", "yes", "on", "y")
    if tag.endswith(":null"):
        return None
    if tag.endswith(":int"):
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return value
    return value


def items(value: Any) -> Iterator[tuple[Any, Span | None]]:
    """List items with spans; Azure template expressions (``- ${{ if }}:``) are flattened."""
    if not isinstance(value, YList):
        return
    for item, span in zip(value, value.spans, strict=True):
        if isinstance(item, YMap) and item and all(str(k).startswith("${{") for k in item):
            for inner in item.values():
                yield from items(inner)
        else:
            yield item, span


def as_list(value: Any) -> list[str]:
    """A scalar or list of scalars as strings."""
    if value is None or isinstance(value, YMap):
        return []
    if isinstance(value, YList):
        return [str(v) for v in value if v is not None and not isinstance(v, YMap | YList)]
    return [str(value)]


def scalar_text(value: Any) -> str:
    if value is None or isinstance(value, YMap | YList):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_false(value: Any) -> bool:
    """True for a condition that can never hold: ``false``, ``${{ false }}``, ``'false'``, 0."""
    if value is False or (isinstance(value, int) and not isinstance(value, bool) and value == 0):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    text = text.strip("'\"").strip().lower()
    return text in ("false", "0") or bool(re.match(r"false\s*&&", text))
