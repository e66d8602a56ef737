"""_project: recorded components, rendering (current and older versions), merging, writing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_factory._errors import FactoryError
from mlops_factory._scaffold import load_catalog, new_project
from mlops_factory._scaffold._project import (
    FileChange,
    read_recorded,
    rendered,
    three_way_merge,
    two_way_markers,
    version_of_tag,
    write_changes,
)
from tests.gaps import NOTES_V1, publish, templates_v1


def test_read_recorded_lists_components_with_version_answers_and_catalog(
    tmp_path: Path, cache: Path
) -> None:
    catalog = publish(tmp_path / "cat")
    project = tmp_path / "proj"
    new_project(project, catalog=catalog, defaults=True, data={"owner": "o"}, interactive=False)

    recorded = read_recorded(project)

    assert [(r.name, r.version, r.commit, r.answers_file) for r in recorded] == [
        ("app", "0.3.0", "v0.3.0", ".mlops-factory/app.yml"),
        ("base", "1.0.0", "v1.0.0", ".mlops-factory/base.yml"),
        ("ci-github", "1.2.0", "v1.2.0", ".mlops-factory/ci-github.yml"),
    ]
    base = recorded[1]
    assert base.answers["owner"] == "o" and base.answers["project_name"] == "proj"
    assert not any(k.startswith("_") for k in base.answers)
    assert base.src_path is not None and base.src_path.startswith(str(cache))
    assert base.catalog_key == "cat"  # the catalog's name, the same from any clone


def test_read_recorded_of_a_plain_folder_is_empty_and_a_bad_file_is_named(
    tmp_path: Path,
) -> None:
    assert read_recorded(tmp_path) == ()
    (tmp_path / ".mlops-factory").mkdir()
    (tmp_path / ".mlops-factory/base.yml").write_text("a: [unclosed\n")
    with pytest.raises(FactoryError, match=r"answers file \S+base\.yml: invalid YAML at line 2"):
        read_recorded(tmp_path)


def test_version_of_tag() -> None:
    assert version_of_tag("v1.2.3") == "1.2.3"
    assert version_of_tag("1.2.3") is None
    assert version_of_tag("main") is None
    assert version_of_tag(None) is None


def test_rendered_renders_current_and_cached_older_versions_then_cleans_up(
    tmp_path: Path,
) -> None:
    root = publish(tmp_path / "cat")
    v1 = load_catalog(root)
    data = {"project_name": "p", "package_name": "p", "owner": "o", "components": ["base"]}
    with rendered(v1, [v1.components["base"]], data) as out:
        assert (out.root / "notes.txt").read_text() == NOTES_V1
        assert out.files("base") == (
            ".mlops-factory/base.yml",
            "README.md",
            "notes.txt",
            "src/p/__init__.py",
        )
        assert [(v.component, v.version) for v in out.versions] == [("base", "1.0.0")]
        folder = out.root
    assert not folder.exists()

    templates = templates_v1()
    templates["base"]["notes.txt"] = "v2\n"
    v2 = load_catalog(publish(root, {"base": "2.0.0"}, templates))
    with rendered(v2, [v2.components["base"]], data, versions={"base": "1.0.0"}) as out:
        assert (out.root / "notes.txt").read_text() == NOTES_V1
    with rendered(v2, [v2.components["base"]], data) as out:
        assert (out.root / "notes.txt").read_text() == "v2\n"
    with (
        pytest.raises(FactoryError, match=r"version 0\.1\.0 is not available"),
        rendered(v2, [v2.components["base"]], data, versions={"base": "0.1.0"}),
    ):
        pass


def test_two_way_markers_group_nearby_differences() -> None:
    ours = b"a\nb\nc\nd\ne\nf\ng\nh\n"
    theirs = b"a\nB\nc\nD\ne\nf\ng\nH\n"
    assert two_way_markers(ours, theirs, "base 1.0.0") == (
        b"a\n<<<<<<< yours\nb\nc\nd\n=======\nB\nc\nD\n>>>>>>> base 1.0.0\n"
        b"e\nf\ng\n<<<<<<< yours\nh\n=======\nH\n>>>>>>> base 1.0.0\n"
    )
    assert two_way_markers(b"no newline", b"other", "x") == (
        b"<<<<<<< yours\nno newline\n=======\nother\n>>>>>>> x\n"
    )
    assert two_way_markers(b"\x00bin", b"text", "x") is None


def test_three_way_merge_clean_and_conflicting() -> None:
    base = b"1\n2\n3\n4\n5\n6\n7\n"
    clean = three_way_merge(
        b"1 ours\n2\n3\n4\n5\n6\n7\n", base, b"1\n2\n3\n4\n5\n6\n7 theirs\n", labels=("y", "b", "t")
    )
    assert clean == (b"1 ours\n2\n3\n4\n5\n6\n7 theirs\n", True)
    conflict = three_way_merge(
        b"1\n2 ours\n3\n", b"1\n2\n3\n", b"1\n2 theirs\n3\n", labels=("y", "b", "t")
    )
    assert conflict == (b"1\n<<<<<<< y\n2 ours\n=======\n2 theirs\n>>>>>>> t\n3\n", False)
    assert three_way_merge(b"\xff\xfe", base, base, labels=("y", "b", "t")) is None


def test_write_changes_creates_folders_keeps_modes_and_refuses_stale_plans(
    tmp_path: Path,
) -> None:
    (tmp_path / "keep.sh").write_text("old\n")
    os.chmod(tmp_path / "keep.sh", 0o755)
    changes = [
        FileChange("a/b/new.txt", "c", "create", None, b"new\n", b"new\n"),
        FileChange("run.sh", "c", "create", None, b"#!/bin/sh\n", b"#!/bin/sh\n", True),
        FileChange("keep.sh", "c", "update", b"old\n", b"newer\n", b"newer\n"),
        FileChange("skip.txt", "c", "conflict", b"x", b"marked", b"y"),
    ]
    (tmp_path / "skip.txt").write_bytes(b"x")
    assert write_changes(tmp_path, changes, inline=False) == ("a/b/new.txt", "run.sh", "keep.sh")
    assert (tmp_path / "a/b/new.txt").read_bytes() == b"new\n"
    assert os.stat(tmp_path / "run.sh").st_mode & 0o100
    assert (tmp_path / "keep.sh").read_text() == "newer\n"
    assert os.stat(tmp_path / "keep.sh").st_mode & 0o777 == 0o755
    assert (tmp_path / "skip.txt").read_bytes() == b"x"
    stale = [FileChange("keep.sh", "c", "update", b"old\n", b"again\n", b"again\n")]
    with pytest.raises(FactoryError, match=r"changed since the changes were computed: keep\.sh"):
        write_changes(tmp_path, stale, inline=True)
    assert (tmp_path / "keep.sh").read_text() == "newer\n"


def test_write_changes_undoes_everything_when_a_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.txt").write_text("mine\n")
    changes = [
        FileChange("mine.txt", "c", "update", b"mine\n", b"changed\n", b"changed\n"),
        FileChange("new/one.txt", "c", "create", None, b"1\n", b"1\n"),
        FileChange("new/two.txt", "c", "create", None, b"2\n", b"2\n"),
    ]
    real = os.replace
    calls: list[str] = []

    def flaky(src: str, dst: str) -> None:
        calls.append(str(dst))
        if str(dst).endswith("two.txt"):
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(KeyboardInterrupt):
        write_changes(tmp_path, changes, inline=False)
    monkeypatch.setattr(os, "replace", real)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["mine.txt"]
    assert (tmp_path / "mine.txt").read_text() == "mine\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_where_a_template_file_goes_is_blocked_never_read(tmp_path: Path) -> None:
    from mlops_factory._scaffold._project import blocked_path

    os.mkfifo(tmp_path / "Makefile")  # reading "ours" from it would block forever
    assert blocked_path(tmp_path, "Makefile") == "it is not a regular file"
    (tmp_path / "README.md").write_text("x")
    assert blocked_path(tmp_path, "README.md") is None
