"""Tell scaffolding from integration: files ``add``/``fix`` wrote that nothing uses yet.

``mlops-factory add`` and ``fix`` record, in each component's answers file
(``.mlops-factory/<component>.yml``, or ``.mlops-factory/bindings/<component>.yml`` for a
component bound to the repository's code), the files they created and a hash of each
(:data:`FILES_KEY`: path -> sha256 of the UTF-8 text). A file is **scaffolded, not
integrated** when

* it is recorded there,
* its text still hashes to what was recorded (nobody edited it since), and
* no other code of the repository imports it, calls it or runs it: no Python file
  outside the scaffolded set imports its module, and no Makefile, CI file, script,
  container or tool configuration outside the set names its path or module; and
* when it is itself such a runner (a CI workflow, a Makefile), it runs none of the
  repository's own code: it names no Python file or module outside the set, nor runs
  pytest over tests outside the set, nor ``make`` with a Makefile outside it. A CI
  workflow ``fix`` bound to the repository's own tests and training is integrated; one
  that only runs other scaffolding is not.

Such files are weak evidence: they show that a tool wrote something, not that the team
does it. Pure functions of the snapshot; nothing is imported or run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

from mlops_factory._assess._pyindex import PyFile, python_index
from mlops_factory._assess.snapshot import RepoSnapshot

#: The answers-file key holding ``{path: sha256}`` of the files a component created.
FILES_KEY = "_mlops_factory_files"
#: Where the per-component answers files live.
ANSWERS_DIR = ".mlops-factory"
#: Files whose text can run or name code: build, CI, container, tool configuration.
_RUNNER_SUFFIXES = frozenset(
    {".yml", ".yaml", ".toml", ".cfg", ".ini", ".sh", ".bash", ".ps1", ".groovy", ".json"}
)
_RUNNER_NAMES = frozenset(
    {"Makefile", "makefile", "GNUmakefile", "Dockerfile", "Jenkinsfile", "Procfile", "justfile"}
)
_CACHE_KEY = "scaffolded_paths"
_TOKEN = re.compile(r"[\w./-]+")
_PYTEST = re.compile(r"(?<![\w-])(?:pytest|py\.test|tox|nox)(?![\w-])")
_MODULE_ARG = re.compile(r"(?:-m\s+|\bimport\s+|\bfrom\s+)([A-Za-z_][\w.]*)")
_MAKE = re.compile(r"(?<![\w-])make\s+[\w-]")


def text_hash(text: str) -> str:
    """The hash recorded for a file: sha256 of its text encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recorded_files(snap: RepoSnapshot) -> dict[str, str]:
    """Every file the answers files say ``add``/``fix`` created -> its recorded hash."""
    out: dict[str, str] = {}
    for entry in snap.under(ANSWERS_DIR):
        if entry.suffix not in (".yml", ".yaml"):
            continue
        for doc in snap.yaml(entry.path) or ():
            files = doc.get(FILES_KEY) if isinstance(doc, Mapping) else None
            if not isinstance(files, Mapping):
                continue
            for path, digest in files.items():
                if isinstance(path, str) and isinstance(digest, str):
                    out[path] = digest
    return out


def scaffolded_paths(snap: RepoSnapshot) -> frozenset[str]:
    """Paths ``add``/``fix`` wrote, unchanged since, that no other code imports, calls or
    runs (see the module doc). Computed once per snapshot."""
    cached = snap.cache.get(_CACHE_KEY)
    if isinstance(cached, frozenset):
        return cached
    unchanged = frozenset(
        path
        for path, digest in recorded_files(snap).items()
        if (text := snap.read_text(path)) is not None and text_hash(text) == digest
    )
    # A file used by an integrated one is integrated too (a CI workflow that runs the
    # repository's tests also integrates the adapter it runs): repeat until stable.
    pending = set(unchanged)
    moved = True
    while moved:
        moved = False
        for path in sorted(pending):
            if _used(snap, path, frozenset(pending)):
                pending.discard(path)
                moved = True
    result = frozenset(pending)
    snap.cache[_CACHE_KEY] = result
    return result


