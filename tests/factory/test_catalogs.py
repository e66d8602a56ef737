"""Editing catalog.yaml as text, and the paths a component's templates write."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from mlops_factory._factory._catalogs import (
    bump_minor,
    edit_catalog_text,
    output_paths,
    render_data,
)
from mlops_factory._scaffold import load_catalog

BLOCK = textwrap.dedent(
    """\
    # header comment
    catalog_version: "2.3.4"   # the catalog's own version

    components:
      # the layout
      base:
        version: "1.0.0"
        title: Base
        questions:
        - project_name
      app:
        version: "0.3.0"     # bumped by hand
        title: App
        description: >-
          A long
          description.

    # groups come next
    groups: {}
    patterns:
      web: {title: Web, components: [base, app]}
    """
)
FILE = Path("catalog.yaml")


def _edit(text: str, **kw: object) -> str:
    args: dict[str, object] = {
        "component": "app",
        "version": "0.4.0",
        "entry": None,
        "questions": [],
        "catalog_version": "2.4.0",
    }
    args.update(kw)
    return edit_catalog_text(text, FILE, **args)  # type: ignore[arg-type]


def test_bumping_an_existing_component_keeps_everything_else() -> None:
    out = _edit(BLOCK, questions=["package_name"])
    assert out == BLOCK.replace('"2.3.4"', '"2.4.0"').replace(
        '    version: "0.3.0"     # bumped by hand\n    title: App\n',
        '    version: "0.4.0"     # bumped by hand\n'
        "    questions: [package_name]\n"
        "    title: App\n",
    )


def test_a_block_list_of_questions_becomes_a_flow_list() -> None:
    out = _edit(BLOCK, component="base", version="1.1.0", questions=["project_name", "owner"])
    assert "    questions: [project_name, owner]\n  app:\n" in out
    assert yaml.safe_load(out)["components"]["base"]["questions"] == ["project_name", "owner"]


def test_unchanged_questions_are_not_rewritten() -> None:
    out = _edit(BLOCK, component="base", version="1.1.0", questions=["project_name"])
    assert "    questions:\n    - project_name\n" in out


def test_a_new_component_goes_after_the_last_one_before_comments() -> None:
    entry = {"title": 'Shared "retry"', "description": "Retries: with backoff", "requires": []}
    out = _edit(BLOCK, component="shared-retry", version="1.0.0", entry=entry, questions=[])
    assert out.endswith(
        "      description.\n"
        "  shared-retry:\n"
        '    version: "1.0.0"\n'
        '    title: "Shared \\"retry\\""\n'
        '    description: "Retries: with backoff"\n'
        "    requires: []\n"
        "    questions: []\n"
        "\n"
        "# groups come next\n"
        "groups: {}\n"
        "patterns:\n"
        "  web: {title: Web, components: [base, app]}\n"
    )
    loaded = yaml.safe_load(out)["components"]["shared-retry"]
    assert loaded["title"] == 'Shared "retry"'


def test_a_flow_style_catalog_is_dumped_again() -> None:
    text = 'catalog_version: "1.0.0"\ncomponents: {base: {version: "1.0.0", title: B}}\n'
    out = _edit(text, component="x", version="1.0.0", entry={"title": "X"}, questions=["owner"])
    assert yaml.safe_load(out) == {
        "catalog_version": "2.4.0",
        "components": {
            "base": {"version": "1.0.0", "title": "B"},
            "x": {"version": "1.0.0", "title": "X", "questions": ["owner"]},
        },
    }


def test_bump_minor() -> None:
    assert bump_minor("1.9.3") == "1.10.0"


def test_output_paths_expand_yield_and_conditions() -> None:
    catalog = load_catalog()
    data = render_data(catalog, {"project_name": "p", "package_name": "pk"})
    base = output_paths(catalog, catalog.components["base"], data)
    assert base["configs/environments/staging.yaml"] == (
        "configs/environments/{% yield env from environments %}{{ env }}{% endyield %}.yaml.jinja"
    )
    assert base["src/pk/config.py"] == "src/{{ package_name }}/config.py.jinja"
    ci = output_paths(catalog, catalog.components["ci-github"], data)
    assert ".github/workflows/monitor.yml" in ci  # conditional on monitoring-retraining


def test_edit_refuses_a_catalog_that_is_not_a_mapping() -> None:
    from mlops_factory._errors import FactoryError

    with pytest.raises(FactoryError, match="expected a mapping at the top level"):
        _edit("- a\n- b\n")
