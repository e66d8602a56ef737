"""Old component versions recovered from the catalog's git history.

The template cache keeps the versions this machine has seen; a clone of the catalog on
another machine has not seen them, but its git history has: the version a project
records is the component's folder at the last commit whose ``catalog.yaml`` gives the
component that version (the state just before the commit that bumped it). Every git
call goes through the one git runner, bounded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlops_factory._errors import FactoryError
from mlops_factory._scaffold._catalog import (
    CATALOG_FILE,
    COMPONENTS_DIR,
    QUESTIONS_FILE,
    Catalog,
    Component,
)

#: Most commits of ``catalog.yaml`` looked through.
MAX_COMMITS = 500


def _git(catalog: Catalog, *args: str, max_output: int = 64 * 1_048_576) -> bytes | None:
    from mlops_factory._git import GitRefused, run_git

    try:
        done = run_git(catalog.path, *args, timeout=120, max_output=max_output)
    except GitRefused:
        return None
    return done.stdout if done.ok else None


def _version_at(catalog: Catalog, commit: str, component: str) -> str | None:
    raw = _git(catalog, "show", f"{commit}:./{CATALOG_FILE}", max_output=4 * 1_048_576)
    if raw is None:
        return None
    from mlops_factory._yamlsafe import YamlProblem, parse

    try:
        data: Any = parse(raw.decode("utf-8", errors="replace"))
    except YamlProblem:
        return None
    try:
        version = data["components"][component]["version"]
    except (KeyError, TypeError):
        return None
    return version if isinstance(version, str) else None


def find_commit(catalog: Catalog, component: str, version: str) -> str | None:
    """The commit holding ``component`` at ``version`` in the catalog's history, or None
    (no git history, or no commit gives that version)."""
    if _git(catalog, "rev-parse", "--is-inside-work-tree") is None:
        return None
    log = _git(
        catalog, "log", "--all", "--format=%H", f"--max-count={MAX_COMMITS}", "--", CATALOG_FILE
    )
    if log is None:
        return None
    newer: str | None = None  # the last commit seen (newest first) with another version
    for commit in log.decode().split():
        if _version_at(catalog, commit, component) == version:
            if newer is not None and _version_at(catalog, f"{newer}^", component) == version:
                return f"{newer}^"  # later fixes at that version are part of it
            return commit
        newer = commit
    return None


@contextlib.contextmanager
def recovered(
    catalog: Catalog, component: Component | str, version: str
) -> Iterator[tuple[Component, Path | None] | None]:
    """The component's template and the shared questions file at ``version``, extracted
    from the catalog's history into a temporary folder (removed afterwards); None when the
    history does not have it."""
    name = component if isinstance(component, str) else component.name
    commit = find_commit(catalog, name, version)
    if commit is None:
        yield None
        return
    folder = f"{COMPONENTS_DIR}/{name}"
    raw = _git(catalog, "archive", "--format=tar", commit, "--", folder)
    if raw is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="mlops-factory-version-") as tmp:
        root = Path(tmp)
        try:
            with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
                tar.extractall(root, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise FactoryError(
                f"{catalog.display}: cannot extract {name} {version} from commit {commit}: {exc}"
            ) from None
        shared: Path | None = None
        questions = _git(catalog, "show", f"{commit}:./{QUESTIONS_FILE}")
        if questions is not None:
            shared = root / QUESTIONS_FILE
            shared.write_bytes(questions)
        base = catalog.components.get(name)
        template = Component(
            name=name,
            version=version,
            title=base.title if base else name,
            description="",
            requires=(),
            questions=(),
            path=root / folder,
        )
        if base is not None:
            template = dataclasses.replace(base, version=version, path=root / folder)
        yield template, shared
