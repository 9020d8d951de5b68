"""Shared test set-up: markers that skip only when an optional tool is missing."""

from __future__ import annotations

import pytest

from lstmkit import backend


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("gpu") and not backend.cuda_available():
        pytest.skip(f"needs a usable CUDA device: {backend.cuda_unavailable_reason()}")
