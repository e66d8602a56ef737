"""Generate a project from the catalog: answers -> components -> copier -> git -> DEST.

Everything is rendered into a temporary folder next to DEST (same file
system) and committed there. A new DEST is then created by one rename; into an
existing DEST (empty, or not with ``force``) the top-level entries are renamed
in one by one and renamed entries are removed again if that is interrupted.
Any error or Ctrl-C removes the temporary folder and leaves DEST as it was.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import shlex
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from mlops_factory._errors import FactoryError
from mlops_factory._interrupt import terminate_as_interrupt
from mlops_factory._io import atomic_write
from mlops_factory._scaffold._answers import (
    Prompter,
    QuestionaryPrompter,
    load_data_file,
    merge_given,
    resolve_answers,
)
from mlops_factory._scaffold._cache import materialise
from mlops_factory._scaffold._catalog import Catalog, Component, load_catalog
from mlops_factory._scaffold._project import (
    CATALOG_RECORD,
    answers_file,
    catalog_record,
    check_trust,
    render_into,
    rmtree,
)

_MAX_LISTED = 10


@dataclass(frozen=True, slots=True)
class AppliedComponent:
    """A component rendered into the project, at the catalog version used."""

    name: str
    version: str
    #: The version tag recorded as ``_commit`` in the answers file.
    tag: str
    #: The answers file, relative to the project root.
    answers_file: str


@dataclass(frozen=True, slots=True)
class NewProjectResult:
    """What :func:`new_project` made."""

    dest: Path
    pattern: str
    components: tuple[AppliedComponent, ...]
    #: Every answer passed to the templates (including ``components``).
    answers: Mapping[str, Any]
    #: The initial commit id, or None when git was skipped.
    commit: str | None
    #: Command lines to run next, ``cd DEST`` first.
    next_steps: tuple[str, ...]
    #: Remarks for the user (e.g. why no commit was made).
    notes: tuple[str, ...] = field(default=())

    @property
    def next_steps_text(self) -> str:
        """The next steps as one shell snippet."""
        return "\n".join(self.next_steps)


def new_project(
    dest: str | os.PathLike[str],
    *,
    pattern: str | None = None,
    data: Mapping[str, Any] | None = None,
    data_file: str | os.PathLike[str] | None = None,
    defaults: bool = False,
    force: bool = False,
    trust: bool = False,
    git: bool = True,
    catalog: Catalog | str | os.PathLike[str] | None = None,
    interactive: bool | None = None,
) -> NewProjectResult:
    """Generate a new project in ``dest`` from a catalog pattern.

    Args:
        dest: The project folder. Must not exist or be empty, unless ``force``.
        pattern: The architecture pattern (same as the answer ``pattern``).
        data: Typed answers (see ``parse_data_items`` for ``key=value`` text).
        data_file: A YAML file of answers; ``data`` wins over it.
        defaults: Accept the suggested value of every unanswered question.
        force: Allow a non-empty ``dest``: generated files are added beside the
            existing ones; a generated file whose path exists with different
            content (or as a folder or link) refuses the whole run before
            anything is written. Identical files are left as they are.
        trust: Allow tasks, migrations and Jinja extensions of a catalog that is
            not the built-in one (copier ``unsafe``).
        git: ``git init`` and commit the generated files (skipped when ``dest``
            already holds a ``.git``).
        catalog: A loaded catalog or a catalog folder; default the built-in one.
        interactive: Ask unanswered questions on the terminal; default: when
            stdin and stdout are terminals.

    Raises:
        FactoryError: bad answers, a non-empty ``dest``, an untrusted catalog
            that runs commands, a template that fails to render.
    """
    loaded = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    target = Path(os.path.abspath(Path(dest).expanduser()))
    _check_dest(target, force)
    given = merge_given(
        loaded,
        data_file=load_data_file(data_file) if data_file is not None else None,
        data=data,
        pattern=pattern,
    )
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    prompter: Prompter | None = QuestionaryPrompter() if interactive else None
    answers = resolve_answers(
        loaded, dest=target, given=given, defaults=defaults, prompter=prompter
    )
    components = loaded.resolve(answers["pattern"], answers)
    check_trust(loaded, components, trust)
    versions = materialise(loaded, components)
    render_data = {**answers, "components": [c.name for c in components]}
    unsafe = loaded.builtin or trust
    commit_wanted = git and not os.path.lexists(target / ".git")

    with _Staging(target) as stage:
        render_into(loaded, components, versions, stage.project, render_data, unsafe)
        # Where the components come from, so update and check-update can say it later.
        atomic_write(
            stage.project / CATALOG_RECORD,
            catalog_record(loaded, {c.name: c.version for c in components}),
        )
        commit = None
        if commit_wanted:
            commit = _git_commit(stage.project, _commit_message(answers, components))
        stage.place(force)

    notes: list[str] = []
    if git and not commit_wanted:
        notes.append(f"{target} already is a git repository: the generated files are not committed")
    chosen = loaded.patterns[answers["pattern"]]
    return NewProjectResult(
        dest=target,
        pattern=chosen.name,
        components=tuple(
            AppliedComponent(c.name, c.version, versions[c.name].tag, answers_file(c.name))
            for c in components
        ),
        answers=render_data,
        commit=commit,
        next_steps=(f"cd {shlex.quote(_display(target))}", *chosen.next_steps),
        notes=tuple(notes),
    )


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _check_dest(target: Path, force: bool) -> None:
    if not os.path.lexists(target):
        return
    if target.is_symlink() or not target.is_dir():
        raise FactoryError(f"{target} exists and is not a folder", hint="choose another DEST")
    if force:
        return
    try:
        empty = next(os.scandir(target), None) is None
    except OSError as exc:
        raise FactoryError(f"cannot read {target}: {exc.strerror or exc}") from None
    if not empty:
        raise FactoryError(
            f"{target} is not empty",
            hint="choose a new or empty folder, or pass --force to add the generated files "
            "beside the existing ones (a file that would change is refused)",
        )


def _commit_message(answers: Mapping[str, Any], components: tuple[Component, ...]) -> str:
    listed = "\n".join(f"- {c.name} {c.version}" for c in components)
    return (
        f"Initial commit: {answers['project_name']} from the {answers['pattern']} pattern\n\n"
        f"Generated by mlops-factory with these components:\n{listed}\n"
    )


def _git_commit(project: Path, message: str) -> str:
    """git init (branch main) and commit everything not ignored, through the one git
    runner: hooks and filters never run. Authored as the user (see ``user_identity``)."""
    from mlops_factory._git import GitRefused, run_git, user_identity

    who = user_identity()
    try:
        for args in (
            ("init", "-q", "-b", "main"),
            ("add", "-A"),
            ("commit", "-q", "--no-verify", "-m", message),
            ("rev-parse", "HEAD"),
        ):
            # init may apply the user's own template folder; hooks never run.
            done = run_git(project, *args, identity=who, timeout=300, user_config=args[0] == "init")
            if not done.ok:
                raise FactoryError(
                    f"git {args[0]} failed in {project}: {done.error}",
                    hint="pass --no-git to skip the first commit",
                )
    except GitRefused as exc:
        raise FactoryError(
            exc.reason, hint=exc.hint or "pass --no-git to skip the first commit"
        ) from None
    return done.text.strip()


#: In a staging folder: the process id of the run that owns it.
_OWNER_FILE = ".owner-pid"
#: A staging folder without an owner file this old is a leftover.
_STALE_S = 3600.0


class _Staging:
    """The temporary folder next to DEST, removed on exit whatever happens: an error,
    Ctrl-C or SIGTERM (turned into an interrupt while it exists). Copier's temporary
    clones are made inside it, so they go with it. A run killed outright (SIGKILL)
    leaves it behind; the next run for the same DEST removes it."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.created_parents: list[Path] = []
        self.root = dest.parent
        self.project = dest
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> _Staging:
        self._stack.enter_context(terminate_as_interrupt())
        try:
            return self._enter()
        except BaseException:
            self._stack.close()
            raise

    def _enter(self) -> _Staging:
        _remove_leftovers(self.dest)
        missing: list[Path] = []
        parent = self.dest.parent
        while not os.path.lexists(parent):
            missing.append(parent)
            parent = parent.parent
        try:
            for folder in reversed(missing):
                folder.mkdir()
                self.created_parents.append(folder)
            self.root = Path(
                tempfile.mkdtemp(prefix=f".{self.dest.name}.mlops-factory-", dir=self.dest.parent)
            )
            self.project = self.root / self.dest.name
            self.project.mkdir()  # a normal mkdir: permissions follow the umask
            (self.root / _OWNER_FILE).write_text(f"{os.getpid()}\n", encoding="ascii")
            temp = self.root / ".tmp"
            temp.mkdir()
            self._stack.enter_context(_tempdir(temp))
        except OSError as exc:
            self._cleanup(failed=True)
            raise FactoryError(
                f"cannot create {self.dest}: {exc.strerror or exc}",
                hint="check that the parent folder exists and is writable",
            ) from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._stack.close()
        finally:
            self._cleanup(failed=exc_type is not None)

    def _cleanup(self, failed: bool) -> None:
        if self.root != self.dest.parent:
            rmtree(self.root)
        if failed:
            for folder in reversed(self.created_parents):
                try:
                    folder.rmdir()
                except OSError:
                    break

    def place(self, force: bool) -> None:
        """Move the finished project into DEST."""
        if not os.path.lexists(self.dest):
            try:
                os.rename(self.project, self.dest)
            except OSError as exc:
                raise FactoryError(f"cannot create {self.dest}: {exc.strerror or exc}") from None
            return
        # An existing DEST keeps its identity (permissions, a shell sitting in it for `new .`):
        # its new entries are moved in rather than the folder replaced.
        if not force and next(os.scandir(self.dest), None) is not None:
            raise FactoryError(f"{self.dest} is not empty any more", hint="try again")
        _merge(self.project, self.dest)


