"""The conformance suite every backend must pass, on every QUBO kind.

Backends: every local backend, the D-Wave QPU path on MockDWaveSampler, and the cloud
backends (Braket SV1 on a botocore-stubbed session, Leap QPU and Leap hybrid on the offline
Leap fakes of tests/cloud/fakes.py). Kinds: ``tests.backends.kinds.KIND_CASES``. A new
backend is added to BACKEND_CASES, a new kind to KIND_CASES; nothing else here changes.
"""

from __future__ import annotations

import unittest
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dimod
import dimod.testing
import numpy as np
import pytest

from qroute.backends import (
    LOCAL_BACKENDS,
    Backend,
    DWaveQPUBackend,
    SamplerBackend,
    SubproblemTooLarge,
    capacity,
    get_backend,
    solve_qubo,
)
from qroute.backends.gate import _SplitShotSampler
from qroute.circuits.qaoa import QAOASampler
from qroute.cloud import CloudSettings, reset_settings
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.solver import BackendUnavailable, Budget, SolveResult
from qroute.model.subproblem import random_route_tsp
from qroute.qubo.held_karp import held_karp
from tests.cloud.conftest import AWS_ENV, offline_settings

from .kinds import KIND_CASES, KindCase


@dataclass
class Prepared:
    """A backend ready for ``solves`` solves of a BQM with ``variables`` variables."""

    backend: Backend
    cloud: bool = False


Factory = Callable[[CloudSettings, int, int], Prepared]


def _local(name: str) -> Factory:
    return lambda settings, variables, solves: Prepared(get_backend(name))


def _mock_qpu(settings: CloudSettings, variables: int, solves: int) -> Prepared:
    from dwave.system.testing import MockDWaveSampler

    mock = MockDWaveSampler(
        topology_type="pegasus", topology_shape=[6], substitute_kwargs={"seed": 1234}
    )
    return Prepared(DWaveQPUBackend(child=mock))


def _braket_sv1(settings: CloudSettings, variables: int, solves: int) -> Prepared:
    from qroute.cloud.braket import BraketQAOABackend
    from tests.cloud.fakes import FakeBraket, capabilities, profile

    sv1 = profile("braket-sv1")
    assert sv1.device_arn is not None
    fake = FakeBraket()
    rng = np.random.default_rng(variables)
    for _ in range(solves):
        caps = capabilities(simulator=True, shots=(0, 100_000))
        fake.device(sv1.device_arn, caps, simulator=True)
        arn = fake.task_arn()
        fake.create(arn)
        rows = rng.integers(0, 2, size=(200, variables)).tolist()
        fake.completed(arn, sv1.device_arn, rows, list(range(variables)))
    backend = BraketQAOABackend(sv1, session_factory=fake.session, settings=settings, maxiter=15)
    return Prepared(backend, cloud=True)


def _leap_qpu(settings: CloudSettings, variables: int, solves: int) -> Prepared:
    from qroute.cloud.dwave_leap import LeapQPUBackend
    from tests.cloud.fakes import FakeLeap, profile

    leap = FakeLeap()
    backend = LeapQPUBackend(
        profile("dwave-advantage2"),
        child=leap.child(),
        client_factory=leap.client,
        problem_lookup=leap.lookup,
        settings=settings,
    )
    return Prepared(backend, cloud=True)


def _leap_hybrid(settings: CloudSettings, variables: int, solves: int) -> Prepared:
    from qroute.cloud.dwave_leap import LeapHybridBackend
    from tests.cloud.fakes import FakeHybridSampler, FakeLeap, profile

    leap = FakeLeap()
    backend = LeapHybridBackend(
        profile("dwave-hybrid-bqm"),
        sampler=FakeHybridSampler(leap, run_time_us=3_000_000),
        client_factory=leap.client,
        settings=settings,
    )
    return Prepared(backend, cloud=True)


