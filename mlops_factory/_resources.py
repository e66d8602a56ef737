"""Where the data that ships with the package lives.

In a wheel, ``assessments/`` and ``templates/`` are installed inside the package;
in a source checkout (editable install, tests) they sit beside it.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder ``name`` (``assessments`` or ``templates``) shipped with us."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mlops-factory data folder {name!r} is missing from the installation")


def default_rubric_path() -> Path:
    """The built-in maturity rubric."""
    return data_dir("assessments") / "mlops-maturity.yaml"


def templates_dir() -> Path:
    """The built-in template catalog."""
    return data_dir("templates")
