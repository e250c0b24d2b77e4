"""Classical subproblem backends: the exact reference."""

from __future__ import annotations

import time

from qroute.backends.base import Availability, check_size
from qroute.model.solver import Budget, Provenance, SolveResult
from qroute.model.subproblem import Subproblem
from qroute.qubo.held_karp import MAX_EXACT_SIZE, held_karp


class ExactBackend:
    """Held-Karp dynamic programming: the optimum, the reference for every gap."""

    name = "exact"
    paradigm = "classical"
    max_size = 13
    device = "held-karp dynamic programming (CPU)"

    def availability(self) -> Availability:
        return Availability(True)

    def solve(self, problem: Subproblem, budget: Budget) -> SolveResult:
        check_size(self, problem)
        assert self.max_size <= MAX_EXACT_SIZE
        start = time.perf_counter()
        order, cost = held_karp(problem)
        return SolveResult(
            routes=(tuple(order),),
            cost=cost,
            provenance=Provenance(
                backend_requested=self.name,
                backend_used=self.name,
                device=self.device,
                paradigm=self.paradigm,
                seed=budget.seed,
                wall_seconds=time.perf_counter() - start,
            ),
            raw_feasible_rate=1.0,
        )
