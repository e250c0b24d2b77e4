"""Reading CVRPLIB / Solomon instances and CVRPLIB solutions, strictly.

Every value is parsed with its type and range before a Problem is built: node ids are
matched (rows may come in any order, but each id exactly once), integers stay integers,
every number is finite, header values are range-checked, and a file that is well-formed but
cannot be served (a demand above capacity, a fleet too small, a window no vehicle can reach)
is rejected before anything is solved. Every failure is one `InputError` naming the file,
the line and the field, quoting at most a short excerpt.

Written by hand rather than read through vrplib's parser, because vrplib reads sections in
row order (node ids ignored), coerces `3.5` to 3 and `1e30` to a negative integer, and lets
NaN / infinite header values through; vrplib still assembles explicit edge-weight matrices.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from vrplib.parse.parse_distances import parse_distances

from qroute.model.errors import InputError, TooLargeError
from qroute.model.problem import Problem, Rounding, check_matrix_fits, euclidean

_KNOWN_SECTIONS = {
    "NODE_COORD_SECTION",
    "DEMAND_SECTION",
    "DEPOT_SECTION",
    "EDGE_WEIGHT_SECTION",
    "DISPLAY_DATA_SECTION",
    "SERVICE_TIME_SECTION",
    "TIME_WINDOW_SECTION",
}
_KNOWN_KEYS = {
    "NAME",
    "COMMENT",
    "TYPE",
    "DIMENSION",
    "CAPACITY",
    "EDGE_WEIGHT_TYPE",
    "EDGE_WEIGHT_FORMAT",
    "DISPLAY_DATA_TYPE",
    "NODE_COORD_TYPE",
    "DISTANCE",
    "SERVICE_TIME",
    "VEHICLES",
}
_EDGE_WEIGHT_TYPES = {"EUC_2D", "EXPLICIT", "CEIL_2D", "GEO", "ATT"}
_EDGE_WEIGHT_FORMATS = {"LOWER_ROW", "UPPER_ROW", "LOWER_DIAG_ROW", "UPPER_DIAG_ROW", "FULL_MATRIX"}
_GH_NAME = re.compile(r"^(C|R|RC)[12]_\d+_\d+$", re.IGNORECASE)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE = {"nan", "inf", "infinity"}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\x85\u2028\u2029]")  # not tab, LF, VT, FF, CR
MAX_VEHICLES = 10**6
MAX_DEMAND = 10**12  # keeps every load sum exact in int64 and in float64
MAX_EXCERPT = 40  # characters of a bad line or token quoted in an error


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """`text` quoted (repr), cut to about `limit` characters."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + f"... ({len(text)} characters)"


def _read_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")  # a UTF-8 byte-order mark is not part of the data
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(path, f"not a text file ({exc.reason})", line) from None
    if not text.strip():
        raise InputError(path, "file is empty")
    control = _CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        raise InputError(path, f"not a text file (control character {control.group()!r})", line)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _float(path: Path, lineno: int, token: str, what: str) -> float:
    if not _is_number(token):
        # float() would also take '1_000', Unicode digits and padding: not in these formats
        raise InputError(path, f"{what}: expected numbers, found {excerpt(token)}", lineno)
    value = float(token)
    if not math.isfinite(value):
        raise InputError(path, f"{what} must be a finite number, is {excerpt(token)}", lineno)
    return value


def _int(path: Path, lineno: int, token: str, what: str) -> int:
    if not _INTEGER.fullmatch(token):
        _float(path, lineno, token, what)  # a letter: "expected numbers"; nan/inf: "finite"
        raise InputError(path, f"{what} must be an integer, is {excerpt(token)}", lineno)
    return int(token)


def _numbers(path: Path, lineno: int, line: str, what: str, count: int | None) -> list[float]:
    tokens = line.split()
    values = [_float(path, lineno, tok, what) for tok in tokens]
    if count is not None and len(values) != count:
        raise InputError(path, f"{what}: expected {count} values, found {len(values)}", lineno)
    return values


def _is_number(token: str) -> bool:
    return bool(_FLOAT.fullmatch(token)) or token.lower().lstrip("+-") in _NON_FINITE


