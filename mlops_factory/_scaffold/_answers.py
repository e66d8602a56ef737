"""The questions of ``mlops-factory new``: parsing, defaults, derivation, validation, asking.

Answers come from (highest first) ``--pattern``, ``--data key=value``,
``--data-file``, interactive prompts, then defaults: the pattern's
``defaults``, literal defaults of the catalog's ``questions.yml``, the
engine's own. ``project_name`` and ``owner`` have no silent default: without a
terminal they must be given, or ``--defaults`` accepts the suggested value
(``project_name`` from the DEST folder name).

Names work as in cookiecutter-data-science: ``project_name`` is the display name, any
one line of text ("Fraud Scoring v2"); the slug (``project_slug``: distribution, folder
and resource names) and the package name derive from it and can be given instead. The
templates receive ``project_name`` as the slug (its meaning in every template) and the
text as ``project_display_name``.
"""

from __future__ import annotations

import keyword
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from mlops_factory._errors import FactoryError
from mlops_factory._scaffold._catalog import ANSWER_KEYS, COMPUTED_KEYS, NONE, Catalog
from mlops_factory._yamlsafe import YamlProblem, parse

Kind = Literal["text", "choice", "list"]

#: Answers that need a person's decision: never defaulted silently.
REQUIRED_KEYS: tuple[str, ...] = ("project_name", "owner")
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
MANDATORY_ENVIRONMENTS: tuple[str, ...] = ("dev", "prod")
PYTHON_VERSIONS: tuple[str, ...] = ("3.10", "3.11", "3.12", "3.13")
DEFAULT_PYTHON = "3.11"
LICENSES: tuple[str, ...] = ("Apache-2.0", "MIT", "BSD-3-Clause", "Proprietary")
DEFAULT_LICENSE = "Proprietary"

_PROJECT_RE = re.compile(r"^[A-Za-z](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
#: A CODEOWNERS owner: ``@user``, ``@org/team`` or an email address.
_CODEOWNER_RE = re.compile(
    r"^(?:@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?"
    r"|[^@\s]+@[^@\s]+\.[^@\s]+)$"
)
#: Answers derived from others and never asked (given with --data to override).
DERIVED_KEYS: tuple[str, ...] = ("project_display_name", "project_slug")
_PACKAGE_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_MAX_NAME = 64
_MAX_TEXT = 200
#: Top-level modules a generated project imports; a package of that name would shadow them.
_DEPENDENCY_MODULES = frozenset(
    {
        "dvc",
        "fastapi",
        "httpx",
        "joblib",
        "mlflow",
        "numpy",
        "onnx",
        "onnxruntime",
        "pandas",
        "prometheus_client",
        "pydantic",
        "pytest",
        "scipy",
        "skl2onnx",
        "sklearn",
        "starlette",
        "uvicorn",
        "yaml",
    }
)


@dataclass(frozen=True, slots=True)
class Question:
    """One answer key the engine asks."""

    key: str
    prompt: str
    kind: Kind


_QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in (
        Question("project_name", "Project name (any text, e.g. Fraud Scoring v2)", "text"),
        Question("project_display_name", "Display name", "text"),
        Question("project_slug", "Project slug (distribution and resource names)", "text"),
        Question("package_name", "Python package name", "text"),
        Question("description", "One-line description", "text"),
        Question(
            "owner",
            "Owner (team or person accountable for the model; @user, @org/team or an "
            "email also generates CODEOWNERS)",
            "text",
        ),
        Question("pattern", "Architecture pattern", "choice"),
        Question("python_version", "Python version", "choice"),
        Question("license", "License", "choice"),
        Question("ci", "CI provider", "choice"),
        Question("iac", "Infrastructure as code", "choice"),
        Question("environments", "Deployment environments", "list"),
        Question("data_versioning", "Data versioning", "choice"),
    )
}


class Prompter(Protocol):
    """Asks one question on a terminal. ``validate`` returns an error text or None."""

    def text(self, message: str, default: str, validate: Callable[[str], str | None]) -> str:
        """Free text."""
        ...

    def select(self, message: str, choices: Sequence[str], default: str) -> str:
        """One of ``choices``."""
        ...

    def checkbox(
        self,
        message: str,
        choices: Sequence[str],
        default: Sequence[str],
        validate: Callable[[list[str]], str | None],
    ) -> list[str]:
        """Several of ``choices``."""
        ...


