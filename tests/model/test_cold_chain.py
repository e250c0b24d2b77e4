"""The yangtze-cold-chain scenario, its PyVRP solver and the independent cold-chain checker."""

from __future__ import annotations

import dataclasses
import warnings
from functools import cache

import numpy as np
import pytest

from qroute.baselines.cold_chain import solve_cold_chain
from qroute.model.cold_chain import (
    SHELF_LIFE,
    ColdChainPlan,
    ColdChainScenario,
    OrderClass,
    PlannedRoute,
    scenario_of,
    yangtze_cold_chain,
)
from qroute.model.cold_chain_validation import check_cold_chain, hhmm, route_timeline
from qroute.model.errors import InputError
from qroute.model.loader import load_problem
from qroute.model.timeline import problem_timelines


@cache
def _scenario(n: int = 20, seed: int = 2026) -> ColdChainScenario:
    return yangtze_cold_chain(n, seed)


@cache
def _plan(n: int = 20, seed: int = 2026) -> ColdChainPlan:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solve_cold_chain(_scenario(n, seed), time_limit=1.5, seed=0)


def test_scenario_is_seeded_immutable_and_complete() -> None:
    s = _scenario()
    again = yangtze_cold_chain(20, 2026)
    assert s.orders == again.orders
    assert np.array_equal(s.distances, again.distances)
    assert yangtze_cold_chain(20, 7).orders != s.orders
    with pytest.raises(ValueError):
        s.distances[0, 1] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.orders[0].demand = 3  # type: ignore[misc]
    classes = {o.order_class for o in s.orders}
    assert classes == set(OrderClass)
    assert all(o.needs_reefer == (o.order_class is not OrderClass.GENERAL) for o in s.orders)
    assert all(o.shelf_life == SHELF_LIFE for o in s.orders if o.order_class == "perishable")
    assert all(o.ready < o.due and o.service > 0 for o in s.orders)
    assert len(s.depots) == 3
    assert {v.refrigerated for v in s.vehicle_types} == {True, False}
    assert OrderClass.MEDICAL.rank > OrderClass.PERISHABLE.rank > OrderClass.GENERAL.rank


def test_problem_view_through_load_problem() -> None:
    problem = load_problem("yangtze-cold-chain", 20, 2026)
    assert problem.num_customers == 20
    assert problem.time_windows is not None and problem.service_times is not None
    assert problem.num_vehicles == sum(v.count for v in _scenario().vehicle_types)
    assert problem.priorities is not None and set(problem.priorities[1:]) == {0, 1, 2}
    assert scenario_of(problem) is not None
    assert scenario_of(problem).orders == _scenario().orders  # type: ignore[union-attr]
    with pytest.raises(InputError, match="at least 1"):
        load_problem("yangtze-cold-chain", 0, 1)


def test_solver_plan_passes_the_checker_and_explains_every_drop() -> None:
    s, plan = _scenario(), _plan()
    report = check_cold_chain(s, plan)
    assert report.violations == ()
    served, unserved = set(plan.served), dict(plan.unserved)
    assert served | set(unserved) == {o.id for o in s.orders}
    assert not served & set(unserved)
    assert len(served) >= 15
    assert all(reason for reason in unserved.values())
    # the checker's cost is km times the type's rate
    assert report.cost > 0
    for route in plan.routes:
        kind = s.vehicle_type(route.vehicle_type)
        for order_id in route.orders:
            assert kind.refrigerated or not s.order(order_id).needs_reefer


def test_short_fleet_drops_general_orders_first() -> None:
    s = _scenario(30, 5)
    # one reefer in Suzhou carries every class
    one_each = (dataclasses.replace(s.vehicle_types[0], count=1),)
    assert one_each[0].refrigerated
    short = dataclasses.replace(s, vehicle_types=one_each)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = solve_cold_chain(short, time_limit=1.5, seed=0)
    assert check_cold_chain(short, plan).violations == ()
    assert plan.unserved
    reasons = dict(plan.unserved)
    reachable = [o for o in short.orders if "even alone" not in reasons.get(o.id, "")]
    share: dict[str, float] = {}
    for order_class in OrderClass:
        ids = [o.id for o in reachable if o.order_class is order_class]
        share[order_class] = sum(i in plan.served for i in ids) / len(ids)
    # every reachable medical order is served; general orders lose most
    assert share["medical"] == 1.0
    assert share["medical"] > share["general"]
    # perishables' narrow morning windows, not their prize, limit how many fit
    dropped_general = [o.id for o in short.orders if o.order_class == "general" and o.id in reasons]
    assert any("higher classes" in reasons[i] for i in dropped_general)


def _first_route_of(plan: ColdChainPlan, refrigerated: bool, s: ColdChainScenario) -> PlannedRoute:
    return next(
        r for r in plan.routes if s.vehicle_type(r.vehicle_type).refrigerated == refrigerated
    )


