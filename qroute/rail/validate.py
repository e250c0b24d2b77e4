"""An independent check of a rail plan against the network: it recomputes everything from
the timetable and the consignments and trusts nothing the solver stated except the legs.

Checks: every consignment exactly once; legs chained in place and time (van -> rail needs
the station cut-off, rail -> rail the minimum transfer, rail -> van the unloading time);
rail legs match the timetable (service, stops, times); the first leg starts at the pickup (or,
after a disruption, where the consignment stood) no earlier than ready; the last leg ends at
the delivery; kg and slot allowances hold on every service segment; lateness is recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qroute.rail.model import RailNetwork, hhmm
from qroute.rail.options import Leg


@dataclass(frozen=True)
class RailValidation:
    feasible: bool
    violations: tuple[str, ...]
    lateness_min: dict[str, int] = field(default_factory=dict)
    load: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "violations": list(self.violations),
            "late_consignments": sum(1 for v in self.lateness_min.values() if v > 0),
            "lateness_minutes": sum(self.lateness_min.values()),
        }


def validate_plan(
    net: RailNetwork,
    legs: Mapping[str, Sequence[Leg]],
    banned: frozenset[tuple[str, int]] = frozenset(),
    started_before: int | None = None,
) -> RailValidation:
    """`banned`: cancelled segments, which no leg departing at or after `started_before`
    (the disruption time) may use."""
    t = net.tariff
    problems: list[str] = []
    late: dict[str, int] = {}
    load: dict[tuple[str, int], list[int]] = {}
    missing = [c.id for c in net.consignments if c.id not in legs]
    problems += [f"{cid}: not in the plan" for cid in missing]
    problems += [f"{cid}: unknown consignment" for cid in legs if cid not in net.consignment]
    for cid, plan in legs.items():
        c = net.consignment.get(cid)
        if c is None:
            continue
        if not plan:
            problems.append(f"{cid}: no legs")
            continue
        if plan[0].depart < c.ready:
            problems.append(f"{cid}: first leg leaves {plan[0].depart} before ready {c.ready}")
        if plan[0].origin != "pickup" and plan[0].origin not in net.station:
            problems.append(f"{cid}: first leg starts at {plan[0].origin}")
        if plan[-1].destination != "delivery":
            problems.append(f"{cid}: last leg ends at {plan[-1].destination}, not the delivery")
        for a, b in zip(plan, plan[1:], strict=False):
            if a.destination != b.origin:
                problems.append(
                    f"{cid}: leg ends at {a.destination} but the next starts at {b.origin}"
                )
            gap = {
                ("van", "rail"): t.station_cutoff_min,
                ("rail", "rail"): t.min_transfer_min,
                ("rail", "van"): t.unload_min,
            }.get((a.mode, b.mode), 0)
            if b.depart < a.arrive + gap:
                problems.append(
                    f"{cid}: {b.mode} leg at {b.origin} leaves {hhmm(b.depart)}, "
                    f"needs >= {hhmm(a.arrive + gap)}"
                )
        for leg in plan:
            if leg.arrive < leg.depart:
                problems.append(f"{cid}: a leg arrives before it leaves")
            if leg.mode != "rail":
                continue
            s = net.service.get(leg.service or "")
            if s is None or leg.board is None or leg.alight is None:
                problems.append(f"{cid}: rail leg on unknown service {leg.service}")
                continue
            if not 0 <= leg.board < leg.alight < len(s.stops):
                problems.append(f"{cid}: {s.id} stops {leg.board}->{leg.alight} out of range")
                continue
            board, alight = s.stops[leg.board], s.stops[leg.alight]
            if (board.station, alight.station) != (leg.origin, leg.destination):
                problems.append(f"{cid}: {s.id} does not run {leg.origin}->{leg.destination} there")
            if (board.depart, alight.arrive) != (leg.depart, leg.arrive):
                problems.append(f"{cid}: {s.id} times differ from the timetable")
            for k in range(leg.board, leg.alight):
                if (s.id, k) in banned and s.stops[k].depart >= (started_before or 0):
                    problems.append(f"{cid}: uses cancelled segment {s.id}#{k}")
                row = load.setdefault((s.id, k), [0, 0])
                row[0] += c.weight_kg
                row[1] += c.slots
        late[cid] = max(0, plan[-1].arrive - c.deadline)
    for (sid, k), (kg, slots) in sorted(load.items()):
        s = net.service[sid]
        if kg > s.capacity_kg[k]:
            problems.append(f"{sid}#{k}: {kg} kg over the {s.capacity_kg[k]} kg allowance")
        if slots > s.capacity_slots[k]:
            problems.append(f"{sid}#{k}: {slots} slots over the {s.capacity_slots[k]} allowance")
    return RailValidation(
        not problems, tuple(problems), late, {seg: (v[0], v[1]) for seg, v in load.items()}
    )
