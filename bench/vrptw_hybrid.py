"""The hybrid pipeline on time-window instances against PyVRP at equal time (issue 13).

Per instance: the hybrid (`run_pipeline`, the function `qroute solve` runs) and PyVRP's
iterated local search, each with the same wall-time limit, one after the other in this
run; both checked by the independent validator (windows with waiting, service times,
fleet size); cost, gap to the BKS, routes, and what the route / window QUBO answers did
with the windows (met every window as decoded, refused at stitching). Prints the machine
load (other processes skew timed runs) and the mean gaps over the feasible results.

    .venv/bin/python bench/vrptw_hybrid.py --time-limit 60                 # one per Solomon class
    .venv/bin/python bench/vrptw_hybrid.py --instances C1_2_1,R1_2_1,RC1_2_1 --time-limit 60
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from typing import Any

from qroute.baselines import PyVRPSolver
from qroute.hybrid.pipeline import PipelineConfig, run_pipeline
from qroute.model.data import best_known, gap_percent
from qroute.model.loader import load_problem
from qroute.model.solver import Budget
from qroute.model.validation import validate

ONE_PER_CLASS = "C101,C201,R101,R201,RC101,RC201"


def _window_answers(records: tuple[Any, ...]) -> tuple[int, int, int]:
    """(answers, met every window as decoded, refused at stitching as infeasible)."""
    met = sum(1 for r in records if r.provenance.get("details", {}).get("window_feasible") is True)
    refused = sum(1 for r in records if r.provenance.get("stitch") == "infeasible route")
    return len(records), met, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", default=ONE_PER_CLASS)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--policy", default="local", help="the hybrid's policy (default local)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    one, five, _ = os.getloadavg()
    print(
        f"time limit {args.time_limit:g} s per solver, hybrid policy {args.policy}, seed "
        f"{args.seed}; load {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs"
    )
    print(
        "| instance | solver | feasible | cost | BKS | gap % | routes | wall s "
        "| QUBO answers (met windows / refused) |"
    )
    print("| --- | --- | :---: | ---: | ---: | ---: | ---: | ---: | --- |")
    gaps: dict[str, list[float]] = {"hybrid": [], "pyvrp": []}
    infeasible: dict[str, int] = {"hybrid": 0, "pyvrp": 0}
    for name in args.instances.split(","):
        problem = load_problem(name)
        bks = best_known(problem.name)
        start = time.perf_counter()
        hybrid = run_pipeline(
            problem, PipelineConfig(policy=args.policy, time_limit=args.time_limit, seed=args.seed)
        )
        rows: list[tuple[str, Any, float, tuple[int, int, int] | None]] = [
            ("hybrid", hybrid.routes, time.perf_counter() - start, _window_answers(hybrid.records))
        ]
        start = time.perf_counter()
        baseline = PyVRPSolver().solve(problem, Budget(args.time_limit, args.seed))
        rows.append(("pyvrp", baseline.routes, time.perf_counter() - start, None))
        for solver, routes, wall, answers in rows:
            report = validate(problem, routes)  # the independent check, for both
            gap = gap_percent(report.cost, bks.cost if bks else None)
            if report.feasible and gap is not None:
                gaps[solver].append(gap)
            if not report.feasible:
                infeasible[solver] += 1
            qubo = "-" if answers is None else f"{answers[0]} ({answers[1]} / {answers[2]})"
            print(
                f"| {problem.name} | {solver} | {report.feasible} | {report.cost:.1f} "
                f"| {bks.cost if bks else '-'} | {'-' if gap is None else f'{gap:.2f}'} "
                f"| {report.num_routes} | {wall:.1f} | {qubo} |",
                flush=True,
            )
    for solver, values in gaps.items():
        mean = f"{statistics.mean(values):.2f} %" if values else "-"
        print(
            f"{solver}: mean gap {mean} over {len(values)} feasible, "
            f"{infeasible[solver]} infeasible"
        )


if __name__ == "__main__":
    main()
