"""Bind catalog components to the code an existing repository already has.

Before ``add`` or ``fix`` writes anything into a repository that has its own code, they
read what is there (:func:`scan_repository`): the layout (package, scripts, notebooks),
the training entry point and the command that runs it, how the tests run, the serving
app, the model artifact, the dependency file and manager, the Python version and the
licence. Each finding is a :class:`Binding` that says where it was read from and
whether it is certain. ``--data KEY=VALUE`` overrides the bindings in
:data:`OVERRIDABLE`.

Components that have a binding template (``templates/bindings/<component>/``, listed in
``templates/bindings/bindings.yaml``) are then rendered from those bindings instead of
the generated-project template: the CI runs the repository's own install, test and
training commands; the tracking adapter imports and calls the repository's training
function, registers the model it wrote and promotes it (champion/challenger); the API
test imports the repository's Flask or FastAPI app and calls its prediction route. The
team's choices (licence, package name, Python version, dependency manager) are read,
never changed: :func:`choice_conflicts` lists what a component would change.

The repository is read through :class:`RepoSnapshot` and the shared Python index: bounded
reads, nothing imported or run.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from mlops_factory._errors import FactoryError

if TYPE_CHECKING:
    from mlops_factory._assess._pyindex import PyFile, PyIndex
    from mlops_factory._assess.snapshot import RepoSnapshot

Layout = Literal["package", "scripts", "notebooks", "empty"]

#: Bindings ``--data KEY=VALUE`` may set (the rest are the team's choices, read only).
OVERRIDABLE: tuple[str, ...] = (
    "train_entry",
    "train_function",
    "train_command",
    "test_command",
    "install_command",
    "serving_app",
    "serving_route",
    "serving_example",
    "model_artifact",
)
#: Suffixes of saved models (pickle, joblib, ONNX, PyTorch, Keras, XGBoost, CatBoost).
MODEL_SUFFIXES: tuple[str, ...] = (
    ".pkl",
    ".pickle",
    ".joblib",
    ".onnx",
    ".pt",
    ".pth",
    ".h5",
    ".keras",
    ".ubj",
    ".cbm",
    ".skops",
)
#: Calls that fit a model (last part of the callee).
_FIT = frozenset({"fit", "fit_generator", "train", "partial_fit"})
#: Calls that save a model: resolved names, or the last part of the callee.
_SAVE_NAMES = frozenset(
    {"pickle.dump", "joblib.dump", "cloudpickle.dump", "torch.save", "skops.io.dump"}
)
_SAVE_LAST = frozenset({"save_model", "log_model", "dump_model"})
#: ``app = Flask(__name__)`` / ``app = FastAPI()``.
_APP = re.compile(r"^(\w+)\s*(?::\s*[\w.]+\s*)?=\s*(?:[\w.]+\.)?(Flask|FastAPI)\(", re.M)
_MAKE_TEST = re.compile(r"^test\s*:", re.M)
_PYTHON_RE = re.compile(r"(\d+)\.(\d+)")
_MAIN_GUARD = re.compile(r"""^if\s+__name__\s*==\s*["']__main__["']\s*:""", re.M)
#: A route decorator: ``@app.route("/p", methods=["POST"])``, ``@app.post("/p")``.
_ROUTE = (
    r"""^@{app}\.(route|post)\(\s*["']([^"']+)["']([^)]*)\)\s*\n"""
    r"""(?:@.*\n)*(?:async\s+)?def\s+(\w+)"""
)
#: What a prediction route is called, or calls.
_PREDICTS = re.compile(r"predict|score|scoring|infer", re.I)
#: The JSON fields a Flask view reads: ``request.json["x"]``, ``request.get_json().get("x")``.
_FLASK_FIELD = re.compile(
    r"""request\.(?:json|get_json\([^)]*\))\s*(?:\[\s*["'](\w+)["']|\.get\(\s*["'](\w+)["'])"""
)
#: ``body = request.get_json()``: the variable the view reads the body into.
_FLASK_BODY = re.compile(r"^\s*(\w+)\s*=\s*request\.(?:json|get_json\([^)]*\))\s*$", re.M)
#: ``os.environ.get("MODEL_PATH", ...)`` / ``os.getenv("MODEL_PATH")`` / ``os.environ["X"]``.
_ENV_READ = re.compile(
    r"""os\.(?:environ\.get\(|getenv\(|environ\[)\s*["'](\w*MODEL\w*)["']""", re.I
)
#: A pydantic field's annotation -> an example value.
_EXAMPLE_VALUES: Mapping[str, Any] = {"float": 0.0, "int": 0, "str": "", "bool": False}

#: Licence fingerprints (SPDX id, phrases that must all appear), most specific first.
_LICENCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", ("GNU AFFERO GENERAL PUBLIC LICENSE", "Version 3")),
    ("LGPL-3.0", ("GNU LESSER GENERAL PUBLIC LICENSE", "Version 3")),
    ("LGPL-2.1", ("GNU LESSER GENERAL PUBLIC LICENSE", "Version 2.1")),
    ("GPL-3.0", ("GNU GENERAL PUBLIC LICENSE", "Version 3")),
    ("GPL-2.0", ("GNU GENERAL PUBLIC LICENSE", "Version 2")),
    ("Apache-2.0", ("Apache License", "Version 2.0")),
    ("MPL-2.0", ("Mozilla Public License Version 2.0",)),
    ("MIT", ("Permission is hereby granted, free of charge",)),
    (
        "BSD-3-Clause",
        ("Redistribution and use in source and binary forms", "Neither the name"),
    ),
    ("BSD-2-Clause", ("Redistribution and use in source and binary forms",)),
    ("Unlicense", ("This is free and unencumbered software released into the public domain",)),
)
#: Trove classifiers (PEP 301) -> SPDX id.
_CLASSIFIERS: tuple[tuple[str, str], ...] = (
    ("GNU Affero General Public License v3", "AGPL-3.0"),
    ("GNU Lesser General Public License v3", "LGPL-3.0"),
    ("GNU General Public License v3", "GPL-3.0"),
    ("GNU General Public License v2", "GPL-2.0"),
    ("Apache Software License", "Apache-2.0"),
    ("MIT License", "MIT"),
    ("BSD License", "BSD-3-Clause"),
    ("Mozilla Public License 2.0", "MPL-2.0"),
    ("Other/Proprietary License", "Proprietary"),
)
_LICENCE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING", "COPYING.txt")


