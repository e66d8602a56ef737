"""The provider-neutral CI model: parsing of each provider, lines, disabled parts, errors."""

from __future__ import annotations

from pathlib import Path

from mlops_factory._assess.collect.ci import load_ci
from mlops_factory._assess.collect.cimodel import CIModel, Gate, Job, Pipeline, covers_main
from mlops_factory._assess.collect.conditions import classify_condition
from mlops_factory._assess.collect.jenkins import jenkins_environment
from mlops_factory._assess.collect.shell import Command, script_commands
from mlops_factory._assess.collect.yamlread import is_false, load_yaml
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree


def _snap(root: Path, tree: dict[str, str]) -> RepoSnapshot:
    build_tree(root, tree)
    return RepoSnapshot.open(root, with_git=False)


def _model(root: Path, tree: dict[str, str]) -> CIModel:
    return load_ci(_snap(root, tree))


def _only(model: CIModel) -> Pipeline:
    assert len(model.pipelines) == 1, [p.path for p in model.pipelines]
    return model.pipelines[0]


def _job(p: Pipeline, job_id: str) -> Job:
    for j in p.jobs:
        if j.id == job_id:
            return j
    raise AssertionError(f"no job {job_id!r} in {[j.id for j in p.jobs]}")


def _cmds(job: Job) -> list[tuple[str, int]]:
    return [(c.text, c.line) for s in job.active_steps for c in s.commands]


# ---------------------------------------------------------------------- GitHub Actions

GITHUB_CI = """
name: ci
on:
  push:
    branches: [main]
    tags: ["v*"]
  pull_request:
  schedule:
    - cron: "0 2 * * *"
  workflow_dispatch:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Tests
        run: |
          pip install -e . \\
            pytest
          # pytest --disabled
          pytest -q  # fast
      - run: python -m build
        if: false
  # deploy:
  #   steps:
  #     - run: kubectl apply -f k8s/
  never:
    if: ${{ false }}
    runs-on: ubuntu-latest
    steps:
      - run: helm upgrade app ./chart
  release:
    needs: [test]
    if: github.ref == 'refs/heads/main'
    environment:
      name: production
      url: https://example.org
    runs-on: ubuntu-latest
    steps:
      - run: "az ml online-deployment update --name blue"
"""


def test_github_on_key_is_not_the_boolean_true(tmp_path: Path) -> None:
    p = _only(_model(tmp_path, {".github/workflows/ci.yml": GITHUB_CI}))
    assert p.provider == "github"
    assert p.name == "ci"
    kinds = [(t.kind, t.event, t.line, t.branches, t.detail) for t in p.triggers]
    assert kinds == [
        ("push", "push", 3, ("main",), ""),
        ("tag", "push", 5, (), "v*"),
        ("pull_request", "pull_request", 6, (), ""),
        ("schedule", "schedule", 8, (), "0 2 * * *"),
        ("manual", "workflow_dispatch", 9, (), ""),
    ]
    assert all(t.path == ".github/workflows/ci.yml" for t in p.triggers)


def test_github_jobs_steps_commands_and_lines(tmp_path: Path) -> None:
    p = _only(_model(tmp_path, {".github/workflows/ci.yml": GITHUB_CI}))
    assert [j.id for j in p.jobs] == ["test", "never", "release"]
    test = _job(p, "test")
    assert test.line == 11
    assert [s.line for s in test.steps] == [14, 15, 21]
    assert test.steps[0].uses == "actions/checkout@v4"
    assert test.steps[1].name == "Tests"
    # The continuation is joined, the commented line and the trailing comment are dropped.
    assert [(c.text, c.line) for c in test.steps[1].commands] == [
        ("pip install -e . pytest", 17),
        ("pytest -q", 20),
    ]
    assert test.steps[2].disabled
    assert _cmds(test) == [("pip install -e . pytest", 17), ("pytest -q", 20)]


