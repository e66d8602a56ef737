"""A catalog is identified by its declared name and can live in git (issue 14, point 1).

The catalog here is a git repository: a colleague's clone at another path, or the same
repository given as a ``file://`` URL (a bare repository, no network), updates projects
generated from the first clone, with the old version recovered from git history when the
template cache (another machine's) lacks it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from mlops_factory._cli import main
from mlops_factory._errors import FactoryError
from mlops_factory._scaffold import new_project
from mlops_factory._scaffold._catalog import load_catalog
from mlops_factory._scaffold._project import read_origin
from mlops_factory._scaffold._update import check_updates, update_project
from tests.gaps import NOTES_V1, commit_all, git, templates_v1
from tests.scaffold import make_catalog, tiny_catalog_data


@pytest.fixture(autouse=True)
def _no_default_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLOPS_FACTORY_CATALOG", raising=False)
    monkeypatch.delenv("MLOPS_FACTORY_CATALOG_REF", raising=False)
    monkeypatch.setenv("MLOPS_FACTORY_CONFIG", str(tmp_path / "no-config.yaml"))


def _write(root: Path, base_version: str, notes: str, name: str = "acme-ml") -> None:
    """Write the catalog's files into ``root`` (its .git stays) and commit them."""
    for entry in root.iterdir() if root.exists() else ():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    data = tiny_catalog_data()
    data = {"name": name, **data}
    data["components"]["base"]["version"] = base_version
    templates = templates_v1()
    templates["base"]["notes.txt"] = notes
    make_catalog(root, data=data, templates=templates)
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    commit_all(root, f"base {base_version}")


def _project(tmp_path: Path, catalog: str | Path) -> Path:
    project = tmp_path / "proj"
    new_project(project, catalog=catalog, defaults=True, data={"owner": "x"}, interactive=False)
    _edit_notes(project)
    return project


def _edit_notes(project: Path) -> None:
    notes = project / "notes.txt"
    notes.write_text(notes.read_text().replace("line 2\n", "line 2 ours\n"))
    commit_all(project, "local edit")


V2_NOTES = NOTES_V1.replace("line 9\n", "line 9 v2\n")
MERGED = NOTES_V1.replace("line 2\n", "line 2 ours\n").replace("line 9\n", "line 9 v2\n")


def test_a_clone_at_another_path_on_another_machine_updates_the_project(
    tmp_path: Path, cache: Path
) -> None:
    first = tmp_path / "mine" / "catalog"
    first.mkdir(parents=True)
    _write(first, "1.0.0", NOTES_V1)
    project = _project(tmp_path, first)
    origin = read_origin(project)
    assert origin is not None and origin.name == "acme-ml" and origin.source == str(first)
    assert origin.components["base"] == "1.0.0"

    _write(first, "1.1.0", V2_NOTES)  # the author publishes a new version
    clone = tmp_path / "colleague" / "mlops-catalog"
    git(tmp_path, "clone", "-q", str(first), str(clone))
    shutil.rmtree(cache)  # another machine: no cached versions

    report = check_updates([project], catalog=clone)
    assert report.complete and report.behind
    result = update_project(project, catalog=clone)

    assert result.clean and not result.notes  # the old version came from git history
    assert (project / "notes.txt").read_text() == MERGED
    recorded = read_origin(project)
    assert recorded is not None and recorded.components["base"] == "1.1.0"
    assert recorded.source == str(clone)


