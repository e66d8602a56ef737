"""The README's quickstart and test tiers say what the Makefile and CI do."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _quickstart() -> str:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return section


def _recipe(target: str) -> str:
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", MAKEFILE, re.MULTILINE)
    assert match, f"no {target} target in the Makefile"
    return match.group(1)


def test_the_quickstart_has_exactly_two_set_up_commands() -> None:
    first_block = _quickstart().split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in first_block.splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]


def test_the_quickstart_says_how_to_run_the_cli_and_what_make_test_costs() -> None:
    quickstart = _quickstart()
    assert ".venv/bin/mlops-factory" in quickstart
    assert "source .venv/bin/activate" in quickstart
    assert re.search(r"make test\s+# .*about \d+ minutes", quickstart)
    assert "checkov" in quickstart and "Azurite" in quickstart
    assert "make test-fast" in quickstart


def test_make_test_runs_in_parallel_and_test_fast_leaves_the_slow_tier_out() -> None:
    assert "-n $(WORKERS)" in MAKEFILE and "WORKERS ?= auto" in MAKEFILE
    # One worker per module: a module fixture (the generated projects) is built once.
    assert "--dist loadscope" in MAKEFILE
    assert "$(PYTEST)" in _recipe("test")
    assert '-m "not slow"' in _recipe("test-fast")
    assert "not slow" not in _recipe("test")


def test_the_slow_marker_is_registered() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_config = config["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in pytest_config["markers"])
    assert "--strict-markers" in pytest_config["addopts"]


def test_ci_installs_from_scratch_and_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "rm -rf .venv .tools" in ci
    assert re.search(r"^make test$", ci, re.MULTILINE)
