"""What a CI command really runs, and what that is: tests, training, deployment...

A command is classified by what it is (``pytest``, ``kubectl apply``) after its
indirections are resolved in the repository: Makefile targets and their
prerequisites, ``just``, Taskfile, ``mise`` tasks, tox environments, nox sessions,
hatch / pdm / poe / npm scripts, shell scripts (and the scripts they call),
heredocs, ``python path.py`` and ``python -m pkg.mod`` (classified by what the
Python file calls, through the Python index, following the repository modules it
imports), and job specs that the command submits (``dvc repro`` stages,
``dbx deploy``/``databricks bundle`` job tasks, ``az ml job create -f``).

Resolution is bounded in depth and guarded against cycles. When an indirection
resolves, only what it resolves to counts: ``make test`` whose recipe only echoes
runs no tests. When it cannot be resolved (no Makefile in the repository), the
command's own words are the only evidence.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from mlops_factory._assess.collect.files import makefile_rules
from mlops_factory._assess.collect.shell import script_commands
from mlops_factory._assess.snapshot import RepoSnapshot

if TYPE_CHECKING:
    from mlops_factory._assess._pyindex import PyFile

_I = re.IGNORECASE
MAX_DEPTH = 5
_MAX_RESOLVED = 400
_CACHE_KEY = "collect.runs"

# ---------------------------------------------------------------------- command kinds

_BUILD = re.compile(
    r"\bpip3?\s+install\b"
    r"|\bpython[\d.]*\s+-m\s+(pip\s+install|build)\b"
    r"|\b(poetry|pdm|hatch|flit|uv)\s+(install|build|sync|lock)\b"
    r"|\buv\s+pip\s+install\b"
    r"|\b(conda|mamba|micromamba)\s+(env\s+(create|update)|install|create)\b"
    r"|\b(docker|podman)\s+(buildx\s+)?build\b|\bdocker[\s-]compose\s+build\b"
    r"|\baz\s+acr\s+build\b"
    r"|\bmake\s+(install|lint|build|setup|deps|format|check|typecheck|dist|package)\b"
    r"|\b(ruff|flake8|mypy|pylint|black|isort|pyright|bandit|pre-commit)\b"
    r"|\bpython[\d.]*\s+setup\.py\s+(build|install|sdist|bdist\w*|develop)\b"
    r"|\b(npm|yarn)\s+(ci|install|run\s+build)\b",
    _I,
)
_TEST = re.compile(
    r"\b(py\.test|pytest)(?![\w.-])"
    r"|\bpython[\d.]*\s+-m\s+(pytest|unittest|nose2?)\b"
    r"|\b(tox|nox)(?![\w.-])"
    r"|\bmake\s+(test|tests|unit|unittest|unit-tests?|integration-tests?|coverage)\b"
    r"|\bhatch\s+(test|run\s+([\w-]+:)?test)\b"
    r"|\bcoverage\s+run\b"
    r"|\b(npm|yarn)\s+(run\s+)?test\b",
    _I,
)
_TRAIN = re.compile(
    r"\bpython[\d.]*\s+(-u\s+)?[\w./-]*(train|pipeline)[\w-]*\.py\b"
    r"|\bpython[\d.]*\s+(-u\s+)?-m\s+[\w.]*(train|pipeline)[\w.]*"
    r"|\b(uv|poetry|pdm|hatch)\s+run\s+[\w./-]*train[\w./-]*"
    r"|\bmake\s+(train|training|retrain|pipeline)\b"
    # Platform CLIs that run training or a pipeline come from the technology catalog
    # (assessments/technologies/*.yaml, `cli:` recognisers): see _catalog_kinds.
    r"|\bzenml\b[^|;&]*\brun\b"
    r"|\bpython[\d.]*\s+[\w./-]*flow[\w-]*\.py\s+run\b",
    _I,
)
#: The kind of CI command each catalog capability's CLI recognisers stand for.
_CLI_KINDS = {
    "trains": "train",
    "defines_pipeline": "train",
    "deploys": "deploy",
    "evaluates_threshold": "validate",
    "compares_champion": "validate",
}


@cache
def _catalog_commands() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The technology catalog's CLI command prefixes, as patterns with the kind they show."""
    from mlops_factory._assess.technologies import catalog

    out: list[tuple[re.Pattern[str], str]] = []
    for capability, kind in _CLI_KINDS.items():
        for prefix, _tech in catalog().cli_commands(capability):
            words = r"\s+".join(re.escape(w) for w in prefix.split())
            out.append((re.compile(rf"(?<![\w-]){words}(?![\w-])", _I), kind))
    return tuple(out)


def _catalog_kinds(seg: str) -> set[str]:
    return {kind for rx, kind in _catalog_commands() if rx.search(seg)}


