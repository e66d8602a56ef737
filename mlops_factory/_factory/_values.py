"""A project's own values (project name, package name, description, owner) and turning
text that contains them into Jinja template text that renders back to the same bytes.

The values come from the project's recorded answers (``.mlops-factory/*.yml``) when it
was generated from a catalog, else from ``pyproject.toml`` and the folder layout.

Templating rules (documented in ``docs/retrospectives.md``):

* a value matches only where it is not glued to a letter or digit on either side, so
  ``churn`` matches in ``churn_model``, ``rg-churn-dev`` and ``churn.train`` but not in
  ``churned``; ``_``, ``-``, ``.`` and ``/`` separate words;
* the longest value wins where values overlap (a description that contains the
  project name becomes ``{{ description }}``);
* values shorter than :data:`MIN_VALUE_LENGTH` characters are never replaced;
* every literal start delimiter (``{{``, ``{%``, ``{#`` or a component's own ones) and
  every carriage return becomes a Jinja string expression, so the text renders
  literally (Jinja would otherwise parse it, or turn CRLF into LF).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The answer keys whose values a harvest replaces with template variables, in order.
VALUE_KEYS: tuple[str, ...] = ("project_name", "package_name", "description", "owner")
#: Values shorter than this are left alone: "ml" would match inside every other word.
MIN_VALUE_LENGTH = 3
#: File suffixes where a value equal to both the project and the package name is the package.
_PYTHON_SUFFIXES = (".py", ".pyi", ".pyx", ".ipynb", ".cfg", ".toml", ".ini")
_ALNUM = "A-Za-z0-9"


@dataclass(frozen=True, slots=True)
class ProjectValues:
    """The project-specific values a harvest turns into template variables."""

    project_name: str | None
    package_name: str | None
    description: str | None
    owner: str | None
    #: Where the values came from: ``answers`` (the project's recorded answers),
    #: ``pyproject.toml``, ``folder`` (names derived from the folder layout) or ``given``.
    source: str = "answers"

    def as_dict(self) -> dict[str, str]:
        """The known values by answer key."""
        return {k: v for k in VALUE_KEYS if isinstance(v := getattr(self, k), str) and v}

    def with_overrides(self, overrides: Mapping[str, str]) -> ProjectValues:
        """These values with some replaced (``--data KEY=VALUE``)."""
        if not overrides:
            return self
        merged = {**self.as_dict(), **overrides}
        return ProjectValues(
            project_name=merged.get("project_name"),
            package_name=merged.get("package_name"),
            description=merged.get("description"),
            owner=merged.get("owner"),
            source="given" if self.source == "answers" else f"{self.source}, given",
        )


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The Jinja delimiters a component renders with (copier ``_envops``)."""

    variable_start: str = "{{"
    variable_end: str = "}}"
    block_start: str = "{%"
    block_end: str = "%}"
    comment_start: str = "{#"
    comment_end: str = "#}"
    keep_trailing_newline: bool = True

    @property
    def starts(self) -> tuple[str, ...]:
        """Start strings, longest first (a literal one must never reach Jinja)."""
        found = {self.variable_start, self.block_start, self.comment_start}
        return tuple(sorted(found, key=len, reverse=True))

    def expression(self, expr: str) -> str:
        """A variable tag around ``expr``."""
        return f"{self.variable_start} {expr} {self.variable_end}"

    @classmethod
    def from_envops(cls, envops: Mapping[str, Any]) -> Delimiters:
        """The delimiters of a copier ``_envops`` mapping (missing keys: Jinja's defaults)."""

        def text(key: str, default: str) -> str:
            value = envops.get(key, default)
            return value if isinstance(value, str) and value else default

        keep = envops.get("keep_trailing_newline", True)
        return cls(
            variable_start=text("variable_start_string", "{{"),
            variable_end=text("variable_end_string", "}}"),
            block_start=text("block_start_string", "{%"),
            block_end=text("block_end_string", "%}"),
            comment_start=text("comment_start_string", "{#"),
            comment_end=text("comment_end_string", "#}"),
            keep_trailing_newline=bool(keep),
        )


# --- where the values come from --------------------------------------------------------------