def module_names(path: str) -> tuple[str, ...]:
    """The dotted names a Python file can be imported as (``src/pkg/a.py`` -> ``pkg.a``,
    also ``src.pkg.a``); empty for other files."""
    if not path.endswith(".py"):
        return ()
    parts = path[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return ()
    names = [".".join(parts)]
    if parts[0] == "src" and len(parts) > 1:
        names.append(".".join(parts[1:]))
    return tuple(names)


def _used(snap: RepoSnapshot, path: str, scaffolded: frozenset[str]) -> bool:
    """Whether code outside ``scaffolded`` imports, names or runs ``path``."""
    modules = module_names(path)
    if modules and _imported(snap, path, modules, scaffolded):
        return True
    if _is_runner(path) and _runs_repo_code(snap, path, scaffolded):
        return True
    return _named_by_runner(snap, path, modules, scaffolded)


def _is_runner(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return suffix in _RUNNER_SUFFIXES or name in _RUNNER_NAMES or name.endswith(".mk")


def _runs_repo_code(snap: RepoSnapshot, path: str, scaffolded: frozenset[str]) -> bool:
    """Whether the runner file ``path`` names the repository's own (unscaffolded) code."""
    text = snap.read_text(path)
    if not text:
        return False
    index = python_index(snap)
    own: set[str] = set()
    for p in (*index.sources, *index.tests, *index.notebooks):
        if p not in scaffolded:
            own.add(p)
            own.update(module_names(p))
    # A scaffolded wrapper that imports the repository's code runs it too (an adapter
    # that calls the team's training function).
    for p in scaffolded:
        names = module_names(p)
        pf = index.parse(p) if names else None
        if pf is not None and _imports_own(pf, own):
            own.add(p)
            own.update(names)
    if not own.isdisjoint(_code_names(text)):
        return True
    own_tests = any(p not in scaffolded for p in index.tests)
    if own_tests and _PYTEST.search(text) is not None:
        return True
    # ``make test`` runs the team's own Makefile.
    makefiles = [m for m in ("Makefile", "makefile", "GNUmakefile") if snap.exists(m)]
    return any(m not in scaffolded for m in makefiles) and _MAKE.search(text) is not None


def _code_names(text: str) -> set[str]:
    """What a runner's text names as code: paths and dotted modules anywhere, a bare
    module name only after ``-m``, ``import`` or ``from`` (a bare word such as ``train``
    or ``data`` is too common to mean a file)."""
    names = {t.lstrip("./") for t in _TOKEN.findall(text) if "/" in t or "." in t}
    names.update(_MODULE_ARG.findall(text))
    return names


def _imported(
    snap: RepoSnapshot, path: str, modules: tuple[str, ...], scaffolded: frozenset[str]
) -> bool:
    index = python_index(snap)
    last = modules[0].rsplit(".", 1)[-1]
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    for group in ("source", "test", "notebook"):
        for pf in index.files(group, words=(last,)):
            if pf.path in scaffolded or pf.path == path:
                continue
            if _imports(pf, modules, last, folder):
                return True
    return False


def _imports(pf: PyFile, modules: Iterable[str], last: str, folder: str) -> bool:
    targets = tuple(modules)
    names = (*pf.imports, *pf.aliases.values())
    if any(n == m or n.startswith(m + ".") for n in names for m in targets):
        return True
    same_folder = (pf.path.rsplit("/", 1)[0] if "/" in pf.path else "") == folder
    return same_folder and any(
        n.startswith(".") and n.lstrip(".").split(".")[-1] == last for n in pf.imports
    )


def _imports_own(pf: PyFile, own: set[str]) -> bool:
    names = (*pf.imports, *pf.aliases.values())
    return any(n in own or any(n.startswith(o + ".") for o in own if "/" not in o) for n in names)


def _named_by_runner(
    snap: RepoSnapshot, path: str, modules: tuple[str, ...], scaffolded: frozenset[str]
) -> bool:
    needles = [re.escape(path), *(re.escape(m) for m in modules if "." in m)]
    pattern = r"(?<![\w./-])(?:" + "|".join(needles) + r")(?![\w/-])"
    bare = [re.escape(m) for m in modules if "." not in m]
    if bare:
        pattern += r"|(?:-m\s+|\bimport\s+|\bfrom\s+)(?:" + "|".join(bare) + r")\b"
    rx = re.compile(pattern)
    entries = [
        e
        for e in snap.files
        if (e.suffix in _RUNNER_SUFFIXES or e.name in _RUNNER_NAMES or e.name.endswith(".mk"))
        and e.path not in scaffolded
        and e.path != path
        and not e.path.startswith(ANSWERS_DIR + "/")
    ]
    return any(rx.search(text) for _entry, text in snap.iter_text(entries))
