"""Repository signals: version control, releases, notebooks, pinned dependencies,
versioned data. Read from git facts, lock and requirement files, DVC and
git-lfs configuration, and Azure ML data specs."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from mlops_factory._assess._pyindex import python_index
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.signals.infra import azureml_docs, find_line, snippet, yaml_docs
from mlops_factory._assess.snapshot import FileEntry, RepoSnapshot


@signal("git_repo", "The project is a git repository with history.")
def git_repo(snap: RepoSnapshot) -> SignalResult:
    git = snap.git
    if git is None:
        return result("git_repo", [])
    if not git.commits:
        return result(
            "git_repo",
            [Evidence(".git", None, "", "a git repository without commits")],
            found=False,
        )
    where = f" on {git.branch}" if git.branch else " (detached HEAD)"
    ev = Evidence(
        ".git",
        None,
        f"HEAD {git.head[:12] if git.head else '?'}{where}",
        f"{git.commits} commits, last change {git.last_change}",
    )
    return result("git_repo", [ev])


_VERSION_TAG = re.compile(
    r"^(?:[A-Za-z][\w.-]*[-/_])?v?\d+\.\d+(?:\.\d+)?(?:[-+.]?[0-9A-Za-z.]+)?$"
)
_CHANGELOG = re.compile(
    r"(?:changelog|changes|history|news|releases?)(?:\.(?:md|rst|txt|adoc))?", re.I
)
_CHANGELOG_VERSION = re.compile(r"\bv?\d+\.\d+(?:\.\d+)?\b")


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _pyproject_version(snap: RepoSnapshot) -> tuple[FileEntry, int, str, str] | None:
    for entry in snap.by_name("pyproject.toml"):
        text = snap.read_text(entry.path)
        if not text:
            continue
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            snap.record_unreadable(entry.path, f"invalid TOML: {str(exc).splitlines()[0]}")
            continue
        project = _table(data, "project")
        poetry = _table(_table(data, "tool"), "poetry")
        version = project.get("version") or poetry.get("version")
        if isinstance(version, str) and version.strip():
            line, snip = find_line(text, r"^\s*version\s*=")
            return entry, line, snip, version
        dynamic = project.get("dynamic")
        if isinstance(dynamic, list) and "version" in dynamic:
            line, snip = find_line(text, r"^\s*dynamic\s*=")
            return entry, line, snip, "dynamic"
    return None


@signal(
    "release_versioning",
    "Releases carry versions (version tags, or a package version and changelog).",
)
def release_versioning(snap: RepoSnapshot) -> SignalResult:
    evidence: list[Evidence] = []
    tags = [t for t in (snap.git.tags if snap.git else ()) if _VERSION_TAG.match(t)]
    if tags:
        shown = ", ".join(sorted(tags)[-5:])
        evidence.append(Evidence(".git", None, shown, f"{len(tags)} version tags"))
    changelogs = [e for e in snap.root_files() if _CHANGELOG.fullmatch(e.name)] or snap.by_name(
        "CHANGELOG.md", "CHANGELOG.rst", "CHANGELOG", "HISTORY.md"
    )
    changelog: Evidence | None = None
    for entry in changelogs:
        text = snap.read_text(entry.path) or ""
        lines = text.splitlines()
        line = next((n for n, ln in enumerate(lines, 1) if _CHANGELOG_VERSION.search(ln)), 0)
        if line:
            note = "a changelog with version entries"
            changelog = Evidence(entry.path, line, snippet(lines[line - 1]), note)
            break
    version = _pyproject_version(snap)
    if version and changelog:
        entry, line, snip, value = version
        evidence.append(Evidence(entry.path, line, snip, f"package version {value}"))
        evidence.append(changelog)
    elif changelog and not tags:
        weak = Evidence(
            changelog.path,
            changelog.line,
            changelog.snippet,
            "a changelog, but no version tags or package version",
            weak=True,
        )
        evidence.append(weak)
    return result("release_versioning", evidence)


@signal("notebooks", "The repo holds Jupyter notebooks (informational).")
def notebooks(snap: RepoSnapshot) -> SignalResult:
    found = snap.by_suffix(".ipynb")
    evidence = [Evidence(e.path, None, "", "notebook") for e in found[:10]]
    if evidence:
        first = evidence[0]
        evidence[0] = Evidence(first.path, None, "", f"notebook; {len(found)} notebooks in total")
    return result("notebooks", evidence)


_LOCK_FILES = {
    "poetry.lock": "Poetry lock file",
    "uv.lock": "uv lock file",
    "Pipfile.lock": "Pipenv lock file",
    "pdm.lock": "PDM lock file",
    "conda-lock.yml": "conda-lock file",
    "conda-lock.yaml": "conda-lock file",
    "pixi.lock": "pixi lock file",
    "requirements.lock": "Rye lock file",
}
_REQ_NAME = re.compile(
    r"(?:[^\n]*/)?(?:requirements|constraints)[^/\n]*\.txt|(?:[^\n]*/)?requirements/[^/\n]+\.txt"
)
_PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-\[\], ]*===?\s*[\w.!+*-]+\s*(;.*)?$")
_URL_PINNED = re.compile(r"@\s*\S+@[0-9a-f]{40}\b|\.whl\b")


def _requirements_pinned(text: str) -> tuple[int, int, int, int]:
    """(pinned, total, first requirement line, first unpinned line) over requirement
    lines; options and includes are neutral, a line with ``--hash`` is pinned."""
    pinned = total = 0
    first = first_unpinned = 0
    logical: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append((start, buffer + line))
        buffer = ""
    for number, line in logical:
        line = line.strip()
        if not line or line.startswith("-"):
            continue  # -r other.txt, -e ., --index-url: neutral
        total += 1
        first = first or number
        if (
            "--hash" in line
            or _PINNED.match(line.split("--", 1)[0].strip())
            or _URL_PINNED.search(line)
        ):
            pinned += 1
        elif not first_unpinned:
            first_unpinned = number
    return pinned, total, first, first_unpinned


def _conda_pinned(doc: dict[str, Any]) -> tuple[int, int]:
    pinned = total = 0
    for dep in doc.get("dependencies") or ():
        if isinstance(dep, str):
            total += 1
            if re.match(r"^[\w.\-]+\s*=?=\s*\d", dep):
                pinned += 1
        elif isinstance(dep, dict):
            for sub in dep.get("pip") or ():
                if isinstance(sub, str):
                    total += 1
                    if _PINNED.match(sub.strip()) or "--hash" in sub:
                        pinned += 1
    return pinned, total


@signal(
    "dependency_pinning", "Environments are reproducible: lock files or fully pinned requirements."
)
def dependency_pinning(snap: RepoSnapshot) -> SignalResult:
    evidence: list[Evidence] = []
    unpinned: list[Evidence] = []
    for entry in snap.by_name(*_LOCK_FILES):
        evidence.append(Evidence(entry.path, None, "", _LOCK_FILES[entry.name]))
    for entry in snap.paths_with("conda-lock"):
        if entry.name not in _LOCK_FILES and entry.suffix in (".yml", ".yaml"):
            evidence.append(Evidence(entry.path, None, "", "conda-lock file"))
    for entry in snap.paths_with("requirements", "constraints"):
        if not _REQ_NAME.fullmatch(entry.path):
            continue
        text = snap.read_text(entry.path)
        if text is None:
            continue
        pinned, total, first, first_unpinned = _requirements_pinned(text)
        lines = text.splitlines()
        if total and pinned == total:
            note = f"all {total} requirements pinned with == or hashes"
            evidence.append(Evidence(entry.path, first, snippet(lines[first - 1]), note))
        elif total:
            unpinned.append(
                Evidence(
                    entry.path,
                    first_unpinned,
                    snippet(lines[first_unpinned - 1]),
                    f"only {pinned} of {total} requirements pinned",
                )
            )
    for y in yaml_docs(snap, "dependencies"):
        if not y.path.rsplit("/", 1)[-1].startswith(("environment", "conda", "env")):
            continue
        if not isinstance(y.doc.get("dependencies"), list):
            continue
        pinned, total = _conda_pinned(y.doc)
        if total and pinned == total:
            evidence.append(
                y.evidence(
                    r"^\s*dependencies\s*:", f"conda environment: all {total} dependencies pinned"
                )
            )
        elif total:
            unpinned.append(
                y.evidence(
                    r"^\s*dependencies\s*:", f"conda environment: only {pinned} of {total} pinned"
                )
            )
    if evidence:
        return result("dependency_pinning", evidence[:8])
    return result("dependency_pinning", unpinned[:4], found=False)


@signal("data_versioning", "Data is versioned (DVC, git-lfs, versioned data assets).")
def data_versioning(snap: RepoSnapshot) -> SignalResult:
    evidence: list[Evidence] = []
    if snap.exists(".dvc/config"):
        evidence.append(Evidence(".dvc/config", None, "", "DVC is initialised"))
    for entry in snap.by_name("dvc.lock", "dvc.yaml"):
        evidence.append(Evidence(entry.path, None, "", f"DVC {entry.name}"))
    pointers = [e for e in snap.by_suffix(".dvc") if e.name != ".dvc"]
    for entry in pointers[:3]:
        text = snap.read_text(entry.path) or ""
        if re.search(r"^\s*outs\s*:", text, re.M):
            line, snip = find_line(text, r"^\s*-?\s*(md5|path|outs)\s*:")
            evidence.append(Evidence(entry.path, line, snip, "DVC-tracked data"))
    for entry in snap.by_name(".gitattributes"):
        text = snap.read_text(entry.path) or ""
        for number, attr_line in enumerate(text.splitlines(), start=1):
            stripped = attr_line.strip()
            if not stripped.startswith("#") and re.search(r"(^|\s)filter=lfs(\s|$)", stripped):
                evidence.append(
                    Evidence(entry.path, number, snippet(attr_line), "git-lfs tracks large files")
                )
                break
    for y, kind in azureml_docs(snap):
        if kind == "data" and y.doc.get("version") is not None:
            evidence.append(
                y.evidence(r"^\s*version\s*:", f"Azure ML data asset, version {y.doc['version']}")
            )
    if not evidence:
        index = python_index(snap)
        for pf in index.files("source", ("Data",)):
            for c in pf.calls:
                if c.name.startswith("azure.ai.ml") and c.last == "Data" and c.has_kw("version"):
                    evidence.append(pf.evidence(c.line, "Azure ML data asset with a version (SDK)"))
                    break
            if evidence:
                break
    return result("data_versioning", evidence[:8])


#: Serialised-model formats, by their libraries' documented file suffixes.
_MODEL_SUFFIXES = {
    ".pkl": "a pickled object",
    ".pickle": "a pickled object",
    ".joblib": "a joblib-serialised model",
    ".onnx": "an ONNX model",
    ".h5": "a Keras/HDF5 model",
    ".keras": "a Keras model",
    ".pt": "a PyTorch model or checkpoint",
    ".pth": "a PyTorch model or checkpoint",
    ".ckpt": "a training checkpoint",
    ".safetensors": "model weights (safetensors)",
    ".mar": "a TorchServe model archive",
    ".cbm": "a CatBoost model",
    ".ubj": "an XGBoost model",
    ".tflite": "a TensorFlow Lite model",
    ".mlmodel": "a Core ML model",
}


@signal(
    "model_files",
    "Model files are committed to the repository (informational: a hand-off, not a release).",
)
def model_files(snap: RepoSnapshot) -> SignalResult:
    # A model file in the repository is the level-0 hand-off of the maturity model ("a
    # single model file handed off with inputs and outputs"): it shows a model exists,
    # so model release is a subject here, but it is never evidence of a release process.
    evidence = [
        Evidence(e.path, note=f"{_MODEL_SUFFIXES[e.suffix]} committed to the repository", weak=True)
        for e in snap.by_suffix(*_MODEL_SUFFIXES)
    ]
    return result("model_files", evidence[:6])
