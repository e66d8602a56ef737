"""A project's catalog components: what its answers files record, and rendering components.

Shared by ``new`` (render a pattern), ``add`` (render one component for an existing
repo), ``update``/``check-update`` (compare recorded versions with the catalog and
render old and new versions) and the retrospective. Each applied component leaves
``.mlops-factory/<component>.yml`` in the project: copier's ``_src_path`` (the
component's repository in the cache), ``_commit`` (the tag ``v<version>``) and the
answers of that component's questions.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from mlops_factory._errors import FactoryError
from mlops_factory._git import GitRefused, run_git
from mlops_factory._io import atomic_write
from mlops_factory._scaffold._cache import Materialised, find_version, materialise
from mlops_factory._scaffold._catalog import Catalog, Component, requires_order

#: Folder of the per-component copier answers files in a generated project.
ANSWERS_DIR = ".mlops-factory"
_MAX_LISTED = 10
_VERSION_TAG = re.compile(r"^v(\d+\.\d+\.\d+)$")


#: The record of the catalog a project's components come from (``_``: never a component).
CATALOG_RECORD = f"{ANSWERS_DIR}/_catalog.yml"


def answers_file(component: str) -> str:
    """The answers file of ``component`` inside a project (posix, relative)."""
    return f"{ANSWERS_DIR}/{component}.yml"


# --- what a project records -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedComponent:
    """One component as a project's answers file records it."""

    #: The component name (the answers file's stem).
    name: str
    #: The answers file, relative to the project root (posix).
    answers_file: str
    #: The recorded version (``_commit`` ``v1.2.0`` -> ``1.2.0``), or None when
    #: ``_commit`` is missing or not a version tag.
    version: str | None
    #: The raw ``_commit`` value (a tag like ``v1.2.0``), or None.
    commit: str | None
    #: The raw ``_src_path`` value (the component's repository when it was applied), or None.
    src_path: str | None
    #: The recorded answers (keys not starting with ``_``).
    answers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def catalog_key(self) -> str | None:
        """The cache folder name of the catalog it came from (``builtin`` for the built-in
        catalog), read from ``_src_path`` (``.../catalog/<key>/<component>``)."""
        if not self.src_path:
            return None
        parts = PurePosixPath(self.src_path.replace("\\", "/")).parts
        if len(parts) >= 3 and parts[-3] == "catalog":
            return parts[-2]
        return None


def read_recorded(project: str | os.PathLike[str]) -> tuple[RecordedComponent, ...]:
    """The components recorded in ``project``'s ``.mlops-factory/*.yml``, sorted by name.

    A project without the folder records nothing (empty tuple). Raises
    :class:`FactoryError` naming the file when an answers file is not a YAML mapping.
    """
    folder = Path(project) / ANSWERS_DIR
    if not folder.is_dir():
        return ()
    out: list[RecordedComponent] = []
    for file in sorted(folder.glob("*.yml")):
        if file.is_file() and not file.name.startswith("_"):
            out.append(read_answers_file(file))
    return tuple(out)


def read_answers_file(file: Path) -> RecordedComponent:
    """Read one answers file ``.mlops-factory/<component>.yml``."""
    from mlops_factory._yamlsafe import MAX_ANSWERS_BYTES, load_file

    data = load_file(
        file,
        kind="answers file",
        hint="restore it from git (git checkout -- <file>)",
        max_bytes=MAX_ANSWERS_BYTES,
    )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FactoryError(
            f"{file}: the answers file must be a YAML mapping",
            hint="restore it from git (git checkout -- <file>)",
        )
    commit = data.get("_commit")
    src = data.get("_src_path")
    commit_text = str(commit) if commit is not None else None
    return RecordedComponent(
        name=file.stem,
        answers_file=f"{ANSWERS_DIR}/{file.name}",
        version=version_of_tag(commit_text),
        commit=commit_text,
        src_path=str(src) if src is not None else None,
        answers={str(k): v for k, v in data.items() if not str(k).startswith("_")},
    )


