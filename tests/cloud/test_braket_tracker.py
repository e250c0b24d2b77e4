"""The Tracker cross-check of Braket costs, offline: AWS's price list is pre-seeded with a small
table (or its download made to hang), never fetched."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import pytest

from qroute.cloud import CloudSettings, braket_tracker
from qroute.cloud.braket_tracker import tracker_cost_check

from .fakes import GARNET_PRICES, SIMULATOR_PRICES

SV1_ARN = "arn:aws:braket:::device/quantum-simulator/amazon/sv1"
GARNET_ARN = "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet"
TASK = "arn:aws:braket:eu-north-1:123456789012:quantum-task/t-1"


class OneTask:
    """A Tracker that saw one task (the SDK's ``qpu_tasks_cost`` on its own resources)."""

    def __init__(self, arn: str, device: str, shots: int) -> None:
        from braket.tracking import Tracker

        self.tracker = Tracker()
        self.tracker._resources[arn] = {
            "device": device,
            "shots": shots,
            "status": "COMPLETED",
            "job_task": False,
        }


def test_a_qpu_task_is_priced_by_the_tracker_from_the_seeded_price_list(
    settings: CloudSettings, price_list: Any
) -> None:
    fetched = price_list(GARNET_PRICES)
    tracker = OneTask(TASK, GARNET_ARN, 200).tracker
    check = tracker_cost_check(tracker, TASK, GARNET_ARN, 0.30 + 200 * 0.00145, settings)
    assert check.status == "agrees" and fetched == []
    assert check.tracker_usd == pytest.approx(0.30 + 200 * 0.00145)
    higher = tracker_cost_check(tracker, TASK, GARNET_ARN, 0.30 + 200 * 0.002, settings)
    assert higher.status == "differs" and higher.ledger_usd == pytest.approx(0.70)


def test_offline_the_price_list_is_never_downloaded(
    settings: CloudSettings, price_list: Any
) -> None:
    fetched = price_list([])
    tracker = OneTask(TASK, GARNET_ARN, 200).tracker
    check = tracker_cost_check(tracker, TASK, GARNET_ARN, 0.59, settings)
    assert check.status == "skipped" and "live checks off" in check.note
    assert fetched == [] and check.tracker_usd is None


def test_a_hanging_price_list_download_is_abandoned_after_the_timeout(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch, price_list: Any
) -> None:
    from braket.tracking import pricing

    price_list([])
    release = threading.Event()
    monkeypatch.setattr(pricing.Pricing, "get_prices", lambda self: release.wait(30))
    monkeypatch.setattr(braket_tracker, "PRICE_LIST_TIMEOUT_SECONDS", 0.05)
    monkeypatch.setattr(braket_tracker, "_FETCH", None)
    live = dataclasses.replace(settings, live_checks=True)
    start = time.perf_counter()
    tracker = OneTask(TASK, GARNET_ARN, 200).tracker
    check = tracker_cost_check(tracker, TASK, GARNET_ARN, 1, live)
    again = tracker_cost_check(tracker, TASK, GARNET_ARN, 1, live)  # not waited for twice
    release.set()
    assert time.perf_counter() - start < 5
    assert check.status == "unavailable" and "did not arrive in 0.05 s" in check.note
    assert again.status == "unavailable"


def test_a_device_missing_from_the_price_list_is_recorded_not_raised(
    settings: CloudSettings, price_list: Any
) -> None:
    price_list(SIMULATOR_PRICES)  # no Garnet rows
    check = tracker_cost_check(
        OneTask(TASK, GARNET_ARN, 200).tracker, TASK, GARNET_ARN, 1, settings
    )
    assert check.status == "unavailable" and "Found 0 products" in check.note


def test_a_tracker_that_saw_other_tasks_is_not_used(
    settings: CloudSettings, price_list: Any
) -> None:
    price_list(GARNET_PRICES)
    two = OneTask(TASK, GARNET_ARN, 200)
    two.tracker._resources[TASK + "-other"] = dict(two.tracker._resources[TASK])
    check = tracker_cost_check(two.tracker, TASK, GARNET_ARN, 0.59, settings)
    assert check.status == "skipped" and check.tracker_usd is None


def test_with_live_checks_the_price_list_is_downloaded_once_then_used(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch, price_list: Any
) -> None:
    from braket.tracking import pricing

    price_list([])
    downloads: list[bool] = []

    def download(self: Any) -> None:
        downloads.append(True)
        self._price_list = GARNET_PRICES

    monkeypatch.setattr(pricing.Pricing, "get_prices", download)
    monkeypatch.setattr(braket_tracker, "_FETCH", None)
    live = dataclasses.replace(settings, live_checks=True)
    tracker = OneTask(TASK, GARNET_ARN, 200).tracker
    first = tracker_cost_check(tracker, TASK, GARNET_ARN, 0.59, live)
    second = tracker_cost_check(tracker, TASK, GARNET_ARN, 0.59, live)
    assert first.status == second.status == "agrees" and downloads == [True]
