"""Fixtures: a private template cache per test, and a generated project copied per test
(generating takes the engine a second; copying a few milliseconds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.factory import generate
from tests.scaffold import make_catalog


@pytest.fixture(autouse=True)
def template_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "template-cache"
    monkeypatch.setenv("MLOPS_FACTORY_CACHE", str(folder))
    return folder


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """demo-churn generated once from the tiny catalog (with git), never modified."""
    root = tmp_path_factory.mktemp("demo-source")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLOPS_FACTORY_CACHE", str(root / "template-cache"))
        project, _ = generate(root)
    return project


@pytest.fixture
def demo(tmp_path: Path, demo_source: Path) -> tuple[Path, Path]:
    """(project, catalog): a copy of demo-churn and a fresh tiny catalog it came from."""
    project = tmp_path / "demo-churn"
    shutil.copytree(demo_source, project, symlinks=True)
    return project, make_catalog(tmp_path / "cat")
