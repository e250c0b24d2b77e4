"""Shared fixtures: the benchmark data folder (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qroute.model.data import DATA_ENV, data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    folder = data_dir()
    if not (folder / "bks.csv").is_file():
        pytest.skip(f"benchmark data not found at {folder} (set ${DATA_ENV} to its location)")
    return folder
