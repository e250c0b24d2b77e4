"""A seeded, field-aware mutator over the instance, solution and profile readers.

Every mutation is either meaning-preserving (rows of an id-keyed section shuffled, a
byte-order mark, CRLF line ends, extra blanks, header lines swapped) or makes the file
invalid (a value no field of that kind accepts, a line deleted, duplicated or cut short).
So each outcome is one of:

* ``clean``: the reader raised its one-line error (InputError / ProfileError), or a
  solution was read and the validator named a violation;
* ``identical``: the reader accepted it and the data equals the original's;
* ``traceback``: any other exception (or an error message that is not one short line);
* ``changed``: accepted with data different from the original - a misread, always a bug.

`run_cases` is what tests/fuzz (a few hundred cases) and bench/fuzz.py (thousands) call.
Event and bundle readers do not exist yet: add them to `MUTATORS` / `READERS` when they land.
"""

from __future__ import annotations

import json
import random
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qroute.backends.hardware import DEFAULT_PROFILES_DIR, ProfileError, load_profile
from qroute.model.data import data_dir
from qroute.model.errors import InputError
from qroute.model.events import read_events
from qroute.model.instances import expected_customers, read_instance, read_solution
from qroute.model.problem import Problem
from qroute.model.validation import validate

OUTCOMES = ("clean", "identical", "traceback", "changed")

BAD_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e400", "abc", "4A5", "1_0", "\u0663", "0x1F", "--"]
BAD_INTEGERS = [*BAD_NUMBERS, "3.5", "1e30", "2e0", "100000000000000000000000"]
BAD_COUNTS = [*BAD_INTEGERS, "0", "-5"]

END = "EOF"
TINY_VRP = f"""NAME : T-n6
COMMENT : a tiny test instance
TYPE : CVRP
DIMENSION : 6
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
VEHICLES : 3
NODE_COORD_SECTION
1 0 0
2 3 4
3 6 8
4 0 5
5 5 0
6 -4 -3
DEMAND_SECTION
1 0
2 4
3 3
4 5
5 2
6 6
DEPOT_SECTION
1
-1
{END}
"""

TINY_EXPLICIT = f"""NAME : T-e4
TYPE : CVRP
DIMENSION : 4
EDGE_WEIGHT_TYPE : EXPLICIT
EDGE_WEIGHT_FORMAT : LOWER_ROW
CAPACITY : 10
EDGE_WEIGHT_SECTION
4 5 3
6 7 2
DEMAND_SECTION
1 0
2 3
3 4
4 5
DEPOT_SECTION
1
-1
{END}
"""

TINY_CMT = f"""NAME : T-c5
TYPE : CVRP
DIMENSION : 5
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
DISTANCE : 100
SERVICE_TIME : 2
NODE_COORD_SECTION
1 0 0
2 3 4
3 6 8
4 0 5
5 5 0
DEMAND_SECTION
1 0
2 4
3 3
4 5
5 2
DEPOT_SECTION
1
-1
{END}
"""

# the T-c5 customers with windows and service times instead of a length limit
TINY_VRPTW = (
    TINY_CMT.replace("T-c5", "T-w5")
    .replace("DISTANCE : 100\nSERVICE_TIME : 2\n", "VEHICLES : 3\n")
    .replace(
        "DEPOT_SECTION",
        "SERVICE_TIME_SECTION\n1 0\n2 2\n3 2\n4 2\n5 2\n"
        "TIME_WINDOW_SECTION\n1 0 100\n2 0 40\n3 10 60\n4 0 80\n5 20 90\nDEPOT_SECTION",
    )
)

TINY_SOLOMON = """T101

VEHICLE
NUMBER     CAPACITY
  3         50

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        300          0
    1      3          4         10          0        100         10
    2      6          8         20         10        150         10
    3      0          5         15          0        200          5
"""

