"""Hand-built rubrics and assessments for the renderer and docs tests.

One assessment covers every outcome, weak and strong evidence, evidence with and
without a line or a path, hostile snippet text, a plan with a people-only step,
and unreadable files.
"""

from __future__ import annotations

import dataclasses

from mlops_factory._assess.model import (
    Assessment,
    Criterion,
    Detection,
    DimensionResult,
    Effort,
    Evidence,
    EvidenceRules,
    Finding,
    ModelStatement,
    Outcome,
    Plan,
    PlanStep,
    Remediation,
    RepoInfo,
    Rubric,
    Unreadable,
)

HOSTILE_SNIPPET = "<script>alert('x')</script> \x1b[31mred\x1b[0m [bold]markup[/bold] a|b `tick`"

SIGNAL_DESCRIPTIONS = {
    "data_pipeline": "A pipeline definition gathers the training data.",
    "tracking_in_code": "Training code logs metrics to an experiment tracker.",
    "model_versioned": "Trained models are registered or versioned.",
    "retrain_on_drift": "A workflow retrains when drift is detected.",
    "scoring_script": "A scoring script is version controlled.",
    "ci_runs_tests": "A CI job runs the test suite.",
    "ci_deploys": "A CI job deploys the model.",
    "has_model": "The repo produces a model.",
    "unit_tests": "Unit tests exist for the application code.",
    "integration_tests": "Integration tests call the model.",
    "api_tests": "Tests call the serving API.",
}


def effort(size: str = "M") -> Effort:
    days = {"S": (0.5, 1.0), "M": (3.0, 5.0), "L": (10.0, 20.0)}[size]
    return Effort(size, days)  # type: ignore[arg-type]


def criterion(
    cid: str,
    level: int,
    dimension: str,
    *,
    signals: tuple[str, ...] = (),
    question: str | None = None,
    any_of: tuple[str, ...] = (),
    applies_if: tuple[str, ...] = (),
    component: str | None = "comp",
    size: str = "M",
    covers: tuple[str, ...] = (),
    rests_on: tuple[str, ...] = (),
    evidence: EvidenceRules = EvidenceRules(),  # noqa: B008 (frozen, immutable)
) -> Criterion:
    return Criterion(
        id=cid,
        level=level,
        dimension=dimension,
        title=f"Title of {cid}",
        motivation=f"Why {cid} matters.",
        detection=Detection(
            description=f"How {cid} is detected.",
            signals=signals,
            any_of=tuple((name,) for name in any_of),
            applies_if=applies_if,
            question=question,
        ),
        remediation=Remediation(
            text=f"Do the work for {cid}.",
            effort=effort(size),
            success=f"Success for {cid}.",
            deliverable=f"Deliverable for {cid}.",
            component=component,
        ),
        covers=covers,
        role="defining" if rests_on else "practice",
        rests_on=rests_on,
        evidence=evidence,
    )


PE1 = criterion(
    "PE-101",
    1,
    "people",
    question="Do software engineers receive the model through a documented hand-off?",
    component=None,
    size="S",
    covers=("L1.people.1",),
)
PE2 = criterion(
    "PE-201",
    2,
    "people",
    question="Do data scientists and data engineers turn experiments into jobs together?",
    component=None,
    covers=("L2.people.1",),
)
MC1 = criterion("MC-101", 1, "model_creation", signals=("data_pipeline",))
MC2T = criterion(
    "MC-201",
    2,
    "model_creation",
    signals=("tracking_in_code",),
    component="mlflow-tracking",
    covers=("L2.mc.3",),
    rests_on=("L2.mc.3",),
    evidence=EvidenceRules(strong="Tracking calls in training code.", weak="Only in a notebook."),
)
MC2V = criterion("MC-202", 2, "model_creation", signals=("model_versioned",), covers=("L2.mc.3",))
MC4 = criterion("MC-401", 4, "model_creation", signals=("retrain_on_drift",), size="L")
MR1 = criterion("MR-101", 1, "model_release", signals=("scoring_script",))
MR2 = criterion("MR-201", 2, "model_release", signals=("ci_runs_tests",), size="S")
MR3 = criterion(
    "MR-301",
    3,
    "model_release",
    signals=("ci_deploys",),
    applies_if=("has_model",),
)
AI1 = criterion("AI-101", 1, "application_integration", signals=("unit_tests",))
AI2 = criterion(
    "AI-201",
    2,
    "application_integration",
    signals=("unit_tests",),
    any_of=("integration_tests", "api_tests"),
)

CRITERIA = (PE1, PE2, MC1, MC2T, MC2V, MC4, MR1, MR2, MR3, AI1, AI2)

STATEMENTS = (
    ModelStatement("L1.people.1", 1, "people", "Teams work separately | in silos."),
    ModelStatement(
        "L2.people.1", 2, "people", "Data scientists work directly with data engineers."
    ),
    ModelStatement("L2.mc.3", 2, "model_creation", "Experiment results are tracked."),
    ModelStatement("L4.ai.1", 4, "application_integration", "Nobody covers this statement."),
    ModelStatement("L0.hl.1", 0, "highlights", "Lifecycle is hard to manage."),
)


