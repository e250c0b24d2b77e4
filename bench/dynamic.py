"""Dynamic re-optimisation benchmarks: a day simulation and the replan latency.

`day`: orders of the yangtze-delta scenario revealed in hourly epochs (in the spirit of the
EURO Meets NeurIPS 2022 dynamic VRPTW): 40 % known at 08:00, the rest released through
the morning, each due within 4 h of its release (wider when far from the depot). Each
epoch dispatches and replans with `qroute.hybrid.replan.replan` (the function behind
`qroute replan`). Compared with the hindsight plan (all orders known at 08:00, same
release times and fleet, PyVRP for the whole budget) and with a greedy dispatcher
(cheapest insertion each epoch, no re-optimisation).

`latency`: a 200-customer plan, 10 % of its orders changed at 10:00 (new orders,
cancellations, demand changes); prints the time to a feasible repaired plan and the
improved plan after the time limit.

    .venv/bin/python bench/dynamic.py day --size 60 --epoch-limit 2
    .venv/bin/python bench/dynamic.py latency --size 200 --time-limit 10
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
import warnings

import numpy as np

from qroute.baselines.pyvrp import PyVRPSolver
from qroute.hybrid.replan import DAY_START, Plan, hhmm, next_plan, plan_from_routes, replan
from qroute.model.events import Event, parse_event
from qroute.model.problem import Problem
from qroute.model.scenario import yangtze_delta
from qroute.model.solver import Budget
from qroute.model.timeline import problem_timelines
from qroute.model.validation import validate

warnings.simplefilter("ignore")  # PyVRP penalty warnings


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def _day_problem(size: int, seed: int) -> tuple[Problem, np.ndarray]:
    """The scenario's orders within 200 road-km of the depot, with release-based windows."""
    base = yangtze_delta(size, seed=seed)
    keep = [0, *(c for c in base.customers if base.distances[0, c] <= 200.0)]
    rng = np.random.default_rng(seed)
    n = len(keep) - 1
    release = np.where(
        rng.random(n) < 0.4, DAY_START, DAY_START + 60 * rng.integers(1, 6, size=n)
    ).astype(float)
    d0 = base.distances[0, keep[1:]]
    due = release + np.maximum(240.0, np.ceil(d0) + 60.0)
    windows = np.vstack([[DAY_START, 24 * 60], np.column_stack([release, due])])
    index = np.array(keep)
    problem = Problem(
        name=f"{base.name}-dynamic",
        distances=base.distances[np.ix_(index, index)],
        demands=base.demands[index],
        capacity=base.capacity,
        rounding=base.rounding,
        coords=base.coords[index] if base.coords is not None else None,
        coord_kind="latlon",
        time_windows=windows,
        service_times=np.zeros(len(keep)),
        source=base.source,
    )
    return problem, np.concatenate([[DAY_START], release])


def _sub(problem: Problem, nodes: list[int], fleet: int) -> Problem:
    index = np.array([0, *nodes])
    assert problem.time_windows is not None and problem.coords is not None
    return Problem(
        name=f"{problem.name}-known",
        distances=problem.distances[np.ix_(index, index)],
        demands=problem.demands[index],
        capacity=problem.capacity,
        rounding=problem.rounding,
        coords=problem.coords[index],
        coord_kind="latlon",
        num_vehicles=fleet,
        time_windows=problem.time_windows[index],
        service_times=np.zeros(len(index)),
    )


def _new_order_events(problem: Problem, nodes: list[int], at: int) -> list[Event]:
    assert problem.time_windows is not None and problem.coords is not None
    events = []
    for k, c in enumerate(nodes, start=1):
        record = {
            "type": "new_order",
            "at": hhmm(at),
            "id": str(c),
            "lat": float(problem.coords[c, 0]),
            "lon": float(problem.coords[c, 1]),
            "demand": int(problem.demands[c]),
            "ready": hhmm(problem.time_windows[c, 0]),
            "due": hhmm(min(problem.time_windows[c, 1], 23 * 60 + 59)),
        }
        events.append(parse_event(record, "simulation", k))
    return events


def simulate(
    problem: Problem, release: np.ndarray, fleet: int, epoch_limit: float, improve: bool, seed: int
) -> dict[str, float]:
    known = [c for c in problem.customers if release[c] <= DAY_START]
    start = time.perf_counter()
    first = PyVRPSolver().solve(_sub(problem, known, fleet), Budget(epoch_limit, seed))
    routes = [[known[c - 1] for c in r] for r in first.routes]
    plan = Plan(
        problem=_sub(problem, known, fleet),
        routes=tuple(tuple(r) for r in first.routes),
        order_ids=("", *(str(c) for c in known)),
        at=DAY_START,
        extra_vehicles=fleet - len(routes),
    )
    result = None
    for epoch in range(DAY_START + 60, DAY_START + 6 * 60, 60):
        revealed = [c for c in problem.customers if epoch - 60 < release[c] <= epoch]
        if not revealed:
            continue
        events = _new_order_events(problem, revealed, epoch)
        result = replan(plan, events, at=epoch, time_limit=epoch_limit, seed=seed, improve=improve)
        plan = next_plan(result)
    assert result is not None
    return {
        "cost": result.after["cost"],
        "lateness": result.after["lateness"],
        "served": result.after["served"],
        "unserved": problem.num_customers - result.after["served"],
        "seconds": time.perf_counter() - start,
    }


