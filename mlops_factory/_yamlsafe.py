"""YAML parsing that cannot take the process down.

libyaml (PyYAML's C loader) is ~10x faster than the pure-Python one, but its composer
recurses in C: a document nested a few hundred thousand levels deep overflows the C
stack and kills the process, which no ``except`` can catch. Every YAML text from an
assessed repo or a user's file goes through :func:`too_deep` first.
"""

from __future__ import annotations

import os
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


#: Largest YAML file a user or a catalog may hand us (rubric, answers, data files, catalogs).
MAX_FILE_BYTES = 4 * 1024 * 1024


def load_file(
    path: str | os.PathLike[str],
    *,
    kind: str,
    hint: str,
    max_bytes: int = MAX_FILE_BYTES,
    multi: bool = False,
) -> Any:
    """Read and parse one YAML file that a user, a catalog or a repository gave us.

    The one way to load a YAML *file*: regular files only (a FIFO or a device is refused
    before it is opened for reading, so nothing hangs), at most ``max_bytes``, nesting
    bounded, safe loader. Every problem is a :class:`FactoryError` that names the file
    (``kind`` says what it is: "rubric file", "answers file") and, for syntax errors,
    the line and column. ``multi`` returns the list of documents of a multi-document file.
    """
    import stat

    import yaml

    from mlops_factory._errors import FactoryError

    source = os.fspath(path)
    try:
        st = os.stat(source)
    except FileNotFoundError:
        raise FactoryError(f"{kind} {source} does not exist", hint) from None
    except OSError as exc:
        raise FactoryError(f"{kind} {source} cannot be read: {exc.strerror}", hint) from None
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise FactoryError(f"{kind} {source} is {what}", hint)
    if st.st_size > max_bytes:
        raise FactoryError(
            f"{kind} {source} is {st.st_size} bytes, over the {max_bytes}-byte limit", hint
        )
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the stat, open does not block.
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise FactoryError(f"{kind} {source} is not a regular file", hint)
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FactoryError(f"{kind} {source} cannot be read: {exc.strerror}", hint) from None
    if len(raw) > max_bytes:
        raise FactoryError(f"{kind} {source} is over the {max_bytes}-byte limit", hint)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FactoryError(f"{kind} {source} is not UTF-8 text", hint) from None
    if too_deep(text):
        raise FactoryError(f"{kind} {source}: YAML nested too deeply", hint)
    try:
        if multi:
            return list(yaml.load_all(text, Loader=safe_loader()))
        return yaml.load(text, Loader=safe_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FactoryError(f"{kind} {source}: invalid YAML{at}: {problem}", hint) from None
    except RecursionError:
        raise FactoryError(f"{kind} {source}: YAML nested too deeply", hint) from None