def test_github_commented_job_is_absent_and_disabled_job_flagged(tmp_path: Path) -> None:
    p = _only(_model(tmp_path, {".github/workflows/ci.yml": GITHUB_CI}))
    assert "deploy" not in [j.id for j in p.jobs]
    assert _job(p, "never").disabled
    assert [j.id for j in p.active_jobs] == ["test", "release"]


def test_github_environment_needs_and_gate(tmp_path: Path) -> None:
    p = _only(_model(tmp_path, {".github/workflows/ci.yml": GITHUB_CI}))
    release = _job(p, "release")
    assert release.environment == "production"
    assert (release.line, release.environment_line) == (31, 34)
    assert release.needs == ("test",)
    assert release.gate == Gate(None, frozenset({"main"}))
    assert _cmds(release) == [("az ml online-deployment update --name blue", 39)]


def test_github_job_triggers_apply_the_gate(tmp_path: Path) -> None:
    model = _model(tmp_path, {".github/workflows/ci.yml": GITHUB_CI})
    p = _only(model)
    kinds = [(t.kind, t.branches) for t in model.job_triggers(p, _job(p, "release"))]
    # Pull requests and tags are excluded by `github.ref == 'refs/heads/main'`.
    assert kinds == [("push", ("main",)), ("schedule", ()), ("manual", ())]


def test_github_on_as_string_and_list(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        {
            ".github/workflows/a.yml": "on: push\njobs:\n  a:\n    steps: [{run: make}]\n",
            ".github/workflows/b.yaml": "on: [pull_request]\njobs:\n  b:\n    steps: []\n",
            ".github/workflows/nested/c.yml": "on: push\njobs:\n  c: {steps: []}\n",
        },
    )
    assert [p.path for p in model.pipelines] == [
        ".github/workflows/a.yml",
        ".github/workflows/b.yaml",
    ]
    a, b = model.pipelines
    assert [(t.kind, t.implicit) for t in a.triggers] == [("push", False), ("tag", True)]
    assert [t.kind for t in b.triggers] == ["pull_request"]


def test_github_reusable_workflow_inherits_triggers_and_inputs(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        {
            ".github/workflows/release.yml": """
                on:
                  push:
                    branches: [main]
                jobs:
                  staging:
                    uses: ./.github/workflows/deploy.yml
                    with:
                      environment: staging
                  production:
                    needs: staging
                    uses: ./.github/workflows/deploy.yml
                    with:
                      environment: production
                """,
            ".github/workflows/deploy.yml": """
                on:
                  workflow_call:
                    inputs:
                      environment: {type: string}
                jobs:
                  deploy:
                    environment: ${{ inputs.environment }}
                    steps:
                      - run: az containerapp update -n app
                """,
        },
    )
    deploy = model.by_path(".github/workflows/deploy.yml")
    assert deploy is not None
    assert [t.kind for t in deploy.triggers] == ["call"]
    inherited = model.effective_triggers(deploy)
    assert [(t.kind, t.path, t.line) for t in inherited] == [
        ("push", ".github/workflows/release.yml", 2),
        ("push", ".github/workflows/release.yml", 2),
    ]
    job = deploy.jobs[0]
    assert model.environments(deploy, job) == ("staging", "production")
    release = model.by_path(".github/workflows/release.yml")
    assert release is not None
    assert [j.calls for j in release.jobs] == [".github/workflows/deploy.yml"] * 2


def test_github_matrix_environment_is_resolved(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        {
            ".github/workflows/d.yml": """
                on: push
                jobs:
                  deploy:
                    strategy:
                      matrix:
                        env: [dev, prod]
                    environment: ${{ matrix.env }}
                    steps:
                      - run: helm upgrade app chart
                """
        },
    )
    p = _only(model)
    assert model.environments(p, p.jobs[0]) == ("dev", "prod")


