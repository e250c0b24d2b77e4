"""The independent validator: recomputes everything from the instance data alone."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from qroute.model.problem import Problem

_TIME_EPS = 1e-6


@dataclass(frozen=True)
class ValidationReport:
    """Every violation found, the recomputed cost and, if given, the claimed cost."""

    feasible: bool
    cost: float
    violations: tuple[str, ...]
    num_routes: int
    claimed_cost: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "feasible": self.feasible,
            "cost": self.cost,
            "claimed_cost": self.claimed_cost,
            "num_routes": self.num_routes,
            "violations": list(self.violations),
        }


def validate(
    problem: Problem,
    routes: Sequence[Sequence[int]],
    claimed_cost: float | None = None,
) -> ValidationReport:
    """Check a CVRP(TW) solution given as routes of customer ids (depot 0 omitted or at ends).

    Checks: every customer exactly once, no unknown ids, routes start and end at the depot,
    capacity, fleet size when fixed, time windows and route-length limits when the instance
    has them, and that a claimed cost equals the recomputed cost under the instance's
    convention. Returns every violation, not just the first.
    """
    violations: list[str] = []
    n = problem.num_customers
    clean: list[list[int]] = []
    for k, route in enumerate(routes, start=1):
        stops = [int(c) for c in route]
        if stops and (stops[0] == 0) != (stops[-1] == 0):
            violations.append(f"route {k} does not start and end at the depot")
        inner = stops[1:] if stops and stops[0] == 0 else stops
        inner = inner[:-1] if inner and inner[-1] == 0 else inner
        if 0 in inner:
            violations.append(f"route {k} passes through the depot mid-route")
        unknown = [c for c in inner if c != 0 and not 1 <= c <= n]
        violations.extend(f"route {k}: unknown customer id {c} (valid: 1..{n})" for c in unknown)
        clean.append([c for c in inner if 1 <= c <= n])

    seen = Counter(c for route in clean for c in route)
    duplicates = sorted(c for c, times in seen.items() if times > 1)
    missing = sorted(set(range(1, n + 1)) - set(seen))
    violations.extend(f"customer {c} visited {seen[c]} times" for c in duplicates)
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        violations.append(f"{len(missing)} customer(s) not visited: {shown}")

    used = [route for route in clean if route]
    if problem.num_vehicles is not None and len(used) > problem.num_vehicles:
        violations.append(f"{len(used)} routes but the fleet has {problem.num_vehicles} vehicles")

    cost = 0.0
    for k, route in enumerate(clean, start=1):
        if not route:
            continue
        route_cost = problem.route_cost(route)
        cost += route_cost
        load = int(problem.demands[route].sum())
        if load > problem.capacity:
            violations.append(f"route {k} load {load} exceeds capacity {problem.capacity:g}")
        if problem.max_route_length is not None:
            length = route_cost + sum(problem.service(c) for c in route)
            if length > problem.max_route_length + _TIME_EPS:
                violations.append(
                    f"route {k} length {length:.2f} exceeds the limit {problem.max_route_length:g}"
                )
        if problem.time_windows is not None:
            violations.extend(_time_window_violations(problem, k, route))

    if claimed_cost is not None and not math.isfinite(claimed_cost):
        violations.append(f"claimed cost {claimed_cost} is not a finite number")
    elif claimed_cost is not None and abs(claimed_cost - cost) > problem.cost_tolerance:
        violations.append(f"claimed cost {claimed_cost:g} != recomputed cost {cost:.6g}")
    return ValidationReport(
        feasible=not violations,
        cost=cost,
        violations=tuple(violations),
        num_routes=len(used),
        claimed_cost=claimed_cost,
    )


def _time_window_violations(problem: Problem, k: int, route: Sequence[int]) -> list[str]:
    assert problem.time_windows is not None
    windows = problem.time_windows
    found: list[str] = []
    time = float(windows[0, 0])
    previous = 0
    for customer in (*route, 0):
        time += problem.service(previous) + float(problem.distances[previous, customer])
        ready, due = float(windows[customer, 0]), float(windows[customer, 1])
        if time > due + _TIME_EPS:
            where = "the depot" if customer == 0 else f"customer {customer}"
            found.append(f"route {k} reaches {where} at {time:.2f}, after its due time {due:g}")
        time = max(time, ready)
        previous = customer
    return found
