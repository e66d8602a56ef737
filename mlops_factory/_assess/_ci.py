"""CI configuration, parsed once per snapshot into one provider-neutral model.

Providers: GitHub Actions, Azure Pipelines, GitLab CI and Jenkins (declarative or
scripted ``Jenkinsfile``). The model keeps what the CI signals judge: pipelines,
their triggers, jobs with their steps' commands, environments, gates and disabled
flags, each with a 1-based line number.

Nothing is executed or evaluated. Expressions (``${{ }}``, Azure conditions,
GitLab rules, Jenkins ``when``) are read as text and classified with
conservative patterns; YAML comments and Groovy comments never reach the model,
and disabled jobs and steps are kept but flagged so signals can skip them.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._yamlsafe import safe_loader, too_deep

Provider = Literal["github", "azure", "gitlab", "jenkins"]

PROVIDER_TITLES: dict[str, str] = {
    "github": "GitHub Actions",
    "azure": "Azure Pipelines",
    "gitlab": "GitLab CI",
    "jenkins": "Jenkins",
}

_MODEL_KEY = "ci.model"
_YAML_KEY = "ci.yaml"
_LINES_KEY = "ci.lines"
#: Bounds against hostile files (YAML alias bombs, endless template chains).
_MAX_COMMANDS_PER_PIPELINE = 20_000
_MAX_DEPTH = 8
_MAX_NESTING = 200


# ---------------------------------------------------------------------- the model


@dataclass(frozen=True, slots=True)
class Command:
    """One logical shell line (continuations joined, comments dropped)."""

    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a job: a script, an action/task, or a Jenkins step."""

    path: str
    line: int
    name: str = ""
    id: str = ""
    commands: tuple[Command, ...] = ()
    #: GitHub action (``actions/checkout@v4``), Azure task (``AzureCLI@2``),
    #: Jenkins step name (``sh``, ``input``), GitLab ``trigger:<project>``.
    uses: str = ""
    inputs: tuple[tuple[str, str], ...] = ()
    condition: str = ""
    disabled: bool = False

    def input(self, key: str) -> str:
        """The value of input ``key`` (case-insensitive), or ''."""
        low = key.lower()
        for k, v in self.inputs:
            if k.lower() == low:
                return v
        return ""

    @property
    def title(self) -> str:
        return self.name or self.id or self.uses


@dataclass(frozen=True, slots=True)
class Gate:
    """What a job's condition restricts it to. ``None`` means no restriction.

    ``events`` uses the trigger kinds; ``refs`` holds ``"main"`` (the default
    branch), ``"tag"``, or other branch names.
    """

    events: frozenset[str] | None = None
    refs: frozenset[str] | None = None

    def union(self, other: Gate) -> Gate:
        ev = None if self.events is None or other.events is None else self.events | other.events
        refs = None if self.refs is None or other.refs is None else self.refs | other.refs
        return Gate(ev, refs)

    def narrowed_by(self, outer: Gate) -> Gate:
        """This gate where it restricts, ``outer`` where it does not."""
        return Gate(
            self.events if self.events is not None else outer.events,
            self.refs if self.refs is not None else outer.refs,
        )


@dataclass(frozen=True, slots=True)
class Job:
    """One job (a GitHub/Azure/GitLab job, a Jenkins stage)."""

    path: str
    line: int
    id: str
    name: str = ""
    stage: str = ""
    steps: tuple[Step, ...] = ()
    environment: str = ""
    environment_line: int = 0
    condition: str = ""
    gate: Gate = field(default_factory=Gate)
    disabled: bool = False
    #: Started by a person: GitLab ``when: manual``.
    manual: bool = False
    #: A declared deployment job: Azure ``deployment:``, GitLab job with an environment.
    deployment: bool = False
    needs: tuple[str, ...] = ()
    #: Repo path of a pipeline this job runs (GitHub reusable workflow, GitLab child).
    calls: str = ""
    #: Inputs passed to the called pipeline (``with:``), scalars only.
    call_inputs: tuple[tuple[str, str], ...] = ()
    #: Matrix axes with scalar values, for resolving ``${{ matrix.x }}``.
    matrix: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def title(self) -> str:
        return self.name or self.id

    @property
    def active_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if not s.disabled)

    @property
    def approval_steps(self) -> tuple[Step, ...]:
        """Active steps that wait for a person: Jenkins ``input``, Azure ``ManualValidation``,
        the GitHub ``manual-approval`` action."""
        return tuple(s for s in self.active_steps if _is_approval(s.uses))


@dataclass(frozen=True, slots=True)
class Trigger:
    """What starts a pipeline. ``branches``/``exclude`` are branch filters (() = all)."""

    #: push, tag, pull_request, schedule, manual, dispatch, call (runs only when another
    #: pipeline calls this one) or other.
    kind: str
    event: str
    path: str
    line: int
    branches: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    detail: str = ""
    #: The provider's default, not written in the file (Azure/GitLab push, Jenkins SCM).
    implicit: bool = False

    @property
    def on_main(self) -> bool:
        """True for a push trigger that covers the main (or master) branch."""
        return self.kind == "push" and covers_main(self.branches, self.exclude)


@dataclass(frozen=True, slots=True)
class Pipeline:
    """One CI pipeline definition (a workflow file, an Azure/GitLab pipeline, a Jenkinsfile)."""

    provider: Provider
    path: str
    name: str
    line: int
    triggers: tuple[Trigger, ...] = ()
    jobs: tuple[Job, ...] = ()
    #: Every repo file this pipeline was assembled from (templates, includes, actions).
    sources: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return PROVIDER_TITLES[self.provider]

    @property
    def active_jobs(self) -> tuple[Job, ...]:
        return tuple(j for j in self.jobs if not j.disabled)


@dataclass(frozen=True)
class CIModel:
    """All CI pipelines of a repo, with trigger resolution across pipeline calls."""

    pipelines: tuple[Pipeline, ...] = ()

    def by_path(self, path: str) -> Pipeline | None:
        for p in self.pipelines:
            if p.path == path:
                return p
        return None

    def callers(self, pipeline: Pipeline) -> list[tuple[Pipeline, Job]]:
        """Active jobs of other pipelines that run ``pipeline``."""
        return [
            (p, j)
            for p in self.pipelines
            for j in p.active_jobs
            if j.calls == pipeline.path and p.path != pipeline.path
        ]

    def effective_triggers(
        self, pipeline: Pipeline, _seen: frozenset[str] = frozenset()
    ) -> tuple[Trigger, ...]:
        """The pipeline's triggers, with ``call`` replaced by what starts its callers."""
        out = [t for t in pipeline.triggers if t.kind != "call"]
        if any(t.kind == "call" for t in pipeline.triggers) and pipeline.path not in _seen:
            seen = _seen | {pipeline.path}
            for caller, job in self.callers(pipeline):
                out.extend(self.job_triggers(caller, job, seen))
        return tuple(out)

    def job_triggers(
        self, pipeline: Pipeline, job: Job, _seen: frozenset[str] = frozenset()
    ) -> tuple[Trigger, ...]:
        """The pipeline triggers under which ``job`` runs (its gate applied)."""
        out: list[Trigger] = []
        gate = job.gate
        for t in self.effective_triggers(pipeline, _seen):
            if gate.events is not None and t.kind not in gate.events:
                continue
            if gate.refs is not None:
                if t.kind == "tag":
                    if "tag" not in gate.refs:
                        continue
                elif t.kind == "pull_request":
                    continue
                else:
                    branches = tuple(r for r in gate.refs if r != "tag")
                    if not branches:
                        continue
                    if t.kind == "push":
                        kept = tuple(b for b in branches if _branch_covered(b, t))
                        if not kept:
                            continue
                        t = replace(t, branches=kept, exclude=())
            out.append(t)
        return tuple(out)

    def environments(self, pipeline: Pipeline, job: Job) -> tuple[str, ...]:
        """The job's environment names, with ``${{ inputs.x }}``/``${{ matrix.x }}`` resolved."""
        env = job.environment
        if not env:
            return ()
        m = _EXPR_REF.fullmatch(env.strip())
        if m is None:
            return (env,)
        scope, name = m.group(1), m.group(2)
        values: list[str] = []
        if scope == "matrix":
            values = [v for k, vs in job.matrix if k == name for v in vs]
        else:
            for _caller, cjob in self.callers(pipeline):
                values.extend(v for k, v in cjob.call_inputs if k == name and "${{" not in v)
        return tuple(dict.fromkeys(values)) or (env,)


