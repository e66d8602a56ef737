"""The People-and-process questionnaire: answers files and interactive prompts.

Answers file format (YAML)::

    rubric: mlops-maturity        # optional; checked when present
    answers:
      PE-101: yes                 # yes / no / n/a; anything left out stays not assessed
      PE-202: no
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from mlops_factory._assess.model import Rubric
from mlops_factory._assess.scoring import Answer
from mlops_factory._errors import FactoryError
from mlops_factory._io import write_output
from mlops_factory._schema import validate

_YES = {"yes", "y", "true", "met"}
_NO = {"no", "n", "false", "unmet"}
_NA = {"n/a", "na", "not applicable", "not_applicable"}
_SKIP = {"", "skip", "unknown", "?"}


def parse_answer(value: Any) -> Answer | str:
    """Map a YAML value to an answer; returns the string ``"skip"`` for 'unknown'."""
    if isinstance(value, bool):
        return value
    if value is None:
        return "skip"
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    if text in _NA:
        return None
    if text in _SKIP:
        return "skip"
    raise ValueError(value)


@cache
def _answers_model() -> Any:
    """The answers file's schema (strict pydantic, built on first use)."""
    from pydantic import BaseModel

    from mlops_factory._schema import strict_config

    class AnswersFile(BaseModel):
        model_config = strict_config()
        #: The rubric the answers are for (checked against the one in use).
        rubric: str | None = None
        #: Question id -> yes / no / n/a / skip (YAML booleans and null too).
        answers: dict[str, bool | str | None] | None = None

    return AnswersFile


def load_answers(path: str | os.PathLike[str], rubric: Rubric) -> dict[str, Answer]:
    """Read an answers file; every problem names the file and the question id."""
    from mlops_factory._yamlsafe import MAX_ANSWERS_BYTES, load_file

    file = Path(path)
    hint = "see `mlops-factory assess --help` for the answers file format"
    # The one YAML file loader: a FIFO, /dev/zero or a huge file is a user error.
    raw = load_file(file, kind="answers file", hint=hint, max_bytes=MAX_ANSWERS_BYTES)
    if raw is None:
        return {}
    data = validate(_answers_model(), raw, source=str(file), hint=hint)
    named = data.rubric
    if named is not None and named != rubric.id:
        raise FactoryError(
            f"{file}: answers are for rubric {named!r}, but the rubric in use is {rubric.id!r}",
            "pass the matching --rubric, or remove the 'rubric' key",
        )
    questions = {c.id: c for c in rubric.questions()}
    out: dict[str, Answer] = {}
    for key, value in (data.answers or {}).items():
        cid = str(key).upper()
        if cid not in questions:
            close = difflib.get_close_matches(cid, list(questions), n=1)
            kind = "is not a question" if rubric.get(cid) else "is not in the rubric"
            raise FactoryError(
                f"{file}: answers: {key!r} {kind}",
                f"did you mean {close[0]}?"
                if close
                else "`mlops-factory explain --list` lists ids",
            )
        try:
            answer = parse_answer(value)
        except ValueError:
            raise FactoryError(
                f"{file}: answers: {cid}: {value!r} is not an answer", "use yes, no, n/a or skip"
            ) from None
        if not isinstance(answer, str):  # the str is "skip": leave it not assessed
            out[cid] = answer
    return out


def save_answers(
    path: str | os.PathLike[str], answers: Mapping[str, Answer], rubric: Rubric
) -> None:
    """Write answers atomically, each with its question as a comment."""
    lines = [
        "# mlops-factory questionnaire answers: yes / no / n/a (omit to leave not assessed)",
        f"rubric: {rubric.id}",
        "answers:",
    ]
    for c in rubric.questions():
        if c.id not in answers:
            continue
        text = {True: "yes", False: "no", None: "n/a"}[answers[c.id]]
        lines.append(f"  # {c.title}")
        lines.append(f'  {c.id}: "{text}"')
    write_output(path, "\n".join(lines) + "\n", "--save-answers")


def ask_questions(
    rubric: Rubric,
    known: Mapping[str, Answer],
    prompt: Callable[[str, str], str | None] | None = None,
) -> dict[str, Answer]:
    """Ask every question not in ``known``; returns known plus the new answers.

    ``prompt(title, question)`` returns "yes", "no", "n/a", "skip" or None (aborted);
    the default uses questionary on the terminal.
    """
    ask = prompt or _questionary_prompt
    out = dict(known)
    for c in rubric.questions():
        if c.id in out or c.detection.question is None:
            continue
        reply = ask(f"{c.id} {c.title}", c.detection.question)
        if reply is None:
            raise KeyboardInterrupt
        answer = parse_answer(reply)
        if not isinstance(answer, str):
            out[c.id] = answer
    return out


def _questionary_prompt(title: str, question: str) -> str | None:
    import questionary

    reply: str | None = questionary.select(
        f"{title}\n  {question}",
        choices=["yes", "no", "n/a", "skip"],
        default="skip",
    ).ask()
    return reply
