"""PyVRP's ILS as a resumable hybrid engine: its state survives slices, a better plan handed
in becomes its current and best solution, and it never returns something worse."""

from __future__ import annotations

from qroute.hybrid.partition import initial_routes
from qroute.hybrid.pyvrp_search import PyVRPSearch
from qroute.hybrid.route_pool import RoutePool
from qroute.model.scenario import yangtze_delta
from qroute.model.validation import validate


def _problem():  # type: ignore[no-untyped-def]
    return yangtze_delta(num_customers=30, seed=4, capacity=60)


def test_slices_continue_one_search_and_feed_the_pool() -> None:
    problem = _problem()
    start = initial_routes(problem)
    pool = RoutePool(problem)
    search = PyVRPSearch(problem, seed=0)
    first = search.run(start, 0.3, pool)
    began, after_first = search.start, search.iterations
    second = search.run(first, 0.3, pool)
    # the second slice continued the same search: same start, more iterations, no restart
    assert search.start is began and search.iterations > after_first > 0
    assert search.runs == 2 and search.restarts == 0
    costs = [validate(problem, r) for r in (start, first, second)]
    assert all(c.feasible for c in costs)
    assert costs[2].cost <= costs[1].cost <= costs[0].cost
    assert pool.sources().get("pyvrp", 0) > 0
    assert all(frozenset(r) in pool for r in second)  # the best's routes are columns


def test_a_better_plan_handed_in_becomes_current_and_best() -> None:
    problem = _problem()
    start = initial_routes(problem)
    search = PyVRPSearch(problem, seed=1)
    own = search.run(start, 0.0)  # no time to search: its best is the savings start
    # a plan better than the search's best (found by a longer, separate search)
    better = PyVRPSearch(problem, seed=2).run(start, 1.0)
    assert validate(problem, better).cost < validate(problem, own).cost
    answer = search.run(better, 0.0)
    assert search.restarts == 1
    assert validate(problem, answer).cost <= validate(problem, better).cost + 1e-9


def test_never_worse_than_the_plan_handed_in() -> None:
    problem = _problem()
    good = PyVRPSearch(problem, seed=3).run(initial_routes(problem), 1.0)
    fresh = PyVRPSearch(problem, seed=4)
    answer = fresh.run(good, 0.0)  # no time to search: the plan itself comes back
    assert sorted(map(sorted, answer)) == sorted(map(sorted, good))
