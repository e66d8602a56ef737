"""AWS CodePipeline declared as code: CloudFormation ``AWS::CodePipeline::Pipeline``,
Terraform ``aws_codepipeline``, and CDK apps in Python (``aws_codepipeline.Pipeline``,
``pipelines.CodePipeline`` with ``ShellStep``/``CodeBuildStep``/``ManualApprovalStep``).

Stages become jobs and actions become steps: a Source action's branch is the push
trigger, a Build or Test action runs its CodeBuild project's build spec (inline, or
the file it names), an Approval action waits for a person, a Deploy action deploys.
Documented at https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-pipeline-structure.html
and https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.pipelines/README.html.
"""

from __future__ import annotations

import re
from typing import Any

from mlops_factory._assess.collect.cimodel import Job, Pipeline, Step, Trigger
from mlops_factory._assess.collect.codebuild import CodeBuildReader, is_buildspec
from mlops_factory._assess.collect.iac import Resource, _get, load_iac
from mlops_factory._assess.collect.jenkins import jenkins_environment
from mlops_factory._assess.collect.shell import Command
from mlops_factory._assess.collect.yamlread import load_yaml, parse_yaml_docs

_PIPELINE_TYPES = ("aws::codepipeline::pipeline", "aws_codepipeline")
_PROJECT_TYPES = ("aws::codebuild::project", "aws_codebuild_project")
_DEPLOY_COMMAND = {
    "cloudformation": "aws cloudformation deploy",
    "cloudformationstackset": "aws cloudformation deploy",
    "ecs": "aws ecs update-service",
    "codedeploy": "aws deploy create-deployment",
    "codedeploytoecs": "aws ecs update-service",
    "s3": "aws s3 sync",
    "elasticbeanstalk": "aws elasticbeanstalk update-environment",
}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if isinstance(value, dict) else []


#: CDK pipeline constructs that start a new step (their strings end the previous one's).
_CDK_STEPS = frozenset(
    {
        "ShellStep",
        "CodeBuildStep",
        "ManualApprovalStep",
        "ManualApprovalAction",
        "CloudFormationCreateUpdateStackAction",
        "EcsDeployAction",
        "CodeDeployServerDeployAction",
        "CodeBuildAction",
    }
)


