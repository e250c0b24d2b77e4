"""Braket's account-side controls: server-side spending limits and device queues.

* :func:`nightly_spending_limits` (no CLI needed; the nightly flow or the lead's command can
  call it): one Braket spending limit per QPU, set to the nightly budget for the current
  night, so that Braket itself refuses tasks past it even if qroute's own ledger were
  bypassed. ``CreateSpendingLimit`` / ``UpdateSpendingLimit`` through the braket boto3 client
  (botocore ships these operations; simulators do not support spending limits).
* :func:`queue_depth` reads ``AwsDevice.queue_depth()``; :func:`queue_refusal` refuses a
  device whose queue cannot drain within the wait, before anything is paid.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from qroute.cloud.braket_session import TAG_APP, default_session, region_of
from qroute.cloud.cost import NIGHT_ROLLOVER_HOUR, night_of
from qroute.cloud.credentials import safe_error
from qroute.cloud.settings import CloudSettings

__all__ = [
    "MIN_SECONDS_PER_QUEUED_TASK",
    "SpendingLimit",
    "nightly_spending_limits",
    "queue_depth",
    "queue_refusal",
    "set_spending_limit",
    "spending_period",
]

#: A lower bound on how long one queued task holds a QPU (seconds): a queue of N tasks ahead
#: of ours takes at least N times this, so a queue longer than the wait cannot drain in time.
MIN_SECONDS_PER_QUEUED_TASK = 1.0


@dataclass(frozen=True)
class SpendingLimit:
    """A spending limit qroute set (``action``: created, updated or unchanged)."""

    device_arn: str
    limit_arn: str
    usd: float
    start: datetime
    end: datetime
    action: str


def spending_period(night: date) -> tuple[datetime, datetime]:
    """The UTC period of one night of ``qroute.cloud.cost`` (noon to noon)."""
    start = datetime.combine(night, time(NIGHT_ROLLOVER_HOUR), UTC)
    return start, start + timedelta(days=1)


def _limit_usd(value: float) -> str:
    return f"{value:.2f}"


def set_spending_limit(
    client: Any, device_arn: str, usd: float, start: datetime, end: datetime
) -> SpendingLimit:
    """Create the device's spending limit for ``start``-``end``, or update the one qroute set.

    The create's client token is derived from device, period and amount, so a rerun of the
    same night sends the same request (Braket ignores a repeated token).
    """
    period = {"startAt": start, "endAt": end}
    found = client.search_spending_limits(
        filters=[{"name": "deviceArn", "operator": "EQUAL", "values": [device_arn]}]
    ).get("spendingLimits", [])
    ours = [s for s in found if (s.get("tags") or {}).get(TAG_APP) == "nightly-budget"]
    if ours:
        limit = ours[0]
        same = float(limit["spendingLimit"]) == round(usd, 2) and _same_period(
            limit.get("timePeriod") or {}, start, end
        )
        if not same:
            client.update_spending_limit(
                spendingLimitArn=limit["spendingLimitArn"],
                clientToken=str(uuid.uuid4()),
                spendingLimit=_limit_usd(usd),
                timePeriod=period,
            )
        action = "unchanged" if same else "updated"
        return SpendingLimit(device_arn, limit["spendingLimitArn"], usd, start, end, action)
    token = uuid.uuid5(uuid.NAMESPACE_URL, f"{device_arn}|{start.isoformat()}|{usd:.2f}")
    created = client.create_spending_limit(
        clientToken=str(token),
        deviceArn=device_arn,
        spendingLimit=_limit_usd(usd),
        timePeriod=period,
        tags={TAG_APP: "nightly-budget"},
    )
    return SpendingLimit(device_arn, created["spendingLimitArn"], usd, start, end, "created")


def _same_period(period: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    def utc(value: Any) -> datetime | None:
        if not isinstance(value, datetime):
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    return utc(period.get("startAt")) == start and utc(period.get("endAt")) == end


def nightly_spending_limits(
    settings: CloudSettings,
    device_arns: Iterable[str],
    *,
    session_factory: Callable[[str | None], Any] | None = None,
    now: datetime | None = None,
) -> list[SpendingLimit]:
    """Set Braket's server-side limit of each QPU to the nightly budget for tonight.

    Refuses (ValueError) without ``settings.nightly_budget_usd``: a limit is only set when
    asked, from a budget that exists. Each device gets the whole nightly budget (Braket limits
    are per device; qroute's ledger still enforces the total across devices).
    """
    if settings.nightly_budget_usd is None:
        raise ValueError("no nightly budget: set QROUTE_NIGHTLY_BUDGET_USD to set spend limits")
    moment = now or settings.now()
    start, end = spending_period(night_of(moment))
    limits = []
    for arn in device_arns:
        if ":device/quantum-simulator/" in arn:
            continue  # simulators do not support spending limits
        region = region_of(arn)
        session = (
            session_factory(region)
            if session_factory is not None
            else default_session(region, settings)
        )
        limits.append(
            set_spending_limit(
                session.braket_client, arn, float(settings.nightly_budget_usd), start, end
            )
        )
    return limits


def queue_depth(device: Any) -> dict[str, str]:
    """``AwsDevice.queue_depth()`` as plain strings: normal / priority tasks, hybrid jobs
    (Braket shows ``>4000`` / ``>1000`` above its display limits)."""
    try:
        info = device.queue_depth()
    except Exception as exc:  # GetDevice without deviceQueueInfo, or the call failed
        return {"unavailable": safe_error(exc)}
    tasks = {str(getattr(k, "value", k)).lower(): str(v) for k, v in info.quantum_tasks.items()}
    return {**tasks, "jobs": str(info.jobs)}


def queue_refusal(depth: Mapping[str, str], wait_seconds: float) -> str | None:
    """Why a task would not get out of the queue within ``wait_seconds``, or None (also when
    the depth is unknown: the wait itself still bounds the solve)."""
    shown = depth.get("normal")
    if shown is None:
        return None
    ahead = 4001 if shown.startswith(">") else int(shown or 0)
    if ahead * MIN_SECONDS_PER_QUEUED_TASK > wait_seconds:
        return (
            f"{shown} tasks queued ahead: at least {ahead * MIN_SECONDS_PER_QUEUED_TASK:.0f} s, "
            f"longer than the {wait_seconds:g} s wait"
        )
    return None
