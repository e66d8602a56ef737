"""The repo snapshot: file index, bounded reads, refusals recorded once, YAML loading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_factory._assess.model import Unreadable
from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._errors import FactoryError
from tests.helpers import build_tree


def paths(snap: RepoSnapshot) -> list[str]:
    return [f.path for f in snap.files]


def test_index_lists_regular_files_and_skips_tool_folders(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "src/pkg/a.py": "x = 1\n",
            "src/pkg/__pycache__/a.cpython-311.pyc": b"\x00",
            "node_modules/lib/index.js": "",
            ".venv/lib/x.py": "",
            "pkg.egg-info/PKG-INFO": "",
            ".dvc/config": "[core]\n",
            ".dvc/cache/ab/cdef": "data",
            "myenv/pyvenv.cfg": "home = /usr\n",
            "myenv/lib/site.py": "",
            "condaenv/conda-meta/history": "",
            "README.md": "# x\n",
        },
    )
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert paths(snap) == ["README.md", ".dvc/config", "src/pkg/a.py"]
    assert snap.unreadable == []


def test_index_queries(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "b.py": "",
            "a/Dockerfile": "",
            "a/x.YAML": "",
            "a/b/c.yml": "",
            "ab/c.yml": "",
        },
    )
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert paths(snap) == ["b.py", "a/Dockerfile", "a/x.YAML", "a/b/c.yml", "ab/c.yml"]
    assert [f.path for f in snap.by_suffix(".yml", ".yaml")] == [
        "a/x.YAML",
        "a/b/c.yml",
        "ab/c.yml",
    ]
    assert [f.path for f in snap.by_name("c.yml", "b.py")] == ["b.py", "a/b/c.yml", "ab/c.yml"]
    assert [f.path for f in snap.under("a")] == ["a/Dockerfile", "a/x.YAML", "a/b/c.yml"]
    assert [f.path for f in snap.glob("*.yml")] == ["a/b/c.yml", "ab/c.yml"]
    assert [f.path for f in snap.glob("a/?/c.yml", "[!a]*.py")] == ["b.py", "a/b/c.yml"]
    assert [f.path for f in snap.match(r"[^\n]*/c\.yml")] == ["a/b/c.yml", "ab/c.yml"]
    assert [f.path for f in snap.paths_with("/c.", "dockerFILE", ignore_case=True)] == [
        "a/Dockerfile",
        "a/b/c.yml",
        "ab/c.yml",
    ]
    assert [f.path for f in snap.paths_with("dockerFILE")] == []
    assert [f.path for f in snap.root_files()] == ["b.py"]
    entry = snap.files[2]
    assert (entry.name, entry.suffix, entry.parts) == ("x.YAML", ".yaml", ("a", "x.YAML"))
    assert snap.exists("a/Dockerfile") and not snap.exists("a")


def test_missing_or_file_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match="does not exist"):
        RepoSnapshot.open(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(FactoryError, match="is not a folder"):
        RepoSnapshot.open(tmp_path / "f.txt")


def test_file_limit_is_reported(tmp_path: Path) -> None:
    build_tree(tmp_path, {f"f{i}.txt": "" for i in range(5)})
    snap = RepoSnapshot.open(tmp_path, with_git=False, max_files=3)
    assert paths(snap) == ["f0.txt", "f1.txt", "f2.txt"]
    assert snap.unreadable == [Unreadable(".", "file limit reached (3); the rest was not indexed")]


def test_symlinks_inside_are_indexed_outside_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    build_tree(outside, {"secret.txt": "SECRET", "dir/x.py": "SECRET"})
    repo = tmp_path / "repo"
    build_tree(repo, {"real.py": "x = 1\n", "sub/y.py": ""})
    (repo / "inside.py").symlink_to("real.py")
    (repo / "leak.txt").symlink_to(outside / "secret.txt")
    (repo / "leakdir").symlink_to(outside / "dir")
    (repo / "subdir").symlink_to("sub")
    (repo / "broken.py").symlink_to("missing.py")
    (repo / "loop.py").symlink_to("loop.py")
    (repo / "gitconfig").symlink_to(".git/config")
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text("[core]\n")
    snap = RepoSnapshot.open(repo, with_git=False)
    assert paths(snap) == ["inside.py", "real.py", "sub/y.py"]
    assert snap.read_text("inside.py") == "x = 1\n"
    assert sorted(snap.unreadable, key=lambda u: u.path) == [
        Unreadable("broken.py", "broken or looping symlink"),
        Unreadable("gitconfig", "symlink points outside the repository"),
        Unreadable("leak.txt", "symlink points outside the repository"),
        Unreadable("leakdir", "symlink points outside the repository"),
        Unreadable("loop.py", "broken or looping symlink"),
        Unreadable("subdir", "symlinked folder not followed"),
    ]


def test_special_files_and_odd_names_are_never_indexed(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "new\nline.py").write_text("")
    (tmp_path / "ok.py").write_text("")
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert paths(snap) == ["ok.py"]
    assert snap.unreadable == [Unreadable("new\\nline.py", "file name contains a line break")]


def test_reads_are_bounded_and_refusals_recorded_once(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "big.txt": "x" * 101,
            "bin.dat": b"abc\x00def",
            "ok.txt": "fine",
        },
    )
    snap = RepoSnapshot.open(tmp_path, with_git=False, max_file_bytes=100)
    assert snap.read_text("big.txt") is None
    assert snap.read_text("big.txt") is None
    assert snap.read_text("bin.dat") is None
    assert snap.read_text("ok.txt") == "fine"
    assert snap.read_text("big.txt", max_bytes=200) is None  # cached refusal
    assert snap.unreadable == [
        Unreadable("big.txt", "larger than the read cap (100 bytes)"),
        Unreadable("bin.dat", "binary file"),
    ]


def test_a_larger_cap_can_be_asked_for(tmp_path: Path) -> None:
    build_tree(tmp_path, {"nb.ipynb": "x" * 150})
    snap = RepoSnapshot.open(tmp_path, with_git=False, max_file_bytes=100)
    assert snap.read_text("nb.ipynb", max_bytes=200) == "x" * 150


def test_only_indexed_paths_can_be_read(tmp_path: Path) -> None:
    build_tree(tmp_path, {"repo/a.txt": "a", "secret.txt": "SECRET", "repo/.git/config": "c"})
    snap = RepoSnapshot.open(tmp_path / "repo", with_git=False)
    assert snap.read_text("../secret.txt") is None
    assert snap.read_text(".git/config") is None
    assert snap.read_text("missing.txt") is None
    assert snap.unreadable == []


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"caf\xe9 = 1\n", "caf\ufffd = 1\n"),
        (b"\xef\xbb\xbfkey: value\n", "key: value\n"),
        ("key: v\u00e9\n".encode("utf-16"), "key: v\u00e9\n"),
        ("k: v\n".encode("utf-32"), "k: v\n"),
    ],
    ids=["latin1", "utf8-bom", "utf16-bom", "utf32-bom"],
)
def test_any_encoding_is_tolerated(tmp_path: Path, data: bytes, text: str) -> None:
    build_tree(tmp_path, {"f.txt": data})
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert snap.read_text("f.txt") == text
    assert snap.unreadable == []


def test_record_unreadable_keeps_the_first_reason_per_path(tmp_path: Path) -> None:
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    snap.record_unreadable("a.yml", "invalid YAML: x")
    snap.record_unreadable("a.yml", "invalid YAML: y")
    assert snap.unreadable == [Unreadable("a.yml", "invalid YAML: x")]


def test_yaml_parses_once_and_records_invalid_files(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "ok.yml": "a: 1\n---\nb: [1, 2]\n",
            "bad.yml": "jobs: [unclosed\n",
            "cfn.yaml": "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Name: !Ref X\n",
            "obj.yaml": "x: !!python/object/apply:os.system ['touch pwned']\n",
        },
    )
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert snap.yaml("ok.yml") == [{"a": 1}, {"b": [1, 2]}]
    assert snap.yaml("ok.yml") is snap.yaml("ok.yml")
    assert snap.yaml("bad.yml") is None
    assert snap.yaml("bad.yml") is None
    assert snap.yaml("cfn.yaml") == [{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Name": "X"}}}]
    assert snap.yaml("obj.yaml") == [{"x": ["touch pwned"]}]
    assert not (tmp_path / "pwned").exists()
    assert len(snap.unreadable) == 1
    assert snap.unreadable[0].path == "bad.yml"
    assert snap.unreadable[0].reason.startswith("invalid YAML: ")


def test_git_facts_only_for_git_checkouts(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a.py": ""})
    assert RepoSnapshot.open(tmp_path).git is None