@dataclass
class _VrpFile:
    path: Path
    header: dict[str, str] = field(default_factory=dict)
    header_line: dict[str, int] = field(default_factory=dict)
    sections: dict[str, tuple[int, list[tuple[int, str]]]] = field(default_factory=dict)
    last: int = 0

    def line_of(self, key: str) -> int | None:
        return self.header_line.get(key)

    def number(self, key: str) -> float | None:
        if key not in self.header:
            return None
        return _float(self.path, self.header_line[key], self.header[key], key)

    def integer(self, key: str) -> int | None:
        if key not in self.header:
            return None
        return _int(self.path, self.header_line[key], self.header[key], key)


def _split_vrp(path: Path) -> _VrpFile:
    lines = _read_lines(path)
    vrp = _VrpFile(path, last=len(lines))
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
                raise InputError(path, f"unknown section {excerpt(first)}", lineno)
            if first in vrp.sections:
                raise InputError(path, f"section {first} appears twice", lineno)
            current = first
            vrp.sections[current] = (lineno, [])
            continue
        if current is None:
            if ":" not in line:
                raise InputError(
                    path, f"expected 'KEY : VALUE' in the header, found {excerpt(line)}", lineno
                )
            key, _, value = line.partition(":")
            key = key.strip().upper()
            if key not in _KNOWN_KEYS:
                raise InputError(path, f"unknown header keyword {excerpt(key)}", lineno)
            if key in vrp.header:
                raise InputError(path, f"{key} appears twice in the header", lineno)
            vrp.header[key] = value.strip()
            vrp.header_line[key] = lineno
            continue
        if not _is_number(line.split()[0]):
            raise InputError(
                path, f"unknown section or keyword {excerpt(first)} inside {current}", lineno
            )
        vrp.sections[current][1].append((lineno, line))
    return vrp


def _by_node(
    vrp: _VrpFile, name: str, width: int, dimension: int
) -> tuple[NDArray[np.float64], list[int]]:
    """A section's values indexed by node id (rows in any order, each id exactly once),
    and the file line of each node's row."""
    path = vrp.path
    start, body = vrp.sections[name]
    if len(body) < dimension:
        where = body[-1][0] if body else start
        raise InputError(path, f"{name} has {len(body)} rows but DIMENSION is {dimension}", where)
    if len(body) > dimension:
        raise InputError(
            path, f"{name} has more rows than DIMENSION {dimension}", body[dimension][0]
        )
    values = np.zeros((dimension, width - 1), dtype=np.float64)
    lines = [0] * dimension
    for lineno, line in body:
        tokens = line.split()
        node = _int(path, lineno, tokens[0], f"{name} node id")
        if not 1 <= node <= dimension:
            raise InputError(path, f"{name}: node id {node} outside 1..{dimension}", lineno)
        if lines[node - 1]:
            raise InputError(
                path, f"{name}: node {node} appears twice (first on line {lines[node - 1]})", lineno
            )
        row = _numbers(path, lineno, line, name, width)
        values[node - 1] = row[1:]
        lines[node - 1] = lineno
    return values, lines


