"""The cold-chain solver: PyVRP with vehicle types, profiles and prize-collecting orders.

The scenario maps onto PyVRP 0.14 directly: one vehicle type per (depot, reefer/dry)
fleet with its capacity, cost per km (unit distance cost), depot and opening hours; a
maximum route duration (shift_duration) that for reefers equals the perishables' shelf
life, so every perishable spends less than its shelf life on board (time on board never
exceeds the route's duration); a second routing profile for dry vehicles in which arcs
into orders that need refrigeration are prohibitively long; and every order optional with
a prize by class (a medical prize outweighs all perishable prizes together, a perishable
one all general prizes together, a general one any detour), so when the fleet cannot
serve everything, general orders drop first. Medical orders that PyVRP still leaves out
although one vehicle could serve them alone are then made required and solved again from
the previous answer; the plan is kept only if it stays feasible. Every unserved order is
listed with its reason, and the plan is checked by `check_cold_chain`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection
from importlib.metadata import version

import numpy as np
import pyvrp
from pyvrp import PenaltyParams, SolveParams
from pyvrp.stop import MaxRuntime

from qroute.model.cold_chain import (
    ColdChainPlan,
    ColdChainScenario,
    Order,
    OrderClass,
    PlannedRoute,
)
from qroute.model.cold_chain_validation import alone_feasible, route_violations

ALGORITHM = f"pyvrp {version('pyvrp')} iterated local search (cold-chain model)"
_FORBIDDEN = 10**7  # distance units / seconds on an arc a dry vehicle must not drive
_PER_KM = 10  # PyVRP distance units (100 m) per km
# prizes span orders of magnitude; penalties must be able to outweigh them
PENALTIES = SolveParams(penalty=PenaltyParams(max_penalty=1e9))


def _prizes(scenario: ColdChainScenario) -> dict[OrderClass, int]:
    rate = max(_unit_cost(v.cost_per_km) for v in scenario.vehicle_types)
    depots = [d.node for d in scenario.depots]
    worst = float(scenario.distances[depots].max()) * 2 * _PER_KM * rate  # any detour
    general = int(math.ceil(worst)) * 4 + 1
    count = len(scenario.orders) + 2
    return {
        OrderClass.GENERAL: general,
        OrderClass.PERISHABLE: general * count,
        OrderClass.MEDICAL: general * count * count,
    }


def _unit_cost(cost_per_km: float) -> int:
    """PyVRP cost units per distance unit (100 m): 0.1 CNY per km per unit."""
    return max(1, int(round(cost_per_km * 10)))


def cold_chain_data(
    scenario: ColdChainScenario, required: Collection[str] = ()
) -> pyvrp.ProblemData:
    """PyVRP data: 100 m units, seconds (travel rounded up, so PyVRP is never optimistic)."""
    metres = np.round(scenario.distances * _PER_KM).astype(np.int64)
    seconds = np.ceil(scenario.travel_minutes * 60 - 1e-9).astype(np.int64)
    dry_metres, dry_seconds = metres.copy(), seconds.copy()
    for order in scenario.orders:
        if order.needs_reefer:
            dry_metres[:, order.node] = _FORBIDDEN
            dry_seconds[:, order.node] = _FORBIDDEN
            dry_metres[order.node, order.node] = dry_seconds[order.node, order.node] = 0
    prizes = _prizes(scenario)
    locations = [pyvrp.Location(x=float(lon), y=float(lat)) for lat, lon in scenario.coords]
    depots = [
        pyvrp.Depot(location=d.node, tw_early=d.open * 60, tw_late=d.close * 60, name=d.name)
        for d in scenario.depots
    ]
    clients = [
        pyvrp.Client(
            location=o.node,
            delivery=[o.demand],
            service_duration=o.service * 60,
            tw_early=o.ready * 60,
            tw_late=o.due * 60,
            prize=prizes[o.order_class],
            required=o.id in required,
            name=o.id,
        )
        for o in scenario.orders
    ]
    types = [
        pyvrp.VehicleType(
            num_available=v.count,
            capacity=[v.capacity],
            start_depot=v.depot,
            end_depot=v.depot,
            tw_early=scenario.depots[v.depot].open * 60,
            tw_late=scenario.depots[v.depot].close * 60,
            shift_duration=v.max_duration * 60,
            unit_distance_cost=_unit_cost(v.cost_per_km),
            profile=0 if v.refrigerated else 1,
            name=v.name,
        )
        for v in scenario.vehicle_types
    ]
    return pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=types,
        distance_matrices=[metres, dry_metres],  # type: ignore[list-item]
        duration_matrices=[seconds, dry_seconds],  # type: ignore[list-item]
    )


def _plan_routes(scenario: ColdChainScenario, solution: pyvrp.Solution) -> list[PlannedRoute]:
    numbers: dict[str, int] = {}
    routes = []
    for route in solution.routes():
        kind = scenario.vehicle_types[route.vehicle_type()]
        number = numbers.get(kind.name, 0)
        numbers[kind.name] = number + 1
        orders = tuple(scenario.orders[a.idx].id for a in route if a.is_client())
        if orders:
            routes.append(PlannedRoute(kind.name, number, orders))
    return routes


def to_pyvrp_solution(
    scenario: ColdChainScenario, data: pyvrp.ProblemData, routes: list[PlannedRoute]
) -> pyvrp.Solution:
    index = {o.id: k for k, o in enumerate(scenario.orders)}
    kinds = {v.name: k for k, v in enumerate(scenario.vehicle_types)}
    return pyvrp.Solution(
        data,
        [pyvrp.Route(data, [index[o] for o in r.orders], kinds[r.vehicle_type]) for r in routes],
    )


def unserved_reason(scenario: ColdChainScenario, order: Order, served: Collection[str]) -> str:
    """Why an order is not in the plan, in one line."""
    compatible = [v for v in scenario.vehicle_types if v.refrigerated or not order.needs_reefer]
    if not any(alone_feasible(scenario, order.id, v) for v in compatible):
        kind = "refrigerated vehicle" if order.needs_reefer else "vehicle"
        best = min(
            (
                route_violations(scenario, PlannedRoute(v.name, 0, (order.id,)), v.name)
                for v in compatible
            ),
            key=len,
        )
        return f"no {kind} can serve it even alone ({best[0]})"
    higher = sorted(
        {
            scenario.order(o).order_class.value
            for o in served
            if scenario.order(o).order_class.rank > order.order_class.rank
        }
    )
    if higher:
        return f"fleet exhausted: capacity and hours go to higher classes ({', '.join(higher)})"
    return "fleet exhausted: no vehicle has the capacity or time left to add it"


def solve_cold_chain(
    scenario: ColdChainScenario, time_limit: float = 5.0, seed: int = 0
) -> ColdChainPlan:
    """The cheapest plan found that serves as many orders as possible, by class first."""
    start = time.perf_counter()
    data = cold_chain_data(scenario)
    result = pyvrp.solve(
        data, stop=MaxRuntime(max(0.1, time_limit * 0.8)), seed=seed, params=PENALTIES
    )
    best = result.best
    routes = _plan_routes(scenario, best) if best.is_feasible() else []
    served = {o for r in routes for o in r.orders}
    missing_medical = [
        o.id
        for o in scenario.orders
        if o.order_class is OrderClass.MEDICAL
        and o.id not in served
        and any(alone_feasible(scenario, o.id, v) for v in scenario.vehicle_types)
    ]
    if missing_medical:
        required = set(missing_medical)
        forced = cold_chain_data(scenario, required)
        remaining = max(0.1, time_limit - (time.perf_counter() - start))
        again = pyvrp.solve(
            forced,
            stop=MaxRuntime(remaining),
            seed=seed,
            params=PENALTIES,
            initial_solution=to_pyvrp_solution(scenario, forced, routes),
        ).best
        if again.is_feasible() and not again.num_missing_clients():
            routes = _plan_routes(scenario, again)
            served = {o for r in routes for o in r.orders}
    unserved = tuple(
        (o.id, unserved_reason(scenario, o, served)) for o in scenario.orders if o.id not in served
    )
    return ColdChainPlan(tuple(routes), unserved, ALGORITHM)
