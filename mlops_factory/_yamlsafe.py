"""YAML parsing that cannot take the process down.

libyaml (PyYAML's C loader) is ~10x faster than the pure-Python one, but its composer
recurses in C: a document nested a few hundred thousand levels deep overflows the C
stack and kills the process, which no ``except`` can catch. Every YAML text from an
assessed repo or a user's file goes through :func:`too_deep` first.
"""

from __future__ import annotations

import re
from typing import Any

#: No real CI file, rubric or answers file comes near this.
MAX_DEPTH = 1000
_BRACKETS = re.compile(r"[\[\]{}]")


def nesting_bound(text: str) -> int:
    """An upper bound of a YAML text's nesting depth (flow brackets plus indentation)."""
    depth = deepest = 0
    if text.count("[") + text.count("{") > MAX_DEPTH:
        for m in _BRACKETS.finditer(text):
            depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
            deepest = max(deepest, depth)
    else:
        deepest = text.count("[") + text.count("{")
    indent = 0
    for line in text.splitlines():
        indent = max(indent, len(line) - len(line.lstrip(" \t-?")))
    return deepest + indent


def too_deep(text: str) -> bool:
    """True when ``text`` might nest deeper than :data:`MAX_DEPTH`: do not parse it."""
    return nesting_bound(text) > MAX_DEPTH


def safe_loader() -> Any:
    """PyYAML's safe loader, the C one when available."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)
