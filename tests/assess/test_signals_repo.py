"""Repository signals: version control, releases, notebooks, pinning, data versioning."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlops_factory._assess.model import Evidence
from mlops_factory._assess.signals import repo
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.assess.test_signals_code import Case, case_id, check, notebook, run
from tests.helpers import build_tree, git_init


def test_git_repo_with_history(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a.py": ""})
    git_init(tmp_path)
    res = repo.git_repo(RepoSnapshot.open(tmp_path))
    assert res.found
    (ev,) = res.evidence
    assert (ev.path, ev.line) == (".git", None)
    assert ev.snippet.startswith("HEAD ") and ev.snippet.endswith(" on main")
    assert ev.note.startswith("1 commits, last change ")


def test_git_repo_needs_a_commit(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    res = repo.git_repo(RepoSnapshot.open(tmp_path))
    assert (res.found, res.evidence) == (
        False,
        (Evidence(".git", None, "", "a git repository without commits"),),
    )


def test_plain_folder_is_no_git_repo(tmp_path: Path) -> None:
    build_tree(tmp_path, {"README.md": "We use git.\n"})
    res = repo.git_repo(RepoSnapshot.open(tmp_path))
    assert (res.found, res.evidence) == (False, ())


def test_release_versioning_from_tags(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a.py": ""})
    git_init(tmp_path, tag="v1.2.0")
    res = repo.release_versioning(RepoSnapshot.open(tmp_path))
    assert res.found and not res.weak
    assert res.evidence == (Evidence(".git", None, "v1.2.0", "1 version tags"),)


PYPROJECT = '[project]\nname = "churn"\nversion = "1.4.0"\n'
CHANGELOG = "# Changelog\n\n## 1.4.0\n- faster\n"


@pytest.mark.parametrize(
    ("tree", "tag", "expected"),
    [
        (
            {"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG},
            None,
            [
                ("pyproject.toml", 3, "package version 1.4.0", False),
                ("CHANGELOG.md", 3, "a changelog with version entries", False),
            ],
        ),
        (
            {"CHANGELOG.md": CHANGELOG},
            None,
            [("CHANGELOG.md", 3, "a changelog, but no version tags or package version", True)],
        ),
        ({"pyproject.toml": PYPROJECT}, "nightly", []),
        (
            {
                "README.md": "Releases follow semantic versioning (v1.0.0).\n",
                "CHANGELOG.md": "TBD\n",
            },
            None,
            [],
        ),
    ],
    ids=["version-and-changelog", "changelog-only-is-weak", "no-changelog-odd-tag", "claims"],
)
def test_release_versioning(
    tmp_path: Path,
    tree: dict[str, str],
    tag: str | None,
    expected: list[tuple[str, int, str, bool]],
) -> None:
    build_tree(tmp_path, tree)
    git_init(tmp_path, tag=tag)
    res = repo.release_versioning(RepoSnapshot.open(tmp_path))
    assert [(e.path, e.line, e.note, e.weak) for e in res.evidence] == expected
    assert res.found is bool(expected)


CASES = [
    Case(
        "notebooks",
        "present",
        {"notebooks/a.ipynb": notebook("x = 1\n"), "notebooks/b.ipynb": notebook("y = 2\n")},
        True,
        ("notebooks/a.ipynb", None),
        "notebook; 2 notebooks in total",
    ),
    Case("notebooks", "absent", {"README.md": "See the notebooks folder.\n"}, False),
    Case(
        "dependency_pinning",
        "poetry-lock",
        {"pyproject.toml": "[tool.poetry]\n", "poetry.lock": "# lock\n"},
        True,
        ("poetry.lock", None),
        "Poetry lock file",
    ),
    Case(
        "dependency_pinning",
        "requirements-all-pinned",
        {
            "requirements.txt": "# pinned\n-r base.txt\npandas==2.2.2  # data\n"
            "scikit-learn[alldeps]==1.5.0 ; python_version >= '3.10'\n"
            "numpy \\\n    --hash=sha256:abc\n",
        },
        True,
        ("requirements.txt", 3),
        "all 3 requirements pinned with == or hashes",
    ),
    Case(
        "dependency_pinning",
        "conda-environment-pinned",
        {
            "environment.yml": "name: x\ndependencies:\n  - python=3.11.7\n  - numpy==1.26.4\n"
            "  - pip:\n    - mlflow==2.14.1\n"
        },
        True,
        ("environment.yml", 2),
        "conda environment: all 3 dependencies pinned",
    ),
    Case(
        "dependency_pinning",
        "loose-requirements-reported-not-found",
        {
            "requirements.txt": "pandas==2.2.2\nscikit-learn>=1.4\nmlflow\n",
            "README.md": "Pin your dependencies!\n",
        },
        False,
        ("requirements.txt", 2),
        "only 1 of 3 requirements pinned",
    ),
    Case(
        "dependency_pinning", "nothing", {"README.md": "pip install -r requirements.txt\n"}, False
    ),
    Case(
        "data_versioning",
        "dvc",
        {".dvc/config": "[core]\n", "data/train.csv.dvc": "outs:\n- md5: abc\n  path: train.csv\n"},
        True,
        (".dvc/config", None),
        "DVC is initialised",
    ),
    Case(
        "data_versioning",
        "dvc-pointer-file",
        {"data/train.csv.dvc": "outs:\n- md5: abc\n  path: train.csv\n"},
        True,
        ("data/train.csv.dvc", 1),
        "DVC-tracked data",
    ),
    Case(
        "data_versioning",
        "git-lfs",
        {".gitattributes": "*.py text\n*.parquet filter=lfs diff=lfs merge=lfs -text\n"},
        True,
        (".gitattributes", 2),
        "git-lfs tracks large files",
    ),
    Case(
        "data_versioning",
        "azureml-data-asset",
        {
            "aml/data.yml": "$schema: https://azuremlschemas.azureedge.net/latest/data.schema.json\n"
            "name: churn\nversion: 3\ntype: uri_file\npath: ./data/churn.csv\n"
        },
        True,
        ("aml/data.yml", 3),
        "Azure ML data asset, version 3",
    ),
    Case(
        "data_versioning",
        "claims-and-commented-lfs",
        {
            "README.md": "Data is versioned with DVC and git-lfs.\n",
            ".gitattributes": "# *.csv filter=lfs diff=lfs merge=lfs -text\n",
            ".dvcignore": "*.tmp\n",
        },
        False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_repo_signal(tmp_path: Path, case: Case) -> None:
    check(run(tmp_path, case.tree, getattr(repo, case.signal)), case)


def test_invalid_pyproject_is_recorded(tmp_path: Path) -> None:
    build_tree(tmp_path, {"pyproject.toml": "[project\n", "CHANGELOG.md": CHANGELOG})
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    res = repo.release_versioning(snap)
    assert res.weak
    assert [u.path for u in snap.unreadable] == ["pyproject.toml"]
    assert snap.unreadable[0].reason.startswith("invalid TOML: ")
