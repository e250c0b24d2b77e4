"""Braket gate devices, offline: botocore Stubber on a real boto3 braket client.

Every GetDevice / CreateQuantumTask / GetQuantumTask / CancelQuantumTask the SDK makes must be
queued in order on the stub, so these tests also pin down exactly what is sent.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, datetime
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from qroute.backends import capacity
from qroute.cloud import CloudSettings
from qroute.cloud.braket import BraketQAOABackend, CloudTaskFailed
from qroute.cloud.braket_session import client_config
from qroute.cloud.cost import SpendFile
from qroute.cloud.gate_device import DeviceRefusal
from qroute.cloud.ledger import Ledger
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.solver import Budget
from qroute.model.subproblem import random_route_tsp
from qroute.qubo.held_karp import held_karp

from .fakes import (
    BUCKET,
    SIMULATOR_PRICES,
    FakeBraket,
    capabilities,
    grid_graph,
    profile,
    result_body,
    tour_rows,
)

SV1 = profile("braket-sv1")
GARNET = profile("iqm-garnet")
SUB = random_route_tsp(3, seed=1)
TOUR = [2, 1, 3]
N = 8  # the k = 3 QUBO has 8 variables (one has no bias and no coupling)


class SimulatedCrash(BaseException):
    """Stands in for the process dying (nothing catches a BaseException subclass)."""


def sv1(fake: FakeBraket, settings: CloudSettings, via: str = "sdk") -> BraketQAOABackend:
    return BraketQAOABackend(
        SV1, via=via, session_factory=fake.session, settings=settings, maxiter=15
    )


def queue_sv1_device(fake: FakeBraket) -> None:
    assert SV1.device_arn is not None
    fake.device(SV1.device_arn, capabilities(simulator=True, shots=(0, 100_000)), simulator=True)


def rows(shots: int = 100) -> list[list[int]]:
    return tour_rows(SUB, TOUR, list(range(N)), list(range(N)), shots)


def only_entry(settings: CloudSettings) -> Any:
    entries = settings.ledger().entries()
    assert len(entries) == 1
    return entries[0]


def test_create_queued_completed_records_arn_answer_and_cost(settings: CloudSettings) -> None:
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn)
    fake.task(arn, SV1.device_arn or "", "QUEUED", times=2)
    fake.completed(arn, SV1.device_arn or "", rows(), list(range(N)), duration_ms=1200)

    result = sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))

    fake.stubber.assert_no_pending_responses()
    assert fake.creates == 1
    assert result.routes == (tuple(TOUR),)
    assert result.cost == pytest.approx(SUB.cost(TOUR))
    prov = result.provenance
    assert prov.device == SV1.device_arn  # the managed simulator, named as such
    assert prov.paradigm == "gate" and prov.shots == 100
    # SV1: 1.2 s measured, billed at the 3 s minimum, USD 0.075 per minute
    assert prov.cost_usd == pytest.approx(0.075 * 3 / 60)
    details = prov.details
    assert details["task_arn"] == arn
    assert details["submitted_via"] == "Braket AwsDevice.run"
    assert (
        "local" in details["angles_optimised_on"] and "not sent" in details["angles_optimised_on"]
    )
    assert details["cost_source"] == "profile prices x braket.tracking.Tracker usage"
    entry = only_entry(settings)
    assert entry.state == "completed" and entry.task_id == arn
    assert entry.actual_usd == pytest.approx(prov.cost_usd)
    # the idempotency token written before the call is the one that was sent
    assert fake.create_params[0]["clientToken"] == entry.client_token
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert spend["total_usd"] == pytest.approx(prov.cost_usd)
    assert spend["entries"][entry.key]["actual"] is True


def test_a_completed_answer_in_the_ledger_is_reused_without_any_call(
    settings: CloudSettings,
) -> None:
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn)
    fake.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    first = sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))

    again = FakeBraket()  # nothing queued: any call would fail
    second = sv1(again, settings).solve(SUB, Budget(seed=1, shots=100))
    assert sum(again.calls.values()) == 0
    assert second.routes == first.routes
    assert second.provenance.details["recovered"] == "ledger"
    assert second.provenance.details["charged_in_this_solve"] is False


def test_failed_task_is_a_recorded_failure_and_is_not_resubmitted(
    settings: CloudSettings,
) -> None:
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn)
    fake.task(arn, SV1.device_arn or "", "FAILED", times=2, failure="circuit too deep")
    with pytest.raises(CloudTaskFailed, match=r"FAILED: circuit too deep"):
        sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))
    fake.stubber.assert_no_pending_responses()
    entry = only_entry(settings)
    assert entry.state == "failed" and entry.actual_usd == 0.0 and entry.task_id == arn

    again = FakeBraket()
    with pytest.raises(CloudTaskFailed, match="recorded failure in the run ledger"):
        sv1(again, settings).solve(SUB, Budget(seed=1, shots=100))
    assert again.creates == 0


def test_cancelled_task_falls_back_with_the_reason_in_provenance(
    settings: CloudSettings,
) -> None:
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn)
    fake.task(arn, SV1.device_arn or "", "CANCELLED", times=2)
    dispatcher = Dispatcher(
        chain=lambda sub, kind: ["braket-sv1", "exact"],
        backends={"braket-sv1": sv1(fake, settings)},
    )
    result = dispatcher.solve(SUB, Budget(seed=1, shots=100))
    prov = result.provenance
    assert prov.backend_requested == "braket-sv1" and prov.backend_used == "exact"
    assert prov.fallback_reason is not None
    assert f"braket-sv1: task {arn} CANCELLED" in prov.fallback_reason
    assert result.cost == pytest.approx(held_karp(SUB)[1])


def test_timeout_cancels_the_queued_task_keeps_its_arn_and_a_rerun_recovers_it(
    settings: CloudSettings,
) -> None:
    fast = dataclasses.replace(settings, wait_seconds=0.0)
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn)
    fake.task(arn, SV1.device_arn or "", "QUEUED", times=2)  # result(), then qroute's check
    fake.cancel(arn)
    with pytest.raises(
        CloudTaskFailed,
        match=r"timed out after 0s waiting for task .*\(status QUEUED\); cancellation requested",
    ):
        sv1(fake, fast).solve(SUB, Budget(seed=1, shots=100))
    fake.stubber.assert_no_pending_responses()
    entry = only_entry(settings)
    assert entry.state == "waiting" and entry.task_id == arn

    # the task ran after all (cancellation came too late): the rerun collects it, no new task
    later = FakeBraket()
    later.completed(arn, SV1.device_arn or "", rows(), list(range(N)), duration_ms=800)
    result = sv1(later, settings).solve(SUB, Budget(seed=1, shots=100))
    assert later.creates == 0
    assert result.provenance.details["recovered"] == "task ARN"
    assert result.routes == (tuple(TOUR),)
    assert only_entry(settings).state == "completed"


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's standard-mode backoff delays, recorded and not slept."""
    from botocore.retries.standard import ExponentialBackoff

    delays: list[float] = []
    original = ExponentialBackoff.delay_amount

    def record(self: ExponentialBackoff, context: Any) -> float:
        delays.append(original(self, context))
        return 0.0

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", record)
    return delays