def _is_approval(uses: str) -> bool:
    low = uses.lower()
    return low == "input" or low.startswith(("manualvalidation@", "trstringer/manual-approval"))


_EXPR_REF = re.compile(r"\$\{\{\s*(inputs|matrix)\.([\w-]+)\s*\}\}")


def covers_main(branches: Iterable[str], exclude: Iterable[str] = ()) -> bool:
    """True when branch filters (() = all branches) include main or master."""
    inc = [_strip_ref(b) for b in branches]
    exc = [_strip_ref(b) for b in exclude]
    for name in ("main", "master"):
        if inc and not any(fnmatch.fnmatchcase(name, pat) for pat in inc):
            continue
        if any(fnmatch.fnmatchcase(name, pat) for pat in exc):
            continue
        return True
    return False


def _branch_covered(branch: str, trigger: Trigger) -> bool:
    if branch == "main":
        return covers_main(trigger.branches, trigger.exclude)
    inc = [_strip_ref(b) for b in trigger.branches]
    return (not inc or any(fnmatch.fnmatchcase(branch, p) for p in inc)) and not any(
        fnmatch.fnmatchcase(branch, _strip_ref(p)) for p in trigger.exclude
    )


def _strip_ref(ref: str) -> str:
    return ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref


# ---------------------------------------------------------------------- public entry points


def load_ci(snapshot: RepoSnapshot) -> CIModel:
    """Parse every CI file of the snapshot once; later calls return the cached model."""
    cached = snapshot.cache.get(_MODEL_KEY)
    if isinstance(cached, CIModel):
        return cached
    model = _Builder(snapshot).build()
    snapshot.cache[_MODEL_KEY] = model
    return model


def ci_files(snapshot: RepoSnapshot) -> dict[str, list[str]]:
    """CI definition files by provider, selected by path only (nothing is read)."""
    out: dict[str, list[str]] = {"github": [], "azure": [], "gitlab": [], "jenkins": []}
    for entry in snapshot.files:
        path = entry.path
        # Cheap prefilter: every CI path is hidden, or names Jenkins or azure-pipelines.
        if not (path.startswith(".") or "azure-pipelines" in path or "enkinsfile" in path):
            continue
        name = entry.name
        yml = name.endswith((".yml", ".yaml"))
        if path.startswith(".github/workflows/") and path.count("/") == 2 and yml:
            out["github"].append(path)
        elif path == ".gitlab-ci.yml":
            out["gitlab"].append(path)
        elif yml and (
            name in ("azure-pipelines.yml", "azure-pipelines.yaml")
            or name.endswith((".azure-pipelines.yml", ".azure-pipelines.yaml"))
            or path.startswith((".azure-pipelines/", ".azuredevops/", ".pipelines/"))
        ):
            out["azure"].append(path)
        elif (
            name == "Jenkinsfile"
            or name.startswith("Jenkinsfile.")
            or name.endswith(".jenkinsfile")
        ):
            out["jenkins"].append(path)
    return out


def load_yaml(snapshot: RepoSnapshot, path: str) -> YMap | None:
    """The first YAML document of ``path`` as a :class:`YMap`, parsed once per snapshot.

    None when the file is missing, unreadable, not a mapping, or invalid YAML
    (then recorded in ``snapshot.unreadable``).
    """
    cache: dict[str, YMap | None] = snapshot.cache.setdefault(_YAML_KEY, {})
    if path in cache:
        return cache[path]
    doc: YMap | None = None
    text = snapshot.read_text(path) if snapshot.exists(path) else None
    if text is not None:
        try:
            doc = _parse_yaml(text)
        except _YamlFailure as exc:
            _record_unreadable(snapshot, path, f"invalid YAML: {exc}")
    cache[path] = doc
    return doc


def source_line(snapshot: RepoSnapshot, path: str, line: int) -> str:
    """Line ``line`` (1-based) of ``path``, stripped and cut to 120 characters."""
    cache: dict[str, list[str]] = snapshot.cache.setdefault(_LINES_KEY, {})
    lines = cache.get(path)
    if lines is None:
        lines = (snapshot.read_text(path) or "").splitlines()
        cache[path] = lines
    if 1 <= line <= len(lines):
        text = lines[line - 1].strip()
        return text if len(text) <= 120 else text[:117] + "..."
    return ""


def _record_unreadable(snapshot: RepoSnapshot, path: str, reason: str) -> None:
    # Once per path, shared with every other reader of the snapshot.
    snapshot.record_unreadable(path, reason)


# ---------------------------------------------------------------------- YAML with line numbers


@dataclass(frozen=True, slots=True)
class Span:
    """Where a mapping value or list item sits: 1-based lines and the scalar style."""

    key_line: int
    line: int
    end_line: int
    style: str = ""


class YMap(dict[str, Any]):
    """A YAML mapping with its line and each value's :class:`Span` (keys as written)."""

    __slots__ = ("line", "spans")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.spans: dict[str, Span] = {}

    def key_line(self, key: str) -> int:
        span = self.spans.get(key)
        return span.key_line if span else self.line

    def str(self, key: str) -> str:
        """The value of ``key`` as text when it is a scalar, else ''."""
        value = self.get(key)
        if value is None or isinstance(value, YMap | YList):
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


class YList(list[Any]):
    """A YAML sequence with its line and each item's :class:`Span`."""

    __slots__ = ("line", "spans")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.spans: list[Span] = []


class _YamlFailure(Exception):
    pass


def _parse_yaml(text: str) -> YMap | None:
    import yaml

    if too_deep(text):
        raise _YamlFailure("nested too deeply")
    loader = safe_loader()
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.MarkedYAMLError as exc:
        where = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        raise _YamlFailure(f"{exc.problem or exc.context or 'parse error'}{where}") from None
    except yaml.YAMLError as exc:
        raise _YamlFailure(str(exc).splitlines()[0] if str(exc) else "parse error") from None
    except RecursionError:
        raise _YamlFailure("nested too deeply") from None
    memo: dict[int, Any] = {}
    for node in nodes:
        if node is None:
            continue
        try:
            value = _convert(node, memo, 0)
        except RecursionError:
            raise _YamlFailure("nested too deeply") from None
        return value if isinstance(value, YMap) else None
    return None


def _span(key: Any, node: Any) -> Span:
    return Span(
        key_line=key.start_mark.line + 1 if key is not None else node.start_mark.line + 1,
        line=node.start_mark.line + 1,
        end_line=node.end_mark.line + 1,
        style=getattr(node, "style", None) or "",
    )


def _convert(node: Any, memo: dict[int, Any], depth: int) -> Any:
    import yaml

    if depth > _MAX_NESTING:
        raise _YamlFailure("nested too deeply")
    key = id(node)
    if key in memo:
        return memo[key]
    if isinstance(node, yaml.MappingNode):
        out = YMap(node.start_mark.line + 1)
        memo[key] = out
        merges = []
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                merges.append(v)
                continue
            if not isinstance(k, yaml.ScalarNode):
                continue
            # Keys stay as written: GitHub's `on:` must not become the boolean True.
            out[k.value] = _convert(v, memo, depth + 1)
            out.spans[k.value] = _span(k, v)
        for m in merges:
            for src in m.value if isinstance(m, yaml.SequenceNode) else [m]:
                conv = _convert(src, memo, depth + 1)
                if isinstance(conv, YMap):
                    for name, val in conv.items():
                        if name not in out:
                            out[name] = val
                            out.spans[name] = conv.spans[name]
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = YList(node.start_mark.line + 1)
        memo[key] = seq
        for item in node.value:
            seq.append(_convert(item, memo, depth + 1))
            seq.spans.append(_span(None, item))
        return seq
    return _scalar(node)


def _scalar(node: Any) -> Any:
    tag: str = node.tag
    value: str = node.value
    if tag.endswith(":bool"):
        return value.lower() in ("true", "yes", "on", "y")
    if tag.endswith(":null"):
        return None
    if tag.endswith(":int"):
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return value
    return value


def _items(value: Any) -> Iterator[tuple[Any, Span | None]]:
    """List items with spans; Azure template expressions (``- ${{ if }}:``) are flattened."""
    if not isinstance(value, YList):
        return
    for item, span in zip(value, value.spans, strict=True):
        if isinstance(item, YMap) and item and all(str(k).startswith("${{") for k in item):
            for inner in item.values():
                yield from _items(inner)
        else:
            yield item, span


def _as_list(value: Any) -> list[str]:
    """A scalar or list of scalars as strings."""
    if value is None or isinstance(value, YMap):
        return []
    if isinstance(value, YList):
        return [str(v) for v in value if v is not None and not isinstance(v, YMap | YList)]
    return [str(value)]


