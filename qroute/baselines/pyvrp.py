"""PyVRP's iterated local search (PyVRP 0.14's `pyvrp.solve`) as a baseline."""

from __future__ import annotations

import time
from importlib.metadata import version

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from qroute.baselines.result import baseline_result
from qroute.baselines.scaling import scale_factor, scaled
from qroute.model.problem import Problem
from qroute.model.solver import Budget, SolveResult

_INT_MAX = np.iinfo(np.int64).max
PYVRP_DEVICE = f"pyvrp {version('pyvrp')} (iterated local search, CPU)"


def to_pyvrp(problem: Problem) -> pyvrp.ProblemData:
    """Build PyVRP's data from a Problem (distances scaled to integers)."""
    factor = scale_factor(problem)
    coords = problem.coords if problem.coords is not None else np.zeros((problem.num_nodes, 2))
    locations = [pyvrp.Location(x=float(x), y=float(y)) for x, y in coords]
    windows = problem.time_windows
    service = problem.service_times
    depot_late = int(scaled(windows[0, 1], factor)) if windows is not None else _INT_MAX
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[int(problem.demands[i])],
            service_duration=int(scaled(service[i], factor)) if service is not None else 0,
            tw_early=int(scaled(windows[i, 0], factor)) if windows is not None else 0,
            tw_late=int(scaled(windows[i, 1], factor)) if windows is not None else _INT_MAX,
        )
        for i in problem.customers
    ]
    fleet = problem.num_vehicles or problem.num_customers
    limit = problem.max_route_length
    vehicle = pyvrp.VehicleType(
        num_available=fleet,
        capacity=[int(problem.capacity)],
        tw_late=depot_late,
        shift_duration=int(scaled(limit, factor)) if limit is not None else _INT_MAX,
    )
    matrix = scaled(problem.distances, factor)
    return pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=[pyvrp.Depot(location=0, tw_late=depot_late)],
        vehicle_types=[vehicle],
        distance_matrices=[matrix],  # type: ignore[list-item]
        duration_matrices=[matrix],  # type: ignore[list-item]
    )


class PyVRPSolver:
    """Solve a full Problem with PyVRP (iterated local search) under a wall-time budget."""

    name = "pyvrp"

    def solve(self, problem: Problem, budget: Budget) -> SolveResult:
        start = time.perf_counter()
        data = to_pyvrp(problem)
        result = pyvrp.solve(
            data, stop=MaxRuntime(max(0.1, budget.time_limit)), seed=budget.seed, display=False
        )
        routes = tuple(
            tuple(_location(a) for a in route if a.is_client()) for route in result.best.routes()
        )
        return baseline_result(
            problem,
            routes,
            name=self.name,
            device=PYVRP_DEVICE,
            seed=budget.seed,
            start=start,
            details={"iterations": int(result.num_iterations)},
        )


def _location(activity: pyvrp.ScheduledActivity) -> int:
    """Our node id of a client visit (PyVRP numbers clients 0.. after the depot)."""
    return int(activity.idx) + 1
