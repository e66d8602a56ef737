"""add_component / `mlops-factory add`: one component into an existing repo (proof (c))."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from mlops_factory._cli import main
from mlops_factory._errors import FactoryError
from mlops_factory._scaffold import load_catalog, new_project
from mlops_factory._scaffold._add import add_component, derive_answers, resolve_project_answers
from tests.gaps import answers_of, publish, tree_bytes
from tests.helpers import build_tree

PYPROJECT = """\
[project]
name = "churn-model"
description = "Churn scoring"
requires-python = ">=3.12"
authors = [{ name = "Risk ML" }]
"""


def _repo(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    return build_tree(
        tmp_path / "repo",
        {"pyproject.toml": PYPROJECT, "src/churn/__init__.py": "x = 1\n", **(extra or {})},
    )


def test_answers_are_derived_from_the_repository(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".gitlab-ci.yml": "stages: []\n", "infra/main.bicep": "x\n"})
    assert derive_answers(repo) == {
        "project_name": "churn-model",
        "description": "Churn scoring",
        "package_name": "churn",
        "python_version": "3.12",
        "owner": "Risk ML",
        "ci": "gitlab",
        "iac": "bicep",
    }
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/ci.yml").write_text("on: push\n")
    (repo / "dvc.yaml").write_text("stages: {}\n")
    derived = derive_answers(repo)
    assert (derived["ci"], derived["data_versioning"]) == ("github", "dvc")


def test_a_group_follows_the_repositorys_ci_provider(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    repo = _repo(tmp_path, {".gitlab-ci.yml": "stages: [test]\n"})

    result = add_component("ci", repo, catalog=catalog, interactive=False)

    assert [c.name for c in result.components] == ["ci-gitlab"]
    assert result.clean
    assert [(c.path, c.kind) for c in result.changes] == [
        (".gitlab-ci.yml", "unchanged"),
        (".mlops-factory/ci-gitlab.yml", "create"),
    ]
    recorded = answers_of(repo, "ci-gitlab")
    assert recorded["_commit"] == "v2.0.1"
    assert (recorded["project_name"], recorded["package_name"], recorded["owner"]) == (
        "churn-model",
        "churn",
        "Risk ML",
    )
    assert result.sources["project_name"] == "repo"
    assert any("requires base" in n for n in result.notes)


def test_data_overrides_what_the_repository_says(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    repo = _repo(tmp_path, {".gitlab-ci.yml": "stages: [test]\n"})
    result = add_component("ci", repo, catalog=catalog, interactive=False, data={"ci": "github"})
    assert [c.name for c in result.components] == ["ci-github"]
    assert (repo / ".github/workflows/ci.yml").read_text() == "name: ci\n"


def test_a_conflicting_file_stays_byte_identical_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = publish(tmp_path / "cat")
    mine = b"# my own readme\r\nwith CRLF and \xc3\xa9\n"
    repo = _repo(tmp_path, {"README.md": ""})
    (repo / "README.md").write_bytes(mine)
    before = tree_bytes(repo)

    code = main(["add", "base", str(repo), "--catalog", str(catalog), "--defaults"])

    assert code == 1
    assert (repo / "README.md").read_bytes() == mine
    assert tree_bytes(repo) == before  # all or nothing: not even the new files
    out = capsys.readouterr().out
    assert "README.md" in out and "Nothing was written." in out
    assert "--conflict inline" in out


def test_conflict_inline_writes_markers_and_the_rest(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    repo = _repo(tmp_path, {"README.md": "# mine\nsecond line\n"})

    result = add_component(
        "base", repo, catalog=catalog, interactive=False, defaults=True, conflict="inline"
    )

    assert [c.path for c in result.conflicts] == ["README.md", "src/churn/__init__.py"]
    assert (repo / "README.md").read_text() == (
        "<<<<<<< yours\n# mine\nsecond line\n=======\n# churn-model\nChurn scoring\n"
        "components: base\n>>>>>>> base 1.0.0\n"
    )
    assert (repo / "notes.txt").is_file()
    assert answers_of(repo, "base")["_commit"] == "v1.0.0"
    assert sorted(result.written) == [
        ".mlops-factory/base.yml",
        "README.md",
        "notes.txt",
        "src/churn/__init__.py",
    ]


def test_dry_run_shows_the_full_diff_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = publish(tmp_path / "cat")
    repo = _repo(tmp_path, {"README.md": "# mine\n"})
    before = tree_bytes(repo)

    code = main(
        ["add", "base", str(repo), "--catalog", str(catalog), "--defaults", "--dry-run", "--diff"]
    )

    assert code == 1  # a real run would stop on the conflict
    assert tree_bytes(repo) == before
    out = capsys.readouterr().out
    assert "--- a/README.md\n+++ b/README.md\n" in out
    assert "-# mine\n+# churn-model\n" in out
    assert "--- /dev/null\n+++ b/notes.txt\n" in out
    assert "+line 10\n" in out
    assert "nothing would be written" in out


def test_clean_dry_run_exits_0(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    repo = _repo(tmp_path)
    assert (
        main(["add", "app", str(repo), "--catalog", str(catalog), "--defaults", "--dry-run"]) == 0
    )
    assert not (repo / "app.txt").exists()
    assert main(["add", "app", str(repo), "--catalog", str(catalog), "--defaults"]) == 0
    assert (repo / "app.txt").read_text() == "app of Risk ML (web)\n"


def test_adding_to_a_generated_project_uses_its_recorded_answers(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    project = tmp_path / "proj"
    new_project(
        project,
        catalog=catalog,
        pattern="bare",
        defaults=True,
        data={"owner": "fraud-team", "project_name": "fraud"},
        interactive=False,
    )
    result = add_component("app", project, catalog=catalog, interactive=False)
    assert result.clean
    assert (project / "app.txt").read_text() == "app of fraud-team (bare)\n"
    assert result.sources["owner"] == "recorded"
    assert result.answers["components"] == ["base", "app"]


def test_an_applied_component_is_refused(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    project = tmp_path / "proj"
    new_project(project, catalog=catalog, defaults=True, data={"owner": "x"}, interactive=False)
    with pytest.raises(FactoryError, match="app is already applied") as info:
        add_component("app", project, catalog=catalog, interactive=False)
    assert info.value.hint is not None and "update" in info.value.hint


def test_unknown_component_and_missing_answers_are_user_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = publish(tmp_path / "cat")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["add", "nope", str(empty), "--catalog", str(catalog)]) == 2
    assert "unknown component 'nope'" in capsys.readouterr().err
    # base asks project_name and package_name only: owner is not its question.
    with pytest.raises(FactoryError, match=r"to ask\): project_name \(hint"):
        add_component("base", empty, catalog=catalog, interactive=False)
    with pytest.raises(FactoryError, match="does not exist"):
        add_component("base", tmp_path / "missing", catalog=catalog, interactive=False)


def test_a_group_answered_none_is_refused(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    repo = _repo(tmp_path)
    with pytest.raises(FactoryError, match="ci needs a choice"):
        add_component("ci", repo, catalog=catalog, interactive=False, data={"ci": "none"})


def test_a_path_through_a_symlink_or_a_folder_in_place_is_a_conflict(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = _repo(tmp_path)
    (repo / "notes.txt").mkdir()
    (repo / "src/churn/__init__.py").unlink()
    (repo / "src/churn").rmdir()
    (repo / "src/churn").symlink_to(outside)

    result = add_component(
        "base",
        repo,
        catalog=catalog,
        interactive=False,
        data={"package_name": "churn"},
        conflict="inline",
    )

    notes = {c.path: c.note for c in result.conflicts}
    assert notes == {
        "notes.txt": "a folder is in its place",
        "src/churn/__init__.py": "src/churn is a symbolic link",
    }
    assert list(outside.iterdir()) == []
    assert (repo / "notes.txt").is_dir()


def test_binary_conflicts_cannot_be_inlined_and_keep_yours(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    repo = _repo(tmp_path)
    (repo / "notes.txt").write_bytes(b"\x00\x01binary")
    result = add_component(
        "base", repo, catalog=catalog, interactive=False, defaults=True, conflict="inline"
    )
    (conflict,) = [c for c in result.conflicts if c.path == "notes.txt"]
    assert conflict.after is None and "not a text file" in conflict.note
    assert (repo / "notes.txt").read_bytes() == b"\x00\x01binary"
    assert "notes.txt" not in result.written


class _Recorder:
    """A terminal stand-in that records the questions and accepts each suggestion."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def text(self, message: str, default: str, validate: Any) -> str:
        self.asked.append(message)
        return default

    def select(self, message: str, choices: Sequence[str], default: str) -> str:
        self.asked.append(message)
        return default

    def checkbox(
        self, message: str, choices: Sequence[str], default: Sequence[str], validate: Any
    ) -> list[str]:
        self.asked.append(message)
        return list(default)


