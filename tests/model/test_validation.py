"""qroute.model.validation: every shipped BKS validates; broken copies report every violation."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from qroute.model.data import data_dir
from qroute.model.instances import read_instance, read_solution
from qroute.model.problem import Problem, Rounding
from qroute.model.validation import validate


def _solution_files() -> list[Path]:
    folder = data_dir()
    return sorted(folder.rglob("*.sol")) if folder.is_dir() else []


SOLUTIONS = _solution_files()


def _instance_for(solution: Path) -> Path:
    for suffix in (".vrp", ".txt"):
        candidate = solution.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    raise AssertionError(f"no instance beside {solution}")


@cache
def _problem(path: Path) -> Problem:
    return read_instance(path)


def _bks(folder: Path) -> dict[str, float]:
    with (folder / "bks.csv").open(newline="", encoding="utf-8") as handle:
        return {row["instance"]: float(row["bks_cost"]) for row in csv.DictReader(handle)}


def _load(shared_data: Path, relative: str) -> tuple[Problem, list[list[int]], float]:
    problem = _problem(shared_data / relative)
    routes, cost = read_solution((shared_data / relative).with_suffix(".sol"))
    assert cost is not None
    return problem, routes, cost


# --- the shipped best-known solutions --------------------------------------------------------


def test_every_sol_file_is_checked(shared_data: Path) -> None:
    found = sorted(shared_data.rglob("*.sol"))
    # the issue spoke of 191 solutions; the data folder holds 175, one per bks.csv row
    assert len(SOLUTIONS) == len(found) == len(_bks(shared_data)) == 175
    by_set: dict[str, int] = {}
    for path in found:
        by_set[path.parent.name] = by_set.get(path.parent.name, 0) + 1
    assert by_set == {
        "A": 27,
        "B": 23,
        "P": 24,
        "E": 13,
        "CMT": 14,
        "X": 18,
        "solomon": 50,
        "gehring_homberger": 6,
    }


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_bks_solution_is_feasible_at_its_stated_cost(solution: Path, shared_data: Path) -> None:
    problem = _problem(_instance_for(solution))
    routes, stated = read_solution(solution)
    assert stated is not None
    report = validate(problem, routes, stated)
    assert report.violations == ()
    assert report.feasible
    assert report.claimed_cost == stated
    assert abs(report.cost - stated) <= problem.cost_tolerance
    assert stated == _bks(shared_data)[solution.stem]
    assert report.num_routes == len([r for r in routes if r])


# --- one violation at a time, on real solutions ----------------------------------------------


X101 = "cvrplib/X/X-n101-k25.vrp"


def test_missing_customer(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, X101)
    assert routes[0] == [31, 46, 35]
    routes[0].remove(46)
    report = validate(problem, routes)
    assert not report.feasible
    assert report.violations == ("1 customer(s) not visited: 46",)


def test_many_missing_customers_are_listed_and_abbreviated(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, X101)
    report = validate(problem, routes[:1])
    assert len(report.violations) == 1
    message = report.violations[0]
    assert message.startswith("97 customer(s) not visited: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ")
    assert message.endswith(" ...")


def test_duplicate_customer(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, X101)
    assert routes[6] == [4, 13, 74]  # load 189
    routes[6].append(76)  # 76 (demand 6) stays on route 6 and now also visits route 7
    report = validate(problem, routes)
    assert report.violations == ("customer 76 visited 2 times",)


def test_route_overload(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, X101)
    assert routes[1] == [15, 22, 41, 20]  # load 205 of 206
    assert routes[6] == [4, 13, 74]
    routes[6].remove(4)
    routes[1].append(4)  # demand 70
    report = validate(problem, routes)
    assert report.violations == ("route 2 load 275 exceeds capacity 206",)


def test_wrong_stated_cost(shared_data: Path) -> None:
    problem, routes, stated = _load(shared_data, X101)
    assert stated == 27591
    report = validate(problem, routes, 27592)
    assert report.violations == ("claimed cost 27592 != recomputed cost 27591",)
    assert report.cost == 27591
    assert report.claimed_cost == 27592


@pytest.mark.parametrize(
    ("relative", "within", "beyond"),
    [
        ("cvrplib/CMT/CMT1.vrp", 524.615, 524.63),  # EXACT: tolerance 0.01
        ("solomon/C101.txt", 827.34, 827.4),  # TRUNC1: tolerance 0.05
        ("cvrplib/E/E-n13-k4.vrp", 247.0, 247.001),  # EXPLICIT: integer, 1e-6
    ],
)
def test_stated_cost_tolerance(
    shared_data: Path, relative: str, within: float, beyond: float
) -> None:
    problem, routes, _ = _load(shared_data, relative)
    assert validate(problem, routes, within).feasible
    report = validate(problem, routes, beyond)
    assert len(report.violations) == 1
    assert report.violations[0].startswith(f"claimed cost {beyond:g} != recomputed cost")


def test_unknown_customer_id(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, X101)
    routes[2][0] = 102  # customer 1 replaced by an id beyond 1..100
    report = validate(problem, routes)
    assert report.violations == (
        "route 3: unknown customer id 102 (valid: 1..100)",
        "1 customer(s) not visited: 1",
    )


def test_fleet_size_excess_on_solomon(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, "solomon/C101.txt")
    assert problem.num_vehicles == 25
    assert len(routes) == 10
    # split routes into single-customer routes until 26 routes are used
    split: list[list[int]] = [list(r) for r in routes]
    while len(split) < 26:
        longest = max(split, key=len)
        split.append([longest.pop()])
    report = validate(problem, split)
    assert report.num_routes == 26
    # cutting the tail off a route keeps its prefix on time, and singletons are on time
    assert report.violations == ("26 routes but the fleet has 25 vehicles",)


def test_fleet_size_exactly_at_the_limit_is_fine(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, "solomon/C101.txt")
    singles = [[c] for c in problem.customers]
    assert validate(problem, singles).violations == ("100 routes but the fleet has 25 vehicles",)
    # 25 routes: the 10 BKS routes plus 15 customers split off as singletons
    split = [list(r) for r in routes]
    for _ in range(15):
        split.append([max(split, key=len).pop()])
    report = validate(problem, split)
    assert report.num_routes == 25
    assert not any("fleet" in v for v in report.violations)


def test_time_window_violation(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, "solomon/C101.txt")
    # customer 1 opens at 912 (service 90); customer 3 is due at 146
    assert problem.time_windows is not None
    assert problem.time_windows[1].tolist() == [912, 967]
    assert problem.time_windows[3].tolist() == [65, 146]
    moved = [[c for c in r if c not in (1, 3)] for r in routes] + [[1, 3]]
    report = validate(problem, moved)
    # wait at 1 until 912, serve 90, travel trunc1(sqrt(13)) = 3.6: reach 3 at 1005.6
    assert report.violations == ("route 11 reaches customer 3 at 1005.60, after its due time 146",)
    assert validate(
        problem, [[c for c in r if c not in (1, 3)] for r in routes] + [[3, 1]]
    ).feasible


def test_late_return_to_the_depot() -> None:
    coords = np.array([(0.0, 0.0), (10.0, 0.0)])
    problem = Problem(
        "late",
        distances=np.array([[0.0, 10.0], [10.0, 0.0]]),
        demands=np.array([0, 1]),
        capacity=5,
        rounding=Rounding.EXACT,
        coords=coords,
        time_windows=np.array([[0.0, 50.0], [30.0, 40.0]]),
        service_times=np.array([0.0, 15.0]),
    )
    # reach 1 at 10, wait until 30, serve 15, back at 55 > 50
    assert validate(problem, [[1]]).violations == (
        "route 1 reaches the depot at 55.00, after its due time 50",
    )


def test_cmt_route_length_excess_counts_service_times(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, "cvrplib/CMT/CMT6.vrp")
    assert routes[5] == [18, 4, 47, 46]
    routes[5].remove(47)
    routes[2].append(47)
    # travel 111.33 plus 9 service times of 10 = 201.33; travel alone is far below the limit
    assert len(routes[2]) == 9
    assert problem.route_cost(routes[2]) == pytest.approx(111.33, abs=0.005)
    report = validate(problem, routes)
    assert report.violations == ("route 3 length 201.33 exceeds the limit 200",)


def test_route_length_limit_on_a_tiny_line() -> None:
    def line(limit: float) -> Problem:
        return Problem(
            "line",
            distances=np.array([[0, 3, 5], [3, 0, 2], [5, 2, 0]], dtype=np.float64),
            demands=np.array([0, 1, 1]),
            capacity=5,
            rounding=Rounding.EXPLICIT,
            service_times=np.array([0.0, 1.0, 1.0]),
            max_route_length=limit,
        )

    # travel 3 + 2 + 5 = 10 plus two services of 1 = 12
    assert validate(line(12.0), [[1, 2]]).feasible
    assert validate(line(11.5), [[1, 2]]).violations == (
        "route 1 length 12.00 exceeds the limit 11.5",
    )
    assert validate(line(11.5), [[1], [2]]).feasible  # 7 and 11


# --- several violations at once --------------------------------------------------------------


def test_all_violations_are_returned_together(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, X101)
    assert routes[0] == [31, 46, 35]
    assert routes[2] == [1, 70, 54]
    routes[0] = [31]  # 46 missing; 35 moves to route 2
    routes[1].append(35)  # route 2 load 205 + 53 = 258
    routes[2][0] = 150  # unknown id, so customer 1 is missing too
    routes[6].append(76)  # 76 twice
    report = validate(problem, routes, 27591)
    assert not report.feasible
    assert report.violations[:4] == (
        "route 3: unknown customer id 150 (valid: 1..100)",
        "customer 76 visited 2 times",
        "2 customer(s) not visited: 1, 46",
        "route 2 load 258 exceeds capacity 206",
    )
    assert len(report.violations) == 5
    assert report.violations[4].startswith("claimed cost 27591 != recomputed cost ")
    assert report.cost == pytest.approx(
        sum(problem.route_cost(r) for r in routes if 150 not in r) + problem.route_cost([70, 54])
    )


def test_fleet_and_time_windows_together(shared_data: Path) -> None:
    problem, routes, _ = _load(shared_data, "solomon/C101.txt")
    moved = [[c for c in r if c not in (1, 3)] for r in routes] + [[1, 3]]
    for _ in range(15):  # 11 + 15 = 26 routes
        moved.append([max(moved[:10], key=len).pop()])
    report = validate(problem, moved, 827.3)
    assert "26 routes but the fleet has 25 vehicles" in report.violations
    assert "route 11 reaches customer 3 at 1005.60, after its due time 146" in report.violations
    assert any(v.startswith("claimed cost 827.3 != recomputed cost") for v in report.violations)


# --- depot handling and the report -----------------------------------------------------------


def _tiny() -> Problem:
    coords = np.array([(0.0, 0.0), (3.0, 0.0), (3.0, 4.0), (0.0, 4.0)])
    return Problem(
        "tiny",
        distances=np.sqrt(((coords[:, None] - coords[None]) ** 2).sum(-1)),
        demands=np.array([0, 3, 4, 5]),
        capacity=8,
        rounding=Rounding.EXACT,
        coords=coords,
    )


def test_routes_may_list_the_depot_at_both_ends() -> None:
    problem = _tiny()
    report = validate(problem, [[0, 1, 2, 0], [0, 3, 0]], 20.0)
    assert report.feasible
    assert report.cost == pytest.approx(12.0 + 8.0)


def test_capacity_boundary() -> None:
    assert validate(_tiny(), [[1, 3], [2]]).feasible  # load 3 + 5 = 8 = capacity
    assert validate(_tiny(), [[1], [2, 3]]).violations == ("route 2 load 9 exceeds capacity 8",)


def test_route_with_the_depot_at_one_end_only_is_reported() -> None:
    for route in ([0, 1, 2], [1, 2, 0]):
        report = validate(_tiny(), [route, [3]])
        assert not report.feasible
        assert report.violations[0] == "route 1 does not start and end at the depot"
        assert report.cost == pytest.approx(20.0)


def test_route_with_the_depot_at_one_end_only_gets_one_message() -> None:
    report = validate(_tiny(), [[0, 1, 2], [3]])
    assert report.violations == ("route 1 does not start and end at the depot",)


def test_route_through_the_depot() -> None:
    report = validate(_tiny(), [[1, 0, 2], [3]])
    assert report.violations == ("route 1 passes through the depot mid-route",)


def test_negative_id_is_unknown() -> None:
    report = validate(_tiny(), [[1, 2], [3, -4]])
    assert report.violations == ("route 2: unknown customer id -4 (valid: 1..3)",)


def test_empty_routes_are_ignored() -> None:
    report = validate(_tiny(), [[], [1, 2], [], [3]])
    assert report.feasible
    assert report.num_routes == 2
    assert report.cost == pytest.approx(20.0)


def test_report_as_dict() -> None:
    report = validate(_tiny(), [[1, 2, 3]], 99.0)
    assert report.as_dict() == {
        "feasible": False,
        "cost": pytest.approx(14.0),
        "claimed_cost": 99.0,
        "num_routes": 1,
        "violations": [
            "route 1 load 12 exceeds capacity 8",
            "claimed cost 99 != recomputed cost 14",
        ],
    }
