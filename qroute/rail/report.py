"""What a rail plan writes: result.json (the plan, loads, late and truck lists with reasons,
the MIP gap, provenance classes), summary.md and corridor.png."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qroute.model.provenance import PROVENANCE_CLASSES
from qroute.rail.model import RailNetwork, hhmm
from qroute.rail.options import Leg, Option
from qroute.rail.plan import RailPlan
from qroute.rail.trucks import VanTour
from qroute.rail.validate import RailValidation
from qroute.reporting.output import (
    RESULT_JSON,
    SUMMARY_MD,
    jsonable,
    save_map,
    set_lonlat_aspect,
)
from qroute.reporting.payloads import RailResultPayload

MAP_PNG = "corridor.png"


def leg_dict(leg: Leg) -> dict[str, Any]:
    out: dict[str, Any] = {
        "mode": leg.mode,
        "from": leg.origin,
        "to": leg.destination,
        "depart": hhmm(leg.depart),
        "arrive": hhmm(leg.arrive),
        "km": round(leg.km, 2),
        "cost": leg.cost,
    }
    if leg.service:
        out["service"] = leg.service
    return out


def _truck_reason(net: RailNetwork, option: Option, options: Sequence[Option]) -> str:
    rail = [o for o in options if o.kind != "truck"]
    if not rail:
        o = net.nearest_station(net.consignment[option.consignment].origin).code
        d = net.nearest_station(net.consignment[option.consignment].destination).code
        if o == d:
            return f"origin and destination share the nearest station {o}"
        return "no service or one-transfer path reaches the destination station in time"
    if rail[0].cost > option.cost:
        return "the truck is cheaper than every rail option (lateness included)"
    return "rail allowances taken by consignments that lose more by truck"


def _late_reason(option: Option, options: Sequence[Option]) -> str:
    on_time = [o for o in options if o.lateness_min == 0]
    if not on_time:
        return "no option arrives by the deadline"
    extra = min(o.cost for o in on_time) - option.cost
    if extra < 0:
        return "its on-time options run on segments whose allowance others use"
    return f"arriving on time would cost {extra:.2f} CNY more than the lateness"


def load_table(plan: RailPlan) -> list[dict[str, Any]]:
    net = plan.network
    load: dict[tuple[str, int], list[int]] = {}
    for cid in plan.choice:
        c = net.consignment[cid]
        for seg in plan.chosen(cid).segments:
            row = load.setdefault(seg, [0, 0, 0])
            row[0] += c.weight_kg
            row[1] += c.slots
            row[2] += 1
    rows = []
    for s in net.services:
        for k in range(s.num_segments):
            kg, slots, n = load.get((s.id, k), [0, 0, 0])
            rows.append(
                {
                    "service": s.id,
                    "segment": k,
                    "from": s.stops[k].station,
                    "to": s.stops[k + 1].station,
                    "depart": hhmm(s.stops[k].depart),
                    "kg": kg,
                    "capacity_kg": s.capacity_kg[k],
                    "slots": slots,
                    "capacity_slots": s.capacity_slots[k],
                    "consignments": n,
                }
            )
    return rows


def class_counts(plan: RailPlan) -> dict[str, Any]:
    """Windows solved and adopted per provenance class (repaired answers are credited to
    'repair', never to the sampler), and which class set each consignment's final choice."""
    solved = Counter(r.provenance_class for r in plan.records)
    adopted = Counter(
        ("repair" if r.repaired else r.provenance_class) for r in plan.records if r.adopted
    )
    return {
        "classes": list(PROVENANCE_CLASSES),
        "windows_solved": {k: solved.get(k, 0) for k in PROVENANCE_CLASSES},
        "windows_adopted": {k: adopted.get(k, 0) for k in (*PROVENANCE_CLASSES, "repair")},
        "backends_used": dict(Counter(r.backend_used for r in plan.records)),
    }


