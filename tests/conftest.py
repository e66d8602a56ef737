"""Suite-wide pytest settings."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Slow tests share expensive module fixtures (generated projects and their installs):
    # under pytest-xdist's `--dist loadgroup`, each slow module stays on one worker so the
    # fixture is built once instead of once per worker.
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(
                pytest.mark.xdist_group(item.module.__name__ if item.module else "slow")
            )
