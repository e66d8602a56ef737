"""Pipelines as step graphs: what a pipeline definition declares, normalised.

Every orchestrator names its steps differently (SageMaker ``TrainingStep``, a KFP component
call, a TFX ``Evaluator``, an Azure ML pipeline job, a Databricks task, a DVC stage, an
Airflow operator, a Kedro node, a Metaflow ``@step``...). :func:`pipelines` reads them
all into :class:`PipelineGraph` values: steps with a kind (data, validate, train,
evaluate, gate, register, deploy, monitor) and the schedules or events that run them.

A step's kind comes first from the technology catalog (a call that the catalog says
``trains`` is a train step, even when no ``fit`` is in the repository: a managed
built-in algorithm), then from its name. Graphs are built once per snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from mlops_factory._assess._pyindex import Call, PyFile, python_index
from mlops_factory._assess.model import Evidence
from mlops_factory._assess.signals.infra import azureml_docs, find_line, snippet, yaml_docs
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._assess.technologies import Match, matches, read_yaml_docs

StepKind = Literal["data", "validate", "train", "evaluate", "gate", "register", "deploy", "monitor"]
_CACHE = "pipeline_graphs"

#: Name patterns, tried in order: a "validate_model" step is a gate, not data validation.
_KIND_NAMES: tuple[tuple[StepKind, re.Pattern[str]], ...] = (
    ("gate", re.compile(
        r"gate|condition|threshold|approv|bless|champion|challenger|compare"
        r"|validate_model|model_valid|check_model", re.I)),
    ("monitor", re.compile(r"monitor|drift", re.I)),
    ("register", re.compile(r"regist|promot|publish", re.I)),
    ("deploy", re.compile(r"deploy|serv(e|ing)|push|release|endpoint|rollout", re.I)),
    ("evaluate", re.compile(r"eval|metric|score_model|test_model|assess", re.I)),
    ("train", re.compile(r"train|fit|tun(e|ing)|hpo|sweep", re.I)),
    ("validate", re.compile(r"validat|expectation|schema|quality|check_data|data_check", re.I)),
    ("data", re.compile(
        r"ingest|prep|preprocess|load|extract|split|featur|transform|clean|download"
        r"|fetch|etl|data", re.I)),
)  # fmt: skip
#: Catalog capabilities that make a call a step of that kind.
_CAPABILITY_KINDS: dict[str, StepKind] = {
    "trains": "train",
    "evaluates_threshold": "gate",
    "compares_champion": "gate",
    "registers_models": "register",
    "deploys": "deploy",
    "monitors_drift": "monitor",
    "validates_data": "validate",
}
#: Keyword arguments that name a step.
_NAME_KWARGS = ("name", "task_id", "step_name", "display_name")


def kind_of(*names: str) -> StepKind | None:
    """The kind a step's name (or command) suggests, or None."""
    for kind, rx in _KIND_NAMES:
        if any(rx.search(n) for n in names if n):
            return kind
    return None


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a pipeline."""

    name: str
    kind: StepKind
    path: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Trigger:
    """What runs a pipeline: a schedule or an event. ``weak`` when paused or opt-in."""

    kind: Literal["schedule", "event"]
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class PipelineGraph:
    """A pipeline definition: its framework, where it is, its steps and triggers."""

    framework: str
    evidence: Evidence
    steps: tuple[Step, ...]
    triggers: tuple[Trigger, ...] = ()

    def kinds(self) -> set[str]:
        return {s.kind for s in self.steps}

    def first(self, kind: str) -> Step | None:
        return next((s for s in self.steps if s.kind == kind), None)


def pipelines(snap: RepoSnapshot) -> tuple[PipelineGraph, ...]:
    """Every pipeline the repository declares, as a step graph (cached per snapshot)."""
    found = snap.cache.get(_CACHE)
    if isinstance(found, tuple):
        return found
    graphs = [*_python_graphs(snap), *_spec_graphs(snap)]
    found = tuple(graphs)
    snap.cache[_CACHE] = found
    return found


# ------------------------------------------------------------------ Python


def _capability_calls(snap: RepoSnapshot) -> dict[tuple[str, int], StepKind]:
    out: dict[tuple[str, int], StepKind] = {}
    for capability, kind in _CAPABILITY_KINDS.items():
        for m in matches(snap, capability):
            if m.call is not None and m.evidence.path:
                out.setdefault((m.evidence.path, m.call.line), kind)
    return out


def _step_name(c: Call) -> str:
    for key in _NAME_KWARGS:
        value = c.kw(key)
        if isinstance(value, str) and value:
            return value
    return c.last


def _python_graphs(snap: RepoSnapshot) -> Iterator[PipelineGraph]:
    definitions = [m for m in matches(snap, "defines_pipeline") if m.evidence.path]
    if not definitions:
        return
    index = python_index(snap)
    kinds = _capability_calls(snap)
    schedules = [m for m in matches(snap, "schedules")]
    done: set[tuple[str, str]] = set()
    for m in definitions:
        path = m.evidence.path or ""
        if not path.endswith((".py", ".ipynb")):
            continue
        if m.evidence.weak and not path.endswith(".ipynb"):
            continue  # a component or a step, not a pipeline by itself
        pf = index.parse(path)
        if pf is None:
            continue
        scope = _container_scope(pf, m)
        if (path, scope) in done:
            continue
        done.add((path, scope))
        steps = list(_python_steps(pf, scope, kinds))
        triggers = [
            Trigger(_trigger_kind(s), s.evidence)
            for s in schedules
            if s.evidence.path == path
            or (s.tech == m.tech and not _same_file_graph(s, definitions))
        ]
        yield PipelineGraph(m.tech, m.evidence, tuple(steps), tuple(triggers))


def _trigger_kind(m: Match) -> Literal["schedule", "event"]:
    text = m.evidence.snippet.lower()
    return "event" if "sensor" in text or "trigger" in text else "schedule"


def _same_file_graph(schedule: Match, definitions: list[Match]) -> bool:
    return any(d.evidence.path == schedule.evidence.path for d in definitions)


def _container_scope(pf: PyFile, m: Match) -> str:
    """The function or class holding the pipeline's steps ("" for the whole file)."""
    if m.call is not None and m.call.decorator:
        return m.call.scope
    line = m.evidence.line or 0
    for d in pf.defs:
        if d.kind == "class" and d.line == line:
            return d.qualname
    return ""


