"""Turn what the user passed (folders, folders of repos, list files, JSON results)
into the list of things to score.

Rules (documented in docs/portfolio.md, "Inputs"):

* a path ending in ``.json`` that is a file: an assessment result to ingest;
* any other file: a list file, one path per line, relative to the list file's
  folder; blank lines and ``#`` comments are ignored. Its entries follow these
  same rules, except that an entry cannot be another list file;
* a folder is **one repository** when it has a ``.git`` entry; otherwise it is a
  **folder of repositories** when one of its immediate subfolders has ``.git``;
  otherwise one repository when it holds a project marker file at its top
  (:data:`MARKER_FILES`, ``README*``, ``requirements*.txt``, ``*.py``,
  ``*.ipynb``); otherwise a folder of repositories when a subfolder has one;
  otherwise one repository (a plain folder, assessed as it is).
* In a folder of repositories, the immediate subfolders that are repositories
  (``.git`` or a marker) are taken, sorted by name; hidden folders and tool folders
  (``node_modules``, ``.venv``, ...) are skipped. Nested groups are not searched.

Nothing here raises for one bad input: a path that does not exist or cannot be
read becomes a :class:`Target` with an ``error``, reported with the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlops_factory._assess.snapshot import SKIP_DIRS
from mlops_factory._errors import FactoryError

#: Top-level files that make a folder without ``.git`` look like a project.
MARKER_FILES = frozenset(
    {
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "Pipfile",
        "poetry.lock",
        "environment.yml",
        "environment.yaml",
        "conda.yaml",
        "Dockerfile",
        "Makefile",
        "MLproject",
        "dvc.yaml",
        "azure-pipelines.yml",
        ".gitlab-ci.yml",
        "Jenkinsfile",
        "package.json",
    }
)
_MARKER_PATTERN = re.compile(r"^(README(\..*)?|requirements.*\.txt|.*\.py|.*\.ipynb)$", re.I)
#: A list file larger than this is not a list of paths.
MAX_LIST_BYTES = 4 * 1024 * 1024
_INLINE_COMMENT = re.compile(r"\s+#.*$")

Kind = Literal["repo", "json"]


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to score: a repo folder or a JSON result file.

    ``path`` is absolute (resolved when it exists). ``error`` is set when the input
    is unusable as it stands; it is then reported, never scored.
    """

    kind: Kind
    path: str
    input: str
    error: str | None = None
    hint: str | None = None


def _has_git(folder: str) -> bool:
    return os.path.lexists(os.path.join(folder, ".git"))


def _has_marker(folder: str) -> bool:
    try:
        with os.scandir(folder) as it:
            for entry in it:
                name = entry.name
                if name == ".github" or name in MARKER_FILES or _MARKER_PATTERN.match(name):
                    return True
    except OSError:
        return False
    return False


def _subfolders(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as it:
            names = [
                e.name
                for e in it
                if not e.name.startswith(".")
                and e.name not in SKIP_DIRS
                and not e.name.endswith(".egg-info")
                and e.is_dir(follow_symlinks=True)
            ]
    except OSError:
        return []
    return [os.path.join(folder, n) for n in sorted(names)]


def classify_folder(folder: str) -> list[str]:
    """The repositories a folder stands for: itself, or its repo subfolders."""
    if _has_git(folder):
        return [folder]
    subs = _subfolders(folder)
    # A subfolder we may not read is kept as a repo, so that it is reported, not skipped.
    locked = {s for s in subs if not os.access(s, os.R_OK | os.X_OK)}
    if any(_has_git(s) for s in subs):
        return [s for s in subs if s in locked or _has_git(s) or _has_marker(s)]
    if _has_marker(folder):
        return [folder]
    marked = [s for s in subs if _has_marker(s)]
    return [s for s in subs if s in locked or s in marked] if marked else [folder]


def _resolve(path: Path) -> str:
    return os.path.realpath(path)


def _targets_for(path: Path, given: str, *, in_list: Path | None) -> Iterable[Target]:
    shown = str(path) if in_list is None else f"{given} (in {in_list})"
    try:
        exists = path.exists()
        is_dir = exists and path.is_dir()
        is_file = exists and path.is_file()
    except OSError as exc:
        yield _broken(path, given, f"{shown} cannot be inspected: {exc.strerror or exc}")
        return
    if not exists:
        hint = "check the path" if in_list is None else "paths are relative to the list file"
        yield _broken(path, given, f"{shown} does not exist", hint)
    elif is_dir:
        if not os.access(path, os.R_OK | os.X_OK):
            yield _broken(path, given, f"{shown} cannot be read", "check the folder's permissions")
            return
        for repo in classify_folder(_resolve(path)):
            yield Target("repo", repo, given)
    elif is_file and path.suffix.lower() == ".json":
        yield Target("json", _resolve(path), given)
    elif is_file and in_list is None:
        yield from _read_list(path, given)
    elif is_file:
        yield _broken(
            path,
            given,
            f"{shown} is a file, not a repository folder or an assessment .json",
            "list files cannot include other list files",
        )
    else:
        yield _broken(path, given, f"{shown} is not a folder or a regular file")


def _broken(path: Path, given: str, message: str, hint: str | None = None) -> Target:
    kind: Kind = "json" if path.suffix.lower() == ".json" else "repo"
    return Target(kind, os.path.abspath(path), given, message, hint)


def _read_list(file: Path, given: str) -> Iterable[Target]:
    try:
        if file.stat().st_size > MAX_LIST_BYTES:
            yield _broken(file, given, f"{file} is too big to be a list of paths")
            return
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        yield _broken(
            file,
            given,
            f"{file} is not a text file: expected a folder, an assessment .json, "
            "or a list of paths",
        )
        return
    except OSError as exc:
        yield _broken(file, given, f"{file} cannot be read: {exc.strerror or exc}")
        return
    base = file.parent
    found: list[Target] = []
    missing = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = _INLINE_COMMENT.sub("", line)
        entry = Path(line).expanduser()
        full = entry if entry.is_absolute() else base / entry
        missing += not os.path.lexists(full)
        found.extend(_targets_for(full, line, in_list=file))
    if found and missing == len(found):
        # Not one line names a path: this is some other file, not a list of repos.
        yield _broken(
            file,
            given,
            f"{file}: none of its {len(found)} entries exists, so it is not a list of paths",
            "a list file has one folder or .json path per line, relative to the list file",
        )
        return
    yield from found


def discover(inputs: Sequence[str | os.PathLike[str]]) -> list[Target]:
    """Every target the inputs stand for, in input order, without duplicates.

    Raises :class:`FactoryError` only when ``inputs`` is empty.
    """
    if not inputs:
        raise FactoryError(
            "no repositories given",
            "pass folders, folders of repos, list files or assessment .json files",
        )
    seen: set[tuple[str, str]] = set()
    out: list[Target] = []
    for item in inputs:
        given = os.fspath(item)
        for target in _targets_for(Path(given).expanduser(), given, in_list=None):
            key = (target.kind, target.path)
            if key in seen:
                continue
            seen.add(key)
            out.append(target)
    return out
