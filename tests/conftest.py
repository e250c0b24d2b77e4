"""Shared fixtures: the benchmark data folder (skipped with a reason when absent), and the
backend registry restored after every test (``qroute.cloud.register()`` replaces entries)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qroute.model.data import DATA_ENV, data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    folder = data_dir()
    if not (folder / "bks.csv").is_file():
        pytest.skip(f"benchmark data not found at {folder} (set ${DATA_ENV} to its location)")
    return folder


@pytest.fixture(autouse=True)
def _backend_registry() -> Iterator[None]:
    """Each test sees the registry as it found it: a test that registers the cloud backends
    (the ledgered ``dwave-qpu`` replaces the bare one) leaks nothing into the next."""
    from qroute import backends

    saved = dict(backends._FACTORIES)
    yield
    backends._FACTORIES.clear()
    backends._FACTORIES.update(saved)
