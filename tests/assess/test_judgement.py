"""Judging like an expert: evidence strength by place, repository kinds, applicability,
waivers and --project, from small repositories written in the test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mlops_factory import FactoryError, assess
from mlops_factory._assess.evidence import own_file, qualify, weak_reason
from mlops_factory._assess.kinds import classify
from mlops_factory._assess.model import Evidence, Outcome, SignalResult
from mlops_factory._assess.rubric import load_rubric
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._assess.waivers import load_waivers
from tests.assess.levels import level_repo, people_answers
from tests.helpers import build_tree

# A training script that tracks to MLflow and registers its model: level 2 as code.
TRAIN = """
    import mlflow
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    def main(X, y):
        with mlflow.start_run():
            model = LogisticRegression().fit(X, y)
            mlflow.log_metric("accuracy", model.score(X, y))
            mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
    """


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("examples/train.py", "example or documentation"),
        ("docs/tutorial/train.py", "example or documentation"),
        ("notebooks/train.ipynb", "notebook"),
        ("tests/fixtures/repo/train.py", "fixtures"),
        ("{{cookiecutter.repo_name}}/train.py", "template content"),
        ("template/src/train.py.jinja", "template content"),
    ],
)
def test_evidence_in_illustrative_places_is_weak(path: str, why: str) -> None:
    reason = weak_reason(path)
    assert reason is not None and why in reason


@pytest.mark.parametrize("path", ["src/train.py", "pipelines/train.py", "tests/test_model.py"])
def test_evidence_in_the_code_is_strong(path: str) -> None:
    assert weak_reason(path) is None


@pytest.mark.parametrize(
    ("path", "own"),
    [
        (".github/workflows/ci.yml", True),
        (".github/actions/e2e/action.yml", True),  # a composite action the workflows use
        ("Makefile", True),
        ("tests/test_render.py", True),
        ("template/.github/workflows/ci.yml", False),
        ("src/train.py", False),
    ],
)
def test_a_templates_own_files_are_its_root_ci_build_and_tests(path: str, own: bool) -> None:
    assert own_file(path) is own


def test_qualify_weakens_by_place_and_kind_and_drops_out_of_scope() -> None:
    signals = {
        "training_code": SignalResult(
            "training_code",
            True,
            (Evidence("examples/train.py", 3), Evidence("svc/a/train.py", 4)),
        ),
        "ci_runs_tests": SignalResult(
            "ci_runs_tests", True, (Evidence(".github/workflows/ci.yml", 9),)
        ),
        "model_registry": SignalResult("model_registry", True, (Evidence("svc/b/reg.py", 1),)),
    }
    out = qualify(signals)
    assert [e.weak for e in out["training_code"].evidence] == [True, False]
    assert "weak: in example or documentation code" in out["training_code"].evidence[0].note
    template = qualify(signals, kind="template")
    assert template["training_code"].weak  # template content, all of it
    assert template["ci_runs_tests"].strong  # the template repository's own CI
    scoped = qualify(signals, scope="svc/a")
    assert [e.path for e in scoped["training_code"].evidence] == ["svc/a/train.py"]
    assert scoped["ci_runs_tests"].found  # root CI still counts
    assert not scoped["model_registry"].found  # only evidence elsewhere: not found here
    scaffolded = qualify(signals, scaffolded={"svc/b/reg.py"})
    assert scaffolded["model_registry"].weak
    assert "scaffolded by mlops-factory" in scaffolded["model_registry"].evidence[0].note


def _kind(tmp_path: Path, tree: dict[str, object]) -> str:
    build_tree(tmp_path, tree)  # type: ignore[arg-type]
    return classify(RepoSnapshot.open(tmp_path)).kind


def test_kinds_from_what_the_generators_document(tmp_path: Path) -> None:
    assert _kind(tmp_path / "a", {"README.md": "# Awesome MLOps\n", "papers.md": "- x\n"}) == "docs"
    assert (
        _kind(tmp_path / "b", {"copier.yml": "project_name: {type: str}\n", "x.py": ""})
        == "template"
    )
    assert (
        _kind(
            tmp_path / "c",
            {"cookiecutter.json": '{"repo_name": "x"}', "{{ cookiecutter.repo_name }}/a.py": ""},
        )
        == "template"
    )
    catalog = """
        Resources:
          Portfolio:
            Type: AWS::ServiceCatalog::Portfolio
            Properties: {DisplayName: ML, ProviderName: platform}
        """
    assert _kind(tmp_path / "d", {"portfolio.yaml": catalog, "a/train.py": ""}) == "template"
    mono = {
        "services/churn/pyproject.toml": "[project]\nname='churn'\n",
        "services/churn/train.py": "",
        "jobs/etl/requirements.txt": "pandas\n",
        "jobs/etl/main.py": "",
    }
    info_root = tmp_path / "e"
    build_tree(info_root, mono)  # type: ignore[arg-type]
    info = classify(RepoSnapshot.open(info_root))
    assert info.kind == "monorepo"
    assert info.projects == ("jobs/etl", "services/churn")
    assert _kind(tmp_path / "f", {"pyproject.toml": "[project]\nname='x'\n", "src/x/a.py": ""}) == (
        "project"
    )


def test_a_docs_repository_is_level_0_and_no_dimension_claims_anything(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {"README.md": "# MLOps\nDrift detection, continuous training, CI/CD, monitoring.\n"},
    )
    result = assess(tmp_path)
    assert result.repo.kind == "docs"
    assert result.level == 0
    for d in result.dimensions:
        if d.id != "people":
            assert not d.applicable and d.level is None
    assert result.plan.steps == () or all(s.dimension == "people" for s in result.plan.steps)


def test_a_template_is_judged_as_the_template_repository(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "copier.yml": "project_name: {type: str}\n_subdirectory: template\n",
            "template/src/train.py.jinja": TRAIN,
            "template/src/{{project_name}}/train.py": TRAIN,
            "tests/test_render.py": """
                def test_render(tmp_path):
                    assert (tmp_path / "x").parent.exists()
                """,
            ".github/workflows/ci.yml": """
                on: [push, pull_request]
                jobs:
                  test:
                    runs-on: ubuntu-latest
                    steps:
                      - uses: actions/checkout@v4
                      - run: pip install -e .
                      - run: pytest
                """,
        },
    )
    result = assess(tmp_path)
    assert result.repo.kind == "template"
    assert "render it" in result.repo.kind_reason
    assert result.level == 1  # its own CI and tests; the ML code is template content
    assert result.finding("MC-201").outcome is Outcome.UNMET


def test_training_as_code_with_tracking_and_registry_but_no_ci_is_level_2(tmp_path: Path) -> None:
    build_tree(tmp_path, {"src/churn/train.py": TRAIN, "pyproject.toml": "[project]\nname='c'\n"})
    result = assess(tmp_path)
    assert result.level == 2
    assert "level 1" in result.level_reason
    ai = result.dimension("application_integration")
    assert ai.level == 0
    assert ai.next_level is not None and {m.id for m in ai.next_level.missing} >= {"AI-102"}


def test_the_same_code_only_in_examples_is_weak_and_does_not_reach_level_2(tmp_path: Path) -> None:
    build_tree(tmp_path, {"examples/train.py": TRAIN, "pyproject.toml": "[project]\nname='c'\n"})
    result = assess(tmp_path)
    assert result.level == 0
    finding = result.finding("MC-201")
    assert finding.outcome is Outcome.UNMET
    assert "only weak evidence" in finding.message
    assert finding.evidence and all(e.strength == "weak" for e in finding.evidence)


def test_a_notebook_only_repository_stays_at_0(tmp_path: Path) -> None:
    result = assess(level_repo(tmp_path / "repo", 0))
    assert result.level == 0
    assert not result.dimension("application_integration").applicable


def _waivers(root: Path, text: str) -> None:
    build_tree(root, {".mlops-factory/waivers.yaml": text})


def test_waivers_count_as_met_expire_and_can_be_ignored(tmp_path: Path) -> None:
    repo = level_repo(tmp_path / "repo", 2)
    _waivers(
        repo,
        """
        waivers:
          - criterion: MR-301
            reason: models are released by the platform team's pipeline in another repo
            expires: 2999-01-01
            owner: platform
          - criterion: AI-304
            reason: validated in the platform pipeline too
            expires: 2999-01-01
          - criterion: MC-401
            reason: old decision
            expires: 2000-01-01
        """,
    )
    result = assess(repo, answers=people_answers(3))
    waived = result.finding("MR-301")
    assert waived.outcome is Outcome.WAIVED
    assert waived.waiver is not None and waived.waiver.owner == "platform"
    assert "another repo" in waived.message
    assert result.level == 3
    assert any("MC-401 expired on 2000-01-01" in w for w in result.warnings)
    assert result.finding("MC-401").outcome is Outcome.UNMET
    raw = assess(repo, answers=people_answers(3), waivers=False)
    assert raw.finding("MR-301").outcome is Outcome.UNMET
    assert raw.level == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("waivers:\n  - criterion: MR-301\n    expires: 2999-01-01\n", "field 'reason'"),
        (
            "waivers:\n  - {criterion: MR-301, reason: r, expires: someday}\n",
            "waivers[0] (MR-301): field 'expires'",
        ),
        ("waivers: 3\n", "field 'waivers'"),
        ("waivers: [\n", "cannot be read or is not valid YAML"),
    ],
)
def test_a_bad_waivers_file_is_a_user_error_naming_entry_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    _waivers(tmp_path, text)
    with pytest.raises(FactoryError) as err:
        load_waivers(RepoSnapshot.open(tmp_path), load_rubric(), dt.date(2026, 1, 1))
    assert expected in err.value.message
    assert err.value.hint and "--no-waivers" in err.value.hint


def test_a_waiver_for_an_unknown_criterion_is_a_warning(tmp_path: Path) -> None:
    _waivers(tmp_path, "waivers:\n  - {criterion: XX-999, reason: r, expires: 2999-01-01}\n")
    active, warnings = load_waivers(RepoSnapshot.open(tmp_path), load_rubric())
    assert active == {}
    assert warnings and "unknown criterion 'XX-999'" in warnings[0]


def test_project_scopes_a_monorepo_and_a_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "services/churn/train.py": TRAIN,
            "services/churn/requirements.txt": "mlflow\n",
            "services/web/app.py": "print('hello')\n",
            "services/web/requirements.txt": "flask\n",
            "tools/etl/requirements.txt": "pandas\n",
        },
    )
    whole = assess(tmp_path)
    assert whole.repo.kind == "monorepo" and "services/churn" in whole.repo.projects
    churn = assess(tmp_path, project="services/churn")
    assert churn.repo.scope == "services/churn"
    assert churn.level == 2
    web = assess(tmp_path, project="services/web")
    assert web.level == 0
    with pytest.raises(FactoryError, match="no files in that folder"):
        assess(tmp_path, project="services/none")
    with pytest.raises(FactoryError, match="inside the repository"):
        assess(tmp_path, project="../elsewhere")