def _words(name: str) -> str:
    """``DeployStaging`` -> ``Deploy Staging`` (stage names are often CamelCase)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


class CodePipelineReader(CodeBuildReader):
    """Reads CodePipelines declared in this repository's IaC into the CI model."""

    def named_buildspecs(self) -> set[str]:
        """Build spec and Cloud Build config paths that IaC here names."""
        out: set[str] = set()
        for r in load_iac(self.snap).resources:
            t = r.type.lower()
            if t.startswith(_PROJECT_TYPES) or "codebuild" in t or "cloudbuild_trigger" in t:
                for s in r.strings:
                    if s.endswith((".yml", ".yaml", ".json")) and "\n" not in s:
                        out.add(s.lstrip("./"))
        return out

    def _codepipelines(self) -> list[Pipeline]:
        graph = load_iac(self.snap)
        projects = {r.name: r for r in graph.resources if r.type.lower().startswith(_PROJECT_TYPES)}
        out: list[Pipeline] = []
        for r in graph.resources:
            if r.type.lower().startswith(_PIPELINE_TYPES):
                self.budget = 20_000
                out.append(self._declared(r, projects))
        cdk_files = sorted(
            {
                r.path
                for r in graph.resources
                if r.format == "CDK"
                and (r.type.endswith(("pipelines.CodePipeline", "aws_codepipeline.Pipeline")))
            }
        )
        for path in cdk_files:
            out.append(self._cdk_pipeline(path))
        return out

    def _declared(self, r: Resource, projects: dict[str, Resource]) -> Pipeline:
        created = {
            x.name
            for x in load_iac(self.snap).resources
            if x.type.lower() in ("aws::codecommit::repository", "aws_codecommit_repository")
        }
        inactive = ""
        triggers: list[Trigger] = []
        jobs: list[Job] = []
        sources = [r.path]
        for stage in _list(r.get("Stages") or r.get("stage")):
            if not isinstance(stage, dict):
                continue
            sname = str(_get(stage, "Name") or "")
            steps: list[Step] = []
            for action in _list(_get(stage, "Actions") or _get(stage, "action")):
                if not isinstance(action, dict):
                    continue
                type_id = _get(action, "ActionTypeId")
                category = str(_get(type_id, "Category") or _get(action, "category") or "")
                provider = str(_get(type_id, "Provider") or _get(action, "provider") or "")
                config = _get(action, "Configuration") or {}
                aname = str(_get(action, "Name") or provider)
                uses = f"codepipeline:{category}:{provider}".lower()
                cat = category.lower()
                if cat == "source":
                    if _created_repository(_get(config, "RepositoryName"), created):
                        inactive = (
                            "its source is a repository that this infrastructure code creates, "
                            "not this one"
                        )
                    branch = str(_get(config, "BranchName") or "")
                    triggers.append(
                        Trigger(
                            "push",
                            "source",
                            r.path,
                            r.line,
                            (branch,) if branch else (),
                            detail=provider,
                        )
                    )
                    continue
                commands: tuple[Command, ...] = ()
                if cat in ("build", "test"):
                    project = _project_name(_get(config, "ProjectName"))
                    found = projects.get(project) or next(
                        (p for p in projects.values() if project and project in p.strings), None
                    )
                    if found is not None:
                        steps.extend(self._project_steps(found, sources))
                        continue
                elif cat == "deploy":
                    text = _DEPLOY_COMMAND.get(provider.lower(), f"{provider} deploy")
                    commands = (Command(text, r.line),)
                elif cat == "invoke" and provider.lower() == "stepfunctions":
                    commands = (Command("aws stepfunctions start-execution", r.line),)
                steps.append(Step(r.path, r.line, name=aname, uses=uses, commands=commands))
            env = jenkins_environment(_words(sname))
            jobs.append(
                Job(
                    r.path,
                    r.line,
                    sname or "(stage)",
                    steps=tuple(steps),
                    environment=env,
                    environment_line=r.line if env else 0,
                )
            )
        if not triggers:
            triggers.append(Trigger("push", "external", r.path, r.line, implicit=True))
        return Pipeline(
            "codepipeline",
            r.path,
            r.name,
            r.line,
            tuple(triggers),
            tuple(jobs),
            tuple(dict.fromkeys(sources)),
            inactive,
        )

    def _project_steps(self, project: Resource, sources: list[str]) -> list[Step]:
        spec = project.get("Source", "BuildSpec") or project.get("source", "buildspec")
        if not isinstance(spec, str) or not spec.strip():
            spec = "buildspec.yml"
        if "\n" in spec:
            try:
                docs = parse_yaml_docs(spec)
            except Exception:  # an inline spec that is not YAML: nothing to read
                return []
            doc = docs[0] if docs else None
            if doc is None or not is_buildspec(doc):
                return []
            steps = self.buildspec_steps(project.path, doc)
            # Inline spec lines count from the project's line (they live in the template).
            return [
                Step(
                    project.path,
                    project.line,
                    s.name,
                    commands=tuple(Command(c.text, project.line) for c in s.commands),
                )
                for s in steps
            ]
        path = spec.strip().lstrip("./")
        doc = load_yaml(self.snap, path) if self.snap.exists(path) else None
        if doc is None or not is_buildspec(doc):
            return [
                Step(
                    project.path,
                    project.line,
                    name=project.name,
                    uses="codepipeline:build:codebuild",
                )
            ]
        sources.append(path)
        return self.buildspec_steps(path, doc)

    def _cdk_pipeline(self, path: str) -> Pipeline:
        """A CDK pipeline: its steps and actions, read from the calls of the app file."""
        from mlops_factory._assess._pyindex import python_index

        pf = python_index(self.snap).parse(path)
        jobs: list[Job] = []
        triggers: list[Trigger] = []
        calls = sorted(
            (c for c in (pf.calls if pf is not None else []) if c.name.startswith("aws_cdk.")),
            key=lambda c: c.line,
        )
        strings = sorted(pf.strings, key=lambda x: x[1]) if pf is not None else []
        marks = sorted({c.line for c in calls if c.last in _CDK_STEPS})
        for c in calls:
            last = c.last
            nxt = next((line for line in marks if line > c.line), 10**9)
            texts = [t for t, line in strings if c.line <= line < nxt]
            name = str(c.args[0]) if c.args and isinstance(c.args[0], str) else last
            if last in ("ShellStep", "CodeBuildStep"):
                cmds = tuple(Command(t, c.line) for t in texts[1:] if t.strip())
                step = Step(path, c.line, name=name, commands=cmds, uses=last)
                jobs.append(Job(path, c.line, name, steps=(step,)))
            elif last in ("ManualApprovalStep", "ManualApprovalAction"):
                step = Step(path, c.line, name=name, uses="codepipeline:approval:manual")
                jobs.append(Job(path, c.line, name, steps=(step,)))
            elif last in (
                "CloudFormationCreateUpdateStackAction",
                "EcsDeployAction",
                "CodeDeployServerDeployAction",
            ):
                step = Step(
                    path,
                    c.line,
                    name=last,
                    uses=f"cdk:{last}",
                    commands=(Command("cdk deploy", c.line),),
                )
                env = jenkins_environment(_words(f"deploy {name}"))
                jobs.append(
                    Job(
                        path,
                        c.line,
                        name,
                        steps=(step,),
                        environment=env,
                        environment_line=c.line if env else 0,
                    )
                )
            elif last in ("git_hub", "connection", "code_commit") or last.endswith("SourceAction"):
                branch = next((t for t in texts[1:] if "/" not in t and " " not in t), "")
                triggers.append(
                    Trigger("push", "source", path, c.line, (branch,) if branch else ())
                )
        if pf is not None:
            for c in pf.calls:
                if c.last == "add_stage":
                    cmd = Command("cdk deploy", c.line)
                    step = Step(path, c.line, name="add_stage", uses="cdk:stage", commands=(cmd,))
                    jobs.append(Job(path, c.line, "stage", steps=(step,)))
        if not triggers:
            triggers.append(Trigger("push", "external", path, 1, implicit=True))
        # The app (the files under the same top folder) creates the repository it builds.
        top = path.split("/", 1)[0] + "/" if "/" in path else ""
        creates_repo = any(
            r.format == "CDK"
            and r.type
            in ("aws_cdk.aws_codecommit.Repository", "aws_cdk.aws_codecommit.CfnRepository")
            and r.path.startswith(top)
            for r in load_iac(self.snap).resources
        )
        inactive = (
            "its source is a repository that this infrastructure code creates, not this one"
            if creates_repo
            else ""
        )
        return Pipeline(
            "codepipeline", path, path, 1, tuple(triggers), tuple(jobs), (path,), inactive
        )


def _created_repository(value: Any, created: set[str]) -> bool:
    """The source repository is one the same IaC creates (``!GetAtt Repo.Name``)."""
    if isinstance(value, dict):
        for key in ("Ref", "Fn::GetAtt"):
            ref = value.get(key)
            name = ref[0] if isinstance(ref, list) and ref else ref
            if isinstance(name, str) and name.split(".", 1)[0] in created:
                return True
        return False
    m = re.search(r"\b(aws_codecommit_repository\.[\w-]+)", str(value or ""))
    return bool(m and m.group(1) in created)


def _project_name(value: Any) -> str:
    if isinstance(value, dict):
        ref = value.get("Ref")
        return str(ref) if ref else ""
    text = str(value or "")
    m = re.search(r"\b(aws_codebuild_project\.[\w-]+)", text)
    return m.group(1) if m else text
