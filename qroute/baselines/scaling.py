"""Integer scaling of distances for solvers that need integer arc costs."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from qroute.model.problem import Problem, Rounding


def scale_factor(problem: Problem) -> int:
    """1 for integer conventions, 10 for one-decimal truncation, 1000 otherwise."""
    if problem.rounding in (Rounding.NINT, Rounding.EXPLICIT) and np.all(
        problem.distances == np.round(problem.distances)
    ):
        return 1
    if problem.rounding is Rounding.TRUNC1:
        return 10
    return 1000


def scaled(values: NDArray | float, factor: int) -> NDArray[np.int64]:
    return np.asarray(np.round(np.asarray(values, dtype=np.float64) * factor), dtype=np.int64)


def fleet_size(problem: Problem) -> int:
    """The fixed fleet, or a generous bound when the fleet is free (unused vehicles cost 0)."""
    if problem.num_vehicles is not None:
        return problem.num_vehicles
    lower = problem.lower_bound_vehicles()
    return min(problem.num_customers, max(lower + 3, int(np.ceil(1.5 * lower))))
