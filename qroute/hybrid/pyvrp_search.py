"""PyVRP's iterated local search as a classical engine of the hybrid, resumable, warm-started
and feeding the route pool.

`PyVRPSearch.run(routes, seconds, pool)` continues PyVRP 0.14's iterated local search (the
components `pyvrp.solve` builds: local search with its operators, perturbation, penalty
manager; the loop of `pyvrp.IteratedLocalSearch.run`, late-acceptance hill climbing with
restarts) for `seconds` and returns the best feasible solution found so far (never worse
than `routes`). Unlike `IteratedLocalSearch.run`, the search state - current solution,
best, late-acceptance history, iterations since the last improvement - survives between
calls, so the hybrid can interrupt PyVRP for route selection without restarting its search
(bench/pipeline.py measured the restarts' cost). When `routes` is better than the search's
own best (a selection step improved the plan), the search continues from it as its current
and best solution: the warm start of PyVRP's `initial_solution`, keeping the history.

The routes of every new best and of every `SAMPLE_EVERY`-th feasible candidate are offered
to the pool, so route selection can recombine PyVRP's routes with the other engines'.
"""

from __future__ import annotations

import time

import pyvrp
from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
from pyvrp.PenaltyManager import PenaltyManager, PenaltyParams
from pyvrp.RingBuffer import RingBuffer
from pyvrp.search import (
    OPERATORS,
    LocalSearch,
    NeighbourhoodParams,
    PerturbationManager,
    PerturbationParams,
    compute_neighbours,
)

from qroute.baselines.pyvrp import to_pyvrp
from qroute.hybrid.route_pool import RoutePool
from qroute.model.problem import Problem
from qroute.model.validation import validate

SAMPLE_EVERY = 10  # offer every 10th feasible candidate's routes to the pool


def _routes_of(solution: pyvrp.Solution) -> list[list[int]]:
    """Our customer ids (PyVRP's client index + 1) per non-empty route."""
    return [[int(a.idx) + 1 for a in route if a.is_client()] for route in solution.routes()]


class PyVRPSearch:
    """PyVRP's ILS on one problem; each `run` continues the same search."""

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
        penalty = PenaltyParams()
        self.penalties = PenaltyManager(penalty.midpoint_penalties(self.data), penalty)
        self.params = IteratedLocalSearchParams()
        self.history: RingBuffer[pyvrp.Solution] = RingBuffer(self.params.history_length)
        self.start: pyvrp.Solution | None = None  # the solution the current search began from
        self.best: pyvrp.Solution | None = None
        self.current: pyvrp.Solution | None = None
        self.since_best = 0
        self.iterations = 0
        self.runs = 0
        self.restarts = 0  # searches begun from a better plan handed in by the hybrid
        self._seen: set[tuple[int, ...]] = set()

    def _offer(self, solution: pyvrp.Solution, pool: RoutePool | None) -> None:
        if pool is None:
            return
        for route in _routes_of(solution):
            key = tuple(route)
            if route and key not in self._seen:
                self._seen.add(key)
                pool.add(route, source="pyvrp")

    def _begin(self, solution: pyvrp.Solution) -> None:
        self.start = self.best = self.current = solution
        self.history.clear()
        self.since_best = 0

    def run(
        self, routes: list[list[int]], seconds: float, pool: RoutePool | None = None
    ) -> list[list[int]]:
        """The best feasible solution found so far, after `seconds` more of search from the
        current state (restarted from `routes` when they beat the search's best)."""
        given = pyvrp.Solution(self.data, [[c - 1 for c in r] for r in routes if r])
        evaluator = self.penalties.cost_evaluator()
        if self.best is None:
            self._begin(given)
        elif evaluator.cost(given) < evaluator.cost(self.best):
            # a better plan from another step: continue from it, keeping the late-acceptance
            # history (clearing it would forget how far the search may climb)
            self.best = self.current = given
            self.since_best = 0
            self.restarts += 1
        self.runs += 1
        until = time.perf_counter() + max(seconds, 0.0)
        self._iterate(until, pool)
        return self._answer(routes)

    def _iterate(self, until: float, pool: RoutePool | None) -> None:
        """PyVRP 0.14's IteratedLocalSearch.run loop body, with the state kept on self."""
        assert self.best is not None and self.current is not None and self.start is not None
        params = self.params
        while time.perf_counter() < until:
            self.iterations += 1
            if self.since_best == params.num_iters_no_improvement:
                self.history.clear()
                self.current = self.best
                self.since_best = 0
            evaluator = self.penalties.cost_evaluator()
            candidate = self.search(self.current, evaluator, exhaustive=False)
            self.penalties.register(candidate)
            self.since_best += 1
            if evaluator.cost(candidate) < evaluator.cost(self.best):
                self.best = candidate
                self.since_best = 0
                if params.exhaustive_on_best:
                    candidate = self.search(candidate, evaluator, exhaustive=True)
                    if candidate.is_feasible():
                        self.best = candidate
                if self.best.is_feasible():
                    self._offer(self.best, pool)
            candidate_cost = evaluator.penalised_cost(candidate)
            current_cost = evaluator.penalised_cost(self.current)
            late = self.history.peek()
            late_cost = evaluator.penalised_cost(late if late is not None else self.start)
            if candidate_cost < late_cost or candidate_cost < current_cost:
                self.current = candidate
                current_cost = candidate_cost
            if current_cost < late_cost or late is None:
                self.history.append(self.current)
            else:
                self.history.skip()
            if self.iterations % SAMPLE_EVERY == 0 and candidate.is_feasible():
                self._offer(candidate, pool)

    def _answer(self, routes: list[list[int]]) -> list[list[int]]:
        given = [list(r) for r in routes if r]
        if self.best is None or not self.best.is_feasible():
            return given
        found = [r for r in _routes_of(self.best) if r]
        mine, theirs = validate(self.problem, given), validate(self.problem, found)
        if theirs.feasible and (theirs.cost < mine.cost - 1e-9 or not mine.feasible):
            return found
        return given
