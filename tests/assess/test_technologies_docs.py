"""docs/technologies.md is generated from the catalog and kept fresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._assess import technologies_docs
from mlops_factory._assess.technologies import catalog, load_catalog

TECHNOLOGIES_MD = Path(__file__).resolve().parents[2] / "docs" / "technologies.md"


def test_docs_technologies_md_is_up_to_date() -> None:
    expected = technologies_docs.technologies_reference(catalog())
    assert TECHNOLOGIES_MD.read_text(encoding="utf-8") == expected, (
        f"docs/technologies.md is stale: run `{technologies_docs.GENERATED_BY}`"
    )


def test_every_technology_and_its_documentation_are_listed() -> None:
    text = technologies_docs.technologies_reference(catalog())
    for tech in catalog().technologies:
        assert f"### {tech.name}" in text
        assert f"<{tech.docs}>" in text


def test_a_pipe_in_a_note_does_not_break_the_table(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "schema: mlops-factory/technologies/v1\n"
        "technologies:\n"
        "  - id: x\n"
        "    name: X\n"
        "    docs: https://example.org\n"
        "    recognisers:\n"
        "      - capability: serves\n"
        "        files: {names: [a.yaml], pattern: 'a|b'}\n"
        "        note: 'left | right'\n",
        encoding="utf-8",
    )
    text = technologies_docs.technologies_reference(load_catalog(tmp_path))
    assert "`a\\|b`" in text and "left \\| right" in text


def test_main_check_detects_staleness(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "technologies.md"
    assert technologies_docs.main(["--check", "--output", str(out)]) == 1
    assert technologies_docs.main(["--output", str(out)]) == 0
    assert technologies_docs.main(["--check", "--output", str(out)]) == 0
    out.write_text("old\n", encoding="utf-8")
    assert technologies_docs.main(["--check", "--output", str(out)]) == 1
    assert "is stale" in capsys.readouterr().err
