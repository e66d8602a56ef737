"""The gap-closing commands are wired and keep `mlops-factory --help` light."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlops_factory._cli import COMMANDS, main

MINE = {"add": "add", "fix": "fix", "update": "update", "check-update": "check_update"}


def test_commands_are_registered() -> None:
    assert {name: COMMANDS[name] for name in MINE} == MINE


@pytest.mark.parametrize("name", sorted(MINE))
def test_help_of_each_command_exits_0(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--help"]) == 0
    assert "Exit codes:" in capsys.readouterr().out


def test_modules_import_no_heavy_library_at_top() -> None:
    code = (
        "import sys\n"
        + "".join(f"import mlops_factory._cli.{m}\n" for m in MINE.values())
        + "heavy = {'rich', 'copier', 'git', 'yaml', 'questionary', 'numpy'} & set(sys.modules)\n"
        + "print(sorted(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_fix_target_is_required_and_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", "."]) == 2
    assert main(["fix", ".", "--target", "5"]) == 2
    assert "--target" in capsys.readouterr().err
