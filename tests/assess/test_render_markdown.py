from __future__ import annotations

import dataclasses

from mlops_factory._assess.model import Evidence, Finding, Outcome, Unreadable
from mlops_factory._assess.render import render
from mlops_factory._assess.render.markdown import code, escape
from tests.assess import _fixtures as fx


def _md(**changes: object) -> str:
    return render(fx.assessment(**changes), "markdown", rubric=fx.rubric())


def test_summary_table_is_exact() -> None:
    text = _md()
    start = text.index("| Dimension | Level |")
    table = text[start:].split("\n\n")[0].splitlines()
    assert table == [
        "| Dimension | Level | L1 | L2 | L3 | L4 |",
        "|---|---|---|---|---|---|",
        "| People | *not assessed* | ❔ 0/1 ?1 | ❔ 0/1 ?1 | – | – |",
        "| Model creation | **1** | ✅ 1/1 | 🟡 1/2 | – | ❌ 0/1 |",
        "| Model release | **1** | ✅ 1/1 | ❌ 0/1 !1 | n/a | – |",
        "| Application integration | **1** | ✅ 1/1 | ❌ 0/1 | – | – |",
    ]


def test_overall_level_with_people_note() -> None:
    lines = _md().splitlines()
    assert lines[0] == "# MLOps maturity assessment: demo\\<b\\>"
    assert "**Overall level 1 — DevOps but no MLOps**" in lines
    assert "> **People not assessed: answer the questionnaire (--answers FILE)**" in lines
    all_met = render(fx.all_met_assessment(), "markdown")
    assert "**Overall level 4 — Full MLOps, automated operations**" in all_met
    assert "People not assessed" not in all_met


def test_header_names_repo_rubric_and_counts() -> None:
    lines = _md().splitlines()
    assert "| Repository | `/srv/repos/demo` (main @ 0123456789ab, 7 commits, 42 files) |" in lines
    assert "| Rubric | Test rubric `test-rubric` 0.9 |" in lines
    assert (
        "| Outcomes | 4 met · 3 unmet · 1 not applicable · 2 not assessed · 1 error · 0 waived |"
        in lines
    )
    assert any(line.startswith("| Practices | Practices: ") for line in lines)


def test_plan_steps_are_numbered_with_all_their_parts() -> None:
    text = _md()
    plan = text[
        text.index("## Plan: level 1 → 2 (3 steps, 6.5–11 days)") : text.index("## Findings")
    ]
    assert plan.splitlines()[2:9] == [
        "1. **Version trained models**: level 2, Model creation, effort M (3–5 days)",
        "   - Closes: `MC-202`",
        "   - Actions: Do the work for MC-202.",
        "   - Success criteria: Success for MC-202.",
        "   - Deliverables: Deliverable for MC-202.",
        "   - Component: `model-registry` (practice)",
        "2. **Run the tests in CI**: level 2, Model release, effort S (0.5–1 days)",
    ]
    assert "   - Component: none: a people and process step" in plan
    assert "   - Closes: `PE-101`, `PE-201`" in plan


def test_findings_grouped_by_dimension_and_level_with_outcomes() -> None:
    text = _md()
    findings = text[text.index("## Findings") :]
    order = [
        "### People",
        "#### Level 1 — DevOps but no MLOps",
        "- ❔ **`PE-101`** Title of PE-101: *not assessed* (practice)",
        "  - Question: Do software engineers receive the model through a documented hand-off?",
        "### Model creation",
        "- ✅ **`MC-101`** Title of MC-101: *met* (practice)",
        "- ✅ **`MC-201`** Title of MC-201: *met, on weak evidence only* (defining)",
        "- ❌ **`MC-202`** Title of MC-202: *unmet* (practice)",
        "#### Level 4 — Full MLOps, automated operations",
        "### Model release",
        "- ⚠️ **`MR-201`** Title of MR-201: *error* (practice)",
        "  - signal ci\\_runs\\_tests failed: ValueError: bad \\<yaml\\>",
        "- ➖ **`MR-301`** Title of MR-301: *not applicable* (practice)",
        "### Application integration",
        "  - `tests/my dir/` (no test calls the model)",
    ]
    positions = [findings.index(item + "\n") for item in order]
    assert "## Why not the next level" in text[: text.index("## Findings")]
    assert positions == sorted(positions)


def test_hostile_snippet_stays_inside_a_code_span() -> None:
    lines = _md().splitlines()
    assert (
        "  - `notebooks/explore.ipynb:7` "
        "`` <script>alert('x')</script> \\x1b[31mred\\x1b[0m [bold]markup[/bold] a|b `tick` `` "
        "*(weak)*"
    ) in lines
    assert "\x1b" not in "\n".join(lines)


def test_evidence_is_capped_with_a_count_of_the_rest() -> None:
    many = tuple(Evidence(f"f{i}.py", i + 1, "x") for i in range(12))
    findings = (Finding(fx.MC1, Outcome.MET, many),)
    text = _md(findings=findings)
    assert "  - `f9.py:10` `x`" in text
    assert "f10.py" not in text
    assert "  - … and 2 more (see the JSON output)" in text


def test_unreadable_files_are_listed() -> None:
    text = _md()
    section = text[text.index("## Files not read") :].splitlines()
    assert section == [
        "## Files not read",
        "",
        "3 paths not read: binary file (2); symlink points outside the repository (1)",
        "",
        "| Path | Reason |",
        "|---|---|",
        "| `data/blob.bin` | binary file |",
        "| `data/other.bin` | binary file |",
        "| `link` | symlink points outside the repository |",
    ]
    assert "## Files not read" not in render(fx.all_met_assessment(), "markdown")


def test_pipes_in_table_paths_are_escaped() -> None:
    repo = dataclasses.replace(fx.REPO, unreadable=(Unreadable("a|b.bin", "binary file"),))
    assert "| `a\\|b.bin` | binary file |" in _md(repo=repo)


def test_code_span_and_escape_helpers() -> None:
    assert code("plain") == "`plain`"
    assert code("a`b") == "``a`b``"
    assert code("`x") == "`` `x ``"
    assert code("a|b") == "`a|b`"
    assert code("a|b", in_table=True) == "`a\\|b`"
    assert escape("*not* <b>bold</b> [link](x) a_b") == (
        "\\*not\\* \\<b\\>bold\\</b\\> \\[link\\](x) a\\_b"
    )


def test_ends_with_exactly_one_newline() -> None:
    text = _md()
    assert text.endswith("|\n")
    assert not text.endswith("\n\n")
    all_met = render(fx.all_met_assessment(), "markdown")
    assert "## Plan: nothing to do to reach level 4\n\n## Findings\n" in all_met


def test_invisible_and_bidi_characters_are_shown_as_escapes() -> None:
    ev = Evidence("src/x.py", 2, "ok = 1\u202e # \u2066evil\u2069\ttab\x00")
    text = _md(findings=(Finding(fx.MC1, Outcome.MET, (ev,)),))
    assert "  - `src/x.py:2` `ok = 1\\u202e # \\u2066evil\\u2069 tab\\x00`" in text
    assert not {"\u202e", "\u2066", "\u2069", "\x00", "\t"} & set(text)
