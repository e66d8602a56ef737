"""harvest: the round trip through the real engine, new versions, catalogs, refusals."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
import yaml

from mlops_factory._cli import main
from mlops_factory._errors import FactoryError
from mlops_factory._factory import harvest
from mlops_factory._resources import templates_dir
from mlops_factory._scaffold import load_catalog
from mlops_factory._scaffold._project import rendered
from tests.factory import recorded_answers
from tests.helpers import build_tree
from tests.scaffold import make_catalog, tiny_catalog_data, tiny_templates

#: A module whose identifiers contain the package name (and one that only looks alike).
UTILS = '''\
"""Helpers of demo-churn, owned by risk-ml."""
import demo_churn.features
from demo_churn import config

DEMO_CHURN_HOME = "~/.demo_churn"


def load_demo_churn_data(path):
    return demo_churn.features.read(path)


demo_churnx = "not the package"
'''
#: Literal Jinja syntax (a template of the project itself) with project values inside.
EMAIL = (
    "<p>Hello {{ user.name }},</p>\n"
    "{% if alerts %}<ul>{% for a in alerts %}<li>{{ a }}</li>{% endfor %}</ul>{% endif %}\n"
    "{# demo_churn alert mail #}\r\n"
    "<footer>demo-churn by risk-ml</footer>\n"
)
#: No project value: copied as it is (its ${{ }} is GitHub's syntax, not ours).
DEPLOY = '#!/bin/sh\nset -eu\necho "${{ github.sha }}" {{ not ours }}\n'


@pytest.fixture
def project(demo: tuple[Path, Path]) -> Path:
    root, _ = demo
    build_tree(
        root,
        {
            "src/demo_churn/demo_churn_utils.py": UTILS,
            "templates/alert.html": EMAIL,
            "scripts/deploy.sh": DEPLOY,
        },
    )
    # CRLF must survive: write the bytes, not text
    (root / "templates/alert.html").write_bytes(EMAIL.encode())
    os.chmod(root / "scripts/deploy.sh", 0o755)
    return root


FILES = ["scripts/deploy.sh", "src/demo_churn/demo_churn_utils.py", "templates/alert.html"]


def _component_files(catalog: Path, name: str) -> dict[str, str]:
    base = catalog / "components" / name
    return {
        p.relative_to(base).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }


def test_round_trip_through_the_engine_is_byte_for_byte(project: Path, tmp_path: Path) -> None:
    result = harvest(project, FILES, component="alerting", catalog=tmp_path / "org")

    catalog = load_catalog(tmp_path / "org")
    with rendered(catalog, [catalog.components["alerting"]], recorded_answers(project)) as out:
        produced = {p for p in out.files() if not p.startswith(".mlops-factory/")}
        assert produced == set(FILES)
        for rel in FILES:
            assert (out.root / rel).read_bytes() == (project / rel).read_bytes(), rel
            assert os.access(out.root / rel, os.X_OK) == os.access(project / rel, os.X_OK)
        assert yaml.safe_load((out.root / ".mlops-factory/alerting.yml").read_text())[
            "_commit"
        ] == ("v1.0.0")
    assert result.created_catalog is True
    assert (result.component, result.version, result.previous_version) == (
        "alerting",
        "1.0.0",
        None,
    )


def test_harvested_templates_use_variables_and_escape_literal_jinja(
    project: Path, tmp_path: Path
) -> None:
    result = harvest(project, FILES, component="alerting", catalog=tmp_path / "org")

    files = _component_files(tmp_path / "org", "alerting")
    assert set(files) == {
        "copier.yml",
        "template/{{ _copier_conf.answers_file }}.jinja",
        "template/scripts/deploy.sh",
        "template/src/{{ package_name }}/{{ package_name }}_utils.py.jinja",
        "template/templates/alert.html.jinja",
    }
    assert files["template/scripts/deploy.sh"] == DEPLOY
    assert files["template/src/{{ package_name }}/{{ package_name }}_utils.py.jinja"] == (
        '"""Helpers of {{ project_name }}, owned by {{ owner }}."""\n'
        "import {{ package_name }}.features\n"
        "from {{ package_name }} import config\n"
        "\n"
        '{{ package_name | upper }}_HOME = "~/.{{ package_name }}"\n'
        "\n"
        "\n"
        "def load_{{ package_name }}_data(path):\n"
        "    return {{ package_name }}.features.read(path)\n"
        "\n"
        "\n"
        'demo_churnx = "not the package"\n'
    )
    assert files["template/templates/alert.html.jinja"] == (
        "<p>Hello {{ '{{' }} user.name }},</p>\n"
        "{{ '{%' }} if alerts %}<ul>{{ '{%' }} for a in alerts %}<li>{{ '{{' }} a }}</li>"
        "{{ '{%' }} endfor %}</ul>{{ '{%' }} endif %}\n"
        "{{ '{#' }} {{ package_name }} alert mail #}{{ '\\r' }}\n"
        "<footer>{{ project_name }} by {{ owner }}</footer>\n"
    )
    assert files["copier.yml"] == (
        "# Component 'alerting', harvested from demo-churn by mlops-factory harvest.\n"
        "_subdirectory: template\n"
        "_answers_file: .mlops-factory/alerting.yml\n"
        "---\n"
        "!include questions.yml\n"
    )
    assert [(f.source, dict(f.replaced), f.templated) for f in result.files] == [
        ("scripts/deploy.sh", {}, False),
        (
            "src/demo_churn/demo_churn_utils.py",
            {"owner": 1, "package_name": 8, "project_name": 1},
            True,
        ),
        ("templates/alert.html", {"owner": 1, "package_name": 1, "project_name": 1}, True),
    ]
    assert result.questions == ("project_name", "package_name", "owner")


def test_new_catalog_is_the_built_in_one_plus_the_component(project: Path, tmp_path: Path) -> None:
    harvest(project, ["scripts/deploy.sh"], component="deploy-script", catalog=tmp_path / "org")

    catalog = load_catalog(tmp_path / "org")
    builtin = load_catalog()
    assert set(catalog.components) == set(builtin.components) | {"deploy-script"}
    assert catalog.version == "1.3.0" and builtin.version == "1.2.0"
    entry = catalog.components["deploy-script"]
    assert (entry.version, entry.title, entry.requires, entry.questions) == (
        "1.0.0",
        "Harvested from demo-churn",
        (),
        (),
    )
    assert entry.description == "Files harvested from demo-churn: scripts/deploy.sh."
    text = (tmp_path / "org/catalog.yaml").read_text()
    assert text.startswith("# The built-in template catalog of mlops-factory.\n")


def test_an_empty_folder_becomes_the_catalog(project: Path, tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    harvest(project, ["scripts"], component="deploy-script", catalog=tmp_path / "org")
    assert "deploy-script" in load_catalog(tmp_path / "org").components


def test_new_version_keeps_the_component_and_replaces_the_harvested_file(
    demo: tuple[Path, Path],
) -> None:
    project, catalog = demo
    improved = '"""demo-churn: churn scoring for risk-ml."""\n\n__version__ = "0.2.0"\n'
    (project / "src/demo_churn/__init__.py").write_text(improved)

    result = harvest(project, ["src/demo_churn/__init__.py"], component="base", catalog=catalog)

    assert (result.version, result.previous_version) == ("1.1.0", "1.0.0")
    assert [(f.template, f.replaces) for f in result.files] == [
        (
            "template/src/{{ package_name }}/__init__.py.jinja",
            "template/src/{{ package_name }}/__init__.py",
        )
    ]
    files = _component_files(catalog, "base")
    assert "template/src/{{ package_name }}/__init__.py" not in files  # replaced, not beside
    assert files["template/README.md.jinja"] == tiny_templates()["base"]["README.md.jinja"]
    loaded = load_catalog(catalog)
    assert loaded.components["base"].version == "1.1.0"
    assert loaded.version == "1.1.0"
    with rendered(loaded, [loaded.components["base"]], recorded_answers(project)) as out:
        assert (out.root / "src/demo_churn/__init__.py").read_text() == improved
        assert (out.root / "README.md").read_bytes() == (project / "README.md").read_bytes()


def test_component_with_its_own_delimiters_gets_templates_in_them(
    tmp_path: Path, demo: tuple[Path, Path]
) -> None:
    envops = """\
        _envops:
          variable_start_string: "[["
          variable_end_string: "]]"
          block_start_string: "[%"
          block_end_string: "%]"
          comment_start_string: "[#"
          comment_end_string: "#]"
        """
    project, _ = demo
    catalog = make_catalog(tmp_path / "cat2", copier_extra={"ci-github": envops})
    answers = catalog / "components/ci-github/template/{{ _copier_conf.answers_file }}.jinja"
    answers.unlink()
    (answers.parent / "[[ _copier_conf.answers_file ]].jinja").write_text(
        "[[ _copier_answers|to_nice_yaml -]]\n"
    )
    lint = (
        "name: lint\njobs:\n  lint:\n    steps:\n"
        "      - run: ruff check src/demo_churn  # ${{ github.sha }} [[ x ]]\n"
    )
    build_tree(project, {".github/workflows/lint.yml": lint})

    harvest(project, [".github/workflows/lint.yml"], component="ci-github", catalog=catalog)

    files = _component_files(catalog, "ci-github")
    assert files["template/.github/workflows/lint.yml.jinja"] == (
        "name: lint\njobs:\n  lint:\n    steps:\n"
        "      - run: ruff check src/[[ package_name ]]  # ${{ github.sha }} [[ '[[' ]] x ]]\n"
    )
    loaded = load_catalog(catalog)
    with rendered(loaded, [loaded.components["ci-github"]], recorded_answers(project)) as out:
        assert (out.root / ".github/workflows/lint.yml").read_text() == lint
        assert (out.root / ".github/workflows/ci.yml").read_text() == "name: ci\n"


def test_catalog_yaml_comments_and_layout_survive(demo: tuple[Path, Path]) -> None:
    project, catalog = demo
    original = (catalog / "catalog.yaml").read_text()
    commented = "# Our catalog: reviewed by the platform team.\n" + original.replace(
        "  app:\n", "  # the demo app\n  app:\n"
    )
    (catalog / "catalog.yaml").write_text(commented)
    build_tree(project, {"tools/retry.py": "def retry(fn):\n    return fn()\n"})

    harvest(project, ["tools/retry.py"], component="shared-retry", catalog=catalog)

    text = (catalog / "catalog.yaml").read_text()
    assert text.startswith(
        '# Our catalog: reviewed by the platform team.\ncatalog_version: "1.1.0"'
    )
    assert "  # the demo app\n  app:\n" in text
    assert text.index("  shared-retry:\n") < text.index("groups:")
    assert load_catalog(catalog).components["shared-retry"].version == "1.0.0"


def test_requires_base_when_files_live_in_the_package(project: Path, tmp_path: Path) -> None:
    harvest(
        project, ["src/demo_churn/demo_churn_utils.py"], component="utils", catalog=tmp_path / "o"
    )
    assert load_catalog(tmp_path / "o").components["utils"].requires == ("base",)


def test_a_file_another_component_writes_is_refused(demo: tuple[Path, Path]) -> None:
    project, catalog = demo
    before = (catalog / "catalog.yaml").read_bytes()
    with pytest.raises(FactoryError) as err:
        harvest(project, ["README.md"], component="readme", catalog=catalog)
    assert err.value.message == (
        f"other components of catalog {catalog.resolve()} already write README.md (written by base)"
    )
    assert (
        err.value.hint == "one component owns each file: harvest these into base (--component base)"
    )
    assert (catalog / "catalog.yaml").read_bytes() == before
    assert not (catalog / "components/readme").exists()


@pytest.mark.parametrize("where", ["root", "inside"])
def test_the_built_in_catalog_is_never_written(project: Path, where: str) -> None:
    target = templates_dir() if where == "root" else templates_dir() / "components" / "base"
    with pytest.raises(FactoryError) as err:
        harvest(project, ["scripts/deploy.sh"], component="x", catalog=target)
    assert "harvests never write there" in err.value.message
    assert err.value.hint and "--catalog DIR" in err.value.hint


def test_a_folder_that_is_not_a_catalog_is_refused(project: Path, tmp_path: Path) -> None:
    build_tree(tmp_path / "notes", {"todo.txt": "x\n"})
    with pytest.raises(FactoryError, match=r"has no catalog\.yaml and is not empty"):
        harvest(project, ["scripts/deploy.sh"], component="x", catalog=tmp_path / "notes")


@pytest.mark.parametrize(
    ("files", "component", "message"),
    [
        (["scripts/deploy.sh"], "Bad_Name", "'Bad_Name' is not a component name"),
        (["missing.txt"], "x", "missing.txt is not a regular file"),
        (["../elsewhere.txt"], "x", "../elsewhere.txt is not inside the project"),
        ([".mlops-factory/base.yml"], "x", ".mlops-factory/base.yml: .mlops-factory/ is not"),
        (["scripts/deploy.sh"], "ci", "'ci' is a group (or reserved)"),
    ],
)
def test_bad_requests_are_user_errors(
    project: Path, tmp_path: Path, files: list[str], component: str, message: str
) -> None:
    catalog = make_catalog(tmp_path / "target")
    before = (catalog / "catalog.yaml").read_bytes()
    with pytest.raises(FactoryError) as err:
        harvest(project, files, component=component, catalog=catalog)
    assert err.value.message.startswith(message)
    assert (catalog / "catalog.yaml").read_bytes() == before


def test_a_failed_validation_restores_the_catalog(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = make_catalog(tmp_path / "target")
    before = (catalog / "catalog.yaml").read_bytes()
    base_before = _component_files(catalog, "base")
    calls = []

    def failing(path: object = None) -> object:
        calls.append(path)
        if len(calls) == 2:  # the check after the swap
            raise FactoryError("simulated")
        return load_catalog(path)  # type: ignore[arg-type]

    monkeypatch.setattr("mlops_factory._factory._harvest.load_catalog", failing)
    build_tree(project, {"src/demo_churn/__init__.py": '"""changed."""\n'})
    with pytest.raises(FactoryError, match="does not validate, nothing was changed"):
        harvest(project, ["src/demo_churn/__init__.py"], component="base", catalog=catalog)
    assert (catalog / "catalog.yaml").read_bytes() == before
    assert _component_files(catalog, "base") == base_before
    assert sorted(p.name for p in (catalog / "components").iterdir()) == sorted(
        tiny_catalog_data()["components"]
    )


def test_a_project_not_from_the_catalog_uses_pyproject_values(tmp_path: Path) -> None:
    project = build_tree(
        tmp_path / "repo",
        {
            "pyproject.toml": '[project]\nname = "fraud-scoring"\n',
            "src/fraud_scoring/__init__.py": "",
            "Dockerfile": 'FROM python:3.11-slim\nCMD ["python", "-m", "fraud_scoring.serve"]\n',
        },
    )
    with pytest.raises(FactoryError) as err:
        harvest(project, ["Dockerfile"], component="docker", catalog=tmp_path / "org2")
    assert err.value.message == (
        f"other components of catalog {tmp_path / 'org2'} already write Dockerfile "
        "(written by serving-realtime)"
    )
    assert not (tmp_path / "org2").exists()
    # The owner's Dockerfile.jinja has logic: this unrelated file would replace it wholesale.
    with pytest.raises(FactoryError, match=r"overlaps the logic of its template Dockerfile\.jinja"):
        harvest(project, ["Dockerfile"], component="serving-realtime", catalog=tmp_path / "org2")
    assert not (tmp_path / "org2").exists()
    (project / "run.sh").write_text("python -m fraud_scoring.serve\n")
    result = harvest(project, ["run.sh"], component="runner", catalog=tmp_path / "org3")
    assert result.values.source == "pyproject.toml"
    assert _component_files(tmp_path / "org3", "runner")["template/run.sh.jinja"] == (
        "python -m {{ package_name }}.serve\n"
    )


# --- the command line ---------------------------------------------------------------------------


def test_cli_writes_the_component_and_prints_next_steps(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "harvest",
            str(project),
            "scripts/deploy.sh",
            "--component",
            "deploy-script",
            "--catalog",
            str(tmp_path / "org"),
            "--format",
            "json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["component"], data["version"], data["created_catalog"]) == (
        "deploy-script",
        "1.0.0",
        True,
    )
    assert data["files"][0]["template"] == "template/scripts/deploy.sh"


def test_cli_without_catalog_is_a_user_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["harvest", str(project), "scripts/deploy.sh", "--component", "x"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "error: name the catalog to write to with --catalog DIR"


def test_cli_text_output(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "org"
    args = ["harvest", str(project), "scripts/deploy.sh", "--component", "deploy-script"]
    assert main([*args, "--catalog", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"component deploy-script 1.0.0 (new) written to catalog {target}" in " ".join(
        out.split()
    )
    assert f"mlops-factory add deploy-script PROJECT --catalog {target}" in out


def test_data_overrides_values(project: Path, tmp_path: Path) -> None:
    build_tree(project, {"notes.txt": "Owned by the churn squad.\n"})
    harvest(
        project,
        ["notes.txt"],
        component="notes",
        catalog=tmp_path / "org",
        values={"owner": "the churn squad"},
    )
    assert _component_files(tmp_path / "org", "notes")[
        "template/notes.txt.jinja"
    ] == textwrap.dedent("Owned by {{ owner }}.\n")


def test_questions_the_templates_need_are_declared_so_copier_records_them(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    project, _ = demo
    catalog = make_catalog(tmp_path / "bare", questions=None)  # no shared questions.yml
    build_tree(project, {"app/settings.py": "PACKAGE = 'demo_churn'\n"})

    harvest(project, ["app/settings.py"], component="app", catalog=catalog)

    assert (catalog / "components/app/copier.yml").read_text() == (
        "_subdirectory: template\n---\n# declared by mlops-factory harvest\n"
        "package_name: {type: str}\n"
    )
    loaded = load_catalog(catalog)
    with rendered(loaded, [loaded.components["app"]], recorded_answers(project)) as out:
        recorded = yaml.safe_load((out.root / ".mlops-factory/app.yml").read_text())
        assert recorded["package_name"] == "demo_churn"
        assert (out.root / "app/settings.py").read_text() == "PACKAGE = 'demo_churn'\n"


# --- templates with logic (issue 14) --------------------------------------------------------

NOTES = (
    "# {{ project_name }}\n"
    "\n"
    "{% if 'app' in components %}The app is included.\n{% endif %}"
    "\n"
    "middle line\n"
    "\n"
    "last line\n"
)


def _logic_project(tmp_path: Path, pattern: str) -> tuple[Path, Path]:
    from tests.factory import generate

    templates = {k: dict(v) for k, v in tiny_templates().items()}
    templates["base"]["notes.txt.jinja"] = NOTES
    catalog = make_catalog(tmp_path / "cat", templates=templates)
    return generate(tmp_path, "churn", catalog=catalog, data={"pattern": pattern})


def _render_notes(catalog: Path, pattern: str, components: list[str]) -> str:
    loaded = load_catalog(catalog)
    data = {"project_name": "x", "package_name": "x", "pattern": pattern, "components": components}
    with rendered(loaded, [loaded.components["base"]], data) as out:
        return (out.root / "notes.txt").read_text()


def test_a_change_is_merged_into_a_template_with_logic_for_every_pattern(tmp_path: Path) -> None:
    # A project of the pattern without the app edits the file; projects with the app
    # must still get the app's line afterwards.
    project, catalog = _logic_project(tmp_path, "bare")
    notes = project / "notes.txt"
    assert "The app is included." not in notes.read_text()
    notes.write_text(notes.read_text().replace("last line\n", "last line, edited\n"))

    result = harvest(project, ["notes.txt"], component="base", catalog=catalog)

    template = (catalog / "components/base/template/notes.txt.jinja").read_text()
    assert template == NOTES.replace("last line\n", "last line, edited\n")
    assert result.files[0].template == "template/notes.txt.jinja"
    assert any("logic and other answers are kept" in n for n in result.files[0].notes)
    with_app = _render_notes(catalog, "web", ["base", "app"])
    assert "The app is included." in with_app and "last line, edited" in with_app


def test_a_change_overlapping_the_logic_is_refused_with_the_lines(tmp_path: Path) -> None:
    project, catalog = _logic_project(tmp_path, "web")
    notes = project / "notes.txt"
    notes.write_text(notes.read_text().replace("app is included.", "app is included, edited."))
    before = (catalog / "catalog.yaml").read_text()

    with pytest.raises(FactoryError, match="overlaps the logic of its template") as info:
        harvest(project, ["notes.txt"], component="base", catalog=catalog)

    assert "The app is included, edited." in info.value.message
    assert (catalog / "catalog.yaml").read_text() == before
    assert (catalog / "components/base/template/notes.txt.jinja").read_text() == NOTES


def test_the_round_trip_renders_every_pattern_and_refuses_a_lost_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate a template replaced by one project's rendering (the merge bypassed): the
    # project's own round trip passes, but the pattern with the app loses its line.
    from mlops_factory._factory import _harvest

    monkeypatch.setattr(_harvest, "_merge_into_template", lambda *args, **kw: None)
    project, catalog = _logic_project(tmp_path, "bare")

    with pytest.raises(FactoryError, match="pattern 'web' would lose lines") as info:
        harvest(project, ["notes.txt"], component="base", catalog=catalog)

    assert "The app is included." in info.value.message
    assert (catalog / "components/base/template/notes.txt.jinja").read_text() == NOTES