def retrying(settings: CloudSettings, attempts: int = 3) -> FakeBraket:
    """A fake whose client has qroute's own retry configuration (botocore standard mode)."""
    return FakeBraket(config=client_config(dataclasses.replace(settings, retry_attempts=attempts)))


def test_throttling_is_retried_by_botocore_with_the_same_client_token(
    settings: CloudSettings, backoffs: list[float]
) -> None:
    fake = retrying(settings, attempts=3)
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.http_create(429, code="ThrottlingException")
    fake.http_create(429, code="ThrottlingException")
    fake.http_create(200, arn=arn)
    fake.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    result = sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))
    # one CreateQuantumTask call, three HTTP sends: botocore is the only retry layer
    assert fake.creates == 1 and fake.sends == 3
    assert len(backoffs) == 2 and all(0 <= d <= 2 for d in backoffs)
    assert fake.create_params[0]["clientToken"] == only_entry(settings).client_token
    assert result.provenance.details["task_arn"] == arn
    entry = only_entry(settings)
    assert entry.state == "completed" and entry.task_id == arn


def test_throttling_after_the_last_retry_is_a_rejection_that_a_rerun_retries(
    settings: CloudSettings, backoffs: list[float]
) -> None:
    fake = retrying(settings, attempts=2)
    queue_sv1_device(fake)
    fake.http_create(429, code="ThrottlingException")
    fake.http_create(429, code="ThrottlingException")
    with pytest.raises(CloudTaskFailed, match=r"kept throttling after 2 attempts"):
        sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))
    assert fake.sends == 2 and len(backoffs) == 1  # bounded: no third send
    entry = only_entry(settings)
    assert entry.state == "rejected" and entry.spend_usd == 0.0

    # the rerun looks for a task of the rejected row first (none), then submits once
    rerun = FakeBraket()
    arn = rerun.task_arn()
    rerun.search(SV1.device_arn or "")
    queue_sv1_device(rerun)
    rerun.create(arn)
    rerun.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    sv1(rerun, settings).solve(SUB, Budget(seed=1, shots=100))
    rerun.stubber.assert_no_pending_responses()
    entry = only_entry(settings)
    assert entry.state == "completed" and entry.attempts == 2 and rerun.creates == 1


