"""Isolation for the cloud tests: no real credentials, config files or metadata service."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from qroute.cloud import CloudSettings, reset_settings
from qroute.cloud.settings import EXPORTED_ENV

AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AMZN_BRAKET_OUT_S3_BUCKET",
    "AMZN_BRAKET_TASK_RESULTS_S3_URI",
    "DWAVE_API_TOKEN",
    "DWAVE_CONFIG_FILE",
    "QROUTE_DWAVE_TOKEN_BLOCK",
    "QROUTE_RUN_DIR",
    "QROUTE_BUDGET_USD",
    "QROUTE_NIGHTLY_BUDGET_USD",
    "QROUTE_SPEND_DIR",
    "QROUTE_CLOUD_WAIT_SECONDS",
    "QROUTE_BRAKET_S3_BUCKET",
    "QROUTE_BRAKET_RESERVATION_ARN",
    "QROUTE_RUN_ID",
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-config"))
    reset_settings()
    yield
    reset_settings()
    for name in EXPORTED_ENV:
        os.environ.pop(name, None)  # configure() exports these; never leak them to other tests


@pytest.fixture
def registered() -> Iterator[list[str]]:
    """Register the cloud backends for one test, then restore the registry."""
    import qroute.backends as backends
    from qroute.cloud import register

    saved = dict(backends._FACTORIES)
    try:
        yield register()
    finally:
        backends._FACTORIES.clear()
        backends._FACTORIES.update(saved)


@pytest.fixture
def settings(tmp_path: Path) -> CloudSettings:
    """Settings for a run in tmp_path with a $5 budget, fast polling, a pinned Wednesday noon."""
    return offline_settings(tmp_path)


def offline_settings(tmp_path: Path) -> CloudSettings:
    """The settings of the ``settings`` fixture (also used by tests/backends)."""
    return CloudSettings(
        run_dir=tmp_path / "run",
        budget_usd=5.0,
        nightly_budget_usd=None,
        spend_dir=tmp_path / "spend",
        wait_seconds=5.0,
        poll_interval_seconds=0.01,
        s3_bucket="qroute-test-results",
        live_checks=False,
        retry_base_seconds=0.001,
        clock=lambda: datetime(2026, 1, 7, 12, 0, 0),
    )


@pytest.fixture(autouse=True)
def no_price_list_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS's Braket price list is never downloaded in tests (live checks would ask for it)."""
    from braket.tracking import pricing

    from qroute.cloud import braket_tracker

    def offline(self: Any) -> None:
        raise ConnectionError("no network in tests: the AWS price list is not downloaded")

    monkeypatch.setattr(pricing.Pricing, "get_prices", offline)
    monkeypatch.setattr(braket_tracker, "_FETCH", None)


@pytest.fixture
def price_list(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Seeds the SDK's price list (``seed(rows)``) and fails any download attempt."""
    from braket.tracking import pricing

    fetched: list[bool] = []
    monkeypatch.setattr(pricing._pricing, "_price_list", [])
    monkeypatch.setattr(pricing.Pricing, "get_prices", lambda self: fetched.append(True))

    def seed(rows: list[dict[str, str]]) -> list[bool]:
        monkeypatch.setattr(pricing._pricing, "_price_list", rows)
        return fetched

    pricing.Pricing.price_search.cache_clear()
    yield seed
    pricing.Pricing.price_search.cache_clear()
