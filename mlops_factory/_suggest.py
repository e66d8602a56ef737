""" "Did you mean …?": the one helper that turns a typo into the closest valid names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``choices`` closest to ``word`` (case-insensitive), best first."""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.casefold(), choice)
    found = difflib.get_close_matches(word.casefold(), list(by_folded), n=n, cutoff=0.6)
    return [by_folded[f] for f in found]


def did_you_mean(word: str, choices: Iterable[str], quote: str = "") -> str | None:
    """``"did you mean X?"`` / ``"did you mean X or Y?"``, or None when nothing is close.

    ``quote`` wraps each name (e.g. a backtick, so a hint reads as a command)."""
    close = [f"{quote}{c}{quote}" for c in close_matches(word, choices)]
    if not close:
        return None
    names = close[0] if len(close) == 1 else ", ".join(close[:-1]) + " or " + close[-1]
    return f"did you mean {names}?"
