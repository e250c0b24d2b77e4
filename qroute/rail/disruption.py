"""Disruptions: a service delayed or cancelled at a given time, and the replan.

Syntax (``--disrupt``): ``SERVICE:+MIN[@HH:MM]`` delays every time of SERVICE at or after
HH:MM (default: its first departure) by MIN minutes; ``SERVICE:cancel@HH:MM`` cancels its
segments departing at or after HH:MM (the train stops at the next station).

Replan: consignments that do not use the service keep their plan. One that does is cut at
where it stands at the disruption time: not started yet -> replanned from its pickup; in its
first-mile van or on an earlier train -> keeps those legs and is replanned from the station
where it would board the service; aboard -> keeps the ride (delayed times) up to where the
train stops (cancel) or its alight station (delay), and is replanned from there. The
replanned set is solved like the plan itself (greedy, window QUBOs, MIP reference) on the
allowances the kept consignments leave; what already left is never changed.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace

from qroute.model.errors import UsageError
from qroute.rail.mip import solve_mip
from qroute.rail.model import RailNetwork
from qroute.rail.options import Leg, Option, Segment, candidate_options, capacities
from qroute.rail.plan import (
    RailConfig,
    RailPlan,
    WindowRecord,
    greedy,
    improve_windows,
    load_of,
    plan_cost,
    residual_of,
    weights_of,
)
from qroute.rail.samplers import RailSamplers

_SPEC = re.compile(
    r"^(?P<service>[A-Za-z0-9_-]+):(?:\+(?P<minutes>\d+)(?:@(?P<at>\d{1,2}:\d{2}))?"
    r"|cancel@(?P<cancel>\d{1,2}:\d{2}))$"
)


@dataclass(frozen=True)
class Disruption:
    service: str
    kind: str  # "delay" or "cancel"
    at: int  # minutes after midnight the disruption is known / takes effect
    minutes: int = 0

    def describe(self) -> str:
        from qroute.rail.model import hhmm

        if self.kind == "delay":
            return f"{self.service} delayed {self.minutes} min from {hhmm(self.at)}"
        return f"{self.service} cancelled from {hhmm(self.at)}"


def _clock(text: str) -> int:
    h, m = text.split(":")
    if int(m) > 59:
        raise UsageError(f"--disrupt: {text!r} is not a time HH:MM")
    return int(h) * 60 + int(m)


def parse_disruption(spec: str, net: RailNetwork) -> Disruption:
    """One-line UsageError for a malformed spec or an unknown service."""
    match = _SPEC.match(spec.strip())
    if not match:
        raise UsageError(f"--disrupt: {spec!r} is not SERVICE:+MIN[@HH:MM] or SERVICE:cancel@HH:MM")
    sid = match["service"]
    if sid not in net.service:
        raise UsageError(f"--disrupt: unknown service {sid!r}")
    if match["cancel"]:
        return Disruption(sid, "cancel", _clock(match["cancel"]))
    at = _clock(match["at"]) if match["at"] else net.service[sid].stops[0].depart
    minutes = int(match["minutes"])
    if minutes < 1:
        raise UsageError("--disrupt: a delay is at least 1 minute")
    return Disruption(sid, "delay", at, minutes)


def disrupted_network(net: RailNetwork, d: Disruption) -> tuple[RailNetwork, frozenset[Segment]]:
    """The network after the disruption and the cancelled segments."""
    s = net.service[d.service]
    if d.kind == "delay":
        services = tuple(x.delayed(d.minutes, d.at) if x.id == s.id else x for x in net.services)
        return net.replace(services=services), frozenset()
    banned = frozenset((s.id, k) for k in range(s.num_segments) if s.stops[k].depart >= d.at)
    return net, banned


@dataclass(frozen=True)
class Cut:
    prefix: tuple[Leg, ...]
    station: str | None  # None: replanned from the pickup
    earliest: int


def _cut(net2: RailNetwork, option: Option, d: Disruption) -> Cut | None:
    """Where a consignment stands at the disruption, or None if it is not affected."""
    t = net2.tariff
    legs = list(option.legs)
    idx = next((i for i, leg in enumerate(legs) if leg.service == d.service), None)
    if idx is None:
        return None
    leg = legs[idx]
    assert leg.board is not None and leg.alight is not None
    s = net2.service[d.service]
    if d.kind == "cancel" and all(s.stops[k].depart < d.at for k in range(leg.board, leg.alight)):
        return None  # off the train before the cancellation
    if (
        d.kind == "delay"
        and s.stops[leg.alight].arrive == leg.arrive
        and s.stops[leg.board].depart == leg.depart
    ):
        return None  # its part of the run is before the delay
    c = net2.consignment[option.consignment]
    if option.start >= d.at:  # not started: all of it again
        return Cut((), None, max(c.ready, d.at))
    if leg.depart >= d.at:  # not aboard yet: keep the legs before, stand at the boarding station
        before = tuple(legs[:idx])
        prev = before[-1]
        gap = t.station_cutoff_min if prev.mode == "van" else t.min_transfer_min
        return Cut(before, leg.origin, prev.arrive + gap)
    if d.kind == "cancel":  # aboard: ride to the stop where the train halts
        halt = next(
            k
            for k in range(leg.board + 1, leg.alight + 1)
            if s.stops[k].depart >= d.at or k == leg.alight
        )
        ride = replace(
            leg, destination=s.stops[halt].station, alight=halt, arrive=s.stops[halt].arrive
        )
    else:  # aboard a delayed train: ride with the new times
        ride = replace(leg, depart=s.stops[leg.board].depart, arrive=s.stops[leg.alight].arrive)
    return Cut((*legs[:idx], ride), ride.destination, ride.arrive + t.min_transfer_min)


def _join(prefix: tuple[Leg, ...], option: Option, net2: RailNetwork) -> Option:
    c = net2.consignment[option.consignment]
    legs = (*prefix, *option.legs)
    late = max(0, legs[-1].arrive - c.deadline)
    rail = sum(leg.cost for leg in legs if leg.mode == "rail")
    truck = sum(leg.cost for leg in legs if leg.mode != "rail")
    return Option(
        c.id, option.kind, legs, round(rail, 2), round(truck, 2), late, late * c.lateness_rate
    )


@dataclass(frozen=True)
class Replan:
    plan: RailPlan
    disruption: Disruption
    affected: tuple[str, ...]
    banned: frozenset[Segment]
    cost_before: float
    wall_seconds: float


def replan(
    base: RailPlan,
    d: Disruption,
    config: RailConfig | None = None,
    samplers: RailSamplers | None = None,
) -> Replan:
    """Reassign the consignments the disruption affects, keeping what already left."""
    config = config or RailConfig()
    samplers = samplers or RailSamplers()
    t0 = time.perf_counter()
    net2, banned = disrupted_network(base.network, d)
    options = {cid: tuple(opts) for cid, opts in base.options.items()}
    choice = dict(base.choice)
    affected = []
    for cid in sorted(choice):
        cut = _cut(net2, base.chosen(cid), d)
        if cut is None:
            continue
        c = net2.consignment[cid]
        suffix = candidate_options(
            net2, c, from_station=cut.station, earliest=cut.earliest, banned=banned
        )
        if cut.station is None:  # from the pickup: the truck then leaves no earlier than now
            joined = suffix
        else:
            joined = tuple(_join(cut.prefix, o, net2) for o in suffix)
        options[cid] = joined
        choice[cid] = 0
        affected.append(cid)
    weights = weights_of(net2)
    capacity = {seg: ((0, 0) if seg in banned else v) for seg, v in capacities(net2).items()}
    kept = frozenset(affected)
    residual = residual_of(capacity, load_of(choice, options, weights, kept))
    start = greedy(affected, options, residual, weights)
    choice.update(start)
    records: list[WindowRecord] = []
    if affected and config.policy != "exact":
        choice, records = improve_windows(
            net2,
            options,
            choice,
            capacity,
            config,
            samplers,
            time.perf_counter() + config.time_limit,
            ids=affected,
        )
    mip = None if affected else base.mip  # nothing replanned: the base reference holds
    if affected and (config.mip or config.policy == "exact"):
        mip = solve_mip(
            {c: options[c] for c in affected},
            residual,
            weights=weights,
            time_limit=config.time_limit,
        )
        if config.policy == "exact" and mip.choice:
            choice.update(mip.choice)
        fixed = sum(options[c][choice[c]].cost for c in choice if c not in kept)
        if mip.cost is not None:
            mip = replace(
                mip,
                cost=mip.cost + fixed,
                bound=(mip.bound or 0.0) + fixed,
                gap_percent=mip.gap_percent,
            )
    wall = time.perf_counter() - t0
    plan = RailPlan(
        net2,
        options,
        choice,
        plan_cost(choice, options),
        base.greedy_cost,
        tuple(records),
        mip,
        config.policy,
        wall,
        {"replan": wall},
    )
    return Replan(plan, d, tuple(affected), banned, base.cost, wall)