@dataclass(frozen=True, slots=True)
class Origin:
    """The catalog a project's components come from, as ``.mlops-factory/_catalog.yml``
    records it."""

    #: The catalog's identity (``builtin`` or its declared name).
    name: str
    #: Where it was loaded from: a git URL, ``gh:org/repo``, a folder, or ``builtin``.
    source: str
    vcs_ref: str | None = None
    #: Component name -> version, as last generated or updated.
    components: Mapping[str, str] = field(default_factory=dict)

    def catalog_args(self) -> str:
        """The ``--catalog`` (and ``--vcs-ref``) arguments that name this catalog again."""
        import shlex

        if self.source == "builtin":
            return ""
        out = f" --catalog {shlex.quote(self.source)}"
        if self.vcs_ref:
            out += f" --vcs-ref {shlex.quote(self.vcs_ref)}"
        return out


def catalog_record(catalog: Catalog, versions: Mapping[str, str]) -> bytes:
    """The content of ``.mlops-factory/_catalog.yml`` for components at ``versions``."""
    import yaml

    data: dict[str, Any] = {"name": catalog.key, "source": catalog.source or str(catalog.path)}
    if catalog.vcs_ref:
        data["vcs_ref"] = catalog.vcs_ref
    data["catalog_version"] = catalog.version
    data["components"] = dict(sorted(versions.items()))
    head = "# Written by mlops-factory: the catalog this project's components come from.\n"
    return (head + yaml.safe_dump(data, sort_keys=False)).encode()


def read_origin(project: str | os.PathLike[str]) -> Origin | None:
    """The recorded catalog of ``project``, or None (no record, or not readable as one)."""
    from mlops_factory._yamlsafe import MAX_ANSWERS_BYTES, load_file

    file = Path(project) / CATALOG_RECORD
    if not file.is_file():
        return None
    try:
        data = load_file(file, kind="catalog record", hint="", max_bytes=MAX_ANSWERS_BYTES)
    except FactoryError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    components = data.get("components")
    ref = data.get("vcs_ref")
    return Origin(
        name=data["name"],
        source=str(data.get("source") or ""),
        vcs_ref=str(ref) if ref else None,
        components={str(k): str(v) for k, v in components.items()}
        if isinstance(components, dict)
        else {},
    )


def version_of_tag(tag: str | None) -> str | None:
    """``v1.2.0`` -> ``1.2.0``; None for anything else."""
    if tag is None:
        return None
    match = _VERSION_TAG.match(tag)
    return match.group(1) if match else None


def version_key(version: str) -> tuple[int, int, int]:
    """A sortable key of a ``MAJOR.MINOR.PATCH`` version."""
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch


# --- rendering components --------------------------------------------------------------


def check_trust(catalog: Catalog, components: Sequence[Component], trust: bool) -> None:
    """Refuse components of a non-built-in catalog that run code, unless ``trust``."""
    if catalog.builtin or trust:
        return
    unsafe = {c.name: catalog.unsafe_features(c) for c in components}
    offenders = [f"{name} ({', '.join(feats)})" for name, feats in unsafe.items() if feats]
    if offenders:
        raise FactoryError(
            f"catalog {catalog.path} is not the built-in one and these components run code "
            f"during generation: {', '.join(offenders)}",
            hint="read their copier.yml; if you trust them, pass --trust",
        )


def resolve_versions(
    catalog: Catalog,
    components: Sequence[Component],
    versions: Mapping[str, str] | None = None,
) -> dict[str, Materialised]:
    """The repository and commit to render each component from.

    By default the catalog's current version (materialised into the cache when needed);
    ``versions`` maps a component name to another version, which must still be in the
    cache (a version materialised earlier). Raises :class:`FactoryError` when it is not.
    """
    wanted = dict(versions or {})
    current = [c for c in components if wanted.get(c.name, c.version) == c.version]
    out = materialise(catalog, current) if current else {}
    for component in components:
        if component.name in out:
            continue
        version = wanted[component.name]
        found = find_version(catalog, component.name, version)
        if found is None:
            raise FactoryError(
                f"component {component.name!r} version {version} is not available: the "
                f"catalog ships {component.version} and the template cache has no copy of "
                f"{version}",
                hint="versions are kept in the template cache and recovered from the "
                "catalog's git history; pass --catalog with a git clone (or URL) of the "
                "catalog that holds its history",
            )
        out[component.name] = found
    return out


