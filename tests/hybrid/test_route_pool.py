"""The route pool: distinct feasible routes, deduplicated, bounded, always a full cover."""

from __future__ import annotations

import pytest

from qroute.hybrid.partition import initial_routes
from qroute.hybrid.route_pool import RoutePool
from qroute.model.scenario import yangtze_delta


def test_pool_keeps_the_cheapest_order_of_each_customer_set() -> None:
    problem = yangtze_delta(num_customers=10, seed=1, capacity=1000)
    pool = RoutePool(problem)
    assert pool.add([1, 2, 3])
    worse, better = ([3, 1, 2], [1, 3, 2])
    costs = {tuple(r): problem.route_cost(r) for r in ([1, 2, 3], worse, better)}
    pool.add(worse)
    pool.add(better)
    assert len(pool) == 1
    entry = pool.routes[frozenset({1, 2, 3})]
    assert entry.cost == pytest.approx(min(costs.values()))
    with pytest.raises(ValueError, match="twice"):
        pool.add([1, 1])


def test_pool_rejects_infeasible_routes() -> None:
    problem = yangtze_delta(num_customers=20, seed=2, capacity=30)
    pool = RoutePool(problem)
    heavy = sorted(problem.customers, key=lambda c: -problem.demands[c])[:10]
    assert float(problem.demands[heavy].sum()) > problem.capacity
    assert not pool.add(heavy)
    assert pool.rejected_infeasible == 1 and len(pool) == 0


def test_pool_is_bounded_and_never_evicts_protected_columns() -> None:
    problem = yangtze_delta(num_customers=12, seed=3, capacity=1000)
    pool = RoutePool(problem, max_routes=14)
    pool.add_singletons()
    assert len(pool) == 12
    pool.add_incumbent(initial_routes(problem))
    for a in range(1, 12):
        pool.add([a, a + 1])
    assert len(pool) <= 14 + len(initial_routes(problem))
    for c in problem.customers:
        assert frozenset({c}) in pool  # a full cover always exists
    assert all(r.customers <= set(problem.customers) for r in pool.within(problem.customers))
    assert pool.within([1, 2]) and all(r.customers <= {1, 2} for r in pool.within([1, 2]))
