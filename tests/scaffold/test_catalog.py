"""The catalog: schema validation (exact messages), groups, order, trust features."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_factory._errors import FactoryError
from mlops_factory._scaffold import load_catalog
from mlops_factory._scaffold._catalog import Catalog
from tests.scaffold import make_catalog, tiny_catalog_data

FINAL_COMPONENTS = {
    "base",
    "training-pipeline",
    "tracking-registry",
    "data-versioning-dvc",
    "onnx-packaging",
    "serving-realtime",
    "batch-scoring",
    "monitoring-retraining",
    "ci-github",
    "ci-azure-devops",
    "ci-gitlab",
    "ci-jenkins",
    "iac-terraform",
    "iac-bicep",
    "docs",
}


@pytest.fixture
def tiny(tmp_path: Path) -> Catalog:
    return load_catalog(make_catalog(tmp_path / "cat"))


def test_tiny_catalog_loads_every_field(tiny: Catalog, tmp_path: Path) -> None:
    root = (tmp_path / "cat").resolve()
    assert tiny.path == root
    assert tiny.version == "1.0.0"
    assert tiny.builtin is False
    assert list(tiny.components) == ["base", "app", "ci-github", "ci-gitlab"]
    app = tiny.components["app"]
    assert (app.version, app.title, app.description, app.requires, app.tag) == (
        "0.3.0",
        "The app",
        "",
        ("base",),
        "v0.3.0",
    )
    assert app.path == root / "components" / "app"
    assert tiny.components["base"].questions == ("project_name", "package_name")
    assert dict(tiny.groups["ci"].members) == {"github": "ci-github", "gitlab": "ci-gitlab"}
    web = tiny.patterns["web"]
    assert (web.default, web.components, dict(web.defaults), web.next_steps) == (
        True,
        ("base", "app", "ci"),
        {"ci": "github"},
        ("make test",),
    )
    assert tiny.default_pattern is web
    assert tiny.questions["ci"].choices == ("github", "gitlab", "none")
    assert tiny.questions["package_name"].default is None  # templated: not a literal default


def test_the_catalog_file_itself_can_be_given(tmp_path: Path) -> None:
    root = make_catalog(tmp_path / "cat")
    assert load_catalog(root / "catalog.yaml").path == root.resolve()


def test_without_a_marked_default_the_first_pattern_is_the_default(tmp_path: Path) -> None:
    data = tiny_catalog_data()
    del data["patterns"]["web"]["default"]
    catalog = load_catalog(make_catalog(tmp_path / "cat", data))
    assert catalog.default_pattern.name == "web"
    assert [p["default"] for p in catalog.to_dict()["patterns"]] == [True, False]


def test_builtin_catalog_has_the_contract_names() -> None:
    catalog = load_catalog()
    assert catalog.builtin is True
    assert set(catalog.components) == FINAL_COMPONENTS
    assert {"ci", "iac"} <= set(catalog.groups)
    assert {"realtime", "batch"} <= set(catalog.patterns)
    assert catalog.default_pattern.name == "realtime"


# --- schema errors -------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


SCHEMA_ERRORS = [
    (_set("color", "blue"), "top level: unknown field 'color'"),
    (_delete("catalog_version"), "top level: missing required field 'catalog_version'"),
    (
        _set("components.base.version", "1.0"),
        "component 'base': field 'version': expected a version like '1.2.3' "
        "(MAJOR.MINOR.PATCH, quoted), got '1.0'",
    ),
    (
        _set("components.base.version", 1.0),
        "component 'base': field 'version': expected a version like '1.2.3' "
        "(MAJOR.MINOR.PATCH, quoted), got 1.0",
    ),
    (_delete("components.app.title"), "component 'app': missing required field 'title'"),
    (_set("components.app.requirs", ["base"]), "component 'app': unknown field 'requirs'"),
    (
        _set("components.app.requires", ["nothing"]),
        "component 'app': field 'requires': 'nothing' is not another component or group "
        "of this catalog",
    ),
    (
        _set("components.app.requires", "base"),
        "component 'app': field 'requires': expected a list of names, got 'base'",
    ),
    (
        _set("components.base.requires", ["app"]),
        "component 'app': field 'requires': requirements form a cycle: base -> app -> base",
    ),
    (
        _set("components.Bad_Name", {"version": "1.0.0", "title": "x"}),
        "component 'Bad_Name': names are lowercase words joined by '-' (like 'ci-github')",
    ),
    (
        _set("groups.ci.members", {"github": "ci-circle"}),
        "group 'ci': field 'members': 'github' names unknown component 'ci-circle'",
    ),
    (
        _set("groups.ci.members", {"none": "ci-github"}),
        "group 'ci': field 'members': 'none' is reserved (it selects nothing)",
    ),
    (
        _set("groups.app", {"answer": "x", "members": {}}),
        "group 'app': a component has the same name",
    ),
    (_delete("groups.ci.answer"), "group 'ci': missing required field 'answer'"),
    (
        _set("patterns.web.components", ["base", "api"]),
        "pattern 'web': field 'components': 'api' is not a component or group of this catalog",
    ),
    (
        _set("patterns.web.components", []),
        "pattern 'web': field 'components': the pattern has no components",
    ),
    (
        _set("patterns.web.components", ["base", "base"]),
        "pattern 'web': field 'components': 'base' is listed twice",
    ),
    (
        _set("patterns.web.defaults", {"project_name": "x"}),
        "pattern 'web': field 'defaults': 'project_name' is not an answer key a pattern can set",
    ),
    (
        _set("patterns.web.defaults", {"colour": "x"}),
        "pattern 'web': field 'defaults': 'colour' is not an answer key a pattern can set",
    ),
    (
        _set("patterns.web.default", "yes"),
        "pattern 'web': field 'default': expected true or false, got 'yes'",
    ),
    (
        _set("patterns.bare.default", True),
        "top level: field 'patterns': only one pattern can be the default, found web, bare",
    ),
    (
        _set("patterns.web.next_steps", "make test"),
        "pattern 'web': field 'next_steps': expected a list of command lines",
    ),
    (_set("patterns", {}), "top level: field 'patterns': the catalog has no patterns"),
    (
        _set("patterns.web.title", ""),
        "pattern 'web': field 'title': expected a non-empty string, got ''",
    ),
]


@pytest.mark.parametrize(("mutate", "message"), SCHEMA_ERRORS, ids=[m for _, m in SCHEMA_ERRORS])
def test_schema_errors_name_file_place_and_field(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = tiny_catalog_data()
    mutate(data)
    root = make_catalog(tmp_path / "cat", data)
    with pytest.raises(FactoryError) as info:
        load_catalog(root)
    assert info.value.message == f"{root.resolve() / 'catalog.yaml'}: {message}"


def test_unknown_field_hint_lists_the_allowed_ones(tmp_path: Path) -> None:
    data = tiny_catalog_data()
    data["components"]["app"]["requirs"] = []
    with pytest.raises(FactoryError) as info:
        load_catalog(make_catalog(tmp_path / "cat", data))
    assert info.value.hint == "allowed fields: version, title, description, requires, questions"


def test_missing_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(FactoryError) as info:
        load_catalog(tmp_path)
    assert info.value.message == f"{tmp_path.resolve()}: no catalog.yaml here"


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text("components:\n  base: [\n", "utf-8")
    with pytest.raises(FactoryError) as info:
        load_catalog(tmp_path)
    assert info.value.message.startswith(
        f"{tmp_path.resolve() / 'catalog.yaml'}: invalid YAML at line 3, column 1: "
    )


def test_a_component_without_its_template_folder(tmp_path: Path) -> None:
    data = tiny_catalog_data()
    data["components"]["ghost"] = {"version": "1.0.0", "title": "Ghost"}
    root = make_catalog(tmp_path / "cat", data)
    (root / "components" / "ghost" / "copier.yml").unlink()
    with pytest.raises(FactoryError) as info:
        load_catalog(root)
    assert info.value.message == (
        f"{root.resolve() / 'catalog.yaml'}: component 'ghost': its template "
        "components/ghost/copier.yml is missing"
    )


def test_questions_yml_inside_a_component_is_reserved(tmp_path: Path) -> None:
    root = make_catalog(tmp_path / "cat")
    (root / "components" / "app" / "questions.yml").write_text("x: 1\n", "utf-8")
    with pytest.raises(FactoryError) as info:
        load_catalog(root)
    assert info.value.message == (
        f"{root.resolve() / 'catalog.yaml'}: component 'app': components/app/questions.yml "
        "uses a reserved name"
    )


# --- resolution ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ("github", ["base", "app", "ci-github"]),
        ("gitlab", ["base", "app", "ci-gitlab"]),
        ("none", ["base", "app"]),
    ],
)
def test_a_group_resolves_through_its_answer(tiny: Catalog, ci: str, expected: list[str]) -> None:
    assert [c.name for c in tiny.resolve("web", {"ci": ci})] == expected


def test_a_group_answer_without_member_is_an_error(tiny: Catalog) -> None:
    with pytest.raises(FactoryError) as info:
        tiny.resolve("web", {"ci": "jenkins"})
    assert info.value.message == "pattern 'web': group 'ci' has no component for ci='jenkins'"
    assert info.value.hint == "ci must be one of: github, gitlab, none"


def test_unknown_pattern(tiny: Catalog) -> None:
    with pytest.raises(FactoryError) as info:
        tiny.resolve("mobile", {})
    assert info.value.message == "unknown pattern 'mobile'"
    assert info.value.hint == "choose one of: web, bare (see `mlops-factory templates`)"


def test_components_render_after_what_they_require(tmp_path: Path) -> None:
    data = tiny_catalog_data()
    data["patterns"]["web"]["components"] = ["ci", "app", "base"]
    catalog = load_catalog(make_catalog(tmp_path / "cat", data))
    assert [c.name for c in catalog.resolve("web", {"ci": "gitlab"})] == [
        "base",
        "ci-gitlab",
        "app",
    ]


def test_an_unmet_requirement_is_an_error(tmp_path: Path) -> None:
    data = tiny_catalog_data()
    data["components"]["app"]["requires"] = ["ci"]
    catalog = load_catalog(make_catalog(tmp_path / "cat", data))
    assert [c.name for c in catalog.resolve("web", {"ci": "github"})] == [
        "base",
        "ci-github",
        "app",
    ]
    with pytest.raises(FactoryError) as info:
        catalog.resolve("web", {"ci": "none"})
    assert info.value.message == (
        "component 'app' requires 'ci', which pattern 'web' does not include with these answers"
    )
    assert info.value.hint == "set ci to one of: github, gitlab"


def test_unsafe_features_follow_includes(tmp_path: Path) -> None:
    root = make_catalog(
        tmp_path / "cat",
        copier_extra={"app": "_tasks: ['touch done']\n", "base": "---\n!include extra/*.yml\n"},
    )
    (root / "components" / "base" / "extra").mkdir()
    (root / "components" / "base" / "extra" / "more.yml").write_text(
        "_migrations:\n  - {version: v2.0.0, command: echo}\n", "utf-8"
    )
    catalog = load_catalog(root)
    assert catalog.unsafe_features(catalog.components["app"]) == ("tasks",)
    assert catalog.unsafe_features(catalog.components["base"]) == ("migrations",)
    assert catalog.unsafe_features(catalog.components["ci-github"]) == ()


def test_to_dict_is_the_json_contract(tiny: Catalog) -> None:
    out = tiny.to_dict()
    assert out["catalog"] == {
        "name": "cat",
        "source": str(tiny.path),
        "vcs_ref": None,
        "path": str(tiny.path),
        "version": "1.0.0",
        "builtin": False,
    }
    assert out["patterns"][1] == {
        "name": "bare",
        "title": "Only the base",
        "description": "",
        "default": False,
        "components": ["base"],
        "defaults": {},
        "next_steps": [],
    }
    assert out["components"][1] == {
        "name": "app",
        "version": "0.3.0",
        "title": "The app",
        "description": "",
        "requires": ["base"],
        "questions": [],
    }
    assert out["groups"] == [
        {
            "name": "ci",
            "answer": "ci",
            "title": "",
            "description": "",
            "members": {"github": "ci-github", "gitlab": "ci-gitlab"},
        }
    ]
