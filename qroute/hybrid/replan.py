"""Re-optimising a plan in motion: apply events at a time of day, keep what is done.

At the replan time every vehicle is somewhere on its route: stops it has left are served
and fixed; the stop it is serving or driving to is committed and kept; from there (or
from the depot, for a vehicle that has not left yet) it is free again. The open orders
(the plan's unserved stops, minus cancellations, plus new orders and a broken-down
vehicle's stops) are then re-planned in two steps:

1. *repair*: cheapest feasible insertion of every order that lost its vehicle or is new
   into the current routes, by priority (fast, a feasible plan in well under 2 s);
2. *improve*: PyVRP's iterated local search warm-started from the repaired plan
   (`initial_solution`), each vehicle its own vehicle type starting where it stands at the
   time it is free, every open order optional with a prize by priority, travel times
   stretched by the delays; kept only when its checked plan serves at least as much
   priority and costs less.

Times are minutes after midnight in the instance's time unit (travel time = distance,
the validator's convention; one road-km per minute for the generated scenarios). An
instance without time windows starts its day at 08:00. En-route vehicles are assumed to
carry goods for whatever they are given (their remaining capacity), as in the EURO
Meets NeurIPS 2022 dynamic VRP. Every rejected event raises one `InputError` before
anything is changed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyvrp
from numpy.typing import NDArray
from pyvrp.stop import MaxRuntime

from qroute.baselines.cold_chain import PENALTIES
from qroute.model.errors import InputError
from qroute.model.events import Event, parse_hhmm
from qroute.model.problem import Problem, Rounding, great_circle_km
from qroute.model.scenario import ROAD_FACTOR
from qroute.model.timeline import schedule

DAY_START = 8 * 60
DAY_END = 24 * 60
_NO_DUE = 10.0**7
_EPS = 1e-6


def hhmm(minutes: float) -> str:
    total = int(round(minutes))
    return f"{total // 60:02d}:{total % 60:02d}"


@dataclass
class Day:
    """Mutable working copy of the network while events are applied (never the input)."""

    ids: list[str]  # node -> order id ("" for the depot)
    coords: NDArray[np.float64] | None
    latlon: bool
    distances: NDArray[np.float64]  # the instance's arcs (cost)
    travel: NDArray[np.float64]  # travel times now (delays applied)
    demand: list[int]
    service: NDArray[np.float64]
    windows: NDArray[np.float64]  # (ready, due); the depot's due is its closing time
    priority: list[int]
    capacity: float

    def node_of(self, order_id: str) -> int | None:
        try:
            return self.ids.index(order_id, 1)
        except ValueError:
            return None


@dataclass
class Vehicle:
    id: str
    served: list[int]  # left before the replan time
    committed: list[int]  # the stop it is serving or driving to (kept)
    remaining: list[int]  # planned after the committed stop (re-optimised)
    position: int  # where it is free again
    free_at: float
    started: bool
    finished: bool = False
    broken: bool = False
    depart: float | None = None  # when it left the depot (None: not yet)

    @property
    def fixed(self) -> list[int]:
        return self.served + self.committed


@dataclass(frozen=True)
class Plan:
    """A plan to replan: its problem, order ids per node, routes, and its own time."""

    problem: Problem
    routes: tuple[tuple[int, ...], ...]
    order_ids: tuple[str, ...]  # node -> id; node 0 is the depot ("")
    at: int | None = None  # the time this plan was made (a replanned plan)
    extra_vehicles: int = 0  # vehicles of the fleet without a route
    closed: tuple[tuple[str, str], ...] = ()  # orders never to serve again (id, reason)
    departs: tuple[float | None, ...] = ()  # per route, when it left (a replanned plan)


@dataclass
class ReplanResult:
    at: int
    day: Day
    vehicles: list[Vehicle]
    routes: list[list[int]]  # full routes (fixed + new), node ids of `day`
    unserved: dict[str, str]
    events: list[Event]
    before: dict[str, float]
    after: dict[str, float]
    repaired: dict[str, Any]
    improved: dict[str, Any]
    diff: dict[str, list[str]]
    notes: list[str] = field(default_factory=list)


def plan_from_routes(problem: Problem, routes: Sequence[Sequence[int]]) -> Plan:
    """A fresh plan (as `qroute solve` writes it): ids are the customer ids as strings."""
    ids = ("", *(str(c) for c in problem.customers))
    fleet = problem.num_vehicles if problem.num_vehicles is not None else len(routes) + 3
    used = [tuple(int(c) for c in r) for r in routes if len(r) > 0]
    return Plan(problem, tuple(used), ids, None, max(0, fleet - len(used)))


def _day(plan: Plan) -> Day:
    p = plan.problem
    n = p.num_nodes
    if p.time_windows is not None:
        windows = np.array(p.time_windows, dtype=np.float64)
    else:
        windows = np.tile([DAY_START, _NO_DUE], (n, 1))
        windows[0] = (DAY_START, DAY_END)
    service = (
        np.array(p.service_times, dtype=np.float64) if p.service_times is not None else np.zeros(n)
    )
    priority = [int(v) for v in p.priorities] if p.priorities is not None else [0] * n
    return Day(
        ids=list(plan.order_ids),
        coords=None if p.coords is None else np.array(p.coords, dtype=np.float64),
        latlon=p.coord_kind == "latlon",
        distances=np.array(p.distances, dtype=np.float64),
        travel=np.array(p.distances, dtype=np.float64),
        demand=[int(d) for d in p.demands],
        service=service,
        windows=windows,
        priority=priority,
        capacity=float(p.capacity),
    )


def _timeline(day: Day, vehicle: Vehicle, stops: Sequence[int]) -> Any:
    if vehicle.position == 0 and not vehicle.committed:
        return schedule(
            0, list(stops), 0, day.travel, day.service, day.windows, earliest_start=vehicle.free_at
        )
    return schedule(
        vehicle.position,
        list(stops),
        0,
        day.travel,
        day.service,
        day.windows,
        earliest_start=vehicle.free_at,
        serve_start=False,
    )


def vehicles_at(plan: Plan, day: Day, now: float) -> list[Vehicle]:
    """Where each vehicle of the plan stands at `now` (the plan executed as planned)."""
    vehicles: list[Vehicle] = []
    for k, route in enumerate(plan.routes, start=1):
        fixed = plan.departs[k - 1] if len(plan.departs) >= k else None
        tl = schedule(0, list(route), 0, day.distances, day.service, day.windows, depart_at=fixed)
        if tl.depart > now + _EPS:  # still at the depot
            vehicles.append(Vehicle(str(k), [], [], list(route), 0, now, False))
            continue
        served = [v.node for v in tl.visits if v.leave <= now + _EPS]
        rest = [v for v in tl.visits if v.leave > now + _EPS]
        if not rest:
            vehicles.append(
                Vehicle(str(k), served, [], [], 0, max(now, tl.back), True, True, depart=tl.depart)
            )
            continue
        nxt = rest[0]
        vehicles.append(
            Vehicle(
                str(k),
                served,
                [nxt.node],
                [v.node for v in rest[1:]],
                nxt.node,
                max(now, nxt.leave),
                True,
                depart=tl.depart,
            )
        )
    for j in range(plan.extra_vehicles):
        vehicles.append(Vehicle(str(len(plan.routes) + j + 1), [], [], [], 0, now, False))
    return vehicles


def _within(day: Day, lat: float, lon: float, radius: float) -> NDArray[np.bool_]:
    assert day.coords is not None
    if day.latlon:
        points = np.vstack([[lat, lon], day.coords])
        return great_circle_km(points)[0, 1:] <= radius
    return np.hypot(day.coords[:, 0] - lat, day.coords[:, 1] - lon) <= radius


def _add_order(day: Day, event: Event, now: float) -> None:
    order_id = event.get("id")
    if day.node_of(order_id) is not None:
        raise event.error(f"order id {order_id!r} already exists")
    if day.coords is None or not day.latlon:
        raise event.error("new orders need an instance with lat/lon coordinates")
    demand = int(event.get("demand"))
    if demand > day.capacity:
        raise event.error(f"demand {demand} exceeds the vehicle capacity {day.capacity:g}")
    point = np.array([[event.get("lat"), event.get("lon")]])
    km = great_circle_km(np.vstack([point, day.coords]))[0, 1:] * ROAD_FACTOR
    ready = float(event.get("ready", day.windows[0, 0]))
    due = float(
        event.get("due", _NO_DUE if day.windows[1:, 1].max() >= _NO_DUE else day.windows[0, 1])
    )
    if due < now:
        raise event.error(f"due time {hhmm(due)} is in the past (replan time {hhmm(now)})")
    close = float(day.windows[0, 1])
    arrive = max(now + float(km[0]), ready)
    if arrive > due + _EPS or arrive + float(km[0]) > close + _EPS:
        raise event.error(
            f"order {order_id!r} is outside the depot's reach: {km[0]:.1f} km away, "
            f"{'due ' + hhmm(due) if due < _NO_DUE else 'no due time'}, "
            f"depot closes {hhmm(close)}"
        )
    n = len(day.ids)
    grow = np.zeros((n + 1, n + 1))
    grow[:n, :n] = day.distances
    grow[n, :n] = grow[:n, n] = np.round(km, 3)
    travel = grow.copy()
    travel[:n, :n] = day.travel
    day.distances, day.travel = grow, travel
    day.ids.append(order_id)
    day.coords = np.vstack([day.coords, point])
    day.demand.append(demand)
    day.service = np.append(day.service, 0.0)
    day.windows = np.vstack([day.windows, [ready, due]])
    ranks = {"medical": 2, "perishable": 1, "general": 0}
    day.priority.append(ranks.get(event.get("class", "general"), 0))


def apply_events(
    plan: Plan, events: Sequence[Event], now: float
) -> tuple[Day, list[Vehicle], dict[str, str]]:
    """The day and the vehicles after the events; raises InputError on the first bad one."""
    day = _day(plan)
    vehicles = vehicles_at(plan, day, now)
    by_id = {v.id: v for v in vehicles}
    cancelled: dict[str, str] = dict(plan.closed)
    earliest = plan.at if plan.at is not None else -1
    for event in events:
        if event.at > now and event.type != "depot_close":  # a closing may be announced
            raise event.error(f"is after the replan time {hhmm(now)}")
        if event.at < earliest:
            raise event.error(f"is in the past: the plan was made at {hhmm(earliest)}")
        if event.type in ("cancel", "demand_change"):
            order_id = event.get("order")
            node = day.node_of(order_id)
            if node is None or order_id in cancelled:
                raise event.error(f"unknown order id {order_id!r}")
            holder = next((v for v in vehicles if node in v.fixed), None)
            if holder is not None:
                state = "served" if node in holder.served else "being served"
                raise event.error(f"order {order_id!r} is already {state} by vehicle {holder.id}")
            if event.type == "cancel":
                cancelled[order_id] = f"cancelled at {hhmm(event.at)}"
            else:
                demand = int(event.get("demand"))
                if demand > day.capacity:
                    raise event.error(
                        f"demand {demand} exceeds the vehicle capacity {day.capacity:g}"
                    )
                day.demand[node] = demand
        elif event.type == "breakdown":
            vehicle = by_id.get(event.get("vehicle"))
            if vehicle is None:
                known = ", ".join(by_id)
                raise event.error(f"unknown vehicle id {event.get('vehicle')!r} (known: {known})")
            if vehicle.finished:
                raise event.error(f"vehicle {vehicle.id} has already finished its route")
            vehicle.broken = True
        elif event.type == "delay":
            if day.coords is None:
                raise event.error("delays need an instance with coordinates")
            near = _within(day, event.get("lat"), event.get("lon"), event.get("radius_km"))
            touched = near[:, None] | near[None, :]
            day.travel = np.where(touched, day.travel * event.get("factor"), day.travel)
        elif event.type == "depot_close":
            depot = event.get("depot")
            names = {"0", "depot", day.ids[0]}
            if depot not in names and depot != (plan.problem.node_names or ("",))[0]:
                raise event.error(f"unknown depot {depot!r} (the depot is '0')")
            if event.at < now:
                raise event.error(f"closing time {hhmm(event.at)} is before the replan time")
            day.windows[0, 1] = min(float(day.windows[0, 1]), float(event.at))
        elif event.type == "new_order":
            _add_order(day, event, now)
    for vehicle in vehicles:
        if vehicle.broken:  # it stops where it is: its committed and later stops reopen
            vehicle.remaining, vehicle.committed = [], []
            vehicle.finished = True
    return day, vehicles, cancelled


def _route_ok(day: Day, vehicle: Vehicle, stops: Sequence[int]) -> tuple[bool, float]:
    load = sum(day.demand[c] for c in (*vehicle.fixed, *stops))
    if load > day.capacity:
        return False, math.inf
    tl = _timeline(day, vehicle, stops)
    return tl.lateness <= _EPS, tl.lateness


def _cost(day: Day, vehicle: Vehicle, stops: Sequence[int]) -> float:
    path = [vehicle.position, *stops, 0]
    return float(sum(day.distances[a, b] for a, b in zip(path, path[1:], strict=False)))


def repair(day: Day, vehicles: list[Vehicle], pool: Sequence[int]) -> list[int]:
    """Cheapest feasible insertion of `pool` by priority then due time; returns the rest."""
    left: list[int] = []
    for node in sorted(pool, key=lambda c: (-day.priority[c], day.windows[c, 1], c)):
        best: tuple[float, Vehicle, int] | None = None
        for vehicle in vehicles:
            if vehicle.finished:
                continue
            base = _cost(day, vehicle, vehicle.remaining)
            for pos in range(len(vehicle.remaining) + 1):
                stops = [*vehicle.remaining[:pos], node, *vehicle.remaining[pos:]]
                delta = _cost(day, vehicle, stops) - base
                if best is not None and delta >= best[0]:
                    continue
                if _route_ok(day, vehicle, stops)[0]:
                    best = (delta, vehicle, pos)
        if best is None:
            left.append(node)
        else:
            _, vehicle, pos = best
            vehicle.remaining.insert(pos, node)
    return left


def _pyvrp_improve(
    day: Day, vehicles: list[Vehicle], open_nodes: Sequence[int], time_limit: float, seed: int
) -> list[list[int]] | None:
    """PyVRP from the current remaining routes; None when it finds nothing feasible."""
    active = [v for v in vehicles if not v.finished]
    if not active or not open_nodes:
        return None
    factor = 1000
    n = len(day.ids)
    clients_nodes = list(open_nodes)
    client_of = {c: k for k, c in enumerate(clients_nodes)}
    depots = [
        pyvrp.Depot(
            location=0,
            tw_early=int(day.windows[0, 0] * factor),
            tw_late=int(day.windows[0, 1] * factor),
        )
    ]
    types = []
    for v in active:
        loc = v.position
        free = int(math.ceil(v.free_at * factor))
        close = int(day.windows[0, 1] * factor)
        depots.append(pyvrp.Depot(location=loc, tw_early=free, tw_late=max(free, close)))
        used = sum(day.demand[c] for c in v.fixed)
        types.append(
            pyvrp.VehicleType(
                num_available=1,
                capacity=[max(0, int(day.capacity) - used)],
                start_depot=len(depots) - 1,
                end_depot=0,
                tw_early=free,
                tw_late=max(free, close),
                name=v.id,
            )
        )
    n_open = len(clients_nodes)
    worst = float(day.distances[0].max()) * 2 * factor * 4 + 1
    base = int(worst)
    clients = [
        pyvrp.Client(
            location=c,
            delivery=[day.demand[c]],
            service_duration=int(round(day.service[c] * factor)),
            tw_early=int(math.ceil(day.windows[c, 0] * factor)),
            tw_late=int(min(day.windows[c, 1], _NO_DUE) * factor),
            prize=base * (n_open + 2) ** max(0, day.priority[c]),
            required=False,
        )
        for c in clients_nodes
    ]
    locations = [pyvrp.Location(x=0.0, y=0.0) for _ in range(n)]
    metres = np.round(day.distances * factor).astype(np.int64)
    seconds = np.ceil(day.travel * factor - 1e-9).astype(np.int64)
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=types,
        distance_matrices=[metres],  # type: ignore[list-item]
        duration_matrices=[seconds],  # type: ignore[list-item]
    )
    initial = pyvrp.Solution(
        data,
        [
            pyvrp.Route(data, [client_of[c] for c in v.remaining], k)
            for k, v in enumerate(active)
            if v.remaining
        ],
    )
    result = pyvrp.solve(
        data,
        stop=MaxRuntime(max(0.1, time_limit)),
        seed=seed,
        params=PENALTIES,
        initial_solution=initial,
    )
    if not result.best.is_feasible():
        return None
    routes: list[list[int]] = [[] for _ in active]
    for route in result.best.routes():
        routes[route.vehicle_type()] = [clients_nodes[a.idx] for a in route if a.is_client()]
    return routes


def _score(day: Day, vehicles: list[Vehicle], remaining: list[list[int]]) -> tuple[float, float]:
    """(priority served, -cost): higher is better."""
    active = [v for v in vehicles if not v.finished]
    served = sum((len(day.ids) + 2) ** day.priority[c] for r in remaining for c in r)
    cost = sum(_cost(day, v, r) for v, r in zip(active, remaining, strict=True))
    return float(served), -cost


def _plan_metrics(day: Day, vehicles: list[Vehicle]) -> dict[str, float]:
    cost = 0.0
    late = 0.0
    for v in vehicles:
        path = [0, *v.fixed, *v.remaining, 0]
        if len(path) > 2:
            cost += float(sum(day.distances[a, b] for a, b in zip(path, path[1:], strict=False)))
        if not v.broken and (v.committed or v.remaining or not v.finished):
            late += _timeline(day, v, v.remaining).lateness
    served = sum(len(v.fixed) + len(v.remaining) for v in vehicles)
    return {"cost": cost, "lateness": late, "served": float(served)}


def replan(
    plan: Plan,
    events: Sequence[Event],
    at: int | None = None,
    time_limit: float = 5.0,
    seed: int = 0,
    improve: bool = True,
) -> ReplanResult:
    """Apply `events` at `at` (default: the last event's time) and re-optimise; with
    `improve=False` only the repair step runs (a greedy dispatcher)."""
    if at is None and not events:
        raise ValueError("replan needs events or a time")
    now = int(at if at is not None else max(e.at for e in events))
    day, vehicles, cancelled = apply_events(plan, events, now)
    old_vehicle = {c: str(k) for k, route in enumerate(plan.routes, start=1) for c in route}
    broken_nodes = {c for v in vehicles if v.broken for c in old_vehicle if old_vehicle[c] == v.id}
    broken_nodes -= {c for v in vehicles for c in v.served}
    cancelled_nodes = {day.node_of(i) for i in cancelled}
    for v in vehicles:
        v.remaining = [c for c in v.remaining if c not in cancelled_nodes]
    # "before": the old plan carried on under the events (broken vehicles' stops lost)
    before = _plan_metrics(day, vehicles)
    planned = {c for v in vehicles for c in (*v.fixed, *v.remaining)}
    pool = [c for c in range(1, len(day.ids)) if c not in planned and c not in cancelled_nodes]
    start = time.perf_counter()
    # late stops of the old remaining routes go back to the pool first; a vehicle free only
    # after the depot closes takes nothing more
    for v in vehicles:
        if not v.finished and v.free_at >= float(day.windows[0, 1]):
            pool.extend(v.remaining)
            v.remaining = []
            v.finished = True
        while v.remaining and not _route_ok(day, v, v.remaining)[0] and not v.finished:
            worst = max(v.remaining, key=lambda c: (-day.priority[c], day.windows[c, 1]))
            v.remaining.remove(worst)
            pool.append(worst)
        if v.finished:
            pool.extend(v.remaining)
            v.remaining = []
    left = repair(day, vehicles, pool)
    repaired_seconds = time.perf_counter() - start
    repaired = {"seconds": repaired_seconds, **_plan_metrics(day, vehicles)}
    active = [v for v in vehicles if not v.finished]
    open_nodes = sorted({c for v in active for c in v.remaining} | set(left))
    improve_start = time.perf_counter()
    try:
        better = _pyvrp_improve(day, vehicles, open_nodes, time_limit, seed) if improve else None
    except ValueError as exc:  # PyVRP refuses the data: keep the repaired plan, say why
        better = None
        improved_note = f"pyvrp not run: {exc}"
    else:
        improved_note = ""
    improved: dict[str, Any] = {"accepted": False, "note": improved_note}
    if better is not None:
        checked = all(_route_ok(day, v, r)[0] for v, r in zip(active, better, strict=True))
        current = [list(v.remaining) for v in active]
        if checked and _score(day, vehicles, better) > _score(day, vehicles, current):
            for v, r in zip(active, better, strict=True):
                v.remaining = r
            improved["accepted"] = True
    improved.update(seconds=time.perf_counter() - improve_start, **_plan_metrics(day, vehicles))
    served_nodes = {c for v in vehicles for c in (*v.fixed, *v.remaining)}
    unserved: dict[str, str] = dict(cancelled)
    close = float(day.windows[0, 1])
    for c in range(1, len(day.ids)):
        if c in served_nodes or day.ids[c] in unserved:
            continue
        alone = [v for v in vehicles if not v.finished and _route_ok(day, v, [c])[0]]
        if c in broken_nodes and not alone:
            reason = "its vehicle broke down and no other vehicle can reach it in time"
        elif not alone:
            due = float(day.windows[c, 1])
            by = f"before its due time {hhmm(due)} " if due < _NO_DUE else ""
            reason = (
                f"no vehicle can reach it {by}and be back before the depot closes at {hhmm(close)}"
            )
        else:
            reason = "fleet exhausted: no vehicle has the capacity or time left to add it"
        unserved[day.ids[c]] = reason
    new_vehicle = {c: v.id for v in vehicles for c in (*v.fixed, *v.remaining)}
    diff = {
        "moved": sorted(
            day.ids[c] for c in new_vehicle if c in old_vehicle and old_vehicle[c] != new_vehicle[c]
        ),
        "added": sorted(day.ids[c] for c in new_vehicle if c not in old_vehicle),
        "dropped": sorted(day.ids[c] for c in old_vehicle if c not in new_vehicle),
    }
    routes = [[*v.fixed, *v.remaining] for v in vehicles]
    after = _plan_metrics(day, vehicles)
    return ReplanResult(
        now, day, vehicles, routes, unserved, list(events), before, after, repaired, improved, diff
    )


def next_plan(result: ReplanResult, name: str = "replanned") -> Plan:
    """The replanned day as a Plan again, for the next epoch of a simulation."""
    day = result.day
    problem = Problem(
        name=name,
        distances=day.distances,
        demands=np.array(day.demand),
        capacity=day.capacity,
        rounding=Rounding.ROAD,
        coords=day.coords,
        coord_kind="latlon" if day.latlon else "planar",
        time_windows=day.windows,
        service_times=day.service,
        priorities=np.array(day.priority),
    )
    routes = tuple(tuple(r) for r in result.routes if r)
    spare = sum(1 for v, r in zip(result.vehicles, result.routes, strict=True) if not r)
    broken = sum(
        1 for v, r in zip(result.vehicles, result.routes, strict=True) if not r and v.broken
    )
    closed = tuple((i, why) for i, why in result.unserved.items() if why.startswith("cancelled"))
    return Plan(
        problem, routes, tuple(day.ids), result.at, spare - broken, closed, route_departs(result)
    )


def route_departs(result: ReplanResult) -> tuple[float, ...]:
    """When each non-empty route of the new plan leaves (or left) the depot."""
    return tuple(
        v.depart if v.depart is not None else _timeline(result.day, v, v.remaining).depart
        for v, r in zip(result.vehicles, result.routes, strict=True)
        if r
    )


def load_plan(folder: str | Path) -> Plan:
    """The plan a `qroute solve` (or an earlier `qroute replan`) wrote to `folder`."""
    import dataclasses
    import json

    from qroute.model.instances import read_instance
    from qroute.model.loader import load_problem

    folder = Path(folder)
    result = folder / "result.json"
    if not folder.is_dir():
        raise InputError(folder, "plan folder not found")
    try:
        payload = json.loads(result.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            result, "file not found (is this a `qroute solve` output folder?)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(result, f"cannot read it: {exc}".splitlines()[0]) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("routes"), list):
        raise InputError(result, "no 'routes' list")
    routes = payload["routes"]
    if not all(isinstance(r, list) and all(isinstance(c, int) for c in r) for r in routes):
        raise InputError(result, "'routes' must be lists of customer ids")
    if "order_ids" in payload:  # a replanned plan: its own instance file beside it
        problem = read_instance(folder / "instance.vrp")
        problem = dataclasses.replace(
            problem,
            name=str(payload.get("instance", problem.name)),
            coord_kind=str(payload.get("coord_kind", "planar")),
            priorities=np.array(payload["priorities"]) if payload.get("priorities") else None,
        )
        ids = tuple(str(i) for i in payload["order_ids"])
        at = payload.get("replanned_at")
        fleet = int(payload.get("fleet", len(routes)))
        used = [tuple(r) for r in routes if r]
        departs = tuple(float(d) for d in payload.get("departs", ()))
        closed = tuple(
            (str(u["id"]), str(u["reason"]))
            for u in payload.get("unserved", [])
            if str(u.get("reason", "")).startswith("cancelled")
        )
        when = parse_hhmm(at) if at else None
        return Plan(problem, tuple(used), ids, when, max(0, fleet - len(used)), closed, departs)
    settings = payload.get("settings") or {}
    spec = settings.get("instance") or payload.get("instance")
    if not isinstance(spec, str):
        raise InputError(result, "names no instance")
    problem = load_problem(spec, settings.get("size"), settings.get("scenario_seed"))
    known = set(problem.customers)
    for k, route in enumerate(routes, start=1):
        bad = [c for c in route if c not in known]
        if bad:
            raise InputError(result, f"route {k} names unknown customer id {bad[0]}")
    return plan_from_routes(problem, routes)
