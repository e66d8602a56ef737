"""Answers: --data parsing, defaults and derivation, validation, the missing-answer error,
what is asked on a terminal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from mlops_factory._errors import FactoryError
from mlops_factory._scaffold import load_catalog, load_data_file, parse_data_items
from mlops_factory._scaffold._answers import (
    derive_package_name,
    merge_given,
    resolve_answers,
    slugify,
)
from mlops_factory._scaffold._catalog import Catalog
from tests.scaffold import make_catalog, tiny_catalog_data

DEST = Path("/projects/Fraud Scoring")


@pytest.fixture
def tiny(tmp_path: Path) -> Catalog:
    return load_catalog(make_catalog(tmp_path / "cat"))


def _resolve(catalog: Catalog, given: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return resolve_answers(catalog, dest=DEST, given=merge_given(catalog, data=given), **kw)


# --- parsing -------------------------------------------------------------------------------


def test_data_items_are_typed_per_key() -> None:
    assert parse_data_items(
        [
            "python_version=3.10",
            "project_name=007",
            "environments=dev, staging ,prod",
            "owner=a=b",
            "replicas=3",
            "flag=true",
            "empty=",
        ]
    ) == {
        "python_version": "3.10",
        "project_name": "007",
        "environments": ["dev", "staging", "prod"],
        "owner": "a=b",
        "replicas": 3,
        "flag": True,
        "empty": "",
    }


def test_environments_accept_a_yaml_list() -> None:
    assert parse_data_items(["environments=[dev, prod]"]) == {"environments": ["dev", "prod"]}


@pytest.mark.parametrize("item", ["owner", "=x"])
def test_a_data_item_needs_key_and_value(item: str) -> None:
    with pytest.raises(FactoryError) as info:
        parse_data_items([item])
    assert info.value.message == f"--data {item!r} is not KEY=VALUE"


def test_data_file(tmp_path: Path) -> None:
    file = tmp_path / "answers.yml"
    file.write_text("project_name: fraud\nenvironments: [dev, staging, prod]\n", "utf-8")
    assert load_data_file(file) == {
        "project_name": "fraud",
        "environments": ["dev", "staging", "prod"],
    }
    file.write_text("- a\n", "utf-8")
    with pytest.raises(FactoryError) as info:
        load_data_file(file)
    assert info.value.message == (
        f"{file}: the answers file must be a YAML mapping of answer keys to values"
    )
    with pytest.raises(FactoryError) as info:
        load_data_file(tmp_path / "missing.yml")
    assert info.value.message == f"answers file {tmp_path / 'missing.yml'} does not exist"


def test_data_wins_over_the_file_and_pattern_must_agree(tiny: Catalog) -> None:
    given = merge_given(tiny, data_file={"owner": "a", "ci": "gitlab"}, data={"owner": "b"})
    assert given == {"owner": "b", "ci": "gitlab"}
    assert merge_given(tiny, data={"pattern": "web"}, pattern="web") == {"pattern": "web"}
    with pytest.raises(FactoryError) as info:
        merge_given(tiny, data={"pattern": "web"}, pattern="bare")
    assert info.value.message == "--pattern bare contradicts the answer pattern='web'"


def test_unknown_and_computed_keys_are_refused(tiny: Catalog) -> None:
    with pytest.raises(FactoryError) as info:
        merge_given(tiny, data={"projectname": "x"})
    assert info.value.message == "unknown answer key 'projectname'"
    assert info.value.hint is not None and info.value.hint.startswith(
        "known keys: project_name, project_display_name, project_slug, package_name, "
        "description, owner, pattern,"
    )
    with pytest.raises(FactoryError) as info:
        merge_given(tiny, data={"components": ["base"]})
    assert info.value.message == (
        "'components' cannot be answered: it is computed from the pattern and answers"
    )


# --- derivation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "slug"),
    [
        ("Fraud Scoring", "fraud-scoring"),
        ("my_proj.v2", "my_proj.v2"),
        ("2024 churn!!", "churn"),
        ("--x--", "x"),
        ("???", "ml-project"),
    ],
)
def test_project_name_from_folder(folder: str, slug: str) -> None:
    assert slugify(folder) == slug


@pytest.mark.parametrize(
    ("project", "package"),
    [
        ("fraud-scoring", "fraud_scoring"),
        ("Fraud.Scoring-v2", "fraud_scoring_v2"),
        ("json", "json_ml"),
        ("class", "class_ml"),
        ("mlflow", "mlflow_ml"),
        ("a", "a"),
    ],
)
def test_package_name_is_a_safe_identifier(project: str, package: str) -> None:
    assert derive_package_name(project) == package
    assert package.isidentifier()


# --- resolution ----------------------------------------------------------------------------


def test_defaults_resolve_everything(tiny: Catalog) -> None:
    assert _resolve(tiny, {}, defaults=True) == {
        "project_name": "fraud-scoring",  # the slug: what templates read
        "project_display_name": "Fraud Scoring",  # the DEST folder's name as it is
        "project_slug": "fraud-scoring",
        "package_name": "fraud_scoring",
        "description": "Fraud Scoring, a machine learning project",
        "owner": "Fraud Scoring team",
        "pattern": "web",
        "python_version": "3.11",
        "license": "Proprietary",
        "ci": "github",  # the pattern's default
        "iac": "none",  # no iac group in this catalog
        "environments": ["dev", "prod"],
        "data_versioning": "none",
    }


def test_without_a_terminal_missing_required_answers_are_named(tiny: Catalog) -> None:
    with pytest.raises(FactoryError) as info:
        _resolve(tiny, {})
    assert info.value.message == "missing answers (no terminal to ask): project_name, owner"
    assert info.value.hint == (
        "give them with --data project_name=... --data owner=... (or --data-file), or pass "
        "--defaults to accept the suggestions (project_name defaults to the DEST folder name)"
    )
    with pytest.raises(FactoryError) as info:
        _resolve(tiny, {"project_name": "churn"})
    assert info.value.message == "missing answers (no terminal to ask): owner"


def test_given_answers_and_derivations_without_defaults(tiny: Catalog) -> None:
    answers = _resolve(
        tiny,
        {"project_name": "churn", "owner": "risk", "environments": ["prod", "staging", "dev"]},
    )
    assert answers["package_name"] == "churn"
    assert answers["description"] == "churn, a machine learning project"
    assert answers["environments"] == ["dev", "staging", "prod"]  # normalised order


def test_pattern_defaults_apply_and_group_keys_follow_the_pattern(tiny: Catalog) -> None:
    answers = _resolve(tiny, {"pattern": "bare"}, defaults=True)
    assert answers["ci"] == "none"  # bare has no ci group
    with pytest.raises(FactoryError) as info:
        _resolve(tiny, {"pattern": "bare", "ci": "github"}, defaults=True)
    assert info.value.message == ("invalid answer ci='github': pattern 'bare' has no choice for ci")


def test_a_pattern_default_overrides_the_shared_default(tmp_path: Path) -> None:
    data = tiny_catalog_data()
    data["patterns"]["bare"]["components"] = ["base", "ci"]
    data["patterns"]["bare"]["defaults"] = {"ci": "gitlab", "python_version": "3.12"}
    catalog = load_catalog(make_catalog(tmp_path / "cat", data))
    answers = _resolve(catalog, {"pattern": "bare"}, defaults=True)
    assert (answers["ci"], answers["python_version"]) == ("gitlab", "3.12")
    data["patterns"]["bare"].pop("defaults")
    catalog = load_catalog(make_catalog(tmp_path / "cat2", data))
    assert _resolve(catalog, {"pattern": "bare"}, defaults=True)["ci"] == "none"


INVALID = [
    ("project_name", "2024", "it needs at least one letter"),
    ("project_name", 'say "hi"', "use one line of text without double quotes"),
    ("project_name", "x" * 201, "keep it under 200 characters"),
    ("owner", "risk@acme", "with '@' it must be one @user, @org/team or email address"),
    ("project_slug", "My Project", "use a letter first"),
    ("project_slug", "1abc", "use a letter first"),
    ("project_slug", "x" * 65, "use a letter first"),
    ("package_name", "Fraud", "use lowercase letters, digits and '_', not starting with a digit"),
    ("package_name", "json", "it is a standard library module; importing it would be ambiguous"),
    ("package_name", "sklearn", "it is a library the generated project imports; importing it"),
    ("description", 'say "hi"', "use one line of text without double quotes or backslashes"),
    ("description", "two\nlines", "use one line of text without double quotes or backslashes"),
    ("owner", " ", "it cannot be empty"),
    ("python_version", "3.9", "choose one of: 3.10, 3.11, 3.12, 3.13"),
    ("python_version", 3.1, 'write the version as text, e.g. python_version: "3.11"'),
    ("license", "GPL", "choose one of: Apache-2.0, MIT, BSD-3-Clause, Proprietary"),
    ("pattern", "mobile", "choose one of: web, bare"),
    ("ci", "jenkins", "choose one of: github, gitlab, none"),
    ("environments", ["dev"], "prod must be included"),
    ("environments", ["staging"], "dev and prod must be included"),
    ("environments", ["dev", "prod", "dev"], "an environment is listed twice"),
    ("environments", ["dev", "prod", "qa"], "unknown qa; choose from: dev, staging, prod"),
    ("environments", "dev", "expected a list of names like [dev, prod]"),
    ("owner", 42, "expected text, got int"),
]


@pytest.mark.parametrize(("key", "value", "problem"), INVALID)
def test_invalid_answers_name_key_value_and_problem(
    tiny: Catalog, key: str, value: Any, problem: str
) -> None:
    with pytest.raises(FactoryError) as info:
        _resolve(tiny, {key: value}, defaults=True)
    assert info.value.message.startswith(f"invalid answer {key}={value!r}: {problem}")


def test_answers_of_custom_questions_pass_through(tmp_path: Path) -> None:
    data = tiny_catalog_data()
    data["components"]["app"]["questions"] = ["replicas"]
    catalog = load_catalog(make_catalog(tmp_path / "cat", data))
    assert _resolve(catalog, {"replicas": 3}, defaults=True)["replicas"] == 3


def test_a_custom_group_answer_is_asked_and_validated(tmp_path: Path) -> None:
    data = tiny_catalog_data()
    data["groups"]["server"] = {"answer": "server", "members": {"small": "app"}}
    data["patterns"]["bare"]["components"] = ["base", "server"]
    catalog = load_catalog(make_catalog(tmp_path / "cat", data))
    prompter = FakePrompter({"server": "small"})
    answers = _resolve(catalog, {"pattern": "bare", "owner": "x"}, prompter=prompter)
    assert prompter.asked[-1] == ("server", "none")
    assert answers["server"] == "small"
    with pytest.raises(FactoryError) as info:
        _resolve(catalog, {"pattern": "bare", "server": "large"}, defaults=True)
    assert info.value.message == "invalid answer server='large': choose one of: small, none"


# --- asking on a terminal ------------------------------------------------------------------


OWNER_PROMPT = (
    "Owner (team or person accountable for the model; @user, @org/team or an email also "
    "generates CODEOWNERS)"
)


class FakePrompter:
    """Answers from a script, records what was asked and the suggestion shown."""

    def __init__(self, script: dict[str, Any]) -> None:
        self.script = script
        self.asked: list[tuple[str, Any]] = []

    def _answer(self, message: str, default: Any) -> Any:
        self.asked.append((message, default))
        return self.script.get(message, default)

    def text(self, message: str, default: str, validate: Callable[[str], str | None]) -> str:
        answer = self._answer(message, default)
        assert validate(answer) is None
        return str(answer)

    def select(self, message: str, choices: Sequence[str], default: str) -> str:
        assert default in choices
        return str(self._answer(message, default))

    def checkbox(
        self,
        message: str,
        choices: Sequence[str],
        default: Sequence[str],
        validate: Callable[[list[str]], str | None],
    ) -> list[str]:
        assert validate(["dev"]) == "prod must be included"
        return list(self._answer(message, list(default)))


def test_the_terminal_asks_what_is_not_given_in_order(tiny: Catalog) -> None:
    prompter = FakePrompter(
        {
            OWNER_PROMPT: "risk-ml",
            "Deployment environments": ["dev", "staging", "prod"],
        }
    )
    answers = _resolve(tiny, {"ci": "gitlab"}, prompter=prompter)
    assert prompter.asked == [
        ("Project name (any text, e.g. Fraud Scoring v2)", "Fraud Scoring"),
        ("Python package name", "fraud_scoring"),
        ("One-line description", "Fraud Scoring, a machine learning project"),
        (OWNER_PROMPT, "Fraud Scoring team"),
        ("Architecture pattern", "web"),
        ("Python version", "3.11"),
        ("License", "Proprietary"),
        ("Deployment environments", ["dev", "prod"]),
    ]
    assert (answers["owner"], answers["ci"], answers["environments"]) == (
        "risk-ml",
        "gitlab",
        ["dev", "staging", "prod"],
    )


def test_defaults_never_prompt(tiny: Catalog) -> None:
    prompter = FakePrompter({})
    _resolve(tiny, {}, prompter=prompter, defaults=True)
    assert prompter.asked == []


def test_the_prompt_uses_the_shared_help_text(tmp_path: Path) -> None:
    root = make_catalog(tmp_path / "cat")
    questions = (root / "questions.yml").read_text("utf-8")
    (root / "questions.yml").write_text(
        questions.replace("project_name: {type: str}", "project_name: {type: str, help: Name?}"),
        "utf-8",
    )
    prompter = FakePrompter({})
    _resolve(load_catalog(root), {}, prompter=prompter)
    assert prompter.asked[0] == ("Name?", "Fraud Scoring")


# --- names: a display name, a slug and a package derived from it (issue 14) ---------------


def test_a_display_name_gives_the_slug_and_package(tiny: Catalog) -> None:
    answers = _resolve(tiny, {"project_name": "Fraud Scoring v2", "owner": "risk"}, defaults=True)
    assert answers["project_display_name"] == "Fraud Scoring v2"
    assert answers["project_name"] == answers["project_slug"] == "fraud-scoring-v2"
    assert answers["package_name"] == "fraud_scoring_v2"
    assert answers["description"] == "Fraud Scoring v2, a machine learning project"


def test_the_slug_and_package_can_be_overridden(tiny: Catalog) -> None:
    given = {"project_name": "Fraud Scoring v2", "project_slug": "fraud2", "owner": "risk"}
    answers = _resolve(tiny, {**given, "package_name": "scoring"}, defaults=True)
    assert (answers["project_name"], answers["package_name"]) == ("fraud2", "scoring")
    assert answers["project_display_name"] == "Fraud Scoring v2"
    with pytest.raises(FactoryError, match="invalid answer project_slug='Fraud 2'"):
        _resolve(tiny, {**given, "project_slug": "Fraud 2"}, defaults=True)


def test_the_terminal_accepts_a_display_name(tiny: Catalog) -> None:
    prompter = FakePrompter(
        {"Project name (any text, e.g. Fraud Scoring v2)": "Churn Model (EU)", OWNER_PROMPT: "@x"}
    )
    answers = _resolve(tiny, {}, prompter=prompter)
    assert answers["project_name"] == "churn-model-eu"
    assert answers["project_display_name"] == "Churn Model (EU)"
    assert ("Python package name", "churn_model_eu") in prompter.asked
    assert not any(m.startswith(("Display name", "Project slug")) for m, _ in prompter.asked)


@pytest.mark.parametrize(
    ("owner", "valid"),
    [
        ("@alice", True),
        ("@acme/risk-ml", True),
        ("risk@acme.example", True),
        ("risk-ml team", False),
        ("@", False),
        ("@acme/", False),
        ("risk@acme", False),
    ],
)
def test_codeowner_forms(owner: str, valid: bool) -> None:
    from mlops_factory._scaffold._answers import is_codeowner

    assert is_codeowner(owner) is valid
