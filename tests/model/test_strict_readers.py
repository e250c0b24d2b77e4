"""The strict readers: each finding of issue 11 (fuzzing the instance, solution and profile
readers) as a test. Small instances are written here; the real files come from the data
folder (skipped without it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import vrplib

from qroute.model.data import data_dir
from qroute.model.errors import InputError, TooLargeError
from qroute.model.instances import read_instance, read_solution
from qroute.model.loader import load_problem
from qroute.model.problem import Problem, Rounding
from qroute.model.validation import validate

HEADER = {
    "NAME": "T-n5",
    "TYPE": "CVRP",
    "DIMENSION": "5",
    "EDGE_WEIGHT_TYPE": "EUC_2D",
    "CAPACITY": "10",
}
COORDS = [(1, 0, 0), (2, 3, 4), (3, 6, 8), (4, 0, 5), (5, 5, 0)]
DEMANDS = [(1, 0), (2, 4), (3, 3), (4, 5), (5, 2)]


def vrp_text(
    header: dict[str, str] | None = None,
    coords: Sequence[tuple[object, ...]] | None = None,
    demands: Sequence[tuple[object, ...]] | None = None,
    extra: str = "",
) -> str:
    lines = [f"{k} : {v}" for k, v in {**HEADER, **(header or {})}.items()]
    lines.append("NODE_COORD_SECTION")
    lines += [" ".join(map(str, row)) for row in (coords or COORDS)]
    lines.append("DEMAND_SECTION")
    lines += [" ".join(map(str, row)) for row in (demands or DEMANDS)]
    lines += ["DEPOT_SECTION", "1", "-1"]
    return "\n".join(lines) + "\n" + extra + "EOF\n"


def write(tmp_path: Path, text: str | bytes, name: str = "T-n5.vrp") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def rejects(path: Path, *fragments: str, line: int | None = -1) -> str:
    with pytest.raises(InputError) as info:
        read_instance(path)
    text = str(info.value)
    assert "\n" not in text and len(text) < 400, text
    assert text.startswith(str(path)), text
    if line != -1:
        assert info.value.line == line, text
    for fragment in fragments:
        assert fragment in text, text
    return text


def test_the_small_instance_reads_as_written(tmp_path: Path) -> None:
    problem = read_instance(write(tmp_path, vrp_text()))
    assert problem.demands.tolist() == [0, 4, 3, 5, 2]
    assert problem.distances[0, 1] == 5 and problem.distances[0, 2] == 10
    assert problem.capacity == 10 and problem.num_vehicles is None


# --- header values ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "abc", "inf", "3.5"])
def test_vehicles_must_be_an_integer(tmp_path: Path, value: str) -> None:
    rejects(write(tmp_path, vrp_text({"VEHICLES": value})), "VEHICLES", repr(value), line=6)


@pytest.mark.parametrize("value", ["0", "-5"])
def test_vehicles_must_be_at_least_one(tmp_path: Path, value: str) -> None:
    rejects(
        write(tmp_path, vrp_text({"VEHICLES": value})), "VEHICLES must be in 1..1000000", line=6
    )


def test_vehicles_are_read(tmp_path: Path) -> None:
    assert read_instance(write(tmp_path, vrp_text({"VEHICLES": "2"}))).num_vehicles == 2


@pytest.mark.parametrize("value", ["NaN", "inf", "1e400", "-inf"])
def test_capacity_must_be_finite(tmp_path: Path, value: str) -> None:
    rejects(write(tmp_path, vrp_text({"CAPACITY": value})), "CAPACITY", "finite", line=5)


@pytest.mark.parametrize("value", ["0", "-3"])
def test_capacity_must_be_positive(tmp_path: Path, value: str) -> None:
    rejects(write(tmp_path, vrp_text({"CAPACITY": value})), "CAPACITY must be a positive", line=5)


def test_service_time_abc_is_a_clean_error(tmp_path: Path) -> None:
    rejects(write(tmp_path, vrp_text({"SERVICE_TIME": "abc"})), "SERVICE_TIME", "'abc'", line=6)


def test_service_time_must_not_be_negative(tmp_path: Path) -> None:
    rejects(write(tmp_path, vrp_text({"SERVICE_TIME": "-5"})), "SERVICE_TIME must not be negative")


@pytest.mark.parametrize("value", ["-5", "0"])
def test_route_length_limit_must_be_positive(tmp_path: Path, value: str) -> None:
    rejects(write(tmp_path, vrp_text({"DISTANCE": value})), "DISTANCE", "must be positive", line=6)


def test_dimension_must_be_an_integer(tmp_path: Path) -> None:
    rejects(write(tmp_path, vrp_text({"DIMENSION": "5.0"})), "DIMENSION must be an integer", line=3)


def test_an_unknown_header_keyword_is_named(tmp_path: Path) -> None:
    rejects(write(tmp_path, vrp_text({"VEHICLE": "3"})), "unknown header keyword 'VEHICLE'", line=6)


def test_a_header_keyword_given_twice(tmp_path: Path) -> None:
    text = vrp_text().replace("CAPACITY : 10\n", "CAPACITY : 10\nCAPACITY : 20\n")
    rejects(write(tmp_path, text), "CAPACITY appears twice", line=6)


# --- node ids and values --------------------------------------------------------------------


def test_shuffled_demand_rows_are_matched_by_node_id(tmp_path: Path) -> None:
    shuffled = [DEMANDS[3], DEMANDS[0], DEMANDS[4], DEMANDS[2], DEMANDS[1]]
    problem = read_instance(write(tmp_path, vrp_text(demands=shuffled)))
    assert problem.demands.tolist() == [0, 4, 3, 5, 2]  # by id, not in row order


def test_shuffled_coordinate_rows_are_matched_by_node_id(tmp_path: Path) -> None:
    original = read_instance(write(tmp_path, vrp_text()))
    shuffled = read_instance(write(tmp_path, vrp_text(coords=COORDS[::-1]), "S-n5.vrp"))
    assert np.array_equal(original.distances, shuffled.distances)
    assert original.coords is not None and shuffled.coords is not None
    assert np.array_equal(original.coords, shuffled.coords)


def test_a_duplicate_node_id_is_an_error(tmp_path: Path) -> None:
    demands = [DEMANDS[0], DEMANDS[1], DEMANDS[1], DEMANDS[3], DEMANDS[4]]
    rejects(write(tmp_path, vrp_text(demands=demands)), "node 2 appears twice (first on line 14)")


def test_a_duplicate_coordinate_id_is_an_error(tmp_path: Path) -> None:
    coords = [COORDS[0], COORDS[2], COORDS[2], COORDS[3], COORDS[4]]
    rejects(write(tmp_path, vrp_text(coords=coords)), "NODE_COORD_SECTION: node 3 appears twice")


@pytest.mark.parametrize("value", ["3.5", "1e30", "nan", "3e0"])
def test_a_demand_must_be_an_integer(tmp_path: Path, value: str) -> None:
    demands = [DEMANDS[0], (2, value), *DEMANDS[2:]]
    text = rejects(write(tmp_path, vrp_text(demands=demands)), "demand", line=14)
    assert "integer" in text or "finite" in text


def test_a_demand_of_10_to_the_23_is_refused(tmp_path: Path) -> None:
    demands = [DEMANDS[0], (2, 10**23), *DEMANDS[2:]]
    rejects(write(tmp_path, vrp_text(demands=demands)), "above the limit", line=14)


def test_the_depot_demand_must_be_zero(tmp_path: Path) -> None:
    demands = [(1, 1100), *DEMANDS[1:]]
    rejects(write(tmp_path, vrp_text(demands=demands)), "depot (node 1) must have demand 0")


def test_non_finite_coordinates_are_refused(tmp_path: Path) -> None:
    coords = [COORDS[0], (2, "inf", 4), *COORDS[2:]]
    rejects(write(tmp_path, vrp_text(coords=coords)), "finite", line=8)


def test_coordinates_whose_distance_overflows_are_refused(tmp_path: Path) -> None:
    coords = [COORDS[0], (2, "1e300", "1e300"), *COORDS[2:]]
    rejects(write(tmp_path, vrp_text(coords=coords)), "distance is not finite")


def test_negative_explicit_distances_are_refused(tmp_path: Path) -> None:
    lines = [
        "NAME : T-e3",
        "TYPE : CVRP",
        "DIMENSION : 3",
        "EDGE_WEIGHT_TYPE : EXPLICIT",
        "EDGE_WEIGHT_FORMAT : LOWER_ROW",
        "CAPACITY : 10",
        "EDGE_WEIGHT_SECTION",
        "4 -5 3",
        "DEMAND_SECTION",
        "1 0",
        "2 1",
        "3 1",
        "DEPOT_SECTION",
        "1",
        "-1",
        "EOF",
    ]
    rejects(write(tmp_path, "\n".join(lines), "T-e3.vrp"), "negative distance -5", line=8)


def test_a_byte_order_mark_is_not_part_of_the_name(tmp_path: Path) -> None:
    problem = read_instance(write(tmp_path, b"\xef\xbb\xbf" + vrp_text().encode()))
    assert problem.name == "T-n5"


def test_a_50_mb_single_line_is_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, "x" * 50_000_000)
    text = rejects(path, "expected 'KEY : VALUE'", line=1)
    assert len(text) < 400


def test_a_non_utf8_byte_names_its_line(tmp_path: Path) -> None:
    data = vrp_text().encode().replace(b"3 6 8", b"3 6 \xff")
    rejects(write(tmp_path, data), "not a text file", line=9)


# --- well-formed but cannot be served ---------------------------------------------------------


def test_a_demand_above_capacity_is_rejected_before_solving(tmp_path: Path) -> None:
    demands = [*DEMANDS[:3], (4, 11), DEMANDS[4]]
    rejects(write(tmp_path, vrp_text(demands=demands)), "cannot be served", "customer 3 demand 11")


def test_a_fleet_too_small_is_rejected(tmp_path: Path) -> None:
    # total demand 14, capacity 10: two vehicles are needed
    rejects(write(tmp_path, vrp_text({"VEHICLES": "1"})), "cannot be served", "fleet has 1")


def test_a_customer_beyond_the_route_length_limit_is_rejected(tmp_path: Path) -> None:
    rejects(write(tmp_path, vrp_text({"DISTANCE": "15"})), "cannot be served", "customer 2")


C101_LIKE = """T101

