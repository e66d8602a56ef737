"""new_project: generation, DEST safety, --force, atomicity, trust, git, the version cache."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_factory._errors import FactoryError
from mlops_factory._scaffold import load_catalog, materialise, new_project
from mlops_factory._scaffold._cache import catalog_cache
from mlops_factory._scaffold._catalog import Catalog
from tests.scaffold import make_catalog, tiny_catalog_data, tiny_templates

ANSWERS = {"owner": "risk-ml"}


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLOPS_FACTORY_CACHE", str(folder))
    return folder


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return make_catalog(tmp_path / "cat")


def _files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def _new(dest: Path | str, catalog: Path | Catalog, **kw: Any) -> Any:
    kw.setdefault("interactive", False)
    kw.setdefault("defaults", True)
    kw.setdefault("data", ANSWERS)
    return new_project(dest, catalog=catalog, **kw)


# --- generation ----------------------------------------------------------------------------


def test_generates_every_component_with_its_answers_file(
    tmp_path: Path, catalog: Path, cache: Path
) -> None:
    dest = tmp_path / "work" / "fraud-scoring"
    result = _new(dest, catalog, data={"owner": "risk-ml", "ci": "gitlab"})
    assert result.dest == dest
    assert result.pattern == "web"
    assert [(c.name, c.version, c.tag) for c in result.components] == [
        ("base", "1.0.0", "v1.0.0"),
        ("app", "0.3.0", "v0.3.0"),
        ("ci-gitlab", "2.0.1", "v2.0.1"),
    ]
    assert result.answers["components"] == ["base", "app", "ci-gitlab"]
    assert result.next_steps == (f"cd {dest}", "make test")
    assert _files(dest) == {
        ".mlops-factory/_catalog.yml",
        ".mlops-factory/base.yml",
        ".mlops-factory/app.yml",
        ".mlops-factory/ci-gitlab.yml",
        ".gitlab-ci.yml",
        "README.md",
        "app.txt",
        "src/fraud_scoring/__init__.py",
    }
    assert (dest / "README.md").read_text() == (
        "# fraud-scoring\nfraud-scoring, a machine learning project\ncomponents: "
        "base,app,ci-gitlab\n"
    )
    assert (dest / "app.txt").read_text() == "app of risk-ml (web)\n"
    repos = catalog_cache(load_catalog(catalog), cache)
    base = yaml.safe_load((dest / ".mlops-factory/base.yml").read_text())
    assert base["_commit"] == "v1.0.0"
    assert base["_src_path"] == str(repos / "base")
    assert (base["project_name"], base["package_name"], base["ci"]) == (
        "fraud-scoring",
        "fraud_scoring",
        "gitlab",
    )
    gitlab = yaml.safe_load((dest / ".mlops-factory/ci-gitlab.yml").read_text())
    assert (gitlab["_commit"], gitlab["_src_path"]) == ("v2.0.1", str(repos / "ci-gitlab"))


def test_git_init_and_first_commit_without_a_global_identity(
    tmp_path: Path, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    dest = tmp_path / "proj"
    result = _new(dest, catalog)
    assert _git(dest, "rev-parse", "HEAD") == result.commit
    assert _git(dest, "branch", "--show-current") == "main"
    assert _git(dest, "log", "-1", "--format=%an <%ae>|%s") == (
        "mlops-factory <mlops-factory@localhost>|Initial commit: proj from the web pattern"
    )
    assert _git(dest, "status", "--porcelain") == ""
    assert set(_git(dest, "ls-files").splitlines()) == _files(dest)


def test_no_hook_runs_even_when_git_installs_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = tmp_path / "git-template" / "hooks"
    hooks.mkdir(parents=True)
    for name in ("pre-commit", "commit-msg", "post-commit"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch {tmp_path}/{name}-ran\nexit 1\n")
        (hooks / name).chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(f"[init]\n\ttemplateDir = {hooks.parent}\n[core]\n\thooksPath = {hooks}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    templates = tiny_templates()
    templates["base"]["run.sh"] = "#!/bin/sh\n"
    root = make_catalog(tmp_path / "cat", templates=templates)
    (root / "components/base/template/run.sh").chmod(0o755)
    dest = tmp_path / "proj"
    result = _new(dest, root)
    assert result.commit == _git(dest, "rev-parse", "HEAD")
    assert (dest / ".git/hooks/pre-commit").is_file()  # installed by git init, yet not run
    assert sorted(p.name for p in tmp_path.glob("*-ran")) == []
    assert os.access(dest / "run.sh", os.X_OK)  # the executable bit survives the cache


def test_no_git(tmp_path: Path, catalog: Path) -> None:
    result = _new(tmp_path / "proj", catalog, git=False)
    assert result.commit is None
    assert not (tmp_path / "proj" / ".git").exists()


def test_an_empty_dest_is_fine(
    tmp_path: Path, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "proj"
    dest.mkdir()
    inode = dest.stat().st_ino
    monkeypatch.chdir(dest)  # `mlops-factory new .`
    result = _new(".", catalog)
    assert result.dest == dest
    assert result.next_steps[0] == "cd ."
    assert "README.md" in _files(dest)
    assert dest.stat().st_ino == inode  # the folder the shell sits in is kept, not replaced
    assert sorted(os.listdir(tmp_path)) == ["cache", "cat", "proj"]


# --- DEST safety and --force ---------------------------------------------------------------


def test_a_non_empty_dest_is_refused_before_asking(tmp_path: Path, catalog: Path) -> None:
    dest = tmp_path / "proj"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    with pytest.raises(FactoryError) as info:
        _new(dest, catalog, defaults=False, data={})  # would otherwise miss answers
    assert info.value.message == f"{dest} is not empty"
    assert _files(dest) == {"notes.txt"}


def test_a_dest_that_is_a_file_is_refused(tmp_path: Path, catalog: Path) -> None:
    dest = tmp_path / "proj"
    dest.write_text("x")
    with pytest.raises(FactoryError) as info:
        _new(dest, catalog, force=True)
    assert info.value.message == f"{dest} exists and is not a folder"


def test_force_adds_files_beside_existing_ones_and_keeps_identical_ones(
    tmp_path: Path, catalog: Path
) -> None:
    dest = tmp_path / "proj"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    (dest / ".github/workflows").mkdir(parents=True)
    (dest / ".github/workflows/ci.yml").write_text("name: ci\n")  # identical to the template
    result = _new(dest, catalog, force=True)
    assert (dest / "notes.txt").read_text() == "mine"
    assert "app.txt" in _files(dest)
    tracked = set(_git(dest, "ls-files").splitlines())
    assert "notes.txt" not in tracked  # only generated files are committed
    assert ".github/workflows/ci.yml" in tracked
    assert result.commit == _git(dest, "rev-parse", "HEAD")


def test_force_never_overwrites_a_different_file(tmp_path: Path, catalog: Path) -> None:
    dest = tmp_path / "proj"
    dest.mkdir()
    (dest / "README.md").write_text("my readme\n")
    (dest / "app.txt").mkdir()
    before = sorted(p.as_posix() for p in dest.rglob("*"))
    with pytest.raises(FactoryError) as info:
        _new(dest, catalog, force=True)
    assert info.value.message == (
        f"--force never overwrites: 2 generated path(s) exist in {dest} with other content: "
        "README.md, app.txt"
    )
    assert sorted(p.as_posix() for p in dest.rglob("*")) == before
    assert (dest / "README.md").read_text() == "my readme\n"
    assert sorted(os.listdir(tmp_path)) == ["cache", "cat", "proj"]  # no temp folder left


def test_force_into_an_existing_repository_does_not_commit(tmp_path: Path, catalog: Path) -> None:
    dest = tmp_path / "proj"
    dest.mkdir()
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    result = _new(dest, catalog, force=True)
    assert result.commit is None
    assert result.notes == (
        f"{dest} already is a git repository: the generated files are not committed",
    )


# --- atomicity -----------------------------------------------------------------------------


def _fail_on_second_component(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    import copier

    real = copier.run_copy
    calls: list[str] = []

    def run_copy(src: str, dst: Path, *args: Any, **kw: Any) -> Any:
        calls.append(src)
        if len(calls) == 2:
            assert (Path(dst) / "README.md").is_file()  # really in the middle
            raise exc
        return real(src, dst, *args, **kw)

    monkeypatch.setattr(copier, "run_copy", run_copy)


@pytest.mark.parametrize(
    ("exc", "raised"),
    [(OSError("disk full"), FactoryError), (KeyboardInterrupt(), KeyboardInterrupt)],
)
def test_a_failure_in_the_middle_leaves_nothing(
    tmp_path: Path,
    catalog: Path,
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
    raised: type[BaseException],
) -> None:
    _fail_on_second_component(monkeypatch, exc)
    parent = tmp_path / "work"
    parent.mkdir()
    with pytest.raises(raised):
        _new(parent / "a" / "b" / "proj", catalog)
    assert os.listdir(parent) == []  # no DEST, no created parents, no temp folder


@pytest.mark.parametrize("exc", [RuntimeError("no git"), KeyboardInterrupt()])
def test_a_failure_in_git_leaves_nothing(
    tmp_path: Path, catalog: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    from mlops_factory._scaffold import _new as new_module

    def boom(project: Path, message: str) -> str:
        assert (project / ".mlops-factory" / "ci-github.yml").is_file()
        raise exc

    monkeypatch.setattr(new_module, "_git_commit", boom)
    dest = tmp_path / "work" / "proj"
    dest.mkdir(parents=True)
    with pytest.raises(type(exc)):
        _new(dest, catalog)
    assert os.listdir(tmp_path / "work") == ["proj"]
    assert os.listdir(dest) == []


def test_an_interrupted_force_merge_is_undone(
    tmp_path: Path, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "proj"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    real = os.rename
    moved: list[str] = []

    def rename(src: Any, dst: Any) -> None:
        if str(dst).startswith(str(dest)):
            moved.append(str(dst))
            if len(moved) == 3:
                raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        _new(dest, catalog, force=True, git=False)
    assert len(moved) == 3
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == ["notes.txt"]
    assert sorted(os.listdir(tmp_path)) == ["cache", "cat", "proj"]


# --- template problems and trust -----------------------------------------------------------


def test_untrusted_tasks_are_refused_and_trust_runs_them(tmp_path: Path) -> None:
    root = make_catalog(tmp_path / "cat", copier_extra={"app": "_tasks:\n  - touch task-ran.txt\n"})
    with pytest.raises(FactoryError) as info:
        _new(tmp_path / "proj", root)
    assert info.value.message == (
        f"catalog {root.resolve()} is not the built-in one and these components run code "
        "during generation: app (tasks)"
    )
    assert info.value.hint == "read their copier.yml; if you trust them, pass --trust"
    assert not (tmp_path / "proj").exists()
    _new(tmp_path / "proj", root, trust=True)
    assert (tmp_path / "proj" / "task-ran.txt").is_file()
    assert "task-ran.txt" in _git(tmp_path / "proj", "ls-files").splitlines()


def test_two_components_writing_one_file_is_refused(tmp_path: Path) -> None:
    templates = tiny_templates()
    templates["app"]["README.md"] = "app's readme\n"
    root = make_catalog(tmp_path / "cat", templates=templates)
    with pytest.raises(FactoryError) as info:
        _new(tmp_path / "proj", root)
    assert info.value.message == (
        f"catalog {root.resolve()}: component 'app' overwrites files written by an earlier "
        "component: README.md (from base)"
    )
    assert not (tmp_path / "proj").exists()


def test_a_component_must_write_its_answers_file(tmp_path: Path) -> None:
    root = make_catalog(tmp_path / "cat")
    (root / "components/app/template/{{ _copier_conf.answers_file }}.jinja").unlink()
    with pytest.raises(FactoryError) as info:
        _new(tmp_path / "proj", root)
    assert info.value.message == (
        f"catalog {root.resolve()}: component 'app' did not write its answers file "
        ".mlops-factory/app.yml"
    )


def test_a_broken_custom_template_is_a_user_error(tmp_path: Path) -> None:
    templates = tiny_templates()
    templates["app"]["app.txt.jinja"] = "{{ owner | nosuchfilter }}\n"
    root = make_catalog(tmp_path / "cat", templates=templates)
    with pytest.raises(FactoryError) as info:
        _new(tmp_path / "proj", root)
    assert info.value.message.startswith(
        f"component 'app' 0.3.0 of catalog {root.resolve()} failed to render: "
    )
    assert not (tmp_path / "proj").exists()


# --- the version cache ---------------------------------------------------------------------


def _commits(repo: Path) -> int:
    return int(_git(repo, "rev-list", "--count", "--all"))


def test_the_cache_is_reused_and_follows_content_and_versions(
    tmp_path: Path, catalog: Path, cache: Path
) -> None:
    repos = catalog_cache(load_catalog(catalog), cache)
    _new(tmp_path / "p1", catalog, git=False)
    assert _git(repos / "app", "tag") == "v0.3.0"
    _new(tmp_path / "p2", catalog, git=False)
    assert _commits(repos / "app") == 1  # warm: nothing new

    # Content changed without a version bump: the tag moves to a commit of the new content.
    (catalog / "components/app/template/app.txt.jinja").write_text("v2 {{ owner }}\n")
    _new(tmp_path / "p3", catalog, git=False)
    assert _commits(repos / "app") == 2
    assert (tmp_path / "p3" / "app.txt").read_text() == "v2 risk-ml\n"

    data = tiny_catalog_data()
    data["components"]["app"]["version"] = "0.4.0"
    (catalog / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    _new(tmp_path / "p4", catalog, git=False)
    assert _git(repos / "app", "tag").splitlines() == ["v0.3.0", "v0.4.0"]
    answers = yaml.safe_load((tmp_path / "p4" / ".mlops-factory/app.yml").read_text())
    assert answers["_commit"] == "v0.4.0"
    assert _commits(repos / "base") == 1


def test_concurrent_runs_share_the_cache_safely(catalog: Path, cache: Path) -> None:
    loaded = load_catalog(catalog)
    components = tuple(loaded.components.values())
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append({k: v.commit for k, v in materialise(loaded, components).items()})
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(r == results[0] for r in results)
    repos = catalog_cache(loaded, cache)
    assert {name: _commits(repos / name) for name in loaded.components} == {
        "base": 1,
        "app": 1,
        "ci-github": 1,
        "ci-gitlab": 1,
    }


def test_a_template_gitignore_does_not_hide_template_files(tmp_path: Path) -> None:
    templates = tiny_templates()
    templates["base"][".gitignore"] = "models/\n*.onnx\n"
    templates["base"]["models/.gitkeep"] = ""
    root = make_catalog(tmp_path / "cat", templates=templates)
    _new(tmp_path / "proj", root, git=False)
    assert (tmp_path / "proj" / "models" / ".gitkeep").is_file()


# --- the built-in catalog ------------------------------------------------------------------


def test_the_builtin_catalog_generates_with_defaults(tmp_path: Path) -> None:
    dest = tmp_path / "fraud-scoring"
    result = new_project(dest, defaults=True, interactive=False)
    names = [c.name for c in result.components]
    assert names[0] == "base"
    assert {"serving-realtime", "ci-github", "iac-terraform"} <= set(names)
    assert "batch-scoring" not in names
    for component in result.components:
        answers = yaml.safe_load((dest / component.answers_file).read_text())
        assert answers["_commit"] == f"v{component.version}"
    leftovers = [p for p in _files(dest) if p.endswith(".jinja")]
    assert leftovers == []
    assert _git(dest, "status", "--porcelain") == ""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_in_a_catalog_template_is_never_read(tmp_path: Path) -> None:
    root = make_catalog(tmp_path / "cat")
    os.mkfifo(root / "components" / "base" / "template" / "pipe")  # reading it would block
    dest = tmp_path / "proj"
    _new(dest, root, git=False, trust=True)
    assert (dest / "README.md").is_file() and not os.path.lexists(dest / "pipe")


def test_a_display_name_is_accepted_and_the_slug_names_the_package(tmp_path: Path) -> None:
    from mlops_factory._cli import main

    catalog = make_catalog(tmp_path / "cat")
    dest = tmp_path / "proj"
    args = ["--catalog", str(catalog), "--defaults", "--no-git", "--data", "owner=x"]
    assert main(["new", str(dest), *args, "--data", "project_name=Fraud Scoring v2"]) == 0
    assert (dest / "src/fraud_scoring_v2/__init__.py").is_file()
    assert (dest / "README.md").read_text().startswith("# fraud-scoring-v2\n")
