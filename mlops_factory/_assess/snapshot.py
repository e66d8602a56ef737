"""A read-only, bounded view of a repository, taken once per assessment.

Safety rules (the assessed repo is untrusted input):

* nothing from the repo is imported or executed; git runs with a config and an
  environment that switch off fsmonitor, hooks, filters, textconv, signature
  programs and pagers (see ``_gitfacts``);
* files are read through the one untrusted-file reader (:mod:`mlops_factory._readsafe`):
  symlinks are never followed out of the repo (nor into ``.git``), hard-linked files
  are not read (their other name may be outside), symlinked folders are not walked
  at all (no loops), and only regular files are read (never a FIFO or a device);
* only indexed paths can be read, every read is capped in size, binary files
  are skipped, and text is decoded as UTF-8 (or UTF-16 with a BOM) with
  replacement, so any encoding is tolerated.

Everything the snapshot could not read is recorded once per path in
:attr:`RepoSnapshot.unreadable`, with the reason.
"""

from __future__ import annotations

import codecs
import operator
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_factory._assess.model import Unreadable
from mlops_factory._errors import FactoryError
from mlops_factory._readsafe import Refused, inside, read_in
from mlops_factory._yamlsafe import YamlProblem, parse, safe_loader

#: Folder names that hold tool output or third-party code, never the team's practice.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        "site-packages",
        ".eggs",
        "mlruns",
        "mlartifacts",
        ".terraform",
    }
)
#: Repo-relative folders skipped as a whole (tool caches that are not named uniquely).
SKIP_PATHS = frozenset({".dvc/cache", ".dvc/tmp"})
#: A folder holding one of these is a virtual or conda environment, whatever its name.
_ENV_MARKERS = ("pyvenv.cfg", "conda-meta")
DEFAULT_MAX_FILE_BYTES = 1_048_576
DEFAULT_MAX_FILES = 200_000
_BINARY_PROBE = 8192


class FileEntry:
    """One indexed file: its repo-relative POSIX path, file name and lower-case suffix.

    Build it as ``FileEntry(path)``; ``name`` and ``suffix`` are derived and stored.
    A plain slotted class rather than a frozen dataclass: the walk makes one per
    file, and on 50,000 files the dataclass machinery alone cost ~40 ms. Treat it
    as immutable; equality and hashing go by path.
    """

    __slots__ = ("name", "path", "suffix")

    def __init__(self, path: str, name: str = "", suffix: str = "") -> None:
        if not name:
            name = path.rsplit("/", 1)[-1]
            suffix = _suffix(name)
        self.path = path
        self.name = name
        self.suffix = suffix

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileEntry) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"FileEntry({self.path!r})"

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("/"))


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