def render_into(
    catalog: Catalog,
    components: Sequence[Component],
    versions: Mapping[str, Materialised],
    project: Path,
    data: Mapping[str, Any],
    unsafe: bool,
) -> dict[str, str]:
    """Render ``components`` in order with copier into ``project`` (normally an empty
    folder); return every written file (posix, relative) -> the component that wrote it.

    Each component must write its answers file and must not rewrite a file written by an
    earlier one (one owner per file); both are :class:`FactoryError`.
    """
    import copier

    from mlops_factory._scaffold._answers import normalise_names

    data = normalise_names(data)
    owners: dict[str, str] = {}
    for component in components:
        before = _snapshot(project)
        version = versions[component.name]
        own_answers = answers_file(component.name)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                copier.run_copy(
                    str(version.repo),
                    project,
                    data=dict(data),
                    answers_file=own_answers,
                    vcs_ref=version.commit,
                    settings=copier.Settings(),  # the user's copier defaults/trust do not apply
                    defaults=True,
                    overwrite=True,  # never prompt; overwrites are detected below
                    unsafe=unsafe,
                    quiet=True,
                    cleanup_on_error=False,
                )
        except Exception as exc:
            _render_error(catalog, component, version.version, exc)
        after = _snapshot(project)
        if own_answers not in after:
            raise FactoryError(
                f"catalog {catalog.path}: component {component.name!r} did not write its "
                f"answers file {own_answers}",
                hint="add template/{{ _copier_conf.answers_file }}.jinja containing "
                "{{ _copier_answers|to_nice_yaml -}} so the component can be updated later",
            )
        clobbered = sorted(
            p for p, sig in before.items() if p != own_answers and after.get(p, sig) != sig
        )
        if clobbered:
            listed = ", ".join(
                f"{p} (from {owners.get(p, 'the folder')})" for p in clobbered[:_MAX_LISTED]
            )
            raise FactoryError(
                f"catalog {catalog.path}: component {component.name!r} overwrites files "
                f"written by an earlier component: {listed}",
                hint="each file must have one owning component; render shared files "
                "conditionally in the owner",
            )
        for path in after.keys() - before.keys():
            owners[path] = component.name
    return owners


@dataclass(frozen=True, slots=True)
class Rendering:
    """Components rendered into a temporary folder (removed when the ``with`` block ends)."""

    #: The folder holding the rendered files (as they would be at the project root).
    root: Path
    #: The component versions rendered, in render order.
    versions: tuple[Materialised, ...]
    #: Every rendered file (posix, relative to ``root``) -> the component that wrote it.
    owners: Mapping[str, str]

    def files(self, component: str | None = None) -> tuple[str, ...]:
        """The rendered files (all, or those of one component), sorted."""
        return tuple(sorted(p for p, c in self.owners.items() if component in (None, c)))


@contextlib.contextmanager
def rendered(
    catalog: Catalog,
    components: Sequence[Component],
    data: Mapping[str, Any],
    *,
    versions: Mapping[str, str] | None = None,
    trust: bool = False,
    name: str = "project",
) -> Iterator[Rendering]:
    """Render ``components`` (in the given order) with ``data`` into a fresh temporary
    folder and yield it; the folder is removed afterwards, whatever happens.

    ``data`` is every answer the templates receive; callers include ``components`` (the
    project's component names) and ``pattern`` as :func:`new_project` does. ``versions``
    renders other versions than the catalog's current ones (see :func:`resolve_versions`).
    ``name`` is the rendered folder's name (templates may read it).
    """
    check_trust(catalog, components, trust)
    resolved = resolve_versions(catalog, components, versions)
    parent = Path(tempfile.mkdtemp(prefix="mlops-factory-render-"))
    try:
        root = parent / name
        root.mkdir()
        owners = render_into(
            catalog, components, resolved, root, data, unsafe=catalog.builtin or trust
        )
        yield Rendering(
            root=root,
            versions=tuple(resolved[c.name] for c in components),
            owners=owners,
        )
    finally:
        rmtree(parent)