#: A script matched by _TRAIN is not training when its name says it does something else.
_NOT_TRAIN = re.compile(r"deploy|scor|infer|serv|test|monitor|drift", _I)
_DEPLOY = re.compile(
    r"\baz\s+ml\s+(online-deployment|online-endpoint|batch-endpoint|batch-deployment)"
    r"\s+(create|update)\b"
    r"|\baz\s+(containerapp|webapp|functionapp)\s+(create|update|deploy|up)\b"
    r"|\baz\s+(webapp|functionapp)\s+(deployment\s+source\s+config-zip|config\s+container\s+set)\b"
    r"|\baz\s+containerapp\s+revision\s+copy\b"
    r"|\bkubectl\s+(apply|set\s+image|rollout\s+(restart|undo|resume)|create\s+deployment|replace)\b"
    r"|\bhelm\s+(upgrade|install)\b"
    r"|\b(terraform|terragrunt|tofu)\s+apply\b"
    r"|\baz\s+deployment\s+(group|sub|mg|tenant)\s+create\b"
    r"|\baz\s+stack\s+(group|sub|mg)\s+create\b"
    r"|\b(docker|podman)\s+(image\s+)?push\b"
    r"|\bdocker\s+buildx\s+build\b.*\s--push\b"
    r"|\bgcloud\s+(run|app|functions)\s+deploy\b"
    r"|\bgcloud\s+ai\s+endpoints\s+deploy-model\b"
    r"|\baws\s+sagemaker\s+(create|update)-endpoint\b"
    r"|\baws\s+cloudformation\s+(deploy|create-stack|update-stack)\b"
    r"|\bdatabricks\s+bundle\s+deploy\b|\bdbx\s+deploy\b"
    # A Metaflow flow deployed to a production scheduler.
    r"|\bpython[\d.]*\s+\S+\.py\b.*\b(argo-workflows|step-functions|airflow)\s+create\b"
    r"|\baws\s+ecs\s+update-service\b|\b(sam|cdk|serverless|sls)\s+deploy\b|\bpulumi\s+up\b"
    r"|\b(kubernetesDeploy|azureWebAppPublish|azureFunctionAppPublish|acsDeploy)\b",
    _I,
)
#: Deploying a model (not just any service): endpoints and model serving.
_DEPLOY_MODEL = re.compile(
    r"\baz\s+ml\s+(online-deployment|online-endpoint|batch-endpoint|batch-deployment)"
    r"\s+(create|update)\b"
    r"|\bgcloud\s+ai\s+endpoints\s+deploy-model\b"
    r"|\baws\s+sagemaker\s+(create|update)-endpoint\b",
    _I,
)
#: Promoting a model in a registry from the command line.
_PROMOTE = re.compile(
    r"\baz\s+ml\s+model\s+(share|update)\b.*\b(stage|prod|production)\b"
    r"|\baws\s+sagemaker\s+update-model-package\b.*\bApproved\b"
    r"|\bgcloud\s+ai\s+models\s+.*\baliases?\b"
    r"|\bgto\s+(promote|assign)\b",
    _I,
)
#: Only a hint: a script or target named deploy, whose content we do not read.
_DEPLOY_HINT = re.compile(
    r"\b(make|just|task)\s+(deploy|release)\b|[\w./-]*deploy[\w-]*\.(sh|py|ps1)\b"
    r"|\bpython[\d.]*\s+-m\s+[\w.]*deploy\w*",
    _I,
)
_RELEASE = re.compile(
    r"\btwine\s+upload\b|\b(poetry|uv|hatch|flit|pdm)\s+publish\b|\bgh\s+release\s+create\b"
    r"|\bsemantic-release\b|\bnpm\s+publish\b",
    _I,
)
_DISPATCH = re.compile(
    r"\bgh\s+workflow\s+run\b|\bgh\s+api\b.*dispatches|\bcurl\b.*/dispatches\b"
    r"|\baz\s+pipelines\s+run\b|\baz\s+ml\s+job\s+create\b|\bcurl\b.*trigger/pipeline"
    r"|createDispatchEvent|createWorkflowDispatch|repository_dispatch|\bjenkins\s+build\b",
    _I,
)
DRIFT = re.compile(r"drift|evidently|nannyml|alibi[_-]detect|ks_2samp|population[_ -]stability", _I)
_VALIDATION = re.compile(
    r"evaluat\w*|validat\w*|parity|compar\w*|champion|challenger|promot\w*|\bgate\b", _I
)
#: Validation of something else than a model (infrastructure, config, data schema).
_NOT_MODEL_VALIDATION = re.compile(
    r"\b(terraform|terragrunt|bicep|helm|kubectl|kubeval|yamllint|actionlint|arm-ttk|"
    r"openapi|jsonschema|pre-commit|pip|az\s+deployment|cfn-lint|schema|config|yaml|json|"
    r"lint|data)\b",
    _I,
)
MODEL_WORDS = re.compile(r"model|onnx|metric|champion|challenger|parity|quality", _I)
_RUNNER = re.compile(
    r"\b(python[\d.]*|make|dvc|mlflow|pytest|uv\s+run|poetry\s+run|hatch\s+run|az\s+ml)\b"
    r"|\.(py|sh)\b",
    _I,
)
SEGMENTS = re.compile(r"&&|\|\||;|\|")
INSTALLISH = re.compile(
    r"\b(pip3?|uv|poetry|conda|mamba|micromamba|pipx|apt(-get)?|npm|yarn|pdm|brew|choco)\b"
    r".*\b(install|add|sync)\b",
    _I,
)
_ECHOISH = re.compile(r"^\s*(echo|printf|cat|#|:|true)\b", _I)


_CI_EXPR = re.compile(r"\$\{\{.*?\}\}|\$\[\[.*?\]\]")


def segments(text: str) -> list[str]:
    """The simple commands of a command line (split at ``&&``, ``||``, ``;``, ``|``); CI
    expressions (``${{ a || b }}``) are one word, not a split."""
    return [s for s in SEGMENTS.split(_CI_EXPR.sub("EXPR", text)) if s.strip()]


def validates(seg: str) -> bool:
    """One command segment runs a model validation (not infra/config/data validation)."""
    if not _VALIDATION.search(seg) or not _RUNNER.search(seg):
        return False
    return not (_NOT_MODEL_VALIDATION.search(seg) and not MODEL_WORDS.search(seg))


def text_kinds(text: str) -> frozenset[str]:
    """What a command line does by its own words (no repository lookup).

    Kinds: build, test, train, deploy, deploy_model, promote, deploy_hint, release,
    dispatch, drift, validate. Echoed text is nothing; an install segment only counts
    as a build.
    """
    kinds: set[str] = set()
    for seg in segments(text):
        if _ECHOISH.match(seg):
            continue
        if _BUILD.search(seg):
            kinds.add("build")
        if INSTALLISH.search(seg):
            continue
        checks = (
            ("test", _TEST),
            ("deploy", _DEPLOY),
            ("deploy_model", _DEPLOY_MODEL),
            ("promote", _PROMOTE),
            ("deploy_hint", _DEPLOY_HINT),
            ("release", _RELEASE),
            ("dispatch", _DISPATCH),
            ("drift", DRIFT),
        )
        kinds.update(kind for kind, rx in checks if rx.search(seg))
        m = _TRAIN.search(seg)
        if m and not _NOT_TRAIN.search(m.group(0)):
            kinds.add("train")
        kinds |= _catalog_kinds(seg)
        if validates(seg):
            kinds.add("validate")
    return frozenset(kinds)


