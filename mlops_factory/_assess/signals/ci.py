"""CI signals: what the repo's pipelines actually do.

All signals read the parsed CI model (:func:`mlops_factory._assess.collect.ci.load_ci`),
built once per snapshot. Disabled jobs and steps (``if: false``, ``when: never``,
``enabled: false``, ``when { expression { false } }``) are skipped; comments
never reach the model. Matching is done per shell command segment, so
``pip install pytest`` is an install, not a test run.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mlops_factory._assess._pyindex import PyFile
from mlops_factory._assess.collect.ci import load_ci
from mlops_factory._assess.collect.cimodel import (
    CIModel,
    Job,
    Pipeline,
    Step,
    Trigger,
    covers_main,
)
from mlops_factory._assess.collect.runs import (
    DRIFT,
    INSTALLISH,
    MODEL_WORDS,
    Ran,
    resolve,
    segments,
)
from mlops_factory._assess.collect.shell import Command
from mlops_factory._assess.collect.yamlread import YList, YMap, load_yaml, source_line
from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.snapshot import RepoSnapshot

_I = re.IGNORECASE

# ---------------------------------------------------------------------- what commands do

_DEPLOY_ACTIONS = (
    "azure/webapps-deploy",
    "azure/k8s-deploy",
    "azure/container-apps-deploy-action",
    "azure/arm-deploy",
    "azure/functions-action",
    "azure/static-web-apps-deploy",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-appengine",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "akhileshns/heroku-deploy",
)
_DEPLOY_TASKS = (
    "azurewebapp@",
    "azurermwebappdeployment@",
    "azurewebappcontainer@",
    "azurefunctionapp@",
    "azurefunctionappcontainer@",
    "azurecontainerapps@",
    "azureresourcemanagertemplatedeployment@",
    "azureresourcegroupdeployment@",
    "kubernetesmanifest@",
)
_RELEASE_ACTIONS = (
    "pypa/gh-action-pypi-publish",
    "softprops/action-gh-release",
    "actions/create-release",
    "ncipollo/release-action",
    "python-semantic-release/",
    "googleapis/release-please-action",
    "google-github-actions/release-please-action",
)
_DISPATCH_ACTIONS = (
    "peter-evans/repository-dispatch",
    "benc-uk/workflow-dispatch",
    "convictional/trigger-workflow-and-wait",
    "the-actions-org/workflow-dispatch",
)
_VALIDATION = re.compile(
    r"evaluat\w*|validat\w*|parity|compar\w*|champion|challenger|promot\w*|\bgate\b", _I
)
#: Validation words that are about models even without the word "model".
_MODEL_VALIDATION_WORDS = re.compile(r"evaluat|champion|challenger|parity|promot", _I)
#: Environments used to publish packages or docs, not to deploy a service.
_NOT_DEPLOY_ENVS = frozenset({"pypi", "testpypi", "test-pypi", "github-pages"})
_TRAIN_NAME = re.compile(r"(^|[^a-z])(re)?train", _I)
#: A training run cut short to check that the code runs, not to produce a model.
_SMOKE = re.compile(
    r"\bsmoke\b|--(smoke[\w-]*|fast[-_]dev[-_]run|dry[-_]run|quick|ci[-_]mode)\b"
    r"|--(epochs?|max[-_]epochs|max[-_]steps|n[-_]epochs|num[-_]epochs)[= ]1\b",
    _I,
)
_DEPLOY_NAME = re.compile(r"deploy|release", _I)
_PROD = re.compile(r"(^|[^a-z])prod(uction)?([^a-z]|$)", _I)


def _kinds(snap: RepoSnapshot, text: str) -> frozenset[str]:
    """What a command does once its indirections (task runners, scripts, Python files,
    job specs) are followed; see :mod:`mlops_factory._assess.collect.runs`."""
    return resolve(snap, text).kinds


def _does(snap: RepoSnapshot, kind: str) -> Callable[[str], bool]:
    """A predicate: the command text does ``kind``."""
    return lambda text: kind in _kinds(snap, text)


def _uses(step: Step, prefixes: tuple[str, ...]) -> bool:
    low = step.uses.lower()
    return bool(low) and low.startswith(prefixes)


# ---------------------------------------------------------------------- helpers


def _ev(snap: RepoSnapshot, path: str, line: int, note: str, weak: bool = False) -> Evidence:
    return Evidence(path, line or None, source_line(snap, path, line), note, weak)


def _who(p: Pipeline, j: Job) -> str:
    return f"{p.title} {'stage' if p.provider == 'jenkins' else 'job'} '{j.title}'"


def _active(model: CIModel) -> Iterator[tuple[Pipeline, Job]]:
    for p in model.pipelines:
        for j in p.active_jobs:
            yield p, j


def _first(job: Job, pred: Callable[[str], bool]) -> tuple[Step, Command] | None:
    """The first active step command for which ``pred(text)`` holds."""
    for step in job.active_steps:
        for cmd in step.commands:
            if pred(cmd.text):
                return step, cmd
    return None


def _inert(model: CIModel, p: Pipeline, j: Job) -> str:
    """Why the platform would not run this job by itself ('' when it would)."""
    if p.inactive:
        return p.inactive
    triggers = model.job_triggers(p, j)
    if not triggers:
        return "nothing triggers it"
    if all(t.kind == "manual" for t in triggers):
        return "it only runs when started by hand"
    if all(t.kind == "manual" or _after_manual(model, t) for t in triggers):
        return "it only runs after a pipeline that is started by hand"
    return ""


def _after_manual(model: CIModel, t: Trigger) -> bool:
    """A ``workflow_run`` chain whose upstream workflows only a person starts."""
    if t.event != "workflow_run":
        return False
    names = {n.strip().lower() for n in t.detail.split(",") if n.strip()}
    ups = [p for p in model.pipelines if p.provider == "github" and p.name.lower() in names]
    return bool(ups) and all(
        all(x.kind == "manual" for x in model.effective_triggers(u)) for u in ups
    )


def _marked(ev: Evidence, reason: str) -> Evidence:
    """Evidence made weak, with the reason, when the job would not run by itself."""
    if not reason:
        return ev
    return Evidence(ev.path, ev.line, ev.snippet, f"{ev.note} ({reason})", True)


def _outside_pr(model: CIModel, p: Pipeline, j: Job) -> bool:
    """The job runs on something other than pull requests."""
    return any(t.kind != "pull_request" for t in model.job_triggers(p, j))


@dataclass(frozen=True, slots=True)
class _Hit:
    path: str
    line: int
    note: str
    weak: bool = False


def _deploy_hit(snap: RepoSnapshot, p: Pipeline, j: Job) -> _Hit | None:
    """Where the job deploys (strongest evidence first), or None."""
    for step in j.active_steps:
        if _uses(step, _DEPLOY_ACTIONS) or _uses(step, _DEPLOY_TASKS):
            return _Hit(step.path, step.line, f"{_who(p, j)} deploys with {step.uses}")
        if _uses(step, ("docker/build-push-action",)) and step.input("push").lower() == "true":
            return _Hit(step.path, step.line, f"{_who(p, j)} pushes an image ({step.uses})")
        for cmd in step.commands:
            if "deploy" in _kinds(snap, cmd.text):
                return _Hit(step.path, cmd.line, f"{_who(p, j)} deploys")
    if j.deployment:
        what = "Azure deployment job" if p.provider == "azure" else "deployment job"
        return _Hit(
            j.path,
            j.environment_line or j.line,
            f"{p.title} {what} '{j.title}' targets environment '{j.environment}'",
        )
    hint = _first(j, _does(snap, "deploy_hint"))
    if hint is not None:
        return _Hit(
            hint[0].path,
            hint[1].line,
            f"{_who(p, j)} runs a deploy script (its content was not checked)",
            weak=True,
        )
    if j.environment and j.environment.lower() not in _NOT_DEPLOY_ENVS:
        return _Hit(
            j.path,
            j.environment_line or j.line,
            f"{_who(p, j)} targets environment '{j.environment}' but no deploy command "
            "was recognised",
            weak=True,
        )
    if "deploy" in j.title.lower() and j.active_steps:
        return _Hit(
            j.path,
            j.line,
            f"{_who(p, j)} is named like a deployment; no deploy command seen",
            weak=True,
        )
    return None


def _through(snap: RepoSnapshot, text: str, kind: str) -> str:
    """`` through make test (Makefile:3)``: where an indirection led, for the note."""
    ran = resolve(snap, text).first(kind)
    if ran is None or not ran.via:
        return ""
    return f" through {' -> '.join(ran.via)} ({ran.path}:{ran.line})"


def _release_hit(snap: RepoSnapshot, p: Pipeline, j: Job) -> _Hit | None:
    for step in j.active_steps:
        if _uses(step, _RELEASE_ACTIONS) or step.uses.lower().startswith("githubrelease@"):
            return _Hit(step.path, step.line, f"{_who(p, j)} publishes a release ({step.uses})")
        for cmd in step.commands:
            if "release" in _kinds(snap, cmd.text):
                return _Hit(step.path, cmd.line, f"{_who(p, j)} publishes a release")
    return None


def _train_hit(snap: RepoSnapshot, p: Pipeline, j: Job) -> _Hit | None:
    found = _first(j, _does(snap, "train"))
    if found is not None:
        note = f"{_who(p, j)} runs training" + _through(snap, found[1].text, "train")
        if _SMOKE.search(found[1].text) or _SMOKE.search(f"{j.title} {found[0].name}"):
            return _Hit(found[0].path, found[1].line, note + " (a smoke run)", weak=True)
        return _Hit(found[0].path, found[1].line, note)
    if _TRAIN_NAME.search(j.title) and j.active_steps:
        return _Hit(
            j.path,
            j.line,
            f"{_who(p, j)} is named like training; no training command seen",
            weak=True,
        )
    for step in j.active_steps:
        if _TRAIN_NAME.search(step.name) and step.commands:
            return _Hit(
                step.path,
                step.line,
                f"{_who(p, j)} has a step named like training ('{step.name}')",
                weak=True,
            )
    return None


def _pipeline_trains(
    snap: RepoSnapshot, model: CIModel, path: str, seen: frozenset[str] = frozenset()
) -> bool:
    """Some active job of the pipeline at ``path`` (or a pipeline it calls) trains."""
    pipeline = model.by_path(path)
    if pipeline is None or path in seen:
        return False
    for j in pipeline.active_jobs:
        hit = _train_hit(snap, pipeline, j)
        if (hit is not None and not hit.weak) or (
            j.calls and _pipeline_trains(snap, model, j.calls, seen | {path})
        ):
            return True
    return False


def _trigger_text(t: Trigger) -> str:
    if t.kind == "tag":
        return "release publication" if t.event == "release" else "tags"
    if t.kind == "push":
        return "pushes to the main branch"
    return f"completion of {t.detail or 'another pipeline'}"


def _automatic_release_trigger(t: Trigger) -> tuple[bool, bool]:
    """(fires automatically on main or tags, only weakly known)."""
    if t.kind == "tag" or t.on_main:
        # Jenkins SCM polling and platform-side triggers (CodeBuild, Cloud Build) are assumed.
        return True, t.implicit and t.event in ("scm", "external")
    if t.kind == "dispatch" and t.event in ("workflow_run", "resources.pipelines"):
        # Chained after another pipeline: automatic; on main only if its filter says so.
        return True, not (t.branches and covers_main(t.branches, t.exclude))
    return False, False


# ---------------------------------------------------------------------- the signals


@signal(
    "ci_config",
    "A CI pipeline (GitHub Actions, Azure Pipelines, GitLab CI, Jenkins, Cloud Build, CodeBuild,"
    " CodePipeline, CircleCI, Bitbucket, Travis, Drone, Tekton, Argo Workflows) defines jobs.",
)
def ci_config(snap: RepoSnapshot) -> SignalResult:
    """One evidence per pipeline file with at least one active job, naming the provider."""
    evidence: list[Evidence] = []
    for p in load_ci(snap).pipelines:
        jobs = p.active_jobs
        if not jobs:
            continue
        first = jobs[0]
        line = first.line if first.path == p.path else 1
        note = f"{p.title} pipeline '{p.name}' defines {len(jobs)} active job(s)"
        evidence.append(_marked(_ev(snap, p.path, line, note), p.inactive))
    return result("ci_config", evidence)


@signal("ci_builds", "A CI job installs, builds or lints the code.")
def ci_builds(snap: RepoSnapshot) -> SignalResult:
    """Install, build, lint or type-check commands (``pip install``, ``docker build``, ``ruff``)."""
    evidence: list[Evidence] = []
    model = load_ci(snap)
    for p, j in _active(model):
        found = _first(j, _does(snap, "build"))
        if found is not None:
            note = f"{_who(p, j)} installs, builds or lints the code"
            ev = _ev(snap, found[0].path, found[1].line, note)
            evidence.append(_marked(ev, _inert(model, p, j)))
            continue
        for step in j.active_steps:
            if _uses(step, ("docker/build-push-action", "docker/bake-action")):
                ev = _ev(snap, step.path, step.line, f"{_who(p, j)} builds an image")
                evidence.append(_marked(ev, _inert(model, p, j)))
                break
    return result("ci_builds", evidence)


@signal("ci_runs_tests", "A CI job runs the test suite.")
def ci_runs_tests(snap: RepoSnapshot) -> SignalResult:
    """Test runners (pytest, unittest, tox, nox, ``make test``); installing pytest is not one."""
    evidence: list[Evidence] = []
    model = load_ci(snap)
    for p, j in _active(model):
        found = _first(j, _does(snap, "test"))
        if found is not None:
            note = f"{_who(p, j)} runs tests" + _through(snap, found[1].text, "test")
            ev = _ev(snap, found[0].path, found[1].line, note)
            evidence.append(_marked(ev, _inert(model, p, j)))
    return result("ci_runs_tests", evidence)


@signal("ci_trains", "A CI job runs model training or the training pipeline.")
def ci_trains(snap: RepoSnapshot) -> SignalResult:
    """Training commands; a job or step only *named* like training is weak evidence."""
    evidence: list[Evidence] = []
    model = load_ci(snap)
    for p, j in _active(model):
        hit = _train_hit(snap, p, j)
        if hit is not None:
            ev = _ev(snap, hit.path, hit.line, hit.note, hit.weak)
            evidence.append(_marked(ev, _inert(model, p, j)))
    return result("ci_trains", evidence)


@signal("ci_deploys", "A CI job (not restricted to pull requests) deploys.")
def ci_deploys(snap: RepoSnapshot) -> SignalResult:
    """Deploy commands, tasks, actions or deployment jobs, outside pull-request-only jobs."""
    model = load_ci(snap)
    evidence: list[Evidence] = []
    for p, j in _active(model):
        if not _outside_pr(model, p, j):
            continue
        hit = _deploy_hit(snap, p, j)
        if hit is not None:
            ev = _ev(snap, hit.path, hit.line, hit.note, hit.weak)
            evidence.append(_marked(ev, _inert(model, p, j)))
    return result("ci_deploys", evidence)


@signal("ci_environments", "CI deploys to two or more distinct named environments.")
def ci_environments(snap: RepoSnapshot) -> SignalResult:
    """Distinct environment names of deploying jobs; found with two or more."""
    model = load_ci(snap)
    seen: dict[str, Evidence] = {}
    for p, j in _active(model):
        if _deploy_hit(snap, p, j) is None:
            continue
        for env in model.environments(p, j):
            key = env.strip().lower()
            if not key or "${{" in key or key in seen:
                continue
            note = f"{_who(p, j)} deploys to environment '{env.strip()}'"
            ev = _ev(snap, j.path, j.environment_line or j.line, note)
            seen[key] = _marked(ev, p.inactive)
    evidence = list(seen.values())
    return result("ci_environments", evidence, found=len(evidence) >= 2)


@signal("ci_manual_approval", "A deployment to production waits for a person's approval.")
def ci_manual_approval(snap: RepoSnapshot) -> SignalResult:
    """A person gates the production deployment (protected environment, manual task or job)."""
    model = load_ci(snap)
    evidence: list[Evidence] = []
    for p, j in _active(model):
        if p.provider == "github":
            envs = [e for e in model.environments(p, j) if _PROD.search(e)]
            if envs:
                note = (
                    f"{_who(p, j)} deploys to environment '{envs[0]}'; approval rules are "
                    "configured in the repository settings"
                )
                evidence.append(_ev(snap, j.path, j.environment_line or j.line, note))
            for step in j.approval_steps:
                note = f"{_who(p, j)} waits for a manual approval ({step.uses})"
                evidence.append(_ev(snap, step.path, step.line, note))
        elif p.provider == "azure":
            for step in j.approval_steps:
                note = f"{_who(p, j)} waits for a person ({step.uses})"
                evidence.append(_ev(snap, step.path, step.line, note))
            if j.deployment:
                prod = bool(_PROD.search(j.environment))
                note = (
                    f"{_who(p, j)} is a deployment job to environment '{j.environment}'; "
                    "approvals and checks are configured on the environment in Azure DevOps"
                )
                if not prod:
                    note += " (not a production environment)"
                evidence.append(
                    _ev(snap, j.path, j.environment_line or j.line, note, weak=not prod)
                )
        elif p.provider == "gitlab":
            if j.manual and (
                j.deployment
                or _DEPLOY_NAME.search(f"{j.title} {j.stage}")
                or _deploy_hit(snap, p, j) is not None
                or any(_PROD.search(s.name) for s in j.approval_steps)
            ):
                note = f"{_who(p, j)} deploys only when started by a person (when: manual)"
                evidence.append(_ev(snap, j.path, j.line, note))
        elif p.provider == "jenkins":
            for step in j.approval_steps:
                note = f"{_who(p, j)} waits for a person (input step)"
                evidence.append(_ev(snap, step.path, step.line, note))
        else:
            # CodePipeline/CircleCI approvals, Bitbucket manual deployment steps, Drone promote.
            for step in j.approval_steps:
                note = f"{_who(p, j)} waits for a person's approval ({step.uses})"
                evidence.append(_marked(_ev(snap, step.path, step.line, note), p.inactive))
            if j.manual and (j.deployment or _deploy_hit(snap, p, j) is not None):
                note = f"{_who(p, j)} deploys only when a person starts it"
                evidence.append(_marked(_ev(snap, j.path, j.line, note), p.inactive))
    return result("ci_manual_approval", evidence)


@signal("ci_schedule", "Some CI pipeline runs on a schedule.")
def ci_schedule(snap: RepoSnapshot) -> SignalResult:
    """Schedule triggers (cron, GitLab schedule rules) of pipelines that have active jobs."""
    evidence: list[Evidence] = []
    for p in load_ci(snap).pipelines:
        if not p.active_jobs:
            continue
        for t in p.triggers:
            if t.kind == "schedule":
                when = f" (cron '{t.detail}')" if t.detail else ""
                note = f"{p.title} pipeline '{p.name}' runs on a schedule{when}"
                evidence.append(_marked(_ev(snap, t.path, t.line, note), p.inactive))
    return result("ci_schedule", evidence)


@signal(
    "ci_release_on_tag_or_main",
    "A release/deploy pipeline runs automatically on tags or pushes to the main branch.",
)
def ci_release_on_tag_or_main(snap: RepoSnapshot) -> SignalResult:
    """Deploy/release jobs whose triggers fire on tags, main pushes or chained runs."""
    model = load_ci(snap)
    evidence: list[Evidence] = []
    seen: set[tuple[str, int]] = set()
    for p, j in _active(model):
        hit = _deploy_hit(snap, p, j) or _release_hit(snap, p, j)
        if hit is None:
            continue
        for t in model.job_triggers(p, j):
            auto, weak = _automatic_release_trigger(t)
            if not auto:
                continue
            path, line = (j.path, j.line) if t.implicit else (t.path, t.line)
            if (path, line) in seen:
                continue
            seen.add((path, line))
            default = t.implicit and t.kind == "push" and not t.branches
            how = "every push (the provider's default trigger)" if default else ""
            note = f"{_who(p, j)} deploys or releases automatically on {how or _trigger_text(t)}"
            if t.kind == "push" and t.implicit and p.provider == "jenkins":
                note += " (assuming the Jenkins job builds on SCM changes)"
            ev = _ev(snap, path, line, note, weak or hit.weak)
            evidence.append(_marked(ev, p.inactive))
    return result("ci_release_on_tag_or_main", evidence)


_RELEASE_BRANCH = re.compile(r"^(main|master|release[\w/*.-]*|prod\w*|production)$", _I)


def _promotion_trigger(t: Trigger) -> bool:
    """A trigger that is no pull request and no person: main/release pushes, tags,
    schedules, chained runs and events."""
    if t.kind in ("pull_request", "manual", "call"):
        return False
    if t.kind == "push":
        return t.on_main or any(_RELEASE_BRANCH.match(b) for b in t.branches)
    return True


@signal(
    "ci_promotes_model",
    "CI, on a push to main or a release branch, a tag, a schedule or an event (not a pull "
    "request), registers or promotes a model or deploys a model endpoint.",
)
def ci_promotes_model(snap: RepoSnapshot) -> SignalResult:
    """Registry promotions (stage transitions, aliases), model endpoint deployments and
    registrations, found through scripts, Python files and job specs CI runs."""
    model = load_ci(snap)
    evidence: list[Evidence] = []
    for p, j in _active(model):
        triggers = [t for t in model.job_triggers(p, j) if _promotion_trigger(t)]
        if not triggers:
            continue
        when = _trigger_text(triggers[0]) if triggers[0].kind != "schedule" else "a schedule"
        hits = [h for step in j.active_steps if (h := _promotion_in(snap, step)) is not None]
        if not hits:
            continue
        step, cmd, ran, what, weak = min(hits, key=lambda h: h[4])
        reason = _inert(model, p, j)
        note = f"{_who(p, j)} {what} on {when}"
        evidence.append(_marked(_ev(snap, step.path, cmd.line, note, weak), reason))
        if ran is not None and ran.path != step.path:
            how = " -> ".join(ran.via)
            ev = _ev(snap, ran.path, ran.line, f"reached from CI through {how}", weak)
            evidence.append(_marked(ev, reason))
    return result("ci_promotes_model", evidence)


_PROMOTION = (
    ("promote", "promotes a model in the registry", False),
    ("deploy_model", "deploys a model endpoint", False),
    ("register", "registers a model", True),
)


def _promotion_in(
    snap: RepoSnapshot, step: Step
) -> tuple[Step, Command, Ran | None, str, bool] | None:
    for kind, what, weak in _PROMOTION:
        for cmd in step.commands:
            res = resolve(snap, cmd.text)
            if kind in res.kinds:
                return step, cmd, res.first(kind), what, weak
    return None


@signal(
    "ci_model_validation",
    "CI validates the model (evaluation, parity, champion/challenger) before release.",
)
def ci_model_validation(snap: RepoSnapshot) -> SignalResult:
    """Model evaluation/parity/champion-challenger steps in jobs that run outside pull requests."""
    model = load_ci(snap)
    evidence: list[Evidence] = []
    for p, j in _active(model):
        if not _outside_pr(model, p, j):
            continue
        hit: _Hit | None = None
        for step in j.active_steps:
            for cmd in step.commands:
                if "validate" in _kinds(snap, cmd.text):
                    hit = _Hit(step.path, cmd.line, f"{_who(p, j)} validates the model")
                    break
            if hit is None and _validation_name(step.name):
                hit = _Hit(
                    step.path,
                    step.line,
                    f"{_who(p, j)} has a validation step ('{step.name}'); its command was "
                    "not recognised",
                    weak=True,
                )
            if hit is not None:
                break
        if hit is None and _validation_name(j.title) and j.active_steps:
            hit = _Hit(j.path, j.line, f"{_who(p, j)} is named like model validation", weak=True)
        if hit is not None:
            evidence.append(_ev(snap, hit.path, hit.line, hit.note, hit.weak))
    return result("ci_model_validation", evidence)


def _validation_name(name: str) -> bool:
    """A step/job name that says it validates a model ("Evaluate", "Compare with champion")."""
    if not name or not _VALIDATION.search(name):
        return False
    return bool(MODEL_WORDS.search(name) or _MODEL_VALIDATION_WORDS.search(name))


# ---------------------------------------------------------------------- retraining


@signal("scheduled_retraining", "A scheduled pipeline runs training.")
def scheduled_retraining(snap: RepoSnapshot) -> SignalResult:
    """Training under a schedule: CI, Azure ML schedule YAML, or an Airflow DAG."""
    model = load_ci(snap)
    evidence: list[Evidence] = []
    for p, j in _active(model):
        schedules = [t for t in model.job_triggers(p, j) if t.kind == "schedule"]
        if not schedules:
            continue
        hit = _train_hit(snap, p, j)
        if hit is None:
            continue
        cron = next((t.detail for t in schedules if t.detail), "")
        when = f" (cron '{cron}')" if cron else ""
        note = f"{_who(p, j)} runs training on a schedule{when}"
        evidence.append(_ev(snap, hit.path, hit.line, note, hit.weak))
    ci_paths = {src for p in model.pipelines for src in p.sources}
    evidence.extend(_azureml_schedules(snap, ci_paths))
    evidence.extend(_iac_schedules(snap))
    evidence.extend(_airflow_schedules(snap))
    return result("scheduled_retraining", evidence)


def _iac_schedules(snap: RepoSnapshot) -> list[Evidence]:
    """Schedules declared as infrastructure code that start a training pipeline."""
    from mlops_factory._assess.collect.iacquery import scheduled_training

    out: list[Evidence] = []
    for chain in scheduled_training(snap):
        first, last = chain.chain[0], chain.chain[-1]
        what = "code that starts training" if chain.code[0] else last.type
        note = f"{first.format} schedule {first.type} starts {what}"
        out.append(Evidence(first.path, first.line, first.snippet, note))
    return out


def _azureml_schedules(snap: RepoSnapshot, ci_paths: set[str]) -> list[Evidence]:
    """Azure ML schedule YAML (``type: schedule`` + ``create_job``) of a training job."""
    out: list[Evidence] = []
    for path in _candidates(snap).schedule_yaml:
        if path in ci_paths:
            continue
        doc = load_yaml(snap, path)
        if doc is None or "create_job" not in doc:
            continue
        if doc.str("type") != "schedule" and "trigger" not in doc:
            continue
        if not _schedule_trains(snap, path, doc):
            continue
        trigger = doc.get("trigger")
        what = ""
        if isinstance(trigger, YMap):
            what = trigger.str("expression") or trigger.str("frequency")
        note = "Azure ML schedule creates a training job" + (f" ({what})" if what else "")
        out.append(_ev(snap, path, doc.key_line("create_job"), note))
    return out


def _schedule_trains(snap: RepoSnapshot, path: str, doc: YMap) -> bool:
    texts = [doc.str("name"), doc.str("display_name"), doc.str("description")]
    job = doc.get("create_job")
    refs: list[str] = []
    if isinstance(job, str):
        refs.append(job)
    elif isinstance(job, YMap):
        texts.extend(_scalars(job, 0))
        refs.append(job.str("job"))
    texts.extend(refs)
    if any("train" in t.lower() for t in texts):
        return True
    for ref in refs:
        target = ref.removeprefix("file:").strip()
        if not target.endswith((".yml", ".yaml")):
            continue
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        full = posixpath.normpath(posixpath.join(folder, target))
        if snap.exists(full):
            text = snap.read_text(full) or ""
            if "train" in text.lower():
                return True
    return False


def _scalars(value: object, depth: int) -> list[str]:
    if depth > 6:
        return []
    if isinstance(value, YMap):
        return [s for v in value.values() for s in _scalars(v, depth + 1)]
    if isinstance(value, YList):
        return [s for v in value for s in _scalars(v, depth + 1)]
    return [str(value)] if value is not None else []


@dataclass(frozen=True, slots=True)
class _Candidates:
    """Non-CI files the retraining signals may read, selected by path in one pass."""

    schedule_yaml: tuple[str, ...]


def _candidates(snap: RepoSnapshot) -> _Candidates:
    cached = snap.cache.get("ci.candidates")
    if isinstance(cached, _Candidates):
        return cached
    schedules: list[str] = []
    for entry in snap.files:
        path = entry.path
        if path.endswith((".yml", ".yaml")) and "schedule" in path.lower():
            schedules.append(path)
    found = _Candidates(tuple(schedules))
    snap.cache["ci.candidates"] = found
    return found


def _airflow_schedules(snap: RepoSnapshot) -> list[Evidence]:
    """Airflow DAGs with a schedule whose tasks train (through the Python index)."""
    from mlops_factory._assess._pyindex import Ref, python_index

    out: list[Evidence] = []
    for pf in python_index(snap).files("source", words=("DAG", "dag")):
        if not _mentions_training(pf):
            continue
        for c in pf.calls:
            if c.last not in ("DAG", "dag"):
                continue
            for key in ("schedule", "schedule_interval", "timetable"):
                if not c.has_kw(key):
                    continue
                value = c.kw(key)
                if value is None or value == "None":
                    continue
                sched = value.name if isinstance(value, Ref) else repr(value)
                note = f"Airflow DAG scheduled {(sched or 'by an expression')[:40]} runs training"
                out.append(_ev(snap, pf.path, c.line, note))
                break
    return out


# ---------------------------------------------------------------------- drift -> retraining


@signal(
    "drift_triggered_retraining",
    "Detected drift triggers retraining (a CI step or code dispatches the training pipeline).",
)
def drift_triggered_retraining(snap: RepoSnapshot) -> SignalResult:
    """A drift result gates training or a dispatch of it (in CI or in drift code)."""
    model = load_ci(snap)
    evidence: list[Evidence] = []
    for p in model.pipelines:
        evidence.extend(_drift_in_pipeline(snap, model, p))
    evidence.extend(_drift_workflow_run(snap, model))
    if not evidence:
        from mlops_factory._assess.signals.infra import loop_evidence

        evidence.extend(loop_evidence(snap))
    if not evidence:
        evidence.extend(_drift_from_code(snap, model))
    return result("drift_triggered_retraining", evidence)


def _is_drift_step(snap: RepoSnapshot, step: Step) -> bool:
    return bool(
        DRIFT.search(f"{step.name} {step.id} {step.uses}")
        or any("drift" in _kinds(snap, c.text) for c in step.commands)
    )


def _retrains(snap: RepoSnapshot, step: Step) -> bool:
    return any(_kinds(snap, c.text) & {"dispatch", "train"} for c in step.commands) or _uses(
        step, _DISPATCH_ACTIONS
    )


def _job_retrains(snap: RepoSnapshot, model: CIModel, j: Job) -> bool:
    return any(_retrains(snap, s) for s in j.active_steps) or bool(
        j.calls and _pipeline_trains(snap, model, j.calls)
    )


def _drift_in_pipeline(snap: RepoSnapshot, model: CIModel, p: Pipeline) -> list[Evidence]:
    out: list[Evidence] = []
    drift_jobs: set[str] = set()
    for j in p.active_jobs:
        steps = j.active_steps
        drift_ids: list[str] = []
        drift_seen = False
        for step in steps:
            if (
                drift_seen
                and _retrains(snap, step)
                and _refers_to_drift(step.condition, drift_ids, failure_counts=True)
            ):
                note = f"{_who(p, j)} retrains or dispatches training when the drift step says so"
                out.append(_ev(snap, step.path, step.line, note))
                return out
            if _is_drift_step(snap, step):
                drift_seen = True
                if step.id:
                    drift_ids.append(step.id)
                # One script that computes drift, then dispatches or trains.
                after = _after_drift(snap, step)
                if after is not None:
                    note = f"{_who(p, j)} computes drift, then dispatches or runs training"
                    out.append(_ev(snap, step.path, after.line, note))
                    return out
        if drift_seen:
            drift_jobs.add(j.id)
    for j in p.active_jobs:
        if j.id in drift_jobs or not _job_retrains(snap, model, j):
            continue
        needs_drift = bool(set(j.needs) & drift_jobs)
        if _refers_to_drift(j.condition, sorted(drift_jobs), failure_counts=needs_drift) and (
            needs_drift or "drift" in j.condition.lower()
        ):
            note = f"{_who(p, j)} retrains only when the drift job reports drift"
            out.append(_ev(snap, j.path, j.line, note))
            return out
    return out


def _after_drift(snap: RepoSnapshot, step: Step) -> Command | None:
    """A dispatch or training command that follows a drift command in the same script."""
    drift = False
    for cmd in step.commands:
        for seg in segments(cmd.text):
            if drift and _kinds(snap, seg) & {"dispatch", "train"}:
                return cmd
            if DRIFT.search(seg) and not INSTALLISH.search(seg):
                drift = True
    return None


def _refers_to_drift(condition: str, ids: list[str], failure_counts: bool) -> bool:
    """The condition reads the drift check's result (its outputs, or its failure)."""
    if not condition:
        return False
    low = condition.lower()
    if "drift" in low:
        return True
    if failure_counts and re.search(r"\b(failure|failed)\(\)", low):
        return True
    return any(
        re.search(rf"\b(steps|needs|dependencies)\.{re.escape(i.lower())}\.", low) for i in ids
    )