def test_5xx_after_the_last_retry_keeps_the_row_reserved_and_the_rerun_adopts_the_task(
    settings: CloudSettings, backoffs: list[float]
) -> None:
    fake = retrying(settings, attempts=3)
    queue_sv1_device(fake)
    for _ in range(3):
        fake.http_create(500, code="InternalServiceException")
    with pytest.raises(CloudTaskFailed, match=r"did not confirm the task after 3 attempts"):
        sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))
    assert fake.sends == 3
    entry = only_entry(settings)
    assert entry.state == "reserved" and entry.spend_usd == entry.estimate_usd > 0
    assert entry.extra["submission_error"] == "InternalServiceException (HTTP 500)"

    # the service had made the task after all: found by its tags, no second CreateQuantumTask
    rerun = FakeBraket()
    arn = rerun.task_arn()
    other_night = {**entry.extra["tags"], "qroute-run": "dir-lastnight"}
    rerun.search(
        SV1.device_arn or "", [(rerun.task_arn(), other_night), (arn, entry.extra["tags"])]
    )
    rerun.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    result = sv1(rerun, settings).solve(SUB, Budget(seed=1, shots=100))
    assert rerun.creates == 0 and fake.creates == 1
    assert result.provenance.details["task_arn"] == arn
    done = only_entry(settings)
    assert done.state == "completed" and done.extra["found_by_label"] is True
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert list(spend["entries"]) == [done.key]  # counted once


def test_a_validation_error_is_a_rejection_naming_the_code(settings: CloudSettings) -> None:
    fake = FakeBraket()
    queue_sv1_device(fake)
    fake.create_error("ValidationException", "shots out of range")
    with pytest.raises(CloudTaskFailed, match="ValidationException.*shots out of range"):
        sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))
    assert only_entry(settings).state == "rejected"


def test_crash_after_the_arn_is_recorded_recovers_by_arn_without_a_second_task(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn)
    original = Ledger.mark_submitted

    def crash(self: Ledger, key: str, task_id: str, **extra: Any) -> None:
        original(self, key, task_id, **extra)
        raise SimulatedCrash

    monkeypatch.setattr(Ledger, "mark_submitted", crash)
    with pytest.raises(SimulatedCrash):
        sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))
    monkeypatch.setattr(Ledger, "mark_submitted", original)
    entry = only_entry(settings)
    assert entry.state == "submitted" and entry.task_id == arn

    restarted = FakeBraket()
    restarted.completed(arn, SV1.device_arn or "", rows(), list(range(N)), duration_ms=500)
    result = sv1(restarted, settings).solve(SUB, Budget(seed=1, shots=100))
    assert fake.creates + restarted.creates == 1
    assert restarted.calls == {"GetQuantumTask": 2}  # AwsQuantumTask(arn).result()
    assert result.provenance.details["recovered"] == "task ARN"
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert list(spend["entries"]) == [entry.key]  # counted once, estimate replaced by actual
    assert spend["entries"][entry.key]["actual"] is True


def test_connection_lost_during_create_resends_the_same_token_on_rerun(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from braket.aws import AwsSession

    fake = FakeBraket()
    queue_sv1_device(fake)

    sent: list[dict[str, Any]] = []

    def lost(self: AwsSession, **request: Any) -> str:
        sent.append(request)
        raise EndpointConnectionError(endpoint_url="https://braket.us-east-1.amazonaws.com")

    with monkeypatch.context() as patch:
        patch.setattr(AwsSession, "create_quantum_task", lost)
        with pytest.raises(CloudTaskFailed, match="EndpointConnectionError"):
            sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))
    entry = only_entry(settings)
    assert entry.state == "reserved" and entry.client_token

    # Braket's idempotency: the same client token returns the task made by the lost request
    rerun = FakeBraket()
    arn = rerun.task_arn()
    rerun.search(SV1.device_arn or "")  # the tags find no task of this row
    queue_sv1_device(rerun)
    rerun.create(arn, token=entry.client_token)
    rerun.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    sv1(rerun, settings).solve(SUB, Budget(seed=1, shots=100))
    rerun.stubber.assert_no_pending_responses()
    # the very same request: same program, shots and results prefix
    again = rerun.create_params[0]
    assert [again[k] for k in ("action", "shots", "outputS3KeyPrefix")] == [
        sent[0][k] for k in ("action", "shots", "outputS3KeyPrefix")
    ]
    done = only_entry(settings)
    assert done.state == "completed" and done.extra["resumed_after_crash"] is True