def _vrp_problem(path: Path, rounding: Rounding | None) -> Problem:
    vrp = _split_vrp(path)
    header = vrp.header
    if "DIMENSION" not in header:
        raise InputError(path, "missing DIMENSION in the header")
    dimension = vrp.integer("DIMENSION")
    assert dimension is not None
    if dimension < 2:
        raise InputError(
            path, f"DIMENSION must be at least 2, is {dimension}", vrp.line_of("DIMENSION")
        )
    try:
        check_matrix_fits(dimension, f"DIMENSION {dimension}")
    except TooLargeError as exc:
        raise InputError(path, str(exc), vrp.line_of("DIMENSION")) from None
    if "CAPACITY" not in header:
        raise InputError(path, "missing CAPACITY in the header")
    capacity = vrp.number("CAPACITY")
    assert capacity is not None
    if capacity <= 0:
        raise InputError(
            path,
            f"CAPACITY must be a positive number, is {excerpt(header['CAPACITY'])}",
            vrp.line_of("CAPACITY"),
        )
    vehicles = vrp.integer("VEHICLES")
    if vehicles is not None and not 1 <= vehicles <= MAX_VEHICLES:
        raise InputError(
            path, f"VEHICLES must be in 1..{MAX_VEHICLES}, is {vehicles}", vrp.line_of("VEHICLES")
        )
    max_length = vrp.number("DISTANCE")
    if max_length is not None and max_length <= 0:
        raise InputError(
            path,
            f"DISTANCE (route length limit) must be positive, is {max_length:g}",
            vrp.line_of("DISTANCE"),
        )
    service = vrp.number("SERVICE_TIME")
    if service is not None and service < 0:
        raise InputError(
            path, f"SERVICE_TIME must not be negative, is {service:g}", vrp.line_of("SERVICE_TIME")
        )
    weight_type = header.get("EDGE_WEIGHT_TYPE", "")
    if weight_type not in _EDGE_WEIGHT_TYPES:
        raise InputError(
            path,
            f"unsupported or missing EDGE_WEIGHT_TYPE {excerpt(weight_type)}",
            vrp.line_of("EDGE_WEIGHT_TYPE"),
        )
    explicit = weight_type == "EXPLICIT"
    required = ["DEMAND_SECTION", "DEPOT_SECTION"]
    required.append("EDGE_WEIGHT_SECTION" if explicit else "NODE_COORD_SECTION")
    for name in required:
        if name not in vrp.sections:
            raise InputError(path, f"missing {name}", vrp.last)

    coords = None
    if "NODE_COORD_SECTION" in vrp.sections:
        coords, _ = _by_node(vrp, "NODE_COORD_SECTION", 3, dimension)
    if "DISPLAY_DATA_SECTION" in vrp.sections:
        _by_node(vrp, "DISPLAY_DATA_SECTION", 3, dimension)  # checked, not used
    demand_values, demand_lines = _by_node(vrp, "DEMAND_SECTION", 2, dimension)
    _, body = vrp.sections["DEMAND_SECTION"]
    demands = np.zeros(dimension, dtype=np.int64)
    for lineno, line in body:
        node_token, demand_token = line.split()
        node = int(node_token)
        demand = _int(path, lineno, demand_token, "demand")
        if demand < 0:
            raise InputError(path, f"demand must not be negative, is {demand}", lineno)
        if demand > MAX_DEMAND:
            raise InputError(path, f"demand {demand} is above the limit {MAX_DEMAND:.0e}", lineno)
        demands[node - 1] = demand
    del demand_values
    if demands[0] != 0:
        raise InputError(
            path, f"the depot (node 1) must have demand 0, has {demands[0]}", demand_lines[0]
        )

    service_times = None
    if "SERVICE_TIME_SECTION" in vrp.sections:
        values, lines = _by_node(vrp, "SERVICE_TIME_SECTION", 2, dimension)
        service_times = values[:, 0].copy()
        for node in range(dimension):
            if service_times[node] < 0:
                raise InputError(
                    path,
                    f"node {node + 1}: service time must not be negative, is "
                    f"{service_times[node]:g}",
                    lines[node],
                )
        service_times[0] = 0.0
    elif service is not None:
        service_times = np.full(dimension, service, dtype=np.float64)
        service_times[0] = 0.0
    windows = None
    if "TIME_WINDOW_SECTION" in vrp.sections:
        windows, lines = _by_node(vrp, "TIME_WINDOW_SECTION", 3, dimension)
        depot_window = (float(windows[0, 0]), float(windows[0, 1]))
        for node in range(dimension):
            ready, due = float(windows[node, 0]), float(windows[node, 1])
            depot = depot_window if node else None
            wrong = _window_problem(ready, due, depot, f"node {node + 1}")
            if wrong is not None:
                raise InputError(path, wrong, lines[node])

    start, body = vrp.sections["DEPOT_SECTION"]
    depots = [
        _int(path, lineno, tok, "DEPOT_SECTION") for lineno, line in body for tok in line.split()
    ]
    if not depots or depots[-1] != -1:
        raise InputError(path, "DEPOT_SECTION must end with -1", body[-1][0] if body else start)
    if len(depots) != 2:
        raise InputError(path, "exactly one depot is supported", start)
    if depots[0] != 1:
        raise InputError(path, f"the depot must be node 1, is node {depots[0]}", body[0][0])

    name = header.get("NAME", "") or path.stem
    if name.upper() == path.stem.upper():
        name = path.stem  # bks.csv uses the file name
    rounding = rounding or _default_rounding(name, solomon=False, explicit=explicit)
    if explicit:
        distances = _explicit_matrix(vrp, dimension)
    else:
        assert coords is not None
        distances = _distances(path, coords, rounding)
    return Problem(
        name=name,
        distances=distances,
        demands=demands,
        capacity=capacity,
        rounding=rounding,
        coords=coords,
        num_vehicles=vehicles,
        time_windows=windows,
        service_times=service_times,
        max_route_length=max_length,
        source=str(path),
    )


