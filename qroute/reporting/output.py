"""What a `qroute solve` run leaves behind: result.json, summary.md, routes.png, solution.sol.

Everything here works on plain data (a `Problem`, routes, and the result payload dict), so
it is testable without Prefect. The payload is built by `result_payload`; the hybrid's
feasibility is always re-checked here with the independent validator, so an infeasible
answer is never written up as a complete one.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from qroute.model.data import best_known, gap_percent
from qroute.model.problem import Problem
from qroute.model.provenance import PROVENANCE_CLASSES, QUANTUM_CLASSES, provenance_class
from qroute.model.validation import validate
from qroute.reporting.payloads import ResultPayload

RESULT_JSON = "result.json"
SUMMARY_MD = "summary.md"
ROUTES_PNG = "routes.png"
SOLUTION_SOL = "solution.sol"


def jsonable(value: Any) -> Any:
    """Numpy scalars/arrays, dataclasses and objects with `as_dict()` as JSON values."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "as_dict"):
        return jsonable(value.as_dict())
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if hasattr(value, "item"):
        return jsonable(value.item())
    return str(value)


def record_dict(record: Any) -> dict[str, Any]:
    """One subproblem record (a dataclass, an object with as_dict(), or a dict) as a dict."""
    if isinstance(record, Mapping):
        data = dict(record)
    elif hasattr(record, "as_dict"):
        data = dict(record.as_dict())
    elif is_dataclass(record) and not isinstance(record, type):
        data = asdict(record)
    else:
        raise TypeError(f"cannot describe a subproblem record of type {type(record).__name__}")
    return jsonable(data)  # type: ignore[no-any-return]


def backend_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many subproblem solves each backend really produced."""
    counts = Counter(str(r.get("backend_used")) for r in records)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _record_class(record: Mapping[str, Any]) -> str:
    known = record.get("provenance_class")
    if known in PROVENANCE_CLASSES:
        return str(known)
    return provenance_class(str(record.get("backend_used", "")), str(record.get("device", "")))


def quantum_share_of(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Share of subproblem solves (and of adopted, unrepaired answers) from quantum hardware
    or quantum simulation (provenance classes qpu and quantum_simulator; simulated annealing
    on a CPU is a classical sampler, qroute.model.provenance)."""
    total = len(records)
    quantum = [r for r in records if _record_class(r) in QUANTUM_CLASSES]
    adopted = [r for r in records if r.get("adopted")]
    adopted_quantum = [
        r for r in adopted if _record_class(r) in QUANTUM_CLASSES and not r.get("repaired")
    ]
    return {
        "solves": total,
        "quantum_solves": len(quantum),
        "share_of_solves": len(quantum) / total if total else 0.0,
        "adopted": len(adopted),
        "adopted_quantum": len(adopted_quantum),
        "share_of_adopted": len(adopted_quantum) / len(adopted) if adopted else 0.0,
        "by_paradigm": dict(Counter(str(r.get("paradigm")) for r in records)),
        "solves_by_class": dict(Counter(_record_class(r) for r in records)),
    }


def baseline_entry(
    problem: Problem, routes: Sequence[Sequence[int]], wall_seconds: float, **extra: Any
) -> dict[str, Any]:
    """A baseline's routes, validated independently, with its BKS gap."""
    report = validate(problem, routes)
    bks = best_known(problem.name)
    return {
        "cost": report.cost,
        "feasible": report.feasible,
        "violations": list(report.violations),
        "num_routes": report.num_routes,
        "gap_percent": gap_percent(report.cost, bks.cost if bks else None),
        "wall_seconds": wall_seconds,
        **jsonable(extra),
    }