def rubric(criteria: tuple[Criterion, ...] = CRITERIA) -> Rubric:
    return Rubric(
        id="test-rubric",
        version="0.9",
        title="Test rubric",
        source="tests",
        criteria=criteria,
        statements=STATEMENTS,
    )


FINDINGS = (
    Finding(PE1, Outcome.NOT_ASSESSED, message="unanswered"),
    Finding(PE2, Outcome.NOT_ASSESSED, message="unanswered"),
    Finding(
        MC1,
        Outcome.MET,
        (
            Evidence("pipelines/data.yml", 3, "type: pipeline"),
            Evidence("README.md", None, "we have a pipeline", note="claim only", weak=True),
            Evidence("pipelines/more.yml", 1, "jobs:"),
            Evidence("pipelines/extra.yml", 2, "steps:"),
        ),
    ),
    Finding(
        MC2T,
        Outcome.MET,
        (Evidence("notebooks/explore.ipynb", 7, HOSTILE_SNIPPET, weak=True),),
    ),
    Finding(MC2V, Outcome.UNMET),
    Finding(MC4, Outcome.UNMET),
    Finding(MR1, Outcome.MET, (Evidence("src/score.py", 12, "def run(data):"),)),
    Finding(
        MR2,
        Outcome.ERROR,
        message="signal ci_runs_tests failed: ValueError: bad <yaml>",
    ),
    Finding(MR3, Outcome.NOT_APPLICABLE),
    Finding(AI1, Outcome.MET, (Evidence("tests/test_app.py", 1, "def test_app():"),)),
    Finding(
        AI2,
        Outcome.UNMET,
        (Evidence("tests/my dir/", None, note="no test calls the model"),),
    ),
)

STEPS = (
    PlanStep(
        order=1,
        level=2,
        dimension="model_creation",
        title="Version trained models",
        criteria=("MC-202",),
        effort=effort("M"),
        success=("Success for MC-202.",),
        deliverables=("Deliverable for MC-202.",),
        component="model-registry",
        actions=("Do the work for MC-202.",),
    ),
    PlanStep(
        order=2,
        level=2,
        dimension="model_release",
        title="Run the tests in CI",
        criteria=("MR-201",),
        effort=effort("S"),
        success=("Success for MR-201.",),
        deliverables=("Deliverable for MR-201.",),
        component="ci-tests",
        actions=("Do the work for MR-201.",),
    ),
    PlanStep(
        order=3,
        level=2,
        dimension="people",
        title="Pair data scientists with data engineers",
        criteria=("PE-101", "PE-201"),
        effort=effort("M"),
        success=("Success for PE-201.",),
        deliverables=("Deliverable for PE-201.",),
        component=None,
        actions=("Do the work for PE-201.",),
    ),
)

REPO = RepoInfo(
    path="/srv/repos/demo",
    name="demo<b>",
    is_git=True,
    files=42,
    head="0123456789abcdef0123456789abcdef01234567",
    branch="main",
    commits=7,
    last_change="2026-01-02T03:04:05+00:00",
    tags=1,
    unreadable=(
        Unreadable("data/blob.bin", "binary file"),
        Unreadable("data/other.bin", "binary file"),
        Unreadable("link", "symlink points outside the repository"),
    ),
)


def assessment(**changes: object) -> Assessment:
    """The full fixture assessment; keyword arguments replace fields."""
    base = Assessment(
        repo=REPO,
        rubric_id="test-rubric",
        rubric_version="0.9",
        level=1,
        dimensions=(
            DimensionResult("people", None, not_assessed=("PE-101", "PE-201")),
            DimensionResult("model_creation", 1, blockers=("MC-202",)),
            DimensionResult("model_release", 1, blockers=("MR-201",)),
            DimensionResult("application_integration", 1, blockers=("AI-201",)),
        ),
        findings=FINDINGS,
        plan=Plan(current_level=1, target_level=2, steps=STEPS),
        tool_version="0.1.0",
        generated_at="2026-01-02T03:04:05+00:00",
        duration_s=0.25,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def all_met_assessment() -> Assessment:
    """People assessed, everything met, nothing left to plan, everything read."""
    answered = (Evidence(None, note="answered 'yes' in answers.yaml"),)
    findings = tuple(
        Finding(
            f.criterion,
            Outcome.MET,
            answered if f.criterion.kind == "question" else (Evidence("ok.py", 1, "ok"),),
        )
        for f in FINDINGS
    )
    return assessment(
        repo=dataclasses.replace(REPO, unreadable=(), is_git=False, head=None, branch=None),
        level=4,
        dimensions=tuple(
            DimensionResult(d, 4)
            for d in ("people", "model_creation", "model_release", "application_integration")
        ),
        findings=findings,
        plan=Plan(current_level=4, target_level=4, steps=()),
    )