class QuestionaryPrompter:
    """The terminal prompter. Ctrl-C raises KeyboardInterrupt (``unsafe_ask``)."""

    def text(self, message: str, default: str, validate: Callable[[str], str | None]) -> str:
        """Free text, validated as typed."""
        import questionary

        def check(value: str) -> bool | str:
            return validate(value) or True

        return str(_ask(questionary.text(message, default=default, validate=check)))

    def select(self, message: str, choices: Sequence[str], default: str) -> str:
        """One of ``choices`` with arrow keys."""
        import questionary

        return str(_ask(questionary.select(message, choices=list(choices), default=default)))

    def checkbox(
        self,
        message: str,
        choices: Sequence[str],
        default: Sequence[str],
        validate: Callable[[list[str]], str | None],
    ) -> list[str]:
        """Several of ``choices`` with space to toggle."""
        import questionary

        def check(values: list[str]) -> bool | str:
            return validate(values) or True

        items = [questionary.Choice(c, checked=c in default) for c in choices]
        return [str(v) for v in _ask(questionary.checkbox(message, choices=items, validate=check))]


def _ask(question: Any) -> Any:
    try:
        return question.unsafe_ask()
    except EOFError:
        raise FactoryError(
            "the terminal closed while asking questions",
            hint="answer non-interactively with --defaults, --data or --data-file",
        ) from None


# --- parsing ---------------------------------------------------------------------------


