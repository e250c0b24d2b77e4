"""The rail assignment QUBO kind runs on any backend through solve_qubo."""

from __future__ import annotations

import pytest

from qroute.backends import get_backend
from qroute.backends.base import solve_qubo
from qroute.model.solver import Budget
from qroute.qubo.kind import QuboKind
from qroute.rail.comparison import small_windows
from qroute.rail.kind import ASSIGNMENT_KIND
from qroute.rail.scenario import hsr_yangtze


@pytest.fixture(scope="module")
def cases() -> list:
    return small_windows(2, 12, min_qubits=6, net=hsr_yangtze(60, 20, seed=3))


def test_small_windows_have_the_asked_size_and_an_optimum(cases: list) -> None:
    assert len(cases) == 2
    for case in cases:
        assert 6 <= case.qubo.num_variables <= 12
        assert case.optimum >= case.qubo.offset_cost - 1e-6


def test_the_kind_solves_on_the_exact_and_sa_backends(cases: list) -> None:
    assert isinstance(ASSIGNMENT_KIND, QuboKind)
    for case in cases:
        exact = solve_qubo(ASSIGNMENT_KIND, case, get_backend("exact"), Budget(seed=0))
        assert exact.cost == pytest.approx(case.optimum) and not exact.repaired
        assert "HiGHS" in exact.provenance.device
        sa = solve_qubo(ASSIGNMENT_KIND, case, get_backend("dwave-sa"), Budget(seed=1, shots=50))
        assert sa.provenance.details["qubo"] == "rail-assignment-v1"
        assert sa.cost >= case.optimum - 1e-6
        chosen = sa.routes[0]
        assert len(chosen) == len(case.consignments)
        assert sa.provenance.details["optimum_found"] == (
            abs(sa.cost - case.optimum) < 1e-6 and not sa.repaired
        )
    assert ASSIGNMENT_KIND.key(cases[0]) != ASSIGNMENT_KIND.key(cases[1])