BACKEND_CASES: dict[str, Factory] = {
    **{name: _local(name) for name in LOCAL_BACKENDS},
    "dwave-qpu[mock-pegasus]": _mock_qpu,
    "braket-sv1[stubbed]": _braket_sv1,
    "leap-advantage2[fake]": _leap_qpu,
    "leap-hybrid-bqm[fake]": _leap_hybrid,
}
# Backends whose answer is not a function of the seed, and why.
NOT_SEEDED = {
    "dwave-tabu": "tabu search stops on a wall-clock timeout",
    "braket-local": "the Braket LocalSimulator takes no seed (it draws shots from OS entropy)",
    "qaoa-sdks": "a third of its shots come from the unseeded Braket LocalSimulator",
}
CLOUD = {"braket-sv1[stubbed]", "leap-advantage2[fake]", "leap-hybrid-bqm[fake]"}


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudSettings]:
    """An isolated cloud run: no real credentials, a $5 budget, fast polling."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    reset_settings()
    yield offline_settings(tmp_path)
    reset_settings()


@pytest.fixture(params=sorted(BACKEND_CASES))
def label(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=sorted(KIND_CASES))
def kind_case(request: pytest.FixtureRequest) -> KindCase:
    return KIND_CASES[request.param]


def _prepare(label: str, settings: CloudSettings, problem: Any, case: KindCase, solves: int = 1):
    return BACKEND_CASES[label](settings, case.kind.num_variables(problem), solves)


def _assert_honest(case: KindCase, problem: Any, result: SolveResult) -> None:
    """A valid answer whose cost is its own, with feasibility figures that agree."""
    assert case.valid(problem, result.routes), result.routes
    assert result.cost == pytest.approx(case.cost(problem, result.routes))
    rate = result.raw_feasible_rate
    assert rate is not None and 0.0 <= rate <= 1.0
    # repaired exactly when no raw sample was feasible: never credited to the sampler
    assert result.repaired == (rate == 0.0)


def test_answers_every_kind_with_complete_provenance(
    label: str, kind_case: KindCase, settings: CloudSettings
) -> None:
    problem = kind_case.small(11)
    prepared = _prepare(label, settings, problem, kind_case)
    backend = prepared.backend
    result = solve_qubo(kind_case.kind, problem, backend, Budget(seed=5, shots=200))
    _assert_honest(kind_case, problem, result)
    prov = result.provenance
    assert prov.backend_used == backend.name == prov.backend_requested
    assert prov.paradigm in {"gate", "annealing", "classical"}
    assert prov.paradigm == backend.paradigm
    assert prov.device and prov.device != "unknown"
    assert prov.seed == 5
    assert prov.wall_seconds > 0
    assert prov.fallback_reason is None
    assert prov.details["qubo"] == kind_case.kind.name
    assert prov.details["variables"] == kind_case.kind.num_variables(problem)
    if backend.paradigm != "classical" and not prepared.cloud:
        assert prov.shots == 200
    if backend.name == "exact":  # the reference is the optimum, for every kind
        assert result.cost == pytest.approx(kind_case.optimum(problem))
        assert result.raw_feasible_rate == 1.0
    if "mock" in label or "fake" in label:
        assert "Mock" in prov.device or "Fake" in prov.device
        assert prov.device not in {"Advantage_system4.1", "Advantage2_system1.10"}


def test_answers_a_second_shape_of_each_kind(
    label: str, kind_case: KindCase, settings: CloudSettings
) -> None:
    problem = kind_case.path_like(2)
    backend = _prepare(label, settings, problem, kind_case).backend
    result = backend.solve(problem, Budget(seed=1, shots=200), kind=kind_case.kind)
    _assert_honest(kind_case, problem, result)


def test_deterministic_for_a_seed(label: str, kind_case: KindCase, tmp_path: Path) -> None:
    if label in NOT_SEEDED:
        pytest.skip(f"{label} is not seeded: {NOT_SEEDED[label]}")
    if label in CLOUD:
        pytest.skip(f"{label}: a repeat is answered from the run ledger (tests/cloud)")
    problem = kind_case.small(4)
    backend = BACKEND_CASES[label](None, 0, 0).backend  # type: ignore[arg-type]
    first = backend.solve(problem, Budget(seed=9, shots=100), kind=kind_case.kind)
    second = backend.solve(problem, Budget(seed=9, shots=100), kind=kind_case.kind)
    assert first.routes == second.routes
    assert first.cost == second.cost
    assert first.raw_feasible_rate == second.raw_feasible_rate


def test_refuses_an_oversize_problem_in_the_kinds_unit(
    label: str, kind_case: KindCase, settings: CloudSettings
) -> None:
    backend = BACKEND_CASES[label](settings, 0, 0).backend
    problem = kind_case.oversize(backend.max_variables)
    limit = capacity(backend, kind_case.kind)
    with pytest.raises(SubproblemTooLarge, match=rf"at most {limit} {kind_case.kind.unit}"):
        backend.solve(problem, Budget(seed=0), kind=kind_case.kind)


def test_an_unavailable_cloud_backend_says_why_and_the_chain_records_it(
    settings: CloudSettings, kind_case: KindCase
) -> None:
    """Without credentials a cloud backend is unavailable with the missing credential named,
    and the dispatcher falls back recording exactly that reason."""
    from qroute.cloud.braket import BraketQAOABackend
    from qroute.cloud.dwave_leap import LeapHybridBackend, LeapQPUBackend
    from tests.cloud.fakes import profile

    backends: dict[str, Backend] = {
        "braket-sv1": BraketQAOABackend(profile("braket-sv1"), settings=settings),
        "leap-advantage2": LeapQPUBackend(profile("dwave-advantage2"), settings=settings),
        "leap-hybrid-bqm": LeapHybridBackend(profile("dwave-hybrid-bqm"), settings=settings),
        # the registered dwave-qpu (qroute.cloud.register): the ledgered Leap QPU
        "dwave-qpu": LeapQPUBackend(
            profile("dwave-advantage2"), name="dwave-qpu", settings=settings
        ),
    }
    problem = kind_case.small(3)
    for name, backend in backends.items():
        status = backend.availability()
        assert status.available is False, name
        assert "credentials" in status.reason, (name, status.reason)
        result = Dispatcher(
            chain=lambda sub, kind, n=name: [n, "dwave-sa"],  # type: ignore[misc]
            backends={name: backend},
        ).solve(problem, Budget(seed=1), kind=kind_case.kind)
        assert result.provenance.backend_used == "dwave-sa"
        assert result.provenance.fallback_reason == f"{name}: {status.reason}"


def test_the_fallback_chain_is_a_backend_for_every_kind(kind_case: KindCase) -> None:
    dispatcher = Dispatcher("local")
    assert isinstance(dispatcher, Backend)
    problem = kind_case.small(7)
    result = solve_qubo(kind_case.kind, problem, dispatcher, Budget(seed=3))
    _assert_honest(kind_case, problem, result)
    assert result.provenance.backend_used == "dwave-sa"
    with pytest.raises(BackendUnavailable, match="exact: takes at most"):
        Dispatcher("exact").solve(kind_case.oversize(169), Budget(), kind=kind_case.kind)


def test_small_instances_reach_the_optimum_often() -> None:
    """A quality bar for the annealer: K=6 route-TSPs solved to optimality by dwave-sa."""
    backend = get_backend("dwave-sa")
    hits = 0
    for seed in range(5):
        sub = random_route_tsp(6, seed)
        result = backend.solve(sub, Budget(seed=seed))
        hits += int(np.isclose(result.cost, held_karp(sub)[1]))
    assert hits >= 4


# -- dimod's own sampler tests on every custom sampler ---------------------------------------


def _custom_samplers() -> dict[str, dimod.Sampler]:
    from qroute.cloud.cost import CostEstimate
    from qroute.cloud.dwave_leap import _IntegerLabels
    from qroute.cloud.paid import Pricing, ledgered
    from tests.cloud.fakes import FakeLeap

    free = CostEstimate(profile="test", device="fake", usd=0.0, shots=1, basis="free")
    paid = ledgered(
        FakeLeap().child(),
        backend="fake",
        pricing=Pricing(estimate=lambda m, sent: free, actual=lambda info: 0.0),
    )
    samplers: dict[str, dimod.Sampler] = {
        "QAOASampler": QAOASampler(),
        "_SplitShotSampler": _SplitShotSampler(),
        "LedgeredSampler": paid,
        "_IntegerLabels": _IntegerLabels(paid),
    }
    for name in LOCAL_BACKENDS:
        backend = get_backend(name)
        if isinstance(backend, SamplerBackend) and name != "exact":
            samplers[f"{name}.sampler()"] = backend.sampler()
    return samplers


@pytest.mark.parametrize("name", sorted(_custom_samplers()))
def test_dimod_sampler_api(name: str) -> None:
    dimod.testing.assert_sampler_api(_custom_samplers()[name])


@dimod.testing.load_sampler_bqm_tests(QAOASampler, max_num_variables=3)
class TestQAOASamplerWithDimodsBQMTests(unittest.TestCase):
    """dimod's generated BQM tests (empty, binary, spin, all BQM classes) on QAOASampler."""


@dimod.testing.load_sampler_bqm_tests(_SplitShotSampler, max_num_variables=1)
class TestSplitShotSamplerWithDimodsBQMTests(unittest.TestCase):
    """The same on the three-SDK split-shot sampler (small: it runs three SDKs per test)."""
