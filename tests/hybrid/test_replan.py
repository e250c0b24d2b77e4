"""Events (JSON lines), the replanner and `qroute replan` (issue 13)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from qroute.baselines.savings import savings_routes
from qroute.cli.app import main
from qroute.hybrid.replan import _timeline, apply_events, plan_from_routes, replan, vehicles_at
from qroute.model.errors import InputError
from qroute.model.events import Event, parse_event, parse_hhmm, read_events
from qroute.model.instances import read_instance, read_solution
from qroute.model.scenario import yangtze_delta
from qroute.model.validation import validate
from qroute.reporting.output import result_payload, write_result_json
from tests.paths import REPO

PROBLEM = yangtze_delta(24, seed=3)
ROUTES = savings_routes(PROBLEM)
PLAN = plan_from_routes(PROBLEM, ROUTES)
LATE_STOP = str(max(ROUTES, key=PROBLEM.route_cost)[-1])  # still open mid-morning


def _events(*records: Mapping[str, Any]) -> list[Event]:
    return [parse_event(r, "events.jsonl", k) for k, r in enumerate(records, start=1)]


def _plan_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    folder.mkdir()
    settings = {"instance": "yangtze-delta", "size": 24, "scenario_seed": 3}
    payload = result_payload(PROBLEM, ROUTES, wall_seconds=0.1, settings=settings)
    write_result_json(folder / "result.json", payload)
    return folder


# --- the reader ------------------------------------------------------------------------------


def test_read_events_parses_every_type(tmp_path: Path) -> None:
    lines: list[dict[str, Any]] = [
        {
            "type": "new_order",
            "at": "09:00",
            "id": "N1",
            "lat": 31.3,
            "lon": 120.6,
            "demand": 5,
            "ready": "10:00",
            "due": "12:30",
            "class": "medical",
        },
        {"type": "cancel", "at": "09:01", "order": 4},
        {"type": "demand_change", "at": "09:02", "order": "5", "demand": 7},
        {"type": "breakdown", "at": "09:03", "vehicle": "2"},
        {"type": "delay", "at": "09:04", "lat": 31.2, "lon": 121.4, "radius_km": 15, "factor": 1.5},
        {"type": "depot_close", "at": "18:00", "depot": "0"},
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n\n")
    events = read_events(path)
    assert [e.type for e in events] == [r["type"] for r in lines]
    assert events[0].get("ready") == 600 and events[0].get("due") == 750
    assert events[1].get("order") == "4"  # ids are strings
    assert events[5].at == 18 * 60
    assert parse_hhmm("07:05") == 425


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"type": "cancel", "at": "09:00"', "malformed JSON"),
        ('{"type": "teleport", "at": "09:00"}', "unknown event type 'teleport'"),
        ('{"type": "cancel", "order": "3"}', "missing field 'at'"),
        ('{"type": "cancel", "at": "25:00", "order": "3"}', "not a time of day"),
        ('{"type": "cancel", "at": "09:00"}', "missing field 'order'"),
        ('{"type": "demand_change", "at": "09:00", "order": "3", "demand": -2}', "demand must be"),
        (
            '{"type": "delay", "at": "09:00", "lat": 31, "lon": 121, "radius_km": 5, '
            '"factor": 0.5}',
            "factor must be >= 1",
        ),
        ('{"type": "breakdown", "at": "09:00", "vehicle": "1", "why": "x"}', "unknown field 'why'"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_event_lines_are_one_line_errors(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"type": "cancel", "at": "09:00", "order": "1"}\n' + line + "\n")
    with pytest.raises(InputError, match=message) as err:
        read_events(path)
    assert err.value.line == 2
    assert "\n" not in str(err.value)


# --- the replanner ---------------------------------------------------------------------------


def test_vehicles_at_split_served_committed_and_open() -> None:
    vehicles = vehicles_at(PLAN, apply_events(PLAN, [], 0)[0], 9 * 60)
    assert len(vehicles) == len(ROUTES) + 3  # free fleet: the used routes plus three spare
    moving = [v for v in vehicles if v.started and not v.finished]
    assert moving
    for v in moving:
        route = list(ROUTES[int(v.id) - 1])
        assert [*v.served, *v.committed, *v.remaining] == route
        assert len(v.committed) == 1
        assert v.free_at >= 9 * 60


def test_replan_keeps_done_stops_serves_new_orders_and_drops_cancelled() -> None:
    at = 9 * 60
    before = vehicles_at(PLAN, apply_events(PLAN, [], at)[0], at)
    target = next(v for v in before if v.remaining)
    cancelled = str(target.remaining[-1])
    broken = next(v for v in before if v.remaining and v is not target)
    events = _events(
        {"type": "new_order", "at": "08:50", "id": "N1", "lat": 31.30, "lon": 120.60, "demand": 6},
        {"type": "cancel", "at": "08:55", "order": cancelled},
        {"type": "breakdown", "at": "09:00", "vehicle": broken.id},
        {"type": "delay", "at": "09:00", "lat": 31.23, "lon": 121.47, "radius_km": 25, "factor": 2},
    )
    result = replan(PLAN, events, time_limit=0.5, seed=1)
    assert result.at == at
    served = {result.day.ids[c] for r in result.routes for c in r}
    assert "N1" in served and cancelled not in served
    assert result.unserved[cancelled] == "cancelled at 08:55"
    # every order is served or listed with a reason
    everyone = set(result.day.ids[1:])
    assert served | set(result.unserved) == everyone
    # done stops kept in place, in order
    for old, new in zip(before, result.vehicles, strict=True):
        assert new.served == old.served
        if new.id != broken.id:
            assert new.committed == old.committed
    assert result.diff["added"] == ["N1"]
    assert cancelled in result.diff["dropped"]
    assert result.repaired["seconds"] < 2.0
    assert result.after["lateness"] == 0.0
    assert result.after["served"] == len(everyone) - 1
    assert result.after["cost"] <= result.repaired["cost"] + 1e-9


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"type": "cancel", "at": "09:00", "order": "77"}, "unknown order id '77'"),
        ({"type": "breakdown", "at": "09:00", "vehicle": "99"}, "unknown vehicle id '99'"),
        ({"type": "cancel", "at": "11:00", "order": "3"}, "after the replan time 10:00"),
        (
            {"type": "new_order", "at": "09:00", "id": "F", "lat": 45.0, "lon": 100.0, "demand": 3},
            "outside the depot's reach",
        ),
        (
            {"type": "new_order", "at": "09:00", "id": "3", "lat": 31.3, "lon": 120.6, "demand": 3},
            "already exists",
        ),
        ({"type": "demand_change", "at": "09:00", "order": "3", "demand": 500}, "exceeds"),
        ({"type": "depot_close", "at": "09:00", "depot": "Hangzhou"}, "unknown depot"),
        ({"type": "depot_close", "at": "09:00", "depot": "0"}, "before the replan time"),
    ],
)
def test_bad_events_against_the_plan(record: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        replan(PLAN, _events(record), at=10 * 60, time_limit=0.2)


def test_events_on_served_orders_are_refused() -> None:
    at = 12 * 60
    done = next(v for v in vehicles_at(PLAN, apply_events(PLAN, [], at)[0], at) if v.served)
    record = {"type": "cancel", "at": "11:00", "order": str(done.served[0])}
    with pytest.raises(InputError, match="already served by vehicle"):
        replan(PLAN, _events(record), at=at, time_limit=0.2)


# --- the command -----------------------------------------------------------------------------


def test_cli_replan_writes_a_new_valid_plan_and_leaves_the_old_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan_dir(tmp_path)
    old = (plan / "result.json").read_text()
    events = tmp_path / "events.jsonl"
    new = {"type": "new_order", "at": "09:10", "id": "N7", "lat": 31.5, "lon": 120.3, "demand": 4}
    cancel = {"type": "cancel", "at": "09:20", "order": LATE_STOP}
    events.write_text(f"{json.dumps(new)}\n{json.dumps(cancel)}\n")
    args = ["replan", "--plan", str(plan), "--events", str(events), "--at", "09:30"]
    assert main([*args, "--time-limit", "0.5"]) == 0
    out = tmp_path / "plan-replan-0930"
    printed = json.loads(capsys.readouterr().out)
    assert printed["out"] == str(out)
    assert (plan / "result.json").read_text() == old  # the old plan is untouched
    result = json.loads((out / "result.json").read_text())
    assert result["feasible"] is True
    assert "N7" in result["served"]
    assert result["unserved"] == [{"id": LATE_STOP, "reason": "cancelled at 09:20"}]
    assert len(result["served"]) == PROBLEM.num_customers
    problem = read_instance(out / "instance.vrp")
    routes, cost = read_solution(out / "solution.sol")
    assert validate(problem, routes, cost).feasible
    assert (
        main(
            [
                "validate",
                "--instance",
                str(out / "instance.vrp"),
                "--solution",
                str(out / "solution.sol"),
            ]
        )
        == 0
    )
    assert "## Diff" in (out / "summary.md").read_text()
    capsys.readouterr()
    # a replan of the replan, into an explicit folder
    again = tmp_path / "again"
    new = {"type": "new_order", "at": "10:00", "id": "N8", "lat": 31.4, "lon": 120.4, "demand": 3}
    events.write_text(json.dumps(new) + "\n")
    code = main(
        [
            "replan",
            "--plan",
            str(out),
            "--events",
            str(events),
            "--time-limit",
            "0.3",
            "--out",
            str(again),
        ]
    )
    assert code == 0
    second = json.loads((again / "result.json").read_text())
    assert second["replanned_at"] == "10:00"
    assert "N7" in second["served"] and "N8" in second["served"]
    assert second["unserved"] == result["unserved"]  # the cancellation stays closed
    # what was done by 09:30 is still done, in the same order, on the same vehicle
    for vehicle, orders in zip(result["vehicles"], result["route_orders"], strict=True):
        if vehicle in second["vehicles"]:
            again_orders = second["route_orders"][second["vehicles"].index(vehicle)]
            assert again_orders[:1] == orders[:1]


def test_cli_bad_event_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan_dir(tmp_path)
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "cancel", "at": "09:00", "order": "1"}\n{"type": "cancel"\n')
    assert main(["replan", "--plan", str(plan), "--events", str(events)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qroute: error: ") and "events.jsonl:2: malformed JSON" in err
    assert len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl", "plan"]
    assert main(["replan", "--plan", str(plan), "--events", str(events), "--out", str(plan)]) == 2


@pytest.mark.slow
def test_replan_flow_stores_the_replan_beside_the_nightly_results(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    plan = _plan_dir(tmp_path)
    script = (
        "import json, sys\n"
        "from qroute.orchestration.replan import replan_flow\n"
        "events = [{'type': 'new_order', 'at': '09:00', 'id': 'N5', 'lat': 31.3, 'lon': 120.6,"
        " 'demand': 4}]\n"
        f"r = replan_flow(plan={str(plan)!r}, events=events, at='09:30', time_limit=0.5,"
        f" out_root={str(tmp_path / 'runs' / 'replans')!r})\n"
        "print(json.dumps(r))\n"
    )
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "240",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=400
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "complete" and result["diff"]["added"] == ["N5"]
    stored = Path(result["out"])
    assert stored.parent.parent == tmp_path / "runs" / "replans"
    assert (stored.parent / "events.jsonl").read_text().count("\n") == 1
    assert json.loads((stored / "result.json").read_text())["feasible"] is True


def test_an_announced_depot_closing_bounds_every_return() -> None:
    events = _events({"type": "depot_close", "at": "13:00", "depot": "0"})
    result = replan(PLAN, events, at=9 * 60, time_limit=0.3)
    assert result.day.windows[0, 1] == 13 * 60
    # a vehicle already committed far away may still come back late; nobody given more
    # work does, and the lateness shrinks against the old plan carried on
    assert result.after["lateness"] < result.before["lateness"]
    for vehicle in result.vehicles:
        if vehicle.remaining:
            assert _timeline(result.day, vehicle, vehicle.remaining).lateness == 0.0
    assert result.unserved  # orders that no longer fit before 13:00 are listed
    assert all("13:00" in r or "fleet exhausted" in r for r in result.unserved.values())


def test_the_example_events_file_parses() -> None:
    events = read_events(REPO / "examples" / "events.jsonl")
    assert [e.type for e in events] == ["new_order", "new_order", "delay", "depot_close"]