REAL_INSTANCES = [
    "cvrplib/X/X-n101-k25.vrp",
    "cvrplib/A/A-n32-k5.vrp",
    "cvrplib/CMT/CMT6.vrp",
    "cvrplib/E/E-n13-k4.vrp",
    "cvrplib/P/P-n16-k8.vrp",
    "solomon/C101.txt",
    "solomon/R101.txt",
    "gehring_homberger/C1_2_1.txt",
]
REAL_SOLUTIONS = ["cvrplib/X/X-n101-k25.vrp", "cvrplib/A/A-n32-k5.vrp", "solomon/C101.txt"]
PROFILES = ["ionq-forte-1", "dwave-advantage", "braket-sv1", "dwave-sa", "iqm-garnet"]


@dataclass
class Seed:
    """One original file: its name, text and what the reader makes of it."""

    kind: str  # "instance", "solution", "profile", "event"
    name: str
    text: str
    original: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def instance_seeds(include_real: bool = True) -> list[Seed]:
    seeds = [
        Seed("instance", "T-n6.vrp", TINY_VRP),
        Seed("instance", "T-e4.vrp", TINY_EXPLICIT),
        Seed("instance", "T-c5.vrp", TINY_CMT),
        Seed("instance", "T101.txt", TINY_SOLOMON),
        Seed("instance", "T-w5.vrp", TINY_VRPTW),
    ]
    folder = data_dir()
    if include_real and folder.is_dir():
        for relative in REAL_INSTANCES:
            path = folder / relative
            if path.is_file():
                seeds.append(Seed("instance", path.name, path.read_text(encoding="utf-8")))
    return seeds


def solution_seeds(include_real: bool = True) -> list[Seed]:
    seeds = [
        Seed(
            "solution",
            "T-n6.sol",
            "Route #1: 1 2 4\nRoute #2: 3 5\nCost 46\n",
            extra={"instance": ("T-n6.vrp", TINY_VRP)},
        )
    ]
    folder = data_dir()
    if include_real and folder.is_dir():
        for relative in REAL_SOLUTIONS:
            instance = folder / relative
            solution = instance.with_suffix(".sol")
            if instance.is_file() and solution.is_file():
                seeds.append(
                    Seed(
                        "solution",
                        solution.name,
                        solution.read_text(encoding="utf-8"),
                        extra={"instance": (instance.name, instance.read_text(encoding="utf-8"))},
                    )
                )
    return seeds


EVENT_LINES = [
    '{"type": "new_order", "at": "09:40", "id": "N1", "lat": 31.32, "lon": 120.62, "demand": 12, '
    '"class": "perishable"}',
    '{"type": "new_order", "at": "09:45", "id": "N2", "lat": 31.25, "lon": 121.45, "demand": 8, '
    '"ready": "10:00", "due": "15:00"}',
    '{"type": "cancel", "at": "10:05", "order": "7"}',
    '{"type": "demand_change", "at": "10:10", "order": "3", "demand": 5}',
    '{"type": "breakdown", "at": "10:20", "vehicle": 1}',
    '{"type": "delay", "at": "10:30", "lat": 31.23, "lon": 121.47, "radius_km": 15, "factor": 1.4}',
    '{"type": "depot_close", "at": "19:00", "depot": "0"}',
]
_BAD_TIMES: list[Any] = ["25:00", "9:7", "24:60", "12:5", 5, None, ""]
_BAD_IDS: list[Any] = [None, "", [], {}, True, 1.5]
# values each field must refuse (a valid but different value is a different input, not a bug)
BAD_EVENT_VALUES: dict[str, list[Any]] = {
    "type": [None, "", "teleport", 3],
    "at": _BAD_TIMES,
    "ready": _BAD_TIMES,
    "due": _BAD_TIMES,
    "id": _BAD_IDS,
    "order": _BAD_IDS,
    "vehicle": _BAD_IDS,
    "depot": _BAD_IDS,
    "lat": [None, "abc", "31.3", 1e400, 200, -91, True, []],
    "lon": [None, "abc", 1e400, 181, -181, True],
    "demand": [-5, -0.5, 2.5, "abc", "8", None, 1e400, True],
    "factor": [0, 0.5, -1, "abc", 1e400, None],
    "radius_km": [0, -5, "abc", None, 1e400],
    "class": ["urgent", "Medical", None, 5],
}


