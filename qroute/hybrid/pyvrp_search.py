"""PyVRP's iterated local search as a classical engine of the hybrid, warm-started and
feeding the route pool.

`PyVRPSearch.run(routes, seconds, pool)` runs PyVRP 0.14's `IteratedLocalSearch` (the same
components `pyvrp.solve` builds: local search with its operators, perturbation, penalty
manager) from `routes` as its `initial_solution` for `seconds`, and returns the best
feasible solution it found (never worse than `routes`). An `IteratedLocalSearchCallbacks`
subclass offers the routes of every new best and of every `SAMPLE_EVERY`-th feasible
candidate to the pool, so route selection can recombine PyVRP's routes with SISR's.
"""

from __future__ import annotations

import pyvrp
from pyvrp.IteratedLocalSearch import (
    IteratedLocalSearch,
    IteratedLocalSearchCallbacks,
    IteratedLocalSearchParams,
)
from pyvrp.PenaltyManager import PenaltyManager, PenaltyParams
from pyvrp.search import (
    OPERATORS,
    LocalSearch,
    NeighbourhoodParams,
    PerturbationManager,
    PerturbationParams,
    compute_neighbours,
)
from pyvrp.stop import MaxRuntime

from qroute.baselines.pyvrp import to_pyvrp
from qroute.hybrid.route_pool import RoutePool
from qroute.model.problem import Problem
from qroute.model.validation import validate

SAMPLE_EVERY = 50  # offer every 50th feasible candidate's routes to the pool


def _routes_of(solution: pyvrp.Solution) -> list[list[int]]:
    """Our customer ids (PyVRP's client index + 1) per non-empty route."""
    return [[int(a.idx) + 1 for a in route if a.is_client()] for route in solution.routes()]


class _PoolFeeder(IteratedLocalSearchCallbacks):  # type: ignore[misc]
    def __init__(self, pool: RoutePool | None) -> None:
        self.pool = pool
        self.count = 0
        self.seen: set[tuple[int, ...]] = set()

    def _offer(self, solution: pyvrp.Solution) -> None:
        if self.pool is None:
            return
        for route in _routes_of(solution):
            key = tuple(route)
            if route and key not in self.seen:
                self.seen.add(key)
                self.pool.add(route, source="pyvrp")

    def on_iteration(self, current, candidate, best, cost_evaluator) -> None:  # type: ignore[no-untyped-def]
        self.count += 1
        if self.count % SAMPLE_EVERY == 0 and candidate.is_feasible():
            self._offer(candidate)

    def on_best(self, best: pyvrp.Solution) -> None:
        if best.is_feasible():
            self._offer(best)


class PyVRPSearch:
    """PyVRP's ILS on one problem; each `run` continues from the routes it is given."""

    def __init__(self, problem: Problem, seed: int = 0) -> None:
        self.problem = problem
        self.data = to_pyvrp(problem)
        self.rng = pyvrp.RandomNumberGenerator(seed=seed)
        neighbours = compute_neighbours(self.data, NeighbourhoodParams())
        self.search = LocalSearch(
            self.data, self.rng, neighbours, PerturbationManager(PerturbationParams())
        )
        for op in OPERATORS:
            if op.supports(self.data):
                self.search.add_operator(op(self.data))
        params = PenaltyParams()
        self.penalties = PenaltyManager(params.midpoint_penalties(self.data), params)
        self.iterations = 0
        self.runs = 0

    def run(
        self, routes: list[list[int]], seconds: float, pool: RoutePool | None = None
    ) -> list[list[int]]:
        """The best feasible solution found in `seconds` from `routes` (or `routes`)."""
        start = [[c - 1 for c in r] for r in routes if r]
        initial = pyvrp.Solution(self.data, start)
        feeder = _PoolFeeder(pool)
        algo = IteratedLocalSearch(
            self.data,
            self.penalties,
            self.search,
            initial,
            IteratedLocalSearchParams(callbacks=feeder),
        )
        result = algo.run(MaxRuntime(max(seconds, 0.01)), collect_stats=False)
        self.iterations += feeder.count
        self.runs += 1
        found = _routes_of(result.best)
        found = [r for r in found if r]
        if not result.best.is_feasible():
            return [list(r) for r in routes if r]
        mine, theirs = validate(self.problem, routes), validate(self.problem, found)
        if theirs.feasible and (theirs.cost < mine.cost - 1e-9 or not mine.feasible):
            return found
        return [list(r) for r in routes if r]
