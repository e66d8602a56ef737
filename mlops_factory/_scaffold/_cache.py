"""Component versions as local git repositories, so copier records ``_commit`` and
``_src_path`` and ``copier update`` can later diff one version against another.

Layout under the cache folder (``$MLOPS_FACTORY_CACHE``, else
``$XDG_CACHE_HOME/mlops-factory``, else ``~/.cache/mlops-factory``)::

    catalog/<catalog-key>/.lock              one lock per catalog: concurrent runs wait
    catalog/<catalog-key>/<component>/       a git repo, one commit + tag v<version> per version
        .git/mlops-factory-versions.json     version -> content digest and commit

Each version's commit holds the component's template folder plus the catalog's
shared ``questions.yml`` at the root. A warm run only hashes the template
files and reads the small index; git runs only when a version is new or its
content changed without a version bump (then the tag moves to a new commit).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_factory._errors import FactoryError
from mlops_factory._io import atomic_write
from mlops_factory._scaffold._catalog import QUESTIONS_FILE, Catalog, Component

CACHE_ENV = "MLOPS_FACTORY_CACHE"
_INDEX = "mlops-factory-versions.json"
_SKIP_NAMES = frozenset({".git", "__pycache__", ".DS_Store"})
_SKIP_SUFFIXES = (".pyc", ".pyo")
_IDENTITY = ("mlops-factory", "mlops-factory@localhost")
# Keep line endings as the template has them, whatever the user's platform.
_CONFIG = ("core.autocrlf=false",)


@dataclass(frozen=True, slots=True)
class Materialised:
    """One component version available as a git repository."""

    component: str
    version: str
    #: The local repository copier copies from (recorded as ``_src_path``).
    repo: Path
    #: The full commit id of this version (copier checks it out; tag ``v<version>``).
    commit: str

    @property
    def tag(self) -> str:
        """The tag of this version (recorded as ``_commit``)."""
        return f"v{self.version}"


def cache_dir() -> Path:
    """The mlops-factory cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        # Absolute: copier records this path as ``_src_path`` in every answers file.
        return Path(override).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "mlops-factory"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "mlops-factory" / "cache"
    return Path.home() / ".cache" / "mlops-factory"


def catalog_cache(catalog: Catalog, root: Path | None = None) -> Path:
    """Where ``catalog``'s component repositories live: named after the catalog's identity
    (``builtin``, or its declared name), so every clone of a catalog, on any machine,
    records the same catalog in ``_src_path``."""
    return (root or cache_dir()) / "catalog" / catalog.key


def materialise(
    catalog: Catalog, components: Sequence[Component], *, root: Path | None = None
) -> dict[str, Materialised]:
    """Make sure each component's catalog version exists as a tagged commit; return them."""
    where = catalog_cache(catalog, root)
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FactoryError(
            f"cannot create the template cache {where}: {exc.strerror or exc}",
            hint=f"set {CACHE_ENV} to a writable folder",
        ) from None
    shared = catalog.questions_file
    out: dict[str, Materialised] = {}
    with locked(where / ".lock"):
        for component in components:
            digest = content_digest(component.path, shared)
            repo = where / component.name
            index = _read_index(repo)
            entry = index.get(component.version)
            if entry is not None and entry.get("digest") == digest and entry.get("commit"):
                commit = str(entry["commit"])
            else:
                commit = _commit_version(repo, component, shared)
                index[component.version] = {"digest": digest, "commit": commit}
                _write_index(repo, index)
            out[component.name] = Materialised(component.name, component.version, repo, commit)
    return out


def find_version(
    catalog: Catalog, component: str, version: str, *, root: Path | None = None
) -> Materialised | None:
    """An earlier version of ``component``: from the cache, else recovered from the
    catalog's git history (the last commit whose ``catalog.yaml`` gives the component
    that version) and added to the cache; None when neither has it.
    """
    repo = catalog_cache(catalog, root) / component
    found = _cached(repo, component, version)
    if found is not None:
        return found
    from mlops_factory._scaffold._versions import recovered

    with recovered(catalog, component, version) as old:
        if old is None:
            return None
        template, shared = old
        where = catalog_cache(catalog, root)
        where.mkdir(parents=True, exist_ok=True)
        with locked(where / ".lock"):
            found = _cached(repo, component, version)
            if found is not None:
                return found
            index = _read_index(repo)
            commit = _commit_version(repo, template, shared)
            index[version] = {"digest": content_digest(template.path, shared), "commit": commit}
            _write_index(repo, index)
    return Materialised(component, version, repo, commit)