def answer_on_the_placed_qubits(
    fake: FakeBraket, arn: str, device_arn: str, settings: CloudSettings, shots: int = 200
) -> None:
    """results.json with the tour measured on the physical qubits the ledger row records."""

    def body() -> str:
        mapping = only_entry(settings).extra["placement"]["mapping"]
        measured = sorted(mapping)
        rows = tour_rows(SUB, TOUR, mapping, measured, shots)
        return result_body(arn, device_arn, rows, measured)

    fake.s3[(BUCKET, fake.result_key(arn))] = body


def garnet(fake: FakeBraket, settings: CloudSettings) -> BraketQAOABackend:
    return BraketQAOABackend(GARNET, session_factory=fake.session, settings=settings, maxiter=15)


def solve_on_garnet(
    settings: CloudSettings, graph: dict[str, list[str]], **caps: Any
) -> tuple[FakeBraket, Any]:
    """Solve SUB (200 shots) on an IQM Garnet double with connectivity ``graph`` and the gates
    h rx rz cz, inside its Wednesday window; the answer is the tour on the placed qubits."""
    in_window = dataclasses.replace(settings, clock=lambda: datetime(2026, 1, 7, 9, 0))
    fake = FakeBraket(region="eu-north-1")
    arn = fake.task_arn()
    device_arn = GARNET.device_arn or ""
    capabilities_doc = capabilities(
        qubits=20,
        ops=["h", "rx", "rz", "cz"],
        native=["cz", "prx"],
        graph=graph,
        shots=(1, 20_000),
        windows=[("Wednesday", "08:00", "10:00")],
        **caps,
    )
    fake.device(device_arn, capabilities_doc)
    fake.create(arn)
    fake.task(arn, device_arn, "COMPLETED", shots=200, times=2)
    answer_on_the_placed_qubits(fake, arn, device_arn, settings)
    return fake, garnet(fake, in_window).solve(SUB, Budget(seed=1, shots=200))


def test_square_lattice_qpu_gets_a_placed_and_lowered_circuit(settings: CloudSettings) -> None:
    fake, result = solve_on_garnet(settings, grid_graph(4, 5))  # ops: h rx rz cz only

    request = fake.create_params[0]
    program = json.loads(request["action"])["source"]
    # the couplings do not all sit on one region's edges: qiskit routes the circuit onto the
    # lattice, and exactly these physical qubits run (rewiring disabled)
    assert '"disableQubitRewiring": true' in request["deviceParameters"]
    assert "zz(" not in program and "qubit[" not in program
    edges = {tuple(sorted((int(a), int(b)))) for a, bs in grid_graph(4, 5).items() for b in bs}
    pairs = [tuple(sorted(map(int, p))) for p in re.findall(r"cz \$(\d+), \$(\d+);", program)]
    assert pairs and all(pair in edges for pair in pairs)
    placement = result.provenance.details["placement"]
    assert placement["fully_connected"] is False
    assert placement["disable_qubit_rewiring"] is True
    assert placement["placed_by"].startswith("qiskit transpiler")
    assert all(1 <= q <= 20 for q in placement["mapping"])  # IQM numbers qubits from 1
    assert placement["two_qubit_gates"]["after_routing"] == len(pairs)
    # the fake's capabilities carry no calibration data: no emulator, and the row says why
    assert result.provenance.details["emulator_check"].startswith(
        "skipped: the device offers no emulator"
    )
    assert result.routes == (tuple(TOUR),)
    # IQM Garnet: USD 0.30 per task + 0.00145 per shot
    assert result.provenance.cost_usd == pytest.approx(0.30 + 200 * 0.00145)


def clique_on_the_last_qubits(qubits: int = 20, size: int = N) -> dict[str, list[str]]:
    """A chain 1..qubits whose last ``size`` qubits (IQM numbering, from 1) are all coupled."""
    graph = {str(q): [str(q + 1)] for q in range(1, qubits)}
    graph[str(qubits)] = []
    top = list(range(qubits - size + 1, qubits + 1))
    for i, a in enumerate(top):
        graph[str(a)] = sorted({*graph[str(a)], *(str(b) for b in top[i + 1 :])}, key=int)
    return graph


