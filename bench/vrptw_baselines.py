"""PyVRP and OR-Tools on time-window instances (Solomon, Gehring-Homberger) at equal time.

Per instance and solver: feasible by the independent validator, cost, gap to the BKS,
routes, wall time. Prints the machine load (other processes skew timed runs).

    .venv/bin/python bench/vrptw_baselines.py --time-limit 20          # one per Solomon class
    .venv/bin/python bench/vrptw_baselines.py --instances C1_2_1,R1_2_1,RC1_2_1 --time-limit 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import warnings

from qroute.baselines import ORToolsSolver, PyVRPSolver
from qroute.model.data import best_known, gap_percent
from qroute.model.loader import load_problem
from qroute.model.solver import Budget
from qroute.model.validation import validate

ONE_PER_CLASS = "C101,C201,R101,R201,RC101,RC201"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", default=ONE_PER_CLASS)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    one, five, _ = os.getloadavg()
    print(
        f"time limit {args.time_limit:g} s per solver; load {one:.2f} (1 min) {five:.2f} "
        f"(5 min) on {os.cpu_count()} CPUs"
    )
    print("| instance | solver | feasible | cost | BKS | gap % | routes | wall s |")
    print("| --- | --- | :---: | ---: | ---: | ---: | ---: | ---: |")
    gaps: dict[str, list[float]] = {"pyvrp": [], "ortools": []}
    for name in args.instances.split(","):
        problem = load_problem(name)
        bks = best_known(problem.name)
        for solver in (PyVRPSolver(), ORToolsSolver()):
            result = solver.solve(problem, Budget(args.time_limit, args.seed))
            report = validate(problem, result.routes)
            gap = gap_percent(report.cost, bks.cost if bks else None)
            if gap is not None and report.feasible:
                gaps[solver.name].append(gap)
            print(
                f"| {problem.name} | {solver.name} | {report.feasible} | {report.cost:.1f} "
                f"| {bks.cost if bks else '-'} | {'-' if gap is None else f'{gap:.2f}'} "
                f"| {report.num_routes} | {result.provenance.wall_seconds:.1f} |"
            )
    for name, values in gaps.items():
        if values:
            print(f"{name}: mean gap {statistics.mean(values):.2f} % over {len(values)} feasible")


if __name__ == "__main__":
    main()