def _explicit_matrix(vrp: _VrpFile, dimension: int) -> NDArray[np.float64]:
    path = vrp.path
    start, body = vrp.sections["EDGE_WEIGHT_SECTION"]
    values: list[float] = []
    for lineno, line in body:
        for value in _numbers(path, lineno, line, "EDGE_WEIGHT_SECTION", None):
            if value < 0:
                raise InputError(path, f"EDGE_WEIGHT_SECTION: negative distance {value:g}", lineno)
            values.append(value)
    fmt = vrp.header.get("EDGE_WEIGHT_FORMAT", "")
    if fmt not in _EDGE_WEIGHT_FORMATS:
        raise InputError(
            path,
            f"unsupported EDGE_WEIGHT_FORMAT {excerpt(fmt)}",
            vrp.line_of("EDGE_WEIGHT_FORMAT"),
        )
    expected = {
        "LOWER_ROW": dimension * (dimension - 1) // 2,
        "UPPER_ROW": dimension * (dimension - 1) // 2,
        "LOWER_DIAG_ROW": dimension * (dimension + 1) // 2,
        "UPPER_DIAG_ROW": dimension * (dimension + 1) // 2,
        "FULL_MATRIX": dimension * dimension,
    }[fmt]
    if len(values) != expected:
        where = body[-1][0] if body else start
        raise InputError(
            path, f"EDGE_WEIGHT_SECTION has {len(values)} values, {fmt} needs {expected}", where
        )
    if fmt == "FULL_MATRIX":
        return np.asarray(values, dtype=np.float64).reshape(dimension, dimension)
    matrix = parse_distances([np.asarray(values, dtype=np.float64)], "EXPLICIT", fmt)
    return np.asarray(matrix, dtype=np.float64)


def _distances(path: Path, coords: NDArray[np.float64], rounding: Rounding) -> NDArray[np.float64]:
    with np.errstate(over="ignore", invalid="ignore"):
        distances = euclidean(coords, rounding)
    if not np.isfinite(distances).all():
        raise InputError(path, "coordinates too large: a distance is not finite")
    return distances


def _solomon_problem(path: Path, rounding: Rounding | None) -> Problem:
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
    tokens = line.split()
    if len(tokens) != 2:
        _numbers(path, lineno, line, "VEHICLE NUMBER CAPACITY", 2)
    vehicles = _int(path, lineno, tokens[0], "vehicle NUMBER")
    capacity = _float(path, lineno, tokens[1], "vehicle CAPACITY")
    if not 1 <= vehicles <= MAX_VEHICLES or capacity <= 0:
        raise InputError(path, "vehicle number and capacity must be positive", lineno)
    body = numbered[customer + 2 :]
    if not body:
        raise InputError(path, "CUSTOMER section has no rows", numbered[customer][0])
    try:
        check_matrix_fits(len(body), f"{len(body)} customer rows")
    except TooLargeError as exc:
        raise InputError(path, str(exc), body[-1][0]) from None
    rows: list[list[float]] = []
    demands: list[int] = []
    for expected_id, (lineno, line) in enumerate(body):
        values = _numbers(path, lineno, line, "CUSTOMER row", 7)
        node = _int(path, lineno, line.split()[0], "CUST NO.")
        if node != expected_id:
            raise InputError(path, f"expected customer {expected_id}, found {node}", lineno)
        demand = _int(path, lineno, line.split()[3], "DEMAND")
        if not 0 <= demand <= MAX_DEMAND:
            raise InputError(path, f"DEMAND must be in 0..{MAX_DEMAND:.0e}, is {demand}", lineno)
        for column, what in ((4, "READY TIME"), (5, "DUE DATE"), (6, "SERVICE TIME")):
            if values[column] < 0:
                raise InputError(
                    path,
                    f"customer {node}: {what} must not be negative, is {values[column]:g}",
                    lineno,
                )
        depot = (rows[0][4], rows[0][5]) if rows else None
        names = ("READY TIME", "DUE DATE")
        wrong = _window_problem(values[4], values[5], depot, f"customer {node}", names)
        if wrong is not None:
            raise InputError(path, wrong, lineno)
        rows.append(values)
        demands.append(demand)
    if len(body) < 2:
        raise InputError(path, "needs a depot row and at least one customer", body[-1][0])
    if demands[0] != 0:
        raise InputError(
            path, f"the depot (customer 0) must have demand 0, has {demands[0]}", body[0][0]
        )
    expected = expected_customers(path.stem)
    if expected is not None and len(body) - 1 != expected:
        raise InputError(
            path,
            f"{len(body) - 1} customer rows, but a {path.stem} instance has {expected}",
            body[-1][0],
        )
    table = np.asarray(rows, dtype=np.float64)
    name = numbered[0][1] if vehicle > 0 else path.stem
    if name.upper() == path.stem.upper():
        name = path.stem  # GH files name themselves in lower case; bks.csv uses the file name
    rounding = rounding or _default_rounding(name, solomon=True, explicit=False)
    coords = table[:, 1:3]
    service_times = table[:, 6].copy()
    service_times[0] = 0.0
    return Problem(
        name=name,
        distances=_distances(path, coords, rounding),
        demands=np.asarray(demands, dtype=np.int64),
        capacity=capacity,
        rounding=rounding,
        coords=coords,
        num_vehicles=vehicles,
        time_windows=table[:, 4:6].copy(),
        service_times=service_times,
        source=str(path),
    )