# ---------------------------------------------------------------------- resolution


@dataclass(frozen=True, slots=True)
class Ran:
    """One command or Python file reached from a CI command, with what it does."""

    path: str
    line: int
    text: str
    kinds: frozenset[str]
    #: How it was reached: ("make test", "scripts/test.sh", ...), outermost first.
    via: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a CI command does once its indirections are followed."""

    kinds: frozenset[str]
    #: The commands and files it reached (empty when it is a plain command).
    reached: tuple[Ran, ...] = ()

    def first(self, kind: str) -> Ran | None:
        """The deepest command or file reached that does ``kind`` (where it really happens)."""
        found = [r for r in self.reached if kind in r.kinds]
        return max(found, key=lambda r: len(r.via)) if found else None


def resolve(snap: RepoSnapshot, text: str, workdir: str = "") -> Resolved:
    """The kinds of a CI command line, its indirections followed (cached per snapshot)."""
    cache: dict[tuple[str, str], Resolved] = snap.cache.setdefault(_CACHE_KEY, {})
    key = (text, workdir)
    found = cache.get(key)
    if found is None:
        found = _Resolver(snap).line(text, workdir, "", 0, 0, ())
        cache[key] = found
    return found


class _Resolver:
    def __init__(self, snap: RepoSnapshot) -> None:
        self.snap = snap
        self.budget = _MAX_RESOLVED
        self.seen: set[tuple[str, str]] = set()

    def line(
        self, text: str, workdir: str, path: str, line: int, depth: int, via: tuple[str, ...]
    ) -> Resolved:
        kinds: set[str] = set()
        reached: list[Ran] = []
        for seg in segments(text):
            m = _CD.match(seg)
            if m:
                # `cd service && make test`: later segments run in that folder.
                target = m.group(1).strip("'\"")
                workdir = "" if target in ("/", "~") else _join(workdir, target)
                continue
            one = self.segment(seg.strip(), workdir, path, line, depth, via)
            kinds |= one.kinds
            reached.extend(one.reached)
        return Resolved(frozenset(kinds), tuple(reached))

    def segment(
        self, seg: str, workdir: str, path: str, line: int, depth: int, via: tuple[str, ...]
    ) -> Resolved:
        own = text_kinds(seg)
        if depth >= MAX_DEPTH or self.budget <= 0 or _ECHOISH.match(seg) or INSTALLISH.search(seg):
            return Resolved(own)
        try:
            words = shlex.split(seg, comments=False)
        except ValueError:
            words = seg.split()
        words = _strip_prefix(words)
        if not words:
            return Resolved(own)
        targets = self._targets(words, workdir)
        if targets is None:
            return Resolved(own)
        label, found = targets
        key = (label, workdir)
        if key in self.seen:
            return Resolved(frozenset())
        self.seen.add(key)
        kinds: set[str] = set()
        reached: list[Ran] = []
        inner_via = (*via, label)
        for tpath, tline, ttext, tdir in found:
            self.budget -= 1
            if self.budget <= 0:
                break
            if ttext.startswith("\0py:"):
                pk = self.python_kinds(ttext[4:], depth + 1)
                reached.append(Ran(tpath, tline, ttext[4:], pk, inner_via))
                kinds |= pk
                continue
            sub = self.line(ttext, tdir, tpath, tline, depth + 1, inner_via)
            reached.append(Ran(tpath, tline, ttext, sub.kinds, inner_via))
            reached.extend(sub.reached)
            kinds |= sub.kinds
        if label.startswith("python"):
            # What the file calls adds to what its name says (`python train.py`).
            return Resolved(frozenset(kinds | own), tuple(reached))
        # The command's own build/install words still count (`make install` is a build).
        return Resolved(frozenset(kinds | (own & {"build", "release"})), tuple(reached))

    # -------------------------------------------------------------- what a command calls

    def _targets(
        self, words: list[str], workdir: str
    ) -> tuple[str, list[tuple[str, int, str, str]]] | None:
        """(label, [(path, line, command or "\\0py:"+file, workdir)]) or None (not resolvable)."""
        head = posixpath.basename(words[0])
        args = words[1:]
        snap = self.snap
        if head in ("make", "gmake"):
            folder = workdir
            rest: list[str] = []
            i = 0
            while i < len(args):
                a = args[i]
                if a == "-C" and i + 1 < len(args):
                    folder = _join(workdir, args[i + 1])
                    i += 2
                    continue
                if a in ("-f", "--file") and i + 1 < len(args):
                    i += 2
                    continue
                if not a.startswith("-") and "=" not in a:
                    rest.append(a)
                i += 1
            return _makefile(snap, folder, rest)
        if head == "just":
            return _justfile(snap, workdir, [a for a in args if not a.startswith("-")])
        if head in ("task", "go-task"):
            return _taskfile(snap, workdir, [a for a in args if not a.startswith("-")])
        if head == "mise" and args[:1] == ["run"]:
            return _mise(snap, workdir, [a for a in args[1:] if not a.startswith("-")][:1])
        if head == "tox":
            envs = _opt(args, "-e") or _opt(args, "--env")
            return _tox(snap, workdir, envs.split(",") if envs else [])
        if head == "nox":
            sessions = _opt(args, "-s") or _opt(args, "--session")
            return _nox(snap, workdir, sessions.split(",") if sessions else [])
        if head in ("hatch", "pdm", "poe") or (head == "poetry" and args[:2] == ["run", "poe"]):
            return _pyproject_script(snap, workdir, head, args)
        if head in ("npm", "yarn", "pnpm"):
            return _npm(snap, workdir, args)
        if head in ("bash", "sh", "zsh", "source", "."):
            script = [a for a in args if not a.startswith("-")]
            if script and not (args and args[0] == "-c"):
                return _script(snap, workdir, script[0])
            return None
        if head.endswith((".sh", ".bash")) or words[0].startswith("./"):
            return _script(snap, workdir, words[0])
        if re.fullmatch(r"python[\d.]*|py", head):
            return _python(snap, workdir, args)
        if head == "dvc" and args[:1] in (["repro"], ["exp"]):
            return _dvc(snap, workdir)
        if head == "dbx" and args[:1] in (["deploy"], ["launch"], ["execute"]):
            return _dbx(snap, workdir, args)
        if head == "databricks" and args[:2] in (["bundle", "run"], ["bundle", "deploy"]):
            return _bundle(snap, workdir, args[2:])
        if head == "az" and args[:3] == ["ml", "job", "create"]:
            spec = _opt(args, "-f") or _opt(args, "--file")
            return _aml_job(snap, workdir, spec) if spec else None
        return None

    def python_kinds(self, path: str, depth: int) -> frozenset[str]:
        return python_file_kinds(self.snap, path, depth)


_CD = re.compile(r"^\s*(?:cd|pushd)\s+([^\s$`;&|]+)\s*$")


def _strip_prefix(words: list[str]) -> list[str]:
    """Drop env assignments, ``sudo``/``time``/``exec`` and ``uv run``/``poetry run``."""
    i = 0
    while i < len(words) and re.fullmatch(r"[A-Za-z_]\w*=.*", words[i]):
        i += 1
    words = words[i:]
    while words and words[0] in ("sudo", "time", "exec", "env", "nohup"):
        words = words[1:]
    if (
        len(words) >= 2
        and words[0] in ("uv", "poetry", "pipenv", "conda", "pixi")
        and words[1] == "run"
    ):
        rest = words[2:]
        if words[0] == "conda":
            while rest and rest[0].startswith("-"):
                rest = rest[2:] if rest[0] in ("-n", "--name", "-p", "--prefix") else rest[1:]
        if rest and rest[0] != "poe":
            return rest
    return words


def _opt(args: list[str], flag: str) -> str:
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(flag + "=") and flag.startswith("--"):
            return a.split("=", 1)[1]
        if (
            flag.startswith("-")
            and not flag.startswith("--")
            and a.startswith(flag)
            and len(a) > len(flag)
        ):
            return a[len(flag) :]
    return ""


def _join(workdir: str, rel: str) -> str:
    path = posixpath.normpath(posixpath.join(workdir, rel)) if rel else workdir
    return "" if path in (".", "") else path.lstrip("/")


def _first_existing(snap: RepoSnapshot, folder: str, names: tuple[str, ...]) -> str | None:
    for name in names:
        path = _join(folder, name)
        if snap.exists(path):
            return path
    return None


# ---------------------------------------------------------------------- task runners


def _recipe(text: str) -> str:
    """A recipe line as the shell sees it: ``@``/``-``/``+`` prefixes and ``$(MAKE)`` read."""
    text = text.lstrip("@-+ ")
    return re.sub(r"\$\(MAKE\)|\$\{MAKE\}", "make", text)


def _makefile(
    snap: RepoSnapshot, folder: str, goals: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    path = _first_existing(snap, folder, ("GNUmakefile", "makefile", "Makefile"))
    if path is None:
        return None
    rules = makefile_rules(snap.read_text(path) or "")
    if not goals:
        goals = [next((t for t in rules if not t.startswith(".") and "%" not in t), "")]
    out: list[tuple[str, int, str, str]] = []
    seen: set[str] = set()

    def add(goal: str, depth: int) -> None:
        if goal in seen or goal not in rules or depth > MAX_DEPTH:
            return
        seen.add(goal)
        _line, prereqs, recipe = rules[goal]
        for pre in prereqs:
            add(pre, depth + 1)
        out.extend((path, n, _recipe(r), folder) for n, r in recipe)

    for goal in goals:
        add(goal, 0)
    if not any(g in rules for g in goals):
        return None
    return f"make {' '.join(goals)}", out


_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][\w-]*)(?:\s+[^:=]*)?:(?!=)\s*(.*)$")


def _justfile(
    snap: RepoSnapshot, folder: str, args: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    path = _first_existing(snap, folder, ("justfile", "Justfile", ".justfile"))
    if path is None:
        return None
    recipes: dict[str, tuple[list[str], list[tuple[int, str]]]] = {}
    current: list[tuple[int, str]] | None = None
    order: list[str] = []
    for number, line in enumerate((snap.read_text(path) or "").splitlines(), start=1):
        if line[:1] in (" ", "\t"):
            body = line.strip()
            if current is not None and body and not body.startswith("#"):
                current.append((number, body.lstrip("@-")))
            continue
        m = _JUST_RECIPE.match(line.strip())
        if m and not line.startswith(("#", "set ", "export ", "alias ", "import ", "mod ")):
            current = []
            deps = [d for d in m.group(2).split() if re.fullmatch(r"[\w-]+", d)]
            recipes[m.group(1)] = (deps, current)
            order.append(m.group(1))
        elif line.strip():
            current = None
    goal = args[0] if args else (order[0] if order else "")
    if goal not in recipes:
        return None
    out: list[tuple[str, int, str, str]] = []
    seen: set[str] = set()

    def add(name: str, depth: int) -> None:
        if name in seen or name not in recipes or depth > MAX_DEPTH:
            return
        seen.add(name)
        deps, body = recipes[name]
        for d in deps:
            add(d, depth + 1)
        out.extend((path, n, re.sub(r"\{\{[^}]*\}\}", "x", t), folder) for n, t in body)

    add(goal, 0)
    return f"just {goal}", out


def _taskfile(
    snap: RepoSnapshot, folder: str, args: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    from mlops_factory._assess.collect.yamlread import YMap, items, load_yaml

    path = _first_existing(snap, folder, ("Taskfile.yml", "Taskfile.yaml", "taskfile.yml"))
    doc = load_yaml(snap, path) if path else None
    tasks = doc.get("tasks") if doc is not None else None
    if path is None or not isinstance(tasks, YMap):
        return None
    goal = args[0] if args else "default"
    out: list[tuple[str, int, str, str]] = []
    seen: set[str] = set()

    def add(name: str, depth: int) -> None:
        task = tasks.get(name)
        if name in seen or depth > MAX_DEPTH:
            return
        seen.add(name)
        if isinstance(task, str):
            out.append((path, tasks.key_line(name), task, folder))
            return
        if not isinstance(task, YMap):
            return
        for dep, _s in items(task.get("deps")):
            add(
                dep if isinstance(dep, str) else dep.str("task") if isinstance(dep, YMap) else "",
                depth + 1,
            )
        cmds = task.get("cmds")
        for cmd, span in items(cmds):
            line = span.line if span else task.line
            if isinstance(cmd, str):
                out.append((path, line, cmd, folder))
            elif isinstance(cmd, YMap):
                if "task" in cmd:
                    add(cmd.str("task"), depth + 1)
                elif "cmd" in cmd:
                    out.append((path, line, cmd.str("cmd"), folder))

    add(goal, 0)
    if goal not in tasks:
        return None
    return f"task {goal}", out


def _toml(snap: RepoSnapshot, path: str) -> dict[str, Any]:
    cache: dict[str, dict[str, Any]] = snap.cache.setdefault("collect.toml", {})
    if path not in cache:
        import tomllib

        data: dict[str, Any] = {}
        text = snap.read_text(path)
        if text is not None:
            try:
                data = tomllib.loads(text)
            except (tomllib.TOMLDecodeError, RecursionError):
                snap.record_unreadable(path, "invalid TOML")
        cache[path] = data
    return cache[path]


def _line_of(snap: RepoSnapshot, path: str, needle: str) -> int:
    for number, line in enumerate((snap.read_text(path) or "").splitlines(), start=1):
        if needle in line and not line.lstrip().startswith("#"):
            return number
    return 1


def _script_values(value: Any) -> list[str]:
    """Commands of a task definition: a string, a list, or a table with run/cmd/shell."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)] or [
            c for v in value if isinstance(v, dict) for c in _script_values(v)
        ]
    if isinstance(value, dict):
        for key in ("run", "cmd", "shell", "script", "cmds", "sequence", "call"):
            if key in value:
                return _script_values(value[key])
    return []