def result_payload(
    problem: Problem,
    routes: Sequence[Sequence[int]],
    *,
    records: Sequence[Any] = (),
    baselines: Mapping[str, Mapping[str, Any]] | None = None,
    wall_seconds: float,
    settings: Mapping[str, Any] | None = None,
    timing: Mapping[str, Any] | None = None,
    history: Sequence[Sequence[float]] = (),
    quantum_share: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    ablation: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The result.json payload of a hybrid run, validated independently here.
    `quantum_share` (qroute.hybrid.pipeline.quantum_share) brings `by_class` and
    `final_routes_selected_by_qubo`; `ablation` (qroute.hybrid.pipeline.ablation) the QUBO
    answers against their exact counterparts."""
    report = validate(problem, routes)
    bks = best_known(problem.name)
    subproblems = [record_dict(r) for r in records]
    share = {**quantum_share_of(subproblems), **jsonable(dict(quantum_share or {}))}
    settings = dict(settings or {})
    payload: dict[str, Any] = {
        "instance": problem.name,
        "source": problem.source,
        "num_customers": problem.num_customers,
        "status": "complete" if report.feasible else "infeasible",
        "feasible": report.feasible,
        "violations": list(report.violations),
        "cost": report.cost,
        "num_routes": report.num_routes,
        "bks": bks.cost if bks else None,
        "gap_percent": gap_percent(report.cost, bks.cost if bks else None),
        "wall_seconds": wall_seconds,
        "policy": settings.get("policy"),
        "time_limit": settings.get("time_limit"),
        "seed": settings.get("seed"),
        "settings": settings,
        "baselines": {name: dict(entry) for name, entry in (baselines or {}).items()},
        "quantum_share": share,
        "ablation": jsonable(dict(ablation or {})),
        "backends": backend_counts(subproblems),
        "subproblems": subproblems,
        "history": [list(point) for point in history],
        "orchestration_seconds": (timing or {}).get("orchestration_seconds"),
        "timing": dict(timing or {}),
        "routes": [[int(c) for c in route] for route in routes if len(route) > 0],
    }
    if problem.time_windows is not None:  # issue 13: arrive / wait / serve / leave per stop
        from qroute.hybrid.time_windows import time_window_report
        from qroute.model.timeline import problem_timelines

        payload["timelines"] = [t.as_dict() for t in problem_timelines(problem, routes)]
        payload["time_windows"] = time_window_report(subproblems)
    if extra:
        payload.update(extra)
    return typed_result(payload)


def typed_result(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`payload` checked against the result.json model (qroute.reporting.payloads.ResultPayload;
    a wrong type raises pydantic.ValidationError) as plain JSON data, keys in model order."""
    model = ResultPayload.model_validate(jsonable(payload))
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def write_result_json(path: str | Path, payload: Mapping[str, Any]) -> Path:
    """result.json, validated against its model first."""
    path = Path(path)
    path.write_text(json.dumps(typed_result(payload), indent=2) + "\n", encoding="utf-8")
    return path


def _fmt(value: Any, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}{suffix}"
    return str(value)


def quantum_share_sentence(share: Mapping[str, Any]) -> str:
    """The quantum share in words: only QPU and quantum-simulator answers count."""
    solves = int(share.get("solves", 0))
    text = (
        f"{share.get('quantum_solves', 0)} of {solves} route solves "
        f"({100 * float(share.get('share_of_solves', 0.0)):.0f} %) ran on a QPU or a quantum "
        "simulator (simulated annealing and tabu on a CPU are classical samplers); "
        f"{share.get('adopted_quantum', 0)} of {share.get('adopted', 0)} adopted answers "
        "came from one."
    )
    if "arc_share" in share:
        arcs = share.get("arcs_from", {})
        text += (
            f" {100 * float(share['arc_share']):.0f} % of the final solution's arcs "
            f"({arcs.get('quantum', 0)} of {arcs.get('quantum', 0) + arcs.get('classical', 0)})"
            " were last set by such an answer."
        )
    return "Quantum share: " + text


def provenance_lines(payload: Mapping[str, Any]) -> list[str]:
    """Per provenance class: solves, adopted, final routes, improvement share; the share
    of final routes selected by QUBO answers; the ablation against exact counterparts."""
    share = payload.get("quantum_share", {}) or {}
    lines: list[str] = []
    by_class = share.get("by_class") or {}
    for name in PROVENANCE_CLASSES:
        row = by_class.get(name)
        if row:
            lines.append(
                f"{name:<18} solves {int(row.get('solves', 0)):>5}  adopted "
                f"{int(row.get('adopted', 0)):>4}  final routes "
                f"{int(row.get('final_routes', 0)):>3}"
                f"  improvement {100 * float(row.get('improvement', 0.0)):5.1f} %"
            )
    if "final_routes_selected_by_qubo" in share:
        lines.append(
            f"final routes selected by route-selection QUBO answers: "
            f"{100 * float(share['final_routes_selected_by_qubo']):.0f} % "
            f"({share.get('selection_confirmations', 0)} of {share.get('selection_solves', 0)} "
            "selection answers only confirmed the incumbent)"
        )
    for kind, label in (
        ("selection", "route selection vs MIP"),
        ("routes", "route QUBOs vs Held-Karp"),
    ):
        block = (payload.get("ablation") or {}).get(kind)
        if block and block.get("solves"):

            def num(key: str, block: Mapping[str, Any] = block) -> float:
                value = block.get(key)
                return float(value) if isinstance(value, (int, float)) else 0.0

            lines.append(
                f"ablation, {label}: {block['solves']} solves, QUBO {num('qubo_cost'):,.1f} "
                f"vs exact {num('exact_cost'):,.1f} (gap {num('gap_percent'):.2f} %, "
                f"optimum {100 * num('optimum_rate'):.0f} %), "
                f"{num('qubo_seconds'):.1f} s vs {num('exact_seconds'):.1f} s, "
                f"{num('usd'):.2f} USD"
            )
    return lines


def comparison_rows(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Hybrid first, then each baseline: solver, cost, gap, time, feasible."""
    rows = [
        {
            "solver": f"hybrid ({payload.get('policy') or 'pipeline'})",
            "cost": payload.get("cost"),
            "gap_percent": payload.get("gap_percent"),
            "wall_seconds": payload.get("timing", {}).get("hybrid_seconds")
            or payload.get("wall_seconds"),
            "feasible": payload.get("feasible"),
        }
    ]
    for name, entry in payload.get("baselines", {}).items():
        rows.append(
            {
                "solver": name,
                "cost": entry.get("cost"),
                "gap_percent": entry.get("gap_percent"),
                "wall_seconds": entry.get("wall_seconds"),
                "feasible": entry.get("feasible"),
            }
        )
    return rows


def summary_markdown(payload: Mapping[str, Any], plot_name: str | None = ROUTES_PNG) -> str:
    """A human-readable account of the run."""
    lines = [f"# qroute solve: {payload['instance']}", ""]
    if payload.get("feasible"):
        lines.append(
            f"**Status: complete.** The independent validator accepts the solution: "
            f"cost {_fmt(payload['cost'])} over {payload.get('num_routes')} routes."
        )
    else:
        lines.append(
            "**Status: INFEASIBLE — not a complete result.** The independent validator "
            "found these violations:"
        )
        lines.append("")
        lines.extend(f"- {v}" for v in payload.get("violations", []))
    lines.append("")
    bks = payload.get("bks")
    lines.append(
        f"Best-known solution: {_fmt(bks)}" if bks is not None else "Best-known solution: none"
    )
    lines += ["", "## Hybrid vs classical baselines", ""]
    lines.append("| solver | cost | gap to BKS | wall time | feasible |")
    lines.append("| --- | ---: | ---: | ---: | :---: |")
    for row in comparison_rows(payload):
        lines.append(
            f"| {row['solver']} | {_fmt(row['cost'])} | {_fmt(row['gap_percent'], 2, ' %')} "
            f"| {_fmt(row['wall_seconds'], 1, ' s')} | {_fmt(row['feasible'])} |"
        )
    share = payload.get("quantum_share", {})
    lines += ["", "## Subproblem backends", ""]
    lines.append("| backend | solves |")
    lines.append("| --- | ---: |")
    for name, count in payload.get("backends", {}).items():
        lines.append(f"| {name} | {count} |")
    lines += ["", quantum_share_sentence(share), "", *provenance_lines(payload)]
    fallbacks = [s for s in payload.get("subproblems", []) if s.get("fallback_reason")]
    if fallbacks:
        lines.append(f"{len(fallbacks)} subproblem(s) fell back to another backend.")
    timing = payload.get("timing", {})
    if timing:
        lines += ["", "## Timing", ""]
        lines.append("| part | seconds |")
        lines.append("| --- | ---: |")
        for key, value in timing.items():
            if isinstance(value, (int, float)):
                lines.append(f"| {key.removesuffix('_seconds').replace('_', ' ')} | {value:.2f} |")
    settings = payload.get("settings", {})
    if settings:
        lines += ["", "## Settings", ""]
        lines.extend(f"- {key}: `{value}`" for key, value in settings.items())
    lines += timeline_markdown(payload.get("timelines", []))
    if plot_name:
        lines += ["", f"![routes]({plot_name})"]
    return "\n".join(lines) + "\n"


def timeline_markdown(timelines: Sequence[Mapping[str, Any]]) -> list[str]:
    """Per-route timelines (time-window instances): one table row per stop."""
    if not timelines:
        return []
    lines = ["", "## Route timelines", ""]
    lines.append("| route | stop | arrive | wait | serve | leave | late |")
    lines.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for k, timeline in enumerate(timelines, start=1):
        lines.append(f"| {k} | depot | | | | {timeline['depart']:.1f} | |")
        for stop in timeline["stops"]:
            lines.append(
                f"| {k} | {stop['node']} | {stop['arrive']:.1f} | {stop['wait']:.1f} "
                f"| {stop['serve']:.1f} | {stop['leave']:.1f} | {stop['late']:.1f} |"
            )
        lines.append(f"| {k} | depot | {timeline['back']:.1f} | | | | |")
    return lines


def write_summary(path: str | Path, payload: Mapping[str, Any]) -> Path:
    path = Path(path)
    path.write_text(summary_markdown(payload), encoding="utf-8")
    return path


def _city(name: str) -> str:
    head, sep, tail = name.rpartition("-")
    return head if sep and tail.isdigit() else name


def plot_routes(
    problem: Problem,
    routes: Sequence[Sequence[int]],
    path: str | Path,
    title: str | None = None,
) -> Path:
    """A PNG of the routes: depot marked, one colour per route.

    Lat/lon scenarios are drawn as (lon, lat) on the region's coastlines, rivers and borders
    (qroute.reporting.geography) with a label per city (from `node_names`); planar instances
    keep the plain plot; instances without coordinates get a circular layout.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import numpy as np

    if problem.coords is not None:
        xy = np.asarray(problem.coords, dtype=float)
        latlon = problem.coord_kind == "latlon"
        if latlon:
            xy = xy[:, ::-1]
    else:
        latlon = False
        angles = np.linspace(0, 2 * np.pi, problem.num_customers, endpoint=False)
        xy = np.vstack([[0.0, 0.0], np.column_stack([np.cos(angles), np.sin(angles)])])

    used = [list(r) for r in routes if len(r) > 0]
    cmap = plt.get_cmap("tab20" if len(used) > 10 else "tab10")
    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    visited = {c for r in used for c in r}
    others = [c for c in problem.customers if c not in visited]
    if others:
        ax.scatter(xy[others, 0], xy[others, 1], s=18, c="lightgrey", zorder=2, label="unrouted")
    for k, route in enumerate(used):
        colour = cmap(k % cmap.N)
        path_nodes = [0, *route, 0]
        ax.plot(xy[path_nodes, 0], xy[path_nodes, 1], "-", color=colour, lw=1.4, zorder=1)
        ax.scatter(xy[route, 0], xy[route, 1], s=22, color=colour, zorder=3)
    ax.scatter([xy[0, 0]], [xy[0, 1]], marker="s", s=110, c="black", zorder=4, label="depot")
    if problem.node_names is not None:
        groups: dict[str, list[int]] = {}
        for node in problem.customers:
            groups.setdefault(_city(problem.node_names[node]), []).append(node)
        if len(groups) < problem.num_customers or problem.num_customers <= 30:
            for city, nodes in groups.items():
                cx, cy = xy[nodes].mean(axis=0)
                ax.annotate(
                    city,
                    (cx, cy),
                    fontsize=8,
                    alpha=0.8,
                    ha="center",
                    va="bottom",
                    xytext=(0, 6),
                    textcoords="offset points",
                )
        ax.annotate(
            problem.node_names[0],
            (xy[0, 0], xy[0, 1]),
            fontsize=8,
            weight="bold",
            xytext=(6, -10),
            textcoords="offset points",
        )
    if latlon:
        _draw_geography(ax, xy)
        ax.set_xlabel("longitude (°E)")
        ax.set_ylabel("latitude (°N)")
        set_lonlat_aspect(ax, float(xy[:, 1].mean()))
    else:
        ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title or f"{problem.name}: {len(used)} routes")
    # beside the map, not over it: "best" placement searched 0.7-0.9 s for a free corner
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8)
    ax.grid(alpha=0.2)
    return save_map(fig, path)