@contextlib.contextmanager
def _tempdir(folder: Path) -> Iterator[None]:
    """Make ``folder`` the process's temporary folder for the block (copier clones the
    template repositories there)."""
    previous = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = previous


def _remove_leftovers(dest: Path) -> None:
    """Remove staging folders of earlier runs for ``dest`` whose process is gone."""
    import time

    prefix = f".{dest.name}.mlops-factory-"
    try:
        entries = [e for e in os.scandir(dest.parent) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        owner = Path(entry.path) / _OWNER_FILE
        try:
            pid = int(owner.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            try:
                age = time.time() - entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            if age > _STALE_S:
                rmtree(Path(entry.path))
            continue
        if pid != os.getpid() and not _alive(pid):
            rmtree(Path(entry.path))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _merge(source: Path, dest: Path) -> None:
    """Move ``source``'s entries into the existing ``dest``: refuse everything if one would
    change an existing path, keep identical files, undo the moves if interrupted."""
    conflicts: list[str] = []
    _find_conflicts(source, dest, "", conflicts)
    if conflicts:
        more = f" and {len(conflicts) - _MAX_LISTED} more" if len(conflicts) > _MAX_LISTED else ""
        raise FactoryError(
            f"--force never overwrites: {len(conflicts)} generated path(s) exist in {dest} "
            f"with other content: {', '.join(sorted(conflicts)[:_MAX_LISTED])}{more}",
            hint="move those files away, or generate into a new folder",
        )
    moved: list[Path] = []
    try:
        _move_entries(source, dest, moved)
    except BaseException:
        for path in reversed(moved):
            if path.is_dir() and not path.is_symlink():
                rmtree(path)
            else:
                path.unlink(missing_ok=True)
        raise


def _find_conflicts(source: Path, dest: Path, prefix: str, out: list[str]) -> None:
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        here, there, rel = Path(entry.path), dest / entry.name, prefix + entry.name
        if not os.path.lexists(there):
            continue
        if entry.is_dir(follow_symlinks=False):
            if there.is_symlink() or not there.is_dir():
                out.append(rel + "/")
            else:
                _find_conflicts(here, there, rel + "/", out)
        elif not _same_file(here, there):
            out.append(rel)


def _move_entries(source: Path, dest: Path, moved: list[Path]) -> None:
    """Rename each entry missing in ``dest`` as a whole; descend into folders both have."""
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        there = dest / entry.name
        if not os.path.lexists(there):
            os.rename(entry.path, there)
            moved.append(there)
        elif entry.is_dir(follow_symlinks=False):
            _move_entries(Path(entry.path), there, moved)
        # otherwise an identical file: the existing one stays


def _same_file(here: Path, there: Path) -> bool:
    if here.is_symlink() or there.is_symlink():
        return here.is_symlink() and there.is_symlink() and os.readlink(here) == os.readlink(there)
    if not there.is_file() or not here.is_file():
        return False
    return filecmp.cmp(here, there, shallow=False)