def test_github_local_composite_action_steps_are_inlined(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        {
            ".github/workflows/ci.yml": """
                on: push
                jobs:
                  test:
                    steps:
                      - uses: ./.github/actions/setup
                """,
            ".github/actions/setup/action.yml": """
                name: setup
                runs:
                  using: composite
                  steps:
                    - shell: bash
                      run: pytest -x
                """,
        },
    )
    p = _only(model)
    steps = p.jobs[0].steps
    assert [(s.path, s.line) for s in steps] == [
        (".github/workflows/ci.yml", 5),
        (".github/actions/setup/action.yml", 5),
    ]
    assert steps[1].commands == (Command("pytest -x", 6),)
    assert ".github/actions/setup/action.yml" in p.sources


def test_github_script_inputs_become_commands(tmp_path: Path) -> None:
    p = _only(
        _model(
            tmp_path,
            {
                ".github/workflows/d.yml": """
                    on: push
                    jobs:
                      deploy:
                        steps:
                          - uses: azure/cli@v2
                            with:
                              inlineScript: |
                                az ml online-endpoint update -n ep
                    """
            },
        )
    )
    assert _cmds(p.jobs[0]) == [("az ml online-endpoint update -n ep", 8)]
    assert p.jobs[0].steps[0].input("INLINESCRIPT").startswith("az ml")


# ---------------------------------------------------------------------- Azure Pipelines

AZURE_MAIN = """
trigger:
  branches:
    include: [main]
  tags:
    include: ["v*"]
pr: [main]
schedules:
  - cron: "0 3 * * 0"
    branches:
      include: [main]
stages:
  - stage: Build
    jobs:
      - job: Test
        steps:
          - script: |
              pip install -r requirements.txt
              pytest
            displayName: Test
          - template: templates/lint.yml
          - script: python -m build
            enabled: false
  - stage: Deploy
    condition: eq(variables['Build.SourceBranch'], 'refs/heads/main')
    jobs:
      - deployment: DeployProd
        environment: production.aks
        strategy:
          runOnce:
            deploy:
              steps:
                - task: AzureCLI@2
                  inputs:
                    scriptType: bash
                    inlineScript: |
                      az ml online-deployment create -f deploy.yml
      - job: Approve
        pool: server
        condition: false
        steps:
          - task: ManualValidation@0
"""


def test_azure_triggers(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        {
            "azure-pipelines.yml": AZURE_MAIN,
            "templates/lint.yml": "steps:\n  - script: ruff check .\n",
        },
    )
    p = _only(model)
    assert p.provider == "azure"
    got = [(t.kind, t.line, t.branches, t.detail) for t in p.triggers]
    assert got == [
        ("push", 1, ("main",), ""),
        ("tag", 1, (), "v*"),
        ("pull_request", 6, ("main",), ""),
        ("schedule", 8, ("main",), "0 3 * * 0"),
    ]


def test_azure_stages_jobs_templates_and_disabled(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        {
            "azure-pipelines.yml": AZURE_MAIN,
            "templates/lint.yml": "steps:\n  - script: ruff check .\n",
        },
    )
    p = _only(model)
    assert [(j.id, j.stage, j.line) for j in p.jobs] == [
        ("Test", "Build", 14),
        ("DeployProd", "Deploy", 26),
        ("Approve", "Deploy", 37),
    ]
    test = _job(p, "Test")
    assert [(s.path, s.line) for s in test.steps] == [
        ("azure-pipelines.yml", 16),
        ("templates/lint.yml", 2),
        ("azure-pipelines.yml", 21),
    ]
    assert test.steps[2].disabled
    assert _cmds(test) == [
        ("pip install -r requirements.txt", 17),
        ("pytest", 18),
        ("ruff check .", 2),
    ]
    assert p.sources == ("azure-pipelines.yml", "templates/lint.yml")


def test_azure_deployment_job(tmp_path: Path) -> None:
    p = _only(_model(tmp_path, {"azure-pipelines.yml": AZURE_MAIN}))
    deploy = _job(p, "DeployProd")
    assert deploy.deployment
    assert deploy.environment == "production"
    assert deploy.environment_line == 27
    assert deploy.gate == Gate(None, frozenset({"main"}))
    assert _cmds(deploy) == [("az ml online-deployment create -f deploy.yml", 36)]
    approve = _job(p, "Approve")
    assert approve.disabled
    assert [s.uses for s in approve.approval_steps] == ["ManualValidation@0"]
    assert deploy.approval_steps == ()


