"""D-Wave Leap, offline: MockDWaveSampler behind future-like answers with problem ids."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import pytest

from qroute.backends import capacity
from qroute.cloud import CloudSettings
from qroute.cloud.braket import CloudTaskFailed
from qroute.cloud.cost import SpendFile
from qroute.cloud.dwave_leap import LeapHybridBackend, LeapQPUBackend
from qroute.cloud.ledger import Ledger
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.solver import BackendUnavailable, Budget
from qroute.model.subproblem import random_route_tsp

from .fakes import FakeCQMSampler, FakeHybridSampler, FakeLeap, profile

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
    assert entry.extra["label"] == settings.dispatch_label(entry.key)
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


def test_answers_are_stored_with_dimods_serialization(settings: CloudSettings) -> None:
    import dimod

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


class CountingMock:
    """MockDWaveSampler that counts sample calls and can raise a planted-token error."""

    def __init__(self, error: Exception | None = None) -> None:
        from dwave.system.testing import MockDWaveSampler

        self.calls = 0
        mock = MockDWaveSampler(
            topology_type="pegasus", topology_shape=[6], substitute_kwargs={"seed": 7}
        )
        counter = self

        class Counting(MockDWaveSampler):  # type: ignore[misc]
            def sample(self, bqm: Any, **kwargs: Any) -> Any:
                counter.calls += 1
                if error is not None:
                    raise error
                answer = mock.sample(bqm, **kwargs)
                answer.info["problem_id"] = f"mock-{counter.calls}"
                return answer

        self.sampler = Counting(topology_type="pegasus", topology_shape=[6])


def test_registered_dwave_qpu_is_the_ledgered_one_and_refuses_without_a_budget(
    registered: list[str], settings: CloudSettings
) -> None:
    from qroute.backends import get_backend

    assert isinstance(get_backend("dwave-qpu"), LeapQPUBackend)
    mock = CountingMock()
    unbudgeted = dataclasses.replace(settings, budget_usd=None)
    backend = LeapQPUBackend(ADVANTAGE2, child=mock.sampler, name="dwave-qpu", settings=unbudgeted)
    assert not backend.availability().available
    result = Dispatcher(
        chain=lambda sub, kind: ["dwave-qpu", "dwave-sa"], backends={"dwave-qpu": backend}
    ).solve(SUB, Budget(seed=1, shots=20))
    assert mock.calls == 0 and settings.ledger().entries() == []
    with pytest.raises(BackendUnavailable, match="no run budget set"):
        backend.sampler()  # the selection step's way in refuses too, before any connection
    assert result.provenance.backend_used == "dwave-sa"
    assert result.provenance.fallback_reason is not None
    assert result.provenance.fallback_reason.startswith("dwave-qpu: budget: no run budget set")

    budgeted = LeapQPUBackend(ADVANTAGE2, child=mock.sampler, name="dwave-qpu", settings=settings)
    paid = budgeted.solve(SUB, Budget(seed=1, shots=20))
    entry = settings.ledger().entries()[0]
    assert mock.calls == 1 and entry.backend == "dwave-qpu" and entry.state == "completed"
    assert entry.subproblem == SUB.name and entry.extra["label"].startswith("qroute/")
    assert entry.estimate_usd == pytest.approx(0.5556 * (15_000 + 20 * 200) / 1e6, rel=0.5)
    assert entry.actual_usd == pytest.approx(MOCK_ACCESS_US / 1e6 * 0.5556)
    assert paid.provenance.cost_usd == pytest.approx(entry.actual_usd)
    again = budgeted.solve(SUB, Budget(seed=1, shots=20))  # the same dispatch: from the ledger
    assert mock.calls == 1 and again.provenance.cost_usd == 0.0
    assert again.provenance.details["recovered"] == "ledger"


def test_a_planted_token_in_a_qpu_error_never_reaches_the_fallback_reason(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "DEV-planted0123456789abcdefTOKEN"
    monkeypatch.setenv("DWAVE_API_TOKEN", token)
    mock = CountingMock(RuntimeError(f"SAPI said no to token {token}"))
    backend = LeapQPUBackend(ADVANTAGE2, child=mock.sampler, settings=settings)
    result = Dispatcher(
        chain=lambda sub, kind: ["leap-advantage2", "dwave-sa"],
        backends={"leap-advantage2": backend},
    ).solve(SUB, Budget(seed=1, shots=20))
    reason = result.provenance.fallback_reason or ""
    assert mock.calls == 1 and "RuntimeError: SAPI said no" in reason
    assert token not in reason and token not in json.dumps(result.provenance.details)
    assert all(token not in (e.extra.get("last_error") or "") for e in settings.ledger().entries())


def test_the_route_selection_kind_runs_through_the_ledgered_qpu(settings: CloudSettings) -> None:
    from qroute.qubo.selection import SELECTION_KIND
    from tests.backends.kinds import KIND_CASES

    case = KIND_CASES["selection"]
    problem = case.small(11)
    mock = CountingMock()
    backend = LeapQPUBackend(ADVANTAGE2, child=mock.sampler, settings=settings)
    result = backend.solve(problem, Budget(seed=2, shots=50), kind=SELECTION_KIND)
    assert case.valid(problem, result.routes)
    entry = settings.ledger().entries()[0]
    assert mock.calls == 1 and entry.state == "completed" and entry.subproblem == problem.name
    assert result.provenance.details["qubo"] == SELECTION_KIND.name
    assert result.provenance.cost_usd == pytest.approx(entry.actual_usd)


def test_hybrid_time_limit_is_fixed_before_the_reservation_and_billed_by_charge_time(
    settings: CloudSettings,
) -> None:
    leap = FakeLeap()
    # the solver asks for 5 s (our table says 3 s); Leap bills 4 s of charge time, 6 s ran
    sampler = FakeHybridSampler(leap, run_time_us=6e6, charge_time_us=4e6, min_limit=5.0)
    backend = LeapHybridBackend(
        HYBRID, sampler=sampler, client_factory=leap.client, settings=settings
    )
    result = backend.solve(random_route_tsp(12, seed=4), Budget(seed=1))
    entry = settings.ledger().entries()[0]
    assert sampler.calls[0]["time_limit"] == 5.0
    assert entry.estimate_usd == pytest.approx(5 / 60 * 1.6667)  # the limit actually sent
    assert entry.actual_usd == pytest.approx(4 / 60 * 1.6667)  # charge_time, not run_time
    assert result.provenance.cost_usd == pytest.approx(4 / 60 * 1.6667)


def test_an_actual_cost_above_the_estimate_is_rechecked_and_recorded(
    settings: CloudSettings,
) -> None:
    leap = FakeLeap()
    sampler = FakeHybridSampler(leap, run_time_us=400e6, charge_time_us=400e6)  # 400 s billed
    tight = dataclasses.replace(settings, budget_usd=1.0)
    backend = LeapHybridBackend(HYBRID, sampler=sampler, client_factory=leap.client, settings=tight)
    result = backend.solve(random_route_tsp(12, seed=4), Budget(seed=1))
    entry = tight.ledger().entries()[0]
    overrun = entry.extra["cost_overrun"]
    assert "above the estimate" in overrun and "later paid dispatches are refused" in overrun
    assert result.provenance.details["cost_overrun"] == overrun
    spend = SpendFile(tight.spend_dir, date(2026, 1, 7)).read()
    assert spend["total_usd"] == pytest.approx(400 / 60 * 1.6667, abs=1e-5)  # the actual
    from qroute.cloud.cost import BudgetExceeded

    with pytest.raises(BudgetExceeded, match=r"over its \$1.00 budget"):
        backend.solve(random_route_tsp(11, seed=5), Budget(seed=1))
    assert len(sampler.calls) == 1


def test_timeout_cancels_the_pending_problem(settings: CloudSettings) -> None:
    leap = FakeLeap(finish=False)
    fast = dataclasses.replace(settings, wait_seconds=0.02)
    with pytest.raises(CloudTaskFailed, match="cancel requested"):
        qpu(leap, fast).solve(SUB, Budget(seed=3, shots=50))
    entry = fast.ledger().entries()[0]
    assert leap.cancelled == [entry.task_id] and entry.state == "waiting"


def test_live_solver_status_and_the_profiles_region(settings: CloudSettings) -> None:
    leap = FakeLeap()
    live = dataclasses.replace(settings, live_checks=True)
    backend = qpu(leap, live)
    assert backend.availability().available
    leap.online = False
    status = backend.availability()
    assert not status.available and status.reason == "Leap solver Advantage2_system1.10 is offline"
    assert backend._config()["region"] == ADVANTAGE2.region == "na-west-1"


def test_leap_hybrid_cqm_sends_route_selection_with_one_hot_cover_constraints(
    settings: CloudSettings,
) -> None:
    from qroute.cloud.dwave_leap import LeapHybridCQMBackend
    from qroute.qubo.selection import SELECTION_KIND
    from tests.backends.kinds import KIND_CASES

    case = KIND_CASES["selection"]
    problem = case.small(11)
    fake = FakeCQMSampler()
    backend = LeapHybridCQMBackend(profile("dwave-hybrid-cqm"), sampler=fake, settings=settings)
    result = backend.solve(problem, Budget(seed=1), kind=SELECTION_KIND)
    cqm = fake.sent[0]
    covers = [c for c in cqm.constraints if str(c).startswith("cover-")]
    assert len(covers) == len(problem.customers)
    assert all(cqm.constraints[c].sense.value == "==" for c in covers)
    assert case.valid(problem, result.routes) and not result.repaired
    assert result.cost == pytest.approx(case.optimum(problem))
    prov = result.provenance
    assert prov.backend_used == "leap-hybrid-cqm" and prov.details["model"] == "cqm"
    assert prov.cost_usd == pytest.approx(5 / 60 * 1.6667)
    from qroute.model.provenance import provenance_class

    assert provenance_class(prov.backend_used, "hybrid_constrained_quadratic_model") == (
        "hybrid_service"
    )


def test_a_kind_with_its_own_cqm_is_sent_as_that_cqm(settings: CloudSettings) -> None:
    """The rail assignment kind (a higher layer) plugs in through ``to_cqm``: the window goes
    with one-hot ``==`` and capacity ``<=`` constraints and no slack bits, and its answer is
    the window optimum, read by the kind itself."""
    from qroute.cloud.dwave_leap import LeapHybridCQMBackend
    from qroute.cloud.leap_cqm import CQMKind
    from qroute.rail.comparison import small_windows
    from qroute.rail.kind import ASSIGNMENT_KIND

    case = next(c for c in small_windows(4, 14) if c.qubo.rows)
    assert isinstance(ASSIGNMENT_KIND, CQMKind)
    fake = FakeCQMSampler()
    backend = LeapHybridCQMBackend(profile("dwave-hybrid-cqm"), sampler=fake, settings=settings)
    result = backend.solve(case, Budget(seed=1), kind=ASSIGNMENT_KIND)
    cqm = fake.sent[0]
    senses = sorted(c.sense.value for c in cqm.constraints.values())
    assert senses == ["<="] * len(case.qubo.rows) + ["=="] * len(case.consignments)
    assert all(v[0] == "x" for v in cqm.variables)  # option bits only: no slack
    assert len(cqm.variables) == case.qubo.num_option_variables < case.qubo.num_variables
    assert not result.repaired and result.cost == pytest.approx(case.optimum)
    entry = settings.ledger().entries()[0]
    assert entry.subproblem == ASSIGNMENT_KIND.label(case) and entry.state == "completed"
    assert result.provenance.details["model"] == "cqm"
    assert result.provenance.details["constraints"] == len(cqm.constraints)


def test_a_planted_token_never_reaches_the_comparison_record(
    registered: list[str], settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qroute.backends import register_backend
    from qroute.reporting.comparison import STATUS_ERROR, measure_solve

    token = "DEV-planted0123456789abcdefTOKEN"
    monkeypatch.setenv("DWAVE_API_TOKEN", token)
    mock = CountingMock(RuntimeError(f"401 for token={token}"))
    register_backend(
        "dwave-qpu", lambda: LeapQPUBackend(ADVANTAGE2, child=mock.sampler, settings=settings)
    )
    record = measure_solve("dwave-qpu", 4, 1, shots=20)
    assert mock.calls == 1 and record["status"] == STATUS_ERROR
    assert (
        "CloudTaskFailed" in record["reason"] and "RuntimeError: 401 for token=" in record["reason"]
    )
    assert token not in json.dumps(record, default=str)