def _python_steps(pf: PyFile, scope: str, kinds: dict[tuple[str, int], StepKind]) -> Iterator[Step]:
    seen: set[tuple[str, str]] = set()

    def inside(s: str) -> bool:
        return not scope or s == scope or s.startswith(scope + ".")

    for d in pf.defs:
        # Metaflow steps and functions decorated as steps/tasks/ops/components.
        if (
            d.kind == "function"
            and inside(d.scope or "")
            and scope
            and any(
                dec.rsplit(".", 1)[-1] in ("step", "task", "op", "asset", "component")
                for dec in d.decorators
            )
        ):
            kind = kind_of(d.name)
            if kind and (d.name, kind) not in seen:
                seen.add((d.name, kind))
                yield Step(d.name, kind, pf.path, d.line)
    for c in pf.calls:
        if c.decorator or not inside(c.scope) or c.last.startswith("Parameter"):
            continue  # pipeline parameters (ParameterString) are inputs, not steps
        kind = kinds.get((pf.path, c.line))
        name = _step_name(c)
        if kind is None:
            named = any(isinstance(c.kw(k), str) for k in _NAME_KWARGS)
            if not (
                named or scope or c.last == "node" or c.last.endswith(("Step", "Op", "Operator"))
            ):
                continue
            target = (
                c.args[0].name if c.last == "node" and c.args and hasattr(c.args[0], "name") else ""
            )
            kind = kind_of(name, target, c.last)
        if kind and (name, kind) not in seen:
            seen.add((name, kind))
            yield Step(name, kind, pf.path, c.line)


# ------------------------------------------------------------------ specs


def _spec_graphs(snap: RepoSnapshot) -> Iterator[PipelineGraph]:
    yield from _dvc(snap)
    yield from _azureml(snap)
    yield from _databricks(snap)
    yield from _recipes(snap)


def _dvc(snap: RepoSnapshot) -> Iterator[PipelineGraph]:
    for entry in snap.by_name("dvc.yaml", "dvc.yml"):
        text = snap.read_text(entry.path) or ""
        for doc in snap.yaml(entry.path) or ():
            stages = doc.get("stages") if isinstance(doc, dict) else None
            if not isinstance(stages, dict) or not stages:
                continue
            line, snip = find_line(text, r"^\s*stages\s*:")
            steps = []
            for name, body in stages.items():
                cmd = body.get("cmd", "") if isinstance(body, dict) else ""
                kind = kind_of(str(name), " ".join(cmd) if isinstance(cmd, list) else str(cmd))
                if kind:
                    at, _ = find_line(text, rf"^\s*{re.escape(str(name))}\s*:")
                    steps.append(Step(str(name), kind, entry.path, at))
            yield PipelineGraph(
                "dvc", Evidence(entry.path, line, snip, "DVC pipeline"), tuple(steps)
            )


def _yaml_trigger(
    path: str,
    text: str,
    pattern: str,
    note: str,
    weak: bool,
    kind: Literal["schedule", "event"] = "schedule",
) -> Trigger:
    line, snip = find_line(text, pattern)
    return Trigger(kind, Evidence(path, line, snip, note, weak=weak))


