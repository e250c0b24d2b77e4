"""What a cold-chain run leaves behind: result.json, summary.md and a map by vehicle type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qroute.model.cold_chain import ColdChainPlan, ColdChainScenario
from qroute.model.cold_chain_validation import check_cold_chain, hhmm, route_km, route_timeline
from qroute.reporting.output import save_map


def cold_chain_payload(
    scenario: ColdChainScenario, plan: ColdChainPlan, wall_seconds: float, settings: dict[str, Any]
) -> dict[str, Any]:
    """The plan checked independently, with a timeline per route (HH:MM)."""
    report = check_cold_chain(scenario, plan)
    view_node = {o.id: k for k, o in enumerate(scenario.orders, start=1)}
    routes = []
    for route in plan.routes:
        kind = scenario.vehicle_type(route.vehicle_type)
        timeline = route_timeline(scenario, route)
        routes.append(
            {
                "vehicle_type": kind.name,
                "vehicle": route.vehicle,
                "refrigerated": kind.refrigerated,
                "depot": scenario.depots[kind.depot].name,
                "orders": list(route.orders),
                "km": route_km(scenario, route),
                "cost": route_km(scenario, route) * kind.cost_per_km,
                "load": sum(scenario.order(o).demand for o in route.orders),
                "timeline": {
                    "depart": hhmm(timeline.depart),
                    "back": hhmm(timeline.back),
                    "stops": [
                        {
                            "order": order_id,
                            "class": scenario.order(order_id).order_class.value,
                            "arrive": hhmm(v.arrive),
                            "wait": round(v.wait, 1),
                            "serve": hhmm(v.serve),
                            "leave": hhmm(v.leave),
                            "on_board": round(v.serve - timeline.depart, 1),
                        }
                        for order_id, v in zip(route.orders, timeline.visits, strict=True)
                    ],
                },
            }
        )
    return {
        "instance": scenario.name,
        "source": "yangtze-cold-chain",
        "solver": plan.algorithm,
        "status": "complete" if report.feasible else "infeasible",
        "feasible": report.feasible,
        "violations": list(report.violations),
        "cost": report.cost,
        "cost_unit": "CNY",
        "num_routes": report.num_routes,
        "wall_seconds": wall_seconds,
        "settings": settings,
        "vehicle_types": [vars(v) for v in scenario.vehicle_types],
        "served": list(plan.served),
        "unserved": [{"id": i, "reason": why} for i, why in plan.unserved],
        "cold_chain_routes": routes,
        # the single-depot Problem view's ids, so `qroute replan` can read this folder
        "routes": [[view_node[o] for o in r.orders] for r in plan.routes],
    }


def cold_chain_summary(payload: dict[str, Any]) -> str:
    lines = [f"# qroute cold chain: {payload['instance']}", ""]
    if payload["feasible"]:
        lines.append(
            f"**Status: complete.** The cold-chain checker accepts the plan: cost "
            f"{payload['cost']:.2f} CNY over {payload['num_routes']} routes; "
            f"{len(payload['served'])} orders served, {len(payload['unserved'])} unserved."
        )
    else:
        lines.append("**Status: INFEASIBLE.** The cold-chain checker found:")
        lines.extend(f"- {v}" for v in payload["violations"])
    lines += ["", f"Solver: {payload['solver']}", "", "## Unserved orders", ""]
    lines.extend(f"- {u['id']}: {u['reason']}" for u in payload["unserved"])
    if not payload["unserved"]:
        lines.append("- none")
    lines += ["", "## Route timelines", ""]
    lines.append("| vehicle | order | class | arrive | wait (min) | serve | leave | on board |")
    lines.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for route in payload["cold_chain_routes"]:
        name = f"{route['vehicle_type']} #{route['vehicle']}"
        tl = route["timeline"]
        lines.append(f"| {name} | depart | | | | | {tl['depart']} | |")
        for s in tl["stops"]:
            lines.append(
                f"| {name} | {s['order']} | {s['class']} | {s['arrive']} | {s['wait']} "
                f"| {s['serve']} | {s['leave']} | {s['on_board']} |"
            )
        lines.append(f"| {name} | back | | {tl['back']} | | | | |")
    lines += ["", "![routes](routes.png)"]
    return "\n".join(lines) + "\n"


def plot_cold_chain(scenario: ColdChainScenario, plan: ColdChainPlan, path: Path) -> Path:
    """Routes coloured by vehicle type (reefers blue shades, dry trucks orange); order
    markers by class; unserved orders grey crosses; depots black squares."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    xy = scenario.coords[:, ::-1]
    kinds = [v.name for v in scenario.vehicle_types]
    reefer = plt.get_cmap("Blues")
    dry = plt.get_cmap("Oranges")
    colours = {}
    for k, kind in enumerate(scenario.vehicle_types):
        cmap = reefer if kind.refrigerated else dry
        colours[kind.name] = cmap(0.45 + 0.5 * (k / max(1, len(kinds) - 1)))
    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    labelled: set[str] = set()
    for route in plan.routes:
        kind = scenario.vehicle_type(route.vehicle_type)
        depot = scenario.depots[kind.depot].node
        nodes = [depot, *(scenario.order(o).node for o in route.orders), depot]
        label = kind.name if kind.name not in labelled else None
        labelled.add(kind.name)
        ax.plot(xy[nodes, 0], xy[nodes, 1], "-", color=colours[kind.name], lw=1.6, label=label)
    markers = {"medical": "P", "perishable": "o", "general": "."}
    served = set(plan.served)
    for order_class, marker in markers.items():
        nodes = [o.node for o in scenario.orders if o.order_class == order_class and o.id in served]
        if nodes:
            ax.scatter(
                xy[nodes, 0],
                xy[nodes, 1],
                marker=marker,
                s=40,
                c="black",
                zorder=3,
                label=order_class,
            )
    dropped = [o.node for o in scenario.orders if o.id not in served]
    if dropped:
        ax.scatter(xy[dropped, 0], xy[dropped, 1], marker="x", s=40, c="grey", label="unserved")
    depots = [d.node for d in scenario.depots]
    ax.scatter(xy[depots, 0], xy[depots, 1], marker="s", s=110, c="black", zorder=4, label="depot")
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(f"{scenario.name}: routes by vehicle type")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8)
    ax.grid(alpha=0.2)
    return save_map(fig, path)


def write_cold_chain(
    out: Path, scenario: ColdChainScenario, plan: ColdChainPlan, payload: dict[str, Any]
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    (out / "summary.md").write_text(cold_chain_summary(payload), encoding="utf-8")
    plot_cold_chain(scenario, plan, out / "routes.png")