def test_azure_default_trigger_and_none(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        {
            "azure-pipelines.yml": "steps:\n  - script: make test\n",
            ".azure-pipelines/manual.yml": "trigger: none\npr: none\nsteps:\n  - script: make\n",
        },
    )
    by = {p.path: p for p in model.pipelines}
    default = by["azure-pipelines.yml"]
    assert [(t.kind, t.implicit, t.on_main) for t in default.triggers] == [("push", True, True)]
    assert [j.id for j in default.jobs] == ["(steps)"]
    assert by[".azure-pipelines/manual.yml"].triggers == ()


def test_azure_template_files_are_not_pipelines_of_their_own(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        {
            ".azure-pipelines/main.yml": """
                stages:
                  - template: templates/stage.yml
                """,
            ".azure-pipelines/templates/stage.yml": """
                stages:
                  - stage: S
                    jobs:
                      - template: jobs.yml
                """,
            ".azure-pipelines/templates/jobs.yml": """
                jobs:
                  - job: J
                    steps:
                      - bash: dvc repro
                """,
        },
    )
    p = _only(model)
    assert p.path == ".azure-pipelines/main.yml"
    assert [(j.id, j.path, j.stage) for j in p.jobs] == [
        ("J", ".azure-pipelines/templates/jobs.yml", "S")
    ]
    assert _cmds(p.jobs[0]) == [("dvc repro", 4)]


def test_azure_conditional_insertion_is_flattened(tmp_path: Path) -> None:
    p = _only(
        _model(
            tmp_path,
            {
                "azure-pipelines.yml": """
                    steps:
                      - ${{ if eq(parameters.full, true) }}:
                        - script: pytest
                """
            },
        )
    )
    assert _cmds(p.jobs[0]) == [("pytest", 3)]


# ---------------------------------------------------------------------- GitLab CI

GITLAB = """
include:
  - local: ci/deploy.yml
stages: [test, deploy]
.py: &py
  image: python:3.11
  before_script:
    - pip install -e .
test:
  <<: *py
  stage: test
  script:
    - pytest
    # - python train.py
retrain:
  extends: .py
  script: python -m churn.train
  rules:
    - if: '$CI_PIPELINE_SOURCE == "schedule"'
off:
  script: [make deploy]
  when: never
never-by-rule:
  script: [make deploy]
  rules:
    - if: '$CI_PIPELINE_SOURCE == "schedule"'
      when: never
"""
GITLAB_DEPLOY = """
deploy-prod:
  stage: deploy
  script:
    - helm upgrade --install app chart/
  environment:
    name: production
  when: manual
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
stop-prod:
  stage: deploy
  script: [helm uninstall app]
  environment: {name: production, action: stop}
"""


def test_gitlab_jobs_includes_extends_and_anchors(tmp_path: Path) -> None:
    model = _model(tmp_path, {".gitlab-ci.yml": GITLAB, "ci/deploy.yml": GITLAB_DEPLOY})
    p = _only(model)
    assert p.provider == "gitlab"
    assert p.sources == (".gitlab-ci.yml", "ci/deploy.yml")
    assert [j.id for j in p.jobs] == [
        "deploy-prod",
        "stop-prod",
        "test",
        "retrain",
        "off",
        "never-by-rule",
    ]
    test = _job(p, "test")
    assert test.line == 8
    assert _cmds(test) == [("pip install -e .", 7), ("pytest", 12)]
    retrain = _job(p, "retrain")
    assert _cmds(retrain) == [("pip install -e .", 7), ("python -m churn.train", 16)]
    assert retrain.gate == Gate(frozenset({"schedule"}), None)