def set_lonlat_aspect(ax: Any, mean_lat: float) -> None:
    """Equal distances on both axes of a longitude/latitude plot (equirectangular at the
    mean latitude; clamped so polar data cannot blow the aspect up)."""
    ax.set_aspect(1.0 / max(math.cos(math.radians(mean_lat)), 0.1))


def save_map(fig: Any, path: str | Path) -> Path:
    """Lay out, write and close a pyplot map figure; returns the file's path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


GEOGRAPHY_STYLE = {
    "coastline": {"color": "#4a6f8a", "lw": 0.9, "ls": "-"},
    "river": {"color": "#5aa0d8", "lw": 0.8, "ls": "-"},
    "border": {"color": "#8a7a6a", "lw": 0.9, "ls": "--"},
    "province": {"color": "#a08c78", "lw": 0.6, "ls": ":"},
}


def _draw_geography(ax: Any, lonlat: Any) -> None:
    """Coastlines, rivers and borders under the routes; the axes are fixed to the region."""
    from qroute.reporting.geography import Box, region

    box = Box.around(lonlat)
    drawn = False
    for layer, lines in region(box).items():
        style = GEOGRAPHY_STYLE[layer]
        for k, line in enumerate(lines):
            ax.plot(
                line[:, 0],
                line[:, 1],
                zorder=0,
                label=layer if k == 0 else None,
                **style,
            )
            drawn = True
    if drawn:
        ax.set_facecolor("#f4f1ea")
        ax.set_xlim(box.west, box.east)
        ax.set_ylim(box.south, box.north)


def write_outputs(
    out_dir: str | Path,
    problem: Problem,
    routes: Sequence[Sequence[int]],
    payload: Mapping[str, Any],
) -> dict[str, Path]:
    """solution.sol, result.json, summary.md and routes.png in `out_dir`."""
    from qroute.model.instances import write_solution

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {
        "solution": out / SOLUTION_SOL,
        "result": out / RESULT_JSON,
        "summary": out / SUMMARY_MD,
        "plot": out / ROUTES_PNG,
    }
    write_solution(written["solution"], [r for r in routes if len(r) > 0], payload["cost"])
    write_result_json(written["result"], payload)
    write_summary(written["summary"], payload)
    from qroute.reporting.geomap import MAP_JSON, write_map_data

    if write_map_data(out / MAP_JSON, problem, routes):  # lat/lon only: the report's map
        written["map"] = out / MAP_JSON
    status = "" if payload.get("feasible") else " (INFEASIBLE)"
    plot_routes(
        problem,
        routes,
        written["plot"],
        title=f"{problem.name}: cost {payload['cost']:,.1f}{status}",
    )
    return written
