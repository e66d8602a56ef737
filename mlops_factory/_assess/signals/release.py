"""Release strategy: do deployments shift traffic gradually or roll back by themselves?"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlops_factory._assess.model import Evidence, SignalResult
from mlops_factory._assess.signals import result, signal
from mlops_factory._assess.snapshot import FileEntry, RepoSnapshot

#: (pattern, what it shows). Matched per line, comment lines skipped.
_ROLLOUT: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"--traffic\s+[\"']?\w[\w-]*=\d+\s+\w[\w-]*=\d+"),
        "traffic split between two model deployments (blue/green)",
    ),
    (
        # `az ml batch-endpoint update --name EP --set defaults.deployment_name=NEW`, also with
        # the --set on a continuation line; reading the default (--query) is no switch.
        re.compile(
            r"\bbatch-endpoint\s+update\b.*\bdefaults\.deployment_name\s*=\s*\S"
            r"|^\s*--set\b.*\bdefaults\.deployment_name\s*=\s*\S"
        ),
        "blue/green switch of a batch endpoint's default deployment",
    ),
    (re.compile(r"--mirror-traffic\b|\bmirror_traffic:"), "shadow traffic to a new deployment"),
    (re.compile(r"\bcanaryTrafficPercent\s*:"), "KServe canary rollout"),
    (
        re.compile(r"^\s*kind:\s*(Rollout|Canary)\s*$"),
        "progressive delivery (Argo Rollouts/Flagger)",
    ),
    (re.compile(r"\bdeployment\s+slot\s+swap\b"), "blue/green swap of deployment slots"),
    (re.compile(r"--revision-weight\b|\btraffic\s+set\b"), "traffic weights across revisions"),
    (re.compile(r"\brollout\s+undo\b|\bhelm\s+rollback\b"), "automatic rollback"),
    (re.compile(r"^\s*type:\s*RollingUpdate\s*$"), "rolling update strategy"),
    (re.compile(r"^\s*canary\s*:\s*$"), "canary deployment strategy (Azure Pipelines)"),
)
_SUFFIXES = (".yml", ".yaml", ".sh", ".tf", ".bicep", ".groovy", ".jenkinsfile")
_COMMENT = re.compile(r"^\s*(#|//)")


def _candidates(snap: RepoSnapshot) -> Iterator[FileEntry]:
    for entry in snap.files:
        if entry.suffix in _SUFFIXES or entry.name.startswith("Jenkinsfile"):
            yield entry


@signal(
    "safe_rollout",
    "Deployments shift traffic gradually (blue/green, canary, rolling) or roll back automatically.",
)
def safe_rollout(snap: RepoSnapshot) -> SignalResult:
    evidence: list[Evidence] = []
    for entry, text in snap.iter_text(_candidates(snap)):
        if "test" in entry.parts[0].lower():
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if _COMMENT.match(line):
                continue
            for pattern, note in _ROLLOUT:
                if pattern.search(line):
                    evidence.append(Evidence(entry.path, number, line.strip()[:120], note))
                    break
            else:
                continue
            break  # one piece of evidence per file is enough
    # IaC that declares a gradual deployment (SAM/CodeDeploy preferences, traffic
    # routing of endpoints), read from the resource graph.
    from mlops_factory._assess.collect.iacquery import gradual_rollout

    seen = {e.path for e in evidence}
    for resource, note in gradual_rollout(snap):
        if resource.path not in seen:
            seen.add(resource.path)
            evidence.append(Evidence(resource.path, resource.line or None, "", note))
    return result("safe_rollout", evidence)
