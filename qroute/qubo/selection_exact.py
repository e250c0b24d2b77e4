"""The exact counterpart of the route-selection QUBO: the same set-partitioning problem as a
MIP, solved by HiGHS through scipy.optimize.milp, time-bounded, with its proven gap.

This is the classical reference every selection QUBO answer is compared with (the ablation
in result.json) and the "exact" step of the ablated pipeline in bench/pipeline.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from qroute.qubo.selection import Selection

DEFAULT_TIME_LIMIT = 10.0


@dataclass(frozen=True)
class ExactSelection:
    """The MIP's answer: chosen columns, cost, proven relative gap, status, seconds."""

    chosen: tuple[int, ...]
    cost: float
    optimal: bool
    gap: float | None  # HiGHS's relative MIP gap (0 when proven optimal)
    status: str
    wall_seconds: float


def solve_selection(selection: Selection, time_limit: float = DEFAULT_TIME_LIMIT) -> ExactSelection:
    """Minimum-cost exact cover with at most `max_routes` columns. If HiGHS stops at its
    time limit without a better cover, the incumbent is returned (never worse than it)."""
    start = time.perf_counter()
    m = selection.incidence()
    n = selection.size
    constraints = [LinearConstraint(m, 1.0, 1.0)]
    if selection.max_routes is not None:
        constraints.append(LinearConstraint(np.ones((1, n)), 0.0, float(selection.max_routes)))
    result = milp(
        selection.costs,
        constraints=constraints,
        integrality=np.ones(n),
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": max(float(time_limit), 0.01), "disp": False},
    )
    seconds = time.perf_counter() - start
    gap = getattr(result, "mip_gap", None)
    chosen: list[int] = []
    if result.x is not None:
        chosen = [j for j in range(n) if result.x[j] > 0.5]
    if not chosen or not selection.is_cover(chosen):
        chosen = list(selection.incumbent)
    if selection.cost_of(chosen) > selection.incumbent_cost() + 1e-9:
        chosen = list(selection.incumbent)
    optimal = result.status == 0
    return ExactSelection(
        chosen=tuple(sorted(chosen)),
        cost=selection.cost_of(chosen),
        optimal=optimal,
        gap=0.0 if optimal else (float(gap) if gap is not None else None),
        status=str(result.message),
        wall_seconds=seconds,
    )
