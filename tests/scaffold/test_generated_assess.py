"""A freshly generated project sits at level 4 of our own rubric (issue 3).

Anything short is a template gap to fix in templates/, never a rubric change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory import assess, new_project
from mlops_factory._assess.model import Outcome

AUTOMATABLE = ("model_creation", "model_release", "application_integration")
CI_PROVIDERS = ("github", "azure-devops", "gitlab", "jenkins")
#: Patterns whose generated projects must reach level 4.
PATTERNS = ("realtime", "batch")


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("ci", CI_PROVIDERS)
def test_generated_project_assesses_at_level_4(tmp_path: Path, pattern: str, ci: str) -> None:
    dest = tmp_path / f"{pattern}-{ci}"
    new_project(dest, pattern=pattern, data={"ci": ci}, defaults=True)
    result = assess(dest)
    gaps = {
        f.criterion.id: f.message
        for f in result.findings
        if f.criterion.dimension in AUTOMATABLE
        and f.outcome not in (Outcome.MET, Outcome.NOT_APPLICABLE)
    }
    assert gaps == {}
    assert {d: result.dimension(d).level for d in AUTOMATABLE} == dict.fromkeys(AUTOMATABLE, 4)
    weak = [f.criterion.id for f in result.findings if f.weak]
    assert weak == []
    # People is a questionnaire: unanswered, it is reported, not guessed.
    assert result.dimension("people").level is None
    assert result.level == 4
