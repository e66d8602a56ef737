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
#: Answers files (questionnaire, ``--data-file``, a project's recorded answers) hold a
#: line per question: a megabyte is far more than any needs.
MAX_ANSWERS_BYTES = 1_048_576


def load_file(
    path: str | os.PathLike[str],
    *,
    kind: str,
    hint: str,
    max_bytes: int = MAX_FILE_BYTES,
    multi: bool = False,
    loader: Any = None,
) -> Any:
    """Read and parse one YAML file that a user, a catalog or a repository gave us.

    The one way to load a YAML *file*: read by the one untrusted-file reader
    (:mod:`mlops_factory._readsafe`: regular files only, so a FIFO or a device never
    hangs us; at most ``max_bytes``), then :func:`parse_text` (nesting bounded, safe
    loader). Every problem is a :class:`FactoryError` that names the file
    (``kind`` says what it is: "rubric file", "answers file"; may be empty) and, for syntax errors,
    the line and column. ``multi`` returns the list of documents of a multi-document file;
    ``loader`` is a subclass of :func:`safe_loader` with extra tags (copier's ``!include``).
    """
    from mlops_factory._errors import FactoryError
    from mlops_factory._readsafe import Refused, read_bytes

    source = os.fspath(path)
    label = f"{kind} {source}".strip()
    if not os.path.lexists(source):
        raise FactoryError(f"{label} does not exist", hint)
    if os.path.isdir(source):
        raise FactoryError(f"{label} is a folder", hint)
    try:
        raw = read_bytes(source, cap=max_bytes)
    except Refused as exc:
        raise FactoryError(f"{label}: {exc.reason}", hint) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FactoryError(f"{label} is not UTF-8 text", hint) from None
    return parse_text(text, source=source, kind=kind, hint=hint, multi=multi, loader=loader)


class YamlProblem(ValueError):
    """Why a YAML text was not parsed: ``problem`` in a few words, ``line`` and
    ``column`` (1-based) when the parser knows where."""

    def __init__(self, problem: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.column = column


def parse(text: str, *, multi: bool = False, loader: Any = None) -> Any:
    """The one YAML parser: nesting bounded first (libyaml would overflow the C stack),
    then the safe loader (``loader``: a subclass of :func:`safe_loader`, e.g. one that
    reads unknown tags as plain data). Raises :class:`YamlProblem`."""
    import yaml

    if too_deep(text):
        raise YamlProblem("nested too deeply")
    try:
        if multi:
            return list(yaml.load_all(text, Loader=loader or safe_loader()))
        return yaml.load(text, Loader=loader or safe_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or (str(exc).strip().splitlines() or ["?"])[0]
        if mark is None:
            raise YamlProblem(str(problem)) from None
        raise YamlProblem(str(problem), mark.line + 1, mark.column + 1) from None
    except (RecursionError, MemoryError):
        raise YamlProblem("nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp out of range
        raise YamlProblem(f"bad value ({type(exc).__name__})") from None


def compose(text: str) -> list[Any]:
    """The node trees of YAML ``text`` (``yaml.compose_all``: marks kept, for readers that
    need line numbers), with the same bounds as :func:`parse`. Raises :class:`YamlProblem`."""
    import yaml

    if too_deep(text):
        raise YamlProblem("nested too deeply")
    try:
        return list(yaml.compose_all(text, Loader=safe_loader()))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        problem = str(exc.problem or exc.context or "parse error")
        if mark is None:
            raise YamlProblem(problem) from None
        raise YamlProblem(problem, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise YamlProblem((str(exc).strip().splitlines() or ["parse error"])[0]) from None
    except (RecursionError, MemoryError):
        raise YamlProblem("nested too deeply") from None


def parse_text(
    text: str, *, source: str, kind: str, hint: str, multi: bool = False, loader: Any = None
) -> Any:
    """Parse YAML ``text`` already read (through the one reader) from ``source``, as a
    user error: every problem is a :class:`FactoryError` naming ``kind`` (may be empty)
    and ``source`` and, for syntax errors, the line and column."""
    from mlops_factory._errors import FactoryError

    label = f"{kind} {source}".strip()
    try:
        return parse(text, multi=multi, loader=loader)
    except YamlProblem as exc:
        if exc.problem == "nested too deeply":
            raise FactoryError(f"{label}: YAML nested too deeply", hint) from None
        at = f" at line {exc.line}, column {exc.column}" if exc.line else ""
        raise FactoryError(f"{label}: invalid YAML{at}: {exc.problem}", hint) from None
