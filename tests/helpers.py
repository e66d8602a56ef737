"""Shared test helpers: build real small repos from inline trees."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

Tree = Mapping[str, "str | bytes | Tree"]


def build_tree(root: Path, tree: Tree) -> Path:
    """Write ``tree`` under ``root``: keys are relative paths, values file contents
    (str is dedented, bytes written as is) or nested trees."""
    for name, content in tree.items():
        path = root / name
        if isinstance(content, Mapping):
            path.mkdir(parents=True, exist_ok=True)
            build_tree(path, content)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def git_init(root: Path, message: str = "initial", tag: str | None = None) -> Path:
    """Make ``root`` a git repo with one commit of everything in it."""
    env_args = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", *env_args, "-C", str(root), "add", "-A"], check=True)
    subprocess.run(
        ["git", *env_args, "-C", str(root), "commit", "-q", "--no-verify", "-m", message],
        check=True,
    )
    if tag:
        subprocess.run(["git", *env_args, "-C", str(root), "tag", tag], check=True)
    return root


def require_tool(names: str | tuple[str, ...], env_var: str, install: str) -> str:
    """The path of an external tool the test needs: ``$env_var``, PATH, or beside this
    interpreter (the venv). Missing, the test fails in CI (``CI`` or
    ``MLOPS_FACTORY_REQUIRE_TOOLS`` set) and is skipped on a developer's machine."""
    import os
    import shutil
    import sys

    explicit = os.environ.get(env_var)
    if explicit:
        return explicit
    for name in (names,) if isinstance(names, str) else names:
        found = shutil.which(name)
        if found:
            return found
        beside = Path(sys.executable).parent / name
        if beside.is_file():
            return str(beside)
    shown = names if isinstance(names, str) else names[0]
    missing(f"{shown} is not installed ({install}; or set {env_var})")


def require_module(module: str) -> None:
    """``module`` must import for the test: fails in CI, skips on a developer's machine."""
    try:
        __import__(module)
    except ImportError:
        missing(f"{module} is not installed (pip install {module})")


def missing(message: str) -> NoReturn:
    """Something a test needs is missing: a failure in CI (``CI`` or
    ``MLOPS_FACTORY_REQUIRE_TOOLS`` set), a skip on a developer's machine."""
    import os

    import pytest

    if os.environ.get("CI") or os.environ.get("MLOPS_FACTORY_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)