def day(args: argparse.Namespace) -> None:
    problem, release = _day_problem(args.size, args.seed)
    fleet = problem.lower_bound_vehicles() + 2
    epochs = 5
    print(
        f"day simulation: {problem.name}, {problem.num_customers} orders, fleet {fleet}, "
        f"{epochs} hourly epochs, {args.epoch_limit:g} s per epoch; {_load()}"
    )
    rows: list[tuple[str, float, float, float, float]] = []
    fixed_fleet = dataclasses.replace(problem, num_vehicles=fleet)
    hindsight = PyVRPSolver().solve(fixed_fleet, Budget(args.epoch_limit * (epochs + 1), args.seed))
    report = validate(fixed_fleet, hindsight.routes)
    late = sum(t.lateness for t in problem_timelines(fixed_fleet, hindsight.routes))
    rows.append(
        (
            "hindsight (all known, PyVRP)",
            report.cost,
            late,
            sum(len(r) for r in hindsight.routes),
            hindsight.provenance.wall_seconds,
        )
    )
    for label, improve in (
        ("replan each epoch (repair + PyVRP)", True),
        ("greedy dispatcher (insertion only)", False),
    ):
        m = simulate(problem, release, fleet, args.epoch_limit, improve, args.seed)
        rows.append((label, m["cost"], m["lateness"], m["served"], m["seconds"]))
    print(f"| policy | cost (km) | lateness (min) | served / {problem.num_customers} | wall s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, cost, late, served, wall in rows:
        print(f"| {label} | {cost:.1f} | {late:.1f} | {served:.0f} | {wall:.1f} |")
    best = rows[0][1]
    for label, cost, *_ in rows[1:]:
        print(f"{label}: {100 * (cost - best) / best:+.1f} % cost vs hindsight")


def latency(args: argparse.Namespace) -> None:
    problem = yangtze_delta(args.size, seed=args.seed)
    plan_result = PyVRPSolver().solve(problem, Budget(args.plan_limit, args.seed))
    plan = plan_from_routes(problem, plan_result.routes)
    at = 10 * 60
    rng = np.random.default_rng(args.seed)
    from qroute.hybrid.replan import _day, vehicles_at

    open_orders = [c for v in vehicles_at(plan, _day(plan), at) for c in v.remaining]
    changes = max(1, args.size // 10)
    new, cancel, change = changes // 2, changes // 4, changes - changes // 2 - changes // 4
    picks = rng.choice(open_orders, size=cancel + change, replace=False)
    assert problem.coords is not None
    records: list[dict[str, object]] = []
    near = [c for c in problem.customers if problem.distances[0, c] <= 200.0]
    for k in range(new):
        lat, lon = problem.coords[int(rng.choice(near))]
        records.append(
            {
                "type": "new_order",
                "at": "09:55",
                "id": f"N{k + 1}",
                "lat": float(lat) + 0.02,
                "lon": float(lon) - 0.02,
                "demand": int(rng.integers(5, 20)),
            }
        )
    records += [{"type": "cancel", "at": "09:56", "order": str(c)} for c in picks[:cancel]]
    records += [
        {
            "type": "demand_change",
            "at": "09:57",
            "order": str(c),
            "demand": int(rng.integers(5, 31)),
        }
        for c in picks[cancel:]
    ]
    events = [parse_event(r, "latency", k) for k, r in enumerate(records, start=1)]
    print(
        f"latency: {problem.name}, plan by PyVRP {args.plan_limit:g} s "
        f"(cost {plan_result.cost:.1f}, {len(plan_result.routes)} routes), "
        f"{len(events)} changes at 10:00 ({new} new, {cancel} cancelled, {change} demand); "
        f"{_load()}"
    )
    t0 = time.perf_counter()
    repaired = replan(plan, events, at=at, improve=False)
    t_repair = time.perf_counter() - t0
    t0 = time.perf_counter()
    improved = replan(plan, events, at=at, time_limit=args.time_limit, seed=args.seed)
    t_improve = time.perf_counter() - t0
    print("| plan | wall s | cost (km) | lateness | served | unserved |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, res, wall in (
        ("repaired (insertion)", repaired, t_repair),
        (f"improved (PyVRP {args.time_limit:g} s)", improved, t_improve),
    ):
        unserved = sum(not r.startswith("cancelled") for r in res.unserved.values())
        print(
            f"| {label} | {wall:.2f} | {res.after['cost']:.1f} | {res.after['lateness']:.1f} "
            f"| {res.after['served']:.0f} | {unserved} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="bench", required=True)
    p = sub.add_parser("day")
    p.add_argument("--size", type=int, default=60)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--epoch-limit", type=float, default=2.0)
    p = sub.add_parser("latency")
    p.add_argument("--size", type=int, default=200)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--plan-limit", type=float, default=5.0)
    p.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    {"day": day, "latency": latency}[args.bench](args)


if __name__ == "__main__":
    main()