def test_pinned_placement_is_what_the_request_carries(settings: CloudSettings) -> None:
    fake, result = solve_on_garnet(settings, clique_on_the_last_qubits())

    request = fake.create_params[0]
    placement = result.provenance.details["placement"]
    assert placement["disable_qubit_rewiring"] is True
    assert placement["placed_by"].startswith("qroute: these physical qubits ran")
    assert sorted(placement["mapping"]) == list(range(13, 21))  # includes the last qubit, 20
    assert placement["adjacent"] == placement["couplings"]
    # the request: rewiring disabled, physical qubits ($k), no register with gaps or a qubit 0
    assert '"disableQubitRewiring": true' in request["deviceParameters"]
    program = json.loads(request["action"])["source"]
    assert "qubit[" not in program and "q[" not in program
    used = {int(q) for q in re.findall(r"\$(\d+)", program)}
    assert used == set(placement["mapping"])
    assert result.routes == (tuple(TOUR),)


def test_offline_device_is_refused_before_anything_is_sent(settings: CloudSettings) -> None:
    fake = FakeBraket()
    assert SV1.device_arn is not None
    fake.device(SV1.device_arn, capabilities(simulator=True), status="OFFLINE", simulator=True)
    result = Dispatcher(
        chain=lambda sub, kind: ["braket-sv1", "exact"],
        backends={"braket-sv1": sv1(fake, settings)},
    ).solve(SUB, Budget(seed=1, shots=100))
    assert fake.creates == 0
    assert result.provenance.fallback_reason == "braket-sv1: sv1 is OFFLINE (needs ONLINE)"
    assert settings.ledger().entries() == []


def test_closed_window_device_is_unavailable_with_the_reason(settings: CloudSettings) -> None:
    # Wednesday noon is outside Garnet's Mon-Wed 08:00-10:00 window (hardware profile)
    backend = garnet(FakeBraket(region="eu-north-1"), settings)
    status = backend.availability()
    assert not status.available
    assert "outside its execution windows at Wed 12:00 UTC" in status.reason


def test_live_check_reports_an_offline_device(settings: CloudSettings) -> None:
    fake = FakeBraket()
    assert SV1.device_arn is not None
    fake.device(SV1.device_arn, capabilities(simulator=True), status="OFFLINE", simulator=True)
    backend = sv1(fake, dataclasses.replace(settings, live_checks=True))
    assert backend.availability().reason == "sv1 is OFFLINE"
    assert backend.availability().reason == "sv1 is OFFLINE"  # cached: one GetDevice
    assert fake.calls == {"GetDevice": 1}


def test_without_credentials_every_braket_backend_says_why(settings: CloudSettings) -> None:
    for profile_id in ("braket-sv1", "ionq-forte-1", "iqm-emerald"):
        status = BraketQAOABackend(profile(profile_id), settings=settings).availability()
        assert not status.available
        assert status.reason.startswith("no AWS credentials (boto3 found none")


def test_retired_devices_are_unavailable(settings: CloudSettings) -> None:
    status = BraketQAOABackend(profile("rigetti-ankaa-3"), settings=settings).availability()
    assert status.reason == "Rigetti Ankaa-3 is retired (hardware profile rigetti-ankaa-3)"


def test_pennylane_path_records_the_arn_and_samples_on_the_device(
    settings: CloudSettings,
) -> None:
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)  # qroute's checks
    queue_sv1_device(fake)  # the plugin's own AwsDevice
    fake.create(arn)
    fake.completed(arn, SV1.device_arn or "", rows(), list(range(N)), duration_ms=900)
    fake.task(arn, SV1.device_arn or "", "COMPLETED")  # qroute reads the final status
    result = sv1(fake, settings, via="pennylane").solve(SUB, Budget(seed=1, shots=100))
    fake.stubber.assert_no_pending_responses()
    assert fake.creates == 1
    assert fake.create_params[0]["clientToken"] == only_entry(settings).client_token
    details = result.provenance.details
    assert details["submitted_via"] == "PennyLane braket.aws.qubit"
    assert details["task_arn"] == arn
    assert result.routes == (tuple(TOUR),)
    assert only_entry(settings).extra["via"] == "pennylane"