def values_from_answers(answers: Mapping[str, Any]) -> ProjectValues:
    """The values recorded in a project's answers."""

    def text(key: str) -> str | None:
        value = answers.get(key)
        return value if isinstance(value, str) and value.strip() else None

    return ProjectValues(
        project_name=text("project_name"),
        package_name=text("package_name"),
        description=text("description"),
        owner=text("owner"),
        source="answers",
    )


def derive_values(project: Path) -> ProjectValues:
    """Values of a project that was not generated from a catalog: ``pyproject.toml``
    (``[project] name``, ``description``, the first author) and the package folder
    (``src/<package>/__init__.py`` or ``<package>/__init__.py``), else the folder name."""
    meta = _pyproject(project)
    name = meta.get("name") if isinstance(meta.get("name"), str) else None
    source = "pyproject.toml" if name else "folder"
    project_name = name or _slug(project.resolve().name) or None
    package = _package_folder(project, project_name)
    description = meta.get("description")
    owner = None
    authors = meta.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], Mapping):
        first = authors[0].get("name")
        owner = first if isinstance(first, str) and first.strip() else None
    return ProjectValues(
        project_name=project_name,
        package_name=package,
        description=description if isinstance(description, str) and description else None,
        owner=owner,
        source=source,
    )


def _pyproject(project: Path) -> Mapping[str, Any]:
    from mlops_factory._readsafe import Refused, read_in

    try:
        raw = read_in(project, "pyproject.toml", cap=1_048_576, follow_links=False)
        data = tomllib.loads(raw.decode("utf-8"))
    except (Refused, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    meta = data.get("project")
    return meta if isinstance(meta, Mapping) else {}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()


def package_of(project_name: str) -> str:
    """The package name the engine derives from a project name (``fraud-scoring`` ->
    ``fraud_scoring``)."""
    return re.sub(r"[^a-z0-9]+", "_", project_name.lower()).strip("_")


def _package_folder(project: Path, project_name: str | None) -> str | None:
    """The project's import package: the only one under ``src/``, else a top-level one
    named like the project, else the name derived from the project name."""
    candidates: list[str] = []
    src = project / "src"
    if src.is_dir() and not src.is_symlink():
        candidates = sorted(
            p.name
            for p in src.iterdir()
            if p.is_dir() and not p.is_symlink() and (p / "__init__.py").is_file()
        )
    if len(candidates) == 1:
        return candidates[0]
    derived = package_of(project_name) if project_name else None
    if derived and derived in candidates:
        return derived
    if derived and (project / derived / "__init__.py").is_file():
        return derived
    return derived or None


# --- finding values in text ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """One occurrence of a value: ``text[start:end]`` becomes ``{{ expression }}``."""

    start: int
    end: int
    key: str
    expression: str


@dataclass(frozen=True, slots=True)
class _Candidate:
    value: str
    key: str
    expression: str


def _candidates(values: ProjectValues, *, prefer_package: bool) -> list[_Candidate]:
    """(value, key, expression) to look for, longest first; one expression per value."""
    known = values.as_dict()
    order = ["description", "owner"]
    order += (
        ["package_name", "project_name"] if prefer_package else ["project_name", "package_name"]
    )
    by_value: dict[str, _Candidate] = {}
    for key in order:
        value = known.get(key)
        if value and len(value) >= MIN_VALUE_LENGTH:
            by_value.setdefault(value, _Candidate(value, key, key))
    package = known.get("package_name")
    if package and package.upper() != package and len(package) >= MIN_VALUE_LENGTH:
        by_value.setdefault(
            package.upper(), _Candidate(package.upper(), "package_name", "package_name | upper")
        )
    return sorted(by_value.values(), key=lambda c: len(c.value), reverse=True)


def _pattern(candidates: Sequence[_Candidate]) -> re.Pattern[str] | None:
    if not candidates:
        return None
    parts = []
    for c in candidates:
        before = f"(?<![{_ALNUM}])" if c.value[0].isalnum() else ""
        after = f"(?![{_ALNUM}])" if c.value[-1].isalnum() else ""
        parts.append(f"{before}{re.escape(c.value)}{after}")
    # Alternatives are tried in order at each position: longest value first.
    return re.compile("|".join(parts))


def find_values(text: str, values: ProjectValues, *, prefer_package: bool = False) -> list[Match]:
    """Every occurrence of the project's values in ``text``, left to right, not overlapping."""
    candidates = _candidates(values, prefer_package=prefer_package)
    pattern = _pattern(candidates)
    if pattern is None:
        return []
    by_value = {c.value: c for c in candidates}
    known = values.as_dict()
    shared = (
        known.get("project_name")
        if known.get("project_name") == known.get("package_name")
        else None
    )
    out = []
    for m in pattern.finditer(text):
        c = by_value[m.group()]
        if c.value == shared and not prefer_package and _package_context(text, m.start(), m.end()):
            c = _Candidate(c.value, "package_name", "package_name")
        out.append(Match(m.start(), m.end(), c.key, c.expression))
    return out


_MODULE_AFTER = re.compile(
    r"\.(?!(?:csv|tsv|json|ya?ml|txt|parquet|pkl|pickle|onnx|md|html|log|db|sqlite|zip|gz|"
    r"tar|xlsx?)\b)[A-Za-z_]"
)
_IMPORT_BEFORE = re.compile(r"(?:\bimport|\bfrom|-m|\bsrc/)\s*$")


def _package_context(text: str, start: int, end: int) -> bool:
    """Whether a value that is both the project and the package name is used as the
    package here: a module path (``churn.train``), after ``import``/``from``/``-m``, or
    under ``src/``."""
    return bool(_MODULE_AFTER.match(text, end)) or bool(
        _IMPORT_BEFORE.search(text[max(0, start - 8) : start])
    )


def prefers_package(rel_path: str) -> bool:
    """Whether a value equal to both names means the package in this file (Python files)."""
    return rel_path.lower().endswith(_PYTHON_SUFFIXES)


# --- writing template text -------------------------------------------------------------------


def _jinja_string(text: str) -> str:
    """A Jinja string literal for ``text`` (decoded by Jinja with unicode-escape)."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) > 0x7E:
            out.append(f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def _escape_pieces(text: str, delims: Delimiters) -> list[tuple[bool, str]]:
    """Literal ``text`` as (is_tag, piece) pieces: raw text, or tags printing what Jinja
    must not see raw (start delimiters, carriage returns)."""
    pieces: list[tuple[bool, str]] = []
    starts = delims.starts
    buf: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\r":
            special: str | None = "\r"
        else:
            special = next((s for s in starts if text.startswith(s, i)), None)
        if special is None:
            buf.append(text[i])
            i += 1
            continue
        if buf:
            pieces.append((False, "".join(buf)))
            buf = []
        pieces.append((True, delims.expression(_jinja_string(special))))
        i += len(special)
    if buf:
        pieces.append((False, "".join(buf)))
    return pieces


def template_text(text: str, matches: Iterable[Match], delims: Delimiters) -> str:
    """Template source that renders to ``text``: matches become their expressions, all
    other text is kept literally (escaped where Jinja would read it)."""
    pieces: list[tuple[bool, str]] = []
    pos = 0
    for m in matches:
        pieces.extend(_escape_pieces(text[pos : m.start], delims))
        pieces.append((True, delims.expression(m.expression)))
        pos = m.end
    rest = text[pos:]
    if not delims.keep_trailing_newline and rest.endswith("\n"):
        # Jinja drops one trailing newline of the template source: print it from a tag.
        pieces.extend(_escape_pieces(rest[:-1], delims))
        pieces.append((True, delims.expression(_jinja_string("\n"))))
    else:
        pieces.extend(_escape_pieces(rest, delims))
    return _join_stable(pieces, delims)


def _join_stable(pieces: list[tuple[bool, str]], delims: Delimiters) -> str:
    """Concatenate pieces. Raw text whose tail would form a start delimiter with the tag
    after it (``{`` before ``{{ x }}``) is moved into a tag of its own, until none does."""
    starts = delims.starts
    longest = max(len(s) for s in starts)
    work = list(pieces)
    changed = True
    while changed:
        changed = False
        for index in range(len(work) - 1):
            is_tag, raw = work[index]
            next_is_tag, tag = work[index + 1]
            if is_tag or not next_is_tag:
                continue
            for j in range(max(0, len(raw) - longest + 1), len(raw)):
                if any((raw[j:] + tag).startswith(s) for s in starts):
                    replacement: list[tuple[bool, str]] = []
                    if raw[:j]:
                        replacement.append((False, raw[:j]))
                    replacement.append((True, delims.expression(_jinja_string(raw[j:]))))
                    work[index : index + 1] = replacement
                    changed = True
                    break
            if changed:
                break
    return "".join(p for _, p in work)