@dataclass(frozen=True, slots=True)
class Binding:
    """One thing the repository already has, and where it was read from."""

    key: str
    value: str
    #: Where it was inferred from: ``train.py:14``, ``pyproject.toml``, ``--data``.
    source: str
    #: Why this value: ``fits a model and saves it with pickle.dump``.
    how: str = ""
    #: False when it is a best guess that a person should confirm.
    certain: bool = True

    def describe(self) -> str:
        """``value (source: how)`` for plans and previews."""
        where = f"{self.source}: {self.how}" if self.how else self.source
        return f"{self.value} ({where}{'' if self.certain else '; to confirm'})"


@dataclass(frozen=True, slots=True)
class RepoBindings:
    """What a repository already has (see the module doc)."""

    layout: Layout
    items: tuple[Binding, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def existing(self) -> bool:
        """True when the repository has code of its own to bind to."""
        return self.layout != "empty"

    def get(self, key: str) -> Binding | None:
        """The binding ``key``, or None when the repository does not say."""
        return next((b for b in self.items if b.key == key), None)

    def value(self, key: str, default: str = "") -> str:
        """The value of ``key`` (``default`` when unknown)."""
        found = self.get(key)
        return found.value if found is not None else default

    def certain(self, *keys: str) -> bool:
        """True when every one of ``keys`` is bound with certainty."""
        return all((b := self.get(k)) is not None and b.certain for k in keys)

    def with_binding(self, binding: Binding) -> RepoBindings:
        """A copy where ``binding`` replaces the one with its key."""
        kept = tuple(b for b in self.items if b.key != binding.key)
        return replace(self, items=(*kept, binding))

    def render_data(self) -> dict[str, str]:
        """Every binding value, by key (for the binding templates)."""
        return {b.key: b.value for b in self.items}


# --- scanning -----------------------------------------------------------------------------


def scan_repository(project: str | Path, snapshot: RepoSnapshot | None = None) -> RepoBindings:
    """Read what ``project`` already has (see the module doc). Nothing is imported or run."""
    from mlops_factory._assess._pyindex import python_index
    from mlops_factory._assess._scaffolded import recorded_files
    from mlops_factory._assess.snapshot import RepoSnapshot

    snap = snapshot or RepoSnapshot.open(project, with_git=False)
    index = python_index(snap)
    # What add/fix wrote earlier (an adapter, a workflow) is not the team's code.
    ours = frozenset(recorded_files(snap))
    items: list[Binding] = []
    notes: list[str] = []
    pyproject = _toml(snap, "pyproject.toml")
    meta = pyproject.get("project") if isinstance(pyproject.get("project"), dict) else {}
    assert isinstance(meta, dict)

    package = _package(snap, meta)
    if package is not None:
        items.append(package)
    own_sources = [p for p in (*index.sources, *index.tests) if p not in ours]
    layout: Layout = (
        "package"
        if package is not None
        else "scripts"
        if own_sources
        else "notebooks"
        if index.notebooks
        else "empty"
    )
    items.extend(_dependencies(snap, pyproject))
    python = _python(snap, meta)
    if python is not None:
        items.append(python)
    licence = _licence(snap, meta, notes)
    if licence is not None:
        items.append(licence)
    installs = _installs_project(RepoBindings(layout, tuple(items)))
    items.extend(_training(snap, index, package.value if package else None, ours, installs))
    test = _tests(snap, index, pyproject, ours)
    if test is not None:
        items.append(test)
    own_tests = [p for p in index.tests if p not in ours and p.startswith(("tests/", "test/"))]
    if own_tests:
        folder = own_tests[0].split("/", 1)[0]
        items.append(Binding("tests_folder", folder, f"{folder}/", "where its tests are"))
    items.extend(_serving(index, ours))
    return RepoBindings(layout, tuple(items), tuple(notes))


def apply_overrides(bindings: RepoBindings, given: Mapping[str, Any]) -> RepoBindings:
    """``bindings`` with the :data:`OVERRIDABLE` keys of ``given`` (``--data``) applied."""
    out = bindings
    for key in OVERRIDABLE:
        if key in given and given[key] is not None:
            value = str(given[key]).strip()
            if not value:
                raise FactoryError(f"--data {key}= is empty", hint=f"give --data {key}=<value>")
            out = out.with_binding(Binding(key, value, "--data", "given"))
    if "train_entry" in given and "train_function" not in given:
        entry = str(given["train_entry"])
        if ":" in entry:  # ``train.py:main``
            path, _, function = entry.partition(":")
            out = out.with_binding(Binding("train_entry", path, "--data", "given"))
            out = out.with_binding(Binding("train_function", function, "--data", "given"))
    return out


def split_binding_data(data: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``--data`` into catalog answers and binding overrides."""
    answers: dict[str, Any] = {}
    overrides: dict[str, Any] = {}
    for key, value in (data or {}).items():
        (overrides if key in OVERRIDABLE else answers)[key] = value
    return answers, overrides


def _toml(snap: RepoSnapshot, rel: str) -> dict[str, Any]:
    text = snap.read_text(rel)
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        snap.record_unreadable(rel, "invalid TOML")
        return {}


def _package(snap: RepoSnapshot, meta: Mapping[str, Any]) -> Binding | None:
    """The import package: the only package under ``src/``, else a top-level package named
    after the project (``[project] name``)."""
    found = sorted(
        {
            e.path.split("/")[1]
            for e in snap.by_name("__init__.py")
            if e.path.count("/") == 2 and e.path.startswith("src/")
        }
    )
    found = [p for p in found if p.isidentifier()]
    if len(found) == 1:
        return Binding("package_name", found[0], f"src/{found[0]}/", "the package in src/")
    name = meta.get("name")
    if isinstance(name, str) and name:
        guess = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        if guess and snap.exists(f"{guess}/__init__.py"):
            return Binding("package_name", guess, f"{guess}/__init__.py", "named after [project]")
    return None


def _dependencies(snap: RepoSnapshot, pyproject: Mapping[str, Any]) -> list[Binding]:
    tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), dict) else {}
    assert isinstance(tool, dict)

    def found(manager: str, file: str, install: str, prefix: str, how: str) -> list[Binding]:
        return [
            Binding("dependency_manager", manager, file, how),
            Binding("dependency_file", file, file, how),
            Binding("install_command", install, file, f"installs with {manager}"),
            Binding("run_prefix", prefix, file, f"runs commands in the {manager} environment"),
        ]

    if snap.exists("poetry.lock") or "poetry" in tool:
        return found("poetry", "pyproject.toml", "poetry install", "poetry run ", "[tool.poetry]")
    if snap.exists("uv.lock"):
        return found("uv", "pyproject.toml", "uv sync", "uv run ", "uv.lock")
    if snap.exists("pdm.lock") or "pdm" in tool:
        return found("pdm", "pyproject.toml", "pdm install", "pdm run ", "[tool.pdm]")
    if snap.exists("Pipfile"):
        return found("pipenv", "Pipfile", "pipenv install --dev", "pipenv run ", "Pipfile")
    for name in ("environment.yml", "environment.yaml"):
        if snap.exists(name):
            return found(
                "conda",
                name,
                f"$CONDA/bin/conda env update --name base --file {name}",
                "$CONDA/bin/conda run --name base ",
                "a conda environment file",
            )
    requirements = [
        e.path
        for e in snap.root_files()
        if re.fullmatch(r"requirements([-_.]?\w+)*\.txt", e.name) and "lock" not in e.name
    ]
    if "requirements.txt" in requirements:
        extra = [r for r in requirements if r != "requirements.txt" and ("dev" in r or "test" in r)]
        install = " ".join(
            f"-r {r}" for r in ("requirements.txt", *sorted(extra))
        )  # the team's files, in their own order of importance
        return found("pip", "requirements.txt", f"python -m pip install {install}", "", "pip")
    project = pyproject.get("project")
    if isinstance(project, dict):
        optional = project.get("optional-dependencies")
        extras = [
            k for k in ("dev", "test", "tests") if isinstance(optional, dict) and k in optional
        ]
        target = f".[{extras[0]}]" if extras else "."
        return found(
            "pip", "pyproject.toml", f'python -m pip install -e "{target}"', "", "[project]"
        )
    return []


def _python(snap: RepoSnapshot, meta: Mapping[str, Any]) -> Binding | None:
    for rel, how in ((".python-version", "pinned"), ("runtime.txt", "the runtime file")):
        text = snap.read_text(rel)
        match = _PYTHON_RE.search(text or "")
        if match:
            return Binding("python_version", f"{match.group(1)}.{match.group(2)}", rel, how)
    requires = meta.get("requires-python")
    if isinstance(requires, str):
        match = _PYTHON_RE.search(requires)
        if match:
            value = f"{match.group(1)}.{match.group(2)}"
            return Binding(
                "python_version", value, "pyproject.toml", f"requires-python {requires.strip()}"
            )
    return None


def identify_licence(text: str) -> str | None:
    """The SPDX id of a licence text, from phrases each licence is known by (or None)."""
    flat = " ".join(text.split())
    for spdx, phrases in _LICENCES:
        if all(p in flat for p in phrases):
            return spdx
    return None


def _licence(snap: RepoSnapshot, meta: Mapping[str, Any], notes: list[str]) -> Binding | None:
    from_file: Binding | None = None
    for rel in _LICENCE_FILES:
        text = snap.read_text(rel)
        if text is None:
            continue
        spdx = identify_licence(text)
        if spdx is not None:
            from_file = Binding("license", spdx, rel, "the licence text")
        else:
            from_file = Binding("license", "unrecognised", rel, "a licence we do not recognise")
        break
    from_meta: Binding | None = None
    declared = meta.get("license")
    if isinstance(declared, dict):
        declared = declared.get("text")
    if isinstance(declared, str) and declared.strip():
        text = declared.strip()
        if len(text) > 40:  # a licence text rather than an SPDX expression
            spdx = identify_licence(text) or "unrecognised"
        else:  # GPL-3.0-only, GPL-3.0-or-later: the same licence family for keeping it
            spdx = re.sub(r"(-only|-or-later|\+)$", "", text)
        from_meta = Binding("license", spdx, "pyproject.toml", "[project] license")
    else:
        for classifier in meta.get("classifiers") or ():
            if isinstance(classifier, str) and classifier.startswith("License ::"):
                spdx = next((s for k, s in _CLASSIFIERS if k in classifier), None)
                if spdx is not None:
                    from_meta = Binding("license", spdx, "pyproject.toml", classifier)
                    break
    if from_file is not None and from_meta is not None and from_file.value != from_meta.value:
        notes.append(
            f"the licence in {from_file.source} ({from_file.value}) and in pyproject.toml "
            f"({from_meta.value}) differ: {from_file.source} is kept"
        )
    return from_file or from_meta


def _training(
    snap: RepoSnapshot,
    index: PyIndex,
    package: str | None,
    ours: frozenset[str],
    installs: bool,
) -> list[Binding]:
    """The training entry: a file that fits a model and saves it, its function and command."""
    words = (*_FIT, "dump", "save", "save_model", "log_model")
    best: tuple[int, PyFile, int, str] | None = None  # score, file, line, how
    ties = 0
    for group in ("source", "notebook"):
        for pf in index.files(group, words=words):
            if pf.test or pf.path in ours:
                continue
            fits = [c for c in pf.calls if c.last in _FIT]
            saves = [c for c in pf.calls if c.name in _SAVE_NAMES or c.last in _SAVE_LAST]
            if not fits:
                continue
            score = (2 if saves else 0) + (1 if group == "source" else 0)
            how = f"fits a model ({fits[0].name})" + (
                f" and saves it ({saves[0].name})" if saves else ""
            )
            if best is None or score > best[0]:
                best, ties = (score, pf, fits[0].line, how), 1
            elif score == best[0]:
                ties += 1
    if best is None:
        return []
    _score, pf, line, how = best
    if ties > 1:  # several files train a model: the first is a guess to confirm
        how += f"; the first of {ties} files that do"
    sure = ties == 1
    out = [Binding("train_entry", pf.path, f"{pf.path}:{line}", how, certain=sure)]
    artifact = _artifact(pf)
    if artifact is not None:
        out.append(artifact)
        converter = _onnx_converter(pf, artifact)
        if converter is not None:
            out.append(converter)
            # The same scikit-learn model is what the registry adapter logs (MLflow's
            # sklearn flavour) after loading the file the training wrote.
            out.append(replace(converter, key="model_flavor", value="sklearn"))
    if pf.notebook:
        out.append(
            Binding(
                "train_command",
                "jupyter nbconvert --to notebook --execute "
                f"{shlex.quote(pf.path)} --output-dir build",
                pf.path,
                "runs the notebook top to bottom",
                certain=False,
            )
        )
        return out
    function = _entry_function(pf)
    text = snap.read_text(pf.path) or ""
    has_main = _MAIN_GUARD.search(text) is not None
    command = run_command(pf.path, package, installs)
    fit_scope = next((c.scope for c in pf.calls if c.last in _FIT), "")
    if function is not None:
        out.append(
            Binding(
                "train_function",
                function,
                f"{pf.path}:{_def_line(pf, function)}",
                "called by the file's __main__ block",
            )
        )
    elif fit_scope and "." not in fit_scope:
        out.append(
            Binding(
                "train_function",
                fit_scope,
                f"{pf.path}:{_def_line(pf, fit_scope)}",
                "the function that fits the model (nothing calls it with no arguments)",
                certain=False,
            )
        )
    runnable = has_main or fit_scope in ("", "__main__")
    out.append(
        Binding(
            "train_command",
            command,
            pf.path,
            "runs its __main__ block" if has_main else "runs the module-level training code",
            certain=runnable and sure,
        )
    )
    return out


def _onnx_converter(pf: PyFile, artifact: Binding) -> Binding | None:
    """skl2onnx, when the training fits a scikit-learn model saved with pickle or joblib
    (the converter the ONNX binding template is written for)."""
    fits = [c for c in pf.calls if c.last in _FIT and c.name.startswith("sklearn.")]
    saved = artifact.value.lower().endswith((".pkl", ".pickle", ".joblib"))
    if not fits or not saved:
        return None
    return Binding(
        "onnx_converter",
        "skl2onnx",
        f"{pf.path}:{fits[0].line}",
        f"a scikit-learn model ({fits[0].name.split('(')[0]}) saved as {artifact.value}",
    )


def _entry_function(pf: PyFile) -> str | None:
    """The top-level function the ``__main__`` block calls with no arguments."""
    defined = {d.name for d in pf.defs if d.kind == "function" and not d.scope}
    for call in pf.calls:
        if call.scope == "__main__" and call.name in defined and not call.args and not call.kwargs:
            return call.name
    return None


def _def_line(pf: PyFile, name: str) -> int:
    return next((d.line for d in pf.defs if d.name == name and not d.scope), 1)


def _module(path: str, package: str | None) -> str | None:
    """``src/pkg/train.py`` -> ``pkg.train`` when it is inside the package (run with -m)."""
    parts = PurePosixPath(path).with_suffix("").parts
    if package is None or package not in parts:
        return None
    dotted = parts[parts.index(package) :]
    return ".".join(dotted) if all(p.isidentifier() for p in dotted) else None


def run_command(path: str, package: str | None, installs: bool) -> str:
    """The command that runs the Python file ``path``: ``python -m pkg.mod`` inside the
    package (with ``src/`` on the path when the install does not install the project),
    else ``python path``."""
    module = _module(path, package)
    if module is None:
        return f"python {shlex.quote(path)}"
    prefix = "PYTHONPATH=src " if path.startswith("src/") and not installs else ""
    return f"{prefix}python -m {module}"


def _installs_project(bindings: RepoBindings) -> bool:
    """Whether the install command installs the project itself (its package importable)."""
    manager = bindings.value("dependency_manager")
    return manager in ("poetry", "uv", "pdm") or " -e " in bindings.value("install_command")


def import_path(path: str, package: str | None) -> str:
    """How a file next to ``path`` imports it: its dotted module in the package, or its
    stem (a script's folder is on ``sys.path`` when the script runs)."""
    return _module(path, package) or PurePosixPath(path).stem


def _artifact(pf: PyFile) -> Binding | None:
    for value, line in pf.strings:
        if isinstance(value, str) and value.lower().endswith(MODEL_SUFFIXES) and "\n" not in value:
            return Binding("model_artifact", value, f"{pf.path}:{line}", "the file it writes")
    return None


def _tests(
    snap: RepoSnapshot, index: PyIndex, pyproject: Mapping[str, Any], ours: frozenset[str]
) -> Binding | None:
    makefile = next((m for m in ("Makefile", "makefile", "GNUmakefile") if snap.exists(m)), None)
    if makefile is not None and _MAKE_TEST.search(snap.read_text(makefile) or ""):
        return Binding("test_command", "make test", makefile, "its test target")
    tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), dict) else {}
    assert isinstance(tool, dict)
    if snap.exists("tox.ini") or "tox" in tool:
        return Binding(
            "test_command", "tox", "tox.ini" if snap.exists("tox.ini") else "pyproject.toml", "tox"
        )
    # The API test add/fix wrote is not the team's test suite.
    tests = [p for p in index.tests if not p.startswith(".mlops-factory/") and p not in ours]
    if isinstance(tool.get("pytest"), dict):
        return Binding("test_command", "python -m pytest", "pyproject.toml", "[tool.pytest]")
    for config in ("pytest.ini", "conftest.py"):
        if snap.exists(config):
            return Binding("test_command", "python -m pytest", config, "pytest configuration")
    if not tests:
        return None
    uses_unittest = all(
        "unittest" in index.words(p) and "pytest" not in index.words(p) for p in tests
    )
    if uses_unittest:
        return Binding("test_command", "python -m unittest discover", tests[0], "unittest tests")
    return Binding("test_command", "python -m pytest", tests[0], "pytest-style tests")


def _serving(index: PyIndex, ours: frozenset[str]) -> list[Binding]:
    for pf in index.files("source", words=("Flask", "FastAPI")):
        if pf.path in ours or not pf.imports_any("flask", "fastapi"):
            continue
        text = "\n".join(pf.lines)
        match = _APP.search(text)
        if match is None:
            continue
        line = text[: match.start()].count("\n") + 1
        framework = match.group(2).lower()
        out = [
            Binding("serving_app", f"{pf.path}:{match.group(1)}", f"{pf.path}:{line}", framework),
            Binding("serving_framework", framework, f"{pf.path}:{line}", f"a {match.group(2)} app"),
        ]
        route = _route(pf.path, text, match.group(1), framework)
        if route is not None:
            out.extend(route)
        env = _ENV_READ.search(text)
        if env is not None:
            where = f"{pf.path}:{text[: env.start()].count(chr(10)) + 1}"
            out.append(Binding("serving_model_env", env.group(1), where, "the app reads it"))
        return out
    return []


def _route(path: str, text: str, app: str, framework: str) -> list[Binding]:
    """The app's prediction route (a POST route named for or calling a prediction) and an
    example request body read from the view (Flask ``request.json`` keys, FastAPI's
    pydantic model fields)."""
    found: list[tuple[str, str, int, str]] = []  # route, function, line, view text
    matches = list(re.finditer(_ROUTE.format(app=re.escape(app)), text, re.M))
    for i, m in enumerate(matches):
        kind, route, rest, function = m.groups()
        if kind == "route" and "POST" not in rest.upper():
            continue
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        view = text[m.end() : end]
        if _PREDICTS.search(route) or _PREDICTS.search(function) or ".predict" in view:
            found.append((route, function, text[: m.start()].count("\n") + 1, view))
    if not found:
        return []
    route, function, line, view = found[0]
    how = f"the POST route {function}() that predicts"
    if len(found) > 1:
        how += f"; the first of {len(found)} such routes"
    out = [Binding("serving_route", route, f"{path}:{line}", how, certain=len(found) == 1)]
    example, where = _example(text, view, framework)
    out.append(
        Binding(
            "serving_example",
            json.dumps(example),
            f"{path}:{line}",
            where or "no request fields found",
            certain=bool(example),
        )
    )
    return out


def _example(text: str, view: str, framework: str) -> tuple[dict[str, Any], str]:
    """An example request body for a view, and where its fields were read from."""
    if framework == "flask":
        keys = [a or b for a, b in _FLASK_FIELD.findall(view)]
        # ``body = request.get_json()`` then ``body["x"]`` / ``body.get("x")``.
        for name in _FLASK_BODY.findall(view):
            keys.extend(
                a or b
                for a, b in re.findall(
                    rf"""\b{name}(?:\[\s*["'](\w+)["']|\.get\(\s*["'](\w+)["'])""", view
                )
            )
        return dict.fromkeys(dict.fromkeys(keys), 0.0), "the request.json fields it reads"
    signature = re.match(r"\s*\(([^)]*)\)", view)
    params = re.findall(r"(\w+)\s*:\s*(\w+)", signature.group(1)) if signature else []
    for _name, annotation in params:
        header = rf"^class\s+{re.escape(annotation)}\(\s*(?:pydantic\.)?BaseModel\s*\):\n"
        body = re.search(header + r"((?:[ \t]+.*\n?|\n)*)", text, re.M)
        if body is None:
            continue
        example: dict[str, Any] = {}
        for field_name, kind in re.findall(r"^[ \t]+(\w+)\s*:\s*([\w\[\]]+)", body.group(1), re.M):
            inner = kind.removeprefix("list[").removeprefix("List[").rstrip("]")
            value = _EXAMPLE_VALUES.get(inner, 0.0)
            example[field_name] = [value] if kind != inner else value
        return example, f"the fields of {annotation}"
    return {}, ""


# --- the team's choices -------------------------------------------------------------------

#: Answer key -> what it is, for conflicts.
_DEPENDENCY_FILES = frozenset(
    {"pyproject.toml", "requirements.txt", "requirements-lock.txt", "setup.py", "setup.cfg"}
)
_CHOICES: tuple[tuple[str, str], ...] = (
    ("license", "licence"),
    ("package_name", "package name"),
    ("python_version", "Python version"),
)


def choice_conflicts(
    bindings: RepoBindings,
    answers: Mapping[str, Any],
    components: Iterable[tuple[str, Sequence[str], Iterable[str]]],
) -> list[str]:
    """What the components would change of the team's choices (none must be changed).

    ``components`` gives each component's name, question keys and rendered files: one
    that renders an answer the repository already decided otherwise (its licence,
    package name, Python version), or writes dependency files for pip when the
    repository uses another manager, would change that choice.
    """
    out: list[str] = []
    manager = bindings.get("dependency_manager")
    for name, keys, files in components:
        for key, what in _CHOICES:
            found = bindings.get(key)
            if key not in keys or found is None or key not in answers:
                continue
            if str(answers[key]) != found.value:
                out.append(
                    f"{name} would set the {what} to {answers[key]!r}; the repository's is "
                    f"{found.value!r} ({found.source})"
                )
        writes = [f for f in files if f in _DEPENDENCY_FILES]
        if manager is not None and manager.value != "pip" and writes:
            out.append(
                f"{name} would write {', '.join(writes)} for pip; the repository manages its "
                f"dependencies with {manager.value} ({manager.source})"
            )
    return out


# --- binding templates --------------------------------------------------------------------

#: Installs the dependency manager itself before the repository's install command.
_SETUP: Mapping[str, str] = {
    "poetry": "python -m pip install poetry",
    "uv": "python -m pip install uv",
    "pdm": "python -m pip install pdm",
    "pipenv": "python -m pip install pipenv",
}
_DEFAULT_SETUP = "python -m pip install --upgrade pip"


@dataclass(frozen=True, slots=True)
class BindingSpec:
    """How one catalog component is applied to a repository with its own code."""

    component: str
    folder: Path
    needs: tuple[str, ...]
    #: Criterion -> the bindings that must be certain to claim it.
    closes: Mapping[str, tuple[str, ...]]
    #: Binding -> the step for people when it is missing or uncertain.
    todo: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Claim:
    """A criterion a bound component closes, and the repository code it rests on."""

    criterion: str
    cites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BoundComponent:
    """A component rendered from the repository's bindings."""

    name: str
    #: Rendered files (posix path -> content).
    files: Mapping[str, bytes]
    claims: tuple[Claim, ...]
    #: Criteria of the spec that are not claimed (a binding is missing or uncertain).
    unclaimed: tuple[str, ...]
    #: What people must do to finish the wiring ("scaffolded: call it from ...").
    todo: tuple[str, ...]
    #: The bindings it used (key -> binding), recorded in its answers file.
    used: tuple[Binding, ...]
    #: Per unclaimed criterion, the steps that would let it be claimed.
    todo_for: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def load_binding_specs(folder: Path | None = None) -> dict[str, BindingSpec]:
    """The binding specs of ``templates/bindings/bindings.yaml`` (validated)."""
    from pydantic import BaseModel

    from mlops_factory._resources import templates_dir
    from mlops_factory._schema import strict_config, validate
    from mlops_factory._yamlsafe import load_file

    class _Entry(BaseModel):
        model_config = strict_config()
        needs: list[str]
        closes: dict[str, list[str]]
        todo: dict[str, str]

    class _File(BaseModel):
        model_config = strict_config()
        components: dict[str, _Entry]

    root = folder or templates_dir() / "bindings"
    source = root / "bindings.yaml"
    hint = "fix the bindings file (see docs/closing-gaps.md)"
    parsed = validate(
        _File, load_file(source, kind="bindings file", hint=hint), source=str(source), hint=hint
    )
    out: dict[str, BindingSpec] = {}
    for name, entry in parsed.components.items():
        if not (root / name).is_dir():
            raise FactoryError(f"{source}: {name}: no folder {root / name}", hint)
        out[name] = BindingSpec(
            name,
            root / name,
            tuple(entry.needs),
            {k: tuple(v) for k, v in entry.closes.items()},
            dict(entry.todo),
        )
    return out


def template_data(
    bindings: RepoBindings, project_name: str, names: Sequence[str]
) -> dict[str, Any]:
    """What the binding templates receive: the bindings plus the derived commands."""
    keys = (*OVERRIDABLE, "run_prefix", "python_version", "dependency_manager", "dependency_file")
    data: dict[str, Any] = dict.fromkeys(keys, "")
    data.update(bindings.render_data())
    data["project_name"] = project_name
    manager = bindings.value("dependency_manager")
    data["setup_command"] = _SETUP.get(manager, _DEFAULT_SETUP)
    entry = bindings.value("train_entry")
    package = bindings.get("package_name")
    certain = entry.endswith(".py") and bindings.certain(
        "train_entry", "train_function", "train_command"
    )
    data["train_function_certain"] = certain
    data["train_module"] = import_path(entry, package.value if package else None) if entry else ""
    folder = str(PurePosixPath(entry).parent) if entry else "."
    stem = PurePosixPath(entry).stem if entry.endswith(".py") else "training"
    path = str(PurePosixPath(folder) / f"tracked_{stem}.py")
    data["tracking_path"] = path
    installs = _installs_project(bindings)
    package_name = package.value if package else None
    data["tracking_command"] = run_command(path, package_name, installs)
    onnx = str(PurePosixPath(folder) / "export_onnx.py")
    data["onnx_path"] = onnx
    data["package_command"] = ""
    extra: list[str] = []
    if "onnx-packaging" in names:
        data["package_command"] = run_command(onnx, package_name, installs)
        extra.extend(["skl2onnx", "onnxruntime"])
    if "tracking-registry" in names:
        extra.append("mlflow")
        if certain:  # CI runs the training through the adapter, so runs are tracked
            data["train_command"] = data["tracking_command"]
    if entry.endswith(".ipynb"):
        extra.extend(["nbconvert", "ipykernel"])
    data["tracked"] = "tracking-registry" in names
    data["registered_model"] = re.sub(r"[^\w.-]+", "-", project_name).strip("-") or "model"
    data["model_flavor"] = bindings.value("model_flavor")
    data.update(_serving_data(bindings, package_name))
    if "serving-realtime" in names and data["serving_test_path"]:
        extra.extend(["pytest", "httpx"] if data["serving_framework"] == "fastapi" else ["pytest"])
    else:  # the CI runs the API test only when this fix or add writes it
        data["serving_test_command"] = ""
    # The API test needs the trained model: the CI trains first, then runs every test.
    data["train_first"] = bool(data["serving_test_command"] and data["train_command"])
    data["extra_install"] = " ".join(dict.fromkeys(extra))
    return data


def _serving_data(bindings: RepoBindings, package: str | None) -> dict[str, Any]:
    """What the API test template needs: the app's module, the folder it imports from,
    where the test goes (the tests folder when the repository has one, else beside the
    app), how far up the repository root is, and the command that runs it."""
    app = bindings.value("serving_app")
    out: dict[str, Any] = {
        "serving_framework": bindings.value("serving_framework"),
        "serving_route": bindings.value("serving_route"),
        "serving_example": bindings.value("serving_example", "{}"),
        "serving_model_env": bindings.value("serving_model_env"),
        "serving_test_path": "",
        "serving_test_command": "",
    }
    if ":" not in app or not app.split(":", 1)[0].endswith(".py"):
        return out
    path, _, variable = app.partition(":")
    module = import_path(path, package)
    depth = module.count(".")  # pkg.app: the folder above pkg
    import_root = PurePosixPath(path).parent
    for _ in range(depth):
        import_root = import_root.parent
    stem = PurePosixPath(path).stem
    tests = bindings.value("tests_folder")
    folder = PurePosixPath(tests) if tests else PurePosixPath(path).parent
    test_path = str(folder / f"test_{stem}_api.py")
    out.update(
        serving_file=path,
        serving_variable=variable,
        serving_module=module,
        serving_import_root="" if str(import_root) == "." else str(import_root),
        serving_test_path=test_path,
        serving_root_parent=f"parents[{len(PurePosixPath(test_path).parent.parts)}]",
        serving_test_command=f"python -m pytest {shlex.quote(test_path)}",
    )
    return out


def yaml_scalar(value: object) -> str:
    """``value`` as a YAML scalar: as is when YAML reads it back unchanged as a plain
    string, else JSON-quoted (JSON strings are YAML), so a command given with ``--data``
    cannot break the file."""
    from mlops_factory._yamlsafe import YamlProblem, parse

    text = str(value)
    try:
        plain = parse(f"k: {text}") == {"k": text}
    except YamlProblem:
        plain = False
    return text if plain and "\n" not in text else json.dumps(text)


def groovy_string(value: object) -> str:
    """``value`` as a single-quoted Groovy string (a Jenkinsfile ``sh`` argument)."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def bind_component(
    spec: BindingSpec, bindings: RepoBindings, data: Mapping[str, Any]
) -> BoundComponent:
    """Render ``spec``'s files from the bindings; say what it claims and what is left."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        autoescape=False,
    )
    env.filters["yaml"] = yaml_scalar
    env.filters["groovy"] = groovy_string
    files: dict[str, bytes] = {}
    for source in sorted(p for p in spec.folder.rglob("*.jinja") if p.is_file()):
        rel = source.relative_to(spec.folder).as_posix()[: -len(".jinja")]
        path = env.from_string(rel).render(**data).strip("/")
        if not path:
            continue
        text = env.from_string(source.read_text(encoding="utf-8")).render(**data)
        files[path] = text.encode("utf-8")
    written = ", ".join(files)
    claims: list[Claim] = []
    unclaimed: list[str] = []
    for criterion, keys in spec.closes.items():
        if bindings.certain(*keys):
            cites = tuple(
                f"{k}: {b.describe()}" for k in keys if (b := bindings.get(k)) is not None
            )
            claims.append(Claim(criterion, cites))
        else:
            unclaimed.append(criterion)
    todo_by_key: dict[str, str] = {}
    for key, text in spec.todo.items():
        if not bindings.certain(key):
            todo_by_key[key] = text.format(
                file=written,
                value=bindings.value(key, "none found"),
                train_function=bindings.value("train_function", "your training code"),
                train_entry=bindings.value("train_entry", "your training code"),
                serving_route=bindings.value("serving_route", "the prediction route"),
            )
    todo = list(todo_by_key.values())
    todo_for = {
        c: tuple(todo_by_key[k] for k in spec.closes[c] if k in todo_by_key) for c in unclaimed
    }
    wanted = {k for ks in spec.closes.values() for k in ks} | set(spec.todo) | set(spec.needs)
    used = tuple(b for b in bindings.items if b.key in wanted)
    return BoundComponent(
        spec.component, files, tuple(claims), tuple(unclaimed), tuple(todo), used, todo_for
    )