def _window_problem(
    ready: float,
    due: float,
    depot: tuple[float, float] | None,
    who: str,
    names: tuple[str, str] = ("ready", "due"),
) -> str | None:
    """What is wrong with one (ready, due) window: a negative ready time, a ready time after
    the due time, or (`depot` given: a customer) a window wholly outside the depot's - one
    that opens after the depot closes or closes before it opens."""
    ready_name, due_name = names
    if ready < 0:
        return f"{who}: {ready_name} must not be negative, is {ready:g}"
    if ready > due:
        return f"{who}: {ready_name} {ready:g} is after {due_name} {due:g}"
    if depot is not None and (ready > depot[1] or due < depot[0]):
        return (
            f"{who}: time window [{ready:g}, {due:g}] lies outside the depot's "
            f"[{depot[0]:g}, {depot[1]:g}], so no vehicle can serve it"
        )
    return None


def expected_customers(stem: str) -> int | None:
    """Customers implied by a Solomon (C101: 100) or Gehring-Homberger (C1_2_1: 200) name."""
    if re.fullmatch(r"(C|R|RC)[12]\d\d", stem, re.IGNORECASE):
        return 100
    match = re.fullmatch(r"(?:C|R|RC)[12]_(\d+)_\d+", stem, re.IGNORECASE)
    return int(match.group(1)) * 100 if match else None


def _default_rounding(name: str, solomon: bool, explicit: bool) -> Rounding:
    if explicit:
        return Rounding.EXPLICIT
    if solomon:
        return Rounding.EXACT if _GH_NAME.match(name) else Rounding.TRUNC1
    if name.upper().startswith("CMT"):
        return Rounding.EXACT
    return Rounding.NINT


def unservable_reason(problem: Problem) -> str | None:
    """Why a well-formed instance cannot be served at all (None when no obvious reason).

    Checks what no solution can overcome: a demand above the capacity, a fixed fleet whose
    total capacity is below the total demand, a customer whose own round trip exceeds the
    route-length limit, and a time window that no vehicle leaving the depot at its ready
    time can reach and come back from before the depot closes.
    """
    demands = problem.demands
    over = np.flatnonzero(demands > problem.capacity)
    if over.size:
        node = int(over[0])
        return (
            f"customer {node} demand {int(demands[node])} exceeds the capacity {problem.capacity:g}"
        )
    if problem.num_vehicles is not None:
        needed = problem.lower_bound_vehicles()
        if needed > problem.num_vehicles:
            return (
                f"total demand {problem.total_demand} needs at least {needed} vehicles of capacity "
                f"{problem.capacity:g}, the fleet has {problem.num_vehicles}"
            )
    out = problem.distances[0, :]
    back = problem.distances[:, 0]
    service = (
        problem.service_times if problem.service_times is not None else np.zeros(problem.num_nodes)
    )
    if problem.max_route_length is not None:
        trip = out + service + back
        far = np.flatnonzero(trip[1:] > problem.max_route_length + 1e-6)
        if far.size:
            node = int(far[0]) + 1
            return (
                f"customer {node} round trip {trip[node]:.2f} exceeds the route length limit "
                f"{problem.max_route_length:g}"
            )
    if problem.time_windows is not None:
        windows = problem.time_windows
        ready0, due0 = float(windows[0, 0]), float(windows[0, 1])
        arrival = ready0 + out
        start = np.maximum(arrival, windows[:, 0])
        finish = start + service + back
        late = np.flatnonzero((arrival[1:] > windows[1:, 1] + 1e-6) | (finish[1:] > due0 + 1e-6))
        if late.size:
            node = int(late[0]) + 1
            if arrival[node] > windows[node, 1] + 1e-6:
                return (
                    f"customer {node} cannot be reached in its time window: the earliest "
                    f"arrival {arrival[node]:.2f} is after its due time {windows[node, 1]:g}"
                )
            return (
                f"no vehicle can serve customer {node} and return before the depot closes at "
                f"{due0:g} (earliest return {finish[node]:.2f})"
            )
    return None