VEHICLE
NUMBER     CAPACITY
  3         50

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0       DEPOT_DUE          0
    1      3          4         10          0        100         10
    2      6          8         20          0        100         10
"""


def test_a_solomon_file_reads(tmp_path: Path) -> None:
    problem = read_instance(write(tmp_path, C101_LIKE.replace("DEPOT_DUE", "200"), "T101.txt"))
    assert problem.num_vehicles == 3 and problem.capacity == 50
    assert problem.time_windows is not None and problem.time_windows[0, 1] == 200
    assert problem.distances[0, 1] == 5.0 and problem.rounding is Rounding.TRUNC1


def test_a_solomon_depot_due_time_of_zero_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, C101_LIKE.replace("DEPOT_DUE", "0"), "T101.txt")
    rejects(path, "cannot be served", "customer 1", "depot closes at 0")


def test_a_solomon_window_no_vehicle_reaches(tmp_path: Path) -> None:
    text = C101_LIKE.replace("DEPOT_DUE", "200").replace(
        "0        100         10\n    2", "0          2         10\n    2"
    )
    rejects(write(tmp_path, text, "T101.txt"), "customer 1 cannot be reached", "due time 2")


# time windows (issue 13): each well-formed-looking but wrong window is one line, on its row

TW_BAD_ROWS = {
    # customer 2's row ("... 20  <ready>  <due>  <service>") replaced
    "due-before-ready": (" 20         60         50         10", 12, "customer 2: READY TIME 60"),
    "negative-service": (" 20          0        100         -4", 12, "SERVICE TIME must not"),
    "negative-ready": (" 20         -1        100         10", 12, "READY TIME must not"),
    "opens-after-depot-closes": (" 20        250        300         10", 12, "outside the depot"),
}


@pytest.mark.parametrize("case", sorted(TW_BAD_ROWS))
def test_a_bad_solomon_time_window_is_one_line_on_its_row(tmp_path: Path, case: str) -> None:
    row, line, fragment = TW_BAD_ROWS[case]
    text = C101_LIKE.replace("DEPOT_DUE", "200").replace(
        " 20          0        100         10", row
    )
    assert text != C101_LIKE.replace("DEPOT_DUE", "200")
    message = rejects(write(tmp_path, text, "T101.txt"), fragment, line=line)
    assert "customer 2" in message


def test_a_window_outside_the_depot_names_both_windows(tmp_path: Path) -> None:
    text = C101_LIKE.replace("DEPOT_DUE", "200").replace(
        " 20          0        100         10", " 20        250        300         10"
    )
    rejects(write(tmp_path, text, "T101.txt"), "[250, 300]", "depot's [0, 200]")


def test_a_window_that_only_ends_after_the_depot_closes_is_accepted(tmp_path: Path) -> None:
    text = C101_LIKE.replace("DEPOT_DUE", "200").replace(
        " 20          0        100         10", " 20          0        900         10"
    )
    problem = read_instance(write(tmp_path, text, "T101.txt"))
    assert problem.time_windows is not None and problem.time_windows[2, 1] == 900


VRP_WINDOWS = "TIME_WINDOW_SECTION\n1 0 100\n2 0 50\n3 0 50\n4 0 50\n5 0 50\n"


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("3 0 50", "3 40 30", "node 3: ready 40 is after due 30"),
        ("3 0 50", "3 120 150", "node 3: time window [120, 150] lies outside the depot's [0, 100]"),
        ("3 0 50", "3 -2 50", "node 3: ready must not be negative, is -2"),
    ],
)
def test_a_bad_vrp_time_window_is_one_line(
    tmp_path: Path, old: str, new: str, fragment: str
) -> None:
    good = vrp_text(extra=VRP_WINDOWS.replace("\\n", "\n"))
    assert read_instance(write(tmp_path, good)).time_windows is not None
    rejects(write(tmp_path, good.replace(old, new)), fragment)


def test_a_negative_vrp_service_time_is_one_line(tmp_path: Path) -> None:
    extra = "SERVICE_TIME_SECTION\n1 0\n2 5\n3 -1\n4 5\n5 5\n"
    rejects(write(tmp_path, vrp_text(extra=extra)), "node 3: service time must not be negative")


def test_a_solomon_fractional_demand_is_refused(tmp_path: Path) -> None:
    text = C101_LIKE.replace("DEPOT_DUE", "200").replace(" 10          0", " 10.5        0")
    rejects(write(tmp_path, text, "T101.txt"), "DEMAND must be an integer")


# --- solutions ----------------------------------------------------------------------------


def _problem() -> Problem:
    coords = np.array([[0, 0], [3, 4], [6, 8]], dtype=float)
    from qroute.model.problem import euclidean

    return Problem(
        name="tiny",
        distances=euclidean(coords, Rounding.NINT),
        demands=np.array([0, 1, 1]),
        capacity=5,
        rounding=Rounding.NINT,
        coords=coords,
    )


@pytest.mark.parametrize("cost", ["nan", "inf", "-inf", "NaN"])
def test_a_non_finite_cost_is_an_error(tmp_path: Path, cost: str) -> None:
    path = write(tmp_path, f"Route #1: 1 2\nCost {cost}\n", "s.sol")
    with pytest.raises(InputError, match="cost must be a finite number"):
        read_solution(path)


def test_a_nan_claimed_cost_is_a_violation() -> None:
    report = validate(_problem(), [[1, 2]], float("nan"))
    assert not report.feasible
    assert any("claimed cost" in v for v in report.violations)


def test_an_empty_route_line_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "Route #1: 1 2\nRoute #99:\nCost 20\n", "s.sol")
    with pytest.raises(InputError, match="Route #99 lists no customers") as info:
        read_solution(path)
    assert info.value.line == 2


def test_a_second_cost_line_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "Route #1: 1 2\nCost 20\nCost 21\n", "s.sol")
    with pytest.raises(InputError, match="a second 'Cost' line"):
        read_solution(path)


# --- one loader, memory -------------------------------------------------------------------


def test_a_scenario_of_100000_customers_is_refused_before_allocating() -> None:
    with pytest.raises(TooLargeError, match=r"--size 100000: 100,001 nodes need a 74.5 GiB"):
        load_problem("yangtze-delta", size=100_000)


def test_a_dimension_over_the_memory_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, vrp_text({"DIMENSION": "100000"}))
    rejects(
        path, "DIMENSION 100000: 100,000 nodes need a 74.5 GiB", "memory limit of 2 GiB", line=3
    )


# --- the same data as vrplib on every benchmark file -------------------------------------------

FILES = (
    sorted(data_dir().rglob("*.vrp")) + sorted(data_dir().glob("solomon/*.txt"))
    if data_dir().is_dir()
    else []
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_the_strict_reader_reads_what_vrplib_reads(path: Path) -> None:
    problem = read_instance(path)
    solomon = path.suffix == ".txt"
    data = vrplib.read_instance(
        str(path), instance_format="solomon" if solomon else "vrplib", compute_edge_weights=False
    )
    assert problem.demands.tolist() == np.asarray(data["demand"]).tolist()
    assert problem.capacity == float(data["capacity"])
    if "node_coord" in data:
        assert problem.coords is not None
        assert np.array_equal(problem.coords, np.asarray(data["node_coord"], dtype=float))
    else:
        assert np.array_equal(problem.distances, np.asarray(data["edge_weight"], dtype=float))
    if solomon:
        assert problem.time_windows is not None
        assert np.array_equal(problem.time_windows, np.asarray(data["time_window"], dtype=float))
        assert problem.num_vehicles == int(data["vehicles"])
    if "distance" in data:
        assert problem.max_route_length == float(data["distance"])
