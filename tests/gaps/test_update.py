"""update_project: the three-way update of recorded components (issue 5's proof (a))."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlops_factory._cli import main
from mlops_factory._errors import FactoryError
from mlops_factory._scaffold import new_project
from mlops_factory._scaffold._update import update_project
from tests.gaps import NOTES_V1, answers_of, commit_all, git, publish, templates_v1


def _generate(tmp_path: Path) -> tuple[Path, Path]:
    catalog = publish(tmp_path / "cat")
    project = tmp_path / "proj"
    new_project(
        project, catalog=catalog, defaults=True, data={"owner": "risk-ml"}, interactive=False
    )
    return catalog, project


def _edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _publish_base_v2(catalog: Path, notes: str, extra: dict[str, str] | None = None) -> None:
    templates = templates_v1()
    templates["base"]["notes.txt"] = notes
    templates["base"].update(extra or {})
    publish(catalog, {"base": "1.1.0"}, templates)


def test_local_edit_and_template_change_both_survive_and_new_file_arrives(
    tmp_path: Path,
) -> None:
    catalog, project = _generate(tmp_path)
    _edit(project, "notes.txt", "line 2\n", "line 2 edited here\n")
    commit_all(project, "local edit")
    _publish_base_v2(
        catalog, NOTES_V1.replace("line 9\n", "line 9 from v2\n"), {"added.txt": "new in v2\n"}
    )

    result = update_project(project, catalog=catalog)

    assert (project / "notes.txt").read_text() == NOTES_V1.replace(
        "line 2\n", "line 2 edited here\n"
    ).replace("line 9\n", "line 9 from v2\n")
    assert (project / "added.txt").read_text() == "new in v2\n"
    assert result.clean
    assert [(c.name, c.recorded, c.current, c.action) for c in result.components] == [
        ("base", "1.0.0", "1.1.0", "updated"),
        ("app", "0.3.0", "0.3.0", "current"),
        ("ci-github", "1.2.0", "1.2.0", "current"),
    ]
    assert sorted(result.written) == [
        ".mlops-factory/_catalog.yml",
        ".mlops-factory/base.yml",
        "added.txt",
        "notes.txt",
    ]
    assert answers_of(project, "base")["_commit"] == "v1.1.0"
    assert answers_of(project, "base")["owner"] == "risk-ml"
    # Nothing else moved and nothing is committed: the user reviews with git diff.
    assert git(project, "status", "--porcelain").splitlines() == [
        " M .mlops-factory/_catalog.yml",
        " M .mlops-factory/base.yml",
        " M notes.txt",
        "?? added.txt",
    ]


def test_overlapping_edits_get_inline_markers_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, project = _generate(tmp_path)
    _edit(project, "notes.txt", "line 5\n", "line 5 ours\n")
    commit_all(project, "local edit")
    _publish_base_v2(catalog, NOTES_V1.replace("line 5\n", "line 5 theirs\n"))

    code = main(["update", str(project), "--catalog", str(catalog)])

    assert code == 1
    assert (project / "notes.txt").read_text() == (
        "line 1\nline 2\nline 3\nline 4\n"
        "<<<<<<< yours\nline 5 ours\n=======\nline 5 theirs\n>>>>>>> base 1.1.0\n"
        "line 6\nline 7\nline 8\nline 9\nline 10\n"
    )
    out = capsys.readouterr().out
    assert "1 conflict(s)" in out and "notes.txt" in out
    assert answers_of(project, "base")["_commit"] == "v1.1.0"


def test_clean_update_via_cli_exits_0_and_second_run_is_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, project = _generate(tmp_path)
    _publish_base_v2(catalog, NOTES_V1 + "line 11\n")
    assert main(["update", str(project), "--catalog", str(catalog)]) == 0
    assert (project / "notes.txt").read_text() == NOTES_V1 + "line 11\n"
    commit_all(project, "update")
    capsys.readouterr()
    assert main(["update", str(project), "--catalog", str(catalog)]) == 0
    assert "Everything is current." in capsys.readouterr().out


def test_dry_run_prints_the_diff_writes_nothing_and_allows_a_dirty_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, project = _generate(tmp_path)
    (project / "scratch.txt").write_text("uncommitted\n")
    _publish_base_v2(catalog, NOTES_V1.replace("line 3\n", "line 3 v2\n"))
    before = (project / "notes.txt").read_bytes()

    code = main(["update", str(project), "--catalog", str(catalog), "--dry-run"])

    assert code == 0
    assert (project / "notes.txt").read_bytes() == before
    assert answers_of(project, "base")["_commit"] == "v1.0.0"
    out = capsys.readouterr().out
    assert "-line 3\n+line 3 v2\n" in out
    assert "-_commit: v1.0.0\n+_commit: v1.1.0\n" in out


def test_a_dirty_tree_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    catalog, project = _generate(tmp_path)
    _edit(project, "notes.txt", "line 1\n", "line 1 uncommitted\n")
    _publish_base_v2(catalog, NOTES_V1 + "more\n")
    with pytest.raises(FactoryError, match=r"uncommitted changes: notes\.txt") as info:
        update_project(project, catalog=catalog)
    assert info.value.hint is not None and "commit" in info.value.hint
    assert answers_of(project, "base")["_commit"] == "v1.0.0"


def test_the_projects_fsmonitor_and_filters_never_run(tmp_path: Path) -> None:
    catalog, project = _generate(tmp_path)
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\necho ran >> {marker}\ncat\n")
    script.chmod(0o755)
    with open(project / ".git" / "config", "a", encoding="utf-8") as fh:
        fh.write(f'[core]\n\tfsmonitor = {script}\n[filter "x"]\n\tclean = {script}\n')
    (project / ".gitattributes").write_text("* filter=x\n")
    commit_all(project, "attributes")
    assert marker.exists()  # control: plain git runs them
    marker.unlink()
    _publish_base_v2(catalog, NOTES_V1 + "more\n")
    update_project(project, catalog=catalog)
    assert not marker.exists()


def test_a_project_whose_git_config_includes_dev_zero_is_refused(tmp_path: Path) -> None:
    catalog, project = _generate(tmp_path)
    with open(project / ".git" / "config", "a", encoding="utf-8") as fh:
        fh.write("[include]\n\tpath = /dev/zero\n")
    _publish_base_v2(catalog, NOTES_V1 + "more\n")
    with pytest.raises(FactoryError, match="includes other files"):
        update_project(project, catalog=catalog)
    assert answers_of(project, "base")["_commit"] == "v1.0.0"


def test_a_folder_outside_git_is_refused(tmp_path: Path) -> None:
    catalog = publish(tmp_path / "cat")
    project = tmp_path / "proj"
    new_project(
        project, catalog=catalog, defaults=True, data={"owner": "x"}, interactive=False, git=False
    )
    with pytest.raises(FactoryError, match="not a git repository"):
        update_project(project, catalog=catalog)


def test_a_project_without_answers_files_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "plain"
    project.mkdir()
    (project / "README.md").write_text("hi\n")
    with pytest.raises(FactoryError, match="records no catalog components"):
        update_project(project, catalog=publish(tmp_path / "cat"))


def test_a_component_no_longer_in_the_catalog_is_skipped_and_the_rest_updated(
    tmp_path: Path,
) -> None:
    catalog, project = _generate(tmp_path)
    publish(catalog, {"base": "1.1.0"})
    shutil.copy(project / ".mlops-factory/app.yml", project / ".mlops-factory/retired.yml")
    commit_all(project, "a component the catalog dropped")

    result = update_project(project, catalog=catalog)

    by_name = {c.name: c for c in result.components}
    assert by_name["retired"].action == "skipped"
    assert "no such component" in by_name["retired"].note
    assert by_name["base"].action == "updated"


def test_a_component_from_another_catalog_is_refused(tmp_path: Path) -> None:
    _, project = _generate(tmp_path)
    other = publish(tmp_path / "other", {"base": "1.1.0"})
    with pytest.raises(FactoryError, match="applied from catalog 'cat' \\(") as info:
        update_project(project, catalog=other)
    assert info.value.hint is not None and "--catalog" in info.value.hint


def test_a_project_newer_than_the_catalog_is_refused(tmp_path: Path) -> None:
    catalog, project = _generate(tmp_path)
    publish(catalog, {"base": "0.9.0"})
    with pytest.raises(FactoryError, match=r"newer versions than this catalog ships: base 1\.0\.0"):
        update_project(project, catalog=catalog)


def test_without_the_old_version_in_the_cache_differing_files_are_conflicts(
    tmp_path: Path, cache: Path
) -> None:
    catalog, project = _generate(tmp_path)
    _edit(project, "notes.txt", "line 2\n", "line 2 ours\n")
    commit_all(project)
    shutil.rmtree(cache)  # as on another machine
    _publish_base_v2(catalog, NOTES_V1.replace("line 9\n", "line 9 v2\n"))

    result = update_project(project, catalog=catalog)

    assert [c.path for c in result.conflicts] == ["notes.txt"]
    assert any("not in the template cache" in n for n in result.notes)
    text = (project / "notes.txt").read_text()
    assert "<<<<<<< yours\nline 2 ours\n=======\nline 2\n" in text
    assert "line 9\n=======\nline 9 v2\n>>>>>>> base 1.1.0\n" in text


def test_dropped_files_are_deleted_unless_edited_and_local_deletions_stay(
    tmp_path: Path,
) -> None:
    templates = templates_v1()
    templates["base"]["gone.txt"] = "bye\n"
    templates["base"]["edited-gone.txt"] = "bye\n"
    templates["base"]["deleted-here.txt"] = "v1\n"
    catalog = publish(tmp_path / "cat", templates=templates)
    project = tmp_path / "proj"
    new_project(project, catalog=catalog, defaults=True, data={"owner": "x"}, interactive=False)
    (project / "edited-gone.txt").write_text("mine\n")
    (project / "deleted-here.txt").unlink()
    commit_all(project)
    templates = templates_v1()
    templates["base"]["deleted-here.txt"] = "v2\n"
    publish(catalog, {"base": "2.0.0"}, templates)

    result = update_project(project, catalog=catalog)

    kinds = {c.path: c.kind for c in result.changes}
    assert kinds["gone.txt"] == "delete"
    assert kinds["edited-gone.txt"] == "kept"
    assert kinds["deleted-here.txt"] == "kept"
    assert not (project / "gone.txt").exists()
    assert (project / "edited-gone.txt").read_text() == "mine\n"
    assert not (project / "deleted-here.txt").exists()


def test_only_named_components_are_updated(tmp_path: Path) -> None:
    catalog, project = _generate(tmp_path)
    publish(catalog, {"base": "1.1.0", "app": "0.4.0"})
    result = update_project(project, catalog=catalog, components=["app"])
    assert [(c.name, c.action) for c in result.components] == [("app", "updated")]
    assert answers_of(project, "base")["_commit"] == "v1.0.0"
    assert answers_of(project, "app")["_commit"] == "v0.4.0"
    with pytest.raises(FactoryError, match="nope: not recorded"):
        update_project(project, catalog=catalog, components=["nope"])


def test_the_old_render_gets_the_same_components_data_as_the_new_one(tmp_path: Path) -> None:
    # README lists the components; a version bump of base must not see that as a change.
    catalog, project = _generate(tmp_path)
    readme = (project / "README.md").read_bytes()
    publish(catalog, {"base": "1.0.1"})
    result = update_project(project, catalog=catalog)
    assert "README.md" not in [c.path for c in result.changes]
    assert (project / "README.md").read_bytes() == readme
