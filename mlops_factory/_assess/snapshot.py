"""A read-only, bounded view of a repository, taken once per assessment.

Safety rules (the assessed repo is untrusted input):

* nothing from the repo is imported or executed; git runs with a config that
  disables fsmonitor, hooks, pagers and optional locks (see ``_gitfacts``);
* symlinks are never followed out of the repo, and symlinked folders are not
  walked at all (no loops);
* every read is capped in size; binary files are skipped; text is decoded as
  UTF-8 with replacement, so any encoding is tolerated.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from mlops_factory._assess.model import Unreadable
from mlops_factory._errors import FactoryError

#: Folders that hold tool output or third-party code, never the team's practice.
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox",
        "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints",
        "site-packages", ".eggs", "mlruns", "mlartifacts", ".dvc/cache", ".terraform",
    }
)
DEFAULT_MAX_FILE_BYTES = 1_048_576
DEFAULT_MAX_FILES = 200_000
_BINARY_PROBE = 8192


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One indexed file: its repo-relative POSIX path."""

    path: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        name = self.name
        dot = name.rfind(".")
        return name[dot:].lower() if dot > 0 else ""

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("/"))


@dataclass
class RepoSnapshot:
    """The file index of a repo plus bounded, cached reads. Build with :meth:`open`."""

    root: Path
    files: tuple[FileEntry, ...]
    unreadable: list[Unreadable] = field(default_factory=list)
    git: Any = None  # _gitfacts.GitFacts | None; Any to keep GitPython out of start-up
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    _text: dict[str, str | None] = field(default_factory=dict, repr=False)
    _paths: frozenset[str] = field(default_factory=frozenset, repr=False)
    #: Derived data computed once and shared by signals (e.g. parsed Python files).
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._paths = frozenset(f.path for f in self.files)

    # ------------------------------------------------------------ building

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_files: int = DEFAULT_MAX_FILES,
        with_git: bool = True,
    ) -> RepoSnapshot:
        """Index the folder at ``path``. Raises :class:`FactoryError` if it is unusable."""
        root = Path(path).expanduser()
        if not root.exists():
            raise FactoryError(f"{root} does not exist", "pass the folder of a repository")
        if not root.is_dir():
            raise FactoryError(f"{root} is not a folder", "pass the folder of a repository")
        root = root.resolve()
        unreadable: list[Unreadable] = []
        files = tuple(_walk(root, unreadable, max_files))
        git = None
        if with_git and (root / ".git").exists():
            from mlops_factory._assess._gitfacts import read_git_facts

            git = read_git_facts(root, unreadable)
        return cls(
            root=root, files=files, unreadable=unreadable, git=git, max_file_bytes=max_file_bytes
        )

    # ------------------------------------------------------------ queries

    def exists(self, rel: str) -> bool:
        return rel in self._paths

    def glob(self, *patterns: str) -> list[FileEntry]:
        """Files whose repo-relative path matches any fnmatch pattern (``*`` spans ``/``)."""
        return [f for f in self.files if any(fnmatch.fnmatchcase(f.path, p) for p in patterns)]

    def by_suffix(self, *suffixes: str) -> list[FileEntry]:
        wanted = {s.lower() for s in suffixes}
        return [f for f in self.files if f.suffix in wanted]

    def by_name(self, *names: str) -> list[FileEntry]:
        wanted = set(names)
        return [f for f in self.files if f.name in wanted]

    def under(self, folder: str) -> list[FileEntry]:
        prefix = folder.rstrip("/") + "/"
        return [f for f in self.files if f.path.startswith(prefix)]

    # ------------------------------------------------------------ reading

    def read_text(self, rel: str) -> str | None:
        """The file's text, or None when it is binary, too large or unreadable.

        Reads at most ``max_file_bytes``; results (including refusals) are cached
        so each file is read at most once per assessment.
        """
        if rel in self._text:
            return self._text[rel]
        data = self._read_bytes(rel)
        text = None if data is None else data.decode("utf-8", errors="replace")
        self._text[rel] = text
        return text

    def _read_bytes(self, rel: str) -> bytes | None:
        full = self.root / PurePosixPath(rel)
        try:
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                target = full.resolve()
                if not _inside(target, self.root):
                    self._skip(rel, "symlink points outside the repository")
                    return None
                st = os.stat(target)
                full = target
            if not stat.S_ISREG(st.st_mode):
                self._skip(rel, "not a regular file")
                return None
            if st.st_size > self.max_file_bytes:
                self._skip(rel, f"larger than the read cap ({self.max_file_bytes:,} bytes)")
                return None
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(full, flags)
            with os.fdopen(fd, "rb") as fh:
                data = fh.read(self.max_file_bytes + 1)
        except OSError as exc:
            self._skip(rel, f"cannot be read: {exc.strerror or exc}")
            return None
        if len(data) > self.max_file_bytes:
            self._skip(rel, f"larger than the read cap ({self.max_file_bytes:,} bytes)")
            return None
        if b"\x00" in data[:_BINARY_PROBE]:
            self._skip(rel, "binary file")
            return None
        return data

    def _skip(self, rel: str, reason: str) -> None:
        self.unreadable.append(Unreadable(rel, reason))

    def iter_text(self, entries: Iterable[FileEntry]) -> Iterator[tuple[FileEntry, str]]:
        """Yield (entry, text) for each readable entry."""
        for entry in entries:
            text = self.read_text(entry.path)
            if text is not None:
                yield entry, text


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _walk(root: Path, unreadable: list[Unreadable], max_files: int) -> Iterator[FileEntry]:
    """Iterative walk (no recursion limit); symlinked folders are never entered."""
    count = 0
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            unreadable.append(Unreadable(prefix or ".", f"cannot list folder: {exc.strerror}"))
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            rel = f"{prefix}{entry.name}"
            try:
                if entry.is_symlink():
                    target = Path(entry.path).resolve()
                    if not _inside(target, root):
                        unreadable.append(Unreadable(rel, "symlink points outside the repository"))
                    elif target.is_dir():
                        unreadable.append(Unreadable(rel, "symlinked folder not followed"))
                    else:
                        count += 1
                        yield FileEntry(rel)
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info"):
                        continue
                    subdirs.append((entry.path, rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    count += 1
                    yield FileEntry(rel)
            except OSError as exc:
                unreadable.append(Unreadable(rel, f"cannot be inspected: {exc.strerror}"))
                continue
            if count >= max_files:
                unreadable.append(
                    Unreadable(".", f"file limit reached ({max_files:,}); the rest was not indexed")
                )
                return
        stack.extend(reversed(subdirs))
