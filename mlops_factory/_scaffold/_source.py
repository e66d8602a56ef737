"""Where a catalog comes from: a folder, a git repository, or the user's default.

A catalog given as a git URL (``https://``, ``ssh://``, ``file://``, ``git@host:org/repo``)
or a shorthand (``gh:org/repo``, ``gl:org/repo``) is cloned, with its full history (old
component versions are recovered from it), into ``<cache>/sources/<hash of the URL>``
and checked out at the requested reference. Every git call goes through the one git
runner: no hooks, no prompts, bounded time.

The default catalog (when ``--catalog`` is not given) is ``$MLOPS_FACTORY_CATALOG``
(with ``$MLOPS_FACTORY_CATALOG_REF``), else the ``catalog`` (and ``vcs_ref``) of the user
config file :func:`config_file`, else the built-in catalog.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

from mlops_factory._errors import FactoryError

CATALOG_ENV = "MLOPS_FACTORY_CATALOG"
CATALOG_REF_ENV = "MLOPS_FACTORY_CATALOG_REF"
CONFIG_ENV = "MLOPS_FACTORY_CONFIG"
_SHORTHANDS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
_URL = re.compile(r"^(?:https?|ssh|git|file)://", re.I)
_SCP = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)")
#: Transports a catalog may be cloned over (git's default for ``protocol.allow`` is
#: ``never`` in the one git runner); ssh runs without prompts.
_CLONE_CONFIG = (
    "protocol.https.allow=always",
    "protocol.http.allow=always",
    "protocol.ssh.allow=always",
    "protocol.git.allow=always",
    "protocol.file.allow=always",
    "core.sshCommand=ssh -o BatchMode=yes",
    "core.autocrlf=false",
)
_CLONE_TIMEOUT_S = 300.0


def is_remote(spec: str) -> bool:
    """Whether ``spec`` names a git repository rather than a folder."""
    return bool(_URL.match(spec) or _SCP.match(spec)) or spec.startswith(tuple(_SHORTHANDS))


def expand(spec: str) -> str:
    """``gh:org/repo`` -> ``https://github.com/org/repo.git``; other specs unchanged."""
    for short, prefix in _SHORTHANDS.items():
        if spec.startswith(short):
            rest = spec[len(short) :].strip("/")
            return prefix + (rest if rest.endswith(".git") else f"{rest}.git")
    return spec


def config_file() -> Path:
    """The user config file: ``$MLOPS_FACTORY_CONFIG``, else
    ``$XDG_CONFIG_HOME/mlops-factory/config.yaml`` (``~/.config/...`` when unset;
    ``%APPDATA%\\mlops-factory\\config.yaml`` on Windows)."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "mlops-factory" / "config.yaml"
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "mlops-factory" / "config.yaml"
    return Path.home() / ".config" / "mlops-factory" / "config.yaml"


@cache
def _config_schema() -> Any:
    from pydantic import BaseModel

    from mlops_factory._schema import strict_config

    class UserConfig(BaseModel):
        model_config = strict_config()
        #: The default catalog: a folder, a git URL or ``gh:org/repo``.
        catalog: str | None = None
        #: The git reference of the default catalog.
        vcs_ref: str | None = None

    return UserConfig


def default_catalog() -> tuple[str, str | None] | None:
    """The default catalog and reference, or None for the built-in catalog."""
    env = os.environ.get(CATALOG_ENV, "").strip()
    if env:
        return env, os.environ.get(CATALOG_REF_ENV) or None
    file = config_file()
    if not file.is_file():
        return None
    from mlops_factory._schema import validate
    from mlops_factory._yamlsafe import load_file

    hint = f"the config file holds `catalog: gh:org/repo` and optionally `vcs_ref: v2` ({file})"
    data = load_file(file, kind="config file", hint=hint) or {}
    config = validate(_config_schema(), data, source=str(file), hint=hint)
    if not config.catalog:
        return None
    catalog = config.catalog
    if not is_remote(catalog):
        # A relative folder in the config file is relative to the file.
        catalog = str((file.parent / Path(catalog).expanduser()).resolve())
    return catalog, config.vcs_ref


def sources_dir() -> Path:
    """Where cloned catalogs live in the template cache."""
    from mlops_factory._scaffold._cache import cache_dir

    return cache_dir() / "sources"


def checkout(spec: str, vcs_ref: str | None) -> Path:
    """Clone (or fetch) the catalog repository ``spec`` into the cache and check out
    ``vcs_ref`` (default: the remote's default branch); return the work tree.

    Raises :class:`FactoryError` saying why (unreachable, unknown reference) with the
    command to try.
    """
    url = expand(spec)
    if not is_remote(spec):
        url = str(Path(spec).expanduser().resolve())  # a local repository at a reference
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    base = sources_dir()
    tree = base / digest
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FactoryError(
            f"cannot create the template cache {base}: {exc.strerror or exc}",
            hint="set MLOPS_FACTORY_CACHE to a writable folder",
        ) from None
    from mlops_factory._scaffold._cache import locked

    with locked(base / f"{digest}.lock"):
        if (tree / ".git" / "HEAD").is_file():
            _git(spec, tree, "fetch", "--quiet", "--tags", "--force", "--prune", "origin")
        else:
            shutil.rmtree(tree, ignore_errors=True)
            _git(spec, None, "clone", "--quiet", "--no-checkout", "--", url, str(tree), at=base)
        target = "origin/HEAD"
        if vcs_ref:
            target = _resolve_ref(spec, tree, vcs_ref)
        _git(spec, tree, "checkout", "--quiet", "--force", "--detach", target)
        _git(spec, tree, "clean", "-q", "-d", "-f", "-x")
    return tree


def _resolve_ref(spec: str, tree: Path, ref: str) -> str:
    from mlops_factory._git import run_git

    for candidate in (f"origin/{ref}", f"refs/tags/{ref}", ref):
        done = run_git(tree, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}")
        if done.ok:
            return done.text.strip()
    raise FactoryError(
        f"catalog {spec}: no branch, tag or commit {ref!r}",
        hint=f"list its tags with `git ls-remote --tags {expand(spec)}`",
    )


def _git(spec: str, tree: Path | None, *args: str, at: Path | None = None) -> None:
    from mlops_factory._git import GitRefused, run_git

    hint = (
        f"check the address and your access (`git ls-remote {expand(spec)}`), or pass "
        "--catalog DIR of a local clone"
    )
    try:
        done = run_git(tree, *args, config=_CLONE_CONFIG, timeout=_CLONE_TIMEOUT_S, outside=at)
    except GitRefused as exc:
        raise FactoryError(f"catalog {spec}: {exc.reason}", hint=exc.hint or hint) from None
    if not done.ok:
        raise FactoryError(f"catalog {spec}: git {args[0]} failed: {done.error}", hint=hint)
