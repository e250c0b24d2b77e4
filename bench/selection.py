"""Route-selection QUBO answers against the MIP optimum of the same sub-selections.

Pools come from a real search: PyVRP warm-started from the savings start for `--pool-seconds`
(its visited routes feed the pool), plus the incumbent's and single-customer routes.
Sub-selections are cut around every k-th route of the incumbent (qroute.hybrid.selection_step).

Part 1: dwave-sa on 30-150-variable sub-selections, no classical polish: mean gap to the MIP,
optimum rate, seconds. Part 2 (`--qaoa`): QAOA sub-selections of at most 16 variables, per
SDK engine: the rate at which the returned cover is the MIP optimum.

    .venv/bin/python bench/selection.py --instances X-n101-k25,E-n51-k5 --pool-seconds 10
    .venv/bin/python bench/selection.py --instances X-n101-k25 --qaoa --max-qaoa 12
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from qroute.hybrid.partition import initial_routes
from qroute.hybrid.pyvrp_search import PyVRPSearch
from qroute.hybrid.route_pool import RoutePool
from qroute.hybrid.selection_step import cut_selection, solve_selection_qubo
from qroute.model.loader import load_problem
from qroute.qubo.selection_exact import solve_selection


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="X-n101-k25")
    parser.add_argument("--pool-seconds", type=float, default=10.0)
    parser.add_argument("--sizes", default="30,60,100,150", help="max variables per cut")
    parser.add_argument("--cuts", type=int, default=4, help="cuts per instance and size")
    parser.add_argument("--backend", default="dwave-sa")
    parser.add_argument("--qaoa", action="store_true")
    parser.add_argument(
        "--no-fix", action="store_true", help="no reduced-cost fixing: every column a variable"
    )
    parser.add_argument(
        "--max-qaoa", default="12", help="column cap(s) of the QAOA cuts, comma-separated"
    )
    parser.add_argument(
        "--min-qaoa", type=int, default=1, help="skip QAOA cuts of fewer qubits than this"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cut-from",
        choices=("search", "start"),
        default="search",
        help="cut around the routes PyVRP found, or the savings start (a weaker incumbent)",
    )
    args = parser.parse_args()
    print(f"machine load: {_load()} (shared with other jobs: timings are loaded-machine numbers)")
    for name in args.instances.split(","):
        problem = load_problem(name)
        pool = RoutePool(problem)
        pool.add_singletons()
        start = initial_routes(problem)
        pool.add_incumbent(start)
        routes = PyVRPSearch(problem, args.seed).run(start, args.pool_seconds, pool)
        if args.cut_from == "start":
            routes = start
        print(f"\n{name}: pool {len(pool)} routes after {args.pool_seconds:.0f} s of PyVRP")
        rows = []
        for size in (int(s) for s in args.sizes.split(",")):
            for cut in range(args.cuts):
                seed_route = (cut * max(len(routes) // args.cuts, 1)) % len(routes)
                selection, _ = cut_selection(problem, pool, routes, seed_route, size, "bench")
                exact = solve_selection(selection, 30.0)
                answer, qubo, _, seconds, _ = solve_selection_qubo(
                    selection, args.backend, args.seed + cut, fix=not args.no_fix
                )
                gap = 100.0 * (answer.cost - exact.cost) / exact.cost
                rows.append((size, qubo.num_variables, gap, seconds, exact.wall_seconds, answer))
                print(
                    f"  cap {size:>3} vars {qubo.num_variables:>3} (cols {selection.size:>3}, "
                    f"fixed {qubo.fixed_out:>3}) mip {exact.cost:>9.1f} "
                    f"{'opt' if exact.optimal else 'gap?'} {exact.wall_seconds:5.2f}s  "
                    f"{args.backend} {answer.cost:>9.1f} gap {gap:6.2f}% {seconds:5.2f}s "
                    f"raw-feasible {answer.raw_feasible_rate:4.2f}"
                    f"{' REPAIRED' if answer.repaired else ''}"
                )
        gaps = [r[2] for r in rows]
        print(
            f"  {args.backend}: mean gap {statistics.mean(gaps):.3f}% over {len(rows)} cuts "
            f"({min(r[1] for r in rows)}-{max(r[1] for r in rows)} variables), optimum "
            f"{sum(g <= 1e-6 for g in gaps)}/{len(gaps)}, "
            f"mean {statistics.mean(r[3] for r in rows):.2f}s "
            f"vs MIP {statistics.mean(r[4] for r in rows):.2f}s"
        )
        if args.qaoa:
            _qaoa_part(args, problem, pool, routes)


def _qaoa_part(args: argparse.Namespace, problem: Any, pool: RoutePool, routes: list) -> None:
    """QAOA per SDK on the same cuts of at most each `--max-qaoa` cap: the rate at which the
    raw answer (not repaired) is the MIP optimum, per qubit count."""
    cuts = []
    for cap in (int(c) for c in str(args.max_qaoa).split(",")):
        for cut in range(args.cuts):
            seed_route = (cut * max(len(routes) // args.cuts, 1)) % len(routes)
            selection, _ = cut_selection(problem, pool, routes, seed_route, cap, "bench")
            cuts.append((cut, selection, solve_selection(selection, 30.0)))
    for engine in ("qaoa-statevector", "braket-local", "pennylane-lightning", "qiskit-aer"):
        by_size: dict[int, list[int]] = {}  # qubits -> [raw optimum, repaired, cuts]
        seen: set[tuple] = set()
        incumbent_optimal = 0
        t0 = time.perf_counter()
        for cut, selection, exact in cuts:
            if (selection.routes, selection.customers) in seen:
                continue  # the same cut again under a larger cap
            answer, qubo, _, _, _ = solve_selection_qubo(
                selection, engine, args.seed + cut, fix=not args.no_fix
            )
            if not args.min_qaoa <= qubo.num_variables <= 16:
                continue
            seen.add((selection.routes, selection.customers))
            tally = by_size.setdefault(qubo.num_variables, [0, 0, 0])
            tally[0] += answer.cost <= exact.cost + 1e-6 and not answer.repaired
            tally[1] += answer.repaired
            tally[2] += 1
            incumbent_optimal += selection.incumbent_cost() <= exact.cost + 1e-6
        hits = sum(t[0] for t in by_size.values())
        done = sum(t[2] for t in by_size.values())
        repaired = sum(t[1] for t in by_size.values())
        per_size = ", ".join(f"{q}q {h}/{n}" for q, (h, _, n) in sorted(by_size.items()))
        print(
            f"  QAOA {engine}: raw optimum {hits}/{done} distinct cuts ({per_size}); "
            f"repaired {repaired}; incumbent already optimal in {incumbent_optimal}; "
            f"{time.perf_counter() - t0:.1f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
