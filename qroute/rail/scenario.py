"""The embedded `hsr-yangtze` scenario: real Yangtze-Delta HSR stations, seeded timetables and
consignments (no downloads).

Station coordinates are the stations' positions (WGS84, rounded to 0.001°, read off public
maps); lines follow the real Shanghai-Nanjing, Hefei-Nanjing, Shanghai-Hangzhou,
Hangzhou-Ningbo and Nanjing-Hangzhou high-speed railways. Service patterns, times and cargo
allowances are invented but plausible: 250 km/h between stops, 3 min dwell, allowances of
1.5-4 t and 8-20 roll-cage slots per train.
"""

from __future__ import annotations

import math

import numpy as np

from qroute.rail.model import (
    Consignment,
    RailNetwork,
    Service,
    Station,
    Stop,
    Tariff,
    great_circle,
)

SCENARIO_NAME = "hsr-yangtze"
DEFAULT_CONSIGNMENTS = 200
DEFAULT_SERVICES = 40
DEFAULT_SEED = 2026

STATIONS = (
    Station("SHHQ", "Shanghai Hongqiao", 31.194, 121.320),
    Station("SZN", "Suzhou North", 31.418, 120.638),
    Station("WXE", "Wuxi East", 31.587, 120.444),
    Station("CZN", "Changzhou North", 31.871, 119.967),
    Station("ZJS", "Zhenjiang South", 32.151, 119.483),
    Station("NJS", "Nanjing South", 31.969, 118.797),
    Station("HFS", "Hefei South", 31.797, 117.291),
    Station("JXS", "Jiaxing South", 30.724, 120.816),
    Station("HZE", "Hangzhou East", 30.291, 120.213),
    Station("SXN", "Shaoxing North", 30.073, 120.582),
    Station("NB", "Ningbo", 29.863, 121.537),
    Station("HUZ", "Huzhou", 30.867, 120.072),
)
# relative shipping demand of each station's city
WEIGHTS = {
    "SHHQ": 5,
    "SZN": 3,
    "WXE": 2,
    "CZN": 1.5,
    "ZJS": 1,
    "NJS": 3,
    "HFS": 2,
    "JXS": 1,
    "HZE": 3,
    "SXN": 1,
    "NB": 2,
    "HUZ": 1,
}
PATTERNS = (
    ("SHHQ", "SZN", "WXE", "CZN", "ZJS", "NJS"),
    ("SHHQ", "SZN", "CZN", "NJS", "HFS"),
    ("SHHQ", "JXS", "HZE", "SXN", "NB"),
    ("NJS", "HUZ", "HZE"),
    ("HFS", "NJS", "HUZ", "HZE", "SXN", "NB"),
)
SPEED_KMH = 250.0
DWELL_MIN = 3
FIRST_DEPARTURE = 6 * 60 + 30
LAST_DEPARTURE = 19 * 60 + 30
CAPACITY_KG = (1500, 2500, 4000)
CAPACITY_SLOTS = (8, 12, 20)
PRIORITY_SHARES = {"standard": 0.6, "express": 0.25, "cold_chain": 0.15}


def _timetable(pattern: tuple[str, ...], start: int, tariff: Tariff) -> tuple[Stop, ...]:
    where = {s.code: s.latlon for s in STATIONS}
    stops = [Stop(pattern[0], start, start)]
    t = start
    for a, b in zip(pattern, pattern[1:], strict=False):
        run = great_circle(where[a], where[b]) * tariff.rail_factor / SPEED_KMH * 60 + 4
        t += math.ceil(run)
        stops.append(Stop(b, t, t + DWELL_MIN))
        t += DWELL_MIN
    last = stops[-1]
    stops[-1] = Stop(last.station, last.arrive, last.arrive)
    return tuple(stops)


def hsr_yangtze(
    num_consignments: int = DEFAULT_CONSIGNMENTS,
    num_services: int = DEFAULT_SERVICES,
    seed: int = DEFAULT_SEED,
) -> RailNetwork:
    """The seeded corridor scenario: `num_services` trains over the five patterns (both
    directions, departures spread over 06:30-19:30) and `num_consignments` consignments
    whose pickup and delivery addresses scatter about 8 km around two different stations."""
    if num_consignments < 1:
        raise ValueError("num_consignments must be at least 1")
    if num_services < 1:
        raise ValueError("num_services must be at least 1")
    rng = np.random.default_rng(seed)
    tariff = Tariff()
    directions = [p for pattern in PATTERNS for p in (pattern, tuple(reversed(pattern)))]
    services = []
    per_pattern = [
        num_services // len(directions) + (i < num_services % len(directions))
        for i in range(len(directions))
    ]
    number = 7001
    for pattern, count in zip(directions, per_pattern, strict=True):
        if count == 0:
            continue
        span = LAST_DEPARTURE - FIRST_DEPARTURE
        for k in range(count):
            start = FIRST_DEPARTURE + int(span * (k + 0.5) / count) + int(rng.integers(-20, 21))
            stops = _timetable(pattern, start, tariff)
            kg = int(rng.choice(CAPACITY_KG))
            slots = int(rng.choice(CAPACITY_SLOTS))
            segments = len(stops) - 1
            services.append(Service(f"G{number}", stops, (kg,) * segments, (slots,) * segments))
            number += 1
    services.sort(key=lambda s: (s.stops[0].depart, s.id))
    codes = [s.code for s in STATIONS]
    weights = np.array([WEIGHTS[c] for c in codes], dtype=float)
    where = {s.code: s.latlon for s in STATIONS}
    priorities = list(PRIORITY_SHARES)
    shares = np.array([PRIORITY_SHARES[p] for p in priorities])
    scatter = 8.0 / 111.0
    consignments = []
    for i in range(num_consignments):
        o = int(rng.choice(len(codes), p=weights / weights.sum()))
        w = weights.copy()
        w[o] = 0.0
        d = int(rng.choice(len(codes), p=w / w.sum()))
        origin = tuple(np.round(np.array(where[codes[o]]) + rng.normal(scale=scatter, size=2), 4))
        dest = tuple(np.round(np.array(where[codes[d]]) + rng.normal(scale=scatter, size=2), 4))
        priority = priorities[int(rng.choice(len(priorities), p=shares))]
        ready = int(rng.integers(5 * 60, 16 * 60) // 5 * 5)
        hours = rng.uniform(3.0, 6.0) if priority == "cold_chain" else rng.uniform(3.5, 10.0)
        deadline = ready + int(hours * 60) // 5 * 5
        weight = int(rng.choice([50, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1200]))
        slots = max(1, math.ceil(weight / 250)) + int(rng.random() < 0.2)
        consignments.append(
            Consignment(
                f"C{i + 1:04d}",
                (float(origin[0]), float(origin[1])),
                (float(dest[0]), float(dest[1])),
                ready,
                deadline,
                weight,
                slots,
                priority,
            )
        )
    return RailNetwork(
        name=f"{SCENARIO_NAME}-c{num_consignments}-s{num_services}-seed{seed}",
        stations=STATIONS,
        services=tuple(services),
        consignments=tuple(consignments),
        tariff=tariff,
    )
