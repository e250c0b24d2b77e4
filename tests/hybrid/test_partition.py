"""qroute.hybrid.partition: the classical start of the hybrid pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from qroute.hybrid.partition import initial_routes, route_feasible, sweep_routes
from qroute.hybrid.pipeline import PipelineConfig
from qroute.hybrid.pipeline import initial_routes as pipeline_initial_routes
from qroute.model.data import find_instance
from qroute.model.instances import read_instance
from qroute.model.problem import Problem
from qroute.model.scenario import yangtze_delta
from qroute.model.validation import validate


def _covers_and_fits(problem: Problem, routes: list[list[int]]) -> None:
    assert sorted(c for r in routes for c in r) == list(problem.customers)
    assert all(r for r in routes)
    for route in routes:
        assert problem.demands[route].sum() <= problem.capacity
        assert route_feasible(problem, route)
    report = validate(problem, routes)
    assert report.feasible, report.violations


def _shared(name: str, folder: Path) -> Problem:
    path = find_instance(name)
    if path is None:
        pytest.skip(f"{name} not in {folder}")
    return read_instance(path)


def test_yangtze_start_is_capacity_feasible_and_complete() -> None:
    problem = yangtze_delta()
    routes = pipeline_initial_routes(problem, PipelineConfig())
    _covers_and_fits(problem, routes)
    assert len(routes) >= problem.lower_bound_vehicles()


def test_sweep_is_capacity_feasible() -> None:
    problem = yangtze_delta(num_customers=40, seed=3)
    _covers_and_fits(problem, sweep_routes(problem))


@pytest.mark.data
@pytest.mark.parametrize("name", ["A-n32-k5", "E-n13-k4", "P-n16-k8"])
def test_shared_instance_start(shared_data: Path, name: str) -> None:
    problem = _shared(name, shared_data)
    _covers_and_fits(problem, initial_routes(problem))


@pytest.mark.data
def test_route_length_limit_is_respected(shared_data: Path) -> None:
    problem = _shared("CMT6", shared_data)
    assert problem.max_route_length is not None
    _covers_and_fits(problem, initial_routes(problem))


@pytest.mark.data
def test_time_windows_start_is_validated_feasible(shared_data: Path) -> None:
    problem = _shared("R101", shared_data)
    assert problem.has_time_windows
    _covers_and_fits(problem, initial_routes(problem))


def test_route_feasible_flags_overload() -> None:
    problem = yangtze_delta(num_customers=12, seed=5, capacity=40)
    heavy = sorted(problem.customers, key=lambda c: -int(problem.demands[c]))[:3]
    assert problem.demands[heavy].sum() > 40
    assert not route_feasible(problem, heavy)
    assert route_feasible(problem, [])