def test_only_the_components_unknown_questions_are_asked(tmp_path: Path) -> None:
    catalog = load_catalog(publish(tmp_path / "cat"))
    repo = _repo(tmp_path)
    prompter = _Recorder()
    answers, sources, _ = resolve_project_answers(
        catalog,
        repo,
        given={},
        recorded=(),
        needed=["ci", "project_name", "package_name"],
        prompter=prompter,
    )
    # project_name and package_name come from the repository; ci is the only unknown one.
    assert prompter.asked == ["CI provider"]
    assert (answers["project_name"], sources["project_name"]) == ("churn-model", "repo")
    assert (answers["ci"], sources["ci"]) == ("github", "asked")
    assert sources["environments"] == "default"


def test_adding_a_group_member_by_name_sets_the_group_answer(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    project = tmp_path / "proj"
    new_project(project, catalog=catalog, defaults=True, data={"owner": "x"}, interactive=False)
    assert answers_of(project, "base")["ci"] == "github"
    add_component("ci-gitlab", project, catalog=catalog, interactive=False)
    assert answers_of(project, "ci-gitlab")["ci"] == "gitlab"
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(FactoryError, match="but ci='github' was given"):
        add_component("ci-gitlab", other, catalog=catalog, interactive=False, data={"ci": "github"})
    assert list(other.iterdir()) == []