@dataclass
class RepoSnapshot:
    """The file index of a repo plus bounded, cached reads. Build with :meth:`open`."""

    root: Path
    files: tuple[FileEntry, ...]
    unreadable: list[Unreadable] = field(default_factory=list)
    git: Any = None  # _gitfacts.GitFacts | None; Any keeps the git module out of start-up
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    _text: dict[str, str | None] = field(default_factory=dict, repr=False)
    _paths: frozenset[str] = field(default_factory=frozenset, repr=False)
    _by_suffix: dict[str, list[FileEntry]] | None = field(default=None, repr=False)
    _by_name: dict[str, list[FileEntry]] | None = field(default=None, repr=False)
    _reported: set[str] = field(default_factory=set, repr=False)
    #: Derived data computed once and shared by signals (e.g. parsed Python files).
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._paths = frozenset(f.path for f in self.files)
        self._reported = {u.path for u in self.unreadable}

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
        root = Path(os.path.realpath(root))
        unreadable: list[Unreadable] = []
        try:
            files = tuple(_walk(root, unreadable, max_files))
        except OSError as exc:
            raise FactoryError(
                f"{root} cannot be listed: {exc.strerror or exc}",
                "check that you may read the folder",
            ) from exc
        git = None
        if with_git and os.path.lexists(root / ".git"):
            from mlops_factory._assess._gitfacts import read_git_facts

            git = read_git_facts(root, unreadable)
        return cls(
            root=root, files=files, unreadable=unreadable, git=git, max_file_bytes=max_file_bytes
        )

    # ------------------------------------------------------------ queries

    def exists(self, rel: str) -> bool:
        """True when ``rel`` (a repo-relative POSIX path) is an indexed file."""
        return rel in self._paths

    def glob(self, *patterns: str) -> list[FileEntry]:
        """Files whose repo-relative path matches any fnmatch pattern (``*`` spans ``/``)."""
        if not patterns:
            return []
        rx = re.compile("|".join(f"(?:{_glob_regex(p)})" for p in patterns))
        fragments = [_literal_fragment(p) for p in patterns]
        pool = self.paths_with(*fragments) if all(fragments) else self.files
        return [f for f in pool if rx.fullmatch(f.path)]

    def match(self, pattern: str, flags: int = 0) -> list[FileEntry]:
        """Files whose whole repo-relative path matches the regex ``pattern``, in index order.

        One regex pass over all paths (newline-joined), so ``.`` never crosses
        paths but a negated class must exclude ``\\n`` (write ``[^/\\n]``). It
        costs tens of milliseconds on 50,000 files: prefer :meth:`paths_with`,
        :meth:`by_name` or :meth:`by_suffix` to narrow first.
        """
        joined, _lower = self._joined()
        rx = re.compile(f"^(?:{pattern})$", re.MULTILINE | flags)
        return [FileEntry(m.group(0)) for m in rx.finditer(joined)]

    def paths_with(self, *needles: str, ignore_case: bool = False) -> list[FileEntry]:
        """Files whose path contains any of ``needles``, in index order (fast substring scan)."""
        joined, lower = self._joined()
        text = lower if ignore_case else joined
        if len(text) != len(joined):  # lower() changed a length: fall back to a plain scan
            wanted = [n.lower() for n in needles]
            return [f for f in self.files if any(n in f.path.lower() for n in wanted)]
        starts: dict[int, int] = {}
        for needle in needles:
            needle = needle.lower() if ignore_case else needle
            if not needle:
                continue
            at = text.find(needle)
            while at >= 0:
                start = text.rfind("\n", 0, at) + 1
                end = text.find("\n", at)
                end = len(text) if end < 0 else end
                starts[start] = end
                at = text.find(needle, end)
        return [FileEntry(joined[s : starts[s]]) for s in sorted(starts)]

    def root_files(self) -> list[FileEntry]:
        """Files at the top of the repo (the walk lists them first)."""
        out: list[FileEntry] = []
        for f in self.files:
            if "/" in f.path:
                break
            out.append(f)
        return out

    def _joined(self) -> tuple[str, str]:
        joined: tuple[str, str] | None = self.cache.get("_snapshot_joined")
        if joined is None:
            text = "\n".join(f.path for f in self.files)
            joined = (text, text.lower())
            self.cache["_snapshot_joined"] = joined
        return joined

    def by_suffix(self, *suffixes: str) -> list[FileEntry]:
        """Files with one of these suffixes (``.py``; compared lower-case), in index order."""
        if self._by_suffix is None:
            index: dict[str, list[FileEntry]] = {}
            for f in self.files:
                index.setdefault(f.suffix, []).append(f)
            self._by_suffix = index
        return self._pick(self._by_suffix, {s.lower() for s in suffixes})

    def by_name(self, *names: str) -> list[FileEntry]:
        """Files with exactly one of these names (case-sensitive), in index order."""
        if self._by_name is None:
            index: dict[str, list[FileEntry]] = {}
            for f in self.files:
                index.setdefault(f.name, []).append(f)
            self._by_name = index
        return self._pick(self._by_name, set(names))

    def _pick(self, index: dict[str, list[FileEntry]], keys: set[str]) -> list[FileEntry]:
        found = [f for k in keys for f in index.get(k, ())]
        if len(keys) > 1:
            order = self._order()
            found.sort(key=lambda f: order[f.path])
        return found

    def _order(self) -> dict[str, int]:
        order: dict[str, int] | None = self.cache.get("_snapshot_order")
        if order is None:
            order = {f.path: i for i, f in enumerate(self.files)}
            self.cache["_snapshot_order"] = order
        return order

    def under(self, folder: str) -> list[FileEntry]:
        """Files anywhere below ``folder`` (repo-relative)."""
        prefix = folder.strip("/") + "/"
        return [f for f in self.files if f.path.startswith(prefix)]

    # ------------------------------------------------------------ reading

    def read_text(self, rel: str, *, max_bytes: int | None = None) -> str | None:
        """The file's text, or None when it is not indexed, binary, too large or unreadable.

        Reads at most ``max_bytes`` (default: the snapshot's ``max_file_bytes``);
        results (including refusals) are cached, so each file is read at most
        once per assessment. Refusals of indexed files are recorded in
        :attr:`unreadable`.
        """
        if rel in self._text:
            return self._text[rel]
        if rel not in self._paths:
            return None  # never a path outside the index (no "..", no .git)
        data = self._read_bytes(rel, max_bytes or self.max_file_bytes)
        text = None if data is None else _decode(data)
        if data is not None and text is None:
            self.record_unreadable(rel, "binary file")
        self._text[rel] = text
        return text

    def _read_bytes(self, rel: str, cap: int) -> bytes | None:
        try:
            return read_in(self.root, rel, cap=cap)
        except Refused as exc:
            self.record_unreadable(rel, exc.reason)
            return None

    def record_unreadable(self, rel: str, reason: str) -> None:
        """Record that ``rel`` could not be read or parsed (once per path)."""
        if rel not in self._reported:
            self._reported.add(rel)
            self.unreadable.append(Unreadable(rel, reason))

    def iter_text(self, entries: Iterable[FileEntry]) -> Iterator[tuple[FileEntry, str]]:
        """Yield (entry, text) for each readable entry."""
        for entry in entries:
            text = self.read_text(entry.path)
            if text is not None:
                yield entry, text

    def yaml(self, rel: str) -> list[Any] | None:
        """The YAML documents of ``rel`` as plain data, or None when unreadable or invalid.

        Parsed once (cached). Unknown tags (``!Ref``, ``!reference``) load as plain
        values, never as objects. An invalid file is recorded in :attr:`unreadable`
        as ``invalid YAML: ...``.
        """
        parsed: dict[str, list[Any] | None] = self.cache.setdefault("_snapshot_yaml", {})
        if rel in parsed:
            return parsed[rel]
        text = self.read_text(rel)
        docs: list[Any] | None = None
        if text is not None:
            try:
                docs = [d for d in parse(text, multi=True, loader=_yaml_loader()) if d is not None]
            except YamlProblem as exc:
                where = f" (line {exc.line})" if exc.line else ""
                self.record_unreadable(rel, f"invalid YAML: {exc.problem}{where}")
        parsed[rel] = docs
        return docs


