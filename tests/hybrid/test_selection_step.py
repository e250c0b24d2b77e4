"""Route selection inside the hybrid: cutting sub-selections from a pool, every local
sampler on the selection BQM, adoption only when cheaper, the exact (MIP) step."""

from __future__ import annotations

import pytest

from qroute.hybrid.partition import initial_routes
from qroute.hybrid.route_pool import RoutePool
from qroute.hybrid.selection_step import cut_selection, selection_step, solve_selection_qubo
from qroute.model.scenario import yangtze_delta
from qroute.model.validation import validate
from qroute.qubo.selection_exact import solve_selection


def _pool_and_plan() -> tuple:
    """A plan whose routes are the savings routes cut in halves, and a pool that also holds
    the savings routes: selection can merge the halves back."""
    problem = yangtze_delta(num_customers=16, seed=2, capacity=40)
    good = initial_routes(problem)
    routes = [half for r in good for half in (r[: len(r) // 2], r[len(r) // 2 :]) if half]
    pool = RoutePool(problem)
    pool.add_singletons()
    pool.add_incumbent(routes)
    pool.add_all(good, source="test")
    return problem, routes, pool


def test_cut_selection_holds_the_incumbent_and_respects_the_cap() -> None:
    problem, routes, pool = _pool_and_plan()
    selection, replaced = cut_selection(problem, pool, routes, 0, 12, "t")
    assert 0 in replaced and len(replaced) >= 2
    assert selection.size <= 12 + len(replaced)
    assert selection.is_cover(list(selection.incumbent))
    assert selection.incumbent_cost() == pytest.approx(
        sum(problem.route_cost(routes[i]) for i in replaced)
    )


@pytest.mark.parametrize("backend", ["dwave-sa", "dwave-tabu", "exact", "qaoa-statevector"])
def test_every_local_sampler_returns_a_cover_no_worse_than_reported(backend: str) -> None:
    problem, routes, pool = _pool_and_plan()
    selection, _ = cut_selection(problem, pool, routes, 0, 10, "t")
    answer, qubo, device, seconds, usd = solve_selection_qubo(selection, backend, seed=1)
    assert qubo.num_variables <= 18
    assert selection.is_cover(list(answer.chosen))
    assert answer.cost == pytest.approx(selection.cost_of(list(answer.chosen)))
    exact = solve_selection(selection)
    assert answer.cost >= exact.cost - 1e-6
    if backend == "exact":  # exhaustive: the optimum, as a raw sample
        assert answer.cost == pytest.approx(exact.cost) and not answer.repaired
    assert seconds > 0 and usd == 0.0 and device


def test_selection_step_adopts_only_cheaper_plans_and_keeps_them_valid() -> None:
    problem, routes, pool = _pool_and_plan()
    start_cost = validate(problem, routes).cost
    adopted = 0
    for index in range(len(routes)):
        new_plan, record = selection_step(
            problem, pool, routes, index % len(routes), "dwave-sa", index, index
        )
        assert record.exact_cost <= record.incumbent_cost + 1e-6
        assert record.provenance_class == "classical_sampler"  # SA on a CPU
        if new_plan is None:
            assert not record.adopted
            continue
        adopted += 1
        report = validate(problem, new_plan)
        assert report.feasible
        assert report.cost < validate(problem, routes).cost - 1e-9
        assert record.decided_routes > 0 and not record.confirmed
        routes = new_plan
    assert adopted > 0
    assert validate(problem, routes).cost < start_cost


def test_exact_step_is_the_mip_and_never_worse_than_the_qubo() -> None:
    problem, routes, pool = _pool_and_plan()
    _, record = selection_step(problem, pool, routes, 0, "dwave-sa", 0, 0, exact_step=True)
    assert record.backend == "mip" and record.qubo_cost == pytest.approx(record.exact_cost)
    assert record.provenance_class == "classical_sampler"


@pytest.mark.parametrize("backend", ["braket-local", "pennylane-lightning", "qiskit-aer"])
def test_selection_qaoa_on_each_sdk_simulator(backend: str) -> None:
    """The selection BQM runs on each SDK's simulator (quantum_simulator) and decodes to a
    cover the MIP confirms as no better than the optimum."""
    problem, routes, pool = _pool_and_plan()
    selection, _ = cut_selection(problem, pool, routes, 0, 6, "t")
    answer, qubo, device, _, _ = solve_selection_qubo(selection, backend, seed=3)
    assert qubo.num_variables <= 8
    assert selection.is_cover(list(answer.chosen))
    assert answer.cost >= solve_selection(selection).cost - 1e-6
    from qroute.model.provenance import provenance_class

    assert provenance_class(backend, device) == "quantum_simulator"


def test_recombine_step_is_a_wide_mip_credited_to_the_classical_class() -> None:
    problem, routes, pool = _pool_and_plan()
    narrow, _ = cut_selection(problem, pool, routes, 0, 4, "t", nearest=1)
    assert len(narrow.customers) < problem.num_customers
    new_plan, record = selection_step(problem, pool, routes, 0, "mip", seed=0, index=0)
    # the wide cut spans every route of this small plan, so the MIP merges all halves back
    assert record.step == "recombine" and record.backend == "mip"
    assert record.customers == problem.num_customers
    assert record.credited_class == record.provenance_class == "classical_sampler"
    assert record.adopted and new_plan is not None
    assert record.qubo_cost == pytest.approx(record.exact_cost)
    check = validate(problem, new_plan)
    assert check.feasible
    assert check.cost == pytest.approx(
        validate(problem, routes).cost - record.incumbent_cost + record.exact_cost
    )
    assert check.cost <= validate(problem, initial_routes(problem)).cost + 1e-6
