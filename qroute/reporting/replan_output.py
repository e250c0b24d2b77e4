"""What `qroute replan` writes: the new plan as a self-contained, validatable folder.

instance.vrp holds the depot and the served orders only (explicit distances, and the
windows and service times when the plan has them), solution.sol the routes in that
numbering, so `qroute validate --instance DIR/instance.vrp --solution DIR/solution.sol`
checks the new plan; result.json lists the served and unserved order ids (with
reasons), the diff against the old plan and cost and lateness before and after;
summary.md says the same for people.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from qroute.hybrid.replan import ReplanResult, hhmm, route_departs
from qroute.model.errors import InputError, UsageError
from qroute.model.instances import read_instance, write_solution
from qroute.model.problem import Problem
from qroute.model.timeline import problem_timelines
from qroute.model.validation import validate


def default_out(plan_dir: Path, at: int) -> Path:
    """`<plan>-replan-HHMM`, numbered when taken: never the old folder."""
    base = plan_dir.with_name(f"{plan_dir.name}-replan-{at // 60:02d}{at % 60:02d}")
    out, k = base, 2
    while out.exists():
        out = base.with_name(f"{base.name}-{k}")
        k += 1
    return out


def _num(value: float) -> str:
    return repr(float(value))


def _instance_text(name: str, result: ReplanResult, nodes: list[int], windows: bool) -> str:
    day = result.day
    lines = [
        f"NAME : {name}",
        "COMMENT : qroute replan: the depot and the served orders",
        "TYPE : CVRP",
        f"DIMENSION : {len(nodes)}",
        "EDGE_WEIGHT_TYPE : EXPLICIT",
        "EDGE_WEIGHT_FORMAT : FULL_MATRIX",
        f"CAPACITY : {day.capacity:g}",
        "EDGE_WEIGHT_SECTION",
    ]
    for a in nodes:
        lines.append(" ".join(repr(float(day.distances[a, b])) for b in nodes))
    if day.coords is not None:
        lines.append("NODE_COORD_SECTION")
        lines.extend(
            f"{k} {_num(day.coords[a, 0])} {_num(day.coords[a, 1])}"
            for k, a in enumerate(nodes, start=1)
        )
    lines.append("DEMAND_SECTION")
    lines.extend(f"{k} {day.demand[a]}" for k, a in enumerate(nodes, start=1))
    if windows:
        lines.append("SERVICE_TIME_SECTION")
        lines.extend(f"{k} {float(day.service[a])!r}" for k, a in enumerate(nodes, start=1))
        lines.append("TIME_WINDOW_SECTION")
        lines.extend(
            f"{k} {_num(day.windows[a, 0])} {_num(day.windows[a, 1])}"
            for k, a in enumerate(nodes, start=1)
        )
    lines += ["DEPOT_SECTION", "1", "-1", "EOF"]
    return "\n".join(lines) + "\n"


def replan_payload(
    result: ReplanResult, plan_dir: Path, written: Problem, nodes: list[int]
) -> dict[str, Any]:
    """result.json of a replan; `nodes[k]` is the day's node behind the instance's node k."""
    day = result.day
    index = {a: k for k, a in enumerate(nodes)}
    routes = [[index[c] for c in r] for r in result.routes if r]
    report = validate(written, routes)
    ids = list(day.ids)
    kept = [r for r in result.routes if r]
    vehicles = [v.id for v, r in zip(result.vehicles, result.routes, strict=True) if r]
    payload: dict[str, Any] = {
        "instance": written.name,
        "source": "qroute replan",
        "plan": str(plan_dir),
        "replanned_at": hhmm(result.at),
        "events": [e.as_dict() for e in result.events],
        "status": "complete" if report.feasible else "infeasible",
        "feasible": report.feasible,
        "violations": list(report.violations),
        "cost": report.cost,
        "num_routes": report.num_routes,
        "routes": routes,
        "vehicles": vehicles,
        "route_orders": [[ids[c] for c in r] for r in kept],
        "served": [ids[c] for r in kept for c in r],
        "unserved": [{"id": i, "reason": why} for i, why in sorted(result.unserved.items())],
        "diff": result.diff,
        "before": result.before,
        "after": result.after,
        "repaired": result.repaired,
        "improved": result.improved,
        "order_ids": ["", *(ids[c] for c in nodes[1:])],
        "coord_kind": "latlon" if day.latlon else "planar",
        "priorities": [0, *(day.priority[c] for c in nodes[1:])],
        "departs": list(route_departs(result)),
        "fleet": len(result.vehicles) - sum(v.broken for v in result.vehicles),
    }
    if written.time_windows is not None:
        payload["timelines"] = [t.as_dict() for t in problem_timelines(written, routes)]
    return payload


def write_replan(result: ReplanResult, problem: Problem, plan_dir: Path, out: Path) -> Path:
    """Write instance.vrp, solution.sol, result.json and summary.md into a new folder."""
    kept = [r for r in result.routes if r]
    nodes = [0, *(c for r in kept for c in r)]
    final, out = out, out.with_name(f".{out.name}.partial")
    if out.exists():
        import shutil

        shutil.rmtree(out)
    out.mkdir(parents=True)
    windows = problem.time_windows is not None
    name = f"{problem.name}-replan-{result.at // 60:02d}{result.at % 60:02d}"
    (out / "instance.vrp").write_text(_instance_text(name, result, nodes, windows), "utf-8")
    written = read_instance(out / "instance.vrp")
    payload = replan_payload(result, plan_dir, written, nodes)
    write_solution(out / "solution.sol", payload["routes"], payload["cost"])
    (out / "result.json").write_text(json.dumps(payload, indent=2, default=_plain) + "\n", "utf-8")
    (out / "summary.md").write_text(replan_summary(payload), "utf-8")
    out.rename(final)  # all or nothing: a failed write leaves no half plan behind
    return final


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def replan_summary(payload: dict[str, Any]) -> str:
    before, after = payload["before"], payload["after"]
    lines = [
        f"# qroute replan at {payload['replanned_at']}: {payload['instance']}",
        "",
        f"From the plan in `{payload['plan']}`, {len(payload['events'])} event(s).",
        "",
        f"**Status: {payload['status']}** (independent validator on instance.vrp + "
        f"solution.sol){': ' + '; '.join(payload['violations']) if payload['violations'] else '.'}",
        "",
        "| | cost | lateness | orders served |",
        "| --- | ---: | ---: | ---: |",
        f"| old plan carried on | {before['cost']:.2f} | {before['lateness']:.1f} "
        f"| {before['served']:.0f} |",
        f"| repaired ({payload['repaired']['seconds']:.2f} s) | {payload['repaired']['cost']:.2f} "
        f"| {payload['repaired']['lateness']:.1f} | {payload['repaired']['served']:.0f} |",
        f"| new plan | {after['cost']:.2f} | {after['lateness']:.1f} | {after['served']:.0f} |",
        "",
        "## Diff",
        "",
    ]
    for key in ("moved", "added", "dropped"):
        ids = payload["diff"][key]
        lines.append(f"- {key} ({len(ids)}): {', '.join(ids) if ids else '-'}")
    lines += ["", "## Unserved", ""]
    lines.extend(f"- {u['id']}: {u['reason']}" for u in payload["unserved"])
    if not payload["unserved"]:
        lines.append("- none")
    lines += ["", "## Routes", ""]
    for vehicle, orders in zip(payload["vehicles"], payload["route_orders"], strict=True):
        lines.append(f"- vehicle {vehicle}: {' '.join(orders)}")
    return "\n".join(lines) + "\n"


def run_replan(
    plan_dir: str | Path,
    events_path: str | Path,
    at: str | None = None,
    time_limit: float = 5.0,
    seed: int = 0,
    out: str | Path | None = None,
) -> dict[str, Any]:
    """`qroute replan` as a plain function (the CLI and the Prefect flow call it): read,
    check, replan, write; returns the result.json payload plus `out`. Bad input raises
    InputError / UsageError before anything is written."""
    from qroute.hybrid.replan import load_plan, replan
    from qroute.model.events import parse_hhmm, read_events

    plan_dir = Path(plan_dir)
    plan = load_plan(plan_dir)
    events = read_events(events_path)
    when = None
    if at is not None:
        try:
            when = parse_hhmm(at)
        except ValueError as exc:
            raise UsageError(f"--at: {exc}") from None
    if time_limit <= 0:
        raise UsageError(f"--time-limit must be positive, got {time_limit:g}")
    target = Path(out) if out is not None else None
    if target is not None and (
        target.resolve() == plan_dir.resolve() or (target.exists() and any(target.iterdir()))
    ):
        raise InputError(target, "--out must be a new folder, never the old plan or a used one")
    result = replan(plan, events, when, time_limit=time_limit, seed=seed)  # raises on bad events
    target = target or default_out(plan_dir, result.at)
    if target.exists():
        target.rmdir()  # an empty folder given as --out
    write_replan(result, plan.problem, plan_dir, target)
    return dict(json.loads((target / "result.json").read_text(encoding="utf-8")), out=str(target))
