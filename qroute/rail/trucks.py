"""First and last mile: the van legs to the origin station and from the destination station,
grouped per station and train (pickups for one departure, deliveries from one arrival) and
routed as small CVRPs with the existing Clarke-Wright savings baseline
(qroute.baselines.savings), the station as depot. The assignment priced each van leg as a
per-consignment stem (road km x rate); the routed tours are what the vans really drive, and
both are reported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qroute.model.problem import Problem, Rounding, great_circle_km
from qroute.rail.model import RailNetwork, hhmm
from qroute.rail.options import Leg

VAN_CAPACITY_KG = 2000


@dataclass(frozen=True)
class VanTour:
    kind: str  # "pickup" (first mile) or "delivery" (last mile)
    station: str
    service: str
    time: int  # train departure (pickup) or arrival (delivery)
    consignments: tuple[str, ...]  # in driving order
    km: float
    cost: float

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "station": self.station,
            "service": self.service,
            "train_time": hhmm(self.time),
            "consignments": list(self.consignments),
            "km": round(self.km, 2),
            "cost": round(self.cost, 2),
        }


def _tours(
    net: RailNetwork,
    kind: str,
    station: str,
    service: str,
    time: int,
    members: Sequence[tuple[str, tuple[float, float], int]],
) -> list[VanTour]:
    from qroute.baselines.savings import savings_routes

    depot = net.station[station].latlon
    coords = np.array([depot, *[m[1] for m in members]])
    distances = great_circle_km(coords) * net.tariff.road_factor
    problem = Problem(
        name=f"{kind}-{station}-{service}",
        distances=distances,
        demands=np.array([0, *[m[2] for m in members]], dtype=np.int64),
        capacity=float(VAN_CAPACITY_KG),
        rounding=Rounding.ROAD,
        coords=coords,
        coord_kind="latlon",
    )
    routes = savings_routes(problem)
    rate = net.tariff.van_cny_per_km
    out = []
    for route in routes:
        km = problem.route_cost(route)
        out.append(
            VanTour(
                kind, station, service, time, tuple(members[i - 1][0] for i in route), km, km * rate
            )
        )
    return out


def route_vans(net: RailNetwork, legs: Mapping[str, Sequence[Leg]]) -> list[VanTour]:
    """Van tours for every rail plan: one CVRP per (station, train) group."""
    pickups: dict[tuple[str, str, int], list[tuple[str, tuple[float, float], int]]] = {}
    drops: dict[tuple[str, str, int], list[tuple[str, tuple[float, float], int]]] = {}
    for cid, plan in legs.items():
        c = net.consignment[cid]
        rail = [leg for leg in plan if leg.mode == "rail"]
        if not rail:
            continue
        if plan[0].mode == "van" and plan[0].origin == "pickup":
            key = (rail[0].origin, rail[0].service or "", rail[0].depart)
            pickups.setdefault(key, []).append((cid, c.origin, c.weight_kg))
        if plan[-1].mode == "van":
            key = (rail[-1].destination, rail[-1].service or "", rail[-1].arrive)
            drops.setdefault(key, []).append((cid, c.destination, c.weight_kg))
    tours: list[VanTour] = []
    for kind, groups in (("pickup", pickups), ("delivery", drops)):
        for (station, service, time), members in sorted(groups.items()):
            tours.extend(_tours(net, kind, station, service, time, members))
    return tours
