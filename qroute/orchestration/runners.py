"""Where the subproblem tasks run: in-process threads (default) or a Dask cluster.

Settings, first match wins: an explicit address or worker count (CLI flags, flow
parameters), then the environment (QROUTE_DASK_ADDRESS, e.g. tcp://10.0.0.5:8786, for an
existing cluster; QROUTE_DASK_WORKERS=N for a local cluster of N single-threaded worker
processes), else Prefect's default ThreadPoolTaskRunner.
"""

from __future__ import annotations

import os
from typing import Any

DASK_ADDRESS_ENV = "QROUTE_DASK_ADDRESS"
DASK_WORKERS_ENV = "QROUTE_DASK_WORKERS"


def task_runner(dask_address: str | None = None, dask_workers: int | None = None) -> Any | None:
    """A DaskTaskRunner when a cluster is configured, else None (keep the flow's default)."""
    address = dask_address or os.environ.get(DASK_ADDRESS_ENV) or None
    workers = dask_workers if dask_workers is not None else _env_int(DASK_WORKERS_ENV)
    if not address and not workers:
        return None
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )


def describe(runner: Any | None) -> str:
    """A short label for reports: where the subproblem tasks ran."""
    if runner is None:
        return "threads (in-process)"
    address = getattr(runner, "address", None)
    if address:
        return f"dask cluster at {address}"
    workers = (getattr(runner, "cluster_kwargs", None) or {}).get("n_workers")
    return f"local dask cluster ({workers} workers)"


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of workers, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1, got {number}")
    return number