def event_seeds() -> list[Seed]:
    return [Seed("event", "events.jsonl", "\n".join(EVENT_LINES) + "\n")]


def mutate_event(seed: Seed, rng: random.Random) -> tuple[str, str]:
    """One broken field, key, type or line of a JSON-lines event file (or a harmless change:
    blank lines, key order, CRLF), which the reader must refuse or read back identical."""
    lines = seed.text.splitlines()
    index = rng.randrange(len(lines))
    record = json.loads(lines[index])
    choice = rng.randrange(8)
    if choice == 0:  # a field gets a bad value
        key = rng.choice(sorted(record))
        record[key] = rng.choice(BAD_EVENT_VALUES[key])
        lines[index] = json.dumps(record)
        return f"line {index + 1}: {key}={record[key]!r}", "\n".join(lines) + "\n"
    if choice == 1:  # a required key goes missing (optional ones may be left out)
        key = rng.choice(sorted(set(record) - {"ready", "due", "class"}))
        del record[key]
        lines[index] = json.dumps(record)
        return f"line {index + 1}: no {key}", "\n".join(lines) + "\n"
    if choice == 2:  # an unknown key or event type
        if rng.random() < 0.5:
            record["colour"] = "red"
        else:
            record["type"] = rng.choice(["teleport", "NEW_ORDER", "new order"])
        lines[index] = json.dumps(record)
        return f"line {index + 1}: unknown key/type", "\n".join(lines) + "\n"
    if choice == 3:  # a torn line
        cut = rng.randrange(1, len(lines[index]))
        lines[index] = lines[index][:cut]
        return f"line {index + 1}: cut at {cut}", "\n".join(lines) + "\n"
    if choice == 4:  # not an object
        lines[index] = rng.choice(["[1, 2]", "42", '"text"', "null"])
        return f"line {index + 1}: not an object", "\n".join(lines) + "\n"
    if choice == 5:  # harmless: key order
        lines[index] = json.dumps(dict(reversed(list(record.items()))))
        return f"line {index + 1}: keys reversed", "\n".join(lines) + "\n"
    if choice == 6:  # harmless: blank lines and CRLF
        return "blank lines, CRLF", "\r\n".join(["", *lines[:index], "", *lines[index:]]) + "\r\n"
    # a control character or a duplicated key inside the JSON text
    lines[index] = lines[index].replace('"at"', '"at": "08:00", "at"', 1)
    return f"line {index + 1}: duplicate key", "\n".join(lines) + "\n"


def profile_seeds() -> list[Seed]:
    return [
        Seed("profile", f"{n}.yaml", (DEFAULT_PROFILES_DIR / f"{n}.yaml").read_text("utf-8"))
        for n in PROFILES
        if (DEFAULT_PROFILES_DIR / f"{n}.yaml").is_file()
    ]


# --- mutations ---------------------------------------------------------------------------------


def _sections(lines: list[str]) -> dict[str, tuple[int, int]]:
    """VRP section name -> (first row index, end index) in `lines`."""
    found: dict[str, tuple[int, int]] = {}
    current: str | None = None
    start = 0
    for i, line in enumerate(lines):
        word = line.split()[0] if line.strip() else ""
        if word.endswith("_SECTION") or word == END:
            if current is not None:
                found[current] = (start, i)
            current, start = (word, i + 1) if word != END else (None, 0)
    if current is not None:
        found[current] = (start, len(lines))
    return found


def _replace_token(line: str, index: int, value: str) -> str:
    tokens = line.split()
    tokens[index] = value
    return " ".join(tokens)


def _deletable(line: str, solomon: bool) -> bool:
    """Lines whose deletion must be an error or change nothing (not optional data keys)."""
    key = line.split(":")[0].strip().upper()
    if key in {"SERVICE_TIME", "DISTANCE", "VEHICLES", "NAME"}:
        return False
    if solomon:  # a non-standard Solomon name allows any customer count: keep the rows
        return not line.strip()[0].isdigit()
    return True