def test_checker_names_each_violation() -> None:
    s, plan = _scenario(), _plan()
    reefer = _first_route_of(plan, True, s)
    dry_type = next(v for v in s.vehicle_types if not v.refrigerated and v.depot == 0)
    cold_id = next(o for o in reefer.orders if s.order(o).needs_reefer)
    others = [r for r in plan.routes if r is not reefer]
    bad = ColdChainPlan(
        (
            *others,
            PlannedRoute(
                reefer.vehicle_type, reefer.vehicle, tuple(o for o in reefer.orders if o != cold_id)
            ),
            PlannedRoute(dry_type.name, dry_type.count + 3, (cold_id,)),
        ),
        plan.unserved,
    )
    text = "\n".join(check_cold_chain(s, bad).violations)
    assert f"{cold_id} needs a refrigerated vehicle" in text
    assert f"the fleet has {dry_type.count} {dry_type.name} vehicles" in text

    dropped = ColdChainPlan(plan.routes, ())
    text = "\n".join(check_cold_chain(s, dropped).violations)
    if plan.unserved:
        assert "neither served nor listed unserved" in text

    twice = ColdChainPlan(
        (*plan.routes, PlannedRoute(reefer.vehicle_type, 99, (cold_id, "X1"))), plan.unserved
    )
    text = "\n".join(check_cold_chain(s, twice).violations)
    assert "unknown order id 'X1'" in text


def test_checker_finds_lateness_shelf_life_and_needless_drops() -> None:
    s = _scenario()
    # every cold order on one reefer: late, too long and too heavy
    reefer = next(v for v in s.vehicle_types if v.refrigerated)
    cold = tuple(o.id for o in s.orders if o.needs_reefer)
    plan = ColdChainPlan(
        (PlannedRoute(reefer.name, 0, cold),),
        tuple((o.id, "not planned") for o in s.orders if not o.needs_reefer),
    )
    text = "\n".join(check_cold_chain(s, plan).violations)
    assert "after its due time" in text
    assert "min on board, shelf life 360 min" in text
    assert f"exceeds {reefer.name} capacity {reefer.capacity}" in text
    assert "unserved although an idle dry-" in text


def test_timelines_wait_and_serve() -> None:
    s, plan = _scenario(), _plan()
    for route in plan.routes:
        timeline = route_timeline(s, route)
        for order_id, visit in zip(route.orders, timeline.visits, strict=True):
            order = s.order(order_id)
            assert visit.serve == pytest.approx(max(visit.arrive, order.ready))
            assert visit.wait == pytest.approx(visit.serve - visit.arrive)
            assert visit.leave == pytest.approx(visit.serve + order.service)
            assert visit.late == 0.0
    assert hhmm(6 * 60 + 5.4) == "06:05"


def test_problem_timelines_match_the_validator(shared_data: object) -> None:
    from qroute.model.data import data_dir
    from qroute.model.instances import read_instance, read_solution

    problem = read_instance(data_dir() / "solomon" / "C101.txt")
    routes, _ = read_solution(data_dir() / "solomon" / "C101.sol")
    timelines = problem_timelines(problem, routes)
    assert sum(t.lateness for t in timelines) == 0.0
    first = timelines[0].visits[0]
    assert first.serve >= problem.time_windows[first.node, 0]  # type: ignore[index]
    late = problem_timelines(problem, [list(reversed(routes[0]))])
    assert late[0].lateness > 0


def test_result_json_and_summary_carry_timelines(shared_data: object) -> None:
    from qroute.model.data import data_dir
    from qroute.model.instances import read_instance, read_solution
    from qroute.reporting.output import result_payload, summary_markdown

    problem = read_instance(data_dir() / "solomon" / "C101.txt")
    routes, _ = read_solution(data_dir() / "solomon" / "C101.sol")
    payload = result_payload(problem, routes, wall_seconds=0.0)
    timelines = payload["timelines"]
    assert len(timelines) == len(routes)
    stop = timelines[0]["stops"][0]
    assert set(stop) == {"node", "arrive", "wait", "serve", "leave", "late"}
    assert stop["leave"] == pytest.approx(stop["serve"] + 90.0)  # C101 service time
    text = summary_markdown(payload, plot_name=None)
    assert "## Route timelines" in text
    assert "| arrive | wait | serve | leave | late |" in text


def test_cli_cold_chain_writes_a_checked_plan_and_map(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    from pathlib import Path

    from qroute.cli.app import main

    out = Path(str(tmp_path)) / "cc"
    args = ["cold-chain", "--size", "15", "--scenario-seed", "3", "--time-limit", "1"]
    assert main([*args, "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["feasible"] is True and printed["cost_unit"] == "CNY"
    result = json.loads((out / "result.json").read_text())
    assert len(result["served"]) + len(result["unserved"]) == 15
    stop = result["cold_chain_routes"][0]["timeline"]["stops"][0]
    assert set(stop) == {"order", "class", "arrive", "wait", "serve", "leave", "on_board"}
    assert (out / "routes.png").stat().st_size > 10_000
    assert "| vehicle | order | class | arrive |" in (out / "summary.md").read_text()
    assert main(["cold-chain", "--size", "0"]) == 2
