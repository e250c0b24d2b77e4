"""Rail windows on the paid D-Wave paths, offline: the ledgered QPU (MockDWaveSampler under
it), Leap hybrid BQM and Leap hybrid CQM on their fakes; refusals name their reason."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from qroute.cloud import CloudSettings
from qroute.cloud.dwave_leap import LeapHybridBackend, LeapHybridCQMBackend, LeapQPUBackend
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.provenance import provenance_class
from qroute.model.solver import Budget
from qroute.rail.comparison import WindowCase, small_windows
from qroute.rail.model import RailNetwork
from qroute.rail.plan import RailConfig, plan_rail
from qroute.rail.qubo import decode
from qroute.rail.report import summary_markdown
from qroute.rail.run import run_rail
from qroute.rail.samplers import CQM, HYBRID, QPU, RailSamplers, rail_chain
from tests.cloud.conftest import offline_settings
from tests.cloud.fakes import FakeCQMSampler, FakeHybridSampler, FakeLeap, profile

MOCK_ACCESS_US = 8550.28  # MockDWaveSampler's fixed qpu_access_time
ADVANTAGE2_USD_PER_S = 0.5556
HYBRID_USD_PER_MIN = 1.6667


@pytest.fixture
def settings(tmp_path: Path) -> CloudSettings:
    return offline_settings(tmp_path)


@pytest.fixture(scope="module")
def case(small_net: RailNetwork) -> WindowCase:
    return next(c for c in small_windows(4, 14, net=small_net) if c.qubo.rows)


def qpu(leap: FakeLeap, settings: CloudSettings) -> LeapQPUBackend:
    return LeapQPUBackend(
        profile("dwave-advantage2"),
        child=leap.child(),
        client_factory=leap.client,
        problem_lookup=leap.lookup,
        settings=settings,
        name=QPU,
    )


def test_annealer_windows_go_to_the_ledgered_qpu_one_row_each(
    case: WindowCase, settings: CloudSettings
) -> None:
    leap = FakeLeap()
    samplers = RailSamplers(Dispatcher(backends={QPU: qpu(leap, settings)}))
    got = samplers.solve(rail_chain("annealer"), case.qubo, Budget(seed=1, shots=50))
    assert got.backend_used == QPU and got.fallback_reason is None and leap.submissions == 1
    [entry] = settings.ledger().entries()
    assert entry.backend == QPU and entry.state == "completed"
    assert entry.subproblem == case.qubo.label == "rail window " + "+".join(case.consignments)
    assert entry.estimate_usd > 0
    assert entry.actual_usd == pytest.approx(MOCK_ACCESS_US / 1e6 * ADVANTAGE2_USD_PER_S)
    assert got.details["cost_usd"] == pytest.approx(entry.actual_usd)
    assert got.details["ledger_key"] == entry.key and got.details["problem_id"] == entry.task_id
    # a MockDWaveSampler under the ledgered QPU is a CPU sampler, never a QPU
    assert got.device == "MockDWaveSampler" and got.provenance_class == "classical_sampler"
    assert provenance_class(QPU, "Advantage2_system1.10") == "qpu"  # the real device would be
    decoded = decode(got.sampleset, case.qubo, case.options, case.residual, case.weights)
    assert decoded.cost >= case.optimum - 1e-6


def test_without_a_budget_the_qpu_refuses_and_the_fallback_is_named(
    small_net: RailNetwork, case: WindowCase, settings: CloudSettings
) -> None:
    leap = FakeLeap()
    unbudgeted = dataclasses.replace(settings, budget_usd=None)
    samplers = RailSamplers(Dispatcher(backends={QPU: qpu(leap, unbudgeted)}))
    got = samplers.solve(rail_chain("annealer"), case.qubo, Budget(seed=1, shots=50))
    assert got.backend_used == "dwave-sa" and got.provenance_class == "classical_sampler"
    assert got.fallback_reason is not None
    assert got.fallback_reason.startswith("dwave-qpu: budget: no run budget set")
    plan = plan_rail(small_net, RailConfig(policy="annealer", time_limit=1.0, mip=False), samplers)
    assert plan.records and leap.submissions == 0 and settings.ledger().entries() == []
    for record in plan.records:
        assert record.backend_requested == QPU and record.backend_used in ("dwave-sa", "mip")
        assert "dwave-qpu: budget: no run budget set" in (record.fallback_reason or "")


def test_an_unledgered_backend_under_a_paid_name_sends_nothing(case: WindowCase) -> None:
    got = RailSamplers().solve([QPU, HYBRID, CQM, "dwave-sa"], case.qubo, Budget(seed=1))
    assert got.backend_used == "dwave-sa"
    for name in (QPU, HYBRID, CQM):
        assert f"{name}: paid service: no ledgered Leap backend" in (got.fallback_reason or "")


def test_hybrid_windows_go_through_the_ledger_as_a_hybrid_service(
    case: WindowCase, settings: CloudSettings
) -> None:
    leap = FakeLeap()
    sampler = FakeHybridSampler(leap, charge_time_us=4e6, min_limit=5.0)
    backend = LeapHybridBackend(
        profile("dwave-hybrid-bqm"), sampler=sampler, client_factory=leap.client, settings=settings
    )
    samplers = RailSamplers(Dispatcher(backends={HYBRID: backend}))
    got = samplers.solve(rail_chain("hybrid"), case.qubo, Budget(seed=1))
    assert got.backend_used == HYBRID and got.provenance_class == "hybrid_service"
    assert sampler.calls[0]["time_limit"] == 5.0
    assert all(isinstance(v, int) for v in sampler.calls[0]["variables"])  # relabelled
    [entry] = settings.ledger().entries()
    assert entry.subproblem == case.qubo.label and entry.state == "completed"
    assert entry.estimate_usd == pytest.approx(5 / 60 * HYBRID_USD_PER_MIN)
    assert got.details["cost_usd"] == pytest.approx(4 / 60 * HYBRID_USD_PER_MIN)
    assert set(got.sampleset.variables) == set(case.qubo.bqm.variables)  # mapped back


def test_cqm_policy_sends_the_window_cqm_and_decodes_the_optimum(
    case: WindowCase, settings: CloudSettings
) -> None:
    fake = FakeCQMSampler(charge_time_us=3e6)
    backend = LeapHybridCQMBackend(profile("dwave-hybrid-cqm"), sampler=fake, settings=settings)
    samplers = RailSamplers(Dispatcher(backends={CQM: backend}))
    assert rail_chain("cqm") == [CQM, *rail_chain("local")]
    # the CQM has no slack bits: its windows are sized by option variables, like onehot-sa
    assert samplers.window_size(CQM, case.qubo) == case.qubo.num_option_variables
    assert samplers.max_variables(CQM) == 500_000  # the dwave-hybrid-cqm profile's limit
    got = samplers.solve(rail_chain("cqm"), case.qubo, Budget(seed=1))
    assert got.backend_used == CQM and got.provenance_class == "hybrid_service"
    assert got.details["model"] == "cqm"
    [cqm] = fake.sent
    assert len(cqm.constraints) == len(case.consignments) + len(case.qubo.rows)
    assert len(cqm.variables) == case.qubo.num_option_variables
    [entry] = settings.ledger().entries()
    assert entry.subproblem == case.qubo.label and entry.state == "completed"
    assert got.details["cost_usd"] == pytest.approx(3 / 60 * HYBRID_USD_PER_MIN)
    decoded = decode(got.sampleset, case.qubo, case.options, case.residual, case.weights)
    assert not decoded.repaired and decoded.cost == pytest.approx(case.optimum)


def test_cqm_without_a_budget_falls_back_to_the_local_chain(
    case: WindowCase, settings: CloudSettings
) -> None:
    fake = FakeCQMSampler()
    unbudgeted = dataclasses.replace(settings, budget_usd=None)
    backend = LeapHybridCQMBackend(profile("dwave-hybrid-cqm"), sampler=fake, settings=unbudgeted)
    samplers = RailSamplers(Dispatcher(backends={CQM: backend}))
    got = samplers.solve(rail_chain("cqm"), case.qubo, Budget(seed=1, shots=20))
    assert got.backend_used == "onehot-sa" and fake.sent == []
    assert (got.fallback_reason or "").startswith("leap-hybrid-cqm: budget: no run budget set")


def test_paid_windows_show_their_cost_in_result_json_and_summary(
    small_net: RailNetwork, settings: CloudSettings
) -> None:
    leap = FakeLeap()
    sampler = FakeHybridSampler(leap, charge_time_us=4e6)
    backend = LeapHybridBackend(
        profile("dwave-hybrid-bqm"), sampler=sampler, client_factory=leap.client, settings=settings
    )
    samplers = RailSamplers(Dispatcher(backends={HYBRID: backend}))
    config = RailConfig(policy="hybrid", time_limit=1.0, mip=False)
    payload = run_rail(small_net, config, samplers=samplers)
    paid = [w for w in payload["windows"] if w["backend_used"] == HYBRID]
    assert paid and all(w["provenance_class"] == "hybrid_service" for w in paid)
    rows = settings.ledger().entries()
    assert len(rows) == len(paid) and all(e.state == "completed" for e in rows)
    billed = 4 / 60 * HYBRID_USD_PER_MIN  # per window: the fake's charge_time
    assert all(w["cost_usd"] == pytest.approx(billed) for w in paid)
    assert payload["cloud_cost_usd"] == pytest.approx(len(paid) * billed, abs=1e-5)
    assert sum(e.actual_usd or 0 for e in rows) == pytest.approx(len(paid) * billed)
    assert f"paid windows: {len(paid)}" in summary_markdown(payload)