def _drift_workflow_run(snap: RepoSnapshot, model: CIModel) -> list[Evidence]:
    """A training workflow started by completion of a workflow that computes drift."""
    out: list[Evidence] = []
    drift_names = {
        p.name.lower()
        for p in model.pipelines
        if p.provider == "github"
        and any(_is_drift_step(snap, s) for j in p.active_jobs for s in j.active_steps)
    }
    for p in model.pipelines:
        if not _pipeline_trains(snap, model, p.path):
            continue
        for t in p.triggers:
            if t.event != "workflow_run":
                continue
            names = {n.strip().lower() for n in t.detail.split(",") if n.strip()}
            if names & drift_names or "drift" in t.detail.lower():
                note = (
                    f"{p.title} training pipeline '{p.name}' runs after the drift workflow "
                    f"({t.detail})"
                )
                out.append(_ev(snap, t.path, t.line, note))
    return out


#: Which provider's pipelines a dispatch mechanism in code can start.
_CODE_DISPATCH = (
    (re.compile(r"/dispatches\b|\bgh\s+workflow\s+run\b|create_(repository_)?dispatch"), "github"),
    (re.compile(r"_apis/(pipelines|build/builds)|\baz\s+pipelines\s+run\b"), "azure"),
    (re.compile(r"/trigger/pipeline\b|/api/v4/projects/.*/pipeline"), "gitlab"),
    (re.compile(r"buildWithParameters|/job/[^/]+/build\b"), "jenkins"),
)