def test_gitlab_disabled_manual_and_environments(tmp_path: Path) -> None:
    model = _model(tmp_path, {".gitlab-ci.yml": GITLAB, "ci/deploy.yml": GITLAB_DEPLOY})
    p = _only(model)
    assert _job(p, "off").disabled
    assert _job(p, "never-by-rule").disabled
    deploy = _job(p, "deploy-prod")
    assert (deploy.manual, deploy.deployment, deploy.environment) == (True, True, "production")
    assert (deploy.path, deploy.environment_line) == ("ci/deploy.yml", 5)
    assert deploy.gate == Gate(None, frozenset({"main"}))
    stop = _job(p, "stop-prod")
    assert (stop.deployment, stop.environment) == (False, "")


def test_gitlab_triggers_include_schedule_only_from_live_rules(tmp_path: Path) -> None:
    p = _only(_model(tmp_path, {".gitlab-ci.yml": GITLAB, "ci/deploy.yml": GITLAB_DEPLOY}))
    got = [(t.kind, t.line, t.implicit) for t in p.triggers]
    assert got == [("push", 1, True), ("tag", 1, True), ("schedule", 18, False)]


def test_gitlab_never_rule_alone_adds_no_schedule(tmp_path: Path) -> None:
    text = """
        build:
          script: [make]
          rules:
            - if: '$CI_PIPELINE_SOURCE == "schedule"'
              when: never
            - when: always
        """
    p = _only(_model(tmp_path, {".gitlab-ci.yml": text}))
    assert [t.kind for t in p.triggers] == ["push", "tag"]
    assert not p.jobs[0].disabled
    assert p.jobs[0].gate == Gate()


def test_gitlab_job_that_never_runs_adds_no_schedule(tmp_path: Path) -> None:
    text = """
        nightly:
          script: [make train]
          when: never
          rules:
            - if: $CI_PIPELINE_SOURCE == "schedule"
        """
    p = _only(_model(tmp_path, {".gitlab-ci.yml": text}))
    assert p.jobs[0].disabled
    assert [t.kind for t in p.triggers] == ["push", "tag"]


def test_gitlab_only_keywords(tmp_path: Path) -> None:
    text = """
        nightly:
          script: [make train]
          only: [schedules]
        release:
          script: [twine upload dist/*]
          only: [tags]
        """
    p = _only(_model(tmp_path, {".gitlab-ci.yml": text}))
    assert _job(p, "nightly").gate == Gate(frozenset({"schedule"}), None)
    assert _job(p, "release").gate == Gate(None, frozenset({"tag"}))
    assert ("schedule", 3) in [(t.kind, t.line) for t in p.triggers]