def _literal_fragment(pattern: str) -> str:
    """The longest run of plain characters in an fnmatch pattern ("" when too short)."""
    plain = re.sub(r"\[!?\]?[^\]]*\]", "*", pattern)
    best = max(re.split(r"[*?\[]", plain), key=len)
    return best if len(best) >= 3 else ""


def _glob_regex(pattern: str) -> str:
    """An fnmatch pattern as a regex that never crosses a newline."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append("[^\\n]*")
        elif ch == "?":
            out.append("[^\\n]")
        elif ch == "[":
            j = i + 1 if pattern[i : i + 1] == "!" else i
            j = j + 1 if pattern[j : j + 1] == "]" else j
            end = pattern.find("]", j)
            if end < 0:
                out.append("\\[")
                continue
            body = pattern[i:end]
            i = end + 1
            negate = body.startswith("!")
            body = re.sub(r"([\\^\]])", r"\\\1", body[1:] if negate else body)
            body = body.replace("\\-", "-")  # keep ranges (a-z) working
            out.append(f"[^\\n{body}]" if negate else f"[{body}]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _decode(data: bytes) -> str | None:
    """Text from bytes whatever the encoding; None for binary data."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return data.decode("utf-32", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:_BINARY_PROBE]:
        return None
    return data.decode("utf-8", errors="replace")


_LOADER: Any = None


def _yaml_loader() -> Any:
    """A safe loader (libyaml when present) that reads unknown tags as plain data."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base = safe_loader()

        class _Loader(base):  # type: ignore[valid-type,misc]
            pass

        def plain(loader: Any, _suffix: str, node: Any) -> Any:
            if isinstance(node, yaml.MappingNode):
                return loader.construct_mapping(node)
            if isinstance(node, yaml.SequenceNode):
                return loader.construct_sequence(node)
            return loader.construct_scalar(node)

        _Loader.add_multi_constructor("", plain)
        _LOADER = _Loader
    return _LOADER


_by_name = operator.attrgetter("name")


def _walk(root: Path, unreadable: list[Unreadable], max_files: int) -> Iterator[FileEntry]:
    """Iterative walk (no recursion limit); symlinked folders are never entered.

    Only regular files and symlinks to regular files inside the repo are indexed.
    """
    count = 0
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=_by_name)
        except OSError as exc:
            if not prefix:
                raise
            unreadable.append(Unreadable(prefix, f"cannot list folder: {exc.strerror}"))
            continue
        if prefix and any(e.name in _ENV_MARKERS for e in entries):
            continue  # a virtual or conda environment, whatever the folder is called
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            rel = prefix + name
            if "\n" in rel or "\r" in rel:
                unreadable.append(Unreadable(repr(rel)[1:-1], "file name contains a line break"))
                continue
            try:
                # Cheapest test first: most entries are regular files (d_type, no stat).
                if entry.is_file(follow_symlinks=False):
                    pass
                elif entry.is_dir(follow_symlinks=False):
                    if name in SKIP_DIRS or rel in SKIP_PATHS or name.endswith(".egg-info"):
                        continue
                    subdirs.append((entry.path, rel + "/"))
                    continue
                elif entry.is_symlink():
                    reason = _symlink_refusal(entry.path, root)
                    if reason:
                        unreadable.append(Unreadable(rel, reason))
                        continue
                else:
                    continue  # FIFOs, sockets, devices: never indexed, never opened
            except OSError as exc:
                unreadable.append(Unreadable(rel, f"cannot be inspected: {exc.strerror}"))
                continue
            count += 1
            yield FileEntry(rel, name, _suffix(name))
            if count >= max_files:
                unreadable.append(
                    Unreadable(".", f"file limit reached ({max_files:,}); the rest was not indexed")
                )
                return
        stack.extend(reversed(subdirs))


def _symlink_refusal(path: str, root: Path) -> str | None:
    """Why a symlink is not indexed, or None when it is a file link inside the repo."""
    target = os.path.realpath(path)
    if not inside(target, root):
        return "symlink points outside the repository"
    try:
        st = os.stat(path)
    except OSError:
        return "broken or looping symlink"
    if stat.S_ISDIR(st.st_mode):
        return "symlinked folder not followed"
    if not stat.S_ISREG(st.st_mode):
        return "symlink to a special file"
    return None
