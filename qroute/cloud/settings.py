"""Run-wide cloud settings: run directory (ledger), budgets, spend folder, waits, S3 output.

Backends are built by argument-less factories, so they read the settings current when they
run: :func:`configure` (the CLI calls it from ``--budget-usd`` etc.), else the environment
(``CloudEnvironment``, pydantic-settings):

==============================  ===================================================  =========
variable                        meaning                                              default
==============================  ===================================================  =========
``QROUTE_RUN_DIR``              folder of this run; holds ``cloud-ledger.sqlite``     runs/cloud
``QROUTE_BUDGET_USD``           most this run may spend (unset: paid work refused)   unset
``QROUTE_NIGHTLY_BUDGET_USD``   most one night may spend, across runs                unset
``QROUTE_SPEND_DIR``            folder of the nightly spend files                    ~/.qroute/spend
``QROUTE_CLOUD_WAIT_SECONDS``   how long a solve waits for a cloud answer            600
``QROUTE_BRAKET_S3_BUCKET``     Braket results bucket (unset: the SDK's default)     unset
``QROUTE_BRAKET_S3_PREFIX``     key prefix of the results                            qroute-tasks
==============================  ===================================================  =========
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from qroute.cloud.cost import BudgetGuard
from qroute.cloud.ledger import Ledger

__all__ = ["CloudEnvironment", "CloudSettings", "configure", "current_settings", "reset_settings"]


class CloudEnvironment(BaseSettings):
    """The ``QROUTE_*`` environment variables of the table above, read by pydantic-settings
    (empty values count as unset)."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True, frozen=True)

    run_dir: Path = Field(default=Path("runs/cloud"), validation_alias="QROUTE_RUN_DIR")
    budget_usd: float | None = Field(default=None, validation_alias="QROUTE_BUDGET_USD")
    nightly_budget_usd: float | None = Field(
        default=None, validation_alias="QROUTE_NIGHTLY_BUDGET_USD"
    )
    spend_dir: Path = Field(default=Path("~/.qroute/spend"), validation_alias="QROUTE_SPEND_DIR")
    wait_seconds: float = Field(default=600.0, validation_alias="QROUTE_CLOUD_WAIT_SECONDS")
    s3_bucket: str | None = Field(default=None, validation_alias="QROUTE_BRAKET_S3_BUCKET")
    s3_prefix: str = Field(default="qroute-tasks", validation_alias="QROUTE_BRAKET_S3_PREFIX")

    @classmethod
    def read(cls) -> CloudEnvironment:
        """The environment now; a malformed value is one ValueError line naming it."""
        try:
            return cls()
        except ValidationError as exc:
            error = exc.errors()[0]
            name = str(error["loc"][0]) if error.get("loc") else "a QROUTE_* variable"
            kind = "a number of USD / seconds" if error["type"].startswith("float") else "valid"
            raise ValueError(f"${name} must be {kind}, got {error.get('input')!r}") from None


@dataclass(frozen=True)
class CloudSettings:
    run_dir: Path = Path("runs/cloud")
    budget_usd: float | None = None
    nightly_budget_usd: float | None = None
    spend_dir: Path = Path("~/.qroute/spend")
    wait_seconds: float = 600.0
    poll_interval_seconds: float = 1.0
    s3_bucket: str | None = None
    s3_prefix: str = "qroute-tasks"
    cancel_on_timeout: bool = True
    live_checks: bool = True  # availability() asks Braket for the device's status and windows
    retry_attempts: int = 5  # submissions throttled by the service
    retry_base_seconds: float = 0.5
    clock: Callable[[], datetime] | None = None  # tests pin the time

    @classmethod
    def from_env(cls) -> CloudSettings:
        return cls(**CloudEnvironment.read().model_dump())

    def now(self) -> datetime:
        """Now, UTC-aware (a pinned clock may return naive UTC)."""
        return self.clock() if self.clock else datetime.now(UTC)

    def ledger(self) -> Ledger:
        return Ledger.in_run_dir(self.run_dir.expanduser())

    def guard(self) -> BudgetGuard:
        return BudgetGuard(
            ledger=self.ledger(),
            run_budget_usd=self.budget_usd,
            nightly_budget_usd=self.nightly_budget_usd,
            spend_dir=self.spend_dir.expanduser(),
            clock=self.clock,
        )


_current: CloudSettings | None = None


#: Settings exported to the environment by :func:`configure`, so worker processes (a Prefect
#: process or Dask task runner) that build their own backends see the same run and budgets.
_EXPORTED = {
    "run_dir": "QROUTE_RUN_DIR",
    "budget_usd": "QROUTE_BUDGET_USD",
    "nightly_budget_usd": "QROUTE_NIGHTLY_BUDGET_USD",
    "spend_dir": "QROUTE_SPEND_DIR",
    "wait_seconds": "QROUTE_CLOUD_WAIT_SECONDS",
}


def configure(**changes: Any) -> CloudSettings:
    """Set the run's cloud settings; fields left out or None come from the environment.

    The run folder, budgets, spend folder and wait are also exported as ``QROUTE_*``
    environment variables for worker processes. The budgets stay consistent across processes
    because the run's spend is read from the shared ledger inside a database transaction.
    """
    global _current
    base = CloudSettings.from_env()
    for name in ("run_dir", "spend_dir"):
        if changes.get(name) is not None:
            changes[name] = Path(changes[name])
    _current = dataclasses.replace(base, **{k: v for k, v in changes.items() if v is not None})
    for name, variable in _EXPORTED.items():
        value = getattr(_current, name)
        if value is not None:
            os.environ[variable] = str(value)
    return _current


def current_settings() -> CloudSettings:
    return _current if _current is not None else CloudSettings.from_env()


def reset_settings() -> None:
    global _current
    _current = None
