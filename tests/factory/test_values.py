"""Project values and template text: what is replaced, and that Jinja renders it back."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from mlops_factory._factory._values import (
    Delimiters,
    ProjectValues,
    derive_values,
    find_values,
    package_of,
    template_text,
)
from tests.helpers import build_tree

VALUES = ProjectValues(
    project_name="demo-churn",
    package_name="demo_churn",
    description="demo-churn, a machine learning project",
    owner="risk-ml",
)
SQUARE = Delimiters.from_envops(
    {
        "variable_start_string": "[[",
        "variable_end_string": "]]",
        "block_start_string": "[%",
        "block_end_string": "%]",
        "comment_start_string": "[#",
        "comment_end_string": "#]",
    }
)


CURLY = Delimiters()


def _render(source: str, delims: Delimiters = CURLY, keep: bool = True) -> str:
    env = jinja2.Environment(
        keep_trailing_newline=keep,
        variable_start_string=delims.variable_start,
        variable_end_string=delims.variable_end,
        block_start_string=delims.block_start,
        block_end_string=delims.block_end,
        comment_start_string=delims.comment_start,
        comment_end_string="#]" if delims.comment_start == "[#" else "#}",
    )
    return env.from_string(source).render(**VALUES.as_dict())


def _template(text: str, delims: Delimiters = CURLY, package: bool = True) -> str:
    return template_text(text, find_values(text, VALUES, prefer_package=package), delims)


def test_package_name_inside_identifiers_becomes_a_variable() -> None:
    text = (
        "import demo_churn.features\n"
        "DEMO_CHURN_HOME = load_demo_churn_data()\n"
        "demo_churnx = churned_demo_churn\n"
    )
    assert _template(text) == (
        "import {{ package_name }}.features\n"
        "{{ package_name | upper }}_HOME = load_{{ package_name }}_data()\n"
        "demo_churnx = churned_{{ package_name }}\n"
    )


def test_longest_value_wins_and_words_glued_to_letters_are_left_alone() -> None:
    text = "# demo-churn, a machine learning project\nrg-demo-churn-dev demo-churns by risk-ml\n"
    assert _template(text, package=False) == (
        "# {{ description }}\nrg-{{ project_name }}-dev demo-churns by {{ owner }}\n"
    )


def test_short_values_are_never_replaced() -> None:
    values = ProjectValues("demo-churn", "demo_churn", None, "ml")
    assert find_values("ml team: html", values) == []


def test_same_project_and_package_name_is_the_package_in_module_paths() -> None:
    values = ProjectValues("churn", "churn", None, None)
    text = "name: churn\nrun: python -m churn.pipeline --data data/churn.csv\nfrom churn import x\n"
    matches = find_values(text, values)
    assert template_text(text, matches, Delimiters()) == (
        "name: {{ project_name }}\n"
        "run: python -m {{ package_name }}.pipeline --data data/{{ project_name }}.csv\n"
        "from {{ package_name }} import x\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "{{ user }} {% if x %} {# note #} demo_churn\n",
        "a{{{demo_churn}}}",
        "{demo_churn{",
        "{%- raw -%}{% endraw %} demo_churn",
        "quote ' and backslash \\ demo_churn\t",
        "crlf line demo_churn\r\nnext\rlone\r\n",
        "ünïcode demo_churn — ✓\n",
        "${{ github.sha }} demo_churn\n",
        "{",
        "}}demo_churn{{",
        "",
    ],
)
def test_template_text_renders_back_exactly(text: str) -> None:
    assert _render(_template(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "${{ github.sha }} [[ x ]] [% if %] [# c #] demo_churn\n",
        "[[[demo_churn",
        "a[",
        "[[demo_churn]]",
    ],
)
def test_template_text_with_a_component_s_own_delimiters(text: str) -> None:
    source = _template(text, SQUARE)
    assert "[[ package_name ]]" in source or "demo_churn" not in text
    assert _render(source, SQUARE) == text


def test_trailing_newline_survives_when_the_component_drops_it() -> None:
    delims = Delimiters(keep_trailing_newline=False)
    for text in ("x demo_churn\n", "x\n\n", "none"):
        assert _render(_template(text, delims), delims, keep=False) == text


def test_literal_jinja_is_escaped_as_expressions() -> None:
    assert _template("{{ x }} {% y %} {# z #}") == (
        "{{ '{{' }} x }} {{ '{%' }} y %} {{ '{#' }} z #}"
    )


def test_values_of_a_project_not_from_the_catalog(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path / "Fraud Scoring",
        {
            "pyproject.toml": """
                [project]
                name = "fraud-scoring"
                description = "Scores card transactions"
                authors = [{name = "Risk ML", email = "risk@example.com"}]
                """,
            "src/fraud/__init__.py": "",
        },
    )
    assert derive_values(root) == ProjectValues(
        "fraud-scoring", "fraud", "Scores card transactions", "Risk ML", source="pyproject.toml"
    )


def test_values_from_the_folder_when_there_is_no_pyproject(tmp_path: Path) -> None:
    root = build_tree(tmp_path / "Churn Model", {"train.py": "print(1)\n"})
    assert derive_values(root) == ProjectValues(
        "churn-model", "churn_model", None, None, source="folder"
    )


def test_package_of() -> None:
    assert package_of("Fraud-Scoring.v2") == "fraud_scoring_v2"
