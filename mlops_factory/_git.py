"""The one way mlops-factory runs git: nothing from a repository runs, nothing hangs.

A repository's ``.git/config`` is untrusted: it can name an fsmonitor program, a hooks
folder, clean/smudge filters, textconv and external diff commands, a gpg program and a
pager, any of which git would run; and an ``include.path`` (or ``includeIf``) pointing at
``/dev/zero`` or a FIFO makes git read forever. So every call here:

* runs in :data:`SAFE_ENV` (no system or user config, no prompts, no pager, no config
  smuggled in through the environment, no inherited ``GIT_DIR``);
* carries :data:`SAFE_CONFIG` plus :func:`driver_overrides` as ``-c`` settings, which
  beat the repository's own config;
* is refused (:class:`GitRefused`) when the repository's config files include other
  files, are not regular files, or are too large: git has no switch to ignore includes;
* runs under a timeout and an output cap, in its own process group, killed whole when
  either is exceeded.

Callers that run git on repositories we created ourselves (the template cache, a new
project) use the same runner with ``identity=True`` for commits.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import stat
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_factory._errors import FactoryError

#: Seconds after which a git call is killed (a hostile repo can make git wait forever).
GIT_TIMEOUT_S = 30.0
#: Most bytes of output read from one git call; more ends the call.
MAX_OUTPUT_BYTES = 64 * 1_048_576
#: Largest git config file we let git read (real ones are a few kilobytes).
MAX_CONFIG_BYTES = 1_048_576
#: ``-c`` overrides given to every git call.
SAFE_CONFIG: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.sshCommand=false",
    "core.askPass=false",
    "diff.external=",
    "log.showSignature=false",
    "gpg.program=false",
    "gpg.openpgp.program=false",
    "gpg.x509.program=false",
    "gpg.ssh.program=false",
    "color.ui=never",
    "submodule.recurse=false",
    "protocol.allow=never",
    "credential.helper=",
    "safe.directory=*",
    "commit.gpgsign=false",
    "tag.gpgsign=false",
)
#: Environment for every git call: no system or user config, no prompts, no
#: pager, no optional index writes, no config smuggled in through the environment.
SAFE_ENV: dict[str, str] = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_COUNT": "0",
    "GIT_CONFIG_PARAMETERS": "",
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_ASKPASS": "false",
    "SSH_ASKPASS": "false",
    "GIT_EXTERNAL_DIFF": "",
    "LC_ALL": "C",
}
#: Variables that would point git at another repository or smuggle in settings.
_DROPPED_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_EXEC_PATH",
    "GIT_TRACE",
    "GIT_TRACE2",
    "GIT_TRACE2_EVENT",
    "GIT_TRACE2_PERF",
)
#: Identity for commits we make ourselves (template cache, first commit of a project).
FALLBACK_IDENTITY = ("mlops-factory", "mlops-factory@localhost")

#: Section headers that declare a driver git may run: ``[filter "x"]``, ``[diff "x"]``.
_DRIVER = re.compile(r'^\s*\[\s*(filter|diff|merge)\s+"((?:[^"\\\n]|\\.)*)"\s*\]', re.M | re.I)
_NEUTRAL: dict[str, tuple[str, ...]] = {
    "filter": ("clean=", "smudge=", "process=", "required=false"),
    "diff": ("textconv=", "command=", "cachetextconv=false"),
    "merge": ("driver=",),
}
#: ``[include]``, ``[includeIf "..."]`` (any spelling, anywhere: a section header may
#: follow another on the same line): git would read another file.
_INCLUDE = re.compile(r"\[\s*include", re.I)
#: Files in a git folder that git reads; a FIFO or device there blocks it.
_GIT_FILES = ("HEAD", "config", "config.worktree", "commondir", "packed-refs", "index")


class GitRefused(FactoryError):
    """Git was not run (or was stopped): the repository's git files are unsafe or git
    failed. ``reason`` is a short phrase for reports."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(f"git not run: {reason}", hint)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class GitResult:
    """What one git call printed and how it ended."""

    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def error(self) -> str:
        return self.stderr.decode("utf-8", errors="replace").strip()