def _render_error(catalog: Catalog, component: Component, version: str, exc: Exception) -> None:
    from copier.errors import UnsafeTemplateError

    if isinstance(exc, UnsafeTemplateError):
        raise FactoryError(
            f"component {component.name!r} of catalog {catalog.path} needs trust: {exc}",
            hint="pass --trust if you trust this catalog",
        ) from exc
    if isinstance(exc, FactoryError):
        raise exc
    if catalog.builtin:
        raise exc  # a broken built-in template is our bug: let the traceback through
    raise FactoryError(
        f"component {component.name!r} {version} of catalog {catalog.path} "
        f"failed to render: {type(exc).__name__}: {exc}",
        hint="fix the template, or give the answer it needs with --data KEY=VALUE",
    ) from exc


def _snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Path -> (size, mtime, inode) of every file, to see which files a step rewrote."""
    out: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not (dirpath == str(root) and d == ".git")]
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
            out[rel] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def rmtree(path: Path) -> None:
    """Remove a folder tree, including git's read-only object files (Windows)."""

    def on_error(func: Callable[..., Any], target: str, _exc: Any) -> None:
        try:
            os.chmod(target, stat.S_IWRITE)
            func(target)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=on_error)
    else:
        shutil.rmtree(path, onerror=on_error)


def dependency_order(catalog: Catalog, names: Sequence[str]) -> tuple[Component, ...]:
    """The catalog components ``names`` ordered so that each comes after what it requires
    (stable with respect to ``names``; unknown names are dropped)."""
    known = [n for n in dict.fromkeys(names) if n in catalog.components]
    return tuple(catalog.components[n] for n in requires_order(catalog, known))


def merged_answers(recorded: Sequence[RecordedComponent]) -> dict[str, Any]:
    """Every answer the project records, one dict (base's answers win, then by name)."""
    out: dict[str, Any] = {}
    for item in sorted(recorded, key=lambda r: (r.name != "base", r.name), reverse=True):
        out.update(item.answers)
    return out


# --- changes to a project ----------------------------------------------------------------

ChangeKind = Literal["create", "update", "delete", "conflict", "unchanged", "kept"]


@dataclass(frozen=True, slots=True)
class FileChange:
    """What applying or updating a component does to one project file."""

    #: The file, posix, relative to the project root.
    path: str
    #: The component that renders it.
    component: str
    #: ``create`` a missing file; ``update`` it (clean merge); ``delete`` it (the template
    #: dropped it, unchanged locally); ``conflict``: it exists (or was edited) and differs
    #: from what the component renders; ``unchanged``: already as rendered;
    #: ``kept``: a local change wins and nothing is written (see ``note``).
    kind: ChangeKind
    #: The project's content now (None: absent, or not a regular file).
    before: bytes | None
    #: What would be written: the new content, the content with conflict markers for a
    #: conflict (None when the conflict cannot be merged inline: binary, folder, link).
    after: bytes | None
    #: The component's own content for this file (None when it drops the file).
    theirs: bytes | None = None
    #: Make a created file executable.
    executable: bool = False
    note: str = ""

    @property
    def writes(self) -> bool:
        """Whether applying this change (with inline conflicts) touches the file."""
        if self.kind in ("create", "update", "delete"):
            return True
        return self.kind == "conflict" and self.after is not None


