"""`new` killed mid-render leaves nothing behind: no staging folder, no copier clone.

A real ``mlops-factory new`` subprocess is stopped while copier holds a temporary
clone of a template (a ``sitecustomize`` on its path makes the clone wait there).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mlops_factory._scaffold import new_project
from tests.scaffold import make_catalog

_SITECUSTOMIZE = """
import os, time
if os.environ.get("MF_TEST_BLOCK"):
    import copier._template as template
    real = template.clone

    def clone(*args, **kwargs):
        out = real(*args, **kwargs)
        with open(os.path.join(os.environ["MF_TEST_BLOCK"], "cloned"), "w") as fh:
            fh.write(out)
        time.sleep(3600)
        return out

    template.clone = clone
"""

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _start(tmp_path: Path, dest: Path, catalog: Path) -> tuple[subprocess.Popen[str], Path]:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(textwrap.dedent(_SITECUSTOMIZE))
    markers = tmp_path / "markers"
    markers.mkdir(exist_ok=True)
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hook), str(root)]),
        "MF_TEST_BLOCK": str(markers),
        "MLOPS_FACTORY_CACHE": str(tmp_path / "cache"),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "mlops_factory", "new", str(dest), "--catalog", str(catalog)]
    cmd += ["--defaults", "--no-git", "--data", "owner=x"]
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a suite started in the background inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not (markers / "cloned").exists():
        if proc.poll() is not None:
            raise AssertionError(proc.communicate()[1])
        assert time.monotonic() < deadline, "copier never cloned"
        time.sleep(0.1)
    return proc, Path((markers / "cloned").read_text())


def _leftovers(parent: Path, dest: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{dest.name}.")]


@posix
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_term_or_int_removes_staging_and_clones(tmp_path: Path, sig: signal.Signals) -> None:
    catalog = make_catalog(tmp_path / "cat")
    dest = tmp_path / "out" / "proj"
    proc, clone = _start(tmp_path, dest, catalog)
    assert clone.is_dir() and _leftovers(dest.parent, dest)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not dest.exists()
    assert not clone.exists()
    assert not os.path.exists(dest.parent) or not _leftovers(dest.parent, dest)
    assert list((tmp_path / "tmp").iterdir()) == []


@posix
def test_leftovers_of_a_killed_run_are_cleaned_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = make_catalog(tmp_path / "cat")
    dest = tmp_path / "proj"
    proc, clone = _start(tmp_path, dest, catalog)
    proc.kill()
    proc.communicate(timeout=60)
    assert _leftovers(tmp_path, dest) and clone.exists()  # SIGKILL: nothing could run
    monkeypatch.setenv("MLOPS_FACTORY_CACHE", str(tmp_path / "cache"))
    new_project(dest, catalog=catalog, defaults=True, data={"owner": "x"}, interactive=False)
    assert (dest / "README.md").is_file()
    assert _leftovers(tmp_path, dest) == []
    assert not clone.exists()  # it lived inside the staging folder
