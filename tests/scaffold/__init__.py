"""Tests of the scaffolding engine. ``make_catalog`` builds a tiny real catalog in tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import build_tree

ANSWERS_TEMPLATE = "{{ _copier_answers|to_nice_yaml -}}\n"
ANSWERS_NAME = "{{ _copier_conf.answers_file }}.jinja"

#: Shared questions of the tiny catalog (copier format, included by every component).
QUESTIONS = """\
project_name: {type: str}
package_name: {type: str, default: "{{ project_name }}"}
description: {type: str, default: ""}
owner: {type: str, default: ""}
pattern: {type: str, default: web}
ci: {type: str, choices: [github, gitlab, none], default: none}
environments: {type: yaml, default: [dev, prod]}
"""


def tiny_catalog_data() -> dict[str, Any]:
    """catalog.yaml of the tiny catalog: base, app, two CI members, a docs add-on."""
    return {
        "catalog_version": "1.0.0",
        "components": {
            "base": {
                "version": "1.0.0",
                "title": "Base layout",
                "questions": ["project_name", "package_name"],
            },
            "app": {"version": "0.3.0", "title": "The app", "requires": ["base"]},
            "ci-github": {"version": "1.2.0", "title": "GitHub", "requires": ["base"]},
            "ci-gitlab": {"version": "2.0.1", "title": "GitLab", "requires": ["base"]},
        },
        "groups": {
            "ci": {"answer": "ci", "members": {"github": "ci-github", "gitlab": "ci-gitlab"}}
        },
        "patterns": {
            "web": {
                "title": "Web app",
                "default": True,
                "components": ["base", "app", "ci"],
                "defaults": {"ci": "github"},
                "next_steps": ["make test"],
            },
            "bare": {"title": "Only the base", "components": ["base"]},
        },
    }


def tiny_templates() -> dict[str, dict[str, str]]:
    """Template files per component (relative to its template/ folder)."""
    return {
        "base": {
            "README.md.jinja": "# {{ project_name }}\n{{ description }}\ncomponents: "
            "{{ components | join(',') }}\n",
            "src/{{ package_name }}/__init__.py": '"""{{ project_name }}."""\n',
        },
        "app": {"app.txt.jinja": "app of {{ owner }} ({{ pattern }})\n"},
        "ci-github": {".github/workflows/ci.yml": "name: ci\n"},
        "ci-gitlab": {".gitlab-ci.yml": "stages: [test]\n"},
    }


def make_catalog(
    root: Path,
    data: Mapping[str, Any] | None = None,
    templates: Mapping[str, Mapping[str, str]] | None = None,
    copier_extra: Mapping[str, str] | None = None,
    questions: str | None = QUESTIONS,
) -> Path:
    """Write a catalog folder under ``root``; return it.

    ``copier_extra`` adds YAML text to a component's copier.yml (e.g. ``_tasks``).
    Every component writes its answers file, as the contract requires.
    """
    data = tiny_catalog_data() if data is None else data
    templates = tiny_templates() if templates is None else templates
    root.mkdir(parents=True, exist_ok=True)
    (root / "catalog.yaml").write_text(yaml.safe_dump(dict(data), sort_keys=False), "utf-8")
    if questions is not None:
        (root / "questions.yml").write_text(questions, "utf-8")
    for name in data.get("components", {}):
        conf = "_subdirectory: template\n" + textwrap.dedent((copier_extra or {}).get(name, ""))
        if questions is not None:
            conf += "---\n!include questions.yml\n"
        files = {ANSWERS_NAME: ANSWERS_TEMPLATE, **templates.get(name, {})}
        build_tree(root / "components" / name, {"copier.yml": conf})
        for rel, text in files.items():
            path = root / "components" / name / "template" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
    return root