def classify_new_files(
    rendering: Rendering, project: Path, label: str | None = None
) -> list[FileChange]:
    """Compare freshly rendered components with a project (two-way: no common ancestor).

    A missing file is created; an identical one is unchanged; any other existing path is a
    conflict, mergeable inline (``after`` with markers) when both sides are text files.
    """
    changes: list[FileChange] = []
    for rel in rendering.files():
        component = rendering.owners[rel]
        source = rendering.root / rel
        theirs = source.read_bytes()
        executable = bool(source.stat().st_mode & 0o111)
        blocked = blocked_path(project, rel)
        if blocked is not None:
            changes.append(
                FileChange(rel, component, "conflict", None, None, theirs, executable, blocked)
            )
            continue
        target = project / rel
        if not os.path.lexists(target):
            changes.append(FileChange(rel, component, "create", None, theirs, theirs, executable))
            continue
        ours = target.read_bytes()
        if ours == theirs:
            changes.append(FileChange(rel, component, "unchanged", ours, ours, theirs))
            continue
        marked = two_way_markers(ours, theirs, label or _label(rendering, component))
        note = "" if marked is not None else "not a text file: cannot be merged inline"
        changes.append(
            FileChange(rel, component, "conflict", ours, marked, theirs, executable, note)
        )
    return changes


def _label(rendering: Rendering, component: str) -> str:
    version = next((v.version for v in rendering.versions if v.component == component), "")
    return f"{component} {version}".strip()


def blocked_path(project: Path, rel: str) -> str | None:
    """Why ``rel`` cannot be written as a regular file in ``project`` (None if it can):
    a folder, link, FIFO or device in its place, or a parent that is a file or a link."""
    parts = PurePosixPath(rel).parts
    current = project
    for i, part in enumerate(parts):
        current = current / part
        last = i == len(parts) - 1
        if not os.path.lexists(current):
            return None
        if current.is_symlink():
            return f"{'it' if last else '/'.join(parts[: i + 1])} is a symbolic link"
        if last:
            if current.is_dir():
                return "a folder is in its place"
            # a FIFO or a device would block the read of "ours" or swallow the write
            return None if current.is_file() else "it is not a regular file"
        if not current.is_dir():
            return f"{'/'.join(parts[: i + 1])} is a file, not a folder"
    return None


