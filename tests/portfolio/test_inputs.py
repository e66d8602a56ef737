"""Which inputs stand for which repos: folders, folders of repos, list files, JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._errors import FactoryError
from mlops_factory._portfolio.inputs import Target, classify_folder, discover
from tests.helpers import build_tree, git_init


def _git(root: Path) -> Path:
    build_tree(root, {"x.txt": "x"})
    return git_init(root)


def names(targets: list[Target]) -> list[tuple[str, str]]:
    return [(t.kind, Path(t.path).name) for t in targets]


def test_a_git_checkout_is_one_repo_even_with_repos_inside(tmp_path: Path) -> None:
    repo = _git(tmp_path / "mono")
    _git(repo / "vendored")
    assert classify_folder(str(repo)) == [str(repo)]


def test_a_folder_with_git_subfolders_is_a_folder_of_repos(tmp_path: Path) -> None:
    root = tmp_path / "org"
    _git(root / "b-git")
    _git(root / "a-git")
    build_tree(root, {"README.md": "# our repos\n"})  # a stray marker does not make it a repo
    build_tree(root / "plain-project", {"pyproject.toml": "[project]\n"})
    build_tree(root / "docs-only", {"notes/x.md": "x"})  # no marker: not a repo
    build_tree(root / ".hidden", {"setup.py": ""})
    build_tree(root / "node_modules", {"index.py": ""})
    assert classify_folder(str(root)) == [
        str(root / n) for n in ("a-git", "b-git", "plain-project")
    ]


def test_a_project_folder_without_git_is_one_repo(tmp_path: Path) -> None:
    root = build_tree(tmp_path / "proj", {"train.py": "", "src/app/main.py": ""})
    assert classify_folder(str(root)) == [str(root)]


@pytest.mark.parametrize(
    "marker",
    [
        "pyproject.toml",
        "requirements-dev.txt",
        "README.rst",
        "Readme",
        "analysis.ipynb",
        "Dockerfile",
        "dvc.yaml",
        ".github/workflows/ci.yml",
    ],
)
def test_project_markers(tmp_path: Path, marker: str) -> None:
    root = tmp_path / "group"
    build_tree(root / "one", {marker: "x"})
    build_tree(root / "two", {"data/table.csv": "a\n"})
    assert classify_folder(str(root)) == [str(root / "one")]


def test_a_folder_with_nothing_recognisable_is_assessed_as_it_is(tmp_path: Path) -> None:
    root = build_tree(tmp_path / "stuff", {"a/b.csv": "1\n", "c.txt": "x"})
    assert classify_folder(str(root)) == [str(root)]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert classify_folder(str(empty)) == [str(empty)]


def test_list_files_resolve_relative_to_themselves(tmp_path: Path) -> None:
    _git(tmp_path / "repos" / "churn")
    _git(tmp_path / "repos" / "fraud")
    build_tree(tmp_path / "results", {"vision.json": "{}"})
    listing = tmp_path / "lists" / "fleet.txt"
    build_tree(
        tmp_path / "lists",
        {
            "fleet.txt": f"""
            # our fleet
            ../repos/churn
              ../repos/fraud    # inline comment

            {tmp_path / "results" / "vision.json"}
            """
        },
    )
    targets = discover([listing])
    assert names(targets) == [("repo", "churn"), ("repo", "fraud"), ("json", "vision.json")]
    assert [t.input for t in targets] == [
        "../repos/churn",
        "../repos/fraud",
        str(tmp_path / "results" / "vision.json"),
    ]
    assert all(t.error is None for t in targets)


def test_a_list_file_cannot_include_another(tmp_path: Path) -> None:
    build_tree(tmp_path, {"outer.txt": "inner.txt\nrepo\n", "inner.txt": "repo\n"})
    _git(tmp_path / "repo")
    targets = discover([tmp_path / "outer.txt"])
    assert names(targets) == [("repo", "inner.txt"), ("repo", "repo")]
    assert targets[0].error == (
        f"inner.txt (in {tmp_path / 'outer.txt'}) is a file, not a repository folder "
        "or an assessment .json"
    )
    assert targets[0].hint == "list files cannot include other list files"


def test_a_file_that_is_no_list_is_one_failure_not_one_per_line(tmp_path: Path) -> None:
    notes = build_tree(tmp_path, {"notes.md": "# Notes\nsome text\nmore text\n"}) / "notes.md"
    (target,) = discover([notes])
    assert target.error == f"{notes}: none of its 2 entries exists, so it is not a list of paths"


def test_binary_files_are_not_lists(tmp_path: Path) -> None:
    blob = tmp_path / "model.pkl"
    blob.write_bytes(b"\x80\x04\x95\xff\xfe")
    (target,) = discover([blob])
    assert target.error is not None and "is not a text file" in target.error


def test_missing_paths_are_targets_with_an_error(tmp_path: Path) -> None:
    (repo,) = discover([tmp_path / "nope"])
    (result,) = discover([tmp_path / "nope.json"])
    assert (repo.kind, repo.error, repo.hint) == (
        "repo",
        f"{tmp_path / 'nope'} does not exist",
        "check the path",
    )
    assert (result.kind, result.error) == ("json", f"{tmp_path / 'nope.json'} does not exist")


def test_duplicates_are_dropped_and_order_kept(tmp_path: Path) -> None:
    a = _git(tmp_path / "org" / "a")
    b = _git(tmp_path / "org" / "b")
    link = tmp_path / "alias"
    link.symlink_to(b)
    targets = discover([b, tmp_path / "org", link, str(a) + "/"])
    assert [t.path for t in targets] == [str(b), str(a)]


def test_no_inputs_is_a_user_error() -> None:
    with pytest.raises(FactoryError, match="no repositories given"):
        discover([])
