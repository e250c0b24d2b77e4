"""The independent cold-chain checker: recomputes every timeline from the scenario alone.

Checks windows with waiting, service times, the end depot's closing time, each vehicle
type's maximum route duration, perishables' shelf life (departure to delivery start),
vehicle-order compatibility (refrigeration), capacity, fleet size per type, that every
order is either served once or listed unserved with a reason, and that no order was
dropped while an idle compatible vehicle could have served it alone. Each violation is
named. Timelines come from `qroute.model.timeline.schedule`, the one forward pass the
plain validator's reports share.
"""

from __future__ import annotations

from collections import Counter

from qroute.model.cold_chain import ColdChainPlan, ColdChainScenario, PlannedRoute, VehicleType
from qroute.model.timeline import Timeline, schedule
from qroute.model.validation import ValidationReport

_EPS = 1e-6


def hhmm(minutes: float) -> str:
    """Minutes after midnight as HH:MM (rounded to the minute)."""
    total = int(round(minutes))
    return f"{total // 60:02d}:{total % 60:02d}"


def route_timeline(scenario: ColdChainScenario, route: PlannedRoute) -> Timeline:
    kind = scenario.vehicle_type(route.vehicle_type)
    depot = scenario.depots[kind.depot].node
    stops = [scenario.order(o).node for o in route.orders]
    return schedule(
        depot,
        stops,
        depot,
        scenario.travel_minutes,
        scenario.service_array(),
        scenario.window_array(),
    )


def route_km(scenario: ColdChainScenario, route: PlannedRoute) -> float:
    kind = scenario.vehicle_type(route.vehicle_type)
    depot = scenario.depots[kind.depot].node
    path = [depot, *(scenario.order(o).node for o in route.orders), depot]
    return float(sum(scenario.distances[a, b] for a, b in zip(path, path[1:], strict=False)))


def plan_cost(scenario: ColdChainScenario, plan: ColdChainPlan) -> float:
    """CNY: each route's road-km times its vehicle type's cost per km."""
    return sum(
        route_km(scenario, r) * scenario.vehicle_type(r.vehicle_type).cost_per_km
        for r in plan.routes
        if r.orders
    )


def route_violations(scenario: ColdChainScenario, route: PlannedRoute, label: str) -> list[str]:
    """Everything wrong with one route whose ids are known."""
    kind = scenario.vehicle_type(route.vehicle_type)
    orders = [scenario.order(o) for o in route.orders]
    found: list[str] = []
    load = sum(o.demand for o in orders)
    if load > kind.capacity:
        found.append(f"{label} load {load} exceeds {kind.name} capacity {kind.capacity}")
    for order in orders:
        if order.needs_reefer and not kind.refrigerated:
            found.append(
                f"{label}: {order.order_class} order {order.id} needs a refrigerated vehicle, "
                f"{kind.name} is dry"
            )
    timeline = route_timeline(scenario, route)
    for order, visit in zip(orders, timeline.visits, strict=True):
        if visit.late > _EPS:
            found.append(
                f"{label}: order {order.id} served at {hhmm(visit.serve)}, after its due "
                f"time {hhmm(order.due)}"
            )
        on_board = visit.serve - timeline.depart
        if order.shelf_life is not None and on_board > order.shelf_life + _EPS:
            found.append(
                f"{label}: perishable order {order.id} {on_board:.0f} min on board, shelf "
                f"life {order.shelf_life} min"
            )
    if timeline.back_late > _EPS:
        close = scenario.depots[kind.depot].close
        found.append(
            f"{label} returns at {hhmm(timeline.back)}, after the depot closes at {hhmm(close)}"
        )
    if timeline.duration > kind.max_duration + _EPS:
        found.append(
            f"{label} lasts {timeline.duration:.0f} min, {kind.name} allows {kind.max_duration}"
        )
    return found


def alone_feasible(scenario: ColdChainScenario, order_id: str, kind: VehicleType) -> bool:
    """Whether one vehicle of `kind` could serve the order on a route of its own."""
    route = PlannedRoute(kind.name, 0, (order_id,))
    return not route_violations(scenario, route, "route")


def check_cold_chain(scenario: ColdChainScenario, plan: ColdChainPlan) -> ValidationReport:
    """Every violation of the plan; the cost is in CNY (km times each type's rate)."""
    violations: list[str] = []
    known_types = {v.name: v for v in scenario.vehicle_types}
    known_orders = {o.id for o in scenario.orders}
    good_routes: list[PlannedRoute] = []
    vehicles = Counter((r.vehicle_type, r.vehicle) for r in plan.routes if r.orders)
    for (name, number), times in sorted(vehicles.items()):
        if times > 1:
            violations.append(f"vehicle {name} #{number} drives {times} routes")
    for k, route in enumerate(plan.routes, start=1):
        label = f"route {k} ({route.vehicle_type} #{route.vehicle})"
        kind = known_types.get(route.vehicle_type)
        if kind is None:
            violations.append(f"route {k}: unknown vehicle type {route.vehicle_type!r}")
            continue
        if not 0 <= route.vehicle < kind.count:
            violations.append(
                f"{label}: the fleet has {kind.count} {kind.name} vehicles (0..{kind.count - 1})"
            )
        unknown = [o for o in route.orders if o not in known_orders]
        violations.extend(f"{label}: unknown order id {o!r}" for o in unknown)
        if unknown or not route.orders:
            continue
        good_routes.append(route)
        violations.extend(route_violations(scenario, route, label))

    served = Counter(plan.served)
    violations.extend(f"order {o} served {n} times" for o, n in sorted(served.items()) if n > 1)
    unserved = dict(plan.unserved)
    for order_id in sorted(set(unserved) & set(served)):
        violations.append(f"order {order_id} is both served and listed unserved")
    for order_id, reason in sorted(unserved.items()):
        if order_id not in known_orders:
            violations.append(f"unserved list names unknown order id {order_id!r}")
        elif not reason.strip():
            violations.append(f"order {order_id} is unserved without a reason")
    missing = sorted(known_orders - set(served) - set(unserved))
    if missing:
        violations.append(
            f"{len(missing)} order(s) neither served nor listed unserved: "
            + ", ".join(missing[:20])
        )
    used = Counter(r.vehicle_type for r in good_routes)
    for order_id in sorted(set(unserved) & known_orders):
        order = scenario.order(order_id)
        for kind in scenario.vehicle_types:
            idle = used[kind.name] < kind.count
            compatible = kind.refrigerated or not order.needs_reefer
            if idle and compatible and alone_feasible(scenario, order_id, kind):
                violations.append(
                    f"{order.order_class} order {order_id} unserved although an idle "
                    f"{kind.name} vehicle could serve it alone"
                )
                break
    return ValidationReport(
        feasible=not violations,
        cost=plan_cost(scenario, ColdChainPlan(tuple(good_routes))),
        violations=tuple(violations),
        num_routes=len(good_routes),
    )