def read_instance(path: str | Path, rounding: Rounding | None = None) -> Problem:
    """Read a CVRPLIB `.vrp` or Solomon/Gehring-Homberger `.txt` file into a Problem.

    The cost convention follows ../shared/data/README.md unless `rounding` is given: CMT and
    Gehring-Homberger unrounded, Solomon truncated to one decimal, the rest nearest integer.
    Raises InputError for a malformed file and for one that cannot be served.
    """
    path = Path(path)
    if path.suffix.lower() == ".txt":
        problem = _solomon_problem(path, rounding)
    else:
        problem = _vrp_problem(path, rounding)
    reason = unservable_reason(problem)
    if reason is not None:
        raise InputError(path, f"cannot be served: {reason}")
    return problem


def check_vrp_structure(path: Path) -> None:
    """Raise InputError at the first problem of a CVRPLIB `.vrp` file."""
    _vrp_problem(Path(path), None)


def check_solomon_structure(path: Path) -> None:
    """Raise InputError at the first problem of a Solomon-format `.txt` file."""
    _solomon_problem(Path(path), None)


def read_solution(path: str | Path) -> tuple[list[list[int]], float]:
    """Read a CVRPLIB `.sol` file: (routes of customer ids 1..n, stated cost).

    Every route must list at least one customer, and the file must state one finite cost.
    """
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
                raise InputError(
                    path, f"expected 'Route #k: c1 c2 ...', found {excerpt(line)}", lineno
                )
            tokens = rest.split()
            if not tokens:
                raise InputError(path, f"{label.strip()} lists no customers", lineno)
            if not all(re.fullmatch(r"[0-9]+", tok) for tok in tokens):
                bad = next(tok for tok in tokens if not re.fullmatch(r"[0-9]+", tok))
                raise InputError(
                    path, f"customer id {excerpt(bad)} is not a non-negative integer", lineno
                )
            routes.append([int(tok) for tok in tokens])
        elif line.lower().startswith("cost"):
            value = line[4:].strip().lstrip(":").strip()
            if cost is not None:
                raise InputError(path, "a second 'Cost' line", lineno)
            if not _is_number(value):
                raise InputError(path, f"cost {excerpt(value)} is not a number", lineno)
            cost = float(value)
            if not math.isfinite(cost):
                raise InputError(path, f"cost must be a finite number, is {excerpt(value)}", lineno)
        else:
            raise InputError(
                path, f"expected a 'Route #k:' or 'Cost' line, found {excerpt(line)}", lineno
            )
    if not routes:
        raise InputError(path, "no 'Route #k:' lines")
    if cost is None:
        raise InputError(path, "no 'Cost' line")
    return routes, cost


def write_solution(path: str | Path, routes: Sequence[Sequence[int]], cost: float) -> None:
    """Write routes (customer ids 1..n, depot omitted) in CVRPLIB `.sol` format."""
    lines = [
        f"Route #{k}: {' '.join(str(c) for c in route)}"
        for k, route in enumerate((r for r in routes if r), start=1)
    ]
    text_cost = f"{cost:.0f}" if float(cost).is_integer() else f"{cost:.6f}".rstrip("0")
    Path(path).write_text("\n".join([*lines, f"Cost {text_cost}"]) + "\n", encoding="utf-8")
