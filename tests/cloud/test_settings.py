"""Cloud settings: UTC-aware time and the run identity (``run_id``, dispatch tags and labels)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qroute.cloud.settings import (
    DISPATCH_TAG,
    RUN_TAG,
    CloudSettings,
    configure,
    folder_run_id,
)


def test_now_is_utc_aware_under_a_new_york_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        now = CloudSettings().now()
        assert now.utcoffset() == timedelta(0)
        assert abs(now.timestamp() - time.time()) < 5
        assert now.hour == time.gmtime(now.timestamp()).tm_hour  # not New York's hour
        pinned = CloudSettings(clock=lambda: datetime(2026, 1, 7, 12, 0)).now()
        assert pinned == datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # naive pinned = UTC
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_run_id_is_the_run_folders_unless_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a = CloudSettings(run_dir=Path("runs/a"))
    assert a.run_id == CloudSettings(run_dir=tmp_path / "runs" / "a").run_id  # same folder
    assert a.run_id == folder_run_id("runs/a") and a.run_id.startswith("run-")
    assert a.run_id != CloudSettings(run_dir=Path("runs/b")).run_id
    given = CloudSettings(run_dir=Path("runs/a"), given_run_id="nightly-2026-01-07-x")
    assert given.run_id == "nightly-2026-01-07-x"
    key = "e6d0bf08f25a69a7987d81e7e03ab56d"
    assert given.dispatch_tags(key) == {RUN_TAG: "nightly-2026-01-07-x", DISPATCH_TAG: key}
    assert given.dispatch_label(key) == f"qroute/nightly-2026-01-07-x/{key}"


def test_qroute_run_id_is_validated_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QROUTE_RUN_ID", "night-7")
    assert CloudSettings.from_env().run_id == "night-7"
    monkeypatch.setenv("QROUTE_RUN_ID", "bad/id")
    with pytest.raises(ValueError) as caught:
        CloudSettings.from_env()
    assert str(caught.value).startswith("$QROUTE_RUN_ID must be 1-128 letters")
    assert "'bad/id'" in str(caught.value)


def test_configure_exports_the_run_id_and_a_new_folder_never_inherits_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = configure(run_dir=tmp_path / "one", run_id="nightly-2026-01-07-one")
    assert first.run_id == "nightly-2026-01-07-one"
    assert os.environ["QROUTE_RUN_ID"] == "nightly-2026-01-07-one"  # worker processes see it
    assert CloudSettings.from_env().run_id == "nightly-2026-01-07-one"
    # the next run folder in this process, without an id: its own, not the exported one
    second = configure(run_dir=tmp_path / "two")
    assert second.run_id == folder_run_id(tmp_path / "two")
    assert "QROUTE_RUN_ID" not in os.environ
    # the first folder configured again without its id: the folder's identity
    assert configure(run_dir=tmp_path / "one").run_id == folder_run_id(tmp_path / "one")
    # an id the user set in the environment is kept for any folder
    monkeypatch.setenv("QROUTE_RUN_ID", "user-run-1")
    assert configure(run_dir=tmp_path / "three").run_id == "user-run-1"


RESERVATION = (
    "arn:aws:braket:us-east-1:123456789012:reservation/a1b2c3d4-0000-4e5f-8a9b-0123456789ab"
)


def test_the_reservation_arn_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert CloudSettings.from_env().reservation_arn is None
    monkeypatch.setenv("QROUTE_BRAKET_RESERVATION_ARN", RESERVATION)
    assert CloudSettings.from_env().reservation_arn == RESERVATION
    assert configure().reservation_arn == RESERVATION
    monkeypatch.setenv("QROUTE_BRAKET_RESERVATION_ARN", "")
    assert CloudSettings.from_env().reservation_arn is None  # empty is unset


@pytest.mark.parametrize(
    "bad",
    [
        "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1",  # a device, not a reservation
        "arn:aws:braket:us-east-1:12345:reservation/r1",  # not a 12-digit account
        "arn:aws:braket::123456789012:reservation/r1",  # no region
        "reservation/r1",
    ],
)
def test_a_malformed_reservation_arn_is_one_line(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("QROUTE_BRAKET_RESERVATION_ARN", bad)
    with pytest.raises(ValueError) as caught:
        CloudSettings.from_env()
    message = str(caught.value)
    assert message.startswith("$QROUTE_BRAKET_RESERVATION_ARN must be a Braket reservation ARN")
    assert repr(bad) in message and "\n" not in message
    with pytest.raises(ValueError, match="must be a Braket reservation ARN"):
        CloudSettings(reservation_arn=bad)
