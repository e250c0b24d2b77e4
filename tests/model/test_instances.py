"""qroute.model.instances: reading every benchmark file, .sol I/O, and line-precise InputErrors."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from qroute.model.data import data_dir
from qroute.model.errors import InputError
from qroute.model.instances import read_instance, read_solution, write_solution
from qroute.model.problem import Rounding


def _instance_files() -> list[Path]:
    folder = data_dir()
    if not folder.is_dir():
        return []
    vrp = sorted(folder.rglob("*.vrp"))
    txt = sorted(p for p in folder.rglob("*.txt") if not p.name.endswith(".sintef.txt"))
    return vrp + txt


INSTANCE_FILES = _instance_files()


def _bks_rows(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "bks.csv").open(newline="", encoding="utf-8") as handle:
        return {row["instance"]: row for row in csv.DictReader(handle)}


def _expected_rounding(path: Path) -> Rounding:
    if path.stem in {"E-n13-k4", "E-n31-k7"}:
        return Rounding.EXPLICIT
    if path.parent.name == "CMT" or path.parent.name == "gehring_homberger":
        return Rounding.EXACT
    if path.parent.name == "solomon":
        return Rounding.TRUNC1
    return Rounding.NINT


# --- every benchmark file loads --------------------------------------------------------------


def test_the_data_folder_holds_119_vrp_and_56_solomon_style_files(shared_data: Path) -> None:
    assert len([p for p in INSTANCE_FILES if p.suffix == ".vrp"]) == 119
    assert len([p for p in INSTANCE_FILES if p.suffix == ".txt"]) == 56  # 50 Solomon + 6 GH
    assert len(INSTANCE_FILES) == len(_bks_rows(shared_data)) == 175


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=lambda p: p.stem)
def test_every_instance_loads_and_matches_bks_csv(path: Path, shared_data: Path) -> None:
    problem = read_instance(path)
    row = _bks_rows(shared_data)[path.stem]
    assert problem.name == path.stem
    assert problem.num_customers == int(row["n_customers"])
    assert problem.capacity == float(row["capacity"])
    assert problem.rounding is _expected_rounding(path)
    assert problem.source == str(path)
    assert problem.demands[0] == 0
    assert np.all(problem.demands[1:] >= 0)
    assert problem.distances.shape == (problem.num_nodes, problem.num_nodes)
    assert np.all(np.diag(problem.distances) == 0)
    assert np.allclose(problem.distances, problem.distances.T)
    assert problem.has_time_windows == (path.suffix == ".txt")


# --- known facts -----------------------------------------------------------------------------


def test_x_n101_k25(shared_data: Path) -> None:
    problem = read_instance(shared_data / "cvrplib" / "X" / "X-n101-k25.vrp")
    assert problem.num_nodes == 101
    assert problem.num_customers == 100
    assert problem.capacity == 206
    assert problem.rounding is Rounding.NINT
    assert problem.coords is not None
    assert problem.coords[0].tolist() == [365, 689]  # node 1, the depot
    assert problem.coords[1].tolist() == [146, 180]
    assert problem.distances[0, 1] == 554  # nint(sqrt(219^2 + 509^2)) = nint(554.11)
    assert problem.num_vehicles is None  # k25 is the minimum, not a fleet limit
    assert problem.max_route_length is None
    assert problem.time_windows is None
    assert problem.service_times is None


def test_cmt6_has_a_route_limit_of_200_and_service_time_10(shared_data: Path) -> None:
    problem = read_instance(shared_data / "cvrplib" / "CMT" / "CMT6.vrp")
    assert problem.num_customers == 50
    assert problem.capacity == 160
    assert problem.max_route_length == 200
    assert problem.rounding is Rounding.EXACT
    assert problem.service_times is not None
    assert problem.service_times[0] == 0.0
    assert np.all(problem.service_times[1:] == 10.0)
    assert problem.distances[0, 1] == pytest.approx(np.hypot(7, 12))  # (30,40) -> (37,52)


def test_cmt1_has_neither_route_limit_nor_service_time(shared_data: Path) -> None:
    problem = read_instance(shared_data / "cvrplib" / "CMT" / "CMT1.vrp")
    assert problem.max_route_length is None
    assert problem.service_times is None


def test_c101_has_25_vehicles_and_time_windows(shared_data: Path) -> None:
    problem = read_instance(shared_data / "solomon" / "C101.txt")
    assert problem.name == "C101"
    assert problem.num_vehicles == 25
    assert problem.capacity == 200
    assert problem.num_customers == 100
    assert problem.rounding is Rounding.TRUNC1
    assert problem.time_windows is not None and problem.service_times is not None
    assert problem.time_windows.shape == (101, 2)
    assert problem.time_windows[0].tolist() == [0, 1236]
    assert problem.time_windows[1].tolist() == [912, 967]
    assert problem.service_times[0] == 0.0
    assert problem.service_times[1] == 90.0
    assert problem.demands[1] == 10
    assert problem.distances[0, 1] == 18.6  # sqrt(5^2 + 18^2) = 18.68 truncated


def test_gehring_homberger_c1_2_1(shared_data: Path) -> None:
    problem = read_instance(shared_data / "gehring_homberger" / "C1_2_1.txt")
    assert problem.name == "C1_2_1"  # the file names itself in lower case
    assert problem.num_customers == 200
    assert problem.num_vehicles == 50
    assert problem.capacity == 200
    assert problem.rounding is Rounding.EXACT


def test_e_n13_k4_reads_its_explicit_lower_row_matrix(shared_data: Path) -> None:
    problem = read_instance(shared_data / "cvrplib" / "E" / "E-n13-k4.vrp")
    assert problem.rounding is Rounding.EXPLICIT
    assert problem.coords is None
    assert problem.num_nodes == 13
    assert problem.capacity == 6000
    d = problem.distances
    # LOWER_ROW starts "9 14 21 23 22 25 ...": d(2,1), d(3,1), d(3,2), d(4,1), d(4,2), d(4,3)
    assert (d[1, 0], d[2, 0], d[2, 1], d[3, 0], d[3, 1], d[3, 2]) == (9, 14, 21, 23, 22, 25)
    assert d[0, 1] == 9 and d[1, 2] == 21
    # the last row (node 13) ends "... 8 10 10": d(13,10), d(13,11), d(13,12)
    assert (d[12, 9], d[12, 10], d[12, 11]) == (8, 10, 10)
    assert problem.demands[1:4].tolist() == [1200, 1700, 1500]


def test_explicit_rounding_override(shared_data: Path) -> None:
    path = shared_data / "cvrplib" / "A" / "A-n32-k5.vrp"
    exact = read_instance(path, rounding=Rounding.EXACT)
    nint = read_instance(path)
    assert exact.rounding is Rounding.EXACT
    assert np.array_equal(np.floor(exact.distances + 0.5), nint.distances)
    assert not np.array_equal(exact.distances, nint.distances)


# --- .sol files ------------------------------------------------------------------------------


def test_read_solution_x_n101_k25(shared_data: Path) -> None:
    routes, cost = read_solution(shared_data / "cvrplib" / "X" / "X-n101-k25.sol")
    assert cost == 27591
    assert len(routes) == 26
    assert routes[0] == [31, 46, 35]
    assert sorted(c for r in routes for c in r) == list(range(1, 101))


def test_read_solution_without_cost_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nocost.sol"
    path.write_text("Route #1: 1 2\nRoute #2: 3\n")
    with pytest.raises(InputError, match="no 'Cost' line"):
        read_solution(path)


def test_write_solution_integer_cost_text(tmp_path: Path) -> None:
    path = tmp_path / "out.sol"
    write_solution(path, [[1, 2, 3], [], (4,)], 784.0)
    assert path.read_text() == "Route #1: 1 2 3\nRoute #2: 4\nCost 784\n"
    assert read_solution(path) == ([[1, 2, 3], [4]], 784.0)


@pytest.mark.parametrize("cost", [524.611, 1234.567891, 0.5, 27591.25, 1e-6])
def test_write_solution_round_trips_non_integer_costs(tmp_path: Path, cost: float) -> None:
    path = tmp_path / "out.sol"
    write_solution(path, [[3, 1], [2]], cost)
    routes, read_back = read_solution(path)
    assert routes == [[3, 1], [2]]
    assert read_back == cost


def test_write_solution_keeps_six_decimals(tmp_path: Path) -> None:
    # a recomputed float cost such as 524.6110000000001 is written as 524.611; anything finer
    # than 1e-6 is rounded, far inside every convention's cost tolerance (>= 0.01 for non-integer)
    path = tmp_path / "out.sol"
    write_solution(path, [[1]], 524.6110000000001)
    assert path.read_text().splitlines()[-1] == "Cost 524.611"
    write_solution(path, [[1]], 1.23456789)
    _, cost = read_solution(path)
    assert cost == 1.234568
    assert cost is not None and abs(cost - 1.23456789) <= 5e-7


@pytest.mark.parametrize(
    "relative",
    [
        "cvrplib/X/X-n101-k25.sol",
        "cvrplib/CMT/CMT1.sol",
        "solomon/C101.sol",
        "gehring_homberger/C1_2_1.sol",
    ],
)
def test_real_solutions_round_trip(shared_data: Path, tmp_path: Path, relative: str) -> None:
    routes, cost = read_solution(shared_data / relative)
    assert cost is not None
    copy = tmp_path / "copy.sol"
    write_solution(copy, routes, cost)
    assert read_solution(copy) == (routes, cost)


# --- malformed inputs: InputError with file and line -----------------------------------------


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _x_lines(shared_data: Path) -> list[str]:
    return (shared_data / "cvrplib" / "X" / "X-n101-k25.vrp").read_text().splitlines()


def _c101_lines(shared_data: Path) -> list[str]:
    return (shared_data / "solomon" / "C101.txt").read_text().splitlines()


def _raises(
    path: Path,
    line: int | None,
    *fragments: str,
    reader: Callable[[Path], object] = read_instance,
) -> InputError:
    with pytest.raises(InputError) as info:
        reader(path)
    error = info.value
    text = str(error)
    assert error.path == str(path)
    assert error.line == line
    prefix = f"{path}:{line}: " if line is not None else f"{path}: "
    assert text.startswith(prefix), text
    for fragment in fragments:
        assert fragment in text, text
    assert "\n" not in text
    return error


def test_vrp_cut_in_the_middle_of_node_coord_section(shared_data: Path, tmp_path: Path) -> None:
    lines = _x_lines(shared_data)
    assert lines[6].strip() == "NODE_COORD_SECTION"
    cut = lines[:57]  # the header, the section line and 50 of the 101 coordinate rows
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(cut) + "\n")
    _raises(path, 57, "missing DEMAND_SECTION")


def test_vrp_cut_in_the_middle_of_a_coordinate_row(shared_data: Path, tmp_path: Path) -> None:
    lines = _x_lines(shared_data)
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(lines[:57]) + "\n" + lines[57][:4])
    _raises(path, 58, "missing DEMAND_SECTION")


def test_vrp_with_coordinate_rows_missing(shared_data: Path, tmp_path: Path) -> None:
    lines = _x_lines(shared_data)
    assert lines[108].startswith("DEMAND_SECTION")
    # keep rows 1..51 (file lines 8..58) and drop rows 52..101, then the rest of the file
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(lines[:58] + lines[108:]))
    _raises(path, 58, "NODE_COORD_SECTION has 51 rows but DIMENSION is 101")


def test_vrp_with_a_letter_in_a_coordinate(shared_data: Path, tmp_path: Path) -> None:
    lines = _x_lines(shared_data)
    assert lines[19].split() == ["13", "425", "473"]
    lines[19] = "13\t4A5\t473"
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(lines))
    _raises(path, 20, "expected numbers", "'4A5'")


def test_vrp_with_a_letter_in_a_demand(shared_data: Path, tmp_path: Path) -> None:
    lines = _x_lines(shared_data)
    assert lines[108].startswith("DEMAND_SECTION")
    assert lines[111].split()[0] == "3"
    lines[111] = "3\t1O"
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(lines))
    _raises(path, 112, "expected numbers", "'1O'")


def test_explicit_matrix_with_a_letter(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "cvrplib" / "E" / "E-n13-k4.vrp").read_text().splitlines()
    assert "52" in lines[10].split()
    lines[10] = lines[10].replace("52", "5z")
    path = _write(tmp_path, "E-n13-k4.vrp", "\n".join(lines))
    _raises(path, 11, "'5z'")


def test_explicit_matrix_missing_a_row(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "cvrplib" / "E" / "E-n13-k4.vrp").read_text().splitlines()
    del lines[12]  # the section shrinks from 78 to 68 values; its last row is now line 16
    path = _write(tmp_path, "E-n13-k4.vrp", "\n".join(lines))
    _raises(path, 16, "EDGE_WEIGHT_SECTION has 68 values, LOWER_ROW needs 78")


def test_vrp_with_an_unknown_section_name(shared_data: Path, tmp_path: Path) -> None:
    lines = _x_lines(shared_data)
    lines[6] = "NODE_COORDS_SECTION"
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(lines))
    _raises(path, 7, "unknown section 'NODE_COORDS_SECTION'")


def test_vrp_with_a_section_given_twice(shared_data: Path, tmp_path: Path) -> None:
    lines = _x_lines(shared_data)
    assert lines[108].startswith("DEMAND_SECTION")
    lines[108] = "NODE_COORD_SECTION"
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(lines))
    _raises(path, 109, "section NODE_COORD_SECTION appears twice")


def test_vrp_with_a_misspelt_section_header_names_its_line(
    shared_data: Path, tmp_path: Path
) -> None:
    lines = _x_lines(shared_data)
    assert lines[108].startswith("DEMAND_SECTION")
    lines[108] = "DEMAND_SECTON"
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(lines))
    _raises(path, 109, "DEMAND_SECTON")


def test_vrp_with_a_garbled_capacity_names_its_line(shared_data: Path, tmp_path: Path) -> None:
    lines = _x_lines(shared_data)
    assert lines[5].startswith("CAPACITY")
    lines[5] = "CAPACITY : 2O6"
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(lines))
    _raises(path, 6, "CAPACITY", "'2O6'")


def test_vrp_with_an_unsupported_edge_weight_type(shared_data: Path, tmp_path: Path) -> None:
    lines = _x_lines(shared_data)
    lines[4] = "EDGE_WEIGHT_TYPE : EUC_3D"
    path = _write(tmp_path, "X-n101-k25.vrp", "\n".join(lines))
    _raises(path, 5, "unsupported or missing EDGE_WEIGHT_TYPE 'EUC_3D'")


def test_solomon_file_cut_in_the_middle_of_a_row(shared_data: Path, tmp_path: Path) -> None:
    lines = _c101_lines(shared_data)
    assert lines[59].split()[0] == "50"
    path = _write(tmp_path, "C101.txt", "\n".join(lines[:59] + [lines[59][:20]]))
    _raises(path, 60, "expected 7 values, found 2")


def test_solomon_file_cut_between_rows_is_rejected(shared_data: Path, tmp_path: Path) -> None:
    lines = _c101_lines(shared_data)
    path = _write(tmp_path, "C101.txt", "\n".join(lines[:60]) + "\n")
    with pytest.raises(InputError):
        read_instance(path)


def test_solomon_file_with_a_letter_in_a_row(shared_data: Path, tmp_path: Path) -> None:
    lines = _c101_lines(shared_data)
    assert lines[30].split()[:5] == ["21", "30", "52", "20", "914"]
    lines[30] = lines[30].replace("914", "91x")
    path = _write(tmp_path, "C101.txt", "\n".join(lines))
    _raises(path, 31, "expected numbers, found '91x'")


def test_solomon_file_with_a_skipped_customer(shared_data: Path, tmp_path: Path) -> None:
    lines = _c101_lines(shared_data)
    del lines[30]
    path = _write(tmp_path, "C101.txt", "\n".join(lines))
    _raises(path, 31, "expected customer 21, found 22")


def test_solomon_file_with_a_garbled_capacity(shared_data: Path, tmp_path: Path) -> None:
    lines = _c101_lines(shared_data)
    assert lines[4].split() == ["25", "200"]
    lines[4] = "  25         2O0"
    path = _write(tmp_path, "C101.txt", "\n".join(lines))
    _raises(path, 5, "'2O0'")


def test_solomon_file_with_a_misspelt_section(shared_data: Path, tmp_path: Path) -> None:
    lines = _c101_lines(shared_data)
    assert lines[6] == "CUSTOMER"
    lines[6] = "CUSTOMERS"
    path = _write(tmp_path, "C101.txt", "\n".join(lines))
    _raises(path, len(lines), "missing CUSTOMER section")


def test_vrp_file_given_as_solomon(shared_data: Path, tmp_path: Path) -> None:
    text = (shared_data / "cvrplib" / "A" / "A-n32-k5.vrp").read_text()
    path = _write(tmp_path, "A-n32-k5.txt", text)
    _raises(path, None, "missing VEHICLE section")


@pytest.mark.parametrize("name", ["empty.vrp", "empty.txt", "blank.vrp"])
def test_empty_instance_files(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, "" if name.startswith("empty") else "\n   \n\t\n")
    _raises(path, None, "file is empty")


def test_empty_solution_file(tmp_path: Path) -> None:
    _raises(_write(tmp_path, "empty.sol", ""), None, "file is empty", reader=read_solution)


@pytest.mark.parametrize("name", ["nope.vrp", "nope.txt", "nope.sol"])
def test_missing_file(tmp_path: Path, name: str) -> None:
    reader = read_solution if name.endswith(".sol") else read_instance
    _raises(tmp_path / name, None, "file not found", reader=reader)


def test_a_directory_is_not_an_instance(tmp_path: Path) -> None:
    folder = tmp_path / "folder.vrp"
    folder.mkdir()
    _raises(folder, None, "is a directory")


GARBAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.mark.parametrize("name", ["garbage.vrp", "garbage.txt", "garbage.sol"])
def test_binary_garbage(tmp_path: Path, name: str) -> None:
    reader = read_solution if name.endswith(".sol") else read_instance
    _raises(_write(tmp_path, name, GARBAGE), 1, "not a text file", reader=reader)


def test_ascii_control_garbage_is_an_input_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "ctrl.vrp", bytes(range(1, 32)) * 8)
    with pytest.raises(InputError):
        read_instance(path)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("Route #1: 1 2 3\nRoute #2: 4 5.5 6\nCost 10\n", 2, "customer id '5.5'"),
        ("Route #1: 1 2 3\n\nRoute #2: 4 x 6\nCost 10\n", 3, "customer id 'x'"),
        ("Route #1: 1 -2\nCost 10\n", 1, "customer id '-2' is not a non-negative integer"),
        ("Route #1: 1 2\nCost abc\n", 2, "cost 'abc' is not a number"),
        ("Route #1: 1 2\nCost 3\nfoo bar\n", 3, "expected a 'Route #k:' or 'Cost' line"),
        ("Routes 1 2\nCost 3\n", 1, "expected 'Route #k: c1 c2 ...'"),
    ],
)
def test_malformed_solution_lines(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    _raises(_write(tmp_path, "bad.sol", text), line, fragment, reader=read_solution)


def test_solution_without_routes(tmp_path: Path) -> None:
    path = _write(tmp_path, "noroutes.sol", "Cost 5\n")
    _raises(path, None, "no 'Route #k:' lines", reader=read_solution)
