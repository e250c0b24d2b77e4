"""qroute.model.solution: a Solution answers questions about itself through the validator."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qroute.model.instances import read_instance, read_solution
from qroute.model.problem import Problem, Rounding
from qroute.model.solution import Solution


def _square() -> Problem:
    coords = np.array([(0.0, 0.0), (3.0, 0.0), (3.0, 4.0), (0.0, 4.0)])
    return Problem(
        "square",
        distances=np.sqrt(((coords[:, None] - coords[None]) ** 2).sum(-1)),
        demands=np.array([0, 3, 4, 5]),
        capacity=8,
        rounding=Rounding.EXACT,
        coords=coords,
    )


def test_from_routes_drops_empty_routes_and_normalises_ids() -> None:
    routes: list[Any] = [[], np.array([1, 2]), [], [np.int64(3)]]
    solution = Solution.from_routes(_square(), routes)
    assert solution.routes == ((1, 2), (3,))
    assert all(type(c) is int for r in solution.routes for c in r)
    assert solution.num_routes == 2


def test_feasible_solution_answers() -> None:
    solution = Solution.from_routes(_square(), [[1, 2], [3]])
    assert solution.is_feasible
    assert solution.violations == ()
    assert solution.cost == pytest.approx(20.0)  # 3 + 4 + 5 and 4 + 4
    assert solution.route_costs() == pytest.approx([12.0, 8.0])
    assert solution.loads() == [7, 5]


def test_infeasible_solution_answers() -> None:
    solution = Solution.from_routes(_square(), [[1, 2, 3]])
    assert not solution.is_feasible
    assert solution.violations == ("route 1 load 12 exceeds capacity 8",)
    assert solution.cost == pytest.approx(14.0)  # 3 + 4 + 3 + 4
    assert solution.loads() == [12]


def test_missing_customer_is_a_violation() -> None:
    solution = Solution.from_routes(_square(), [[1, 2]])
    assert solution.violations == ("1 customer(s) not visited: 3",)


def test_solution_is_frozen_and_its_report_cached() -> None:
    solution = Solution.from_routes(_square(), [[1, 2], [3]])
    with pytest.raises(dataclasses.FrozenInstanceError):
        solution.routes = ()  # type: ignore[misc]
    assert solution.report is solution.report


def test_bks_of_x_n101_k25(shared_data: Path) -> None:
    problem = read_instance(shared_data / "cvrplib" / "X" / "X-n101-k25.vrp")
    routes, stated = read_solution(shared_data / "cvrplib" / "X" / "X-n101-k25.sol")
    solution = Solution.from_routes(problem, routes)
    assert solution.is_feasible
    assert solution.cost == stated == 27591
    assert solution.num_routes == 26
    assert sum(solution.route_costs()) == 27591
    loads = solution.loads()
    assert max(loads) <= 206
    assert sum(loads) == problem.total_demand
    assert loads[:3] == [191, 205, 201]


def test_bks_of_c101_under_time_windows(shared_data: Path) -> None:
    problem = read_instance(shared_data / "solomon" / "C101.txt")
    routes, _ = read_solution(shared_data / "solomon" / "C101.sol")
    solution = Solution.from_routes(problem, routes)
    assert solution.is_feasible
    assert solution.cost == pytest.approx(827.3, abs=1e-6)
    assert solution.num_routes == 10
    reversed_first = Solution.from_routes(problem, [routes[0][::-1], *routes[1:]])
    assert not reversed_first.is_feasible
    assert all(v.startswith("route 1 reaches") for v in reversed_first.violations)