def _text(value: Any) -> str:
    if value is None or isinstance(value, YMap | YList):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_false(value: Any) -> bool:
    """True for a condition that can never hold: ``false``, ``${{ false }}``, ``'false'``, 0."""
    if value is False or (isinstance(value, int) and not isinstance(value, bool) and value == 0):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    text = text.strip("'\"").strip().lower()
    return text in ("false", "0") or bool(re.match(r"false\s*&&", text))


# ---------------------------------------------------------------------- shell scripts


def script_commands(script: str, first_line: int, per_line: bool = True) -> list[Command]:
    """Split a shell script into logical commands with their lines.

    ``per_line``: line i of the script is at ``first_line + i`` (literal blocks,
    Groovy strings); otherwise every command is reported at ``first_line``.
    """
    out: list[Command] = []
    pending: list[str] = []
    start = first_line
    for i, raw in enumerate(script.split("\n")):
        line_no = first_line + i if per_line else first_line
        stripped = raw.strip()
        if not pending:
            start = line_no
            if not stripped or stripped.startswith("#"):
                continue
        stripped = _strip_shell_comment(stripped)
        if stripped.endswith("\\") or stripped.endswith("`"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        text = " ".join(p for p in pending if p)
        pending = []
        if text:
            out.append(Command(text, start))
    if pending:
        text = " ".join(p for p in pending if p)
        if text:
            out.append(Command(text, start))
    return out


def _strip_shell_comment(line: str) -> str:
    quote = ""
    prev = " "
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and prev in " \t":
            return line[:i].rstrip()
        prev = ch
    return line


def _yaml_commands(value: Any, span: Span | None) -> list[Command]:
    if value is None or isinstance(value, YMap | YList) or span is None:
        return []
    text = _text(value)
    if span.style == "|":
        return script_commands(text, span.line + 1)
    if span.style == ">":
        return script_commands(text, span.line + 1, per_line=False)
    return script_commands(text, span.line, per_line=False)


# ---------------------------------------------------------------------- condition classifiers

_FLAGS = re.IGNORECASE

_GH_EVENT = re.compile(r"github\.event_name\s*==\s*['\"]([\w-]+)['\"]", _FLAGS)
_GH_MAIN = re.compile(
    r"github\.ref\s*==\s*['\"]refs/heads/(main|master)['\"]"
    r"|github\.ref_name\s*==\s*['\"](main|master)['\"]"
    r"|github\.ref\s*==\s*format\([^)]*default_branch",
    _FLAGS,
)
_GH_BRANCH = re.compile(r"github\.ref\s*==\s*['\"]refs/heads/([\w./-]+)['\"]", _FLAGS)
_GH_TAG = re.compile(
    r"startsWith\(\s*github\.ref\s*,\s*['\"]refs/tags|github\.ref_type\s*==\s*['\"]tag", _FLAGS
)
_GH_EVENT_KIND = {
    "pull_request": "pull_request",
    "pull_request_target": "pull_request",
    "schedule": "schedule",
    "workflow_dispatch": "manual",
    "repository_dispatch": "dispatch",
    "workflow_run": "dispatch",
    "push": "push",
    "release": "tag",
}

_AZ_REASON = re.compile(
    r"(not\(\s*)?eq\(\s*variables\[?['\"]?build\.reason['\"]?\]?\s*,\s*['\"](\w+)['\"]", _FLAGS
)
_AZ_MAIN = re.compile(
    r"(not\(\s*)?eq\(\s*variables\[?['\"]?build\.sourcebranch(name)?['\"]?\]?\s*,\s*"
    r"['\"](refs/heads/)?(main|master)['\"]",
    _FLAGS,
)
_AZ_TAG = re.compile(
    r"(not\(\s*)?startsWith\(\s*variables\[?['\"]?build\.sourcebranch['\"]?\]?\s*,\s*['\"]refs/tags",
    _FLAGS,
)
_AZ_REASON_KIND = {
    "pullrequest": "pull_request",
    "schedule": "schedule",
    "manual": "manual",
    "individualci": "push",
    "batchedci": "push",
    "resourcetrigger": "dispatch",
    "buildcompletion": "dispatch",
}

_GL_SOURCE = re.compile(r"\$CI_PIPELINE_SOURCE\s*==\s*['\"]([\w-]+)['\"]", _FLAGS)
_GL_MR = re.compile(r"\$CI_MERGE_REQUEST_I?ID\b(?!\s*==\s*null)", _FLAGS)
_GL_MAIN = re.compile(
    r"\$CI_COMMIT_(BRANCH|REF_NAME)\s*==\s*(\$CI_DEFAULT_BRANCH|['\"](main|master)['\"])", _FLAGS
)
_GL_BRANCH = re.compile(r"\$CI_COMMIT_(?:BRANCH|REF_NAME)\s*==\s*['\"]([\w./-]+)['\"]", _FLAGS)
_GL_TAG = re.compile(r"\$CI_COMMIT_TAG\b(?!\s*==\s*null)", _FLAGS)
_GL_SOURCE_KIND = {
    "merge_request_event": "pull_request",
    "external_pull_request_event": "pull_request",
    "schedule": "schedule",
    "web": "manual",
    "api": "dispatch",
    "trigger": "dispatch",
    "pipeline": "dispatch",
    "parent_pipeline": "call",
    "push": "push",
}
_GL_ONLY_KIND = {
    "merge_requests": "pull_request",
    "external_pull_requests": "pull_request",
    "schedules": "schedule",
    "web": "manual",
    "api": "dispatch",
    "triggers": "dispatch",
    "pipelines": "dispatch",
    "pushes": "push",
}


def classify_condition(provider: str, text: str) -> Gate:
    """The restriction a condition expression puts on a job (conservative).

    Disjunctions are split and their gates joined; anything not understood
    restricts nothing.
    """
    if not text.strip():
        return Gate()
    if provider == "azure":
        if re.search(r"\bor\(", text, _FLAGS):
            return Gate()
        return _classify_one(provider, text)
    gate: Gate | None = None
    for part in text.split("||"):
        one = _classify_one(provider, part)
        gate = one if gate is None else gate.union(one)
    return gate or Gate()


def _classify_one(provider: str, text: str) -> Gate:
    events: set[str] = set()
    refs: set[str] = set()
    if provider == "github":
        for m in _GH_EVENT.finditer(text):
            events.add(_GH_EVENT_KIND.get(m.group(1), "other"))
        if _GH_MAIN.search(text):
            refs.add("main")
        else:
            refs.update(m.group(1) for m in _GH_BRANCH.finditer(text))
        if _GH_TAG.search(text):
            refs.add("tag")
    elif provider == "azure":
        for m in _AZ_REASON.finditer(text):
            if not m.group(1):
                events.add(_AZ_REASON_KIND.get(m.group(2).lower(), "other"))
        for m in _AZ_MAIN.finditer(text):
            if not m.group(1):
                refs.add("main")
        for m in _AZ_TAG.finditer(text):
            if not m.group(1):
                refs.add("tag")
    elif provider == "gitlab":
        for m in _GL_SOURCE.finditer(text):
            events.add(_GL_SOURCE_KIND.get(m.group(1).lower(), "other"))
        if _GL_MR.search(text):
            events.add("pull_request")
        if _GL_MAIN.search(text):
            refs.add("main")
        else:
            refs.update(m.group(1) for m in _GL_BRANCH.finditer(text))
        if _GL_TAG.search(text):
            refs.add("tag")
    return Gate(frozenset(events) if events else None, frozenset(refs) if refs else None)


# ---------------------------------------------------------------------- the builder


class _Builder:
    """Builds the :class:`CIModel` of one snapshot."""

    def __init__(self, snapshot: RepoSnapshot) -> None:
        self.snap = snapshot
        self.budget = _MAX_COMMANDS_PER_PIPELINE
        #: Azure files referenced as templates: parts of other pipelines, not pipelines.
        self.azure_templates: set[str] = set()
        #: GitLab files to parse: the root file, then child pipelines found on the way.
        self.gitlab_queue: list[str] = []

    def build(self) -> CIModel:
        files = ci_files(self.snap)
        pipelines: list[Pipeline] = []
        for path in files["github"]:
            doc = load_yaml(self.snap, path)
            if doc is not None:
                self.budget = _MAX_COMMANDS_PER_PIPELINE
                pipelines.append(self._github(path, doc))
        azure: list[Pipeline] = []
        for path in files["azure"]:
            doc = load_yaml(self.snap, path)
            if doc is not None:
                self.budget = _MAX_COMMANDS_PER_PIPELINE
                azure.append(self._azure(path, doc))
        pipelines.extend(p for p in azure if p.path not in self.azure_templates)
        self.gitlab_queue = list(files["gitlab"])
        done: set[str] = set()
        while self.gitlab_queue:
            path = self.gitlab_queue.pop(0)
            if path in done:
                continue
            done.add(path)
            doc = load_yaml(self.snap, path)
            if doc is not None:
                self.budget = _MAX_COMMANDS_PER_PIPELINE
                pipelines.append(self._gitlab(path, doc, path not in files["gitlab"]))
        for path in files["jenkins"]:
            text = self.snap.read_text(path)
            if text is None:
                continue
            try:
                pipelines.append(_parse_jenkins(path, text))
            except RecursionError:
                _record_unreadable(self.snap, path, "invalid Jenkinsfile: nested too deeply")
        return CIModel(tuple(pipelines))

    def _commands(self, value: Any, span: Span | None) -> tuple[Command, ...]:
        if self.budget <= 0:
            return ()
        cmds = _yaml_commands(value, span)[: self.budget]
        self.budget -= len(cmds)
        return tuple(cmds)

    def _resolve(self, base: str, ref: str, root_relative: bool = False) -> str | None:
        """A repo path for a reference in ``base``; None when external or missing."""
        ref = ref.strip()
        if not ref or "@" in ref or "://" in ref or "${{" in ref or "$(" in ref:
            return None
        if ref.startswith("/") or root_relative:
            path = posixpath.normpath(ref.lstrip("/"))
        else:
            path = posixpath.normpath(posixpath.join(posixpath.dirname(base), ref))
        if path.startswith("../") or path == "..":
            return None
        return path if self.snap.exists(path) else None

    # ------------------------------------------------------------------ GitHub Actions

    def _github(self, path: str, doc: YMap) -> Pipeline:
        triggers = _github_triggers(path, doc)
        jobs: list[Job] = []
        sources = [path]
        jobs_map = doc.get("jobs")
        if isinstance(jobs_map, YMap):
            for job_id, jv in jobs_map.items():
                if isinstance(jv, YMap):
                    jobs.append(self._github_job(path, str(job_id), jv, jobs_map, sources))
        name = doc.str("name") or path.rsplit("/", 1)[-1]
        return Pipeline("github", path, name, 1, tuple(triggers), tuple(jobs), tuple(sources))

    def _github_job(
        self, path: str, job_id: str, jv: YMap, parent: YMap, sources: list[str]
    ) -> Job:
        steps: list[Step] = []
        for item, span in _items(jv.get("steps")):
            if isinstance(item, YMap):
                steps.extend(self._github_step(path, item, span, sources, 0))
        env_val = jv.get("environment")
        env = env_val.str("name") if isinstance(env_val, YMap) else _text(env_val)
        cond = _text(jv.get("if"))
        calls = ""
        uses = jv.str("uses")
        if uses.startswith("./"):
            calls = self._resolve(path, uses, root_relative=True) or ""
        call_inputs: list[tuple[str, str]] = []
        with_map = jv.get("with")
        if isinstance(with_map, YMap):
            call_inputs = [(str(k), _text(v)) for k, v in with_map.items() if _text(v)]
        if uses and not calls:
            # A reusable workflow from another repository: keep it visible as a step.
            steps.append(Step(path, jv.key_line("uses"), uses=uses, inputs=tuple(call_inputs)))
        return Job(
            path=path,
            line=parent.key_line(job_id),
            id=job_id,
            name=jv.str("name"),
            steps=tuple(steps),
            environment=env,
            environment_line=jv.key_line("environment") if env else 0,
            condition=cond,
            gate=classify_condition("github", cond),
            disabled="if" in jv and is_false(jv.get("if")),
            needs=tuple(_as_list(jv.get("needs"))),
            calls=calls,
            call_inputs=tuple(call_inputs),
            matrix=_github_matrix(jv),
        )

    def _github_step(
        self, path: str, item: YMap, span: Span | None, sources: list[str], depth: int
    ) -> list[Step]:
        uses = item.str("uses")
        inputs: list[tuple[str, str]] = []
        commands = list(self._commands(item.get("run"), item.spans.get("run")))
        with_map = item.get("with")
        if isinstance(with_map, YMap):
            for k, v in with_map.items():
                inputs.append((str(k), _text(v)))
                if str(k).lower() in _SCRIPT_INPUTS:
                    commands.extend(self._commands(v, with_map.spans.get(k)))
        cond = _text(item.get("if"))
        disabled = "if" in item and is_false(item.get("if"))
        step = Step(
            path=path,
            line=item.line,
            name=item.str("name"),
            id=item.str("id"),
            commands=tuple(commands),
            uses=uses,
            inputs=tuple(inputs),
            condition=cond,
            disabled=disabled,
        )
        out = [step]
        if uses.startswith("./") and depth < _MAX_DEPTH:
            # A local composite action: its steps run as part of this step.
            folder = posixpath.normpath(uses[2:])
            for name in ("action.yml", "action.yaml"):
                apath = f"{folder}/{name}"
                adoc = load_yaml(self.snap, apath) if self.snap.exists(apath) else None
                if adoc is None:
                    continue
                sources.append(apath)
                runs = adoc.get("runs")
                if isinstance(runs, YMap):
                    for sub, sspan in _items(runs.get("steps")):
                        if isinstance(sub, YMap):
                            for inner in self._github_step(apath, sub, sspan, sources, depth + 1):
                                out.append(replace(inner, disabled=inner.disabled or disabled))
                break
        return out

    # ------------------------------------------------------------------ Azure Pipelines

    def _azure(self, path: str, doc: YMap) -> Pipeline:
        triggers = _azure_triggers(path, doc)
        sources = [path]
        jobs: list[Job] = []
        self._azure_body(path, doc, jobs, sources, Gate(), "", False, 0)
        extends = doc.get("extends")
        if isinstance(extends, YMap):
            ref = extends.str("template")
            tpath = self._resolve(path, ref)
            params = extends.get("parameters")
            if tpath:
                self._azure_template(tpath, jobs, sources, "body", Gate(), "", False, 0)
            if isinstance(params, YMap):
                # Stages/jobs/steps handed to the template as parameters still run.
                self._azure_body(path, params, jobs, sources, Gate(), "", False, 1)
        name = doc.str("name") or path.rsplit("/", 1)[-1]
        return Pipeline("azure", path, name, 1, tuple(triggers), tuple(jobs), tuple(sources))

    def _azure_template(
        self,
        tpath: str,
        jobs: list[Job],
        sources: list[str],
        level: str,
        gate: Gate,
        stage: str,
        disabled: bool,
        depth: int,
    ) -> list[Step]:
        """Expand a template at ``level`` ("body", "stages", "jobs" or "steps")."""
        if depth >= _MAX_DEPTH:
            return []
        self.azure_templates.add(tpath)
        tdoc = load_yaml(self.snap, tpath)
        if tdoc is None:
            return []
        if tpath not in sources:
            sources.append(tpath)
        if level == "steps":
            return self._azure_steps(tpath, tdoc.get("steps"), sources, depth + 1)
        self._azure_body(tpath, tdoc, jobs, sources, gate, stage, disabled, depth + 1)
        return []

    def _azure_body(
        self,
        path: str,
        doc: YMap,
        jobs: list[Job],
        sources: list[str],
        gate: Gate,
        stage: str,
        disabled: bool,
        depth: int,
    ) -> None:
        if "stages" in doc:
            for item, _span in _items(doc.get("stages")):
                if isinstance(item, YMap):
                    self._azure_stage(path, item, jobs, sources, depth)
        if "jobs" in doc:
            self._azure_jobs(path, doc.get("jobs"), jobs, sources, gate, stage, disabled, depth)
        if "steps" in doc and isinstance(doc.get("steps"), YList):
            steps = self._azure_steps(path, doc.get("steps"), sources, depth)
            line = doc.key_line("steps")
            if steps:
                jobs.append(
                    Job(
                        path,
                        line,
                        "(steps)",
                        steps=tuple(steps),
                        stage=stage,
                        gate=gate,
                        disabled=disabled,
                    )
                )

    def _azure_stage(
        self, path: str, item: YMap, jobs: list[Job], sources: list[str], depth: int
    ) -> None:
        if "template" in item and "stage" not in item:
            tpath = self._resolve(path, item.str("template"))
            if tpath:
                self._azure_template(tpath, jobs, sources, "stages", Gate(), "", False, depth)
            return
        cond = _text(item.get("condition"))
        name = item.str("stage")
        self._azure_jobs(
            path,
            item.get("jobs"),
            jobs,
            sources,
            classify_condition("azure", cond),
            name,
            ("condition" in item and is_false(item.get("condition")))
            or item.get("enabled") is False,
            depth,
        )

    def _azure_jobs(
        self,
        path: str,
        value: Any,
        jobs: list[Job],
        sources: list[str],
        gate: Gate,
        stage: str,
        disabled: bool,
        depth: int,
    ) -> None:
        for item, _span in _items(value):
            if not isinstance(item, YMap):
                continue
            if "template" in item and "job" not in item and "deployment" not in item:
                tpath = self._resolve(path, item.str("template"))
                if tpath:
                    self._azure_template(tpath, jobs, sources, "jobs", gate, stage, disabled, depth)
                continue
            cond = _text(item.get("condition"))
            job_disabled = (
                disabled
                or ("condition" in item and is_false(item.get("condition")))
                or item.get("enabled") is False
            )
            steps: list[Step] = []
            env = ""
            env_line = 0
            deployment = "deployment" in item
            if deployment:
                env_val = item.get("environment")
                env = env_val.str("name") if isinstance(env_val, YMap) else _text(env_val)
                # "name.resource" targets a resource inside the environment.
                env = env.split(".", 1)[0] if env and "$" not in env else env
                env_line = item.key_line("environment") if env else 0
                strategy = item.get("strategy")
                if isinstance(strategy, YMap):
                    for kind in strategy.values():
                        if isinstance(kind, YMap):
                            steps.extend(self._azure_hooks(path, kind, sources, depth))
            steps.extend(self._azure_steps(path, item.get("steps"), sources, depth))
            job_id = item.str("deployment") if deployment else item.str("job")
            jobs.append(
                Job(
                    path=path,
                    line=item.line,
                    id=job_id or "(job)",
                    name=item.str("displayName"),
                    stage=stage,
                    steps=tuple(steps),
                    environment=env,
                    environment_line=env_line,
                    condition=cond,
                    gate=classify_condition("azure", cond).narrowed_by(gate),
                    disabled=job_disabled,
                    deployment=deployment and bool(env),
                    needs=tuple(_as_list(item.get("dependsOn"))),
                )
            )

    def _azure_hooks(self, path: str, kind: YMap, sources: list[str], depth: int) -> list[Step]:
        steps: list[Step] = []
        for hook_name, hook in kind.items():
            if not isinstance(hook, YMap):
                continue
            if hook_name == "on":
                for sub in hook.values():
                    if isinstance(sub, YMap):
                        steps.extend(self._azure_steps(path, sub.get("steps"), sources, depth))
            else:
                steps.extend(self._azure_steps(path, hook.get("steps"), sources, depth))
        return steps

    def _azure_steps(self, path: str, value: Any, sources: list[str], depth: int) -> list[Step]:
        steps: list[Step] = []
        for item, _span in _items(value):
            if not isinstance(item, YMap):
                continue
            if "template" in item and "task" not in item:
                tpath = self._resolve(path, item.str("template"))
                if tpath:
                    steps.extend(
                        self._azure_template(tpath, [], sources, "steps", Gate(), "", False, depth)
                    )
                continue
            commands: list[Command] = []
            for key in ("script", "bash", "pwsh", "powershell"):
                if key in item:
                    commands.extend(self._commands(item.get(key), item.spans.get(key)))
            task = item.str("task")
            inputs: list[tuple[str, str]] = []
            in_map = item.get("inputs")
            if isinstance(in_map, YMap):
                for k, v in in_map.items():
                    inputs.append((str(k), _text(v)))
                    if str(k).lower() in _SCRIPT_INPUTS:
                        commands.extend(self._commands(v, in_map.spans.get(k)))
                commands.extend(_azure_task_command(task, in_map))
            cond = _text(item.get("condition"))
            steps.append(
                Step(
                    path=path,
                    line=item.line,
                    name=item.str("displayName"),
                    id=item.str("name"),
                    commands=tuple(commands),
                    uses=task,
                    inputs=tuple(inputs),
                    condition=cond,
                    disabled=item.get("enabled") is False
                    or ("condition" in item and is_false(item.get("condition"))),
                )
            )
        return steps

    # ------------------------------------------------------------------ GitLab CI

    def _gitlab(self, path: str, doc: YMap, child: bool) -> Pipeline:
        sources = [path]
        entries: dict[str, tuple[str, YMap, YMap]] = {}  # name -> (file, parent map, job map)
        for inc_path in self._gitlab_includes(path, doc, set()):
            inc = load_yaml(self.snap, inc_path)
            if inc is None:
                continue
            sources.append(inc_path)
            for key, val in inc.items():
                if isinstance(val, YMap):
                    entries[str(key)] = (inc_path, inc, val)
        for key, val in doc.items():
            if isinstance(val, YMap):
                entries[str(key)] = (path, doc, val)
        default = doc.get("default")
        default_map = default if isinstance(default, YMap) else YMap(0)
        defaults: dict[str, tuple[str, YMap]] = {}
        for key in ("before_script", "after_script"):
            if key in default_map:
                defaults[key] = (path, default_map)
            elif key in doc:
                defaults[key] = (path, doc)

        workflow = doc.get("workflow")
        wf_gate = Gate()
        events_seen: dict[str, int] = {}
        if isinstance(workflow, YMap):
            wf_gate, _never, _manual = _gitlab_rules(workflow.get("rules"), events_seen)

        jobs: list[Job] = []
        for name, (fpath, parent, jmap) in entries.items():
            if name in _GITLAB_RESERVED or name.startswith("."):
                continue
            merged = self._gitlab_extends(name, fpath, jmap, entries, 0)
            if not any(k in merged for k in ("script", "trigger", "run")):
                continue
            jobs.append(
                self._gitlab_job(name, fpath, parent, merged, defaults, wf_gate, events_seen)
            )

        triggers: list[Trigger] = []
        if child:
            triggers.append(Trigger("call", "parent_pipeline", path, 1))
        else:
            triggers.append(Trigger("push", "push", path, 1, implicit=True))
            triggers.append(Trigger("tag", "tag", path, 1, implicit=True))
            for kind, line in events_seen.items():
                if kind in ("pull_request", "schedule", "manual", "dispatch"):
                    triggers.append(Trigger(kind, kind, path, line))
        return Pipeline("gitlab", path, path, 1, tuple(triggers), tuple(jobs), tuple(sources))

    def _gitlab_includes(self, path: str, doc: YMap, seen: set[str]) -> list[str]:
        out: list[str] = []
        inc = doc.get("include")
        refs: list[str] = []
        items = inc if isinstance(inc, YList) else [inc]
        for item in items:
            if isinstance(item, str):
                if "://" not in item:
                    refs.append(item)
            elif isinstance(item, YMap) and "local" in item:
                refs.append(item.str("local"))
        for ref in refs:
            for target in self._gitlab_local(ref):
                if target in seen or target == path or len(seen) > 50:
                    continue
                seen.add(target)
                out.append(target)
                sub = load_yaml(self.snap, target)
                if sub is not None:
                    out.extend(self._gitlab_includes(target, sub, seen))
        return out

    def _gitlab_local(self, ref: str) -> list[str]:
        ref = ref.strip().lstrip("/")
        if not ref or "$" in ref:
            return []
        if any(c in ref for c in "*?["):
            return [e.path for e in self.snap.glob(ref)]
        return [ref] if self.snap.exists(ref) else []

    def _gitlab_extends(
        self,
        name: str,
        fpath: str,
        jmap: YMap,
        entries: dict[str, tuple[str, YMap, YMap]],
        depth: int,
    ) -> dict[str, tuple[Any, Span | None, str, YMap]]:
        """Job keys after ``extends:``: key -> (value, span, file, owning map)."""
        merged: dict[str, tuple[Any, Span | None, str, YMap]] = {}
        if depth < _MAX_DEPTH:
            for parent in _as_list(jmap.get("extends")):
                if parent in entries and parent != name:
                    ppath, _pp, pmap = entries[parent]
                    merged.update(self._gitlab_extends(parent, ppath, pmap, entries, depth + 1))
        for key, val in jmap.items():
            merged[str(key)] = (val, jmap.spans.get(key), fpath, jmap)
        return merged

    def _gitlab_job(
        self,
        name: str,
        fpath: str,
        parent: YMap,
        merged: dict[str, tuple[Any, Span | None, str, YMap]],
        defaults: dict[str, tuple[str, YMap]],
        wf_gate: Gate,
        events_seen: dict[str, int],
    ) -> Job:
        def get(key: str) -> Any:
            return merged[key][0] if key in merged else None

        steps: list[Step] = []
        for section in ("before_script", "script", "after_script"):
            if section in merged:
                value, span, spath, _owner = merged[section]
            elif section in defaults:
                spath, owner = defaults[section]
                value, span = owner.get(section), owner.spans.get(section)
            else:
                continue
            commands = self._gitlab_script(value, span)
            line = span.key_line if span else parent.key_line(name)
            steps.append(Step(spath, line, name=section, commands=commands))
        calls = ""
        trig = get("trigger")
        if trig is not None:
            line = merged["trigger"][1].key_line if merged["trigger"][1] else 0
            if isinstance(trig, YMap):
                inc = trig.get("include")
                refs = [inc] if isinstance(inc, str) else []
                for item, _span in _items(inc):
                    if isinstance(item, str):
                        refs.append(item)
                    elif isinstance(item, YMap) and "local" in item:
                        refs.append(item.str("local"))
                for ref in refs:
                    for target in self._gitlab_local(ref):
                        calls = target
                        self.gitlab_queue.append(target)
                        break
                project = trig.str("project")
                if project:
                    steps.append(Step(fpath, line, name="trigger", uses=f"trigger:{project}"))
            else:
                steps.append(Step(fpath, line, name="trigger", uses=f"trigger:{_text(trig)}"))

        env_val = get("environment")
        env = env_val.str("name") if isinstance(env_val, YMap) else _text(env_val)
        action = env_val.str("action") if isinstance(env_val, YMap) else ""
        deployment = bool(env) and action not in ("stop", "prepare", "verify", "access")
        env_line = merged["environment"][1].key_line if env and merged["environment"][1] else 0

        when = _text(get("when"))
        gate = Gate()
        disabled = when == "never"
        manual = when == "manual"
        conditions: list[str] = []
        # A job that never runs must not make the pipeline look scheduled.
        seen = {} if disabled else events_seen
        if "rules" in merged:
            gate, never, rule_manual = _gitlab_rules(get("rules"), seen)
            disabled = disabled or never
            manual = manual or rule_manual
            conditions = [
                _text(r.get("if"))
                for r, _span in _items(get("rules"))
                if isinstance(r, YMap) and _text(r.get("when")) != "never"
            ]
        elif "only" in merged:
            gate = _gitlab_only(get("only"), merged["only"][1], seen)
            conditions = ["only: " + ", ".join(_gitlab_only_refs(get("only")))]
        gate = gate.narrowed_by(wf_gate)
        return Job(
            path=fpath,
            line=parent.key_line(name),
            id=name,
            stage=_text(get("stage")),
            steps=tuple(steps),
            environment=env if deployment else "",
            environment_line=env_line if deployment else 0,
            condition=" || ".join(c for c in conditions if c),
            gate=gate,
            disabled=disabled,
            manual=manual,
            deployment=deployment,
            needs=tuple(
                n.str("job") if isinstance(n, YMap) else str(n) for n, _s in _items(get("needs"))
            ),
            calls=calls,
        )

    def _gitlab_script(self, value: Any, span: Span | None) -> tuple[Command, ...]:
        if isinstance(value, YList):
            out: list[Command] = []
            stack: list[tuple[Any, Span | None]] = list(zip(value, value.spans, strict=True))
            stack.reverse()
            while stack and self.budget > 0:
                item, ispan = stack.pop()
                if isinstance(item, YList):
                    # Nested lists come from anchors (`- *setup`); flatten in order.
                    stack.extend(reversed(list(zip(item, item.spans, strict=True))))
                else:
                    out.extend(self._commands(item, ispan))
            return tuple(out)
        return self._commands(value, span)


_SCRIPT_INPUTS = frozenset(
    {"inlinescript", "inline-script", "script", "run", "command", "commands", "inline"}
)

_GITLAB_RESERVED = frozenset(
    {
        "stages",
        "variables",
        "include",
        "default",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "types",
        "spec",
    }
)


def _azure_task_command(task: str, inputs: YMap) -> list[Command]:
    """Synthetic commands for tasks that run a script file or wrap a known CLI."""
    low = task.lower()
    out: list[Command] = []
    args = inputs.str("arguments") or inputs.str("scriptArguments")
    for key in ("scriptPath", "filePath"):
        script_path = inputs.str(key)
        if script_path:
            runner = "python" if low.startswith("pythonscript") else "bash"
            out.append(Command(f"{runner} {script_path} {args}".strip(), inputs.key_line(key)))
            break
    tool = _TASK_TOOLS.get(low.split("@", 1)[0].rstrip("v0123456789"), "")
    command = inputs.str("command").lower()
    if tool and command:
        line = inputs.key_line("command")
        if tool == "docker" and command == "buildandpush":
            out.append(Command("docker build", line))
            command = "push"
        out.append(Command(f"{tool} {command} {args}".strip(), line))
    return out


#: Azure tasks that wrap a CLI through their ``command`` input.
_TASK_TOOLS = {
    "docker": "docker",
    "kubernetes": "kubectl",
    "helmdeploy": "helm",
    "terraformtask": "terraform",
    "terraformcli": "terraform",
    "terraform": "terraform",
}


def _github_triggers(path: str, doc: YMap) -> list[Trigger]:
    if "on" in doc:
        value, span = doc.get("on"), doc.spans["on"]
    elif "true" in doc:
        value, span = doc.get("true"), doc.spans["true"]
    else:
        return []
    events: list[tuple[str, Any, int]] = []
    if isinstance(value, str):
        events.append((value, None, span.line))
    elif isinstance(value, YList):
        events.extend((str(v), None, s.line) for v, s in zip(value, value.spans, strict=True))
    elif isinstance(value, YMap):
        events.extend((str(k), v, value.key_line(k)) for k, v in value.items())
    out: list[Trigger] = []
    for event, cfg, line in events:
        cfg_map = cfg if isinstance(cfg, YMap) else YMap(line)
        if event == "push":
            has_br = "branches" in cfg_map or "branches-ignore" in cfg_map
            has_tag = "tags" in cfg_map or "tags-ignore" in cfg_map
            if has_br or not has_tag:
                out.append(
                    Trigger(
                        "push",
                        event,
                        path,
                        line,
                        tuple(_as_list(cfg_map.get("branches"))),
                        tuple(_as_list(cfg_map.get("branches-ignore"))),
                    )
                )
            if has_tag or not has_br:
                tags = ", ".join(_as_list(cfg_map.get("tags")))
                tline = cfg_map.key_line("tags") if "tags" in cfg_map else line
                out.append(Trigger("tag", event, path, tline, detail=tags, implicit=not has_tag))
        elif event in ("pull_request", "pull_request_target"):
            out.append(
                Trigger("pull_request", event, path, line, tuple(_as_list(cfg_map.get("branches"))))
            )
        elif event == "schedule":
            for item, ispan in _items(cfg):
                if isinstance(item, YMap) and "cron" in item:
                    out.append(
                        Trigger(
                            "schedule", event, path, item.key_line("cron"), detail=item.str("cron")
                        )
                    )
                elif ispan is not None:
                    out.append(Trigger("schedule", event, path, ispan.line))
            if not isinstance(cfg, YList):
                out.append(Trigger("schedule", event, path, line))
        elif event == "workflow_dispatch":
            out.append(Trigger("manual", event, path, line))
        elif event == "repository_dispatch":
            types = ", ".join(_as_list(cfg_map.get("types")))
            out.append(Trigger("dispatch", event, path, line, detail=types))
        elif event == "workflow_run":
            names = ", ".join(_as_list(cfg_map.get("workflows")))
            out.append(
                Trigger(
                    "dispatch",
                    event,
                    path,
                    line,
                    tuple(_as_list(cfg_map.get("branches"))),
                    detail=names,
                )
            )
        elif event == "workflow_call":
            out.append(Trigger("call", event, path, line))
        elif event == "release":
            out.append(Trigger("tag", event, path, line, detail="release"))
        else:
            out.append(Trigger("other", event, path, line))
    return out


def _github_matrix(jv: YMap) -> tuple[tuple[str, tuple[str, ...]], ...]:
    strategy = jv.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, YMap) else None
    if not isinstance(matrix, YMap):
        return ()
    axes: dict[str, list[str]] = {}
    for key, val in matrix.items():
        if key in ("include", "exclude"):
            continue
        axes.setdefault(str(key), []).extend(_as_list(val))
    for item, _span in _items(matrix.get("include")):
        if isinstance(item, YMap):
            for key in item:
                value = item.str(key)
                if value:
                    axes.setdefault(str(key), []).append(value)
    return tuple((k, tuple(dict.fromkeys(v))) for k, v in axes.items())


