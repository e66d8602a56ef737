"""The assessment tells scaffolding from integration; unresolved conflict markers are found."""

from __future__ import annotations

from pathlib import Path

from mlops_factory._assess._scaffolded import module_names, scaffolded_paths
from mlops_factory._assess.signals.hygiene import conflict_blocks, conflict_markers
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._fix import fix
from mlops_factory._scaffold._add import add_component
from tests.gaps.test_binding import FLASK_REPO, NOTEBOOK_REPO
from tests.helpers import build_tree, git_init


def _snap(repo: Path) -> RepoSnapshot:
    return RepoSnapshot.open(repo, with_git=False)


def _fixed(tmp_path: Path, tree: dict[str, object]) -> Path:
    repo = git_init(build_tree(tmp_path / "repo", tree))
    fix(repo, target=3, defaults=True, interactive=False)
    return repo


def test_ci_that_runs_the_repos_training_through_the_adapter_integrates_both(
    tmp_path: Path,
) -> None:
    repo = _fixed(tmp_path, FLASK_REPO)
    # The workflow runs tracked_train.py, which imports and calls train.main.
    assert scaffolded_paths(_snap(repo)) == frozenset()


def test_an_adapter_nothing_calls_is_scaffolded_until_code_uses_it_or_it_is_edited(
    tmp_path: Path,
) -> None:
    repo = _fixed(tmp_path, NOTEBOOK_REPO)
    # The workflow runs the team's notebook: integrated. Nothing calls the adapter.
    assert scaffolded_paths(_snap(repo)) == frozenset({"tracked_training.py"})

    (repo / "score.py").write_text("from tracked_training import tracked_run\n")
    assert scaffolded_paths(_snap(repo)) == frozenset()

    (repo / "score.py").unlink()
    adapter = repo / "tracked_training.py"
    adapter.write_text(adapter.read_text() + "\n# ours now\n")
    assert scaffolded_paths(_snap(repo)) == frozenset()


def test_a_makefile_that_runs_a_scaffolded_module_integrates_it(tmp_path: Path) -> None:
    repo = _fixed(tmp_path, NOTEBOOK_REPO)
    (repo / "Makefile").write_text("track:\n\tpython tracked_training.py\n")
    assert scaffolded_paths(_snap(repo)) == frozenset()


def test_files_add_wrote_from_the_catalog_that_nothing_uses_are_scaffolded(
    tmp_path: Path,
) -> None:
    repo = git_init(build_tree(tmp_path / "repo", {"README.md": "# mine\n"}))
    result = add_component("docs", repo, defaults=True, interactive=False)
    written = {p for p in result.written if not p.startswith(".mlops-factory/")}
    assert written
    assert scaffolded_paths(_snap(repo)) == frozenset(written)


def test_files_no_tool_recorded_are_never_scaffolded(tmp_path: Path) -> None:
    repo = git_init(build_tree(tmp_path / "repo", FLASK_REPO))
    assert scaffolded_paths(_snap(repo)) == frozenset()


def test_module_names_of_a_file() -> None:
    assert module_names("src/pkg/a.py") == ("src.pkg.a", "pkg.a")
    assert module_names("pkg/__init__.py") == ("pkg",)
    assert module_names("docs/x.md") == ()
    assert module_names("my-scripts/a.py") == ()


def test_conflict_blocks_need_start_separator_and_end() -> None:
    text = "a\n<<<<<<< HEAD\nx = 1\n=======\nx = 2\n>>>>>>> feature\nb\n"
    assert conflict_blocks(text) == [2]
    heading = "Title\n=======\n\nText\n"
    assert conflict_blocks(heading) == []
    assert conflict_blocks("<<<<<<< HEAD\nonly a start\n") == []


def test_the_conflict_markers_signal_cites_each_file(tmp_path: Path) -> None:
    repo = build_tree(
        tmp_path / "repo",
        {
            "train.py": "<<<<<<< yours\nx = 1\n=======\nx = 2\n>>>>>>> component\n",
            "README.rst": "Title\n=======\n",
        },
    )
    found = conflict_markers(_snap(repo))
    assert found.found
    assert [(e.path, e.line) for e in found.evidence] == [("train.py", 1)]

    clean = build_tree(tmp_path / "clean", {"README.rst": "Title\n=======\n"})
    assert not conflict_markers(_snap(clean)).found


def test_ci_that_runs_the_teams_make_target_is_integrated(tmp_path: Path) -> None:
    tree = {
        "requirements.txt": "pandas\n",
        "Makefile": "test:\n\tpython -m unittest discover\n",
        "test_data.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    pass\n",
    }
    repo = git_init(build_tree(tmp_path / "repo", tree))
    add_component("ci", repo, data={"ci": "github"}, interactive=False)
    workflow = (repo / ".github/workflows/train-and-test.yml").read_text()
    assert "run: make test" in workflow
    assert ".github/workflows/train-and-test.yml" not in scaffolded_paths(_snap(repo))


def _recorded(repo: Path, files: dict[str, str]) -> None:
    """Write ``files`` and record them as add would, in an answers file."""
    import yaml

    from mlops_factory._assess._scaffolded import FILES_KEY, text_hash

    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    record = {"_commit": "v1.0.0", FILES_KEY: {p: text_hash(t) for p, t in files.items()}}
    (repo / ".mlops-factory").mkdir(exist_ok=True)
    (repo / ".mlops-factory/ci-gitlab.yml").write_text(yaml.safe_dump(record))


def test_a_bare_word_is_not_a_module_but_python_dash_m_is(tmp_path: Path) -> None:
    repo = build_tree(tmp_path / "repo", {"train.py": "print('fit')\n"})
    _recorded(repo, {".gitlab-ci.yml": "train:\n  script:\n    - make train\n"})
    assert scaffolded_paths(_snap(repo)) == frozenset({".gitlab-ci.yml"})

    _recorded(repo, {".gitlab-ci.yml": "train:\n  script:\n    - python -m train\n"})
    assert scaffolded_paths(_snap(repo)) == frozenset()