def _read_small(path: Path, cap: int) -> bytes:
    """A regular file's bytes (at most ``cap``), never blocking on a FIFO."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise GitRefused(f"{path.name} in the git folder is not a regular file")
    if st.st_size > cap:
        raise GitRefused(f"{path.name} in the git folder is larger than {cap:,} bytes")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise GitRefused(f"{path.name} in the git folder is not a regular file")
        return os.read(fd, cap + 1)[:cap]
    finally:
        os.close(fd)


def find_git_dir(root: Path) -> Path | None:
    """The git folder of the work tree ``root`` (``.git`` or a ``gitdir:`` file's target),
    or None when ``root`` has no ``.git``. Raises :class:`GitRefused` when it is unsafe."""
    dot = root / ".git"
    if not os.path.lexists(dot):
        return None
    try:
        st = os.stat(dot)
        if stat.S_ISDIR(st.st_mode):
            return dot
        if not stat.S_ISREG(st.st_mode):
            raise GitRefused(".git is not a folder or a file")
        pointer = _read_small(dot, 4096).decode("utf-8", errors="replace").strip()
    except OSError as exc:
        raise GitRefused(f"cannot inspect the git folder: {exc.strerror or exc}") from None
    if not pointer.startswith("gitdir:"):
        raise GitRefused(".git is a file without a gitdir: line")
    return (root / pointer.removeprefix("gitdir:").strip()).resolve()


def _discover(root: Path) -> tuple[Path, Path | None]:
    """The work tree holding ``root`` and its git folder, found the way git would (so
    that the folder git is about to read is vetted first)."""
    here = Path(os.path.abspath(root))
    for top in (here, *here.parents):
        folder = find_git_dir(top)
        if folder is not None:
            return top, folder
    return here, None


def check_git_dir(git_dir: Path) -> tuple[str, ...]:
    """Vet the git folder before git reads it; returns the driver overrides its config
    needs. Raises :class:`GitRefused` when a file git reads is a FIFO, a device or
    huge, or when a config file includes another file (git follows includes without
    bounds and has no switch to stop it)."""
    folders = [git_dir]
    try:
        for name in _GIT_FILES:
            path = git_dir / name
            if os.path.lexists(path) and not stat.S_ISREG(os.stat(path).st_mode):
                raise GitRefused(f"{name} in the git folder is not a regular file")
        if os.path.lexists(git_dir / "commondir"):
            common = _read_small(git_dir / "commondir", 4096).decode("utf-8", "replace").strip()
            common_dir = (git_dir / common).resolve()
            folders.append(common_dir)
            for name in _GIT_FILES:
                path = common_dir / name
                if os.path.lexists(path) and not stat.S_ISREG(os.stat(path).st_mode):
                    raise GitRefused(f"{name} in the common git folder is not a regular file")
        overrides: list[str] = []
        for folder in folders:
            for name in ("config", "config.worktree"):
                path = folder / name
                if not os.path.lexists(path):
                    continue
                text = _read_small(path, MAX_CONFIG_BYTES).decode("utf-8", errors="replace")
                if _INCLUDE.search(text):
                    raise GitRefused(
                        f"the git {name} includes other files (not followed)",
                        hint="git config includes are never read in an untrusted repository",
                    )
                overrides.extend(_drivers(text))
    except OSError as exc:
        raise GitRefused(f"cannot inspect the git folder: {exc.strerror or exc}") from None
    return tuple(dict.fromkeys(overrides))


def _drivers(text: str) -> list[str]:
    out: list[str] = []
    for kind, driver in _DRIVER.findall(text):
        driver = driver.replace('\\"', '"').replace("\\\\", "\\")
        out.extend(f"{kind.lower()}.{driver}.{key}" for key in _NEUTRAL[kind.lower()])
    return out


def driver_overrides(git_dir: str | os.PathLike[str]) -> tuple[str, ...]:
    """``-c`` settings that blank every filter/diff/merge driver the repo config declares.

    The commands we run rarely apply drivers, but ``git status`` or ``git add`` would:
    with these overrides no driver program runs. Unreadable configs give none.
    """
    out: list[str] = []
    for name in ("config", "config.worktree"):
        try:
            text = _read_small(Path(git_dir) / name, MAX_CONFIG_BYTES).decode("utf-8", "replace")
        except (OSError, GitRefused):
            continue
        out.extend(_drivers(text))
    return tuple(dict.fromkeys(out))


def safe_git_args(git_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Arguments to put right after ``git`` so that it runs nothing from the repo."""
    settings = (*SAFE_CONFIG, *(driver_overrides(git_dir) if git_dir else ()))
    return [arg for setting in settings for arg in ("-c", setting)]


def user_identity() -> tuple[str, str]:
    """Who commits in a project we generate: ``GIT_AUTHOR_NAME``/``GIT_AUTHOR_EMAIL``,
    else the user's own global ``user.name``/``user.email`` (their file, trusted; no
    repository's config is read), else a fixed identity."""

    def global_value(key: str) -> str:
        env = safe_env({"GIT_CEILING_DIRECTORIES": os.sep}, user_config=True)
        try:
            done = _bounded(
                ["git", "config", "--global", "--get", key], os.sep, env, 10.0, 65536, None
            )
        except GitRefused:
            return ""
        return done.text.strip() if done.ok else ""

    return (
        os.environ.get("GIT_AUTHOR_NAME") or global_value("user.name") or FALLBACK_IDENTITY[0],
        os.environ.get("GIT_AUTHOR_EMAIL") or global_value("user.email") or FALLBACK_IDENTITY[1],
    )


def safe_env(extra: dict[str, str] | None = None, user_config: bool = False) -> dict[str, str]:
    """The environment of a git call: ours minus repository pointers, plus :data:`SAFE_ENV`
    (with ``user_config``, the user's own global config file stays readable)."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(SAFE_ENV)
    if user_config:
        del env["GIT_CONFIG_GLOBAL"]
        if "GIT_CONFIG_GLOBAL" in os.environ:
            env["GIT_CONFIG_GLOBAL"] = os.environ["GIT_CONFIG_GLOBAL"]
    env.update(extra or {})
    return env


def run_git(
    root: Path | None,
    *args: str,
    git_dir: Path | None = None,
    timeout: float = GIT_TIMEOUT_S,
    max_output: int = MAX_OUTPUT_BYTES,
    input: bytes | None = None,
    identity: tuple[str, str] | None = None,
    config: Sequence[str] = (),
    outside: Path | None = None,
    user_config: bool = False,
) -> GitResult:
    """Run ``git args`` safely in the work tree ``root``, or, when ``root`` is None, in
    the folder ``outside`` that is no repository (``git merge-file`` on temporary
    files): git is kept from looking for a repository above it. ``user_config`` lets
    git read the user's own global config (``git init`` of a project we generate, so
    their ``init.templateDir`` applies); the repository's programs still never run.

    The repository's git folder is vetted first (:func:`check_git_dir`); the call runs
    under ``timeout`` seconds and ``max_output`` bytes of output. Raises
    :class:`GitRefused` when git must not run, is missing, or overran a bound; a git
    that ran and failed is a :class:`GitResult` with a non-zero ``returncode``.
    ``identity`` is the (name, email) commits are made as (see :func:`user_identity`:
    the user's config is never read); ``config`` adds ``-c`` settings of our own.
    """
    cmd = ["git"]
    env_extra: dict[str, str] = {}
    cwd: str | None = None
    if root is not None:
        top, folder = root, git_dir
        if folder is None and args[:1] != ("init",):  # init must not find a parent repo
            top, folder = _discover(root)
        overrides = check_git_dir(folder) if folder is not None else ()
        settings = (*SAFE_CONFIG, *overrides)
        cmd += [a for s in settings for a in ("-c", s)]
        cwd = str(root)
        if folder is not None:
            env_extra = {"GIT_DIR": str(folder), "GIT_WORK_TREE": str(top)}
    else:
        cmd += [a for s in SAFE_CONFIG for a in ("-c", s)]
        if outside is None:
            raise ValueError("run_git needs a work tree or a folder outside any repository")
        cwd = str(outside)
        env_extra = {"GIT_CEILING_DIRECTORIES": os.path.dirname(os.path.abspath(outside))}
    if identity:
        cmd += ["-c", f"user.name={identity[0]}", "-c", f"user.email={identity[1]}"]
    cmd += [a for s in config for a in ("-c", s)]
    cmd += ["--no-optional-locks", *args]
    return _bounded(cmd, cwd, safe_env(env_extra, user_config), timeout, max_output, input)


def _bounded(
    cmd: Sequence[str],
    cwd: str | None,
    env: dict[str, str],
    timeout: float,
    max_output: int,
    data: bytes | None,
) -> GitResult:
    """Run ``cmd`` in its own process group, reading its output under both bounds."""
    try:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise GitRefused("git is not installed", hint="install git") from None
    except OSError as exc:
        raise GitRefused(f"git cannot be started: {exc.strerror or exc}") from None
    chunks: dict[int, list[bytes]] = {}
    total = 0
    deadline = time.monotonic() + timeout
    problem = ""
    try:
        if data is not None and proc.stdin is not None:
            try:
                proc.stdin.write(data)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        assert proc.stdout is not None and proc.stderr is not None
        with selectors.DefaultSelector() as sel:
            for stream in (proc.stdout, proc.stderr):
                sel.register(stream, selectors.EVENT_READ)
                chunks[stream.fileno()] = []
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    problem = f"git took longer than {timeout:g} s"
                    break
                for key, _ in sel.select(left):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        continue
                    chunks[key.fd].append(chunk)
                    total += len(chunk)
                if total > max_output:
                    problem = f"git printed more than {max_output:,} bytes"
                    break
        out, err = (b"".join(chunks.get(s.fileno(), [])) for s in (proc.stdout, proc.stderr))
        if not problem:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                problem = f"git took longer than {timeout:g} s"
    finally:
        if problem or proc.returncode is None:
            _kill_group(proc)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    if problem:
        raise GitRefused(problem)
    return GitResult(proc.returncode if proc.returncode is not None else -1, out, err)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