def test_estimates_use_profile_prices_and_shot_limits(settings: CloudSettings) -> None:
    ionq = BraketQAOABackend(profile("ionq-forte-1"), settings=settings)
    estimate = ionq.estimate(SUB, Budget(shots=10))  # below IonQ's 100-shot minimum
    assert estimate.shots == 100
    assert estimate.usd == pytest.approx(0.30 + 100 * 0.08)
    assert estimate.basis == "1 task x $0.30 + 100 shots x $0.08"
    assert ionq.max_variables == 16 and capacity(ionq) == 4


def test_pennylane_path_timeout_is_a_recorded_failure_with_the_arn_kept(
    settings: CloudSettings,
) -> None:
    fast = dataclasses.replace(settings, wait_seconds=0.0)
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    queue_sv1_device(fake)
    fake.create(arn)
    fake.task(arn, SV1.device_arn or "", "QUEUED", times=3)  # plugin's result(), state, check
    fake.cancel(arn)
    with pytest.raises(CloudTaskFailed, match=r"timed out .*\(status QUEUED\)"):
        sv1(fake, fast, via="pennylane").solve(SUB, Budget(seed=1, shots=100))
    fake.stubber.assert_no_pending_responses()
    entry = only_entry(settings)
    assert entry.state == "waiting" and entry.task_id == arn


def test_two_concurrent_pennylane_solves_keep_their_own_task_arns(
    settings: CloudSettings,
) -> None:
    """Solve A's CreateQuantumTask waits until solve B's task exists on the same device: the
    SDK's process-wide creation events would hand A B's ARN; the submission hook does not."""
    import threading

    second = random_route_tsp(3, seed=2)
    tours = {SUB.name: TOUR, second.name: [1, 2, 3]}
    fakes = {SUB.name: FakeBraket(), second.name: FakeBraket()}
    arns = {name: fake.task_arn() for name, fake in fakes.items()}
    for (name, fake), sub in zip(fakes.items(), (SUB, second), strict=True):
        queue_sv1_device(fake)
        queue_sv1_device(fake)
        fake.create(arns[name])
        shots = tour_rows(sub, tours[name], list(range(N)), list(range(N)), 100)
        fake.completed(arns[name], SV1.device_arn or "", shots, list(range(N)))
        fake.task(arns[name], SV1.device_arn or "", "COMPLETED")
    b_created = threading.Event()
    fakes[second.name].client.meta.events.register(
        "after-call.braket.CreateQuantumTask", lambda **_: b_created.set()
    )
    fakes[SUB.name].client.meta.events.register(
        "before-call.braket.CreateQuantumTask", lambda **_: b_created.wait(30) and None
    )
    results: dict[str, Any] = {}

    def solve(sub: Any) -> None:
        backend = sv1(fakes[sub.name], settings, via="pennylane")
        results[sub.name] = backend.solve(sub, Budget(seed=1, shots=100))

    threads = [threading.Thread(target=solve, args=(sub,)) for sub in (SUB, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(results) == {SUB.name, second.name}
    by_label = {entry.subproblem: entry for entry in settings.ledger().entries()}
    assert len(by_label) == 2
    for name, result in results.items():
        assert result.provenance.details["task_arn"] == arns[name]
        assert result.routes == (tuple(tours[name]),)
    assert sorted(str(entry.task_id) for entry in by_label.values()) == sorted(arns.values())
    assert all(fake.creates == 1 for fake in fakes.values())


def test_a_rejected_row_with_a_task_after_all_is_adopted_and_counted_once(
    settings: CloudSettings,
) -> None:
    fake = FakeBraket()
    queue_sv1_device(fake)
    fake.create_error("ValidationException", "shots out of range")
    with pytest.raises(CloudTaskFailed):
        sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))
    rejected = only_entry(settings)
    assert rejected.state == "rejected" and rejected.spend_usd == 0.0

    rerun = FakeBraket()
    arn = rerun.task_arn()
    rerun.search(SV1.device_arn or "", [(arn, rejected.extra["tags"])])
    rerun.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    result = sv1(rerun, settings).solve(SUB, Budget(seed=1, shots=100))
    rerun.stubber.assert_no_pending_responses()
    assert rerun.creates == 0
    assert result.provenance.details["task_arn"] == arn
    entry = only_entry(settings)
    assert entry.state == "completed" and entry.task_id == arn
    # found by its tags: here by the backend, or by the ledger state machine where it searches
    # rejected rows itself (it records found_by_label)
    assert entry.extra.get("found_by_tags") or entry.extra.get("found_by_label")
    assert entry.client_token == rejected.client_token
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert list(spend["entries"]) == [entry.key]
    assert spend["total_usd"] == pytest.approx(entry.actual_usd)


