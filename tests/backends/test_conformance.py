"""The conformance suite every subproblem backend must pass.

A new backend is added to BACKEND_CASES; nothing else in this file should need to change.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from qroute.backends import (
    LOCAL_BACKENDS,
    DWaveQPUBackend,
    SubproblemBackend,
    SubproblemTooLarge,
    get_backend,
)
from qroute.model.solver import Budget, SolveResult
from qroute.model.subproblem import Subproblem, random_route_tsp
from qroute.qubo.held_karp import held_karp


def _mock_qpu() -> SubproblemBackend:
    from dwave.system.testing import MockDWaveSampler

    mock = MockDWaveSampler(
        topology_type="pegasus", topology_shape=[6], substitute_kwargs={"seed": 1234}
    )
    return DWaveQPUBackend(child=mock)


BACKEND_CASES: dict[str, Callable[[], SubproblemBackend]] = {
    **{name: (lambda n: lambda: get_backend(n))(name) for name in LOCAL_BACKENDS},
    "dwave-qpu[mock-pegasus]": _mock_qpu,
}
# Backends whose answer is not a function of the seed, and why.
NOT_SEEDED = {
    "dwave-tabu": "tabu search stops on a wall-clock timeout",
    "braket-local": "the Braket LocalSimulator takes no seed (it draws shots from OS entropy)",
    "qaoa-sdks": "a third of its shots come from the unseeded Braket LocalSimulator",
}


def _path_window(k: int, seed: int) -> Subproblem:
    base = random_route_tsp(k + 1, seed)
    return Subproblem("path", base.distances, base.nodes, f"path-k{k}-s{seed}")


@pytest.fixture(params=sorted(BACKEND_CASES), scope="module")
def case(request: pytest.FixtureRequest) -> tuple[str, SubproblemBackend]:
    return request.param, BACKEND_CASES[request.param]()


def _assert_valid(sub: Subproblem, result: SolveResult) -> list[int]:
    assert len(result.routes) == 1
    order = list(result.routes[0])
    assert sorted(order) == list(range(1, sub.size + 1)), order
    assert result.cost == pytest.approx(sub.cost(order))
    assert result.cost >= held_karp(sub)[1] - 1e-9
    return order


def test_returns_a_valid_tour_with_complete_provenance(case) -> None:
    label, backend = case
    sub = random_route_tsp(3, seed=11)
    result = backend.solve(sub, Budget(seed=5, shots=200))
    _assert_valid(sub, result)
    prov = result.provenance
    assert prov.backend_used == backend.name == prov.backend_requested
    assert prov.paradigm in {"gate", "annealing", "classical"}
    assert prov.paradigm == backend.paradigm
    assert prov.device and prov.device != "unknown"
    assert prov.seed == 5
    assert prov.wall_seconds > 0
    assert prov.fallback_reason is None
    if backend.paradigm != "classical":
        assert prov.shots == 200
        assert result.raw_feasible_rate is not None and 0.0 <= result.raw_feasible_rate <= 1.0
    if "mock" in label:
        assert "Mock" in prov.device  # a simulator answer is never labelled as a QPU's


def test_solves_a_path_window(case) -> None:
    _, backend = case
    sub = _path_window(3, seed=2)
    result = backend.solve(sub, Budget(seed=1, shots=200))
    order = _assert_valid(sub, result)
    assert sub.cost(order) == pytest.approx(result.cost)


def test_deterministic_for_a_seed(case) -> None:
    label, backend = case
    if label in NOT_SEEDED:
        pytest.skip(f"{label} is not seeded: {NOT_SEEDED[label]}")
    sub = random_route_tsp(3, seed=4)
    first = backend.solve(sub, Budget(seed=9, shots=100))
    second = backend.solve(sub, Budget(seed=9, shots=100))
    assert first.routes == second.routes
    assert first.cost == second.cost
    assert first.raw_feasible_rate == second.raw_feasible_rate


def test_refuses_an_oversize_subproblem(case) -> None:
    _, backend = case
    sub = random_route_tsp(backend.max_size + 1, seed=0)
    with pytest.raises(SubproblemTooLarge, match=rf"at most {backend.max_size} stops"):
        backend.solve(sub, Budget(seed=0))


def test_availability_is_reported_with_a_reason(case) -> None:
    _, backend = case
    status = backend.availability()
    assert status.available is True
    assert status.reason == "ok"


def test_small_instances_reach_the_optimum_often() -> None:
    """A sanity bar for the annealer: K=6 seeds solved to optimality by dwave-sa."""
    backend = get_backend("dwave-sa")
    hits = 0
    for seed in range(5):
        sub = random_route_tsp(6, seed)
        result = backend.solve(sub, Budget(seed=seed))
        hits += int(np.isclose(result.cost, held_karp(sub)[1]))
    assert hits >= 4
