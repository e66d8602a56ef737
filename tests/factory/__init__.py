"""Tests of retrospectives and harvesting. Projects are generated with the real engine
(``new_project``) from the tiny catalog of ``tests.scaffold`` built in tmp_path."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_factory._scaffold import new_project
from mlops_factory._scaffold._project import read_recorded
from tests.scaffold import make_catalog

#: The answers every test project is generated with (the rest: the engine's defaults).
OWNER = "risk-ml"


def generate(
    tmp_path: Path,
    name: str = "demo-churn",
    *,
    catalog: Path | None = None,
    data: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Generate project ``name`` from the tiny catalog (made in tmp_path unless given);
    return (project, catalog)."""
    catalog = catalog or make_catalog(tmp_path / "cat")
    result = new_project(
        tmp_path / name,
        catalog=catalog,
        data={"owner": OWNER, **(data or {})},
        defaults=True,
        interactive=False,
    )
    return result.dest, catalog


def recorded_answers(project: Path) -> dict[str, Any]:
    """Every answer the project recorded (base first), plus ``components``."""
    out: dict[str, Any] = {}
    recorded = sorted(read_recorded(project), key=lambda r: (r.name != "base", r.name))
    for rec in recorded:
        for key, value in rec.answers.items():
            out.setdefault(key, value)
    out["components"] = [r.name for r in recorded]
    return out


def commit_all(root: Path, message: str = "team edits") -> None:
    """Commit every change in ``root`` (an existing git repo)."""
    ident = ["-c", "user.name=Team", "-c", "user.email=team@example.com"]
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(
        ["git", *ident, "-C", str(root), "commit", "-q", "--no-verify", "-m", message],
        check=True,
    )