def _text(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def two_way_markers(ours: bytes, theirs: bytes, label: str) -> bytes | None:
    """``ours`` with git-style conflict blocks where ``theirs`` differs (None for binary).

    Differing regions separated by fewer than three equal lines form one block, so a file
    that differs throughout gives one block rather than many small ones.
    """
    import difflib

    a_text, b_text = _text(ours), _text(theirs)
    if a_text is None or b_text is None:
        return None
    a, b = a_text.splitlines(keepends=True), b_text.splitlines(keepends=True)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    blocks: list[list[int]] = []  # [i1, i2, j1, j2] of merged differing regions
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        if blocks and i1 - blocks[-1][1] < 3:
            blocks[-1][1], blocks[-1][3] = i2, j2
        else:
            blocks.append([i1, i2, j1, j2])
    out: list[str] = []
    pos = 0
    for i1, i2, j1, j2 in blocks:
        out.extend(a[pos:i1])
        out.append("<<<<<<< yours\n")
        out.extend(_closed(a[i1:i2]))
        out.append("=======\n")
        out.extend(_closed(b[j1:j2]))
        out.append(f">>>>>>> {label}\n")
        pos = i2
    out.extend(a[pos:])
    return "".join(out).encode("utf-8")


def _closed(lines: list[str]) -> list[str]:
    """Lines whose last one ends with a newline (so a marker starts its own line)."""
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def three_way_merge(
    ours: bytes, base: bytes, theirs: bytes, *, labels: tuple[str, str, str]
) -> tuple[bytes, bool] | None:
    """Merge ``base`` -> ``theirs`` into ``ours`` with ``git merge-file``.

    Returns (merged content, clean) where conflicts carry git-style markers labelled
    ``labels`` (ours, base, theirs), or None for binary content.
    """
    if any(_text(x) is None for x in (ours, base, theirs)):
        return None
    folder = Path(tempfile.mkdtemp(prefix="mlops-factory-merge-"))
    try:
        files = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            (folder / name).write_bytes(data)
            files.append(str(folder / name))
        args = ["merge-file", "-p", "-L", labels[0], "-L", labels[1], "-L", labels[2], *files]
        done = run_git(None, *args, outside=folder)
    except GitRefused as exc:
        raise FactoryError(
            f"git merge-file failed: {exc.reason}", hint=exc.hint or "install git"
        ) from None
    finally:
        rmtree(folder)
    if done.returncode < 0 or done.returncode > 127:
        raise FactoryError(f"git merge-file failed: {done.error}")
    return done.stdout, done.returncode == 0


def unified_diff(changes: Sequence[FileChange], *, inline: bool = True) -> str:
    """One unified diff of every change (conflicts: with markers if ``inline``, else against
    the component's content), headed ``a/PATH``/``b/PATH`` like git."""
    import difflib

    chunks: list[str] = []
    for change in changes:
        if change.kind in ("unchanged", "kept"):
            continue
        after = change.after
        if change.kind == "conflict" and (not inline or after is None):
            after = change.theirs
        before_text = _text(change.before or b"")
        after_text = _text(after or b"")
        old_name = f"a/{change.path}" if change.before is not None else "/dev/null"
        new_name = f"b/{change.path}" if after is not None else "/dev/null"
        header = f"# {change.path}: {change.kind} ({change.component})"
        if change.note:
            header += f": {change.note}"
        if before_text is None or after_text is None:
            chunks.append(f"{header}\nBinary files {old_name} and {new_name} differ\n")
            continue
        lines = difflib.unified_diff(
            before_text.splitlines(keepends=True),
            after_text.splitlines(keepends=True),
            old_name,
            new_name,
        )
        body = "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
            for line in lines
        )
        chunks.append(f"{header}\n{body}")
    return "".join(chunks)


def write_changes(project: Path, changes: Sequence[FileChange], *, inline: bool) -> tuple[str, ...]:
    """Write ``changes`` into ``project``; return the paths written or deleted.

    Each file is replaced atomically (temporary file in the same folder, then rename).
    Conflicts are written only with ``inline`` (and when mergeable). If anything fails,
    the files already written are restored and created files and folders removed.
    """
    todo = [c for c in changes if c.writes and (c.kind != "conflict" or inline)]
    changed = [c.path for c in todo if _current(project / c.path) != c.before]
    if changed:
        raise FactoryError(
            f"{len(changed)} file(s) changed since the changes were computed: "
            f"{', '.join(changed[:_MAX_LISTED])}",
            hint="nothing was written; run the command again",
        )
    done: list[tuple[Path, bytes | None, int | None]] = []  # target, old bytes, old mode
    made_dirs: list[Path] = []
    try:
        for change in todo:
            target = project / change.path
            old = target.read_bytes() if target.is_file() and not target.is_symlink() else None
            old_mode = target.stat().st_mode if old is not None else None
            if change.kind == "delete":
                if old is not None:
                    done.append((target, old, old_mode))
                    target.unlink()
                continue
            assert change.after is not None
            _mkdirs(target.parent, project, made_dirs)
            mode = old_mode if old_mode is not None else (0o777 if change.executable else 0o666)
            done.append((target, old, old_mode))
            atomic_write(target, change.after, mode=mode, keep_umask=old_mode is None)
    except BaseException:
        for target, old, old_mode in reversed(done):
            if old is None:
                target.unlink(missing_ok=True)
            else:
                atomic_write(target, old, mode=old_mode or 0o666, keep_umask=False)
        for folder in reversed(made_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return tuple(c.path for c in todo)


def _current(target: Path) -> bytes | None:
    if target.is_symlink() or not target.is_file():
        return None
    return target.read_bytes()


def _mkdirs(folder: Path, project: Path, made: list[Path]) -> None:
    missing: list[Path] = []
    while not folder.exists() and folder != project:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)