def mutate_instance(seed: Seed, rng: random.Random) -> tuple[str, str]:
    """(mutation name, mutated text)."""
    text = seed.text
    lines = text.split("\n")
    solomon = seed.name.endswith(".txt")
    choice = rng.randrange(13)
    if choice == 12 and (solomon or "TIME_WINDOW_SECTION" in text):
        return _mutate_time_window(lines, solomon, rng)
    choice %= 12
    if choice == 0:
        return "bom", "\ufeff" + text
    if choice == 1:
        return "crlf", text.replace("\n", "\r\n")
    if choice == 2:
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace(" ", rng.choice(["  ", "\t", " \t "]))
        return "blanks", "\n".join(lines)
    if choice == 3:
        end = len(text) - 1
        if solomon and expected_customers(Path(seed.name).stem) is None:
            end = text.index("CUST NO.")  # rows cut at a row end are a smaller instance
        return "truncate", text[: rng.randrange(1, max(2, end))]
    if choice == 4:
        candidates = [
            i for i, line in enumerate(lines) if line.strip() and _deletable(line, solomon)
        ]
        i = rng.choice(candidates)
        return "delete-line", "\n".join(lines[:i] + lines[i + 1 :])
    if choice == 5:
        i = rng.choice([i for i, line in enumerate(lines) if line.strip()])
        return "duplicate-line", "\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    if solomon:
        return _mutate_solomon_value(lines, rng)
    sections = _sections(lines)
    if choice == 6:
        keyed = [s for s in ("NODE_COORD_SECTION", "DEMAND_SECTION") if s in sections]
        start, end = sections[rng.choice(keyed)]
        rows = [line for line in lines[start:end] if line.strip()]
        rng.shuffle(rows)
        return "shuffle-rows", "\n".join(lines[:start] + rows + lines[end:])
    if choice == 7:
        header_end = min(start for start, _ in sections.values()) - 1
        i, j = sorted(rng.sample(range(header_end), 2))
        lines[i], lines[j] = lines[j], lines[i]
        return "swap-header-lines", "\n".join(lines)
    return _mutate_vrp_value(lines, sections, rng)


def _mutate_vrp_value(
    lines: list[str], sections: dict[str, tuple[int, int]], rng: random.Random
) -> tuple[str, str]:
    header_end = min(start for start, _ in sections.values()) - 1
    header = {
        lines[i].split(":")[0].strip().upper(): i for i in range(header_end) if ":" in lines[i]
    }
    target = rng.randrange(4)
    if target == 0:
        keys = ["CAPACITY", "DIMENSION", "VEHICLES", "DISTANCE", "SERVICE_TIME"]
        key = rng.choice([k for k in keys if k in header])
        pool = BAD_COUNTS if key in ("DIMENSION", "VEHICLES") else [*BAD_NUMBERS, "-5"]
        if key in ("CAPACITY", "DISTANCE"):
            pool = [*pool, "0"]
        lines[header[key]] = f"{key} : {rng.choice(pool)}"
        return f"header-{key.lower()}", "\n".join(lines)
    names = ("NODE_COORD_SECTION", "DEMAND_SECTION", "EDGE_WEIGHT_SECTION")
    name = rng.choice([s for s in names if s in sections])
    start, end = sections[name]
    rows = [i for i in range(start, end) if lines[i].strip()]
    i = rng.choice(rows)
    width = len(lines[i].split())
    if name == "EDGE_WEIGHT_SECTION":
        lines[i] = _replace_token(lines[i], rng.randrange(width), rng.choice([*BAD_NUMBERS, "-5"]))
        return "edge-weight", "\n".join(lines)
    if target == 1:  # the node id: invalid, out of range, or another row's id
        other = lines[rows[(rows.index(i) + 1) % len(rows)]].split()[0]
        pool = [*BAD_INTEGERS, "0", "-1", str(len(rows) + 7), other]
        lines[i] = _replace_token(lines[i], 0, rng.choice(pool))
        return f"{name.lower()}-id", "\n".join(lines)
    if name == "DEMAND_SECTION":
        depot = lines[i].split()[0] == "1"
        pool = [*BAD_INTEGERS, "-5"] + (["7", "1100"] if depot else [])
        lines[i] = _replace_token(lines[i], 1, rng.choice(pool))
        return "demand", "\n".join(lines)
    lines[i] = _replace_token(lines[i], rng.randrange(1, width), rng.choice(BAD_NUMBERS))
    return "coordinate", "\n".join(lines)


