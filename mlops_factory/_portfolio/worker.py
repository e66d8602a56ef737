"""What runs in each worker process: assess repos, return small picklable outcomes.

The rubric and answers are set once per worker by :func:`init` (the rubric loader
caches by file identity, so a worker parses the rubric file once). Every
exception raised while assessing a repo is caught and returned as a failure:
one broken repo never ends the run.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_factory._errors import FactoryError

if TYPE_CHECKING:
    from mlops_factory._assess.model import Rubric
    from mlops_factory._portfolio.model import Score

_STATE: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One repo's result: a score and the compressed assessment JSON, or an error."""

    path: str
    score: Score | None = None
    payload: bytes = b""
    error: str | None = None
    hint: str | None = None


def init(rubric: Rubric | str | None, answers: Mapping[str, bool | None], in_worker: bool) -> None:
    """Prepare this process: load the rubric once, keep the answers, warm imports."""
    from mlops_factory._assess.rubric import load_rubric

    if in_worker:
        # Ctrl-C goes to the whole process group; the parent decides how to stop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # Paid once here rather than inside the first repo's timing.
        import mlops_factory._assess.pipeline  # noqa: F401
    _STATE["rubric"] = rubric if not isinstance(rubric, str | None) else load_rubric(rubric)
    _STATE["answers"] = dict(answers)


def assess_one(path: str) -> Outcome:
    """Assess one repo with the process's rubric and answers; never raises."""
    from mlops_factory._assess.pipeline import assess
    from mlops_factory._portfolio.ingest import compress, score_of

    try:
        data = assess(path, rubric=_STATE["rubric"], answers=_STATE["answers"]).to_dict()
        return Outcome(path, score_of(data, path), compress(data))
    except FactoryError as exc:
        return Outcome(path, error=exc.message, hint=exc.hint)
    except RecursionError:
        return Outcome(path, error=f"{path}: the assessment recursed too deeply")
    except Exception as exc:  # a bug in a signal or the pipeline: report it, go on
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return Outcome(
            path,
            error=f"{path}: internal error {what}",
            hint="this is a bug in mlops-factory; `mlops-factory assess PATH` shows the traceback",
        )


def assess_batch(paths: Sequence[str]) -> list[Outcome]:
    """Assess several repos in a row (one task of the process pool)."""
    return [assess_one(p) for p in paths]
