"""CI configuration, parsed once per snapshot into one provider-neutral model.

Providers, each read by its own module as its documentation defines it: GitHub
Actions, Azure Pipelines, GitLab CI, Jenkins, Google Cloud Build, AWS CodeBuild
and CodePipeline, CircleCI, Bitbucket Pipelines, Travis CI, Drone, Tekton and
Argo Workflows. The model keeps what the CI signals judge: pipelines, their
triggers, jobs with their steps' commands, environments, gates and disabled
flags, each with a 1-based line number.

Only files a platform would run are pipelines: workflows under the repository
root's ``.github/workflows`` (a nested ``.github`` folder is inactive), the root
``.gitlab-ci.yml``, ``.circleci/config.yml``, ``bitbucket-pipelines.yml``,
``.travis.yml`` and ``.drone.yml``. Build specs (``buildspec*.yml``,
``cloudbuild*.yaml``) are found anywhere, but one that is neither at the root nor
named by this repository's infrastructure code is marked ``inactive``.

Nothing is executed or evaluated; YAML comments and Groovy comments never reach
the model, and disabled jobs and steps are kept but flagged so signals can skip them.
"""

from __future__ import annotations

from mlops_factory._assess.collect._base import MAX_COMMANDS_PER_PIPELINE
from mlops_factory._assess.collect.argo import ArgoReader
from mlops_factory._assess.collect.azure import AzureReader
from mlops_factory._assess.collect.bitbucket import BitbucketReader
from mlops_factory._assess.collect.cimodel import CIModel, Pipeline
from mlops_factory._assess.collect.circleci import CircleCIReader
from mlops_factory._assess.collect.cloudbuild import CloudBuildReader
from mlops_factory._assess.collect.codepipeline import CodePipelineReader
from mlops_factory._assess.collect.drone import DroneReader
from mlops_factory._assess.collect.files import yaml_files
from mlops_factory._assess.collect.github import GitHubReader
from mlops_factory._assess.collect.gitlab import GitLabReader
from mlops_factory._assess.collect.jenkins import parse_jenkins
from mlops_factory._assess.collect.travis import TravisReader
from mlops_factory._assess.collect.yamlread import (
    YMap,
    load_yaml,
    load_yaml_all,
    record_unreadable,
)
from mlops_factory._assess.snapshot import RepoSnapshot

_MODEL_KEY = "ci.model"
_ROOT_FILES = {
    ".gitlab-ci.yml": "gitlab",
    ".circleci/config.yml": "circleci",
    ".circleci/config.yaml": "circleci",
    "bitbucket-pipelines.yml": "bitbucket",
    "bitbucket-pipelines.yaml": "bitbucket",
    ".travis.yml": "travis",
    ".travis.yaml": "travis",
    ".drone.yml": "drone",
    ".drone.yaml": "drone",
}
PROVIDERS = (
    "github",
    "azure",
    "gitlab",
    "jenkins",
    "cloudbuild",
    "codebuild",
    "circleci",
    "bitbucket",
    "travis",
    "drone",
    "k8s",
)


def load_ci(snapshot: RepoSnapshot) -> CIModel:
    """Parse every CI file of the snapshot once; later calls return the cached model."""
    cached = snapshot.cache.get(_MODEL_KEY)
    if isinstance(cached, CIModel):
        return cached
    model = _Builder(snapshot).build()
    snapshot.cache[_MODEL_KEY] = model
    return model


def ci_files(snapshot: RepoSnapshot) -> dict[str, list[str]]:
    """CI definition files by provider, selected by path only (nothing is read).

    ``k8s`` lists YAML files that may hold Tekton or Argo Workflows resources (their
    text names the API group); those are read to know.
    """
    out: dict[str, list[str]] = {p: [] for p in PROVIDERS}
    for entry in snapshot.files:
        path = entry.path
        name = entry.name
        low = name.lower()
        yml = low.endswith((".yml", ".yaml"))
        if low.startswith("buildspec") and yml:
            out["codebuild"].append(path)
            continue
        if low.startswith("cloudbuild") and (yml or low.endswith(".json")):
            out["cloudbuild"].append(path)
            continue
        # Cheap prefilter: every other CI path is hidden, or names Jenkins or azure-pipelines.
        if not (
            path.startswith(".")
            or "azure-pipelines" in path
            or "enkinsfile" in path
            or path.startswith("bitbucket-pipelines")
        ):
            continue
        if path in _ROOT_FILES:
            out[_ROOT_FILES[path]].append(path)
        elif path.startswith(".github/workflows/") and path.count("/") == 2 and yml:
            out["github"].append(path)
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