def _mise(
    snap: RepoSnapshot, folder: str, args: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    for name in ("mise.toml", ".mise.toml", "mise/config.toml", ".config/mise.toml"):
        path = _join(folder, name)
        if not snap.exists(path) or not args:
            continue
        tasks = _toml(snap, path).get("tasks", {})
        task = tasks.get(args[0]) if isinstance(tasks, dict) else None
        if task is None:
            continue
        deps = task.get("depends", []) if isinstance(task, dict) else []
        out = [
            (path, _line_of(snap, path, c.split()[0] if c.split() else c), c, folder)
            for d in deps
            if isinstance(d, str) and isinstance(tasks.get(d), dict | str)
            for c in _script_values(tasks[d])
        ]
        out.extend(
            (path, _line_of(snap, path, f"[tasks.{args[0]}]"), c, folder)
            for c in _script_values(task)
        )
        return f"mise run {args[0]}", out
    return None


def _tox(
    snap: RepoSnapshot, folder: str, envs: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    import configparser

    path = _first_existing(snap, folder, ("tox.ini",))
    if path is None:
        return None
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(snap.read_text(path) or "")
    except configparser.Error:
        snap.record_unreadable(path, "invalid tox.ini")
        return None
    sections = [f"testenv:{e}" for e in envs if e] or ["testenv"]
    if not envs and parser.has_option("tox", "envlist"):
        listed = re.split(r"[\s,]+", parser.get("tox", "envlist"))
        sections = ["testenv"] + [f"testenv:{e}" for e in listed if e and "{" not in e]
    out: list[tuple[str, int, str, str]] = []
    for section in dict.fromkeys(sections):
        sec = section if parser.has_section(section) else "testenv"
        if not parser.has_option(sec, "commands"):
            continue
        for raw in parser.get(sec, "commands").splitlines():
            cmd = raw.strip()
            if cmd and not cmd.startswith("#"):
                cmd = re.sub(r"\{posargs[^}]*\}|\{[\w:]+\}", "", cmd)
                out.append((path, _line_of(snap, path, raw.strip()), cmd, folder))
    return f"tox {' '.join(envs)}".strip(), out


def _nox(
    snap: RepoSnapshot, folder: str, sessions: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    from mlops_factory._assess._pyindex import python_index

    path = _first_existing(snap, folder, ("noxfile.py",))
    pf = python_index(snap).parse(path) if path else None
    if path is None or pf is None:
        return None
    decorated = [d for d in pf.defs if any("session" in x for x in d.decorators)]
    chosen = [d for d in decorated if not sessions or d.name in sessions]
    names = {d.name for d in chosen}
    out: list[tuple[str, int, str, str]] = []
    for c in pf.calls:
        if c.scope.split(".")[-1] in names and c.last == "run" and c.args:
            words = [str(a) for a in c.args if isinstance(a, str)]
            if words:
                out.append((path, c.line, " ".join(words), folder))
    return f"nox {' '.join(sessions)}".strip(), out


def _pyproject_script(
    snap: RepoSnapshot, folder: str, head: str, args: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    path = _first_existing(snap, folder, ("pyproject.toml",))
    if path is None:
        return None
    data = _toml(snap, path)
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    rest = [a for a in args if not a.startswith("-")]
    if head == "poetry":
        rest = rest[2:]
        head = "poe"
    if head == "hatch":
        if rest[:1] == ["test"]:
            return None  # hatch's own test command: pytest
        if rest[:1] != ["run"] or len(rest) < 2:
            return None
        env, _, name = rest[1].rpartition(":")
        envs = tool.get("hatch", {}).get("envs", {})
        scripts = (
            envs.get(env or "default", {}).get("scripts", {}) if isinstance(envs, dict) else {}
        )
        if name not in scripts:
            return None
        table: dict[str, Any] = scripts
    elif head == "pdm":
        name = rest[1] if rest[:1] == ["run"] and len(rest) > 1 else (rest[0] if rest else "")
        table = tool.get("pdm", {}).get("scripts", {})
    else:
        name = rest[0] if rest else ""
        table = tool.get("poe", {}).get("tasks", {})
    if not isinstance(table, dict) or name not in table:
        return None
    out: list[tuple[str, int, str, str]] = []
    for cmd in _script_values(table[name]):
        if cmd in table and cmd != name:  # a poe/pdm composite naming other tasks
            out.extend(
                (path, _line_of(snap, path, c), c, folder) for c in _script_values(table[cmd])
            )
        else:
            out.append((path, _line_of(snap, path, cmd[:40]), cmd, folder))
    return f"{head} {name}", out


def _npm(
    snap: RepoSnapshot, folder: str, args: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    import json

    path = _first_existing(snap, folder, ("package.json",))
    if path is None:
        return None
    try:
        data = json.loads(snap.read_text(path) or "{}")
    except (ValueError, RecursionError):
        return None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    rest = [a for a in args if not a.startswith("-")]
    name = (
        rest[1]
        if rest[:1] in (["run"], ["run-script"]) and len(rest) > 1
        else (rest[0] if rest else "")
    )
    if not isinstance(scripts, dict) or not isinstance(scripts.get(name), str):
        return None
    cmd = scripts[name]
    return f"npm run {name}", [(path, _line_of(snap, path, f'"{name}"'), cmd, folder)]


# ---------------------------------------------------------------------- scripts and Python


def _script(
    snap: RepoSnapshot, workdir: str, ref: str
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    if "$" in ref:
        return None
    path = _join(workdir, ref)
    if not snap.exists(path):
        path = _join("", ref)
        if not snap.exists(path):
            return None
    text = snap.read_text(path)
    if text is None:
        return None
    return path, shell_lines(path, text, posixpath.dirname(path) if False else workdir)


_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")


def shell_lines(path: str, text: str, workdir: str) -> list[tuple[str, int, str, str]]:
    """A shell script's commands; a heredoc fed to python is its code, to a shell its lines,
    to anything else (``cat > file <<EOF``) nothing."""
    out: list[tuple[str, int, str, str]] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i]
        m = _HEREDOC.search(raw) if not raw.lstrip().startswith("#") else None
        if m is None:
            i += 1
            continue
        end = next(
            (j for j in range(i + 1, len(lines)) if lines[j].strip() == m.group(1)), len(lines)
        )
        body = "\n".join(lines[i + 1 : end])
        head = raw[: m.start()].strip()
        blank = ["" for _ in range(i + 1, min(end + 1, len(lines)))]
        if re.search(r"\bpython[\d.]*\s*(-\s*)?$", head):
            out.append((path, i + 1, "\0py-inline:" + body, workdir))
            lines[i : end + 1] = ["", *blank]
        elif re.search(r"\b(bash|sh)\s*(-s\s*)?$", head):
            lines[i] = ""
        else:
            lines[i] = head
            lines[i + 1 : end + 1] = blank
        i = end + 1
    for cmd in script_commands("\n".join(lines), 1):
        out.append((path, cmd.line, cmd.text, workdir))
    out.sort(key=lambda t: t[1])
    return [
        (p, n, t, w) if not t.startswith("\0py-inline:") else (p, n, _inline_kinds_text(t), w)
        for p, n, t, w in out
    ]


def _inline_kinds_text(marked: str) -> str:
    """Inline Python fed by a heredoc, as a pseudo command its calls classify."""
    body = marked[len("\0py-inline:") :]
    words: list[str] = []
    for name, kind in _PY_CALLS.items():
        if re.search(rf"\b{name}\s*\(", body):
            words.append(_KIND_WORD[kind])
    return " && ".join(words) or ":"


def _python(
    snap: RepoSnapshot, workdir: str, args: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    rest = [a for a in args if a not in ("-u", "-O", "-B")]
    if rest[:1] == ["-m"] and len(rest) > 1:
        mod = rest[1]
        if mod in ("pytest", "unittest", "pip", "build", "nose", "nose2", "mlflow", "dvc"):
            return None
        base = mod.replace(".", "/")
        for cand in (
            f"{base}.py",
            f"{base}/__main__.py",
            f"src/{base}.py",
            f"src/{base}/__main__.py",
        ):
            path = _join(workdir, cand)
            if snap.exists(path):
                return f"python -m {mod}", [(path, 1, "\0py:" + path, workdir)]
        return None
    if rest and rest[0].endswith(".py"):
        path = _join(workdir, rest[0])
        if not snap.exists(path):
            return None
        if len(rest) > 1 and rest[1] in ("run", "argo-workflows", "step-functions"):
            return None  # a Metaflow flow command: its words say what it does
        found = [(path, 1, "\0py:" + path, workdir)]
        if len(rest) > 1 and re.fullmatch(r"[A-Za-z_]\w*", rest[1]):
            # A dispatcher (`python run.py pipeline`) that imports the module named by its
            # first argument from a package of the repository.
            target = _dispatched(snap, path, rest[1])
            if target:
                found.append((target, 1, f"python {target}", ""))
        return f"python {rest[0]}", found
    return None


def _dispatched(snap: RepoSnapshot, path: str, word: str) -> str | None:
    from mlops_factory._assess._pyindex import python_index

    pf = python_index(snap).parse(path)
    if pf is None:
        return None
    for module in pf.imports:
        base = module.replace(".", "/")
        for cand in (f"{base}/{word}.py", f"src/{base}/{word}.py"):
            if snap.exists(cand):
                return cand
    return None


#: Calls (last name of the resolved callee) and what they show a file does.
_PY_CALLS: dict[str, str] = {
    "transition_model_version_stage": "promote",
    "set_registered_model_alias": "promote",
    "add_version_aliases": "promote",
    "update_model_package": "promote",
    "register_model": "register",
    "create_model_package": "register",
    "upload": "register",
    "deploy": "deploy_model",
    "deploy_model": "deploy_model",
    "create_endpoint": "deploy_model",
    "update_endpoint": "deploy_model",
    "begin_create_or_update": "deploy_model",
    "fit": "train",
    "train": "train",
    "start_pipeline_execution": "train",
    "create_run_from_pipeline_package": "train",
    "create_run_from_pipeline_func": "train",
    "upsert": "train",
    "PipelineJob": "train",
    "main": "test",
}
_KIND_WORD = {
    "promote": "gto promote",
    "register": ":",
    "deploy_model": "aws sagemaker update-endpoint",
    "train": "dvc repro",
    "test": "pytest",
}
#: The owner a call must have for it to mean what _PY_CALLS says.
_PY_OWNERS: dict[str, re.Pattern[str]] = {
    "upload": re.compile(r"aiplatform\.Model"),
    "deploy": re.compile(r"sagemaker|aiplatform|Model|Endpoint|endpoint|model", re.I),
    "begin_create_or_update": re.compile(
        r"online_endpoints|online_deployments|batch_endpoints|"
        r"batch_deployments"
    ),
    "main": re.compile(r"^pytest\.main$"),
    "train": re.compile(r"xgboost|lightgbm|trainer|Trainer|model|estimator", re.I),
    "upsert": re.compile(r"pipeline|Pipeline"),
    "create_endpoint": re.compile(r"sagemaker|boto3|client", re.I),
    "update_endpoint": re.compile(r"sagemaker|boto3|client|predictor", re.I),
}


#: How many levels of repository imports a Python file's kinds follow (imports
#: over-approximate what runs: keep it shallow).
_IMPORT_DEPTH = 3


def python_file_kinds(snap: RepoSnapshot, path: str, depth: int = 0) -> frozenset[str]:
    """What a Python file does, by the calls in it and in the repository modules it imports."""
    from mlops_factory._assess._pyindex import python_index

    cache: dict[tuple[str, int], frozenset[str]] = snap.cache.setdefault("collect.pykinds", {})
    key = (path, depth)
    if key in cache:
        return cache[key]
    cache[key] = frozenset()  # cycle guard
    pf = python_index(snap).parse(path)
    kinds: set[str] = set()
    if pf is not None:
        for c in pf.calls:
            kind = _PY_CALLS.get(c.last)
            owner = _PY_OWNERS.get(c.last)
            if kind and (owner is None or owner.search(c.name)):
                kinds.add(kind)
        if pf.imports_any("evidently", "nannyml", "alibi_detect", "whylogs"):
            kinds.add("drift")
        kinds |= _script_checks(pf)
        if depth < _IMPORT_DEPTH:
            modules = {*pf.imports, *pf.aliases.values()}
            for module in sorted(modules):
                target = _module_path(snap, module)
                if target and target != path:
                    kinds |= python_file_kinds(snap, target, depth + 1) - {"test", "validate"}
    result = frozenset(kinds)
    cache[key] = result
    return result


#: Metric names a threshold assert compares (the words evaluation APIs use).
_METRIC = re.compile(
    r"(?:^|_)(accuracy|acc|auc|roc|f1|precision|recall|rmse|mse|mae|mape|r2|loss|error|score|metric)(?:_|$)",
    re.I,
)


_THRESHOLD = re.compile(r"(?:^|_)(threshold|thresholds|min|max|baseline|champion)(?:_|$)", re.I)


def _script_checks(pf: PyFile) -> set[str]:
    """A script run directly that tests or validates by itself.

    ``test``: it defines pytest-style ``test*`` functions holding asserts and calls one
    (a test script run with ``python test.py``). ``validate``: it asserts a model metric
    against a bound (``assert accuracy > 0.9``), the shape of a backtest or quality gate.
    """
    out: set[str] = set()
    tests = {d.name for d in pf.defs if d.kind == "function" and d.name.startswith("test")}
    asserted = {c.scope.rsplit(".", 1)[-1] for c in pf.checks if c.kind == "assert"}
    if tests & asserted and any(c.name in tests for c in pf.calls):
        out.add("test")
    for check in pf.checks:
        if not check.ops & {"<", "<=", ">", ">="}:
            continue
        metric = any(_METRIC.search(n) for n in check.names)
        # An assert on a metric, or a metric compared with a named threshold (an
        # acceptance gate that decides, then raises or exits).
        if metric and (check.kind == "assert" or any(_THRESHOLD.search(n) for n in check.names)):
            out.add("validate")
            break
    return out


def _module_path(snap: RepoSnapshot, module: str) -> str | None:
    base = module.replace(".", "/")
    for cand in (f"{base}.py", f"src/{base}.py", f"{base}/__init__.py", f"src/{base}/__init__.py"):
        if snap.exists(cand):
            return cand
    return None


# ---------------------------------------------------------------------- job specs


def _dvc(snap: RepoSnapshot, folder: str) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    from mlops_factory._assess.collect.yamlread import YMap, load_yaml

    path = _first_existing(snap, folder, ("dvc.yaml",))
    doc = load_yaml(snap, path) if path else None
    stages = doc.get("stages") if doc is not None else None
    if path is None or not isinstance(stages, YMap):
        return None
    out: list[tuple[str, int, str, str]] = []
    for name, stage in stages.items():
        if isinstance(stage, YMap):
            wdir = _join(folder, stage.str("wdir"))
            cmds = stage.get("cmd")
            for cmd in cmds if isinstance(cmds, list) else [cmds]:
                if isinstance(cmd, str):
                    out.append((path, stage.key_line("cmd"), cmd, wdir))
        elif isinstance(stage, str):
            out.append((path, stages.key_line(name), stage, folder))
    # `dvc repro` runs a pipeline: training even when a stage's script hides it.
    return "dvc repro", [*out, (path, 1, "dvc repro", folder)]


def _job_tasks(job: Any, folder: str, path: str, line: int) -> list[tuple[str, int, str, str]]:
    from mlops_factory._assess.collect.yamlread import YMap, items

    out: list[tuple[str, int, str, str]] = []
    tasks = list(items(job.get("tasks"))) if isinstance(job, YMap) else []
    bodies = [t for t, _s in tasks if isinstance(t, YMap)] or (
        [job] if isinstance(job, YMap) else []
    )
    for task in bodies:
        for key in ("spark_python_task", "python_wheel_task", "notebook_task"):
            spec = task.get(key)
            if not isinstance(spec, YMap):
                continue
            target = spec.str("python_file") or spec.str("notebook_path")
            target = target.removeprefix("file://").removeprefix("file:fuse://")
            if target:
                rel = target if not target.startswith(("../", "./")) else _join(folder, target)
                rel = rel.lstrip("/")
                if not rel.endswith((".py", ".ipynb")):
                    rel += ".py"
                out.append((path, task.line, "\0py:" + rel, folder))
    return out


def _dbx(
    snap: RepoSnapshot, folder: str, args: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    from mlops_factory._assess.collect.yamlread import YMap, items, load_yaml

    spec = _opt(args, "--deployment-file")
    candidates = [spec] if spec else ["conf/deployment.yml", "conf/deployment.yaml"]
    path = next((_join(folder, c) for c in candidates if snap.exists(_join(folder, c))), None)
    doc = load_yaml(snap, path) if path else None
    if path is None or doc is None:
        return None
    wanted = {j for j in (_opt(args, "--jobs") or _opt(args, "--job") or args[-1]).split(",")}
    env = _opt(args, "--environment") or "default"
    envs = doc.get("environments")
    body = envs.get(env) if isinstance(envs, YMap) else None
    flows = body.get("workflows") or body.get("jobs") if isinstance(body, YMap) else None
    out: list[tuple[str, int, str, str]] = []
    for job, _s in items(flows):
        if isinstance(job, YMap) and (job.str("name") in wanted):
            out.extend(
                (p, n, t, w)
                for p, n, t, w in _job_tasks(job, "", path, job.line)
                if snap.exists(t[4:])
            )
    if not out:
        return None
    return f"dbx {args[0]} {','.join(sorted(wanted))}", out


def _bundle(
    snap: RepoSnapshot, folder: str, args: list[str]
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    from mlops_factory._assess.collect.yamlread import YMap, load_yaml

    path = _first_existing(snap, folder, ("databricks.yml", "databricks.yaml"))
    doc = load_yaml(snap, path) if path else None
    if path is None or doc is None:
        return None
    names = [a for a in args if not a.startswith("-")]
    files = [path]
    inc = doc.get("include")
    for pattern in inc if isinstance(inc, list) else []:
        if isinstance(pattern, str):
            files.extend(e.path for e in snap.glob(_join(folder, pattern)))
    out: list[tuple[str, int, str, str]] = []
    for f in files:
        d = load_yaml(snap, f)
        res = d.get("resources") if d is not None else None
        jobs = res.get("jobs") if isinstance(res, YMap) else None
        if not isinstance(jobs, YMap):
            continue
        for name, job in jobs.items():
            if names and name not in names:
                continue
            base = posixpath.dirname(f)
            out.extend(
                (p, n, t, w)
                for p, n, t, w in _job_tasks(job, base, f, jobs.key_line(name))
                if snap.exists(t[4:])
            )
    if not out:
        return None
    return f"databricks bundle {' '.join(names)}".strip(), out


def _aml_job(
    snap: RepoSnapshot, folder: str, spec: str
) -> tuple[str, list[tuple[str, int, str, str]]] | None:
    from mlops_factory._assess.collect.yamlread import YMap, load_yaml

    path = _join(folder, spec)
    doc = load_yaml(snap, path) if snap.exists(path) else None
    if doc is None:
        return None
    out: list[tuple[str, int, str, str]] = [(path, 1, "az ml job create", folder)]
    jobs = doc.get("jobs")
    bodies = list(jobs.values()) if isinstance(jobs, YMap) else [doc]
    for body in bodies:
        if not isinstance(body, YMap):
            continue
        command = body.str("command")
        code = body.str("code")
        if command:
            base = _join(posixpath.dirname(path), code) if code else posixpath.dirname(path)
            out.append((path, body.key_line("command"), command.replace("${{", "x"), base))
        component = body.str("component")
        if component.startswith("file:") or component.endswith((".yml", ".yaml")):
            cpath = _join(posixpath.dirname(path), component.removeprefix("file:"))
            cdoc = load_yaml(snap, cpath) if snap.exists(cpath) else None
            if isinstance(cdoc, YMap) and cdoc.str("command"):
                ccode = cdoc.str("code")
                base = _join(posixpath.dirname(cpath), ccode) if ccode else posixpath.dirname(cpath)
                out.append((cpath, cdoc.key_line("command"), cdoc.str("command"), base))
    return f"az ml job create -f {spec}", out