def _azure_filter(value: Any) -> tuple[list[str], list[str], list[str], list[str]]:
    """(branches include, branches exclude, tags include, tags exclude) of a trigger."""
    if isinstance(value, str):
        return [value], [], [], []
    if isinstance(value, YList):
        return _as_list(value), [], [], []
    if not isinstance(value, YMap):
        return [], [], [], []
    br = value.get("branches")
    tags = value.get("tags")
    if isinstance(br, YMap):
        b_inc, b_exc = _as_list(br.get("include")), _as_list(br.get("exclude"))
    else:
        b_inc, b_exc = _as_list(br), []
    if isinstance(tags, YMap):
        t_inc, t_exc = _as_list(tags.get("include")), _as_list(tags.get("exclude"))
    else:
        t_inc, t_exc = _as_list(tags), []
    return b_inc, b_exc, t_inc, t_exc


def _azure_triggers(path: str, doc: YMap) -> list[Trigger]:
    out: list[Trigger] = []
    if "trigger" not in doc:
        # Azure's default: every push to every branch runs the pipeline.
        out.append(Trigger("push", "trigger", path, 1, implicit=True))
    else:
        value = doc.get("trigger")
        line = doc.key_line("trigger")
        if not (value is None or (isinstance(value, str) and value.lower() == "none")):
            b_inc, b_exc, t_inc, _t_exc = _azure_filter(value)
            tag_refs = [b for b in b_inc if b.startswith("refs/tags/")]
            b_inc = [b for b in b_inc if not b.startswith("refs/tags/")]
            only_tags = bool(t_inc or tag_refs) and not b_inc and not b_exc
            if not only_tags:
                out.append(Trigger("push", "trigger", path, line, tuple(b_inc), tuple(b_exc)))
            if t_inc or tag_refs:
                out.append(
                    Trigger("tag", "trigger", path, line, detail=", ".join(t_inc + tag_refs))
                )
    if "pr" in doc:
        value = doc.get("pr")
        if not (value is None or (isinstance(value, str) and value.lower() == "none")):
            b_inc, _b_exc, _t, _te = _azure_filter(value)
            out.append(Trigger("pull_request", "pr", path, doc.key_line("pr"), tuple(b_inc)))
    for item, span in _items(doc.get("schedules")):
        if isinstance(item, YMap):
            b_inc, b_exc, _t, _te = _azure_filter(item)
            line = item.key_line("cron") if "cron" in item else (span.line if span else 1)
            out.append(
                Trigger(
                    "schedule",
                    "schedules",
                    path,
                    line,
                    tuple(b_inc),
                    tuple(b_exc),
                    detail=item.str("cron"),
                )
            )
    resources = doc.get("resources")
    if isinstance(resources, YMap):
        for item, _span in _items(resources.get("pipelines")):
            if isinstance(item, YMap) and item.get("trigger") not in (None, False, "none"):
                b_inc, b_exc, _t, _te = _azure_filter(item.get("trigger"))
                out.append(
                    Trigger(
                        "dispatch",
                        "resources.pipelines",
                        path,
                        item.key_line("trigger"),
                        tuple(b_inc),
                        tuple(b_exc),
                        detail=item.str("source") or item.str("pipeline"),
                    )
                )
    return out