def test_gitlab_child_pipeline_is_called(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                ml:
                  trigger:
                    include: ci/ml.yml
                """,
            "ci/ml.yml": "train:\n  script: [dvc repro]\n",
        },
    )
    assert [p.path for p in model.pipelines] == [".gitlab-ci.yml", "ci/ml.yml"]
    child = model.pipelines[1]
    assert [t.kind for t in child.triggers] == ["call"]
    assert [t.kind for t in model.effective_triggers(child)] == ["push", "tag"]


# ---------------------------------------------------------------------- Jenkins

JENKINSFILE = """
#!groovy
// pipeline for the churn model
pipeline {
  agent any
  triggers {
    cron('H 2 * * 1')
  }
  stages {
    stage('Test') {
      steps {
        sh 'pip install -e . && pytest -q'  // fast tests
        echo "see https://example.org/docs"
      }
    }
    /*
    stage('Deploy old') {
      steps { sh 'kubectl apply -f old/' }
    }
    */
    // stage('Train') { steps { sh 'python train.py' } }
    stage('Train') {
      when { expression { return false } }
      steps {
        sh '''
          python src/train.py \\
            --data data.csv
          dvc push
        '''
      }
    }
    stage('Deploy to production') {
      when { branch 'main' }
      steps {
        input message: 'Ship it?'
        sh "helm upgrade app chart --set tag=${env.BUILD_ID}"
      }
    }
  }
}
"""


def test_jenkins_stages_steps_and_lines(tmp_path: Path) -> None:
    p = _only(_model(tmp_path, {"Jenkinsfile": JENKINSFILE}))
    assert p.provider == "jenkins"
    assert [(j.id, j.line) for j in p.jobs] == [
        ("Test", 9),
        ("Train", 21),
        ("Deploy to production", 31),
    ]
    assert _cmds(_job(p, "Test")) == [("pip install -e . && pytest -q", 11)]
    train = _job(p, "Train")
    assert [(c.text, c.line) for s in train.steps for c in s.commands] == [
        ("python src/train.py --data data.csv", 25),
        ("dvc push", 27),
    ]


def test_jenkins_comments_are_not_stages_and_false_expression_disables(tmp_path: Path) -> None:
    p = _only(_model(tmp_path, {"Jenkinsfile": JENKINSFILE}))
    assert "Deploy old" not in [j.id for j in p.jobs]
    assert [j.id for j in p.jobs].count("Train") == 1
    assert _job(p, "Train").disabled
    assert [j.id for j in p.active_jobs] == ["Test", "Deploy to production"]


def test_jenkins_triggers_input_when_and_environment(tmp_path: Path) -> None:
    p = _only(_model(tmp_path, {"Jenkinsfile": JENKINSFILE}))
    assert [(t.kind, t.line, t.detail, t.implicit) for t in p.triggers] == [
        ("push", 1, "", True),
        ("schedule", 6, "H 2 * * 1", False),
    ]
    deploy = _job(p, "Deploy to production")
    assert [s.line for s in deploy.approval_steps] == [34]
    assert [(s.uses, s.name, s.line) for s in deploy.steps] == [
        ("input", "Ship it?", 34),
        ("sh", "sh", 35),
    ]
    assert _cmds(deploy) == [("helm upgrade app chart --set tag=${env.BUILD_ID}", 35)]
    assert deploy.gate == Gate(None, frozenset({"main"}))
    assert (deploy.environment, deploy.environment_line) == ("production", 31)


def test_jenkins_scripted_pipeline_and_named_script(tmp_path: Path) -> None:
    text = """
        node {
          stage('Build') {
            sh(script: "docker build -t app .", returnStdout: true)
          }
          properties([pipelineTriggers([cron('@daily')])])
          bat 'make test'
        }
        """
    p = _only(_model(tmp_path, {"ci/release.jenkinsfile": text}))
    assert [t.kind for t in p.triggers] == ["push", "schedule"]
    assert [(j.id, _cmds(j)) for j in p.jobs] == [
        ("(pipeline)", [("make test", 6)]),
        ("Build", [("docker build -t app .", 3)]),
    ]


def test_jenkins_environment_from_stage_name() -> None:
    assert jenkins_environment("Deploy-staging") == "staging"
    assert jenkins_environment("Deploy to prod") == "prod"
    assert jenkins_environment("UAT deploy") == "uat"
    assert jenkins_environment("Deploy model") == ""
    assert jenkins_environment("Build") == ""


# ---------------------------------------------------------------------- errors and caching


def test_invalid_yaml_is_recorded_once_not_raised(tmp_path: Path) -> None:
    snap = _snap(
        tmp_path,
        {
            ".github/workflows/bad.yml": "on: push\njobs:\n  a: [unclosed\n",
            ".github/workflows/ok.yml": "on: push\njobs:\n  a:\n    steps: [{run: make}]\n",
        },
    )
    model = load_ci(snap)
    assert [p.path for p in model.pipelines] == [".github/workflows/ok.yml"]
    assert load_yaml(snap, ".github/workflows/bad.yml") is None
    bad = [u for u in snap.unreadable if u.path == ".github/workflows/bad.yml"]
    assert len(bad) == 1
    assert bad[0].reason.startswith("invalid YAML: ")
    assert "line 4" in bad[0].reason or "line 3" in bad[0].reason


def test_model_is_built_once_per_snapshot(tmp_path: Path) -> None:
    snap = _snap(tmp_path, {".gitlab-ci.yml": "a:\n  script: [make]\n"})
    assert load_ci(snap) is load_ci(snap)


def test_non_mapping_yaml_and_empty_files_give_no_pipeline(tmp_path: Path) -> None:
    snap = _snap(
        tmp_path,
        {
            ".github/workflows/list.yml": "- a\n- b\n",
            ".github/workflows/empty.yml": "",
            "azure-pipelines.yml": "# only a comment\n",
        },
    )
    assert load_ci(snap).pipelines == ()
    assert snap.unreadable == []


def test_yaml_alias_bomb_is_bounded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [pytest]"]
    for i in range(1, 25):
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]")
    lines.append("job:\n  script: *a24")
    model = _model(tmp_path, {".gitlab-ci.yml": "\n".join(lines) + "\n"})
    job = _job(_only(model), "job")
    assert len(_cmds(job)) == 20_000


def test_deeply_nested_yaml_is_recorded_not_a_crash(tmp_path: Path) -> None:
    # libyaml's C composer would overflow the process stack on this file.
    deep = "on: push\njobs: " + "[" * 100_000 + "]" * 100_000 + "\n"
    snap = _snap(tmp_path, {".github/workflows/deep.yml": deep})
    assert load_ci(snap).pipelines == ()
    assert [(u.path, u.reason) for u in snap.unreadable] == [
        (".github/workflows/deep.yml", "invalid YAML: nested too deeply")
    ]


def test_hostile_jenkinsfiles_are_bounded(tmp_path: Path) -> None:
    snap = _snap(
        tmp_path,
        {
            "Jenkinsfile": 'sh "' + '${"' * 5000,
            "a.jenkinsfile": "pipeline {" + "{" * 50_000,
            "b.jenkinsfile": "stage('s') {" * 3000 + "sh 'pytest'" + "}" * 3000,
        },
    )
    model = load_ci(snap)
    assert [(p.path, len(p.jobs)) for p in model.pipelines] == [
        ("a.jenkinsfile", 0),
        ("b.jenkinsfile", 201),
    ]
    assert [(u.path, u.reason) for u in snap.unreadable] == [
        ("Jenkinsfile", "invalid Jenkinsfile: nested too deeply")
    ]


# ---------------------------------------------------------------------- small parts


def test_script_commands_joins_continuations_and_drops_comments() -> None:
    script = "# setup\npip install \\\n  -e .\n\necho 'a # b'  # tail\n"
    assert script_commands(script, 10) == [
        Command("pip install -e .", 11),
        Command("echo 'a # b'", 14),
    ]
    assert script_commands("pytest\nmypy", 3, per_line=False) == [
        Command("pytest", 3),
        Command("mypy", 3),
    ]


def test_is_false() -> None:
    for value in (False, 0, "false", "${{ false }}", "'false'", "${{ false && true }}"):
        assert is_false(value), value
    for other in (True, None, "", "github.ref == 'x'", "${{ always() }}", 1):
        assert not is_false(other), other


def test_classify_condition() -> None:
    pr = Gate(frozenset({"pull_request"}), None)
    assert classify_condition("github", "github.event_name == 'pull_request'") == pr
    assert classify_condition("github", "github.event_name != 'pull_request'") == Gate()
    assert classify_condition(
        "github", "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"
    ) == Gate(frozenset({"schedule", "manual"}), None)
    assert classify_condition("github", "startsWith(github.ref, 'refs/tags/v')") == Gate(
        None, frozenset({"tag"})
    )
    assert (
        classify_condition(
            "azure", "and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))"
        )
        == pr
    )
    assert (
        classify_condition("azure", "not(eq(variables['Build.Reason'], 'PullRequest'))") == Gate()
    )
    assert classify_condition("azure", "or(eq(variables['Build.Reason'], 'Schedule'), x)") == Gate()
    assert classify_condition("gitlab", "$CI_MERGE_REQUEST_IID") == pr
    assert classify_condition("gitlab", "$CI_COMMIT_TAG =~ /^v/") == Gate(None, frozenset({"tag"}))


def test_covers_main() -> None:
    assert covers_main(())
    assert covers_main(("main",))
    assert covers_main(("refs/heads/master",))
    assert covers_main(("*",))
    assert not covers_main(("develop", "release/*"))
    assert not covers_main((), ("main", "master"))
