"""Hand-built rubric pieces for stage tests (no YAML, no repo)."""

from __future__ import annotations

from mlops_factory._assess.model import (
    Criterion,
    Detection,
    Effort,
    Evidence,
    Remediation,
    SignalResult,
)


def criterion(
    cid: str,
    *,
    signals: tuple[str, ...] = (),
    any_of: tuple[str | tuple[str, ...], ...] = (),
    applies_if: tuple[str, ...] = (),
    question: str | None = None,
    component: str | None = "comp",
    size: str = "S",
    days: tuple[float, float] = (1, 2),
    role: str = "practice",
    level: int | None = None,
) -> Criterion:
    dims = {"PE": "people", "MC": "model_creation", "MR": "model_release"}
    dims["AI"] = "application_integration"
    return Criterion(
        id=cid,
        level=int(cid[3]) if level is None else level,
        dimension=dims[cid[:2]],
        title=f"title of {cid}",
        motivation="why",
        detection=Detection(
            "how",
            signals,
            tuple((a,) if isinstance(a, str) else a for a in any_of),
            applies_if,
            question,
        ),
        remediation=Remediation(
            text=f"do {cid}",
            effort=Effort(size, days),  # type: ignore[arg-type]
            success=f"{cid} done",
            deliverable=f"{cid} deliverable",
            component=None if question else component,
        ),
        role=role,  # type: ignore[arg-type]
        rests_on=(f"L{cid[3]}.x.1",) if role == "defining" else (),
    )


def found(name: str, *paths: str, weak: bool = False) -> SignalResult:
    ev = tuple(Evidence(p, 1, "x", "seen", weak=weak) for p in paths or ("f.py",))
    return SignalResult(name, True, ev)


def absent(name: str) -> SignalResult:
    return SignalResult(name, False)