def _mutate_solomon_value(lines: list[str], rng: random.Random) -> tuple[str, str]:
    numbered = [i for i, line in enumerate(lines) if line.strip()]
    words = [lines[i].strip().upper() for i in numbered]
    vehicle_row = numbered[words.index("VEHICLE") + 2]
    body = numbered[words.index("CUSTOMER") + 2 :]
    if rng.random() < 0.2:
        col = rng.randrange(2)
        pool = BAD_COUNTS if col == 0 else [*BAD_NUMBERS, "0", "-5"]
        lines[vehicle_row] = _replace_token(lines[vehicle_row], col, rng.choice(pool))
        return "vehicle", "\n".join(lines)
    i = rng.choice(body)
    col = rng.randrange(7)
    if col == 0:
        pool = [*BAD_INTEGERS, "-1", str(len(body) + 3)]
    elif col == 3:
        pool = [*BAD_INTEGERS, "-5"] + (["9"] if i == body[0] else [])
    elif col in (1, 2):
        pool = BAD_NUMBERS
    else:
        pool = [*BAD_NUMBERS, "-5"]
    lines[i] = _replace_token(lines[i], col, rng.choice(pool))
    return f"customer-column-{col}", "\n".join(lines)


def _mutate_time_window(lines: list[str], solomon: bool, rng: random.Random) -> tuple[str, str]:
    """A window that is well-formed but wrong (issue 13), always an error: a due time before
    the ready time, a negative service time, a customer window wholly after the depot
    closes, a depot that opens after it closes."""
    if solomon:
        numbered = [i for i, line in enumerate(lines) if line.strip()]
        words = [lines[i].strip().upper() for i in numbered]
        rows = numbered[words.index("CUSTOMER") + 2 :]
        ready_col, due_col, service_col = 4, 5, 6
        window_rows, service_rows = rows, rows
    else:
        sections = _sections(lines)
        start, end = sections["TIME_WINDOW_SECTION"]
        window_rows = [i for i in range(start, end) if lines[i].strip()]
        start, end = sections.get("SERVICE_TIME_SECTION", (0, 0))
        service_rows = [i for i in range(start, end) if lines[i].strip()] or window_rows
        ready_col, due_col = 1, 2
        service_col = 1 if "SERVICE_TIME_SECTION" in sections else -1
    depot = lines[window_rows[0]].split()
    depot_ready, depot_due = float(depot[ready_col]), float(depot[due_col])
    kind = rng.randrange(4 if service_col >= 0 else 3)
    if kind == 0:  # a depot that opens after it closes
        row = window_rows[0]
        lines[row] = _replace_token(lines[row], ready_col, f"{depot_due + 5:g}")
        return "window-depot-reversed", "\n".join(lines)
    row = rng.choice(window_rows[1:])
    tokens = lines[row].split()
    if kind == 1:
        ready = float(tokens[due_col]) + rng.choice([1, 7.5, 100])
        lines[row] = _replace_token(lines[row], ready_col, f"{ready:g}")
        return "window-due-before-ready", "\n".join(lines)
    if kind == 2:
        ready = depot_due + 1 + rng.randrange(50)
        lines[row] = _replace_token(lines[row], ready_col, f"{ready:g}")
        lines[row] = _replace_token(lines[row], due_col, f"{ready + rng.randrange(100):g}")
        return "window-after-depot-closes", "\n".join(lines)
    del depot_ready
    row = rng.choice(service_rows[1:])
    lines[row] = _replace_token(lines[row], service_col, rng.choice(["-1", "-0.5", "-90"]))
    return "window-negative-service", "\n".join(lines)


