"""Run-wide cloud settings: run directory (ledger), budgets, spend folder, waits, S3 output.

Backends are built by argument-less factories, so they read the settings current when they
run: :func:`configure` (the CLI calls it from ``--budget-usd`` etc.), else the environment:

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

from qroute.cloud.cost import BudgetGuard
from qroute.cloud.ledger import Ledger

__all__ = ["CloudSettings", "configure", "current_settings", "reset_settings"]


def _float_env(name: str) -> float | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"${name} must be a number of USD / seconds, got {value!r}") from None


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
        wait = _float_env("QROUTE_CLOUD_WAIT_SECONDS")
        return cls(
            run_dir=Path(os.environ.get("QROUTE_RUN_DIR") or "runs/cloud"),
            budget_usd=_float_env("QROUTE_BUDGET_USD"),
            nightly_budget_usd=_float_env("QROUTE_NIGHTLY_BUDGET_USD"),
            spend_dir=Path(os.environ.get("QROUTE_SPEND_DIR") or "~/.qroute/spend"),
            wait_seconds=600.0 if wait is None else wait,
            s3_bucket=os.environ.get("QROUTE_BRAKET_S3_BUCKET") or None,
            s3_prefix=os.environ.get("QROUTE_BRAKET_S3_PREFIX") or "qroute-tasks",
        )

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