def _k8s_ci_files(snapshot: RepoSnapshot) -> list[str]:
    """YAML files whose text names the Tekton or Argo API groups."""
    out: list[str] = []
    for entry in yaml_files(snapshot):
        text = snapshot.read_text(entry.path)
        if text and ("tekton.dev/" in text or "argoproj.io/" in text):
            out.append(entry.path)
    return out


class _Builder(
    GitHubReader,
    AzureReader,
    GitLabReader,
    CloudBuildReader,
    CodePipelineReader,
    CircleCIReader,
    BitbucketReader,
    TravisReader,
    DroneReader,
    ArgoReader,
):
    """Builds the :class:`CIModel` of one snapshot."""

    def _fresh(self) -> None:
        self.budget = MAX_COMMANDS_PER_PIPELINE

    def build(self) -> CIModel:
        files = ci_files(self.snap)
        pipelines: list[Pipeline] = []
        for path in files["github"]:
            doc = load_yaml(self.snap, path)
            if doc is not None:
                self._fresh()
                pipelines.append(self._github(path, doc))
        azure: list[Pipeline] = []
        for path in files["azure"]:
            doc = load_yaml(self.snap, path)
            if doc is not None:
                self._fresh()
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
                self._fresh()
                pipelines.append(self._gitlab(path, doc, path not in files["gitlab"]))
        for path in files["jenkins"]:
            text = self.snap.read_text(path)
            if text is None:
                continue
            try:
                pipelines.append(parse_jenkins(path, text))
            except RecursionError:
                record_unreadable(self.snap, path, "invalid Jenkinsfile: nested too deeply")
        pipelines.extend(self._codepipelines())
        named = self.named_buildspecs()
        for path in files["codebuild"]:
            doc = load_yaml(self.snap, path)
            if doc is not None:
                self._fresh()
                one = self.codebuild(path, doc, _inactive(path, named, "CodeBuild project"))
                if one is not None:
                    pipelines.append(one)
        for path in files["cloudbuild"]:
            doc = load_yaml(self.snap, path)
            if doc is not None:
                self._fresh()
                cb = self.cloudbuild(path, doc, _inactive(path, named, "Cloud Build trigger"))
                if cb is not None:
                    pipelines.append(cb)
        readers = {
            "circleci": self.circleci,
            "bitbucket": self.bitbucket,
        }
        for provider, read in readers.items():
            for path in files[provider]:
                doc = load_yaml(self.snap, path)
                if doc is not None:
                    self._fresh()
                    pipelines.extend(read(path, doc))
        for path in files["travis"]:
            doc = load_yaml(self.snap, path)
            if doc is not None:
                self._fresh()
                pipelines.append(self.travis(path, doc))
        for path in files["drone"]:
            for doc in load_yaml_all(self.snap, path):
                self._fresh()
                drone = self.drone(path, doc)
                if drone is not None:
                    pipelines.append(drone)
        docs: list[tuple[str, YMap]] = [
            (path, doc)
            for path in _k8s_ci_files(self.snap)
            for doc in load_yaml_all(self.snap, path)
            if isinstance(doc.get("apiVersion"), str)
        ]
        if docs:
            self._fresh()
            tekton = [(p, d) for p, d in docs if "tekton.dev/" in d.str("apiVersion")]
            argo = [(p, d) for p, d in docs if d.str("apiVersion").startswith("argoproj.io/")]
            pipelines.extend(self.tekton(tekton))
            pipelines.extend(self.argo(argo))
        return CIModel(tuple(pipelines))


def _inactive(path: str, named: set[str], what: str) -> str:
    """Why a build spec would not run: neither at the root nor named by IaC here."""
    if "/" not in path or path in named:
        return ""
    return f"not at the repository root and no {what} in this repository names it"
