"""Shared fixtures: the benchmark data folder (skipped with a reason when absent), and the
backend registry restored after every test (``qroute.cloud.register()`` replaces entries)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from qroute.model.data import DATA_ENV, data_dir

# The commands the tests run start a Prefect API server per command that dies with it; the
# shared server that outlives a command (the default) has its own tests
# (tests/orchestration/test_api_server.py), which leave nothing running.
os.environ.setdefault("QROUTE_PREFECT_SERVER", "per-command")


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


@pytest.fixture(autouse=True)
def _geography_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh geography cache per test: a test that swaps the map data for a fixture must
    not read (or leave) the cut layers of the real data."""
    monkeypatch.setenv("QROUTE_GEOGRAPHY_CACHE", str(tmp_path_factory.mktemp("geography")))