def _gitlab_rules(value: Any, events_seen: dict[str, int]) -> tuple[Gate, bool, bool]:
    """(gate, never runs, manual) for a GitLab ``rules:`` list."""
    gate: Gate | None = None
    manual = False
    any_rule = False
    for item, _span in _items(value):
        if not isinstance(item, YMap):
            continue
        any_rule = True
        when = _text(item.get("when"))
        if when == "never":
            continue  # an exclusion: says nothing about when the job runs
        cond = _text(item.get("if"))
        one = classify_condition("gitlab", cond) if cond else Gate()
        for ev in one.events or ():
            events_seen.setdefault(ev, item.key_line("if"))
        if when == "manual":
            manual = True
        gate = one if gate is None else gate.union(one)
    never = any_rule and gate is None
    return gate or Gate(), never, manual


def _gitlab_only_refs(value: Any) -> list[str]:
    if isinstance(value, YMap):
        return _as_list(value.get("refs"))
    return _as_list(value)


def _gitlab_only(value: Any, span: Span | None, events_seen: dict[str, int]) -> Gate:
    events: set[str] = set()
    refs: set[str] = set()
    line = span.key_line if span else 1
    for ref in _gitlab_only_refs(value):
        low = ref.lower()
        if low in _GL_ONLY_KIND:
            kind = _GL_ONLY_KIND[low]
            events.add(kind)
            events_seen.setdefault(kind, line)
        elif low == "tags":
            refs.add("tag")
        elif low == "branches":
            events.add("push")
        elif low in ("main", "master"):
            refs.add("main")
        else:
            refs.add(ref)
    if events and refs:
        # `only: [main, schedules]` means either: keep the union, restrict nothing.
        return Gate()
    return Gate(frozenset(events) if events else None, frozenset(refs) if refs else None)


