"""The hybrid pipeline against PyVRP and OR-Tools (equal wall time) on benchmark instances.

Per instance: cost, gap to the best-known solution, wall time, and the honest quantum share
(solves / adoptions by annealing or gate backends, share of final arcs set by them, arcs
they reproduced). Prints the machine load (other processes skew timed runs).

    .venv/bin/python bench/pipeline.py                                   # X-n101 ... X-n200, 60 s
    .venv/bin/python bench/pipeline.py --instances X-n101-k25,X-n120-k6 --time-limit 20
    .venv/bin/python bench/pipeline.py --instances X-n1001-k43 --time-limit 300 --skip-baselines
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from qroute.hybrid.pipeline import PipelineConfig, run_pipeline
from qroute.model.data import best_known, gap_percent
from qroute.model.loader import load_problem
from qroute.model.provenance import QUANTUM_CLASSES
from qroute.model.solver import Budget

X_SET = (
    "X-n101-k25,X-n106-k14,X-n110-k13,X-n120-k6,X-n129-k18,"
    "X-n139-k10,X-n148-k46,X-n157-k13,X-n172-k51,X-n200-k36"
)


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def run_baseline(name: str, problem: Any, time_limit: float, seed: int) -> dict[str, Any]:
    from qroute.baselines import ORToolsSolver, PyVRPSolver

    solver = PyVRPSolver() if name == "pyvrp" else ORToolsSolver()
    start = time.perf_counter()
    try:
        result = solver.solve(problem, Budget(time_limit=time_limit, seed=seed))
    except Exception as exc:  # report, do not abort the table
        return {"cost": None, "feasible": False, "error": f"{type(exc).__name__}: {exc}"}
    return {
        "cost": result.cost,
        "feasible": bool(result.details.get("feasible")),
        "wall_seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", default=X_SET, help="comma-separated names")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solver")
    parser.add_argument("--policy", default="local")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-stops", type=int, default=None)
    parser.add_argument("--shots", type=int, default=None)
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument(
        "--baselines", default="pyvrp,ortools", help="comma-separated baselines to run"
    )
    parser.add_argument(
        "--engines", default="pyvrp", help="classical engines of the hybrid (comma list)"
    )
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="also run the pipeline with every QUBO step replaced by its exact counterpart "
        "(MIP selections, Held-Karp routes) at equal wall time",
    )
    parser.add_argument("--json", default=None, help="write every row (and records) here")
    args = parser.parse_args()

    names = [n.strip() for n in args.instances.split(",") if n.strip()]
    print(f"load at start: {_load()}")
    print(
        f"policy={args.policy} time_limit={args.time_limit:g}s seed={args.seed} "
        f"max_stops={args.max_stops or 'policy default'}"
    )
    header = (
        f"{'instance':<14} {'BKS':>8} {'hybrid':>9} {'gap%':>6} {'wall s':>6} "
        f"{'solves':>6} {'adopt':>5} {'q-arcs%':>7} {'sel':>4} {'seladp':>6} {'qsel%':>5} "
        f"{'selgap%':>7} {'search%':>7} {'rec':>5}"
    )
    baselines = [] if args.skip_baselines else [b for b in args.baselines.split(",") if b]
    for solver in baselines:
        header += f" {solver:>9} {'gap%':>6}"
    if args.ablation:
        header += f" {'exact-steps':>11} {'gap%':>6}"
    print(header)
    rows: list[dict[str, Any]] = []
    for name in names:
        problem = load_problem(name)
        bks = best_known(name)
        bks_cost = bks.cost if bks else None
        config = PipelineConfig(
            policy=args.policy,
            time_limit=args.time_limit,
            seed=args.seed,
            max_stops=args.max_stops,
            shots=args.shots,
            engines=tuple(e for e in args.engines.split(",") if e),
        )
        result = run_pipeline(problem, config)
        share = result.quantum_share
        quantum_solves = sum(1 for r in result.records if r.provenance_class in QUANTUM_CLASSES)
        quantum_adopted = sum(
            1
            for r in result.records
            if r.adopted and r.provenance_class in QUANTUM_CLASSES and not r.repaired
        )
        selections = [s for s in result.selection_records if s.step == "selection"]
        phases = result.phase_seconds
        search_seconds = phases.get("improve_pyvrp", 0.0) + phases.get("improve_sisr", 0.0)
        arcs = share["arcs_from"]["quantum"] + share["arcs_from"]["classical"]
        row: dict[str, Any] = {
            "instance": name,
            "bks": bks_cost,
            "cost": result.cost,
            "feasible": result.feasible,
            "gap_percent": gap_percent(result.cost, bks_cost) if result.feasible else None,
            "wall_seconds": result.wall_seconds,
            "phase_seconds": result.phase_seconds,
            "quantum_share": share,
            "quantum_solves": quantum_solves,
            "quantum_adopted": quantum_adopted,
            "reproduced_share": share.get("arcs_confirmed_by_quantum", 0) / arcs if arcs else 0,
            "ablation": result.ablation,
            "selections": len(selections),
            "selections_adopted": sum(s.adopted for s in selections),
        }
        line = (
            f"{name:<14} {_fmt(bks_cost, '.0f'):>8} "
            f"{_fmt(result.cost, '.0f') if result.feasible else 'INFEAS':>9} "
            f"{_fmt(row['gap_percent']):>6} {result.wall_seconds:>6.1f} "
            f"{quantum_solves:>6} {quantum_adopted:>5} {100 * share['arc_share']:>7.1f} "
            f"{len(selections):>4} {row['selections_adopted']:>6} "
            f"{100 * share['final_routes_selected_by_qubo']:>5.1f} "
            f"{result.ablation['selection']['gap_percent']:>7.2f} "
            f"{100 * search_seconds / result.wall_seconds:>7.1f} "
            f"{share['recombinations_adopted']:>2}/{share['recombinations']:<2}"
        )
        if baselines:
            for solver in baselines:
                base = run_baseline(solver, problem, args.time_limit, args.seed)
                base["gap_percent"] = (
                    gap_percent(base["cost"], bks_cost) if base.get("feasible") else None
                )
                row[solver] = base
                line += f" {_fmt(base['cost'], '.0f'):>9} {_fmt(base['gap_percent']):>6}"
        if args.ablation:
            exact = run_pipeline(
                problem,
                PipelineConfig(
                    policy="exact",
                    time_limit=args.time_limit,
                    seed=args.seed,
                    max_stops=args.max_stops,
                    exact_steps=True,
                    engines=tuple(e for e in args.engines.split(",") if e),
                ),
            )
            row["exact_steps"] = {
                "cost": exact.cost,
                "feasible": exact.feasible,
                "gap_percent": gap_percent(exact.cost, bks_cost) if exact.feasible else None,
            }
            line += (
                f" {_fmt(exact.cost, '.0f') if exact.feasible else 'INFEAS':>11} "
                f"{_fmt(row['exact_steps']['gap_percent']):>6}"
            )
        print(line, flush=True)
        if args.json:
            row["result"] = result.as_dict()
        rows.append(row)

    gaps = [r["gap_percent"] for r in rows if r["gap_percent"] is not None]
    if gaps:
        print(f"hybrid mean gap {statistics.mean(gaps):.2f}% over {len(gaps)} instance(s)")
    for solver in baselines:
        g = [r[solver]["gap_percent"] for r in rows if r[solver]["gap_percent"] is not None]
        if g:
            print(f"{solver} mean gap {statistics.mean(g):.2f}% over {len(g)} instance(s)")
    if args.ablation:
        g = [
            r["exact_steps"]["gap_percent"]
            for r in rows
            if r["exact_steps"]["gap_percent"] is not None
        ]
        if g:
            print(f"exact-steps pipeline mean gap {statistics.mean(g):.2f}% over {len(g)}")
    infeasible = [r["instance"] for r in rows if not r["feasible"]]
    if infeasible:
        print(f"INFEASIBLE: {', '.join(infeasible)}")
    print(f"load at end: {_load()}")
    print(
        "q-arcs%: final arcs last set by an adopted QPU / quantum-simulator answer; "
        "sel/seladp: selection QUBO solves / adopted; qsel%: final routes selected by a "
        "QUBO answer; selgap%: selection QUBO cost vs the MIP of the same selections; "
        "search%: share of the hybrid's wall time in its classical search (PyVRP / SISR); "
        "rec: MIP recombinations of the pool adopted / run (classical_sampler)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
