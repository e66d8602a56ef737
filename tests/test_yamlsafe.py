"""Deeply nested YAML must be refused before libyaml can overflow the C stack."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlops_factory._assess.rubric import load_rubric
from mlops_factory._errors import FactoryError
from mlops_factory._yamlsafe import nesting_bound, too_deep

DEEP = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"


def test_bound_covers_brackets_and_indentation() -> None:
    assert nesting_bound("a: [[1], {b: [2]}]\n") >= 3
    assert nesting_bound("a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 50))) >= 49
    assert too_deep(DEEP)
    assert not too_deep("jobs:\n  test:\n    steps: [{run: pytest}]\n")


def test_snapshot_yaml_records_a_deep_file_instead_of_crashing(tmp_path: Path) -> None:
    (tmp_path / "deep.yml").write_text(DEEP, encoding="utf-8")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(DEEP, encoding="utf-8")
    # In a child process: should the guard fail, libyaml kills the process (SIGSEGV),
    # which must fail this test rather than the test run.
    code = textwrap.dedent(
        f"""
        from mlops_factory._assess.snapshot import RepoSnapshot
        from mlops_factory._assess.signals import registry, run_signals
        snap = RepoSnapshot.open({str(tmp_path)!r}, with_git=False)
        assert snap.yaml("deep.yml") is None
        run_signals(snap, registry())
        print(sorted({{(u.path, u.reason) for u in snap.unreadable}}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "('deep.yml', 'invalid YAML: nested too deeply')" in proc.stdout
    assert "('.github/workflows/ci.yml', 'invalid YAML: nested too deeply')" in proc.stdout


def test_deep_rubric_is_a_user_error(tmp_path: Path) -> None:
    file = tmp_path / "rubric.yaml"
    file.write_text(DEEP, encoding="utf-8")
    with pytest.raises(FactoryError, match="YAML nested too deeply"):
        load_rubric(file)


def test_parse_and_compose_share_the_bounds_and_the_error() -> None:
    from mlops_factory._yamlsafe import YamlProblem, compose, parse

    assert parse("a: [1, 2]\n") == {"a": [1, 2]}
    assert compose("a: 1\n")[0].value[0][0].value == "a"
    for fn in (parse, compose):
        with pytest.raises(YamlProblem, match="nested too deeply"):
            fn(DEEP)
        with pytest.raises(YamlProblem) as info:
            fn("a: [1\nb: 2\n")
        assert info.value.line is not None


def test_load_file_is_bounded_and_names_the_file(tmp_path: Path) -> None:
    from mlops_factory._yamlsafe import load_file

    (tmp_path / "ok.yml").write_text("\ufeffa: 1\n", encoding="utf-8")
    assert load_file(tmp_path / "ok.yml", kind="answers file", hint="h") == {"a": 1}
    (tmp_path / "big.yml").write_text("a: 1\n" * 100)
    with pytest.raises(FactoryError, match=r"answers file \S+big\.yml: larger than the read cap"):
        load_file(tmp_path / "big.yml", kind="answers file", hint="h", max_bytes=100)
    with pytest.raises(FactoryError, match="is a folder"):
        load_file(tmp_path, kind="answers file", hint="h")
    (tmp_path / "bad.yml").write_bytes(b"a: \xff\n")
    with pytest.raises(FactoryError, match="not UTF-8 text"):
        load_file(tmp_path / "bad.yml", kind="answers file", hint="h")
