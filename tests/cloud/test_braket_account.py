"""Braket spending limits from the nightly budget, and queue refusals (botocore Stubber)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import ANY

from qroute.cloud import CloudSettings
from qroute.cloud.braket_account import (
    nightly_spending_limits,
    queue_refusal,
    spending_period,
)

from .fakes import FakeBraket, profile

GARNET = profile("iqm-garnet").device_arn or ""
SV1 = profile("braket-sv1").device_arn or ""
# the pinned clock of the settings fixture: Wednesday 2026-01-07 12:00, the night of the 7th
START, END = datetime(2026, 1, 7, 12, tzinfo=UTC), datetime(2026, 1, 8, 12, tzinfo=UTC)


def _search(fake: FakeBraket, limits: list[dict[str, Any]]) -> None:
    fake.stubber.add_response(
        "search_spending_limits",
        {"spendingLimits": limits},
        {"filters": [{"name": "deviceArn", "operator": "EQUAL", "values": [GARNET]}]},
    )


def _ours(usd: str) -> dict[str, Any]:
    return {
        "spendingLimitArn": "arn:aws:braket:eu-north-1:123456789012:spending-limit/n1",
        "deviceArn": GARNET,
        "timePeriod": {"startAt": START, "endAt": END},
        "spendingLimit": usd,
        "queuedSpend": "0",
        "totalSpend": "0",
        "createdAt": START,
        "updatedAt": START,
        "tags": {"qroute": "nightly-budget"},
    }


def test_the_nightly_budget_becomes_one_limit_per_qpu_for_tonight(
    settings: CloudSettings,
) -> None:
    nightly = dataclasses.replace(settings, nightly_budget_usd=12.5)
    fake = FakeBraket(region="eu-north-1")
    _search(fake, [])
    fake.stubber.add_response(
        "create_spending_limit",
        {"spendingLimitArn": "arn:aws:braket:eu-north-1:123456789012:spending-limit/n1"},
        {
            "clientToken": ANY,
            "deviceArn": GARNET,
            "spendingLimit": "12.50",
            "timePeriod": {"startAt": START, "endAt": END},
            "tags": {"qroute": "nightly-budget"},
        },
    )
    limits = nightly_spending_limits(nightly, [GARNET, SV1], session_factory=fake.session)
    fake.stubber.assert_no_pending_responses()
    assert [(lim.device_arn, lim.usd, lim.action) for lim in limits] == [
        (GARNET, 12.5, "created")
    ]  # SV1 is a simulator: Braket has no spending limits for it


def test_a_rerun_leaves_the_same_limit_and_a_changed_budget_updates_it(
    settings: CloudSettings,
) -> None:
    fake = FakeBraket(region="eu-north-1")
    _search(fake, [_ours("12.50")])
    _search(fake, [_ours("12.50")])
    fake.stubber.add_response(
        "update_spending_limit",
        {},
        {
            "spendingLimitArn": _ours("0")["spendingLimitArn"],
            "clientToken": ANY,
            "spendingLimit": "20.00",
            "timePeriod": {"startAt": START, "endAt": END},
        },
    )
    same = dataclasses.replace(settings, nightly_budget_usd=12.5)
    more = dataclasses.replace(settings, nightly_budget_usd=20.0)
    assert nightly_spending_limits(same, [GARNET], session_factory=fake.session)[0].action == (
        "unchanged"
    )
    assert nightly_spending_limits(more, [GARNET], session_factory=fake.session)[0].action == (
        "updated"
    )
    fake.stubber.assert_no_pending_responses()


def test_no_nightly_budget_sets_no_limit(settings: CloudSettings) -> None:
    fake = FakeBraket(region="eu-north-1")
    with pytest.raises(ValueError, match="no nightly budget"):
        nightly_spending_limits(settings, [GARNET], session_factory=fake.session)
    assert fake.calls == {}


def test_the_period_is_one_night_noon_to_noon_utc() -> None:
    assert spending_period(datetime(2026, 1, 7).date()) == (START, END)


@pytest.mark.parametrize(
    ("normal", "wait", "refused"),
    [("0", 10.0, False), ("9", 10.0, False), ("11", 10.0, True), (">4000", 3600.0, True)],
)
def test_a_queue_longer_than_the_wait_is_refused(normal: str, wait: float, refused: bool) -> None:
    reason = queue_refusal({"normal": normal, "priority": "0", "jobs": "0"}, wait)
    assert (reason is not None) is refused


def test_an_unknown_queue_depth_is_recorded_and_refuses_nothing() -> None:
    from qroute.cloud.braket_account import queue_depth

    class NoQueueInfo:
        def queue_depth(self) -> None:
            raise TypeError("'NoneType' object is not iterable")

    depth = queue_depth(NoQueueInfo())
    assert depth == {"unavailable": "TypeError: 'NoneType' object is not iterable"}
    assert queue_refusal(depth, 1.0) is None