def _azureml(snap: RepoSnapshot) -> Iterator[PipelineGraph]:
    docs = azureml_docs(snap)
    schedules = [
        (y, y.doc.get("create_job"))
        for y, kind in docs
        if kind == "schedule" or "create_job" in y.doc
    ]
    for y, kind in docs:
        if kind != "pipeline_job":
            continue
        jobs = y.doc.get("jobs")
        steps = []
        for name, body in jobs.items() if isinstance(jobs, dict) else ():
            command = str(body.get("command", "")) if isinstance(body, dict) else ""
            component = str(body.get("component", "")) if isinstance(body, dict) else ""
            step_kind = kind_of(str(name), component, command)
            if step_kind:
                line, _ = y.line(rf"^\s*{re.escape(str(name))}\s*:")
                steps.append(Step(str(name), step_kind, y.path, line))
        file_name = y.path.rsplit("/", 1)[-1]
        triggers = [
            _yaml_trigger(
                s.path, s.text, r"^\s*trigger\s*:", "an Azure ML schedule runs this pipeline", False
            )
            for s, job in schedules
            if isinstance(job, str) and job.rstrip().endswith(file_name)
        ]
        evidence = y.evidence(r"^\s*(jobs|type)\s*:", f"Azure ML pipeline job ({len(steps)} steps)")
        yield PipelineGraph("azureml-cli-v2", evidence, tuple(steps), tuple(triggers))
    for s, job in schedules:
        if isinstance(job, dict) and isinstance(job.get("jobs"), dict):
            steps = [
                Step(str(n), k, s.path, s.line(rf"^\s*{re.escape(str(n))}\s*:")[0])
                for n in job["jobs"]
                if (k := kind_of(str(n)))
            ]
            trig = _yaml_trigger(
                s.path, s.text, r"^\s*trigger\s*:", "an Azure ML schedule runs this pipeline", False
            )
            yield PipelineGraph(
                "azureml-cli-v2",
                s.evidence(r"create_job", "Azure ML scheduled pipeline job"),
                tuple(steps),
                (trig,),
            )


def _databricks(snap: RepoSnapshot) -> Iterator[PipelineGraph]:
    for y in yaml_docs(snap, "task_key"):
        resources = y.doc.get("resources")
        jobs = resources.get("jobs") if isinstance(resources, dict) else None
        if not isinstance(jobs, dict):
            continue
        for job_name, job in jobs.items():
            if not isinstance(job, dict):
                continue
            tasks = job.get("tasks")
            steps = []
            for task in tasks if isinstance(tasks, list) else ():
                if not isinstance(task, dict):
                    continue
                key = str(task.get("task_key", ""))
                target = " ".join(
                    str(v.get(f, ""))
                    for v in task.values()
                    if isinstance(v, dict)
                    for f in ("notebook_path", "python_file", "entry_point", "package_name")
                )
                kind = kind_of(key, target)
                if kind:
                    line, _ = y.line(rf"task_key\s*:\s*['\"]?{re.escape(key)}\b")
                    steps.append(Step(key, kind, y.path, line))
            triggers = []
            paused = "PAUSED" in str(job.get("schedule", "")) + str(job.get("trigger", ""))
            if isinstance(job.get("schedule"), dict):
                triggers.append(
                    _yaml_trigger(
                        y.path,
                        y.text,
                        r"quartz_cron_expression",
                        "a Databricks job schedule" + (" (paused)" if paused else ""),
                        paused,
                    )
                )
            if isinstance(job.get("trigger"), dict):
                triggers.append(
                    _yaml_trigger(
                        y.path,
                        y.text,
                        r"^\s+trigger\s*:",
                        "a Databricks job trigger" + (" (paused)" if paused else ""),
                        paused,
                        "event",
                    )
                )
            evidence = y.evidence(
                rf"^\s*{re.escape(str(job_name))}\s*:", f"Databricks job {job_name!r}"
            )
            yield PipelineGraph("databricks-bundles", evidence, tuple(steps), tuple(triggers))


_RECIPE_STEPS: dict[str, StepKind] = {
    "ingest": "data",
    "split": "data",
    "transform": "data",
    "train": "train",
    "evaluate": "evaluate",
    "register": "register",
}


def _recipes(snap: RepoSnapshot) -> Iterator[PipelineGraph]:
    for entry in snap.by_name("recipe.yaml", "recipe.yml"):
        text = snap.read_text(entry.path) or ""
        for doc in read_yaml_docs(snap, entry.path, text, templated=True):
            if not doc.get("recipe"):
                continue
            configured = doc.get("steps") if isinstance(doc.get("steps"), dict) else {}
            steps = [
                Step(n, k, entry.path, find_line(text, rf"^\s+{n}\s*:")[0] or None)
                for n, k in _RECIPE_STEPS.items()
            ]
            evaluate = configured.get("evaluate") if isinstance(configured, dict) else None
            if isinstance(evaluate, dict) and evaluate.get("validation_criteria"):
                line, _ = find_line(text, r"validation_criteria\s*:")
                steps.insert(5, Step("evaluate.validation_criteria", "gate", entry.path, line))
            line, snip = find_line(text, r"^\s*recipe\s*:")
            yield PipelineGraph(
                "mlflow", Evidence(entry.path, line, snip, "MLflow Recipe"), tuple(steps)
            )


def graph_evidence(graphs: Iterable[PipelineGraph], kind: str, note: str) -> list[Evidence]:
    """One piece of evidence per graph that has a step of ``kind``."""
    out: list[Evidence] = []
    for g in graphs:
        step = g.first(kind)
        if step is not None:
            out.append(
                Evidence(
                    step.path,
                    step.line,
                    snippet(step.name),
                    f"{note}: step {step.name!r} of a {g.framework} pipeline",
                    weak=g.evidence.weak,
                )
            )
    return out
