"""Clarke-Wright parallel savings: a fast constructive baseline."""

from __future__ import annotations

import time

import numpy as np

from qroute.baselines.result import baseline_result
from qroute.model.problem import Problem
from qroute.model.solver import Budget, SolveResult


def savings_routes(problem: Problem) -> list[list[int]]:
    """Merge routes by decreasing saving d(0,i) + d(0,j) - d(i,j), respecting capacity
    and the route-length limit (time windows are not considered)."""
    d = problem.distances
    n = problem.num_nodes
    i_idx, j_idx = np.triu_indices(n - 1, k=1)
    i_idx, j_idx = i_idx + 1, j_idx + 1
    saving = d[0, i_idx] + d[0, j_idx] - d[i_idx, j_idx]
    order = np.argsort(-saving, kind="stable")
    route_of = list(range(n))  # customer -> route id
    routes: dict[int, list[int]] = {c: [c] for c in problem.customers}
    load = {c: int(problem.demands[c]) for c in problem.customers}
    length = {c: problem.route_cost([c]) + problem.service(c) for c in problem.customers}
    limit = problem.max_route_length
    for k in order:
        if saving[k] <= 0:
            break
        a, b = int(i_idx[k]), int(j_idx[k])
        ra, rb = route_of[a], route_of[b]
        if ra == rb or load[ra] + load[rb] > problem.capacity:
            continue
        left, right = routes[ra], routes[rb]
        # a and b must be route ends; orient so that a is the tail of left, b head of right
        if left[-1] != a:
            if left[0] != a:
                continue
            left = left[::-1]
        if right[0] != b:
            if right[-1] != b:
                continue
            right = right[::-1]
        if limit is not None:
            merged_length = length[ra] + length[rb] - float(saving[k])
            if merged_length > limit + 1e-9:
                continue
        else:
            merged_length = 0.0
        merged = left + right
        routes[ra] = merged
        load[ra] += load[rb]
        length[ra] = merged_length
        for c in right:
            route_of[c] = ra
        del routes[rb], load[rb], length[rb]
    return list(routes.values())


class SavingsSolver:
    """Clarke-Wright savings; deterministic, ignores the time budget (it is fast)."""

    name = "savings"

    def solve(self, problem: Problem, budget: Budget) -> SolveResult:
        start = time.perf_counter()
        return baseline_result(
            problem,
            savings_routes(problem),
            name=self.name,
            device="clarke-wright savings (CPU)",
            seed=None,
            start=start,
        )
