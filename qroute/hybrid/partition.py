"""A capacity-feasible start for the hybrid pipeline (the partition into routes).

Plain CVRP (optionally with a route-length limit): Clarke-Wright savings, which respects
capacity and the length limit and takes about a second for 1000 customers. When savings
cannot give a feasible start (time windows, a fixed fleet it exceeds), a cheapest-insertion
construction that checks every constraint takes over. The caller validates the result
independently either way.
"""

from __future__ import annotations

import numpy as np

from qroute.baselines.savings import savings_routes
from qroute.model.problem import Problem
from qroute.model.validation import validate


def route_feasible(problem: Problem, route: list[int] | tuple[int, ...]) -> bool:
    """Capacity, route-length limit and time windows of one route (depot omitted)."""
    if not route:
        return True
    if float(problem.demands[list(route)].sum()) > problem.capacity:
        return False
    if problem.max_route_length is not None:
        length = problem.route_cost(route) + sum(problem.service(c) for c in route)
        if length > problem.max_route_length + 1e-6:
            return False
    if problem.time_windows is not None:
        return time_windows_ok(problem, route)
    return True


def time_windows_ok(problem: Problem, route: list[int] | tuple[int, ...]) -> bool:
    """The same arrival rule as qroute.model.validation (wait when early, never late)."""
    windows = problem.time_windows
    assert windows is not None
    d = problem.distances
    time = float(windows[0, 0])
    previous = 0
    for customer in (*route, 0):
        time += problem.service(previous) + float(d[previous, customer])
        if time > float(windows[customer, 1]) + 1e-6:
            return False
        time = max(time, float(windows[customer, 0]))
        previous = customer
    return True


def insertion_routes(problem: Problem, order: list[int] | None = None) -> list[list[int]]:
    """Cheapest feasible insertion of customers one by one (opening a route when none fits,
    even beyond a fixed fleet, which the validator then reports)."""
    from qroute.hybrid.improve import RuinRecreate

    engine = RuinRecreate(problem, [], seed=0)
    if order is None:
        if problem.time_windows is not None:
            order = sorted(problem.customers, key=lambda c: float(problem.time_windows[c, 1]))  # type: ignore[index]
        else:
            order = sorted(problem.customers, key=lambda c: -float(problem.distances[0, c]))
    engine.insert_all(order, blink=0.0, force=True)
    return engine.routes()


def initial_routes(problem: Problem) -> list[list[int]]:
    """A start that satisfies capacity (and the length limit / fleet / time windows when the
    instance has them, whenever the constructions manage)."""
    if problem.time_windows is None:
        routes = savings_routes(problem)
        if validate(problem, routes).feasible:
            return routes
        # a fixed fleet that savings exceeds: pack by decreasing demand instead
        by_demand = sorted(problem.customers, key=lambda c: (-int(problem.demands[c]), c))
        packed = insertion_routes(problem, by_demand)
        return packed if validate(problem, packed).feasible else routes
    return insertion_routes(problem)


def sweep_routes(problem: Problem) -> list[list[int]]:
    """Sweep by polar angle around the depot, cutting when capacity would overflow (a simple
    alternative start, kept for comparison)."""
    if problem.coords is None:
        return savings_routes(problem)
    xy = np.asarray(problem.coords, dtype=np.float64)
    angle = np.arctan2(xy[1:, 1] - xy[0, 1], xy[1:, 0] - xy[0, 0])
    routes: list[list[int]] = []
    current: list[int] = []
    load = 0.0
    for c in (np.argsort(angle, kind="stable") + 1).tolist():
        demand = float(problem.demands[c])
        if current and load + demand > problem.capacity:
            routes.append(current)
            current, load = [], 0.0
        current.append(int(c))
        load += demand
    if current:
        routes.append(current)
    return routes