def mutate_solution(seed: Seed, rng: random.Random) -> tuple[str, str]:
    lines = [line for line in seed.text.split("\n") if line.strip()]
    routes = [i for i, line in enumerate(lines) if line.lower().startswith("route")]
    cost = next(i for i, line in enumerate(lines) if line.lower().startswith("cost"))
    choice = rng.randrange(8)
    if choice == 0:
        value = rng.choice(["nan", "NaN", "inf", "-inf", "1e400", "abc", "", "1_0"])
        lines[cost] = f"Cost {value}"
        return "cost-value", "\n".join(lines)
    if choice == 1:
        del lines[cost]
        return "cost-missing", "\n".join(lines)
    if choice == 2:
        i = rng.choice(routes)
        lines[i] = lines[i].split(":")[0] + ":"
        return "route-emptied", "\n".join(lines)
    if choice == 3:
        lines.insert(rng.choice(routes), "Route #99:")
        return "route-empty-added", "\n".join(lines)
    i = rng.choice(routes)
    if choice == 7:
        lines.insert(i, lines[i])
        return "route-duplicated", "\n".join(lines)
    label, _, rest = lines[i].partition(":")
    stops = rest.split()
    k = rng.randrange(len(stops))
    if choice == 4:
        stops[k] = rng.choice(["-2", "5.5", "x", "1e3", "0", "100000", "\u0663"])
    elif choice == 5:
        stops.insert(k, stops[k])
    else:
        del stops[k]
    lines[i] = f"{label}: {' '.join(stops)}"
    return f"route-stop-{choice}", "\n".join(lines)


PROFILE_COUNTS = {
    "qubits",
    "min",
    "max",
    "default",
    "m",
    "t",
    "edges",
    "max_subproblem_qubits",
    "max_variables",
}
PROFILE_PRICES = {"per_task_usd", "per_shot_usd", "per_minute_usd", "per_qpu_second_usd"}


def mutate_profile(seed: Seed, rng: random.Random) -> tuple[str, str]:
    lines = seed.text.split("\n")
    choice = rng.randrange(6)
    fields = PROFILE_COUNTS | PROFILE_PRICES | {"as_of"}
    keyed = [i for i, line in enumerate(lines) if line.split(":")[0].strip() in fields]
    if choice <= 2 and keyed:
        i = rng.choice(keyed)
        key = lines[i].split(":")[0]
        name = key.strip()
        if name == "as_of":
            pool = ["2026-02-30", "2026-13-01", "0", "1e400", "abc", "true", "2099-01-01", "[1]"]
        elif name in PROFILE_PRICES:
            pool = [".nan", ".inf", "-1", "1e400", "1e300", "abc", "true", "[1, 2]", "{a: 1}"]
        else:
            pool = [".nan", ".inf", "1e400", "3.5", "-1", "abc", "true", "3.0", "1" + "0" * 26]
            pool += ["[1]", "'36'"]
        lines[i] = f"{key}: {rng.choice(pool)}"
        return f"value-{name}", "\n".join(lines)
    if choice == 3:
        i = rng.randrange(len(lines))
        lines[i] = lines[i] + rng.choice(["\x07", "\x00", "\x1b[31m"])
        return "control-character", "\n".join(lines)
    if choice == 4:
        return "alias-recursion", seed.text + "\nnotes: &loop [*loop]\n"
    i = rng.randrange(len(lines) + 1)
    bad = rng.choice(["extra: [unclosed", "extra: *undefined", "- item", "\tbad: tab", "id: x"])
    return "yaml-syntax", "\n".join([*lines[:i], bad, *lines[i:]])


# --- readers and oracles -----------------------------------------------------------------------


def same_problem(a: Problem, b: Problem) -> bool:
    def same(x: Any, y: Any) -> bool:
        if x is None or y is None:
            return x is None and y is None
        return bool(np.array_equal(np.asarray(x), np.asarray(y)))

    return (
        a.name == b.name
        and a.capacity == b.capacity
        and a.rounding == b.rounding
        and a.num_vehicles == b.num_vehicles
        and a.max_route_length == b.max_route_length
        and same(a.demands, b.demands)
        and same(a.distances, b.distances)
        and same(a.coords, b.coords)
        and same(a.time_windows, b.time_windows)
        and same(a.service_times, b.service_times)
    )


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _canonical(routes: list[list[int]]) -> list[tuple[int, ...]]:
    return sorted(tuple(r) for r in routes)


