"""Tests of closing gaps: ``add``, ``fix``, ``update`` and ``check-update``.

Projects are generated from small catalogs built in ``tmp_path`` (``tests.scaffold``'s
``make_catalog``); a new catalog version is "published" by rewriting the catalog folder
with a bumped component version, as a catalog author would.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.scaffold import make_catalog, tiny_catalog_data, tiny_templates

#: A base file with distinct regions: edit one locally, let the template change another.
NOTES_V1 = "".join(f"line {i}\n" for i in range(1, 11))

IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.com")


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity; return stdout."""
    return subprocess.run(
        ["git", *IDENTITY, "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def commit_all(repo: Path, message: str = "work") -> None:
    """Commit everything in ``repo``."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


def templates_v1() -> dict[str, dict[str, str]]:
    """The tiny catalog's templates plus ``notes.txt`` in base."""
    templates = {k: dict(v) for k, v in tiny_templates().items()}
    templates["base"]["notes.txt"] = NOTES_V1
    return templates


def publish(
    root: Path,
    versions: Mapping[str, str] | None = None,
    templates: Mapping[str, Mapping[str, str]] | None = None,
    data: dict[str, Any] | None = None,
) -> Path:
    """(Re)write the catalog at ``root`` with component ``versions`` and ``templates``."""
    data = data if data is not None else tiny_catalog_data()
    for name, version in (versions or {}).items():
        data["components"][name]["version"] = version
    if root.exists():
        import shutil

        shutil.rmtree(root)
    return make_catalog(root, data=data, templates=templates or templates_v1())


def answers_of(project: Path, component: str) -> dict[str, Any]:
    """The parsed answers file of ``component``."""
    data = yaml.safe_load((project / ".mlops-factory" / f"{component}.yml").read_text())
    assert isinstance(data, dict)
    return data


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (outside .git) -> its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }
