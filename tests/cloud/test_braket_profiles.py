"""Hardware profiles made from GetDevice (the responses are test doubles, see
braket_device_doubles.py): every figure traced to its field, refusals instead of guesses."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from qroute.backends.hardware import Window, load_profile, load_profiles
from qroute.cloud import CloudSettings
from qroute.cloud.braket_profiles import (
    DeviceProfileError,
    braket_task_fee,
    get_device_source,
    profile_from_get_device,
    refresh_profiles,
)

from .braket_device_doubles import (
    CEPHEUS,
    FORTE_ENTERPRISE,
    IBEX,
    cepheus,
    forte_enterprise,
    ibex,
    queue_get_device,
)
from .fakes import FakeBraket


def test_the_task_fee_is_the_one_the_shipped_braket_qpu_profiles_state() -> None:
    fee = braket_task_fee()
    assert fee.usd == 0.30
    assert fee.profiles == ("ionq-forte-1", "iqm-emerald", "iqm-garnet", "rigetti-ankaa-3")
    assert "https://aws.amazon.com/braket/pricing/ (2026-11-26)" in fee.read


def test_profiles_that_disagree_on_the_task_fee_are_refused() -> None:
    shipped = load_profiles()
    garnet = shipped["iqm-garnet"]
    dearer = garnet.model_copy(
        update={"price": garnet.price.model_copy(update={"per_task_usd": 0.35})}
    )
    with pytest.raises(DeviceProfileError, match="do not state one per-task fee"):
        braket_task_fee({**shipped, "iqm-garnet": dearer})


def test_forte_enterprise_from_get_device() -> None:
    made = profile_from_get_device(forte_enterprise(), read_on=date(2026, 12, 1))
    p = made.profile
    assert made.filename == "ionq-forte-enterprise-1.yaml"
    assert (p.id, p.name, p.region, p.status) == (
        "ionq-forte-enterprise-1",
        "IonQ Forte Enterprise 1",
        "us-east-1",
        "active",
    )
    assert p.device_arn == FORTE_ENTERPRISE
    assert p.qubits == 36
    assert p.connectivity.kind == "all-to-all"
    assert p.native_gates == ("gpi", "gpi2", "zz")
    assert (p.shots.min, p.shots.max, p.shots.default) == (100, 5000, 100)
    assert p.price.per_task_usd == 0.30
    assert p.price.per_shot_usd == 0.08
    assert p.price.as_of == date(2026, 11, 20)  # service.updatedAt's date
    assert p.price.source == (
        "https://braket.us-east-1.amazonaws.com/device/"
        "arn%3Aaws%3Abraket%3Aus-east-1%3A%3Adevice%2Fqpu%2Fionq%2FForte-Enterprise-1"
    )
    assert p.price.cost_usd(shots=100) == pytest.approx(0.30 + 8.0)
    everyday = Window.from_braket("Everyday", time(0), time(23, 59, 59))
    assert p.availability.windows == (everyday,)
    notes = p.notes or ""
    for said in (
        f"GetDevice {FORTE_ENTERPRISE} on 2026-12-01",
        "service.deviceCost {price: 0.08, unit: shot}",
        "USD 0.30 is not in GetDevice",
        "https://aws.amazon.com/braket/pricing/ (2026-11-26)",
        "36 qubits (paradigm.qubitCount)",
        "shots 100..5000 (service.shotsRange)",
        "shots.default 100 is qroute's choice",
    ):
        assert said in notes


def test_cepheus_counts_the_couplers_of_its_graph_and_keeps_its_windows() -> None:
    p = profile_from_get_device(cepheus()).profile
    assert p.id == "rigetti-cepheus-1-108q"
    assert p.name == "Rigetti Cepheus-1-108Q"
    assert p.region == "us-west-1"
    assert (p.connectivity.kind, p.connectivity.edges) == ("graph", 9 * 11 + 8 * 12)
    assert p.native_gates == ("rx", "rz", "cz", "iswap")
    assert (p.shots.min, p.shots.max, p.shots.default) == (10, 50000, 100)
    assert p.price.per_shot_usd == 0.000425
    assert p.price.as_of == date(2026, 11, 18)
    windows = p.availability.windows
    assert [str(w) for w in windows] == [  # type: ignore[union-attr]
        "Weekdays 09:00-19:00 UTC",
        "Weekend 21:00-05:00 UTC",
    ]
    assert "195 couplers among 108 physical qubits labelled 0..107" in (p.notes or "")


def test_ibex_defaults_inside_a_small_shot_range() -> None:
    p = profile_from_get_device(ibex(shots=(1, 50))).profile
    assert (p.id, p.region, p.qubits) == ("aqt-ibex-q1", "eu-north-1", 12)
    assert (p.shots.min, p.shots.max, p.shots.default) == (1, 50, 50)
    assert p.native_gates == ("r", "rz", "rxx")


def test_a_price_per_task_is_the_whole_price() -> None:
    p = profile_from_get_device(ibex(cost={"price": 1.25, "unit": "task"})).profile
    assert (p.price.per_task_usd, p.price.per_shot_usd) == (1.25, None)


def test_a_retired_device_makes_a_retired_profile() -> None:
    answer = {**forte_enterprise(), "deviceStatus": "RETIRED"}
    assert profile_from_get_device(answer).profile.status == "retired"


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        (forte_enterprise(cost=None), "GetDevice has no service.deviceCost"),
        (forte_enterprise(updated_at=None), "GetDevice has no service.updatedAt"),
        (cepheus(cost={"price": 0.5, "unit": "minute"}), "unit 'minute' is not one qroute bills"),
        (cepheus(graph={}), "neither fully connected nor lists a connectivity graph"),
        (ibex(native=["R", "r"]), "native_gates: Value error, gate names repeat"),
        (ibex(updated_at="2099-01-01T00:00:00Z"), "price.as_of: Value error, 2099-01-01 is in"),
        (
            {**ibex(), "deviceArn": "arn:aws:braket:::device/quantum-simulator/amazon/sv1"},
            "not a Braket QPU ARN",
        ),
    ],
)
def test_a_response_without_what_a_profile_needs_is_refused(
    answer: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(DeviceProfileError, match=refusal.replace("(", r"\(").replace(")", r"\)")):
        profile_from_get_device(answer)


def test_an_annealer_or_analog_device_is_refused() -> None:
    answer = forte_enterprise()
    caps = json.loads(answer["deviceCapabilities"])
    del caps["paradigm"]["nativeGateSet"]
    answer["deviceCapabilities"] = json.dumps(caps)
    with pytest.raises(DeviceProfileError, match="not a gate-model QPU"):
        profile_from_get_device(answer)


def test_refresh_calls_get_device_per_region_and_writes_loadable_files(
    settings: CloudSettings, tmp_path: Path
) -> None:
    regions = ("us-east-1", "us-west-1", "eu-north-1")
    fakes = {region: FakeBraket(region=region) for region in regions}
    queue_get_device(fakes["us-east-1"], forte_enterprise())
    queue_get_device(fakes["us-west-1"], cepheus())
    queue_get_device(fakes["eu-north-1"], ibex())
    out = tmp_path / "profiles"
    written = refresh_profiles(
        [FORTE_ENTERPRISE, CEPHEUS, IBEX],
        out,
        settings,
        session_factory=lambda region: fakes[str(region)].session(),
    )
    for fake in fakes.values():
        fake.stubber.assert_no_pending_responses()
        assert fake.calls == {"GetDevice": 1}
    assert [path.name for _, path in written] == [
        "ionq-forte-enterprise-1.yaml",
        "rigetti-cepheus-1-108q.yaml",
        "aqt-ibex-q1.yaml",
    ]
    loaded = load_profiles(out)  # the loader (file stem = id, YAML rules) takes them as written
    assert loaded == {generated.profile.id: generated.profile for generated, _ in written}
    assert load_profile(out / "aqt-ibex-q1.yaml").price.source == get_device_source(IBEX)


def test_one_refused_device_writes_no_file(settings: CloudSettings, tmp_path: Path) -> None:
    fake = FakeBraket(region="us-east-1")
    queue_get_device(fake, forte_enterprise())
    west = FakeBraket(region="us-west-1")
    queue_get_device(west, cepheus(cost=None))
    fakes = {"us-east-1": fake, "us-west-1": west}
    with pytest.raises(DeviceProfileError, match="no service.deviceCost"):
        refresh_profiles(
            [FORTE_ENTERPRISE, CEPHEUS],
            tmp_path / "out",
            settings,
            session_factory=lambda region: fakes[str(region)].session(),
        )
    assert not (tmp_path / "out").exists()


def test_a_get_device_error_is_one_line(settings: CloudSettings, tmp_path: Path) -> None:
    fake = FakeBraket(region="us-east-1")
    fake.stubber.add_client_error(
        "get_device", service_error_code="ResourceNotFoundException", http_status_code=404
    )
    with pytest.raises(DeviceProfileError, match="GetDevice failed: .*ResourceNotFound") as err:
        refresh_profiles([FORTE_ENTERPRISE], tmp_path, settings, session_factory=fake.session)
    assert "\n" not in str(err.value)


def test_without_credentials_nothing_is_called(settings: CloudSettings, tmp_path: Path) -> None:
    with pytest.raises(
        DeviceProfileError, match="cannot call Braket GetDevice: no AWS credentials"
    ):
        refresh_profiles([FORTE_ENTERPRISE], tmp_path, settings)
