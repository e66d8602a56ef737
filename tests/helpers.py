"""Shared test helpers: build real small repos from inline trees."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path

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
