"""Subproblem quality per backend and size: raw-sample feasibility, gap to the exact optimum
(no classical local search applied to the tour), how often the optimum was found, and time.

    .venv/bin/python bench/subproblems.py                       # all local backends
    .venv/bin/python bench/subproblems.py --backends dwave-sa --sizes 4,6,8,10,12 --seeds 20
"""

from __future__ import annotations

import argparse
import statistics
import time

from qroute.backends import LOCAL_BACKENDS, capacity, get_backend
from qroute.model.solver import Budget
from qroute.model.subproblem import random_route_tsp
from qroute.qubo.held_karp import held_karp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default=",".join(b for b in LOCAL_BACKENDS if b != "exact"))
    parser.add_argument("--sizes", default="3,4,6,8,10,12")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--shots", type=int, default=None)
    args = parser.parse_args()
    sizes = [int(k) for k in args.sizes.split(",")]
    print(
        f"{'backend':<20} {'K':>3} {'n':>3} {'raw feasible':>12} {'mean gap %':>10} "
        f"{'max gap %':>9} {'optimum hit':>11} {'repaired':>8} {'s/subproblem':>12}"
    )
    optima = {
        (k, s): held_karp(random_route_tsp(k, s))[1] for k in sizes for s in range(args.seeds)
    }
    for name in args.backends.split(","):
        backend = get_backend(name)
        for k in sizes:
            if k > capacity(backend):
                print(f"{name:<20} {k:>3}   - (takes at most {capacity(backend)} stops)")
                continue
            gaps, feasible, times, hits, repaired = [], [], [], 0, 0
            for seed in range(args.seeds):
                sub = random_route_tsp(k, seed)
                start = time.perf_counter()
                result = backend.solve(sub, Budget(seed=seed, shots=args.shots))
                times.append(time.perf_counter() - start)
                best = optima[(k, seed)]
                gaps.append(100.0 * (result.cost - best) / best)
                feasible.append(result.raw_feasible_rate or 0.0)
                hits += int(result.cost <= best + 1e-9)
                repaired += int(result.repaired)
            print(
                f"{name:<20} {k:>3} {args.seeds:>3} {statistics.mean(feasible):>12.3f} "
                f"{statistics.mean(gaps):>10.2f} {max(gaps):>9.2f} "
                f"{hits:>5}/{args.seeds:<5} {repaired:>8} {statistics.median(times):>12.3f}"
            )


if __name__ == "__main__":
    main()
