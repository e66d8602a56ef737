from __future__ import annotations

import argparse

import pytest

from mlops_factory._assess import docs
from mlops_factory._cli import explain
from mlops_factory._errors import FactoryError
from tests.assess import _fixtures as fx


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Serve the fixture rubric; record which rubric path was asked for."""
    asked: list[str | None] = []

    def load(path: str | None) -> object:
        asked.append(path)
        return fx.rubric()

    monkeypatch.setattr(explain, "_load_rubric", load)
    monkeypatch.setattr(docs, "signal_descriptions", lambda: fx.SIGNAL_DESCRIPTIONS)
    return asked


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    explain.add_arguments(parser)
    return explain.run(parser.parse_args(argv))


def test_module_follows_the_cli_contract() -> None:
    assert isinstance(explain.HELP, str)
    assert "\n" not in explain.HELP
    assert isinstance(explain.DESCRIPTION, str)


def test_prints_the_criterion_as_markdown_when_not_a_terminal(
    loaded: list[str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("MC-201") == 0
    statements = {s.id: s for s in fx.STATEMENTS}
    expected = docs.criterion_markdown(
        fx.MC2T, statements=statements, signals=fx.SIGNAL_DESCRIPTIONS
    )
    assert capsys.readouterr().out == expected
    assert loaded == [None]


def test_id_is_case_insensitive_and_rubric_option_is_passed(
    loaded: list[str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("--rubric", "ours.yaml", "mc-201") == 0
    assert capsys.readouterr().out.startswith("# MC-201: Title of MC-201\n")
    assert loaded == ["ours.yaml"]


def test_renders_rich_markdown_on_a_terminal(
    loaded: list[str | None], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert _run("MC-201") == 0
    out = capsys.readouterr().out
    assert "\x1b[" in out
    assert "Why it matters." in out
    assert "**Why it matters.**" not in out


def test_unknown_id_names_close_matches_and_the_list_hint(loaded: list[str | None]) -> None:
    with pytest.raises(FactoryError) as info:
        _run("MC-2O1")
    assert info.value.message == (
        "no criterion 'MC-2O1' in rubric test-rubric; did you mean MC-201, MR-201 or MC-401?"
    )
    with pytest.raises(FactoryError) as info:
        _run("PE-10")
    assert (
        info.value.message
        == "no criterion 'PE-10' in rubric test-rubric; did you mean PE-101 or PE-201?"
    )
    assert info.value.hint == "`mlops-factory explain --list` lists every criterion id"


def test_unknown_id_without_close_matches(loaded: list[str | None]) -> None:
    with pytest.raises(FactoryError) as info:
        _run("nothing-like-it")
    assert info.value.message == "no criterion 'nothing-like-it' in rubric test-rubric"
    assert "mlops-factory explain --list" in (info.value.hint or "")


def test_missing_id_is_a_user_error(loaded: list[str | None]) -> None:
    with pytest.raises(FactoryError) as info:
        _run()
    assert info.value.hint == "mlops-factory explain --list"


def test_list_prints_every_id_with_level_dimension_and_title(
    loaded: list[str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("--list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(fx.CRITERIA)
    assert lines[0] == "PE-101  L1  People                   Title of PE-101"
    assert lines[2] == "MC-101  L1  Model creation           Title of MC-101"
    assert lines[-1] == "AI-201  L2  Application integration  Title of AI-201"


def test_rubric_errors_reach_the_user_as_factory_errors(tmp_path: object) -> None:
    # The real loader: a missing rubric file is a user error, not a traceback.
    with pytest.raises(FactoryError):
        _run("--rubric", "/nonexistent/rubric.yaml", "--list")


def test_every_criterion_of_the_default_rubric_explains(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mlops_factory._assess.rubric import load_rubric

    rubric = load_rubric()
    assert _run("--list") == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert sorted(listed) == sorted(c.id for c in rubric.criteria)
    for c in rubric.criteria:
        assert _run(c.id) == 0
        assert capsys.readouterr().out.startswith(f"# {c.id}: ")
