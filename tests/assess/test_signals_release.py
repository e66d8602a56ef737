"""safe_rollout: deployments shift traffic gradually or roll back automatically."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._assess.signals.release import safe_rollout
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree


def _evidence(tmp_path: Path, tree: dict[str, str]) -> list[tuple[str | None, int | None, str]]:
    res = safe_rollout(RepoSnapshot.open(build_tree(tmp_path, tree), with_git=False))
    assert res.found == bool(res.evidence)
    return [(e.path, e.line, e.note) for e in res.evidence]


@pytest.mark.parametrize(
    ("path", "text", "note"),
    [
        (
            ".github/workflows/release.yml",
            "jobs:\n  d:\n    steps:\n      - run: az ml online-endpoint update -n ep "
            '--traffic "blue=90 green=10"\n',
            "traffic split between two model deployments (blue/green)",
        ),
        ("k8s/rollout.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n", "progressive"),
        ("deploy/isvc.yaml", "spec:\n  predictor:\n    canaryTrafficPercent: 10\n", "KServe"),
        ("azure-pipelines.yml", "- script: az webapp deployment slot swap -g rg\n", "slot"),
        ("Jenkinsfile", "sh 'kubectl rollout undo deployment/api'\n", "automatic rollback"),
        (
            ".github/workflows/release.yml",
            "      - run: |\n"
            '          az ml batch-endpoint update --name "$ENDPOINT" '
            '--set defaults.deployment_name="$NEW"\n',
            "blue/green switch of a batch endpoint's default deployment",
        ),
        (
            ".gitlab/ci/release.yml",
            "  script:\n    - |\n      az ml batch-endpoint update --name ep-prod \\\n"
            "        --set defaults.deployment_name=green\n",
            "blue/green switch of a batch endpoint's default deployment",
        ),
    ],
)
def test_rollout_strategies_are_found(tmp_path: Path, path: str, text: str, note: str) -> None:
    ((got_path, line, got_note),) = _evidence(tmp_path, {path: text})
    assert got_path == path and line is not None
    assert note in got_note


def test_comments_and_single_deployments_are_not_rollouts(tmp_path: Path) -> None:
    assert (
        _evidence(
            tmp_path,
            {
                "release.yml": (
                    '# - run: az ml online-endpoint update --traffic "blue=90 green=10"\n'
                    '- run: az ml online-endpoint update --traffic "blue=100"\n'
                ),
                "README.md": "We do canary releases with kind: Rollout\n",
                "tests/fixtures/rollout.yaml": "kind: Rollout\n",
            },
        )
        == []
    )


def test_batch_endpoint_switch_is_found_on_its_line(tmp_path: Path) -> None:
    text = (
        "steps:\n"
        "  - script: |\n"
        '      az ml batch-endpoint update -n ep --set defaults.deployment_name="$(new)"\n'
    )
    assert _evidence(tmp_path, {".azure-pipelines/release.yml": text}) == [
        (
            ".azure-pipelines/release.yml",
            3,
            "blue/green switch of a batch endpoint's default deployment",
        )
    ]


def test_batch_endpoint_lines_that_switch_nothing_are_not_rollouts(tmp_path: Path) -> None:
    assert (
        _evidence(
            tmp_path,
            {
                "release.yml": (
                    "# az ml batch-endpoint update --name ep --set defaults.deployment_name=green\n"
                    "  // --set defaults.deployment_name=blue\n"
                    "az ml batch-endpoint show --name ep --query defaults.deployment_name -o tsv\n"
                    "az ml batch-deployment create --file d.yml --endpoint-name ep --set-default\n"
                    "az ml batch-endpoint update --name ep --set description=nightly\n"
                ),
                "docs/runbook.md": "az ml batch-endpoint update --set defaults.deployment_name=b\n",
            },
        )
        == []
    )
