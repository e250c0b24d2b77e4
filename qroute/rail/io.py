"""Reading a user's timetable and consignments (CSV, documented in docs/rail.md).

Every bad row is reported as one line ``file:line: field: what is wrong`` (an InputError;
the CLI prints it and exits 2). Nothing is changed silently: a value is used as written or
the file is rejected.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from qroute.model.errors import InputError
from qroute.rail.model import (
    PRIORITY_CLASSES,
    Consignment,
    RailNetwork,
    Service,
    Station,
    Stop,
    Tariff,
)

TIMETABLE_COLUMNS = (
    "service",
    "stop",
    "station",
    "name",
    "lat",
    "lon",
    "arrive",
    "depart",
    "capacity_kg",
    "capacity_slots",
)
CONSIGNMENT_COLUMNS = (
    "id",
    "origin_lat",
    "origin_lon",
    "destination_lat",
    "destination_lon",
    "ready",
    "deadline",
    "weight_kg",
    "slots",
    "priority",
)
_TIME = re.compile(r"^(\d{1,2}):([0-5]\d)$")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class _Row:
    def __init__(self, path: Path, line: int, row: dict[str, str]) -> None:
        self.path, self.line, self.row = path, line, row

    def fail(self, field: str, what: str) -> InputError:
        return InputError(self.path, f"{field}: {what}", self.line)

    def text(self, field: str, *, optional: bool = False) -> str:
        value = (self.row.get(field) or "").strip()
        if not value and not optional:
            raise self.fail(field, "missing")
        return value

    def ident(self, field: str) -> str:
        value = self.text(field)
        if not _ID.match(value):
            raise self.fail(field, f"{value!r} is not an id (letters, digits, _ . -; at most 40)")
        return value

    def time(self, field: str) -> int:
        value = self.text(field)
        match = _TIME.match(value)
        if not match or int(match[1]) > 47:
            raise self.fail(field, f"{value!r} is not a time HH:MM (00:00..47:59)")
        return int(match[1]) * 60 + int(match[2])

    def number(self, field: str, low: float, high: float) -> float:
        value = self.text(field)
        try:
            x = float(value)
        except ValueError:
            raise self.fail(field, f"{value!r} is not a number") from None
        if not math.isfinite(x) or not low <= x <= high:
            raise self.fail(field, f"{value} is outside {low:g}..{high:g}")
        return x

    def integer(self, field: str, low: int, high: int) -> int:
        value = self.text(field)
        if not re.fullmatch(r"[0-9]+", value):
            raise self.fail(field, f"{value!r} is not a whole number")
        x = int(value)
        if not low <= x <= high:
            raise self.fail(field, f"{x} is outside {low}..{high}")
        return x


def _rows(path: Path, columns: tuple[str, ...], required: tuple[str, ...]) -> list[_Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read ({type(exc).__name__})") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(path, f"header: missing column(s) {', '.join(missing)}", 1)
    unknown = [c for c in header if c not in columns]
    if unknown:
        raise InputError(path, f"header: unknown column(s) {', '.join(unknown)}", 1)
    rows = []
    for n, row in enumerate(reader, start=2):
        if None in row:
            raise InputError(path, "row: more fields than the header", n)
        if not any((v or "").strip() for v in row.values()):
            continue
        rows.append(_Row(path, n, row))
    if not rows:
        raise InputError(path, "no data rows")
    return rows


def read_timetable(path: str | Path) -> tuple[tuple[Station, ...], tuple[Service, ...]]:
    path = Path(path)
    required = tuple(c for c in TIMETABLE_COLUMNS if c != "name")
    stations: dict[str, Station] = {}
    by_service: dict[str, list[tuple[int, _Row, Stop]]] = {}
    for r in _rows(path, TIMETABLE_COLUMNS, required):
        sid = r.ident("service")
        code = r.ident("station")
        lat, lon = r.number("lat", -90, 90), r.number("lon", -180, 180)
        known = stations.get(code)
        if known is None:
            stations[code] = Station(code, r.text("name", optional=True) or code, lat, lon)
        elif abs(known.lat - lat) > 1e-6 or abs(known.lon - lon) > 1e-6:
            raise r.fail("lat", f"station {code} was at {known.lat},{known.lon} on an earlier row")
        arrive, depart = r.time("arrive"), r.time("depart")
        if depart < arrive:
            raise r.fail("depart", f"{depart // 60:02d}:{depart % 60:02d} is before the arrival")
        seq = r.integer("stop", 1, 1000)
        by_service.setdefault(sid, []).append((seq, r, Stop(code, arrive, depart)))
    services = []
    for sid, entries in by_service.items():
        entries.sort(key=lambda e: e[0])
        for i, (seq, r, _) in enumerate(entries, start=1):
            if seq != i:
                raise r.fail("stop", f"service {sid} stops are numbered 1, 2, ...; expected {i}")
        if len(entries) < 2:
            raise entries[0][1].fail("service", f"{sid} has one stop; a service needs two")
        kg, slots = [], []
        for (_, r, stop), (_, r2, nxt) in zip(entries, entries[1:], strict=False):
            if nxt.arrive <= stop.depart:
                raise r2.fail(
                    "arrive", f"service {sid} arrives no later than it left the last stop"
                )
            if nxt.station == stop.station:
                raise r2.fail("station", f"service {sid} stops at {stop.station} twice in a row")
            kg.append(r.integer("capacity_kg", 0, 10**6))
            slots.append(r.integer("capacity_slots", 0, 10**4))
        last = entries[-1][1]
        for field in ("capacity_kg", "capacity_slots"):
            if last.text(field, optional=True):
                raise last.fail(field, "the last stop has no onward segment; leave it empty")
        codes = [e[2].station for e in entries]
        if len(set(codes)) != len(codes):
            raise entries[0][1].fail("station", f"service {sid} visits a station twice")
        services.append(Service(sid, tuple(e[2] for e in entries), tuple(kg), tuple(slots)))
    return tuple(stations.values()), tuple(services)


def read_consignments(path: str | Path) -> tuple[Consignment, ...]:
    path = Path(path)
    seen: dict[str, int] = {}
    out = []
    for r in _rows(path, CONSIGNMENT_COLUMNS, CONSIGNMENT_COLUMNS):
        cid = r.ident("id")
        if cid in seen:
            raise r.fail("id", f"{cid} repeats line {seen[cid]}")
        seen[cid] = r.line
        origin = (r.number("origin_lat", -90, 90), r.number("origin_lon", -180, 180))
        dest = (r.number("destination_lat", -90, 90), r.number("destination_lon", -180, 180))
        ready, deadline = r.time("ready"), r.time("deadline")
        if deadline <= ready:
            raise r.fail("deadline", "not after the ready time: the consignment cannot be served")
        weight = r.integer("weight_kg", 1, 10**5)
        slots = r.integer("slots", 1, 10**3)
        priority = r.text("priority")
        if priority not in PRIORITY_CLASSES:
            raise r.fail("priority", f"{priority!r} is not one of {', '.join(PRIORITY_CLASSES)}")
        out.append(Consignment(cid, origin, dest, ready, deadline, weight, slots, priority))
    return tuple(out)


def read_network(timetable: str | Path, consignments: str | Path) -> RailNetwork:
    stations, services = read_timetable(timetable)
    goods = read_consignments(consignments)
    return RailNetwork(
        f"{Path(timetable).stem}+{Path(consignments).stem}", stations, services, goods, Tariff()
    )


def write_network(net: RailNetwork, timetable: str | Path, consignments: str | Path) -> None:
    """The inverse of read_network (used to export the embedded scenario as an example)."""
    from qroute.rail.model import hhmm

    with open(timetable, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(TIMETABLE_COLUMNS)
        for s in net.services:
            for i, stop in enumerate(s.stops):
                st = net.station[stop.station]
                cap = (s.capacity_kg[i], s.capacity_slots[i]) if i < s.num_segments else ("", "")
                w.writerow(
                    [
                        s.id,
                        i + 1,
                        st.code,
                        st.name,
                        st.lat,
                        st.lon,
                        hhmm(stop.arrive),
                        hhmm(stop.depart),
                        *cap,
                    ]
                )
    with open(consignments, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CONSIGNMENT_COLUMNS)
        for c in net.consignments:
            w.writerow(
                [
                    c.id,
                    *c.origin,
                    *c.destination,
                    hhmm(c.ready),
                    hhmm(c.deadline),
                    c.weight_kg,
                    c.slots,
                    c.priority,
                ]
            )
