"""The hostile-repo proof: a repo set up to run code the moment anything executes git or its
hooks, filters, textconv or fsmonitor, with a symlink to a secret outside the repo, a 50 MB
binary, invalid UTF-8, a CI file that does not parse, and a 20-level-deep tree.

First a control test shows the fixture really runs its scripts when git is used
naively. Then git with our safe settings, the snapshot with every registered signal,
the library's ``assess`` and the CLI all finish, report what they could not read, never
leak the secret, and never leave a marker file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import mlops_factory
from mlops_factory._assess._gitfacts import SAFE_ENV, safe_git_args
from mlops_factory._assess.signals import registry, run_signals
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree, git_init

SECRET = "TOP-SECRET-7f3a9c1e"
HOOKS = (
    "pre-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-auto-gc",
    "post-rewrite",
    "reference-transaction",
    "post-index-change",
    "fsmonitor-watchman",
    "sendemail-validate",
)
DRIVERS = ("fsmonitor", "clean", "smudge", "process", "textconv", "diffcmd", "external")
DRIVERS += ("gpg", "pager", "ssh")
DEEP = "/".join(f"d{i}" for i in range(20)) + "/deep.py"
IDENTITY = ["-c", "user.name=T", "-c", "user.email=t@example.com"]


@dataclass(frozen=True)
class Hostile:
    repo: Path
    markers: Path


def _script(path: Path, marker: Path, *, passthrough: bool = False) -> None:
    body = f'#!/bin/sh\ntouch "{marker}"\n' + ("cat\n" if passthrough else "exit 0\n")
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def build_hostile(root: Path) -> Hostile:
    """Build the hostile repo under ``root`` (markers land in ``root/markers``)."""
    markers = root / "markers"
    markers.mkdir(parents=True)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    outside = root / "outside"
    build_tree(
        outside,
        {
            "secret.txt": f"password={SECRET}\n",
            "secret.py": f"import mlflow\nTOKEN = '{SECRET}'\nmlflow.log_metric('{SECRET}', 1)\n",
            "dir/inner.py": f"X = '{SECRET}'\n",
        },
    )
    repo = root / "repo"
    build_tree(
        repo,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/latin1.py": b"# caf\xe9 \xff\xfe not UTF-8\nimport mlflow\n\n"
            b"mlflow.log_metric('acc', 0.9)\n",
            "src/pkg/compiled.py": b"\x00\x01\x02 not text",
            "data/filtered.dat": "payload\n",
            ".gitattributes": "*.dat filter=evil diff=evil\n",
            ".github/workflows/broken.yml": "on: push\njobs: [unclosed\n  - x: {\n",
            "configs/broken.yaml": "apiVersion: v1\nkind: [Service\n",
            DEEP: "import pandas as pd\n\ndf = pd.read_csv('data.csv')\n",
        },
    )
    git_init(repo)
    _forge_signed_head(repo)

    # The hostile configuration goes in only now, so building the fixture ran none of it.
    scripts = {}
    for name in (*DRIVERS, *HOOKS):
        scripts[name] = bin_dir / name
        _script(scripts[name], markers / name, passthrough=name in ("clean", "smudge", "textconv"))
    for hooks_dir in (repo / ".git" / "hooks", repo / ".git" / "evil-hooks"):
        hooks_dir.mkdir(exist_ok=True)
        for hook in HOOKS:
            _script(hooks_dir / hook, markers / hook)
    with (repo / ".git" / "config").open("a") as fh:
        fh.write(
            "[core]\n"
            f"\tfsmonitor = {scripts['fsmonitor']}\n"
            f"\thooksPath = {repo / '.git' / 'evil-hooks'}\n"
            f"\tpager = {scripts['pager']}\n"
            f"\tsshCommand = {scripts['ssh']}\n"
            '[filter "evil"]\n'
            f"\tclean = {scripts['clean']}\n"
            f"\tsmudge = {scripts['smudge']}\n"
            "\trequired = true\n"
            '[diff "evil"]\n'
            f"\ttextconv = {scripts['textconv']}\n"
            f"\tcommand = {scripts['diffcmd']}\n"
            "[diff]\n"
            f"\texternal = {scripts['external']}\n"
            "[log]\n\tshowSignature = true\n"
            f"[gpg]\n\tprogram = {scripts['gpg']}\n"
        )
    (repo / "data" / "filtered.dat").write_text("changed after the commit\n")

    (repo / "leak.txt").symlink_to(outside / "secret.txt")
    (repo / "src" / "pkg" / "leak.py").symlink_to(outside / "secret.py")
    (repo / "outdir").symlink_to(outside / "dir")
    (repo / "loop.py").symlink_to("loop.py")
    os.mkfifo(repo / "pipe.yml")
    big = repo / "notebooks" / "huge.ipynb"
    big.parent.mkdir()
    with big.open("wb") as fh:  # 50 MB, sparse: instant to make
        fh.truncate(50 * 1024 * 1024)
    return Hostile(repo, markers)


def _forge_signed_head(repo: Path) -> None:
    """Give HEAD a (fake) signature, so ``log.showSignature`` makes git call gpg."""
    raw = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "commit", "HEAD"], check=True, capture_output=True
    ).stdout.decode()
    header, _, message = raw.partition("\n\n")
    sig = " -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----"
    forged = f"{header}\ngpgsig{sig}\n\n{message}"
    sha = (
        subprocess.run(
            ["git", "-C", str(repo), "hash-object", "-t", "commit", "-w", "--stdin"],
            input=forged.encode(),
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .strip()
    )
    subprocess.run(["git", "-C", str(repo), "update-ref", "HEAD", sha], check=True)


def markers(h: Hostile) -> list[str]:
    return sorted(p.name for p in h.markers.iterdir())


def git_env(safe: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {**env, **SAFE_ENV} if safe else env


def git_everything(h: Hostile, prefix: list[str], env: dict[str, str]) -> None:
    """Commands that run fsmonitor, filters, textconv, diff drivers, gpg and hooks."""
    for args in (
        ["status"],
        ["diff"],
        ["log", "-1", "-p"],
        ["commit", "-q", "-am", "hostile"],
    ):
        subprocess.run(
            ["git", *IDENTITY, *prefix, "-C", str(h.repo), *args],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )


def test_control_the_fixture_runs_its_scripts_under_plain_git(tmp_path: Path) -> None:
    h = build_hostile(tmp_path)
    assert markers(h) == []
    git_everything(h, [], git_env(safe=False))
    ran = set(markers(h))
    assert {
        "fsmonitor",
        "clean",
        "smudge",
        "textconv",
        "diffcmd",
        "gpg",
        "pre-commit",
        "post-commit",
        "post-index-change",
        "reference-transaction",
    } <= ran


def test_git_with_the_safe_settings_runs_nothing(tmp_path: Path) -> None:
    h = build_hostile(tmp_path)
    git_everything(h, safe_git_args(h.repo / ".git"), git_env(safe=True))
    assert markers(h) == []


def _expected_unreadable(reasons: dict[str, str]) -> None:
    assert reasons["leak.txt"] == "symlink points outside the repository"
    assert reasons["src/pkg/leak.py"] == "symlink points outside the repository"
    assert reasons["outdir"] == "symlink points outside the repository"
    assert reasons["loop.py"] == "broken or looping symlink"
    assert reasons["src/pkg/compiled.py"] == "binary file"
    assert reasons["notebooks/huge.ipynb"].startswith("larger than the read cap")
    assert reasons["configs/broken.yaml"].startswith("invalid YAML: ")
    assert reasons[".github/workflows/broken.yml"].startswith("invalid YAML: ")
    assert "pipe.yml" not in reasons  # never indexed, so never opened


def test_snapshot_and_every_signal_finish_safely(tmp_path: Path) -> None:
    h = build_hostile(tmp_path)
    snap = RepoSnapshot.open(h.repo)
    results = run_signals(snap, sorted(registry()))

    assert markers(h) == []
    assert snap.git is not None and snap.git.commits == 1
    indexed = {f.path for f in snap.files}
    assert DEEP in indexed and "pipe.yml" not in indexed and "leak.txt" not in indexed
    assert {name: r.error for name, r in results.items() if r.error} == {}
    _expected_unreadable({u.path: u.reason for u in snap.unreadable})
    assert len({u.path for u in snap.unreadable}) == len(snap.unreadable)

    tracking = results["experiment_tracking"]
    assert tracking.found
    assert [(e.path, e.line) for e in tracking.evidence] == [("src/pkg/latin1.py", 4)]
    assert [e.path for e in results["data_pipeline"].evidence] == [DEEP]

    seen = json.dumps(
        [
            [e.to_dict() for r in results.values() for e in r.evidence],
            [u.to_dict() for u in snap.unreadable],
            [t for t in snap._text.values() if t],
        ]
    )
    assert SECRET not in seen


def test_assess_reports_what_it_could_not_read(tmp_path: Path) -> None:
    h = build_hostile(tmp_path)
    result = mlops_factory.assess(h.repo)
    assert markers(h) == []
    _expected_unreadable({u.path: u.reason for u in result.repo.unreadable})
    assert result.repo.is_git and result.repo.commits == 1
    assert not [f.criterion.id for f in result.findings if f.outcome.value == "error"]
    assert SECRET not in json.dumps(result.to_dict())


def test_cli_assess_exits_cleanly_on_the_hostile_repo(tmp_path: Path) -> None:
    h = build_hostile(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "mlops_factory", "assess", str(h.repo), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
        cwd=h.repo,
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    paths = {u["path"] for u in report["repo"]["unreadable"]}
    assert {"leak.txt", "notebooks/huge.ipynb", ".github/workflows/broken.yml"} <= paths
    assert SECRET not in out.stdout + out.stderr
    assert markers(h) == []
