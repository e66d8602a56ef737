"""The dispatcher: every command wired, exit codes, errors without tracebacks, fast --help."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import types

import pytest

from mlops_factory._cli import COMMANDS, build_parser, main
from mlops_factory._errors import ExitCode, FactoryError

HEAVY = ("rich", "copier", "git", "onnxruntime", "numpy", "yaml", "questionary", "jinja2")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_module_follows_the_contract(name: str) -> None:
    module = importlib.import_module(f"mlops_factory._cli.{COMMANDS[name]}")
    assert isinstance(module.HELP, str) and module.HELP
    assert callable(module.add_arguments) and callable(module.run)
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)


def test_every_command_is_reachable_from_the_parser() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == list(COMMANDS)


def test_help_and_version_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "Exit codes: 0 success, 1 gate failed" in capsys.readouterr().out
    assert main(["--version"]) == 0


def test_no_command_prints_help_and_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == ExitCode.USER_ERROR
    captured = capsys.readouterr()
    assert "usage: mlops-factory" in captured.out
    assert captured.err.splitlines()[-2:] == [
        "error: name a command",
        "hint: `mlops-factory assess .` assesses the repository here",
    ]


def test_bad_flag_exits_two() -> None:
    assert main(["assess", "--no-such-flag"]) == ExitCode.USER_ERROR


def _fake(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def run(args: argparse.Namespace) -> int:
        raise exc

    module = types.SimpleNamespace(HELP="x", add_arguments=lambda p: None, run=run)
    original = build_parser

    def patched() -> argparse.ArgumentParser:
        parser = original()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        sub.add_parser("boom").set_defaults(_module=module)
        return parser

    monkeypatch.setattr("mlops_factory._cli.build_parser", patched)


def test_user_error_is_a_sentence_and_a_hint_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake(monkeypatch, FactoryError("the thing is wrong", "do the other thing"))
    assert main(["boom"]) == ExitCode.USER_ERROR
    err = capsys.readouterr().err
    assert err == "error: the thing is wrong\nhint: do the other thing\n"


def test_a_user_error_raised_without_a_hint_points_at_the_command_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake(monkeypatch, FactoryError("the thing is wrong"))
    assert main(["boom"]) == ExitCode.USER_ERROR
    err = capsys.readouterr().err
    assert err == (
        "error: the thing is wrong\n"
        "hint: `mlops-factory boom --help` describes the command's arguments\n"
    )


def test_bug_gets_a_traceback_and_a_request_to_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake(monkeypatch, ZeroDivisionError("oops"))
    assert main(["boom"]) == ExitCode.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "ZeroDivisionError: oops" in err
    assert "This is a bug in mlops-factory" in err and "Please report it" in err


def test_ctrl_c_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake(monkeypatch, KeyboardInterrupt())
    assert main(["boom"]) == ExitCode.INTERRUPTED
    assert capsys.readouterr().err == "\ninterrupted\n"


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from mlops_factory._cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlops_factory", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("mlops-factory ")


@pytest.mark.parametrize(
    ("argv", "error", "hint"),
    [
        (
            ["asess"],
            "error: mlops-factory: argument COMMAND: invalid choice: 'asess'",
            "hint: did you mean assess? (`mlops-factory --help` lists them)",
        ),
        (
            ["assess", "--fromat", "json"],
            "error: mlops-factory assess: unrecognized arguments: --fromat",
            "hint: did you mean --format? (`mlops-factory assess --help` lists the flags)",
        ),
        (
            ["assess", "--format=jsn"],
            "error: mlops-factory assess: argument --format: unknown format 'jsn'",
            "hint: `mlops-factory assess --help` lists the commands and flags",
        ),
        (
            ["model", "check", "m.onnx", "--max-bytse", "1"],
            "error: mlops-factory model check: unrecognized arguments: --max-bytse",
            "hint: did you mean --max-bytes",
        ),
        (
            ["assess", "--zzzzzz"],
            "error: mlops-factory assess: unrecognized arguments: --zzzzzz",
            "hint: `mlops-factory assess --help` lists the flags",
        ),
    ],
)
def test_flag_errors_have_error_and_hint_lines_with_did_you_mean(
    argv: list[str], error: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == ExitCode.USER_ERROR
    lines = capsys.readouterr().err.splitlines()
    assert any(line.startswith(error) for line in lines), lines
    assert any(line.startswith(hint) for line in lines), lines


def test_a_mistyped_format_name_is_suggested(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assess", "--format", "markdwn"]) == ExitCode.USER_ERROR
    err = capsys.readouterr().err
    assert (
        "unknown format 'markdwn' (choose from terminal, json, markdown, sarif, html); "
        "did you mean markdown?"
    ) in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["assess", "--format", "terminal"], "terminal"),
        (["assess", "--format", "md"], "markdown"),
        (["portfolio", "x.json", "--format", "table"], "terminal"),
        (["portfolio", "x.json", "--format", "terminal"], "terminal"),
        (["portfolio", "x.json", "--format", "json"], "json"),
        (["model", "check", "m.onnx", "--format", "text"], "terminal"),
        (["model", "profile", "m.onnx", "--format", "terminal"], "terminal"),
        (["templates", "--format", "table"], "terminal"),
        (["retro", ".", "--format", "markdown"], "markdown"),
    ],
)
def test_one_set_of_format_names_and_the_old_ones_as_aliases(
    argv: list[str], expected: str
) -> None:
    assert build_parser().parse_args(argv).format == expected


def test_a_format_a_command_does_not_write_is_refused() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["portfolio", "x.json", "--format", "sarif"])


def test_format_names_match_the_renderers() -> None:
    from mlops_factory._assess.render import FORMATS
    from mlops_factory._cli._options import FORMATS as CLI_FORMATS

    assert CLI_FORMATS == FORMATS


def test_output_format_follows_the_extension_and_refuses_a_contradiction() -> None:
    from mlops_factory._cli._options import output_format

    names = ("terminal", "json")
    assert output_format(None, "fleet.JSON", names) == "json"
    assert output_format(None, "fleet.md", names) == "terminal"  # not a format this command has
    assert output_format(None, None, names) == "terminal"
    assert output_format("json", "fleet.log", names) == "json"
    with pytest.raises(FactoryError) as info:
        output_format("json", "fleet.md", names)
    assert info.value.hint == "name the file for json: -o fleet.json"
    with pytest.raises(FactoryError) as info:
        output_format("terminal", "out/fleet.json", names)
    assert info.value.hint == (
        "drop --format to write json, or name the file for terminal: -o out/fleet.txt"
    )
