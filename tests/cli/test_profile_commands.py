"""`qroute profiles refresh` on the command line, with GetDevice answered by botocore's Stubber
(the responses are the test doubles of tests/cloud/braket_device_doubles.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qroute.backends.hardware import PROFILES_ENV, load_profiles
from qroute.cli.app import main
from qroute.cloud import braket_profiles
from tests.cloud.braket_device_doubles import (
    CEPHEUS,
    FORTE_ENTERPRISE,
    cepheus,
    forte_enterprise,
    queue_get_device,
)
from tests.cloud.conftest import AWS_ENV
from tests.cloud.fakes import FAKE_KEY_ID, FAKE_SECRET, FakeBraket


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*AWS_ENV, PROFILES_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


def _stubbed(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeBraket]:
    """Credentials present (fake keys) and GetDevice answered per region by the Stubber."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    fakes = {"us-east-1": FakeBraket("us-east-1"), "us-west-1": FakeBraket("us-west-1")}
    queue_get_device(fakes["us-east-1"], forte_enterprise())
    queue_get_device(fakes["us-west-1"], cepheus())
    monkeypatch.setattr(
        braket_profiles, "default_session", lambda region, settings: fakes[region].session()
    )
    return fakes


def test_refresh_writes_one_profile_per_device(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fakes = _stubbed(monkeypatch)
    out = tmp_path / "profiles"
    code = main(
        [
            "profiles",
            "refresh",
            "--device",
            FORTE_ENTERPRISE,
            "--device",
            CEPHEUS,
            "--out",
            str(out),
        ]
    )
    assert code == 0
    for fake in fakes.values():
        fake.stubber.assert_no_pending_responses()
    written = json.loads(capsys.readouterr().out)["written"]
    assert [(w["id"], w["price_as_of"]) for w in written] == [
        ("ionq-forte-enterprise-1", "2026-11-20"),
        ("rigetti-cepheus-1-108q", "2026-11-18"),
    ]
    profiles = load_profiles(out)
    assert sorted(profiles) == ["ionq-forte-enterprise-1", "rigetti-cepheus-1-108q"]
    assert profiles["rigetti-cepheus-1-108q"].price.per_shot_usd == 0.000425


def test_the_default_folder_is_the_user_profile_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _stubbed(monkeypatch)
    monkeypatch.setenv(PROFILES_ENV, str(tmp_path / "mine"))
    assert main(["profiles", "refresh", "--device", CEPHEUS]) == 0
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["rigetti-cepheus-1-108q.yaml"]


def test_without_a_folder_it_refuses_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "refresh", "--device", CEPHEUS]) == 2
    err = capsys.readouterr().err
    assert err == (
        "qroute: error: give --out DIR or set $QROUTE_HARDWARE_PROFILES: qroute does not write"
        " into its installed profile folder\n"
    )


def test_without_credentials_it_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["profiles", "refresh", "--device", FORTE_ENTERPRISE, "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("qroute: error: cannot call Braket GetDevice: no AWS credentials")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_response_without_a_price_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    fake = FakeBraket("us-west-1")
    queue_get_device(fake, cepheus(cost=None))
    monkeypatch.setattr(braket_profiles, "default_session", lambda region, settings: fake.session())
    code = main(["profiles", "refresh", "--device", CEPHEUS, "--out", str(tmp_path / "out")])
    assert code == 2
    assert "GetDevice has no service.deviceCost" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_bad_arn_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "refresh", "--device", "Forte", "--out", str(tmp_path)]) == 2
    assert "'Forte' is not a Braket QPU ARN" in capsys.readouterr().err