def test_a_reservation_arn_goes_with_the_task(settings: CloudSettings) -> None:
    reservation = "arn:aws:braket:us-east-1:123456789012:reservation/qroute-test"
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn, reservation=True)
    fake.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    backend = BraketQAOABackend(
        SV1,
        session_factory=fake.session,
        settings=settings,
        maxiter=15,
        reservation_arn=reservation,
    )
    backend.solve(SUB, Budget(seed=1, shots=100))
    assert fake.create_params[0]["associations"] == [
        {"arn": reservation, "type": "RESERVATION_TIME_WINDOW_ARN"}
    ]
    assert only_entry(settings).extra["reservation_arn"] == reservation


def test_the_settings_reservation_arn_goes_with_every_task(settings: CloudSettings) -> None:
    reservation = "arn:aws:braket:us-east-1:123456789012:reservation/qroute-settings"
    reserved = dataclasses.replace(settings, reservation_arn=reservation)
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn, reservation=True)
    fake.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    backend = BraketQAOABackend(SV1, session_factory=fake.session, settings=reserved, maxiter=15)
    assert backend.reservation_arn == reservation
    backend.solve(SUB, Budget(seed=1, shots=100))
    assert fake.create_params[0]["associations"] == [
        {"arn": reservation, "type": "RESERVATION_TIME_WINDOW_ARN"}
    ]
    assert only_entry(reserved).extra["reservation_arn"] == reservation


def test_tasks_are_tagged_with_the_run_and_the_ledger_key(settings: CloudSettings) -> None:
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn)
    fake.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))
    entry = only_entry(settings)
    tags = fake.create_params[0]["tags"]
    assert tags == entry.extra["tags"]
    assert tags["qroute-dispatch"] == entry.key
    assert tags["qroute-run"] == settings.run_id
    other_run = dataclasses.replace(settings, run_dir=settings.run_dir.parent / "next-night")
    assert other_run.run_id != tags["qroute-run"]


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The process runs in America/New_York (UTC-5 in January)."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_braket_times_are_utc_aware_whatever_the_machine_time_zone(
    settings: CloudSettings, new_york: Any
) -> None:
    from datetime import UTC, timedelta, timezone

    eastern = timezone(timedelta(hours=-5))
    fake = FakeBraket(region="eu-north-1")
    # 04:30 in New York is 09:30 UTC: inside Garnet's Wednesday 08:00-10:00 UTC window
    early = dataclasses.replace(settings, clock=lambda: datetime(2026, 1, 7, 4, 30, tzinfo=eastern))
    backend = garnet(fake, early)
    assert backend._utcnow() == datetime(2026, 1, 7, 9, 30, tzinfo=UTC)
    assert backend.availability().available
    # 09:30 in New York is 14:30 UTC: closed, and the reason names the UTC time
    late = dataclasses.replace(settings, clock=lambda: datetime(2026, 1, 7, 9, 30, tzinfo=eastern))
    status = garnet(fake, late).availability()
    assert not status.available and "at Wed 14:30 UTC" in status.reason
    # the real clock: aware UTC, not the naive local time of the machine
    now = garnet(fake, dataclasses.replace(settings, clock=None))._utcnow()
    assert now.tzinfo is UTC
    assert abs((now - datetime.now(UTC)).total_seconds()) < 60


def test_live_checks_record_the_queue_depth_and_the_task_queue_position(
    settings: CloudSettings,
) -> None:
    live = dataclasses.replace(settings, live_checks=True)
    fake = FakeBraket()
    arn = fake.task_arn()
    caps = capabilities(simulator=True, shots=(0, 100_000))
    fake.device(SV1.device_arn or "", caps, simulator=True)  # AwsDevice(arn)
    fake.device(SV1.device_arn or "", caps, simulator=True, queue=("3", "1"))  # queue_depth()
    fake.create(arn)
    fake.task(arn, SV1.device_arn or "", "QUEUED", position="2")  # queue_position()
    fake.completed(arn, SV1.device_arn or "", rows(), list(range(N)))
    result = sv1(fake, live).solve(SUB, Budget(seed=1, shots=100))
    fake.stubber.assert_no_pending_responses()
    details = result.provenance.details
    assert details["queue_depth"] == {"normal": "3", "priority": "1", "jobs": "0"}
    assert details["queue_position"] == {"queue": "Normal", "position": "2"}
    assert details["emulator_check"] == "skipped: managed simulators have no emulator"
    # the price list cannot be downloaded here: recorded, and the solve went on
    tracked = details["tracker_cost_check"]
    assert tracked["status"] == "unavailable" and "no network in tests" in tracked["note"]


