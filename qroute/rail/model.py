"""High-speed-rail cargo: stations, train services with timetables and per-segment capacity,
consignments and the tariff (immutable value objects; times are minutes after 00:00 of the
plan day, weights kilograms, money CNY)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

RAIL_POLICIES = (  # qroute rail --policy; qroute.rail.samplers.rail_chain gives each its backends
    "local",
    "bitflip",
    "tabu",
    "mixed",
    "qaoa",
    "annealer",
    "hybrid",
    "cqm",
    "exact",
)

PRIORITY_CLASSES = ("standard", "express", "cold_chain")
"""Priority classes of a consignment, lowest first."""
LATENESS_CNY_PER_MINUTE = {"standard": 1.0, "express": 4.0, "cold_chain": 12.0}
"""What one minute past the deadline costs, by priority class (one fact, used by every cost)."""

EARTH_RADIUS_KM = 6371.0088


def great_circle(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance in km between two (lat, lon) points in degrees."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def hhmm(minutes: int) -> str:
    """Minutes after midnight as HH:MM (hours may pass 24 for the next day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Station:
    code: str
    name: str
    lat: float
    lon: float

    @property
    def latlon(self) -> tuple[float, float]:
        return (self.lat, self.lon)


@dataclass(frozen=True)
class Stop:
    station: str  # station code
    arrive: int
    depart: int


@dataclass(frozen=True)
class Service:
    """A train with a cargo allowance; segment k runs from stop k to stop k + 1."""

    id: str
    stops: tuple[Stop, ...]
    capacity_kg: tuple[int, ...]  # per segment
    capacity_slots: tuple[int, ...]  # per segment

    def __post_init__(self) -> None:
        if len(self.stops) < 2:
            raise ValueError(f"service {self.id}: needs at least two stops")
        segments = len(self.stops) - 1
        if len(self.capacity_kg) != segments or len(self.capacity_slots) != segments:
            raise ValueError(f"service {self.id}: one capacity per segment ({segments})")

    @property
    def num_segments(self) -> int:
        return len(self.stops) - 1

    def index(self, station: str) -> int | None:
        for i, stop in enumerate(self.stops):
            if stop.station == station:
                return i
        return None

    def delayed(self, minutes: int, after: int) -> Service:
        """This service with every time at or after `after` shifted by `minutes`."""

        def shift(t: int) -> int:
            return t + minutes if t >= after else t

        stops = tuple(Stop(s.station, shift(s.arrive), shift(s.depart)) for s in self.stops)
        return Service(self.id, stops, self.capacity_kg, self.capacity_slots)


@dataclass(frozen=True)
class Consignment:
    id: str
    origin: tuple[float, float]  # (lat, lon) of the pickup address
    destination: tuple[float, float]
    ready: int
    deadline: int
    weight_kg: int
    slots: int
    priority: str = "standard"

    @property
    def lateness_rate(self) -> float:
        return LATENESS_CNY_PER_MINUTE[self.priority]


@dataclass(frozen=True)
class Tariff:
    """Prices and handling times (documented in docs/rail.md)."""

    rail_cny_per_kg_km: float = 0.002
    rail_cny_per_slot: float = 15.0
    van_cny_per_km: float = 3.0  # first/last-mile van, per road km it drives
    van_route_factor: float = 1.0
    """What a routed van tour costs per stem km (pickup to station, or station to delivery):
    tours return to the station and several consignments share one. The options price a van
    leg at stem km x van_cny_per_km x this; `plan_rail` sets it from the routed vans of its
    greedy start before the assignment (`qroute.rail.plan.van_route_factor`)."""
    truck_cny_per_km: float = 5.5  # a dedicated truck door to door (the fallback)
    truck_fixed_cny: float = 150.0
    road_factor: float = 1.3  # road km / great-circle km
    rail_factor: float = 1.15  # track km / great-circle km
    van_kmh: float = 40.0
    truck_kmh: float = 70.0
    truck_loading_min: int = 30
    station_cutoff_min: int = 30  # cargo at the station this long before departure
    unload_min: int = 20  # from arrival to the last-mile van leaving
    min_transfer_min: int = 25  # between arrival and the next departure at a transfer

    @property
    def van_leg_cny_per_km(self) -> float:
        """The estimated van price per stem km, before the vans are routed."""
        return self.van_cny_per_km * self.van_route_factor


@dataclass(frozen=True)
class RailNetwork:
    name: str
    stations: tuple[Station, ...]
    services: tuple[Service, ...]
    consignments: tuple[Consignment, ...]
    tariff: Tariff = field(default_factory=Tariff)

    def __post_init__(self) -> None:
        codes = [s.code for s in self.stations]
        if len(set(codes)) != len(codes):
            raise ValueError("station codes repeat")
        ids = [s.id for s in self.services]
        if len(set(ids)) != len(ids):
            raise ValueError("service ids repeat")
        cids = [c.id for c in self.consignments]
        if len(set(cids)) != len(cids):
            raise ValueError("consignment ids repeat")
        for service in self.services:
            for stop in service.stops:
                if stop.station not in codes:
                    raise ValueError(f"service {service.id}: unknown station {stop.station}")

    @cached_property
    def station(self) -> dict[str, Station]:
        return {s.code: s for s in self.stations}

    @cached_property
    def service(self) -> dict[str, Service]:
        return {s.id: s for s in self.services}

    @cached_property
    def consignment(self) -> dict[str, Consignment]:
        return {c.id: c for c in self.consignments}

    @cached_property
    def rides(self) -> dict[tuple[str, str], list[tuple[int, int, Service, int, int]]]:
        """(from, to) -> every (depart, arrive, service, board, alight), by departure."""
        out: dict[tuple[str, str], list[tuple[int, int, Service, int, int]]] = {}
        for s in self.services:
            for i, a in enumerate(s.stops):
                for j in range(i + 1, len(s.stops)):
                    b = s.stops[j]
                    out.setdefault((a.station, b.station), []).append((a.depart, b.arrive, s, i, j))
        for rides in out.values():
            rides.sort(key=lambda r: (r[0], r[1], r[2].id))
        return out

    def nearest_station(self, point: tuple[float, float]) -> Station:
        return min(self.stations, key=lambda s: great_circle(point, s.latlon))

    def road_km(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        return great_circle(a, b) * self.tariff.road_factor

    def rail_km(self, service: Service, board: int, alight: int) -> float:
        points = [self.station[s.station].latlon for s in service.stops[board : alight + 1]]
        return sum(great_circle(p, q) for p, q in zip(points, points[1:], strict=False)) * (
            self.tariff.rail_factor
        )

    def replace(self, **changes: object) -> RailNetwork:
        from dataclasses import replace

        return replace(self, **changes)  # type: ignore[arg-type]
