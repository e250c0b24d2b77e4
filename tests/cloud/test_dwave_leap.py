"""D-Wave Leap, offline: MockDWaveSampler behind future-like answers with problem ids."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from qroute.backends import capacity
from qroute.cloud import CloudSettings
from qroute.cloud.braket import CloudTaskFailed
from qroute.cloud.dwave_leap import LeapHybridBackend, LeapQPUBackend
from qroute.cloud.ledger import Ledger
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.solver import Budget
from qroute.model.subproblem import random_route_tsp

from .fakes import FakeHybridSampler, FakeLeap, profile

ADVANTAGE2 = profile("dwave-advantage2")
HYBRID = profile("dwave-hybrid-bqm")
SUB = random_route_tsp(4, seed=2)
MOCK_ACCESS_US = 8550.28  # MockDWaveSampler's fixed qpu_access_time


class SimulatedCrash(BaseException):
    pass


def qpu(leap: FakeLeap, settings: CloudSettings) -> LeapQPUBackend:
    return LeapQPUBackend(
        ADVANTAGE2,
        child=leap.child(),
        client_factory=leap.client,
        problem_lookup=leap.lookup,
        settings=settings,
    )


def test_qpu_answer_records_problem_id_embedding_and_qpu_time_cost(
    settings: CloudSettings,
) -> None:
    leap = FakeLeap()
    result = qpu(leap, settings).solve(SUB, Budget(seed=3, shots=50))
    assert leap.submissions == 1
    entry = settings.ledger().entries()[0]
    prov = result.provenance
    assert entry.state == "completed" and entry.task_id in leap.problems
    # a per-run label (run identity + ledger key) went with the problem
    assert entry.extra["label"].startswith("qroute-run-") and entry.key[:16] in entry.extra["label"]
    assert leap.labels[entry.extra["label"]] == entry.task_id
    assert entry.estimate_usd > 0 and entry.actual_usd == pytest.approx(
        MOCK_ACCESS_US / 1e6 * 0.5556
    )
    assert prov.details["chain_strength"] > 0
    # the device is the mock's own name, never a QPU's
    assert prov.device == "MockDWaveSampler" and prov.paradigm == "annealing"
    assert prov.cost_usd == pytest.approx(MOCK_ACCESS_US / 1e6 * 0.5556)
    assert prov.details["problem_id"] == entry.task_id
    assert prov.details["qpu_access_time_us"] == pytest.approx(MOCK_ACCESS_US)
    assert prov.details["physical_qubits"] >= 16
    assert sorted(result.routes[0]) == [1, 2, 3, 4]


def test_crash_after_the_problem_id_is_written_recovers_by_id(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    leap = FakeLeap()
    original = Ledger.mark_submitted

    def crash(self: Ledger, key: str, task_id: str, **extra: Any) -> None:
        original(self, key, task_id, **extra)
        raise SimulatedCrash

    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "mark_submitted", crash)
        with pytest.raises(SimulatedCrash):
            qpu(leap, settings).solve(SUB, Budget(seed=3, shots=50))
    entry = settings.ledger().entries()[0]
    assert entry.state == "submitted" and entry.task_id in leap.problems

    result = qpu(leap, settings).solve(SUB, Budget(seed=3, shots=50))
    assert leap.submissions == 1  # Client.retrieve_answer, not a second submission
    assert result.provenance.details["recovered"] == "problem id"
    assert result.provenance.details["problem_id"] == entry.task_id
    # unembedded with the stored embedding: a valid answer on the source variables
    assert sorted(result.routes[0]) == [1, 2, 3, 4]
    assert result.provenance.cost_usd == pytest.approx(MOCK_ACCESS_US / 1e6 * 0.5556)


def test_timeout_keeps_the_problem_id_and_a_rerun_collects_the_answer(
    settings: CloudSettings,
) -> None:
    leap = FakeLeap(finish=False)
    fast = dataclasses.replace(settings, wait_seconds=0.05)
    with pytest.raises(CloudTaskFailed, match=r"timed out after 0.05s waiting for Leap problem"):
        qpu(leap, fast).solve(SUB, Budget(seed=3, shots=50))
    entry = settings.ledger().entries()[0]
    assert entry.state == "waiting" and entry.task_id

    with pytest.raises(CloudTaskFailed, match="timed out"):  # still not done
        qpu(leap, fast).solve(SUB, Budget(seed=3, shots=50))
    leap.finish = True
    result = qpu(leap, fast).solve(SUB, Budget(seed=3, shots=50))
    assert leap.submissions == 1
    assert result.provenance.details["recovered"] == "problem id"


def test_crash_before_the_id_came_back_is_found_by_label(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    leap = FakeLeap()

    def crash(self: Ledger, key: str, task_id: str, **extra: Any) -> None:
        raise SimulatedCrash  # died before the id reached the ledger

    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "mark_submitted", crash)
        with pytest.raises(SimulatedCrash):
            qpu(leap, settings).solve(SUB, Budget(seed=3, shots=50))
    assert settings.ledger().entries()[0].state == "reserved"

    qpu(leap, settings).solve(SUB, Budget(seed=3, shots=50))
    entry = settings.ledger().entries()[0]
    assert leap.submissions == 1
    assert entry.extra["found_by_label"] is True


def test_unanswerable_label_lookup_refuses_to_resubmit(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    leap = FakeLeap()
    with monkeypatch.context() as patch:
        patch.setattr(
            Ledger, "mark_submitted", lambda *a, **k: (_ for _ in ()).throw(SimulatedCrash)
        )
        with pytest.raises(SimulatedCrash):
            qpu(leap, settings).solve(SUB, Budget(seed=3, shots=50))

    def offline(label: str) -> str | None:
        raise ConnectionError("SAPI unreachable")

    backend = LeapQPUBackend(
        ADVANTAGE2,
        child=leap.child(),
        client_factory=leap.client,
        problem_lookup=offline,
        settings=settings,
    )
    with pytest.raises(CloudTaskFailed, match="not resubmitting"):
        backend.solve(SUB, Budget(seed=3, shots=50))
    assert leap.submissions == 1


def test_hybrid_solver_takes_large_subproblems_with_relabelled_variables(
    settings: CloudSettings,
) -> None:
    leap = FakeLeap()
    sampler = FakeHybridSampler(leap, run_time_us=3_000_000)
    backend = LeapHybridBackend(
        HYBRID, sampler=sampler, client_factory=leap.client, settings=settings
    )
    big = random_route_tsp(12, seed=4)  # 144 variables: beyond the QPU backends' 10 stops
    result = backend.solve(big, Budget(seed=1))
    sent = sampler.calls[0]
    assert all(isinstance(v, int) for v in sent["variables"])  # only integers leave
    assert sent["time_limit"] == 3.0
    assert sorted(result.routes[0]) == list(range(1, 13))
    # 3 s of hybrid run time at USD 1.6667 per minute
    assert result.provenance.cost_usd == pytest.approx(3 / 60 * 1.6667)
    assert backend.max_variables == 1600 and capacity(backend) == 40


def test_hybrid_recovers_by_problem_id_after_a_crash(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    leap = FakeLeap()
    sampler = FakeHybridSampler(leap)
    big = random_route_tsp(11, seed=5)
    original = Ledger.mark_submitted

    def crash(self: Ledger, key: str, task_id: str, **extra: Any) -> None:
        original(self, key, task_id, **extra)
        raise SimulatedCrash

    def backend() -> LeapHybridBackend:
        return LeapHybridBackend(
            HYBRID, sampler=sampler, client_factory=leap.client, settings=settings
        )

    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "mark_submitted", crash)
        with pytest.raises(SimulatedCrash):
            backend().solve(big, Budget(seed=1))
    result = backend().solve(big, Budget(seed=1))
    assert len(sampler.calls) == 1
    assert result.provenance.details["recovered"] == "problem id"
    assert sorted(result.routes[0]) == list(range(1, 12))


def test_without_a_token_leap_backends_are_unavailable_and_dispatch_falls_back(
    settings: CloudSettings,
) -> None:
    backend = LeapQPUBackend(ADVANTAGE2, settings=settings)
    status = backend.availability()
    assert not status.available and "no D-Wave credentials" in status.reason
    result = Dispatcher(
        chain=lambda sub, kind: ["leap-advantage2", "dwave-sa"],
        backends={"leap-advantage2": backend},
    ).solve(SUB, Budget(seed=1))
    assert result.provenance.backend_used == "dwave-sa"
    assert result.provenance.fallback_reason is not None
    assert result.provenance.fallback_reason.startswith("leap-advantage2: no D-Wave credentials")


def test_prefect_secret_block_counts_as_a_token_and_is_redacted(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.blocks import system

    from qroute.cloud.credentials import redact, set_dwave_token_source
    from qroute.orchestration.secrets import install_dwave_token_source

    class FakeSecret:
        @classmethod
        def load(cls, name: str) -> Any:
            assert name == "leap-token"
            return type("Loaded", (), {"get": lambda self: "LEAP-prefect-block-secret-value"})()

    monkeypatch.setattr(system, "Secret", FakeSecret)
    monkeypatch.setenv("QROUTE_DWAVE_TOKEN_BLOCK", "leap-token")
    backend = LeapQPUBackend(ADVANTAGE2, settings=settings)
    # the cloud layer cannot read Prefect itself: without the orchestration's source, it says so
    status = backend.availability()
    assert not status.available and "no token source is installed" in status.reason
    try:
        assert install_dwave_token_source() is True
        assert backend.availability().available
        assert "LEAP-prefect-block-secret-value" not in redact(
            "token LEAP-prefect-block-secret-value"
        )
    finally:
        set_dwave_token_source(None)


def test_ledger_rows_are_json_and_never_hold_the_bqm_labels_of_customers(
    settings: CloudSettings,
) -> None:
    leap = FakeLeap()
    qpu(leap, settings).solve(SUB, Budget(seed=3, shots=20))
    entry = settings.ledger().entries()[0]
    text = json.dumps(entry.extra) + json.dumps(entry.result)
    assert SUB.name not in text  # variables are (stop index, position) pairs only


def test_a_solver_that_cannot_be_reached_sends_nothing_and_costs_nothing(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dwave.system
    from dwave.cloud.exceptions import SolverNotFoundError

    def missing(**kwargs: Any) -> Any:
        raise SolverNotFoundError("Solver with the requested features not available")

    monkeypatch.setattr(dwave.system, "DWaveSampler", missing)
    monkeypatch.setenv("DWAVE_API_TOKEN", "DEV-not-a-real-token-0001")
    backend = LeapQPUBackend(ADVANTAGE2, client_factory=FakeLeap().client, settings=settings)
    with pytest.raises(CloudTaskFailed, match="SolverNotFoundError"):
        backend.solve(SUB, Budget(seed=1, shots=100))
    assert settings.ledger().entries() == []  # refused before any row or submission
    assert settings.ledger().run_spend_usd() == 0.0


def test_answers_are_stored_with_dimods_serialization_and_old_rows_still_read(
    settings: CloudSettings,
) -> None:
    import dimod

    from qroute.cloud.leap_answers import sampleset_from_payload
    from qroute.qubo.tsp import tsp_bqm

    leap = FakeLeap()
    qpu(leap, settings).solve(SUB, Budget(seed=3, shots=20))
    stored = settings.ledger().entries()[0].result
    assert stored is not None and stored["sampleset"]["type"] == "SampleSet"
    answer = dimod.SampleSet.from_serializable(stored["sampleset"])
    # the answer as the QPU gave it: on physical qubits (the key covers the embedded BQM)
    assert all(isinstance(q, int) for q in answer.variables)
    assert len(answer.variables) >= tsp_bqm(SUB).num_variables
    assert int(answer.record.num_occurrences.sum()) == 20
    old = {  # a row written before: plain lists
        "variables": [[1, 0], [2, 1]],
        "samples": [[1, 0], [0, 1]],
        "num_occurrences": [3, 1],
    }
    bqm = dimod.BinaryQuadraticModel({(1, 0): 1.0, (2, 1): 2.0}, {}, 0.0, dimod.BINARY)
    back = sampleset_from_payload(old, bqm)
    assert list(back.variables) == [(1, 0), (2, 1)]
    assert sorted(back.record.energy.tolist()) == [1.0, 2.0]