def test_a_queue_that_cannot_drain_within_the_wait_is_refused_before_paying(
    settings: CloudSettings,
) -> None:
    live = dataclasses.replace(settings, live_checks=True, wait_seconds=60.0)
    fake = FakeBraket()
    caps = capabilities(simulator=True, shots=(0, 100_000))
    fake.device(SV1.device_arn or "", caps, simulator=True)
    fake.device(SV1.device_arn or "", caps, simulator=True, queue=(">4000", "0"))
    with pytest.raises(DeviceRefusal, match=r">4000 tasks queued ahead.*longer than the 60 s"):
        sv1(fake, live).solve(SUB, Budget(seed=1, shots=100))
    assert fake.creates == 0 and settings.ledger().entries() == []


def test_the_device_emulator_refuses_a_circuit_before_anything_is_paid(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from braket.aws import AwsDevice

    class Strict:
        def validate(self, circuit: Any) -> None:
            raise ValueError("qubit 7 is not connected to qubit 3")

    monkeypatch.setattr(AwsDevice, "emulator", lambda self: Strict())
    in_window = dataclasses.replace(settings, clock=lambda: datetime(2026, 1, 7, 9, 0))
    fake = FakeBraket(region="eu-north-1")
    caps = capabilities(qubits=20, ops=["h", "rx", "rz", "cz"], graph=grid_graph(4, 5))
    fake.device(GARNET.device_arn or "", caps)
    with pytest.raises(DeviceRefusal, match="emulator rejects the circuit before paying"):
        garnet(fake, in_window).solve(SUB, Budget(seed=1, shots=200))
    assert fake.creates == 0 and settings.ledger().entries() == []


@pytest.mark.parametrize(
    ("device_price", "charged", "check"),
    [
        (0.00145, 0.30 + 200 * 0.00145, "profile per_shot_usd 0.00145 = device deviceCost"),
        (0.002, 0.30 + 200 * 0.002, "device deviceCost 0.002 per shot > profile per_shot_usd"),
    ],
)
def test_the_price_is_cross_checked_with_the_device_cost(
    settings: CloudSettings, device_price: float, charged: float, check: str
) -> None:
    _, result = solve_on_garnet(settings, grid_graph(4, 5), device_cost=(device_price, "shot"))
    assert result.provenance.details["price_check"].startswith(check)
    assert result.provenance.cost_usd == pytest.approx(charged)
    assert only_entry(settings).estimate_usd == pytest.approx(charged)


def solve_on_sv1_once(settings: CloudSettings) -> Any:
    """SUB on SV1 (100 shots, 1.2 s: billed at the 3 s minimum)."""
    fake = FakeBraket()
    arn = fake.task_arn()
    queue_sv1_device(fake)
    fake.create(arn)
    fake.completed(arn, SV1.device_arn or "", rows(), list(range(N)), duration_ms=1200)
    return sv1(fake, settings).solve(SUB, Budget(seed=1, shots=100))


def test_the_trackers_own_estimate_is_recorded_next_to_the_ledger_cost(
    settings: CloudSettings, price_list: Any
) -> None:
    fetched = price_list(SIMULATOR_PRICES)  # AWS's list, pre-seeded: nothing is downloaded
    result = solve_on_sv1_once(settings)
    check = result.provenance.details["tracker_cost_check"]
    # billed at SV1's 3 s minimum, USD 0.075 per minute, by the profile and by the Tracker
    assert check["status"] == "agrees" and fetched == []
    assert check["tracker_usd"] == pytest.approx(0.075 * 3 / 60)
    assert check["ledger_usd"] == pytest.approx(result.provenance.cost_usd)
    assert only_entry(settings).extra["tracker_cost_check"] == check


def test_offline_the_tracker_check_is_skipped_and_the_solve_goes_on(
    settings: CloudSettings, price_list: Any
) -> None:
    fetched = price_list([])
    result = solve_on_sv1_once(settings)
    check = result.provenance.details["tracker_cost_check"]
    assert check["status"] == "skipped" and "live checks off" in check["note"]
    assert fetched == [] and result.provenance.cost_usd == pytest.approx(0.075 * 3 / 60)
