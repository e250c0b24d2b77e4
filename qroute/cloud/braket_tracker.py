"""The Braket SDK's own cost estimate, recorded next to the ledger's actual cost.

``braket.tracking.Tracker.qpu_tasks_cost()`` / ``simulator_tasks_cost()`` price the tasks a
Tracker saw with AWS's public Braket price list (``braket.tracking.pricing``), which the SDK
downloads on first use through urllib3 **without a timeout**. The check therefore never
blocks a solve:

* a price list already loaded in this process (fetched earlier, or pre-seeded) is used as is;
* otherwise it is fetched only when ``settings.live_checks`` is on, once per process, in a
  daemon thread waited for at most ``PRICE_LIST_TIMEOUT_SECONDS`` (a failed or slow download
  is not retried); offline it is skipped, with the reason;
* any error (no product matching the device, a non-USD price) is recorded, never raised.

The ledger's actual cost stays the profile prices applied to the task's usage; this is a
cross-check (``details.tracker_cost_check``, the row's ``extra``), not a price source.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

from pydantic import BaseModel

from qroute.cloud.credentials import safe_error
from qroute.cloud.settings import CloudSettings

__all__ = ["PRICE_LIST_TIMEOUT_SECONDS", "TrackerCostCheck", "tracker_cost_check"]

#: the longest a live solve waits for AWS's price list (the SDK's own fetch has no timeout)
PRICE_LIST_TIMEOUT_SECONDS = 10.0
#: the Tracker's estimate agrees with the ledger within this share (or USD 1e-6)
AGREEMENT = 0.01


class TrackerCostCheck(BaseModel):
    """The Tracker's estimate for one task against the ledger's actual cost."""

    status: Literal["agrees", "differs", "skipped", "unavailable"]
    ledger_usd: float
    tracker_usd: float | None = None
    note: str


def tracker_cost_check(
    tracker: Any, task_arn: str, device_arn: str, ledger_usd: float, settings: CloudSettings
) -> TrackerCostCheck:
    """The Tracker's cost of ``task_arn`` (see the module docstring); never raises."""

    def result(status: Any, note: str, usd: float | None = None) -> TrackerCostCheck:
        return TrackerCostCheck(status=status, ledger_usd=ledger_usd, tracker_usd=usd, note=note)

    if tracker is None or tracker.tracked_resources() != [task_arn]:
        return result("skipped", "the Tracker did not see this task alone")
    reason = _price_list_reason(settings)
    if reason is not None:
        return result(reason[0], reason[1])
    method = "qpu_tasks_cost" if "/qpu/" in device_arn else "simulator_tasks_cost"
    try:
        usd = float(getattr(tracker, method)())
    except Exception as exc:
        return result("unavailable", f"Tracker.{method}() failed: {safe_error(exc)}")
    agrees = abs(usd - ledger_usd) <= max(1e-6, AGREEMENT * ledger_usd)
    note = f"Tracker.{method}() with the AWS price list: USD {usd:.6g}"
    return result("agrees" if agrees else "differs", note, usd)


def _price_list_reason(settings: CloudSettings) -> tuple[str, str] | None:
    """Why the SDK's price list cannot be used now, or None once it is loaded."""
    from braket.tracking import pricing

    # the SDK keeps the list on its module-level Pricing (no public accessor)
    prices = pricing._pricing
    if prices._price_list:
        return None
    if not settings.live_checks:
        return "skipped", "live checks off: the AWS price list is not downloaded"
    global _FETCH
    if _FETCH is None:  # one download per process: a failed or slow one is not retried
        _FETCH = _PriceListFetch(prices)
        _FETCH.worker.join(PRICE_LIST_TIMEOUT_SECONDS)
    if prices._price_list:
        return None
    if _FETCH.worker.is_alive():
        waited = f"{PRICE_LIST_TIMEOUT_SECONDS:g} s"
        return "unavailable", f"the AWS price list did not arrive in {waited}"
    return "unavailable", f"the AWS price list could not be fetched: {_FETCH.failure or 'empty'}"


class _PriceListFetch:
    """The SDK's price-list download in a daemon thread (it has no timeout of its own)."""

    def __init__(self, prices: Any) -> None:
        self.failure: str | None = None
        self._prices = prices
        self.worker = threading.Thread(target=self._run, name="braket-price-list", daemon=True)
        self.worker.start()

    def _run(self) -> None:
        try:
            self._prices.get_prices()
        except Exception as exc:
            self.failure = safe_error(exc)


_FETCH: _PriceListFetch | None = None
