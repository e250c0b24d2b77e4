"""Reading CVRPLIB / Solomon instances and CVRPLIB solutions (through vrplib).

Before vrplib parses a file we check its structure line by line, so that a malformed file
gives one clear `InputError` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import vrplib

from qroute.model.errors import InputError
from qroute.model.problem import Problem, Rounding, euclidean

_KNOWN_SECTIONS = {
    "NODE_COORD_SECTION",
    "DEMAND_SECTION",
    "DEPOT_SECTION",
    "EDGE_WEIGHT_SECTION",
    "DISPLAY_DATA_SECTION",
    "SERVICE_TIME_SECTION",
    "TIME_WINDOW_SECTION",
}
_EDGE_WEIGHT_TYPES = {"EUC_2D", "EXPLICIT", "CEIL_2D", "GEO", "ATT"}
_GH_NAME = re.compile(r"^(C|R|RC)[12]_\d+_\d+$", re.IGNORECASE)


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not a text file ({exc.reason})") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    if not text.strip():
        raise InputError(path, "file is empty")
    return text.splitlines()


def _numbers(path: Path, lineno: int, line: str, count: int | None = None) -> list[float]:
    tokens = line.split()
    try:
        values = [float(tok) for tok in tokens]
    except ValueError:
        bad = next(tok for tok in tokens if not _is_number(tok))
        raise InputError(path, f"expected numbers, found {bad!r}", lineno) from None
    if any(not math.isfinite(v) for v in values):
        raise InputError(path, "numbers must be finite", lineno)
    if count is not None and len(values) != count:
        raise InputError(path, f"expected {count} values, found {len(values)}", lineno)
    return values


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def check_vrp_structure(path: Path) -> None:
    """Raise InputError at the first structural problem of a CVRPLIB `.vrp` file."""
    lines = _read_lines(path)
    header: dict[str, str] = {}
    header_line: dict[str, int] = {}
    sections: dict[str, tuple[int, list[tuple[int, str]]]] = {}
    current: str | None = None
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line == "EOF":
            break
        first = line.split()[0].rstrip(":")
        if first.endswith("_SECTION"):
            if first not in _KNOWN_SECTIONS:
                raise InputError(path, f"unknown section {first!r}", lineno)
            if first in sections:
                raise InputError(path, f"section {first} appears twice", lineno)
            current = first
            sections[current] = (lineno, [])
            continue
        if current is None:
            if ":" not in line:
                raise InputError(
                    path, f"expected 'KEY : VALUE' in the header, found {line!r}", lineno
                )
            key, _, value = line.partition(":")
            header[key.strip().upper()] = value.strip()
            header_line[key.strip().upper()] = lineno
            continue
        if not _is_number(line.split()[0]):
            raise InputError(path, f"unknown section or keyword {first!r} inside {current}", lineno)
        sections[current][1].append((lineno, line))

    last = len(lines)
    if "DIMENSION" not in header:
        raise InputError(path, "missing DIMENSION in the header")
    try:
        dimension = int(header["DIMENSION"])
    except ValueError:
        raise InputError(
            path, f"DIMENSION is not an integer: {header['DIMENSION']!r}", header_line["DIMENSION"]
        ) from None
    if dimension < 2:
        raise InputError(
            path, f"DIMENSION must be at least 2, is {dimension}", header_line["DIMENSION"]
        )
    if "CAPACITY" not in header:
        raise InputError(path, "missing CAPACITY in the header")
    if not _is_number(header["CAPACITY"]) or float(header["CAPACITY"]) <= 0:
        raise InputError(
            path,
            f"CAPACITY must be a positive number, is {header['CAPACITY']!r}",
            header_line["CAPACITY"],
        )
    weight_type = header.get("EDGE_WEIGHT_TYPE", "")
    if weight_type not in _EDGE_WEIGHT_TYPES:
        raise InputError(
            path,
            f"unsupported or missing EDGE_WEIGHT_TYPE {weight_type!r}",
            header_line.get("EDGE_WEIGHT_TYPE"),
        )

    required = ["DEMAND_SECTION", "DEPOT_SECTION"]
    required.append("EDGE_WEIGHT_SECTION" if weight_type == "EXPLICIT" else "NODE_COORD_SECTION")
    for name in required:
        if name not in sections:
            raise InputError(path, f"missing {name}", last)

    def rows(name: str, width: int) -> None:
        start, body = sections[name]
        if len(body) < dimension:
            where = body[-1][0] if body else start
            raise InputError(
                path, f"{name} has {len(body)} rows but DIMENSION is {dimension}", where
            )
        if len(body) > dimension:
            raise InputError(
                path, f"{name} has more rows than DIMENSION {dimension}", body[dimension][0]
            )
        for lineno, line in body:
            values = _numbers(path, lineno, line, width)
            node = values[0]
            if node != int(node) or not 1 <= node <= dimension:
                raise InputError(path, f"node id {line.split()[0]} outside 1..{dimension}", lineno)
            if name == "DEMAND_SECTION" and values[1] < 0:
                raise InputError(path, "demand must not be negative", lineno)

    if "NODE_COORD_SECTION" in sections:
        rows("NODE_COORD_SECTION", 3)
    rows("DEMAND_SECTION", 2)
    if "SERVICE_TIME_SECTION" in sections:
        rows("SERVICE_TIME_SECTION", 2)
    start, body = sections["DEPOT_SECTION"]
    depots = [_numbers(path, lineno, line)[0] for lineno, line in body]
    if not depots or depots[-1] != -1:
        raise InputError(path, "DEPOT_SECTION must end with -1", body[-1][0] if body else start)
    if len(depots) != 2:
        raise InputError(path, "exactly one depot is supported", start)
    if weight_type == "EXPLICIT":
        start, body = sections["EDGE_WEIGHT_SECTION"]
        count = sum(len(_numbers(path, lineno, line)) for lineno, line in body)
        fmt = header.get("EDGE_WEIGHT_FORMAT", "")
        expected = {
            "LOWER_ROW": dimension * (dimension - 1) // 2,
            "UPPER_ROW": dimension * (dimension - 1) // 2,
            "LOWER_DIAG_ROW": dimension * (dimension + 1) // 2,
            "UPPER_DIAG_ROW": dimension * (dimension + 1) // 2,
            "FULL_MATRIX": dimension * dimension,
        }.get(fmt)
        if expected is None:
            raise InputError(path, f"unsupported EDGE_WEIGHT_FORMAT {fmt!r}")
        if count != expected:
            where = body[-1][0] if body else start
            raise InputError(
                path, f"EDGE_WEIGHT_SECTION has {count} values, {fmt} needs {expected}", where
            )


def check_solomon_structure(path: Path) -> None:
    """Raise InputError at the first structural problem of a Solomon-format `.txt` file."""
    lines = _read_lines(path)
    numbered = [(i, line.strip()) for i, line in enumerate(lines, start=1) if line.strip()]
    words = [line.upper() for _, line in numbered]
    if "VEHICLE" not in words:
        raise InputError(path, "missing VEHICLE section (not a Solomon-format file?)")
    if "CUSTOMER" not in words:
        raise InputError(path, "missing CUSTOMER section", len(lines))
    vehicle = words.index("VEHICLE")
    customer = words.index("CUSTOMER")
    if customer < vehicle + 3:
        raise InputError(
            path, "VEHICLE section needs a header and a NUMBER CAPACITY row", numbered[vehicle][0]
        )
    lineno, line = numbered[vehicle + 2]
    number, capacity = _numbers(path, lineno, line, 2)
    if number < 1 or capacity <= 0:
        raise InputError(path, "vehicle number and capacity must be positive", lineno)
    body = numbered[customer + 2 :]
    if not body:
        raise InputError(path, "CUSTOMER section has no rows", numbered[customer][0])
    for expected_id, (lineno, line) in enumerate(body):
        values = _numbers(path, lineno, line, 7)
        if values[0] != expected_id:
            raise InputError(
                path, f"expected customer {expected_id}, found {line.split()[0]}", lineno
            )
        if values[3] < 0:
            raise InputError(path, "demand must not be negative", lineno)
        if values[4] > values[5]:
            raise InputError(path, "ready time after due date", lineno)
    if len(body) < 2:
        raise InputError(path, "needs a depot row and at least one customer", body[-1][0])
    expected = _expected_customers(path.stem)
    if expected is not None and len(body) - 1 != expected:
        raise InputError(
            path,
            f"{len(body) - 1} customer rows, but a {path.stem} instance has {expected}",
            body[-1][0],
        )


def _expected_customers(stem: str) -> int | None:
    """Customers implied by a Solomon (C101: 100) or Gehring-Homberger (C1_2_1: 200) name."""
    if re.fullmatch(r"(C|R|RC)[12]\d\d", stem, re.IGNORECASE):
        return 100
    match = re.fullmatch(r"(?:C|R|RC)[12]_(\d+)_\d+", stem, re.IGNORECASE)
    return int(match.group(1)) * 100 if match else None


def _default_rounding(path: Path, name: str, solomon: bool, explicit: bool) -> Rounding:
    if explicit:
        return Rounding.EXPLICIT
    if solomon:
        return Rounding.EXACT if _GH_NAME.match(name) else Rounding.TRUNC1
    if name.upper().startswith("CMT"):
        return Rounding.EXACT
    return Rounding.NINT


def read_instance(path: str | Path, rounding: Rounding | None = None) -> Problem:
    """Read a CVRPLIB `.vrp` or Solomon/Gehring-Homberger `.txt` file into a Problem.

    The cost convention follows ../shared/data/README.md unless `rounding` is given: CMT and
    Gehring-Homberger unrounded, Solomon truncated to one decimal, the rest nearest integer.
    """
    path = Path(path)
    solomon = path.suffix.lower() == ".txt"
    if solomon:
        check_solomon_structure(path)
    else:
        check_vrp_structure(path)
    try:
        data = vrplib.read_instance(
            str(path),
            instance_format="solomon" if solomon else "vrplib",
            compute_edge_weights=False,
        )
    except Exception as exc:  # vrplib raises many kinds; report them as one line
        raise InputError(path, f"vrplib cannot parse it: {exc}".splitlines()[0]) from None

    name = str(data.get("name", path.stem)).strip() or path.stem
    if name.upper() == path.stem.upper():
        name = path.stem  # GH files name themselves in lower case; bks.csv uses the file name
    explicit = data.get("edge_weight_type") == "EXPLICIT"
    rounding = rounding or _default_rounding(path, name, solomon, explicit)
    demands = np.asarray(data["demand"], dtype=np.int64)
    coords = np.asarray(data["node_coord"], dtype=np.float64) if "node_coord" in data else None
    if explicit:
        distances = np.asarray(data["edge_weight"], dtype=np.float64)
    else:
        assert coords is not None
        distances = euclidean(coords, rounding)
    if not solomon:
        depot = int(np.asarray(data["depot"]).ravel()[0])
        if depot != 0:
            raise InputError(path, f"the depot must be node 1, is node {depot + 1}")

    service = data.get("service_time")
    service_times = None
    if service is not None:
        service_times = np.broadcast_to(np.asarray(service, dtype=np.float64), demands.shape).copy()
        service_times[0] = 0.0
    windows = data.get("time_window")
    max_length = data.get("distance")
    vehicles = data.get("vehicles")
    return Problem(
        name=name,
        distances=distances,
        demands=demands,
        capacity=float(data["capacity"]),
        rounding=rounding,
        coords=coords,
        num_vehicles=int(vehicles) if vehicles is not None else None,
        time_windows=np.asarray(windows, dtype=np.float64) if windows is not None else None,
        service_times=service_times,
        max_route_length=float(max_length) if max_length is not None else None,
        source=str(path),
    )


def read_solution(path: str | Path) -> tuple[list[list[int]], float | None]:
    """Read a CVRPLIB `.sol` file: (routes of customer ids 1..n, stated cost or None)."""
    path = Path(path)
    lines = _read_lines(path)
    routes: list[list[int]] = []
    cost: float | None = None
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.lower().startswith("route"):
            label, sep, rest = line.partition(":")
            if not sep or not re.fullmatch(r"route\s*#?\s*\d+", label.strip(), re.IGNORECASE):
                raise InputError(path, f"expected 'Route #k: c1 c2 ...', found {line!r}", lineno)
            tokens = rest.split()
            if not all(re.fullmatch(r"\d+", tok) for tok in tokens):
                bad = next(tok for tok in tokens if not re.fullmatch(r"\d+", tok))
                raise InputError(path, f"customer id {bad!r} is not a non-negative integer", lineno)
            routes.append([int(tok) for tok in tokens])
        elif line.lower().startswith("cost"):
            value = line[4:].strip().lstrip(":").strip()
            if not _is_number(value):
                raise InputError(path, f"cost {value!r} is not a number", lineno)
            cost = float(value)
        else:
            raise InputError(path, f"expected a 'Route #k:' or 'Cost' line, found {line!r}", lineno)
    if not routes:
        raise InputError(path, "no 'Route #k:' lines")
    return routes, cost


def write_solution(path: str | Path, routes: Sequence[Sequence[int]], cost: float) -> None:
    """Write routes (customer ids 1..n, depot omitted) in CVRPLIB `.sol` format."""
    lines = [
        f"Route #{k}: {' '.join(str(c) for c in route)}"
        for k, route in enumerate((r for r in routes if r), start=1)
    ]
    text_cost = f"{cost:.0f}" if float(cost).is_integer() else f"{cost:.6f}".rstrip("0")
    Path(path).write_text("\n".join([*lines, f"Cost {text_cost}"]) + "\n", encoding="utf-8")
