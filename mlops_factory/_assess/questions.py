"""The People-and-process questionnaire: answers files and interactive prompts.

Answers file format (YAML)::

    rubric: mlops-maturity        # optional; checked when present
    answers:
      PE-101: yes                 # yes / no / n/a; empty or left out: not assessed
      PE-202: no
"""

from __future__ import annotations

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
from mlops_factory._suggest import did_you_mean

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


#: A command that writes a questionnaire to fill in: the hint for a malformed answers file.
_TEMPLATE_HINT = (
    "`mlops-factory assess --no-input --save-answers answers.yaml` writes every question "
    "to fill in with yes, no or n/a"
)


def load_answers(path: str | os.PathLike[str], rubric: Rubric) -> dict[str, Answer]:
    """Read an answers file, validated against the rubric's questionnaire.

    Errors name the file and the question id: an empty file, no ``answers:`` mapping, an
    id that is not a question, a value other than yes / no / n/a (or empty / ``skip``,
    which leave the question not assessed).
    """
    from mlops_factory._yamlsafe import MAX_ANSWERS_BYTES, load_file

    file = Path(path)
    # The one YAML file loader: a FIFO, /dev/zero or a huge file is a user error.
    raw = load_file(file, kind="answers file", hint=_TEMPLATE_HINT, max_bytes=MAX_ANSWERS_BYTES)
    if raw is None:
        raise FactoryError(f"{file}: the answers file is empty", _TEMPLATE_HINT)
    data = validate(_answers_model(), raw, source=str(file), hint=_TEMPLATE_HINT)
    named = data.rubric
    if named is not None and named != rubric.id:
        raise FactoryError(
            f"{file}: answers are for rubric {named!r}, but the rubric in use is {rubric.id!r}",
            "pass the matching --rubric, or remove the 'rubric' key",
        )
    if data.answers is None:
        raise FactoryError(
            f"{file}: no 'answers:' mapping of question id to yes / no / n/a", _TEMPLATE_HINT
        )
    questions = {c.id: c for c in rubric.questions()}
    out: dict[str, Answer] = {}
    for key, value in data.answers.items():
        cid = str(key).upper()
        if cid not in questions:
            kind = "is not a question" if rubric.get(cid) else "is not in the rubric"
            close = did_you_mean(cid, questions)
            raise FactoryError(
                f"{file}: answers: {key!r} {kind}",
                (f"{close} " if close else "") + "(`mlops-factory explain --list` lists the ids)",
            )
        try:
            answer = parse_answer(value)
        except ValueError:
            raise FactoryError(
                f"{file}: answers: {cid}: {value!r} is not an answer",
                "answer yes, no or n/a (leave it empty to skip the question)",
            ) from None
        if not isinstance(answer, str):  # the str is "skip": leave it not assessed
            out[cid] = answer
    return out


def save_answers(
    path: str | os.PathLike[str], answers: Mapping[str, Answer], rubric: Rubric
) -> None:
    """Write the questionnaire atomically: every question, its text as a comment, with
    the given answer or empty (not assessed) to fill in. :func:`load_answers` reads it."""
    lines = [
        "# mlops-factory questionnaire: answer yes, no or n/a; leave empty to skip",
        "# (an empty answer is reported as not assessed). Use it with:",
        "#   mlops-factory assess PATH --answers THIS_FILE",
        f"rubric: {rubric.id}",
        "answers:",
    ]
    for c in rubric.questions():
        lines.append(f"  # {_comment(c.title)}")
        if c.detection.question:
            lines.append(f"  # {_comment(c.detection.question)}")
        text = {True: "yes", False: "no", None: "n/a"}[answers[c.id]] if c.id in answers else ""
        lines.append(f'  {c.id}: "{text}"' if text else f"  {c.id}:")
    write_output(path, "\n".join(lines) + "\n", "--save-answers")


def _comment(text: str) -> str:
    """``text`` on one comment line (a rubric's text may hold newlines)."""
    return " ".join(text.split())


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