def _drift_from_code(snap: RepoSnapshot, model: CIModel) -> list[Evidence]:
    """A dispatchable training pipeline plus code that dispatches it when drift is found."""
    targets: dict[str, tuple[Pipeline, Trigger | None]] = {}
    for p in model.pipelines:
        if p.provider in targets or not p.active_jobs or not _pipeline_trains(snap, model, p.path):
            continue
        if p.provider == "github":
            t = next(
                (t for t in p.triggers if t.event in ("repository_dispatch", "workflow_dispatch")),
                None,
            )
            if t is not None:
                targets["github"] = (p, t)
        else:
            # Azure, GitLab and Jenkins pipelines can all be started through their API.
            targets[p.provider] = (p, None)
    if not targets:
        return []
    for provider, path, line in _python_dispatchers(snap):
        if provider not in targets:
            continue
        p, t = targets[provider]
        how = f" ({t.event})" if t is not None else ""
        out = [
            _ev(
                snap,
                path,
                line,
                f"code that computes drift dispatches the {p.title} training pipeline",
            ),
            _ev(
                snap,
                t.path if t is not None else p.path,
                t.line if t is not None else 1,
                f"{p.title} training pipeline '{p.name}' can be dispatched{how}",
            ),
        ]
        return out
    return []


def _python_dispatchers(snap: RepoSnapshot) -> list[tuple[str, str, int]]:
    """(provider, path, line) of pipeline dispatches in non-test modules that compute drift."""
    from mlops_factory._assess._pyindex import python_index

    key = "ci.drift_dispatch"
    cached = snap.cache.get(key)
    if isinstance(cached, list):
        return cached
    found: list[tuple[str, str, int]] = []
    for pf in python_index(snap).files(
        "source", where=lambda words: any(DRIFT.search(w) or w == "psi" for w in words)
    ):
        if not any(DRIFT.search(n) or n == "psi" for n in _names(pf)):
            continue
        hit = _dispatch_in(pf)
        if hit is not None:
            found.append((hit[0], pf.path, hit[1]))
    snap.cache[key] = found
    return found


def _names(pf: PyFile) -> Iterator[str]:
    """Identifiers the code uses: called names, definitions, imports and assignments."""
    for c in pf.calls:
        yield from c.name.split(".")
    yield from (d.name for d in pf.defs)
    yield from (part for module in pf.imports for part in module.split("."))
    yield from (a.target.rsplit(".", 1)[-1] for a in pf.assigns)


def _dispatch_in(pf: PyFile) -> tuple[str, int] | None:
    for c in pf.calls:
        if c.last in ("create_dispatch", "create_repository_dispatch"):
            return "github", c.line
    for text, line in pf.strings:
        for rx, provider in _CODE_DISPATCH:
            if rx.search(text):
                return provider, line
    return None


def _mentions_training(pf: PyFile) -> bool:
    """The module names training: a string, a definition or a called name."""
    return (
        any("train" in t.lower() for t, _line in pf.strings)
        or any("train" in d.name.lower() for d in pf.defs)
        or any("train" in c.name.lower() for c in pf.calls)
    )
