"""Run-wide cloud settings: run directory (ledger), budgets, spend folder, waits, S3 output.

Backends are built by argument-less factories, so they read the settings current when they
run: :func:`configure` (the CLI calls it from ``--budget-usd`` etc.), else the environment
(``CloudEnvironment``, pydantic-settings):

=================================  ================================================  ==========
variable                           meaning                                           default
=================================  ================================================  ==========
``QROUTE_RUN_DIR``                 run folder; its ``qroute.sqlite`` ledger          runs/cloud
``QROUTE_BUDGET_USD``              most this run may spend (unset: no paid work)     unset
``QROUTE_NIGHTLY_BUDGET_USD``      most one night may spend, across runs             unset
``QROUTE_SPEND_DIR``               folder of the nightly spend store                 ~/.qroute/spend
``QROUTE_CLOUD_WAIT_SECONDS``      how long a solve waits for a cloud answer         600
``QROUTE_BRAKET_S3_BUCKET``        Braket results bucket (unset: the SDK's default)  unset
``QROUTE_BRAKET_S3_PREFIX``        key prefix of the results                         qroute-tasks
``QROUTE_BRAKET_RESERVATION_ARN``  Braket Direct reservation for every Braket task   unset
                                   (``arn:aws:braket:...:reservation/<id>``)
``QROUTE_RUN_ID``                  this run's identity (tags, labels; see below)     from the
                                                                                     run folder
=================================  ================================================  ==========

**Run identity.** ``settings.run_id`` names the run on the services: every Braket task
carries ``settings.dispatch_tags(key)`` and every Leap problem ``settings.dispatch_label(key)``
(run id + ledger key), so a rerun finds the tasks its crashed predecessor created but never
recorded, and never adopts another run's. It is the same whenever the *same* run is rerun
and differs between runs:

* ``qroute solve``: derived from the run folder (``--out``; the ledger lives there too): a
  run *is* its folder, so rerunning with the same ``--out`` resumes it, a fresh folder is a
  fresh run;
* the nightly flow: ``nightly-routing-<night>-<instance>-<digest of the parameters>``, with the
  night from the flow run's scheduled start (noon-to-noon UTC, see ``qroute.cloud.cost``), and
  a run folder named the same way, so a Prefect retry or a rerun of that night resumes it while
  the next night is a new run;
* ``$QROUTE_RUN_ID`` / ``configure(run_id=...)``: set explicitly (letters, digits and
  ``. _ - : = + @``, at most 128 characters).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from qroute.cloud.cost import BudgetGuard
from qroute.cloud.ledger import Ledger
from qroute.model.clock import as_utc

__all__ = [
    "DISPATCH_TAG",
    "EXPORTED_ENV",
    "RUN_TAG",
    "CloudEnvironment",
    "CloudSettings",
    "configure",
    "current_settings",
    "folder_run_id",
    "reset_settings",
    "use_settings",
    "valid_reservation_arn",
    "valid_run_id",
]

#: Braket task tags that name the run and the dispatch (``CloudSettings.dispatch_tags``).
RUN_TAG = "qroute-run"
DISPATCH_TAG = "qroute-dispatch"
# what Braket tag values and Leap labels both take; "/" is left out: it separates run and key
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=+@-]{0,127}$")
#: A Braket Direct reservation (CreateQuantumTask ``associations``, RESERVATION_TIME_WINDOW_ARN).
_RESERVATION_ARN_RE = re.compile(
    r"^arn:aws:braket:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:reservation/[A-Za-z0-9][A-Za-z0-9-]{0,127}$"
)


def valid_run_id(value: str) -> str:
    """``value`` if it can name a run on Braket and Leap, else one ValueError line."""
    if not _RUN_ID_RE.match(value):
        raise ValueError(
            f"$QROUTE_RUN_ID must be 1-128 letters, digits or . _ - : = + @ (starting with a "
            f"letter or digit), got {value!r}"
        )
    return value


def valid_reservation_arn(value: str) -> str:
    """``value`` if it is a Braket reservation ARN, else one ValueError line."""
    if not _RESERVATION_ARN_RE.match(value):
        raise ValueError(
            "$QROUTE_BRAKET_RESERVATION_ARN must be a Braket reservation ARN "
            f"(arn:aws:braket:<region>:<12-digit account>:reservation/<id>), got {value!r}"
        )
    return value


def folder_run_id(run_dir: str | Path) -> str:
    """The run id of a run folder: ``run-`` and a digest of its absolute path."""
    path = str(Path(run_dir).expanduser().resolve())
    return f"run-{hashlib.sha256(path.encode()).hexdigest()[:16]}"


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
    reservation_arn: str | None = Field(
        default=None, validation_alias="QROUTE_BRAKET_RESERVATION_ARN"
    )
    given_run_id: str | None = Field(default=None, validation_alias="QROUTE_RUN_ID")

    @classmethod
    def read(cls) -> CloudEnvironment:
        """The environment now; a malformed value is one ValueError line naming it."""
        try:
            env = cls()
        except ValidationError as exc:
            error = exc.errors()[0]
            name = str(error["loc"][0]) if error.get("loc") else "a QROUTE_* variable"
            kind = "a number of USD / seconds" if error["type"].startswith("float") else "valid"
            raise ValueError(f"${name} must be {kind}, got {error.get('input')!r}") from None
        if env.given_run_id is not None:
            valid_run_id(env.given_run_id)
        if env.reservation_arn is not None:
            valid_reservation_arn(env.reservation_arn)
        return env


@dataclass(frozen=True)
class CloudSettings:
    """The settings every cloud backend reads (see the module docstring)."""

    run_dir: Path = Path("runs/cloud")
    budget_usd: float | None = None
    nightly_budget_usd: float | None = None
    spend_dir: Path = Path("~/.qroute/spend")
    wait_seconds: float = 600.0
    poll_interval_seconds: float = 1.0
    s3_bucket: str | None = None
    s3_prefix: str = "qroute-tasks"
    reservation_arn: str | None = None  # Braket Direct: every Braket task runs in it
    cancel_on_timeout: bool = True
    live_checks: bool = True  # availability() asks Braket for the device's status and windows
    retry_attempts: int = 5  # submissions throttled by the service
    retry_base_seconds: float = 0.5
    clock: Callable[[], datetime] | None = None  # tests pin the time (aware, or naive UTC)
    given_run_id: str | None = None  # $QROUTE_RUN_ID or configure(run_id=...); else the folder's

    def __post_init__(self) -> None:
        if self.reservation_arn is not None:
            valid_reservation_arn(self.reservation_arn)

    @classmethod
    def from_env(cls) -> CloudSettings:
        return cls(**CloudEnvironment.read().model_dump())

    @property
    def run_id(self) -> str:
        """This run's identity on the services: the given one, else the run folder's."""
        return self.given_run_id or folder_run_id(self.run_dir)

    def dispatch_tags(self, key: str) -> dict[str, str]:
        """Braket task tags of the dispatch with ledger key ``key``: run id and key."""
        return {RUN_TAG: self.run_id, DISPATCH_TAG: key}

    def dispatch_label(self, key: str) -> str:
        """The Leap problem label of the dispatch with ledger key ``key``:
        ``qroute/<run id>/<key>`` (what a rerun looks its orphaned problem up by)."""
        return f"qroute/{self.run_id}/{key}"

    def now(self) -> datetime:
        """Now, UTC-aware (a pinned naive clock is taken as UTC)."""
        return as_utc(self.clock()) if self.clock else datetime.now(UTC)

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
    "given_run_id": "QROUTE_RUN_ID",
    "reservation_arn": "QROUTE_BRAKET_RESERVATION_ARN",
}
#: The environment variables :func:`configure` sets (tests clear them afterwards).
EXPORTED_ENV = tuple(_EXPORTED.values())
#: The run id :func:`configure` exported last: a later run folder must not inherit it.
_exported_run_id: str | None = None


def configure(**changes: Any) -> CloudSettings:
    """Set the run's cloud settings; fields left out or None come from the environment.

    ``run_id`` sets the run identity explicitly; without it a new ``run_dir`` brings its own
    (the folder's), never the identity of the previous run. The run folder, run id, budgets,
    spend folder and wait are also exported as ``QROUTE_*`` environment variables for worker
    processes. The budgets stay consistent across processes because the run's spend is read
    from the shared ledger inside a database transaction.
    """
    global _current, _exported_run_id
    base = CloudSettings.from_env()
    for name in ("run_dir", "spend_dir"):
        if changes.get(name) is not None:
            changes[name] = Path(changes[name])
    run_id = changes.pop("run_id", None)
    if run_id is not None:
        changes["given_run_id"] = valid_run_id(str(run_id))
    elif (
        changes.get("run_dir") is not None
        and base.given_run_id is not None
        and base.given_run_id == _exported_run_id
        and Path(changes["run_dir"]) != base.run_dir
    ):
        base = dataclasses.replace(base, given_run_id=None)  # exported for another run folder
    _current = dataclasses.replace(base, **{k: v for k, v in changes.items() if v is not None})
    for name, variable in _EXPORTED.items():
        value = getattr(_current, name)
        if value is not None:
            os.environ[variable] = str(value)
    stale = _exported_run_id is not None and os.environ.get("QROUTE_RUN_ID") == _exported_run_id
    if _current.given_run_id is None and stale:
        del os.environ["QROUTE_RUN_ID"]  # the previous run's id must not reach workers
    _exported_run_id = _current.given_run_id
    return _current


def use_settings(settings: CloudSettings) -> CloudSettings:
    """Make `settings` this process's settings exactly as given, environment ignored: how a
    remote worker (a Dask worker of another process or host) takes the flow's settings,
    which travel with the task payload (its environment never saw the flow's `configure`)."""
    global _current
    _current = settings
    return settings


def current_settings() -> CloudSettings:
    return _current if _current is not None else CloudSettings.from_env()


def reset_settings() -> None:
    global _current
    _current = None