def rail_payload(
    plan: RailPlan,
    validation: RailValidation,
    tours: Sequence[VanTour],
    *,
    disruption: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    net = plan.network
    items = []
    trucked = []
    late = []
    for c in net.consignments:
        option = plan.chosen(c.id)
        items.append(
            {
                "consignment": c.id,
                "priority": c.priority,
                "kind": option.kind,
                "ready": hhmm(c.ready),
                "deadline": hhmm(c.deadline),
                "arrival": hhmm(option.arrival),
                "lateness_min": option.lateness_min,
                "cost": round(option.cost, 2),
                "legs": [leg_dict(leg) for leg in option.legs],
            }
        )
        if option.kind == "truck":
            trucked.append(
                {"consignment": c.id, "reason": _truck_reason(net, option, plan.options[c.id])}
            )
        if option.lateness_min > 0:
            late.append(
                {
                    "consignment": c.id,
                    "priority": c.priority,
                    "minutes": option.lateness_min,
                    "reason": _late_reason(option, plan.options[c.id]),
                }
            )
    mip = plan.mip
    rail_cost = sum(plan.chosen(c).rail_cost for c in plan.choice)
    truck_cost = sum(plan.chosen(c).truck_cost for c in plan.choice)
    late_cost = sum(plan.chosen(c).lateness_cost for c in plan.choice)
    tours_cost = sum(t.cost for t in tours)
    van_estimate = sum(
        leg.cost for c in plan.choice for leg in plan.chosen(c).legs if leg.mode == "van"
    )
    payload: dict[str, Any] = {
        "scenario": net.name,
        "policy": plan.policy,
        "consignments": len(net.consignments),
        "services": len(net.services),
        "cost": round(plan.cost, 2),
        "cost_breakdown": {
            "rail": round(rail_cost, 2),
            "truck_and_van": round(truck_cost, 2),
            "lateness": round(late_cost, 2),
        },
        "greedy_cost": round(plan.greedy_cost, 2),
        "feasible": validation.feasible,
        "validation": validation.as_dict(),
        "mip": None
        if mip is None
        else {
            "cost": mip.cost,
            "bound": mip.bound,
            "proven_gap_percent": mip.gap_percent,
            "optimal": mip.optimal,
            "status": mip.status,
            "wall_seconds": round(mip.wall_seconds, 3),
        },
        "gap_to_mip_percent": None if plan.gap_percent is None else round(plan.gap_percent, 4),
        "provenance": class_counts(plan),
        "windows": [r.as_dict() for r in plan.records],
        "cloud_cost_usd": round(sum(r.cost_usd for r in plan.records), 6),
        "plan": items,
        "service_loads": load_table(plan),
        "by_truck": trucked,
        "late": late,
        "unassigned": [],  # every consignment has a plan: the truck is always an option
        "van_tours": [t.as_dict() for t in tours],
        "van_tour_cost": round(tours_cost, 2),
        "van_stem_estimate": round(van_estimate, 2),
        "van_route_factor": net.tariff.van_route_factor,
        "van_estimate_error_percent": None
        if not tours_cost
        else round((van_estimate - tours_cost) / tours_cost * 100, 2),
        "wall_seconds": round(plan.wall_seconds, 3),
        "phase_seconds": {k: round(v, 3) for k, v in plan.phase_seconds.items()},
    }
    if disruption is not None:
        payload["disruption"] = dict(disruption)
    return typed_rail_result(payload)


def typed_rail_result(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`payload` checked against the rail result.json model
    (qroute.reporting.payloads.RailResultPayload, schema docs/schemas/rail-result.schema.json;
    a wrong type raises pydantic.ValidationError) as plain JSON data."""
    model = RailResultPayload.model_validate(jsonable(payload))
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def summary_markdown(payload: Mapping[str, Any]) -> str:
    mip = payload.get("mip") or {}
    gap = payload.get("gap_to_mip_percent")
    prov = payload["provenance"]
    lines = [
        f"# qroute rail: {payload['scenario']}",
        "",
        f"- policy `{payload['policy']}`, {payload['consignments']} consignments, "
        f"{payload['services']} services; feasible: **{payload['feasible']}**",
        f"- cost **{payload['cost']:,.2f} CNY** (rail {payload['cost_breakdown']['rail']:,.2f}, "
        f"truck and van {payload['cost_breakdown']['truck_and_van']:,.2f}, lateness "
        f"{payload['cost_breakdown']['lateness']:,.2f}); "
        f"greedy start {payload['greedy_cost']:,.2f}",
        f"- MIP (HiGHS): {mip.get('cost', '–')} "
        f"(proven gap {mip.get('proven_gap_percent', '–')} %, {mip.get('wall_seconds', '–')} s); "
        f"plan vs MIP: {'–' if gap is None else f'{gap:+.3f} %'}",
        f"- windows solved per class: {prov['windows_solved']}; adopted: {prov['windows_adopted']}",
        f"- by truck: {len(payload['by_truck'])}; late: {len(payload['late'])}; "
        f"van tours: {len(payload['van_tours'])} ({payload['van_tour_cost']:,.2f} CNY routed vs "
        f"{payload['van_stem_estimate']:,.2f} estimated before routing, stem km x "
        f"{payload['van_route_factor']:.3f})",
    ]
    paid = [w for w in payload["windows"] if w.get("cost_usd")]
    if paid:
        lines.append(
            f"- paid windows: {len(paid)}, cloud cost **${payload['cloud_cost_usd']:.4f}** "
            "(the run's ledger rows, in the output folder)"
        )
    if payload.get("disruption"):
        d = payload["disruption"]
        lines.append(
            f"- disruption: {d['description']}; {len(d['affected'])} consignments "
            f"replanned in {d['replan_seconds']:.2f} s; cost before "
            f"{d['cost_before']:,.2f}"
        )
    if payload["validation"]["violations"]:
        lines += ["", "## Violations", ""] + [f"- {v}" for v in payload["validation"]["violations"]]
    if payload["late"]:
        lines += [
            "",
            "## Late",
            "",
            "| consignment | priority | minutes | reason |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {x['consignment']} | {x['priority']} | {x['minutes']} | {x['reason']} |"
            for x in payload["late"]
        ]
    busy = sorted(payload["service_loads"], key=lambda r: -r["kg"] / r["capacity_kg"])[:10]
    lines += [
        "",
        "## Fullest segments",
        "",
        "| service | segment | kg / allowance | slots / allowance |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['service']} | {r['from']}->{r['to']} {r['depart']} | {r['kg']} / "
        f"{r['capacity_kg']} | {r['slots']} / {r['capacity_slots']} |"
        for r in busy
    ]
    lines += ["", f"![corridor]({MAP_PNG})", ""]
    return "\n".join(lines)


def plot_corridor(plan: RailPlan, tours: Sequence[VanTour], path: str | Path) -> Path:
    """Stations, the services' tracks (line width = cargo carried), truck fallbacks and van
    tours, lon/lat."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    net = plan.network
    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    carried: Counter[tuple[str, str]] = Counter()
    for cid in plan.choice:
        for leg in plan.chosen(cid).legs:
            if leg.mode == "rail" and leg.service:
                s = net.service[leg.service]
                assert leg.board is not None and leg.alight is not None
                for k in range(leg.board, leg.alight):
                    a, b = sorted((s.stops[k].station, s.stops[k + 1].station))
                    carried[(a, b)] += net.consignment[cid].weight_kg
    tracks = {
        tuple(sorted((s.stops[k].station, s.stops[k + 1].station)))
        for s in net.services
        for k in range(s.num_segments)
    }
    top = max(carried.values(), default=1)
    for a, b in sorted(tracks):
        pa, pb = net.station[a], net.station[b]
        width = 1.0 + 7.0 * carried.get((a, b), 0) / top
        ax.plot(
            [pa.lon, pb.lon], [pa.lat, pb.lat], "-", color="tab:blue", lw=width, alpha=0.6, zorder=1
        )
    for t in tours:
        st = net.station[t.station]
        pts = [
            net.consignment[c].origin if t.kind == "pickup" else net.consignment[c].destination
            for c in t.consignments
        ]
        xs = [st.lon, *[p[1] for p in pts], st.lon]
        ys = [st.lat, *[p[0] for p in pts], st.lat]
        ax.plot(
            xs,
            ys,
            "-",
            color="tab:green" if t.kind == "pickup" else "tab:orange",
            lw=0.6,
            alpha=0.7,
            zorder=2,
        )
    for cid in plan.choice:
        option = plan.chosen(cid)
        if option.kind == "truck":
            c = net.consignment[cid]
            ax.plot(
                [c.origin[1], c.destination[1]],
                [c.origin[0], c.destination[0]],
                ":",
                color="tab:red",
                lw=0.8,
                alpha=0.7,
                zorder=2,
            )
    ax.plot([], [], "-", color="tab:blue", label="HSR segment (width = kg carried)")
    ax.plot([], [], "-", color="tab:green", label="first-mile van tour")
    ax.plot([], [], "-", color="tab:orange", label="last-mile van tour")
    ax.plot([], [], ":", color="tab:red", label="direct truck")
    for st in net.stations:
        ax.scatter([st.lon], [st.lat], s=40, c="black", zorder=4)
        ax.annotate(
            st.name, (st.lon, st.lat), fontsize=7, xytext=(4, 4), textcoords="offset points"
        )
    set_lonlat_aspect(ax, sum(s.lat for s in net.stations) / len(net.stations))
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(f"{net.name}: cost {plan.cost:,.0f} CNY")
    ax.legend(loc="lower left", fontsize=7)
    ax.grid(alpha=0.2)
    return save_map(fig, path)


def write_rail_outputs(
    out_dir: str | Path, plan: RailPlan, payload: Mapping[str, Any], tours: Sequence[VanTour]
) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"result": out / RESULT_JSON, "summary": out / SUMMARY_MD, "map": out / MAP_PNG}
    # the rail result has its own model (RailResultPayload), not the routing ResultPayload
    text = json.dumps(typed_rail_result(payload), indent=2) + "\n"
    written["result"].write_text(text, encoding="utf-8")
    written["summary"].write_text(summary_markdown(payload), encoding="utf-8")
    plot_corridor(plan, tours, written["map"])
    return written
