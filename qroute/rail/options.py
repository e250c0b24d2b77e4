"""Candidate options per consignment and their costs.

Each consignment may go (a) direct by one train service, (b) by two services with one
transfer (the second departs at least `min_transfer_min` after the first arrives), or (c) by
a dedicated truck door to door (always possible, the fallback). A rail option adds the van
stems to the origin station and from the destination station, estimated before the vans
are routed as stem road km x `Tariff.van_leg_cny_per_km` (the van rate times the measured
tour-to-stem factor; the routed first/last mile is reported beside it, see
qroute.rail.trucks). Cost = rail tariff + truck legs + lateness x the priority's rate.

Only the `max_direct` earliest direct departures and the `max_transfer` earliest-arriving
transfer paths are kept: later trains of the same kind cost the same tariff and arrive later,
so they are never better unless capacity binds, which the kept alternatives (and the truck)
cover. For each first leg of a transfer path only the `TRANSFER_SCAN` earliest onward
departures are looked at (`RailNetwork.rides` indexes rides by station pair).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qroute.rail.model import Consignment, RailNetwork, Service

MAX_DIRECT = 3
MAX_TRANSFER = 2
TRANSFER_SCAN = 4  # onward trains looked at per first leg, earliest departures first

Segment = tuple[str, int]  # (service id, segment index)


@dataclass(frozen=True)
class Leg:
    mode: str  # "truck" (dedicated), "van" (first/last mile) or "rail"
    origin: str  # station code, or "pickup" / "delivery" for the addresses
    destination: str
    depart: int
    arrive: int
    km: float
    cost: float
    service: str | None = None
    board: int | None = None  # stop index of the service
    alight: int | None = None


@dataclass(frozen=True)
class Option:
    consignment: str
    kind: str  # "direct", "transfer" or "truck"
    legs: tuple[Leg, ...]
    rail_cost: float
    truck_cost: float
    lateness_min: int
    lateness_cost: float

    @property
    def cost(self) -> float:
        return self.rail_cost + self.truck_cost + self.lateness_cost

    @property
    def arrival(self) -> int:
        return self.legs[-1].arrive

    @property
    def start(self) -> int:
        """When the consignment first moves on this option."""
        return self.legs[0].depart

    @property
    def segments(self) -> tuple[Segment, ...]:
        out: list[Segment] = []
        for leg in self.legs:
            if leg.mode == "rail" and leg.service is not None:
                assert leg.board is not None and leg.alight is not None
                out.extend((leg.service, k) for k in range(leg.board, leg.alight))
        return tuple(out)

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(leg.service for leg in self.legs if leg.service is not None)


def _minutes(km: float, kmh: float) -> int:
    return math.ceil(km / kmh * 60)


def truck_option(
    net: RailNetwork,
    c: Consignment,
    start_at: tuple[float, float] | None = None,
    start_label: str = "pickup",
    earliest: int | None = None,
) -> Option:
    t = net.tariff
    origin = start_at or c.origin
    depart = c.ready if earliest is None else earliest
    km = net.road_km(origin, c.destination)
    arrive = depart + t.truck_loading_min + _minutes(km, t.truck_kmh)
    cost = t.truck_fixed_cny + km * t.truck_cny_per_km
    late = max(0, arrive - c.deadline)
    leg = Leg("truck", start_label, "delivery", depart, arrive, round(km, 3), round(cost, 2))
    return Option(c.id, "truck", (leg,), 0.0, round(cost, 2), late, late * c.lateness_rate)


def _rail_leg(net: RailNetwork, s: Service, board: int, alight: int, c: Consignment) -> Leg:
    t = net.tariff
    km = net.rail_km(s, board, alight)
    cost = c.weight_kg * km * t.rail_cny_per_kg_km + c.slots * t.rail_cny_per_slot
    return Leg(
        "rail",
        s.stops[board].station,
        s.stops[alight].station,
        s.stops[board].depart,
        s.stops[alight].arrive,
        round(km, 3),
        round(cost, 2),
        s.id,
        board,
        alight,
    )


def candidate_options(
    net: RailNetwork,
    c: Consignment,
    *,
    from_station: str | None = None,
    earliest: int | None = None,
    banned: frozenset[Segment] = frozenset(),
    max_direct: int = MAX_DIRECT,
    max_transfer: int = MAX_TRANSFER,
) -> tuple[Option, ...]:
    """The consignment's options, cheapest first; the truck option is always among them.

    `from_station`/`earliest`: replan a consignment that already stands at a station (after
    a disruption) from there; `banned` segments (cancelled) are not used."""
    t = net.tariff
    o_station = net.station[from_station] if from_station else net.nearest_station(c.origin)
    d_station = net.nearest_station(c.destination)
    ready = c.ready if earliest is None else earliest
    start_point = o_station.latlon if from_station else c.origin
    start_label = o_station.code if from_station else "pickup"
    truck = truck_option(net, c, start_point, start_label, ready)
    if o_station.code == d_station.code:
        if not from_station:
            return (truck,)
        km = net.road_km(d_station.latlon, c.destination)  # already at the right station
        cost = round(km * t.van_leg_cny_per_km, 2)
        leg = Leg(
            "van",
            d_station.code,
            "delivery",
            ready,
            ready + _minutes(km, t.van_kmh),
            round(km, 3),
            cost,
        )
        late = max(0, leg.arrive - c.deadline)
        van_only = Option(c.id, "van", (leg,), 0.0, cost, late, late * c.lateness_rate)
        return tuple(sorted((van_only, truck), key=lambda o: o.cost))
    fm_km = 0.0 if from_station else net.road_km(c.origin, o_station.latlon)
    fm_min = 0 if from_station else _minutes(fm_km, t.van_kmh)
    lm_km = net.road_km(d_station.latlon, c.destination)
    lm_min = _minutes(lm_km, t.van_kmh)
    cutoff = 0 if from_station else t.station_cutoff_min
    earliest_departure = ready + fm_min + cutoff

    def usable(s: Service, board: int, alight: int) -> bool:
        return all((s.id, k) not in banned for k in range(board, alight))

    rides = net.rides
    paths: list[tuple[Service, int, int, Service | None, int, int]] = []
    direct = []
    for depart, arrive, s, i, j in rides.get((o_station.code, d_station.code), ()):
        if depart >= earliest_departure and usable(s, i, j):
            direct.append((arrive, s.id, s, i, j))
    direct.sort(key=lambda d: (d[0], d[1]))
    paths.extend((s, i, j, None, 0, 0) for _, _, s, i, j in direct[:max_direct])
    transfers = []
    through = {s.id for _, _, s, _, _ in rides.get((o_station.code, d_station.code), ())}
    for hub in net.stations:
        firsts = rides.get((o_station.code, hub.code), ())
        seconds = rides.get((hub.code, d_station.code), ())
        if not firsts or not seconds:
            continue
        departures = [r[0] for r in seconds]
        for depart, arrive_x, s1, i, xi in firsts:
            if depart < earliest_departure or s1.id in through or not usable(s1, i, xi):
                continue  # a service that goes there itself is a direct option
            found = 0
            for _, _, s2, a, b in seconds[bisect_left(departures, arrive_x + t.min_transfer_min) :]:
                if s2.id == s1.id or not usable(s2, a, b):
                    continue
                transfers.append((s2.stops[b].arrive, s1.id, s2.id, s1, i, xi, s2, a, b))
                found += 1
                if found >= TRANSFER_SCAN:
                    break
    transfers.sort(key=lambda p: p[:3])
    paths.extend((s1, i, x, s2, a, b) for _, _, _, s1, i, x, s2, a, b in transfers[:max_transfer])

    options = [truck]
    for first, i, x, second, a, b in paths:
        legs = []
        van = 0.0
        if not from_station:
            fm_cost = fm_km * t.van_leg_cny_per_km
            van += fm_cost
            board_time = first.stops[i].depart - cutoff
            legs.append(
                Leg(
                    "van",
                    "pickup",
                    o_station.code,
                    board_time - fm_min,
                    board_time,
                    round(fm_km, 3),
                    round(fm_cost, 2),
                )
            )
        rail = [_rail_leg(net, first, i, x, c)]
        if second is not None:
            rail.append(_rail_leg(net, second, a, b, c))
        legs.extend(rail)
        lm_cost = lm_km * t.van_leg_cny_per_km
        van += lm_cost
        unload = rail[-1].arrive + t.unload_min
        legs.append(
            Leg(
                "van",
                d_station.code,
                "delivery",
                unload,
                unload + lm_min,
                round(lm_km, 3),
                round(lm_cost, 2),
            )
        )
        late = max(0, legs[-1].arrive - c.deadline)
        options.append(
            Option(
                c.id,
                "direct" if second is None else "transfer",
                tuple(legs),
                round(sum(leg.cost for leg in rail), 2),
                round(van, 2),
                late,
                late * c.lateness_rate,
            )
        )
    options.sort(key=lambda o: (o.cost, o.kind, o.services))
    return tuple(options)


def all_options(net: RailNetwork) -> dict[str, tuple[Option, ...]]:
    return {c.id: candidate_options(net, c) for c in net.consignments}


def capacities(net: RailNetwork) -> dict[Segment, tuple[int, int]]:
    """(kg, slots) allowance of every service segment."""
    return {
        (s.id, k): (s.capacity_kg[k], s.capacity_slots[k])
        for s in net.services
        for k in range(s.num_segments)
    }


def load_of(
    choice: Mapping[str, int],
    options: Mapping[str, Sequence[Option]],
    weights: Mapping[str, tuple[int, int]],
    skip: frozenset[str] = frozenset(),
) -> dict[Segment, list[int]]:
    """[kg, slots] on every segment that `choice` uses (consignments in `skip` left out)."""
    load: dict[Segment, list[int]] = {}
    for cid, k in choice.items():
        if cid in skip:
            continue
        for seg in options[cid][k].segments:
            row = load.setdefault(seg, [0, 0])
            row[0] += weights[cid][0]
            row[1] += weights[cid][1]
    return load
