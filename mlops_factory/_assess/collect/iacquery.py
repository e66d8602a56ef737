"""Questions asked of the IaC resource graph: the level-4 loop, prediction capture,
model monitoring, gradual rollout, per-environment stacks.

Resource roles come from the providers' documented types (CloudFormation
``AWS::SageMaker::MonitoringSchedule``, Terraform ``aws_cloudwatch_metric_alarm``,
``google_monitoring_notification_channel``, CDK ``aws_cloudwatch.Alarm``...), never
from a repository's own names; the only words read are those that say what an
alarm watches (drift, model quality), as the metric or the alert declares them.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from mlops_factory._assess.collect.iac import IacGraph, Resource, load_iac, nodes
from mlops_factory._assess.snapshot import RepoSnapshot

_MODEL_METRIC = re.compile(
    r"drift|model[ _-]?quality|data[ _-]?quality|feature[ _]baseline|data-metrics|"
    r"model[ _-]?monitor|modelmonitor|anomal|skew|model_performance|accuracy|"
    r"aiplatform\.googleapis\.com/.*(prediction|feature)|datasetdriftdetected",
    re.I,
)
#: Types that raise an alert on a metric (lowercased prefixes / suffixes of provider types).
_ALARM_TYPES = (
    "aws_cloudwatch_metric_alarm",
    "aws_cloudwatch_composite_alarm",
    "aws::cloudwatch::alarm",
    "aws::cloudwatch::compositealarm",
    "aws_cdk.aws_cloudwatch.alarm",
    "aws_cdk.aws_cloudwatch.cfnalarm",
    "google_monitoring_alert_policy",
    "google_monitoring_notification_channel",
    "azurerm_monitor_metric_alert",
    "azurerm_monitor_scheduled_query_rules_alert",
    "azurerm_monitor_scheduled_query_rules_alert_v2",
    "microsoft.insights/metricalerts",
    "microsoft.insights/scheduledqueryrules",
    "aws_cdk.aws_sagemaker.cfnmonitoringschedule",
    "aws::sagemaker::monitoringschedule",
    "aws_sagemaker_monitoring_schedule",
)
#: Types that carry an alert or event on to something else.
_GLUE = re.compile(
    r"sns|pubsub|eventbridge|cloudwatch_event|aws::events::|aws_events|eventarc|eventgrid|"
    r"action_?group|actiongroups|notification|subscription|topic|lambda|cloudfunctions|"
    r"function|serverless::function|logic|workflow|statemachine|stepfunctions|sfn|"
    r"permission|module |method call|storage_bucket_object|archive_file|sensor|eventsource|"
    r"scheduler|rule|target",
    re.I,
)
#: Kubernetes kinds that run containers (Argo Workflows, Tekton, batch Jobs).
_K8S_RUNS = (
    "/workflowtemplate",
    "/workflow",
    "/cronworkflow",
    "/pipeline",
    "/pipelinerun",
    "/job",
    "/cronjob",
)
_PIPELINE_START_KEYS = ("SageMakerPipelineParameters", "sagemaker_pipeline_target")
_START_IN_TEXT = re.compile(
    r"SageMakerPipelineParameters|sage_maker_pipeline_parameters|SageMakerStartPipelineExecution"
    r"|SageMakerTarget\(|targets\.CodePipeline\(|targets\.SfnStateMachine\("
)
#: REST calls that submit a pipeline run (Azure ML published pipelines and jobs, Vertex AI
#: pipeline jobs, SageMaker, GitHub workflow dispatch).
_SUBMIT_URL = re.compile(
    r"pipelineEndpoints|/pipelineJobs|/jobs/|StartPipelineExecution|/dispatches|"
    r"aiplatform\.googleapis\.com",
    re.I,
)
_TRAINING_TYPES = (
    "aws::sagemaker::pipeline",
    "aws_sagemaker_pipeline",
    "aws_cdk.aws_sagemaker.cfnpipeline",
    "aws_cdk.aws_events_targets.sagemakerpipeline",
    "aws::codepipeline::pipeline",
    "aws_codepipeline",
    "aws_cdk.aws_codepipeline.pipeline",
    "aws_cdk.pipelines.codepipeline",
    "google_vertex_ai_pipeline_job",
    "databricks_job",
    "microsoft.machinelearningservices/workspaces/jobs",
)
_FUNCTION_TYPES = (
    "aws_lambda_function",
    "aws::lambda::function",
    "aws::serverless::function",
    "aws_cdk.aws_lambda.function",
    "aws_cdk.aws_lambda_python_alpha.pythonfunction",
    "google_cloudfunctions_function",
    "google_cloudfunctions2_function",
    "google_cloud_run_v2_job",
    "azurerm_linux_function_app",
    "azurerm_function_app",
    "microsoft.web/sites",
)
#: Calls that start a training pipeline or job (the last part of the resolved callee).
_START_CALLS = frozenset(
    {
        "start_pipeline_execution",
        "create_run_from_pipeline_package",
        "create_run_from_pipeline_func",
        "run_pipeline",
        "submit",
        "create_training_job",
        "run_now",
        "start_execution",
        "create_or_update",
        "begin_create_or_update",
    }
)
_START_OWNERS = re.compile(
    r"aiplatform|PipelineJob|kfp|sagemaker|boto3|databricks|azure\.ai\.ml|MLClient|"
    r"stepfunctions|sfn|jobs",
    re.I,
)


def _t(r: Resource) -> str:
    return r.type.lower()


def is_function(r: Resource) -> bool:
    return _t(r).startswith(_FUNCTION_TYPES) or "::function" in _t(r)


def is_model_alarm(r: Resource) -> bool:
    """An alarm, alert policy, notification channel or monitoring schedule on model metrics."""
    t = _t(r)
    if t.startswith(_ALARM_TYPES):
        return bool(_MODEL_METRIC.search(_declared(r))) or "monitoringschedule" in t.replace(
            "_", ""
        )
    if t.startswith(
        (
            "aws::events::rule",
            "aws_cloudwatch_event_rule",
            "aws_cdk.aws_events.rule",
            "microsoft.eventgrid/",
            "azurerm_eventgrid",
        )
    ):
        # An event rule on Model Monitor results or an Azure ML drift event.
        return bool(re.search(r"model monitor|datasetdriftdetected|drift", _declared(r), re.I))
    if t.endswith(("/prometheusrule", "/eventsource")):
        # A Prometheus alert rule, or an Argo Events source that receives alerts, on model
        # metrics.
        return bool(_MODEL_METRIC.search(" ".join(r.strings)))
    return False


def _starts_pipeline(r: Resource) -> bool:
    t = _t(r)
    if t.startswith(_TRAINING_TYPES):
        return True
    if t.endswith(_K8S_RUNS):
        from mlops_factory._assess.collect.runs import text_kinds

        return any("train" in text_kinds(cmd) for cmd in _container_commands(r.props))
    if any(r.get(k) is not None for k in _PIPELINE_START_KEYS):
        return True
    text = r.get("__text__")
    if isinstance(text, str) and _START_IN_TEXT.search(text):
        return True  # a CDK rule or schedule whose target starts a pipeline
    if t.startswith(("microsoft.logic/workflows", "azurerm_logic_app", "google_workflows")) and (
        _SUBMIT_URL.search(" ".join(r.strings)) and "train" in r.text
    ):
        return True  # a Logic App / Workflow that submits a training pipeline run
    targets = r.get("Targets")
    for target in targets if isinstance(targets, list) else []:
        if isinstance(target, dict) and any(
            str(k).lower() == "sagemakerpipelineparameters" for k in target
        ):
            return True
    return False


def _container_commands(data: object) -> list[str]:
    """Commands of the containers and scripts in a manifest (``command`` + ``args``)."""
    out: list[str] = []
    for _key, node in nodes(data, 3000):
        if not isinstance(node, dict):
            continue
        words = [str(w) for key in ("command", "args") for w in _as_list(node.get(key))]
        if words:
            out.append(" ".join(words))
        out.extend(node[key] for key in ("script", "source") if isinstance(node.get(key), str))
    return out


def _as_list(value: object) -> list[object]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, str) else []


def _declared(r: Resource) -> str:
    """What a resource declares (its literal strings), not what the repository named it."""
    return " ".join((r.type, *r.strings))


@dataclass(frozen=True, slots=True)
class Loop:
    """A closed loop: the alarm, the chain of resources, and what starts training."""

    chain: tuple[Resource, ...]
    #: A code file (a function's source) that starts training, with its line; or ("", 0).
    code: tuple[str, int] = ("", 0)


def retraining_loops(snap: RepoSnapshot) -> list[Loop]:
    """Model-metric alarms whose chain of IaC resources ends in a training pipeline start."""
    return _chains(snap, is_model_alarm)


def scheduled_training(snap: RepoSnapshot) -> list[Loop]:
    """Schedules (EventBridge rules and schedules, Cloud Scheduler jobs, CDK schedules)
    whose chain of IaC resources ends in a training pipeline start."""
    return _chains(snap, is_schedule)


def is_schedule(r: Resource) -> bool:
    """A resource that fires on a timetable (cron or rate)."""
    t = _t(r)
    if t.startswith(
        (
            "google_cloud_scheduler_job",
            "aws::scheduler::schedule",
            "aws_scheduler_schedule",
            "aws_cdk.aws_scheduler.",
        )
    ):
        return True
    for key in ("ScheduleExpression", "schedule_expression"):
        value = r.get(key)
        if isinstance(value, str) and value.strip():
            return True
    text = r.get("__text__")
    return isinstance(text, str) and bool(re.search(r"\bSchedule\.(cron|rate|expression)\(", text))


def _chains(snap: RepoSnapshot, start: Callable[[Resource], bool]) -> list[Loop]:
    graph = load_iac(snap)
    out: list[Loop] = []
    for first in graph.resources:
        if not start(first):
            continue
        code_hits: dict[int, tuple[str, int]] = {}

        def goal(r: Resource, _hits: dict[int, tuple[str, int]] = code_hits) -> bool:
            if _starts_pipeline(r):
                return True
            if is_function(r) or _t(r).startswith(
                ("aws::stepfunctions", "aws_sfn", "google_workflows")
            ):
                hit = function_starts_training(snap, graph, r)
                if hit is not None:
                    _hits[id(r)] = hit
                    return True
            return False

        if goal(first):
            out.append(Loop((first,), code_hits.get(id(first), ("", 0))))
            continue
        path = graph.paths_from(first, lambda r: bool(_GLUE.search(r.type)), goal)
        if path is not None:
            out.append(Loop(tuple(path), code_hits.get(id(path[-1]), ("", 0))))
    return out


_SOURCE_KEYS = (
    "source_dir",
    "source_file",
    "filename",
    "CodeUri",
    "code_uri",
    "source",
    "entry",
    "path",
)


def code_paths(snap: RepoSnapshot, graph: IacGraph, fn: Resource) -> list[str]:
    """Python files of a function's source (its folder, or an archive it is built from)."""
    patterns: list[str] = []
    seen: set[int] = set()
    stack = [(fn, 0)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen or depth > 2:
            continue
        seen.add(id(node))
        folder = str(node.get("__module_dir__") or posixpath.dirname(node.path))
        for key in _SOURCE_KEYS:
            value = node.get(key)
            if isinstance(value, str) and value and not value.startswith(("s3://", "gs://")):
                patterns.append(_source_glob(folder, value))
        for s in node.strings if node.format == "CDK" else ():
            if "/" in s or s.endswith((".py", "src", "lambda", "function")):
                patterns.append(_source_glob(posixpath.dirname(node.path), s))
                patterns.append(_source_glob("", s))
        for other in graph.neighbours(node):
            if other.format.startswith("Terraform") and not is_function(other):
                stack.append((other, depth + 1))
    found: list[str] = []
    pyfiles = [e.path for e in snap.by_suffix(".py")]
    for pattern in dict.fromkeys(p for p in patterns if p):
        if pattern.endswith(".py"):
            found.extend(p for p in pyfiles if fnmatch.fnmatchcase(p, pattern))
        else:
            prefix = pattern.rstrip("/") + "/"
            found.extend(p for p in pyfiles if fnmatch.fnmatchcase(p, prefix + "*"))
    return list(dict.fromkeys(found))[:50]


def _source_glob(folder: str, value: str) -> str:
    """A repository glob for a source path written in IaC (interpolations become ``*``)."""
    rooted = "${path.module}" in value or "${path.root}" in value
    value = value.replace("${path.module}", folder).replace("${path.root}", ".")
    value = re.sub(r"\$\{[^}]*\}", "*", value)
    if not rooted and folder and not value.startswith(("*", "/")):
        value = posixpath.join(folder, value)
    value = posixpath.normpath(value.lstrip("/"))
    return "" if value.startswith("..") or value in (".", "*") else value


def function_starts_training(
    snap: RepoSnapshot, graph: IacGraph, fn: Resource
) -> tuple[str, int] | None:
    """(path, line) where the function's code (or inline definition) starts training."""
    inline = fn.get("Code", "ZipFile") or fn.get("InlineCode") or fn.get("source_contents")
    if (
        isinstance(inline, str)
        and re.search(
            r"start_pipeline_execution|PipelineJob|create_run_from_pipeline|pipelineJobs", inline
        )
        and "train" in inline.lower()
    ):
        return fn.path, fn.line
    for path in code_paths(snap, graph, fn):
        hit = code_starts_training(snap, path)
        if hit is not None:
            return path, hit
    return None


def code_starts_training(snap: RepoSnapshot, path: str) -> int | None:
    """The line where a Python file submits a training pipeline or job, or None."""
    from mlops_factory._assess._pyindex import python_index

    pf = python_index(snap).parse(path)
    if pf is None:
        return None
    mentions_training = any("train" in s.lower() for s, _ in pf.strings) or any(
        "train" in d.name.lower() for d in pf.defs
    )
    if not mentions_training:
        return None
    for c in pf.calls:
        if c.last in _START_CALLS and _START_OWNERS.search(c.name):
            return c.line
        if c.last == "PipelineJob" or c.name.endswith("PipelineJob.submit"):
            return c.line
    return None


def prediction_capture(snap: RepoSnapshot) -> list[tuple[Resource, str]]:
    """Endpoints or deployments that log their requests and predictions."""
    out: list[tuple[Resource, str]] = []
    for r in load_iac(snap).resources:
        t = _t(r)
        if "endpointconfig" in t.replace("_", "") or "endpoint_configuration" in t:
            cfg = r.get("DataCaptureConfig")
            if cfg is not None and _enabled(cfg, "EnableCapture"):
                out.append((r, "SageMaker endpoint captures requests and predictions"))
        elif t.startswith("google_vertex_ai_endpoint"):
            cfg = r.get("predict_request_response_logging_config")
            if cfg is not None and _enabled(cfg, "enabled"):
                out.append((r, "Vertex AI endpoint logs requests and responses"))
        elif "onlineendpoints/deployments" in t:
            cfg = r.get("dataCollector")
            if cfg is not None:
                out.append((r, "Azure ML online deployment collects inference data"))
        elif t.endswith(("/inferenceservice", "/seldondeployment")) and re.search(
            r"\blogger\b", " ".join(_keys(r.props))
        ):
            out.append((r, f"{r.type.rsplit('/', 1)[-1]} logs requests and responses"))
    return out


def _enabled(cfg: object, key: str) -> bool:
    if isinstance(cfg, list) and cfg and isinstance(cfg[0], dict):
        cfg = cfg[0]
    if not isinstance(cfg, dict):
        return True
    for k, v in cfg.items():
        if str(k).replace("_", "").lower() == key.replace("_", "").lower():
            return v not in (False, "false", "False", 0)
    return True


def _keys(data: object) -> list[str]:
    return [key for key, _node in nodes(data, 3000) if key]


def _monitor_types() -> tuple[str, ...]:
    """Resource types that monitor a model or its data: the technology catalog's `iac:`
    recognisers of ``monitors_drift`` (assessments/technologies/*.yaml)."""
    from mlops_factory._assess.technologies import catalog

    return tuple(t.lower() for t, _tech in catalog().iac_types("monitors_drift"))


def model_monitoring(snap: RepoSnapshot) -> list[tuple[Resource, str]]:
    """Declared model or data monitoring: monitoring schedules, model monitors, alerts on
    model metrics."""
    out: list[tuple[Resource, str]] = []
    monitors = _monitor_types()
    for r in load_iac(snap).resources:
        t = _t(r)
        if t.startswith(monitors):
            out.append((r, f"{r.type} monitors a model or its data"))
        elif "workspaces/schedules" in t and "monitor" in r.text:
            out.append((r, "Azure ML schedule creates a model monitor"))
        elif t.startswith(_ALARM_TYPES) and _MODEL_METRIC.search(_declared(r)):
            out.append((r, f"{r.type} alerts on a model metric"))
    return out


_ROLLOUT = re.compile(r"canary|linear|blue_?green|allatonce", re.I)


def gradual_rollout(snap: RepoSnapshot) -> list[tuple[Resource, str]]:
    """Deployments that shift traffic step by step (with alarms to roll back)."""
    out: list[tuple[Resource, str]] = []
    for r in load_iac(snap).resources:
        pref = r.get("DeploymentPreference")
        if isinstance(pref, dict):
            kind = str(pref.get("Type", ""))
            if _ROLLOUT.search(kind) and "allatonce" not in kind.lower():
                alarms = " with alarms" if pref.get("Alarms") else ""
                out.append((r, f"SAM deployment preference {kind}{alarms}"))
                continue
        cfg = r.get("DeploymentConfig") or r.get("deployment_config")
        routing = None
        if cfg is not None:
            policy = _find_key(cfg, "TrafficRoutingConfiguration")
            routing = _find_key(policy, "Type") if policy is not None else None
        if isinstance(routing, str) and routing.upper() in ("CANARY", "LINEAR"):
            out.append((r, f"SageMaker endpoint blue/green update with {routing.lower()} traffic"))
        elif _t(r).endswith(("/rollout", "/canary")):
            out.append((r, f"progressive delivery ({r.type.rsplit('/', 1)[-1]})"))
        elif (
            _t(r).endswith("/inferenceservice")
            and "canarytrafficpercent" in " ".join(_keys(r.props)).lower()
        ):
            out.append((r, "KServe canary rollout"))
    return out


def _find_key(data: object, key: str) -> object:
    want = key.replace("_", "").lower()
    for k, node in nodes(data, 2000):
        if k.replace("_", "").lower() == want:
            return node
    return None
