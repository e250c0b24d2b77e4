"""`run_rail`: the one rail code path (CLI, Prefect flow, benchmark, tests): plan, optional
disruption replan, independent validation, van routing, result.json / summary.md / map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qroute.rail.disruption import parse_disruption, replan
from qroute.rail.model import RailNetwork
from qroute.rail.plan import RailConfig, plan_rail
from qroute.rail.report import rail_payload, write_rail_outputs
from qroute.rail.samplers import RailSamplers
from qroute.rail.trucks import route_vans
from qroute.rail.validate import validate_plan


def run_rail(
    net: RailNetwork,
    config: RailConfig | None = None,
    *,
    disrupt: str | None = None,
    out_dir: str | Path | None = None,
    samplers: RailSamplers | None = None,
) -> dict[str, Any]:
    """The payload of result.json (also written with summary.md and corridor.png when
    `out_dir` is given)."""
    config = config or RailConfig()
    samplers = samplers or RailSamplers()
    d = parse_disruption(disrupt, net) if disrupt else None  # bad spec: before any solving
    plan = plan_rail(net, config, samplers)
    banned: frozenset[tuple[str, int]] = frozenset()
    at = None
    info = None
    if d is not None:
        done = replan(plan, d, config, samplers)
        info = {
            "spec": disrupt,
            "description": d.describe(),
            "affected": list(done.affected),
            "cost_before": round(done.cost_before, 2),
            "replan_seconds": round(done.wall_seconds, 3),
            "cancelled_segments": sorted(f"{s}#{k}" for s, k in done.banned),
            "base_plan": {
                "cost": round(plan.cost, 2),
                "greedy_cost": round(plan.greedy_cost, 2),
                "mip_cost": plan.mip.cost if plan.mip else None,
                "gap_to_mip_percent": plan.gap_percent,
                "windows": len(plan.records),
                "windows_adopted": sum(r.adopted for r in plan.records),
                "cloud_cost_usd": round(sum(r.cost_usd for r in plan.records), 6),
            },
            "mip_scope": "the replanned consignments, the others fixed",
        }
        plan, banned, at = done.plan, done.banned, d.at
    legs = {cid: plan.chosen(cid).legs for cid in plan.choice}
    validation = validate_plan(plan.network, legs, banned, at)
    tours = route_vans(plan.network, legs)
    payload = rail_payload(plan, validation, tours, disruption=info)
    if out_dir is not None:
        written = write_rail_outputs(out_dir, plan, payload, tours)
        payload["files"] = {k: str(v) for k, v in written.items()}
    return payload