def _cached(repo: Path, component: str, version: str) -> Materialised | None:
    entry = _read_index(repo).get(version)
    if entry is None or not entry.get("commit") or not (repo / ".git").is_dir():
        return None
    return Materialised(component, version, repo, str(entry["commit"]))


def content_digest(folder: Path, shared: Path | None) -> str:
    """A digest of a template folder (paths, executable bits, bytes, link targets)."""
    h = hashlib.sha256()
    for rel, path in _template_files(folder):
        h.update(rel.encode() + b"\0")
        if path.is_symlink():
            h.update(b"L" + os.readlink(path).encode())
        else:
            h.update(b"X" if path.stat().st_mode & 0o111 else b"F")
            h.update(path.read_bytes())
        h.update(b"\0")
    if shared is not None:
        h.update(QUESTIONS_FILE.encode() + b"\0F" + shared.read_bytes())
    return h.hexdigest()


def _template_files(folder: Path) -> Iterator[tuple[str, Path]]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_NAMES)
        base = Path(dirpath)
        for name in sorted(filenames):
            if name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES):
                continue
            path = base / name
            if not path.is_symlink() and not path.is_file():
                continue  # a FIFO or a device: never read (it could block), never copied
            yield path.relative_to(folder).as_posix(), path
        # os.walk lists symlinked folders as folders; keep them as links.
        for name in [d for d in dirnames if (base / d).is_symlink()]:
            dirnames.remove(name)
            path = base / name
            yield path.relative_to(folder).as_posix(), path


def _read_index(repo: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((repo / ".git" / _INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_index(repo: Path, index: dict[str, dict[str, str]]) -> None:
    atomic_write(repo / ".git" / _INDEX, json.dumps(index, indent=1, sort_keys=True))


def _commit_version(repo: Path, component: Component, shared: Path | None) -> str:
    """Commit this version's content (worktree replaced) and point tag v<version> at it."""
    if not (repo / ".git" / "HEAD").is_file():
        repo.mkdir(parents=True, exist_ok=True)
        _git(repo, "init", "-q")
        # Stored bytes must equal the template files: no EOL or filter rewriting.
        info = repo / ".git" / "info"
        info.mkdir(exist_ok=True)
        (info / "attributes").write_text("* -text -filter -ident\n", encoding="utf-8")
    for entry in repo.iterdir():
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for rel, path in _template_files(component.path):
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            os.symlink(os.readlink(path), target)
        else:
            shutil.copy2(path, target)
    if shared is not None:
        shutil.copy2(shared, repo / QUESTIONS_FILE)
    # -f: a template's own .gitignore (for the generated project) must not hide its files.
    _git(repo, "add", "-A", "-f")
    _git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", _message(component))
    _git(repo, "tag", "-f", component.tag)
    return _git(repo, "rev-parse", "HEAD").strip()


def _message(component: Component) -> str:
    return f"{component.name} {component.version}\n\n{component.title}\n"


def _git(repo: Path, *args: str) -> str:
    from mlops_factory._git import GitRefused, run_git

    try:
        done = run_git(repo, *args, identity=_IDENTITY, config=_CONFIG, timeout=300)
    except GitRefused as exc:
        raise FactoryError(
            f"git {' '.join(args)} in the template cache {repo}: {exc.reason}",
            hint=exc.hint or f"delete {repo} to rebuild it, or set {CACHE_ENV} to another folder",
        ) from None
    if not done.ok:
        raise FactoryError(
            f"git {' '.join(args)} failed in the template cache {repo}: {done.error}",
            hint=f"delete {repo} to rebuild it, or set {CACHE_ENV} to another folder",
        )
    return done.text


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive inter-process lock held while the block runs (released if we die)."""
    with open(path, "a+b") as fh:
        if sys.platform == "win32":
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
