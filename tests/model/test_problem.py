"""qroute.model.problem: the immutable Problem, distances and rounding conventions."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qroute.model.instances import read_instance, read_solution
from qroute.model.problem import EARTH_RADIUS_KM, Problem, Rounding, euclidean, great_circle_km


def make(
    coords: Sequence[tuple[float, float]],
    rounding: Rounding = Rounding.EXACT,
    demands: list[int] | None = None,
    **kwargs: Any,
) -> Problem:
    points = np.array(coords, dtype=np.float64)
    return Problem(
        name="tiny",
        distances=euclidean(points, rounding),
        demands=np.array(demands if demands is not None else [0] + [1] * (len(coords) - 1)),
        capacity=10.0,
        rounding=rounding,
        coords=points,
        **kwargs,
    )


# --- immutability --------------------------------------------------------------------------


def test_every_array_is_read_only() -> None:
    problem = make(
        [(0, 0), (3, 0), (3, 4)],
        time_windows=np.array([[0, 100], [0, 50], [10, 60]], dtype=np.float64),
        service_times=np.array([0, 5, 5], dtype=np.float64),
        priorities=np.array([0, 1, 0]),
    )
    for name in ("distances", "demands", "coords", "time_windows", "service_times", "priorities"):
        array = getattr(problem, name)
        assert not array.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 7


def test_problem_copies_its_inputs() -> None:
    demands = np.array([0, 4, 6])
    distances = np.zeros((3, 3))
    problem = Problem("copy", distances, demands, capacity=10, rounding=Rounding.EXACT)
    demands[1] = 99
    distances[0, 1] = 99.0
    assert problem.demands.tolist() == [0, 4, 6]
    assert problem.distances[0, 1] == 0.0
    # the caller's arrays stay writable: only the Problem's copies are frozen
    assert demands.flags.writeable


def test_fields_cannot_be_reassigned() -> None:
    problem = make([(0, 0), (1, 0)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.capacity = 3.0  # type: ignore[misc]


# --- shape checks --------------------------------------------------------------------------


def test_distance_matrix_must_match_the_node_count() -> None:
    with pytest.raises(ValueError, match=r"distance matrix \(3, 3\) != \(4, 4\)"):
        Problem("bad", np.zeros((3, 3)), np.array([0, 1, 1, 1]), 5, Rounding.EXACT)


def test_non_square_distance_matrix_is_rejected() -> None:
    with pytest.raises(ValueError, match="distance matrix"):
        Problem("bad", np.zeros((3, 2)), np.array([0, 1, 1]), 5, Rounding.EXACT)


@pytest.mark.parametrize(
    ("field", "value", "rows"),
    [
        ("coords", np.zeros((2, 2)), 2),
        ("time_windows", np.zeros((4, 2)), 4),
        ("service_times", np.zeros(2), 2),
        ("priorities", np.zeros(5, dtype=np.int64), 5),
    ],
)
def test_per_node_arrays_must_have_one_row_per_node(field: str, value: object, rows: int) -> None:
    extra: dict[str, Any] = {field: value}
    with pytest.raises(ValueError, match=rf"{field} has {rows} rows, expected 3"):
        Problem("bad", np.zeros((3, 3)), np.array([0, 1, 1]), 5, Rounding.EXACT, **extra)


def test_a_problem_needs_a_customer() -> None:
    with pytest.raises(ValueError, match="at least one customer"):
        Problem("depot only", np.zeros((1, 1)), np.array([0]), 5, Rounding.EXACT)


# --- derived quantities --------------------------------------------------------------------


def test_counts_and_totals() -> None:
    problem = make([(0, 0), (1, 0), (2, 0), (3, 0)], demands=[0, 4, 7, 6])
    assert problem.num_nodes == 4
    assert problem.num_customers == 3
    assert list(problem.customers) == [1, 2, 3]
    assert problem.depot == 0
    assert problem.total_demand == 17
    assert problem.lower_bound_vehicles() == 2  # ceil(17 / 10)
    assert not problem.has_time_windows
    assert problem.service(2) == 0.0


def test_service_time_lookup() -> None:
    problem = make([(0, 0), (1, 0)], service_times=np.array([0.0, 12.5]))
    assert problem.service(0) == 0.0
    assert problem.service(1) == 12.5


@pytest.mark.parametrize(
    ("rounding", "tolerance"),
    [
        (Rounding.NINT, 1e-6),
        (Rounding.EXPLICIT, 1e-6),
        (Rounding.TRUNC1, 0.05),
        (Rounding.EXACT, 0.01),
        (Rounding.ROAD, 0.01),
    ],
)
def test_cost_tolerance_follows_the_convention(rounding: Rounding, tolerance: float) -> None:
    assert make([(0, 0), (1, 0)], rounding).cost_tolerance == tolerance


# --- route cost ----------------------------------------------------------------------------


def test_route_cost_on_a_3_4_5_triangle() -> None:
    problem = make([(0, 0), (3, 0), (3, 4)])
    assert problem.route_cost([1, 2]) == 12.0  # 3 + 4 + 5
    assert problem.route_cost((2, 1)) == 12.0
    assert problem.route_cost([1]) == 6.0
    assert problem.route_cost([2]) == 10.0
    assert problem.route_cost([]) == 0.0


def test_route_cost_is_not_symmetric_in_general() -> None:
    distances = np.array([[0, 1, 10], [10, 0, 1], [1, 10, 0]], dtype=np.float64)
    problem = Problem("asym", distances, np.array([0, 1, 1]), 5, Rounding.EXPLICIT)
    assert problem.route_cost([1, 2]) == 3.0
    assert problem.route_cost([2, 1]) == 30.0


# --- rounding conventions ------------------------------------------------------------------


def test_single_arc_under_each_convention() -> None:
    coords = np.array([(0.0, 0.0), (1.0, 2.0), (1.5, 2.0), (2.0, 3.0)])
    exact = euclidean(coords, Rounding.EXACT)
    nint = euclidean(coords, Rounding.NINT)
    trunc = euclidean(coords, Rounding.TRUNC1)
    assert exact[0, 1] == pytest.approx(math.sqrt(5))  # 2.2360...
    assert nint[0, 1] == 2.0
    assert trunc[0, 1] == 2.2
    assert exact[0, 2] == 2.5
    assert nint[0, 2] == 3.0  # TSPLIB nint: halves round up
    assert trunc[0, 2] == 2.5
    assert exact[0, 3] == pytest.approx(math.sqrt(13))  # 3.6055...
    assert nint[0, 3] == 4.0
    assert trunc[0, 3] == 3.6
    for matrix in (exact, nint, trunc):
        assert np.array_equal(matrix, matrix.T)
        assert np.all(np.diag(matrix) == 0.0)


def test_nint_rounds_each_arc_not_the_sum() -> None:
    # arcs 1.4, 1.4, 2.8: rounded per arc 1 + 1 + 3 = 5; the exact sum 5.6 would round to 6
    coords = [(0, 0), (1.4, 0), (2.8, 0)]
    assert make(coords, Rounding.NINT).route_cost([1, 2]) == 5.0
    assert make(coords, Rounding.EXACT).route_cost([1, 2]) == pytest.approx(5.6)


def test_trunc1_truncates_each_arc_to_one_decimal() -> None:
    # arcs 0.37, 0.37, 0.74 -> 0.3 + 0.3 + 0.7 = 1.3; truncating the exact sum 1.48 gives 1.4
    coords = [(0, 0), (0.37, 0), (0.74, 0)]
    problem = make(coords, Rounding.TRUNC1)
    assert problem.distances[0, 1] == 0.3
    assert problem.distances[0, 2] == 0.7
    assert problem.route_cost([1, 2]) == pytest.approx(1.3)
    assert make(coords, Rounding.EXACT).route_cost([1, 2]) == pytest.approx(1.48)


def test_trunc1_keeps_exact_tenths() -> None:
    # (3.3, 5.6) is exactly 6.5 away from the origin (33-56-65 triangle), but sqrt gives
    # 6.499999999999999 in binary floating point; truncation must still give 6.5, not 6.4.
    coords = np.array([(0.0, 0.0), (3.3, 5.6), (0.3, 0.0), (3.0, 4.0)])
    trunc = euclidean(coords, Rounding.TRUNC1)
    assert trunc[0, 1] == 6.5
    assert trunc[0, 2] == 0.3
    assert trunc[0, 3] == 5.0


def test_exact_is_unrounded() -> None:
    problem = make([(0, 0), (1, 1), (2, 2)], Rounding.EXACT)
    assert problem.route_cost([1, 2]) == pytest.approx(4 * math.sqrt(2))


def test_great_circle_km_on_known_arcs() -> None:
    one_degree = EARTH_RADIUS_KM * math.pi / 180  # 111.195 km
    latlon = np.array([(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (90.0, 0.0), (0.0, 180.0)])
    km = great_circle_km(latlon)
    assert km[0, 1] == pytest.approx(one_degree)
    assert km[0, 2] == pytest.approx(one_degree)  # on the equator
    assert km[0, 3] == pytest.approx(90 * one_degree)  # to the pole
    assert km[0, 4] == pytest.approx(math.pi * EARTH_RADIUS_KM)  # antipode, 20015 km
    assert np.allclose(km, km.T)
    assert np.all(np.diag(km) == 0.0)


# --- the conventions on real benchmark data (README "Cost conventions") ---------------------


def test_solomon_c101_bks_is_827_3_truncated_and_828_94_unrounded(shared_data: Path) -> None:
    routes, stated = read_solution(shared_data / "solomon" / "C101.sol")
    assert stated == 827.3
    truncated = read_instance(shared_data / "solomon" / "C101.txt")
    assert truncated.rounding is Rounding.TRUNC1
    assert sum(truncated.route_cost(r) for r in routes) == pytest.approx(827.3, abs=1e-6)
    unrounded = read_instance(shared_data / "solomon" / "C101.txt", rounding=Rounding.EXACT)
    assert unrounded.rounding is Rounding.EXACT
    assert sum(unrounded.route_cost(r) for r in routes) == pytest.approx(828.94, abs=0.005)


def test_e_n51_k5_and_cmt1_share_data_but_not_the_rounding(shared_data: Path) -> None:
    e51 = read_instance(shared_data / "cvrplib" / "E" / "E-n51-k5.vrp")
    cmt1 = read_instance(shared_data / "cvrplib" / "CMT" / "CMT1.vrp")
    assert e51.rounding is Rounding.NINT
    assert cmt1.rounding is Rounding.EXACT
    assert e51.coords is not None and cmt1.coords is not None
    assert np.array_equal(e51.coords, cmt1.coords)
    assert np.array_equal(e51.demands, cmt1.demands)
    assert e51.capacity == cmt1.capacity == 160
    e_routes, e_cost = read_solution(shared_data / "cvrplib" / "E" / "E-n51-k5.sol")
    c_routes, c_cost = read_solution(shared_data / "cvrplib" / "CMT" / "CMT1.sol")
    assert (e_cost, c_cost) == (521, 524.611)
    assert sum(e51.route_cost(r) for r in e_routes) == 521.0
    assert sum(cmt1.route_cost(r) for r in c_routes) == pytest.approx(524.611, abs=0.01)
