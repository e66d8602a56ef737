"""The public surface: everything in __all__ resolves, is documented, and is cheap to import."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import mlops_factory


@pytest.mark.parametrize("name", mlops_factory.__all__)
def test_export_resolves_and_is_documented(name: str) -> None:
    value = getattr(mlops_factory, name)
    if name == "__version__":
        assert isinstance(value, str)
        return
    assert inspect.getdoc(value), f"{name} has no docstring"


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = mlops_factory.nope  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, mlops_factory\n"
        "heavy = ('rich', 'copier', 'git', 'onnxruntime', 'numpy', 'yaml')\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