# ---------------------------------------------------------------------- Jenkins (Groovy)


@dataclass(slots=True)
class _Tok:
    kind: str  # "id", "str", "nl", "p" (punctuation/operator), "num"
    value: str
    line: int


@dataclass(slots=True)
class _GNode:
    """One Groovy statement: its leading name, head tokens and closure body."""

    name: str
    line: int
    head: list[_Tok]
    body: list[_GNode]

    def strings(self) -> list[_Tok]:
        return [t for t in self.head if t.kind == "str"]

    def named(self, key: str) -> _Tok | None:
        for i, t in enumerate(self.head[:-2]):
            if (
                t.kind == "id"
                and t.value == key
                and self.head[i + 1].value == ":"
                and self.head[i + 2].kind == "str"
            ):
                return self.head[i + 2]
        return None

    def text(self) -> str:
        return " ".join(t.value for t in self.head)


def groovy_tokens(text: str) -> list[_Tok]:
    """Tokenise Groovy: comments dropped, strings kept whole, newlines kept."""
    toks: list[_Tok] = []
    i, n, line = 0, len(text), 1
    if text.startswith("#!"):
        i = text.find("\n")
        i = n if i < 0 else i
    while i < n:
        c = text[i]
        if c == "\n":
            toks.append(_Tok("nl", "\n", line))
            line += 1
            i += 1
        elif c in " \t\r\f":
            i += 1
        elif c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
        elif c in "'\"":
            value, j = _groovy_string(text, i)
            toks.append(_Tok("str", value, line))
            line += text.count("\n", i, j)
            i = j
        elif c == "\\" and text.startswith("\n", i + 1):
            i += 1  # explicit line continuation: the newline is not a statement end
            line += 1
            i += 1
        elif c.isalpha() or c in "_$":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            toks.append(_Tok("id", text[i:j], line))
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "._"):
                j += 1
            toks.append(_Tok("num", text[i:j], line))
            i = j
        else:
            toks.append(_Tok("p", c, line))
            i += 1
    return toks