def test_a_git_url_catalog_with_a_vcs_ref_generates_and_updates(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _write(work, "1.0.0", NOTES_V1)
    git(work, "tag", "v1")
    bare = tmp_path / "catalog.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    url = bare.as_uri()

    project = tmp_path / "proj"
    args = ["--catalog", url, "--vcs-ref", "v1", "--defaults", "--data", "owner=x"]
    assert main(["new", str(project), *args]) == 0
    _edit_notes(project)
    origin = read_origin(project)
    assert origin is not None and (origin.source, origin.vcs_ref) == (url, "v1")

    _write(work, "1.1.0", V2_NOTES)
    git(work, "push", "-q", str(bare), "main")
    shutil.rmtree(cache)
    capsys.readouterr()

    assert main(["check-update", str(project), "--catalog", url]) == 1
    out = capsys.readouterr().out
    assert f"mlops-factory update PATH --catalog {url}" in out
    assert main(["update", str(project), "--catalog", url]) == 0
    assert (project / "notes.txt").read_text() == MERGED


def test_an_unreachable_git_catalog_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = (tmp_path / "nowhere.git").as_uri()
    with pytest.raises(FactoryError, match=r"nowhere\.git: git clone failed") as info:
        load_catalog(missing)
    assert info.value.hint is not None and "git ls-remote" in info.value.hint


def test_an_unknown_vcs_ref_is_an_error(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _write(work, "1.0.0", NOTES_V1)
    with pytest.raises(FactoryError, match="no branch, tag or commit 'v9'"):
        load_catalog(work.as_uri(), vcs_ref="v9")


def test_gh_shorthand_expands_to_a_github_url() -> None:
    from mlops_factory._scaffold._source import expand, is_remote

    assert expand("gh:acme/mlops-catalog") == "https://github.com/acme/mlops-catalog.git"
    assert expand("gl:acme/cat.git") == "https://gitlab.com/acme/cat.git"
    assert is_remote("git@github.com:acme/cat.git") and is_remote("file:///x/cat.git")
    assert not is_remote("catalogs/acme") and not is_remote("C:/catalogs/acme")


def test_the_default_catalog_comes_from_the_environment_then_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_cat = make_catalog(tmp_path / "env-cat", data={"name": "from-env", **tiny_catalog_data()})
    conf_cat = make_catalog(
        tmp_path / "conf-cat", data={"name": "from-conf", **tiny_catalog_data()}
    )
    config = tmp_path / "config.yaml"
    config.write_text("catalog: conf-cat\n")  # relative to the config file
    monkeypatch.setenv("MLOPS_FACTORY_CONFIG", str(config))

    assert load_catalog().name == "from-conf"
    monkeypatch.setenv("MLOPS_FACTORY_CATALOG", str(env_cat))
    assert load_catalog().name == "from-env"
    assert load_catalog(conf_cat).name == "from-conf"  # --catalog wins


def test_a_bad_config_file_names_the_file_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("catalogue: gh:acme/cat\n")
    monkeypatch.setenv("MLOPS_FACTORY_CONFIG", str(config))
    with pytest.raises(FactoryError, match=r"config\.yaml.*unknown field 'catalogue'"):
        load_catalog()


def test_a_catalog_name_must_be_a_slug(tmp_path: Path) -> None:
    root = make_catalog(tmp_path / "cat", data={"name": "Acme ML", **tiny_catalog_data()})
    with pytest.raises(FactoryError, match=r"catalog\.yaml: .*field 'name'"):
        load_catalog(root)


def _from_first_and_another(tmp_path: Path, other_version: str) -> tuple[Path, Path, Path]:
    """(first catalog, a project generated from it, another catalog named other-ml)."""
    first, other = tmp_path / "first", tmp_path / "other"
    first.mkdir()
    other.mkdir()
    _write(first, "1.0.0", NOTES_V1)
    _write(other, other_version, V2_NOTES, name="other-ml")
    return first, _project(tmp_path, first), other


def test_check_update_exits_2_when_something_could_not_be_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, project, other = _from_first_and_another(tmp_path, "1.0.0")
    capsys.readouterr()

    assert main(["check-update", str(project), "--catalog", str(other), "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["complete"] is False and doc["behind"] is False
    assert doc["projects"][0]["origin"]["name"] == "acme-ml"
    assert {c["status"] for c in doc["projects"][0]["components"]} == {"other-catalog"}

    assert main(["check-update", str(project), "--catalog", str(other)]) == 2
    out = capsys.readouterr().out
    assert "could not be checked" in out and "All components match" not in out
    first = tmp_path / "first"
    assert f"mlops-factory check-update {project} --catalog {first}" in out


def test_update_from_another_catalog_says_where_the_project_came_from(tmp_path: Path) -> None:
    first, project, other = _from_first_and_another(tmp_path, "1.1.0")

    with pytest.raises(FactoryError, match=rf"applied from catalog 'acme-ml' \({first}\)") as info:
        update_project(project, catalog=other)
    assert info.value.hint is not None
    assert f"mlops-factory update {project} --catalog {first}" in info.value.hint


def test_the_catalog_record_lists_name_source_and_versions(tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    _write(first, "1.0.0", NOTES_V1)
    project = _project(tmp_path, first)
    data = yaml.safe_load((project / ".mlops-factory" / "_catalog.yml").read_text())
    assert data == {
        "name": "acme-ml",
        "source": str(first),
        "catalog_version": "1.0.0",
        "components": {"app": "0.3.0", "base": "1.0.0", "ci-github": "1.2.0"},
    }
