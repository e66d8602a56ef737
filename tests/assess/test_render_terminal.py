from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.text import Text

from mlops_factory._assess.render import FORMATS, print_terminal, render
from mlops_factory._assess.render.terminal import summary_table
from mlops_factory._errors import FactoryError
from tests.assess import _fixtures as fx


def _plain(assessment: object, width: int = 160) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False)
    print_terminal(assessment, console)  # type: ignore[arg-type]
    return buf.getvalue()


def _row(text: str, dimension: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith(f"│ {dimension} "))
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_formats_are_the_documented_five() -> None:
    assert FORMATS == ("terminal", "json", "markdown", "sarif", "html")


def test_summary_grid_rows_show_level_and_met_over_total_per_level() -> None:
    text = _plain(fx.assessment())
    header = next(ln for ln in text.splitlines() if ln.startswith("┃ Dimension"))
    assert [h.strip() for h in header.strip("┃").split("┃")] == [
        "Dimension",
        "Level",
        "L1",
        "L2",
        "L3",
        "L4",
    ]
    assert _row(text, "People") == ["People", "not assessed", "0/1 ?1", "0/1 ?1", "–", "–"]
    assert _row(text, "Model creation") == ["Model creation", "1", "1/1", "1/2", "–", "0/1"]
    assert _row(text, "Model release") == ["Model release", "1", "1/1", "0/1 !1", "n/a", "–"]
    assert _row(text, "Application integration") == [
        "Application integration",
        "1",
        "1/1",
        "0/1",
        "–",
        "–",
    ]


def test_summary_grid_cells_are_coloured_by_state() -> None:
    table = summary_table(fx.assessment())
    styles = {}
    for level in range(1, 5):
        cells = list(table.columns[level + 1].cells)
        for dim, cell in zip(
            ["people", "model_creation", "model_release", "application_integration"],
            cells,
            strict=True,
        ):
            assert isinstance(cell, Text)
            styles[(dim, level)] = str(cell.style)
    assert styles[("model_creation", 1)] == "bold green"
    assert styles[("model_creation", 2)] == "yellow"
    assert styles[("model_creation", 4)] == "red"
    assert styles[("people", 1)] == "magenta"
    assert styles[("model_release", 3)] == "dim"


def test_overall_level_has_its_name_and_the_people_note_next_to_it() -> None:
    text = _plain(fx.assessment())
    line = next(ln for ln in text.splitlines() if ln.startswith("Overall level"))
    assert line == (
        "Overall level 1 — DevOps but no MLOps    "
        "People not assessed: answer the questionnaire (--answers FILE)"
    )


def test_no_people_note_when_people_was_assessed() -> None:
    text = _plain(fx.all_met_assessment())
    assert "Overall level 4 — Full MLOps, automated operations\n" in text
    assert "People not assessed" not in text


def test_findings_are_grouped_by_dimension_then_level() -> None:
    text = _plain(fx.assessment())
    findings = text[text.index("Findings") :]
    order = [
        "People",
        " Level 1 — DevOps but no MLOps",
        "  ? PE-101  Title of PE-101  not assessed",
        " Level 2 — Automated training",
        "  ? PE-201",
        "Model creation",
        "  ✓ MC-101  Title of MC-101  met",
        "  ✓ MC-201  Title of MC-201  met (weak evidence)",
        "  ✗ MC-202  Title of MC-202  unmet",
        " Level 4 — Full MLOps, automated operations",
        "  ✗ MC-401",
        "Model release",
        "  ✓ MR-101",
        "  ! MR-201  Title of MR-201  error",
        "  – MR-301  Title of MR-301  not applicable",
        "Application integration",
        "  ✓ AI-101",
        "  ✗ AI-201",
    ]
    positions = [findings.index(item) for item in order]
    assert positions == sorted(positions)


def test_evidence_shows_path_line_snippet_weak_marks_and_a_cap() -> None:
    lines = _plain(fx.assessment()).splitlines()
    assert "      pipelines/data.yml:3  type: pipeline" in lines
    assert "      README.md  we have a pipeline  (claim only)  (weak)" in lines
    assert "      pipelines/more.yml:1  jobs:" in lines
    assert "      … 1 more (see --format json)" in lines
    assert not any("pipelines/extra.yml" in ln for ln in lines)
    assert "      tests/my dir/  (no test calls the model)" in lines


def test_not_assessed_shows_the_question_and_errors_their_message() -> None:
    lines = _plain(fx.assessment()).splitlines()
    assert (
        "      question: Do software engineers receive the model through a documented hand-off?"
        in lines
    )
    assert "      signal ci_runs_tests failed: ValueError: bad <yaml>" in lines


def test_answer_evidence_without_a_path_shows_only_its_note() -> None:
    lines = _plain(fx.all_met_assessment()).splitlines()
    assert lines.count("      answered 'yes' in answers.yaml") == 2


def test_repo_text_cannot_drive_the_terminal_or_rich_markup() -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=200, force_terminal=True, color_system="truecolor")
    print_terminal(fx.assessment(), console)
    out = buf.getvalue()
    assert "\x1b[31mred" not in out
    assert "\\x1b[31mred\\x1b[0m" in out
    assert "[bold]markup[/bold]" in out


def test_plan_is_numbered_with_effort_success_deliverables_and_component() -> None:
    text = _plain(fx.assessment())
    plan = text[text.index("Plan: level 1 → 2 (3 steps, 6.5–11 days)") :]
    expected = [
        " 1. Version trained models  [L2 · Model creation · effort M (3–5 days)]",
        "    closes: MC-202",
        "    do: Do the work for MC-202.",
        "    success: Success for MC-202.",
        "    deliverables: Deliverable for MC-202.",
        "    component: model-registry",
        " 2. Run the tests in CI  [L2 · Model release · effort S (0.5–1 days)]",
        " 3. Pair data scientists with data engineers  [L2 · People · effort M (3–5 days)]",
        "    closes: PE-101, PE-201",
        "    component: none: a people and process step",
    ]
    positions = [plan.index(item + "\n") for item in expected]
    assert positions == sorted(positions)


def test_empty_plan_says_so() -> None:
    assert "Plan: nothing to do to reach level 4" in _plain(fx.all_met_assessment())


def test_unreadable_files_are_summarised_in_one_line() -> None:
    lines = _plain(fx.assessment()).splitlines()
    assert "3 paths not read: binary file (2); symlink points outside the repository (1)" in lines
    assert not any("not read" in ln for ln in _plain(fx.all_met_assessment()).splitlines())


def test_render_terminal_is_plain_text() -> None:
    text = render(fx.assessment(), "terminal")
    assert "\x1b" not in text
    assert "Overall level 1 — DevOps but no MLOps" in text
    assert text.endswith("\n")


def test_unknown_format_is_a_user_error() -> None:
    with pytest.raises(FactoryError) as info:
        render(fx.assessment(), "pdf")
    assert info.value.message == "unknown output format 'pdf'"
    assert info.value.hint == "use one of: terminal, json, markdown, sarif, html"