def classify(seed: Seed, text: str, folder: Path) -> tuple[str, str]:
    """(outcome, detail) of reading a mutated copy of `seed`."""
    path = _write(folder, seed.name, text)
    try:
        if seed.kind == "instance":
            problem = read_instance(path)
            return ("identical", "") if same_problem(problem, seed.original) else ("changed", "")
        if seed.kind == "solution":
            routes, cost = read_solution(path)
            original_routes, original_cost = seed.original
            if _canonical(routes) == _canonical(original_routes) and cost == original_cost:
                return "identical", ""
            report = validate(seed.extra["problem"], routes, cost)
            return ("changed", "reported feasible") if report.feasible else ("clean", "")
        if seed.kind == "event":
            events = [(e.type, e.at, e.fields) for e in read_events(path)]
            original = [(e.type, e.at, e.fields) for e in seed.original]
            return ("identical", "") if events == original else ("changed", "")
        profile = load_profile(path)
        return ("identical", "") if profile == seed.original else ("changed", "")
    except (InputError, ProfileError) as exc:
        message = str(exc)
        if "\n" in message or len(message) > 600:
            return "traceback", f"error is not one short line: {message[:200]!r}"
        return "clean", ""
    except Exception:  # noqa: BLE001 - what the fuzzer is looking for
        return "traceback", traceback.format_exc(limit=4)


MUTATORS: dict[str, Callable[[Seed, random.Random], tuple[str, str]]] = {
    "instance": mutate_instance,
    "solution": mutate_solution,
    "profile": mutate_profile,
    "event": mutate_event,
}
SHARE = {"instance": 0.5, "solution": 0.2, "profile": 0.15, "event": 0.15}
# bundles have their own 10,000-mutation fuzz test (tests/bundle/test_fuzz.py)
READERS = tuple(MUTATORS)


def prepare(seeds: list[Seed], folder: Path) -> list[Seed]:
    """Read every original once: the oracle's reference."""
    for seed in seeds:
        if seed.kind == "instance":
            seed.original = read_instance(_write(folder, seed.name, seed.text))
        elif seed.kind == "solution":
            instance_name, instance_text = seed.extra["instance"]
            seed.extra["problem"] = read_instance(_write(folder, instance_name, instance_text))
            seed.original = read_solution(_write(folder, seed.name, seed.text))
        elif seed.kind == "event":
            seed.original = read_events(_write(folder, seed.name, seed.text))
        else:
            seed.original = load_profile(_write(folder, seed.name, seed.text))
    return seeds


@dataclass
class FuzzReport:
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def total(self, outcome: str | None = None) -> int:
        return sum(c[outcome] if outcome else sum(c.values()) for c in self.counts.values())


def run_cases(cases: int, seed: int = 0, include_real: bool = True) -> FuzzReport:
    """`cases` mutants spread over the readers, reproducible from `seed`."""
    rng = random.Random(seed)
    report = FuzzReport()
    with tempfile.TemporaryDirectory(prefix="qroute-fuzz-") as tmp:
        folder = Path(tmp)
        pools = {
            "instance": prepare(instance_seeds(include_real), folder),
            "solution": prepare(solution_seeds(include_real), folder),
            "profile": prepare(profile_seeds(), folder),
            "event": prepare(event_seeds(), folder),
        }
        for kind in READERS:
            counts: Counter[str] = Counter({outcome: 0 for outcome in OUTCOMES})
            for _ in range(round(cases * SHARE[kind])):
                original = rng.choice(pools[kind])
                mutation, text = MUTATORS[kind](original, rng)
                outcome, detail = classify(original, text, folder)
                counts[outcome] += 1
                if outcome in ("traceback", "changed"):
                    report.failures.append(f"{kind} {original.name} {mutation}: {outcome} {detail}")
            report.counts[kind] = counts
    return report