def parse_data_items(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``--data key=value`` items into typed values.

    Engine text answers stay strings exactly as typed (``python_version=3.10``
    is ``"3.10"``); ``environments`` takes ``dev,prod`` or ``[dev, prod]``;
    other keys (a custom catalog's questions) are read as YAML scalars, like copier.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise FactoryError(
                f"--data {item!r} is not KEY=VALUE", hint="for example --data owner=fraud-team"
            )
        out[key] = parse_value(key, raw)
    return out


def parse_value(key: str, raw: str) -> Any:
    """Turn the text of one answer (from the command line) into its typed value."""
    question = _QUESTIONS.get(key)
    if question is None:
        try:
            return parse(raw) if raw.strip() else raw
        except YamlProblem:
            return raw
    if question.kind != "list":
        return raw
    text = raw.strip()
    if text.startswith("["):
        try:
            value = parse(text)
        except YamlProblem:
            raise FactoryError(f"{key}: {raw!r} is not a list like [dev, prod]") from None
        return value
    return [part.strip() for part in text.split(",") if part.strip()]


def load_data_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read answers from a YAML mapping file (``--data-file``)."""
    from mlops_factory._yamlsafe import MAX_ANSWERS_BYTES, load_file

    file = Path(path)
    data = load_file(
        file,
        kind="answers file",
        hint="a YAML mapping of answer keys to values; for example:  project_name: fraud",
        max_bytes=MAX_ANSWERS_BYTES,
    )
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise FactoryError(
            f"{file}: the answers file must be a YAML mapping of answer keys to values",
            hint="for example:  project_name: fraud-scoring",
        )
    return data


def merge_given(
    catalog: Catalog,
    *,
    data_file: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    pattern: str | None = None,
) -> dict[str, Any]:
    """Combine the explicit answers (file < ``--data`` < ``--pattern``) and refuse unknown keys."""
    given: dict[str, Any] = {**(data_file or {}), **(data or {})}
    if pattern is not None:
        if "pattern" in given and given["pattern"] != pattern:
            raise FactoryError(
                f"--pattern {pattern} contradicts the answer pattern={given['pattern']!r}",
                hint="give the pattern once",
            )
        given["pattern"] = pattern
    known = catalog.answer_keys()
    for key in given:
        if key in COMPUTED_KEYS:
            raise FactoryError(
                f"{key!r} cannot be answered: it is computed from the pattern and answers",
                hint="choose components with --pattern and the ci, iac and data_versioning answers",
            )
        if key not in known:
            raise FactoryError(
                f"unknown answer key {key!r}", hint=f"known keys: {', '.join(known)}"
            )
    return given


# --- defaults, choices, validation ------------------------------------------------------


def is_codeowner(owner: str) -> bool:
    """Whether ``owner`` can go in a CODEOWNERS file (``@user``, ``@org/team``, an email)."""
    return bool(_CODEOWNER_RE.match(owner.strip()))


def is_slug(name: str) -> bool:
    """Whether ``name`` is a valid project slug (letters first, then letters, digits,
    ``-``, ``_``, ``.``)."""
    return len(name) <= _MAX_NAME and bool(_PROJECT_RE.match(name))


def normalise_names(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with ``project_name`` as the slug and ``project_display_name`` the text:
    answers given as a display name (by ``new``, ``add``, or an older flow) render the
    same way whichever path they took."""
    out = dict(data)
    name = out.get("project_name")
    if not isinstance(name, str):
        return out
    out.setdefault("project_display_name", name)
    slug = out.get("project_slug")
    if not isinstance(slug, str) or not is_slug(slug):
        slug = name if is_slug(name) else slugify(name)
    out["project_slug"] = out["project_name"] = slug
    return out


def slugify(name: str) -> str:
    """A project slug made from a display or folder name ('Fraud Scoring v2' ->
    'fraud-scoring-v2'), as cookiecutter-data-science derives its repo name."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower())
    slug = re.sub(r"^[^a-z]+", "", slug)
    slug = re.sub(r"[^a-z0-9]+$", "", slug)
    slug = re.sub(r"-{2,}", "-", slug)[:_MAX_NAME].rstrip("._-")
    return slug or "ml-project"


def derive_package_name(project_name: str) -> str:
    """The import name for a project: lowercase, ``_`` for separators, never shadowing
    a keyword, the standard library or a dependency the generated project imports."""
    name = re.sub(r"[^a-z0-9]+", "_", project_name.lower()).strip("_")
    if not name or name[0].isdigit():
        name = f"pkg_{name}"
    if _shadowing(name):
        name = f"{name}_ml"
    return name


def _shadowing(name: str) -> str | None:
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return "a Python keyword"
    if name in sys.stdlib_module_names:
        return "a standard library module"
    if name in _DEPENDENCY_MODULES:
        return "a library the generated project imports"
    return None


@dataclass
class AnswerContext:
    catalog: Catalog
    dest: Path
    answers: dict[str, Any]

    def pattern_defaults(self) -> Mapping[str, Any]:
        name = self.answers.get("pattern")
        if name is None or name not in self.catalog.patterns:
            return {}
        return self.catalog.patterns[name].defaults

    def shared_default(self, key: str) -> Any:
        question = self.catalog.questions.get(key)
        return None if question is None else question.default

    def shared_choices(self, key: str) -> tuple[str, ...] | None:
        question = self.catalog.questions.get(key)
        if question is None or question.choices is None:
            return None
        return tuple(str(c) for c in question.choices)


def group_keys(catalog: Catalog) -> tuple[str, ...]:
    """Answer keys that pick group members, engine keys first."""
    keys = [k for k in ANSWER_KEYS if catalog.groups_for_answer(k)]
    keys += [g.answer for g in catalog.groups.values() if g.answer not in keys]
    return tuple(dict.fromkeys(keys))


def asks(ctx: AnswerContext, key: str) -> bool:
    """Whether ``key`` is a live question: group answers only when the pattern has the
    group; derived names never (they are given to override them)."""
    if key in DERIVED_KEYS:
        return False
    if key not in group_keys(ctx.catalog) and key not in ("ci", "iac", "data_versioning"):
        return True
    pattern = ctx.catalog.patterns.get(ctx.answers.get("pattern", ""))
    if pattern is None:
        return False
    return any(
        ctx.catalog.groups[entry].answer == key
        for entry in pattern.components
        if entry in ctx.catalog.groups
    )


def choices(ctx: AnswerContext, key: str) -> tuple[str, ...] | None:
    """The allowed values of ``key``, or None for free text."""
    if key == "pattern":
        return tuple(ctx.catalog.patterns)
    shared = ctx.shared_choices(key)
    if shared is not None:
        return shared
    if key == "python_version":
        return PYTHON_VERSIONS
    if key == "license":
        return LICENSES
    if key == "environments":
        return ENVIRONMENTS
    groups = ctx.catalog.groups_for_answer(key)
    if groups:
        members = dict.fromkeys(m for g in groups for m in g.members)
        return (*members, NONE)
    return None


def default(ctx: AnswerContext, key: str) -> Any:
    """The suggested answer for ``key`` given the answers so far."""
    answers = ctx.answers
    if key == "project_name":
        return ctx.dest.name if _display_problem(ctx.dest.name) is None else slugify(ctx.dest.name)
    if key == "project_display_name":
        return answers["project_name"]
    if key == "project_slug":
        name = answers["project_name"]
        return name if is_slug(name) else slugify(name)
    display = answers.get("project_display_name", answers.get("project_name"))
    if key == "package_name":
        return derive_package_name(answers.get("project_slug", answers["project_name"]))
    if key == "description":
        return f"{display}, a machine learning project"
    if key == "owner":
        return f"{display} team"
    if key == "pattern":
        return ctx.catalog.default_pattern.name
    if not asks(ctx, key):
        return NONE
    value = ctx.pattern_defaults().get(key)
    if value is None:
        value = ctx.shared_default(key)
    allowed = choices(ctx, key)
    if key == "environments":
        return list(MANDATORY_ENVIRONMENTS) if value is None else value
    if value is None:
        fallback = {"python_version": DEFAULT_PYTHON, "license": DEFAULT_LICENSE}.get(key, NONE)
        value = fallback if allowed is None or fallback in allowed else allowed[0]
    return value


def validate(ctx: AnswerContext, key: str, value: Any) -> Any:
    """Check one answer; return it normalised or raise FactoryError naming key and value."""
    problem, normalised = check_answer(ctx, key, value)
    if problem is not None:
        raise FactoryError(f"invalid answer {key}={value!r}: {problem}")
    return normalised


def check_answer(ctx: AnswerContext, key: str, value: Any) -> tuple[str | None, Any]:
    """Validate one answer: (what is wrong or None, the normalised value)."""
    if key not in _QUESTIONS and key not in group_keys(ctx.catalog):
        return None, value  # a custom catalog's own question: copier validates it
    if key == "environments":
        return _check_environments(ctx, value)
    if key == "python_version" and isinstance(value, float):
        return (
            'write the version as text, e.g. python_version: "3.11" (YAML reads 3.10 as 3.1)',
            value,
        )
    if not isinstance(value, str):
        return f"expected text, got {type(value).__name__}", value
    value = value.strip()
    if key in ("project_name", "project_display_name"):
        return _display_problem(value), value
    if key == "project_slug":
        if not is_slug(value):
            return (
                "use a letter first, then letters, digits, '-', '_' or '.', ending with a "
                f"letter or digit (at most {_MAX_NAME} characters), e.g. fraud-scoring",
                value,
            )
        return None, value
    if key == "package_name":
        if len(value) > _MAX_NAME or not _PACKAGE_RE.match(value):
            return "use lowercase letters, digits and '_', not starting with a digit", value
        reason = _shadowing(value)
        if reason:
            return f"it is {reason}; importing it would be ambiguous", value
        return None, value
    if key in ("description", "owner"):
        if key == "owner" and not value:
            return "it cannot be empty", value
        if key == "owner" and "@" in value and not is_codeowner(value):
            # The base component writes CODEOWNERS for an owner with '@': it must be valid.
            return "with '@' it must be one @user, @org/team or email address", value
        if len(value) > _MAX_TEXT:
            return f"keep it under {_MAX_TEXT} characters", value
        if any(c in value for c in '"\\') or any(ord(c) < 32 for c in value):
            return "use one line of text without double quotes or backslashes", value
        return None, value
    if key in group_keys(ctx.catalog) and not asks(ctx, key) and value != NONE:
        return f"pattern {ctx.answers.get('pattern')!r} has no choice for {key}", value
    allowed = choices(ctx, key)
    if allowed is not None and value not in allowed:
        return f"choose one of: {', '.join(allowed)}", value
    return None, value


def _display_problem(value: str) -> str | None:
    """What is wrong with a display name, or None (any one line of text with a letter)."""
    if not value or not any(c.isascii() and c.isalpha() for c in value):
        return "it needs at least one letter (a-z), for the slug derived from it"
    if len(value) > _MAX_TEXT:
        return f"keep it under {_MAX_TEXT} characters"
    if any(c in value for c in '"\\') or any(ord(c) < 32 for c in value):
        return "use one line of text without double quotes or backslashes"
    return None


def _check_environments(ctx: AnswerContext, value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "expected a list of names like [dev, prod]", value
    allowed = choices(ctx, "environments") or ENVIRONMENTS
    unknown = [v for v in value if v not in allowed]
    if unknown:
        return f"unknown {', '.join(unknown)}; choose from: {', '.join(allowed)}", value
    if len(set(value)) != len(value):
        return "an environment is listed twice", value
    missing = [e for e in MANDATORY_ENVIRONMENTS if e in allowed and e not in value]
    if missing:
        return f"{' and '.join(missing)} must be included", value
    return None, [e for e in allowed if e in value]


# --- resolution -------------------------------------------------------------------------


def resolve_answers(
    catalog: Catalog,
    *,
    dest: Path,
    given: Mapping[str, Any],
    defaults: bool = False,
    prompter: Prompter | None = None,
) -> dict[str, Any]:
    """Resolve every answer key of the catalog.

    ``given`` holds explicit answers (see :func:`merge_given`); they are
    validated and never asked. ``prompter`` asks the rest on a terminal
    unless ``defaults`` is set; without a prompter, keys in
    :data:`REQUIRED_KEYS` must be given (or ``defaults`` set) and a
    FactoryError names all the missing ones at once.
    """
    ctx = AnswerContext(catalog=catalog, dest=dest, answers={})
    missing: list[str] = []
    for key in (*ANSWER_KEYS, *(k for k in group_keys(catalog) if k not in ANSWER_KEYS)):
        if key in given:
            ctx.answers[key] = validate(ctx, key, given[key])
            continue
        asking = prompter is not None and not defaults and asks(ctx, key)
        if key in REQUIRED_KEYS and not defaults and not asking:
            missing.append(key)
            continue
        if any(dep in missing for dep in _DERIVED_FROM.get(key, ())):
            continue
        suggestion = default(ctx, key)
        if prompter is not None and asking:
            ctx.answers[key] = prompt_answer(ctx, prompter, key, suggestion)
        else:
            ctx.answers[key] = validate(ctx, key, suggestion)
    if missing:
        raise FactoryError(
            f"missing answers (no terminal to ask): {', '.join(missing)}",
            hint="give them with "
            + " ".join(f"--data {k}=..." for k in missing)
            + " (or --data-file), or pass --defaults to accept the suggestions "
            "(project_name defaults to the DEST folder name)",
        )
    for key, value in given.items():
        ctx.answers.setdefault(key, value)
    # Templates read project_name as the slug; the text stays as project_display_name.
    ctx.answers["project_name"] = ctx.answers["project_slug"]
    return ctx.answers


#: Keys whose default is computed from others (skipped while those are missing).
_DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "project_display_name": ("project_name",),
    "project_slug": ("project_name",),
    "package_name": ("project_name",),
    "description": ("project_name",),
    "owner": ("project_name",),
}


def prompt_answer(ctx: AnswerContext, prompter: Prompter, key: str, suggestion: Any) -> Any:
    question = _QUESTIONS.get(key)
    shared = ctx.catalog.questions.get(key)
    message = (shared.help if shared and shared.help else None) or (
        question.prompt if question else key
    )
    allowed = choices(ctx, key)
    if key == "environments":
        picked = prompter.checkbox(
            message,
            allowed or ENVIRONMENTS,
            suggestion,
            lambda values: _check_environments(ctx, values)[0],
        )
        return validate(ctx, key, picked)
    if allowed is not None:
        return validate(ctx, key, prompter.select(message, allowed, str(suggestion)))
    answer = prompter.text(message, str(suggestion), lambda text: check_answer(ctx, key, text)[0])
    return validate(ctx, key, answer)