def _groovy_string(text: str, i: int) -> tuple[str, int]:
    """Read a string literal starting at ``text[i]``: (content, index after it)."""
    q = text[i]
    n = len(text)
    triple = text.startswith(q * 3, i)
    j = i + (3 if triple else 1)
    out: list[str] = []
    while j < n:
        c = text[j]
        if triple and text.startswith(q * 3, j):
            return "".join(out), j + 3
        if not triple and c == q:
            return "".join(out), j + 1
        if not triple and c == "\n":
            return "".join(out), j  # unterminated: stop at the line end
        if c == "\\" and j + 1 < n:
            nxt = text[j + 1]
            if nxt in "\\'\"$":
                out.append(nxt)
            else:
                out.append(c + nxt)  # keep `\` + newline: the shell joins the lines
            j += 2
            continue
        if q == '"' and c == "$" and text.startswith("{", j + 1):
            k = j + 2
            depth = 1
            while k < n and depth:
                if text[k] == "{":
                    depth += 1
                elif text[k] == "}":
                    depth -= 1
                elif text[k] in "'\"":
                    _inner, k = _groovy_string(text, k)
                    continue
                k += 1
            out.append(text[j:k])
            j = k
            continue
        out.append(c)
        j += 1
    return "".join(out), n


_CONTINUES = frozenset({",", "+", ".", ":", "=", "(", "[", "&", "|", "?", "-", "*"})


def parse_groovy(toks: list[_Tok]) -> list[_GNode]:
    """Statements and closures of a Groovy token stream (a tolerant, shallow parse)."""
    pos = 0
    n = len(toks)

    def block(inside: bool, depth: int) -> list[_GNode]:
        nonlocal pos
        nodes: list[_GNode] = []
        while pos < n:
            tok = toks[pos]
            if tok.kind == "p" and tok.value == "}":
                pos += 1
                if inside:
                    return nodes
                continue
            if tok.kind == "nl" or (tok.kind == "p" and tok.value == ";"):
                pos += 1
                continue
            nodes.append(statement(depth))
        return nodes

    def statement(depth: int) -> _GNode:
        nonlocal pos
        first = toks[pos]
        node = _GNode(first.value if first.kind == "id" else "", first.line, [], [])
        paren = 0
        while pos < n:
            tok = toks[pos]
            if tok.kind == "p" and tok.value in "([":
                paren += 1
            elif tok.kind == "p" and tok.value in ")]":
                paren = max(0, paren - 1)
            elif tok.kind == "p" and tok.value == "{":
                pos += 1
                if depth < _MAX_NESTING:
                    node.body.extend(block(True, depth + 1))
                else:
                    _skip_block()
                if paren == 0:
                    nxt = _next_significant(pos)
                    if not (nxt is not None and nxt.kind == "id" and nxt.value in _CLAUSE_WORDS):
                        return node
                continue
            elif tok.kind == "p" and tok.value == "}":
                if paren == 0:
                    return node
                paren -= 1
            elif tok.kind == "nl":
                prev = node.head[-1] if node.head else None
                nxt = _next_significant(pos)
                cont = (prev is not None and prev.kind == "p" and prev.value in _CONTINUES) or (
                    nxt is not None and nxt.kind == "p" and nxt.value == "."
                )
                if paren == 0 and not cont:
                    pos += 1
                    return node
                pos += 1
                continue
            elif tok.kind == "p" and tok.value == ";" and paren == 0:
                pos += 1
                return node
            node.head.append(tok)
            pos += 1
        return node

    def _skip_block() -> None:
        nonlocal pos
        level = 1
        while pos < n and level:
            if toks[pos].value == "{" and toks[pos].kind == "p":
                level += 1
            elif toks[pos].value == "}" and toks[pos].kind == "p":
                level -= 1
            pos += 1

    def _next_significant(k: int) -> _Tok | None:
        while k < n and toks[k].kind == "nl":
            k += 1
        return toks[k] if k < n else None

    return block(False, 0)


_CLAUSE_WORDS = frozenset({"else", "catch", "finally"})
_SHELL_STEPS = frozenset({"sh", "bat", "powershell", "pwsh"})
_ENV_WORDS = (
    "dev",
    "development",
    "test",
    "testing",
    "qa",
    "uat",
    "int",
    "integration",
    "stage",
    "staging",
    "preprod",
    "pre-prod",
    "prod",
    "production",
    "sandbox",
    "canary",
    "live",
    "acc",
    "acceptance",
    "perf",
)
_JENKINS_ENV = re.compile(
    r"deploy\w*\W+(?:to\W+)?(?P<a>[a-z][\w-]*)|(?P<b>[a-z][\w-]*)\W+deploy", re.IGNORECASE
)


def jenkins_environment(stage_name: str) -> str:
    """The environment a Jenkins stage name deploys to (``Deploy to staging``), or ''."""
    for m in _JENKINS_ENV.finditer(stage_name):
        env = (m.group("a") or m.group("b") or "").lower()
        if env in _ENV_WORDS:
            return env
    return ""


@dataclass
class _JStage:
    name: str
    line: int
    gate: Gate
    disabled: bool
    conditions: list[str]
    steps: list[Step] = field(default_factory=list)


def _parse_jenkins(path: str, text: str) -> Pipeline:
    toks = groovy_tokens(text)
    nodes = parse_groovy(toks)
    triggers: list[Trigger] = [Trigger("push", "scm", path, 1, implicit=True)]
    for i, tok in enumerate(toks):
        if tok.kind != "id" or tok.value not in (
            "cron",
            "parameterizedCron",
            "pollSCM",
            "upstream",
        ):
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is None or not (nxt.kind == "str" or (nxt.kind == "p" and nxt.value == "(")):
            continue
        spec = next((t.value for t in toks[i + 1 : i + 6] if t.kind == "str"), "")
        if tok.value in ("cron", "parameterizedCron"):
            triggers.append(Trigger("schedule", tok.value, path, tok.line, detail=spec.strip()))
        elif tok.value == "pollSCM":
            triggers.append(Trigger("push", "pollSCM", path, tok.line, detail=spec.strip()))
        else:
            triggers.append(Trigger("dispatch", "upstream", path, tok.line, detail=spec.strip()))
    root = _JStage("(pipeline)", 1, Gate(), False, [])
    stages: list[_JStage] = []
    _walk_jenkins(path, nodes, root, stages, 0)
    jobs: list[Job] = []
    if root.steps:
        jobs.append(Job(path, root.line, "(pipeline)", steps=tuple(root.steps)))
    for st in stages:
        jobs.append(
            Job(
                path=path,
                line=st.line,
                id=st.name,
                steps=tuple(st.steps),
                environment=jenkins_environment(st.name),
                environment_line=st.line if jenkins_environment(st.name) else 0,
                condition=" && ".join(st.conditions),
                gate=st.gate,
                disabled=st.disabled,
            )
        )
    return Pipeline("jenkins", path, path, 1, tuple(triggers), tuple(jobs), (path,))


def _walk_jenkins(
    path: str, nodes: list[_GNode], current: _JStage, stages: list[_JStage], depth: int
) -> None:
    if depth > _MAX_NESTING:
        return
    for node in nodes:
        name = node.name
        if name == "stage":
            label = node.strings()[0].value if node.strings() else "(stage)"
            stage = _JStage(
                label, node.line, current.gate, current.disabled, list(current.conditions)
            )
            for child in node.body:
                if child.name == "when":
                    _jenkins_when(child, stage)
            stages.append(stage)
            _walk_jenkins(
                path, [c for c in node.body if c.name != "when"], stage, stages, depth + 1
            )
        elif name in _SHELL_STEPS:
            arg = node.named("script") or (node.strings()[0] if node.strings() else None)
            commands = script_commands(arg.value, arg.line) if arg is not None else []
            current.steps.append(
                Step(path, node.line, name=name, commands=tuple(commands), uses=name)
            )
        elif name == "input":
            msg = node.named("message") or (node.strings()[0] if node.strings() else None)
            for child in node.body:
                if child.name == "message" and child.strings():
                    msg = child.strings()[0]
            current.steps.append(
                Step(path, node.line, name=msg.value if msg else "input", uses="input")
            )
        elif name == "build" and (node.named("job") or node.strings()):
            job = node.named("job") or node.strings()[0]
            current.steps.append(
                Step(
                    path,
                    node.line,
                    name=f"build {job.value}",
                    uses="build",
                    commands=(Command(f"jenkins build {job.value}", node.line),),
                )
            )
        elif name in _JENKINS_DEPLOY_STEPS:
            current.steps.append(
                Step(
                    path,
                    node.line,
                    name=name,
                    uses=name,
                    commands=(Command(node.text(), node.line),),
                )
            )
        else:
            _walk_jenkins(path, node.body, current, stages, depth + 1)


_JENKINS_DEPLOY_STEPS = frozenset(
    {"kubernetesDeploy", "azureWebAppPublish", "azureFunctionAppPublish", "acsDeploy"}
)


def _jenkins_when(node: _GNode, stage: _JStage) -> None:
    events: set[str] = set()
    refs: set[str] = set()
    for cond in node.body:
        text = cond.text()
        stage.conditions.append(text)
        if cond.name == "expression":
            body = " ".join(c.text() for c in cond.body).strip()
            if body in ("false", "return false"):
                stage.disabled = True
        elif cond.name == "branch":
            target = cond.named("pattern") or (cond.strings()[0] if cond.strings() else None)
            if target is not None:
                refs.add("main" if target.value in ("main", "master") else target.value)
        elif cond.name in ("tag", "buildingTag"):
            refs.add("tag")
        elif cond.name == "changeRequest":
            events.add("pull_request")
        elif cond.name == "triggeredBy":
            if "Timer" in text:
                events.add("schedule")
            elif "UserId" in text:
                events.add("manual")
        # not/anyOf/allOf/environment: restrict nothing we can tell.
    if events or refs:
        stage.gate = Gate(
            frozenset(events) if events else stage.gate.events,
            frozenset(refs) if refs else stage.gate.refs,
        )
