"""Speed-up of the subproblem fan-out on a local Dask cluster: 1 vs 2 workers.

Partitions an instance (default X-n1001-k43), then times how long the solve flow's mapped
subproblem task takes to solve every initial subproblem (the fan-out phase; the improve phase
is deadline-bound, so it is not a speed measure). Cluster start-up is timed separately.

    .venv/bin/python bench/dask_speedup.py [--instance X-n1001-k43] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from prefect import flow
from prefect.futures import wait

from qroute.hybrid.pipeline import PipelineConfig, initial_routes, make_subproblems
from qroute.model.loader import load_problem
from qroute.orchestration.runners import task_runner
from qroute.orchestration.tasks import solve_subproblem


@flow(name="dask-fanout-bench", persist_result=False)
def fanout(instance: str, policy: str, seed: int) -> dict[str, Any]:
    problem = load_problem(instance)
    config = PipelineConfig(policy=policy, seed=seed)
    subproblems = make_subproblems(
        problem, initial_routes(problem, config), config.resolved_max_stops()
    )
    start = time.perf_counter()
    # refresh_cache: every solve really runs (no answer from an earlier run's cache)
    solver = solve_subproblem.with_options(refresh_cache=True)
    futures = solver.map(subproblems, list(range(len(subproblems))), config)
    wait(futures)
    elapsed = time.perf_counter() - start
    workers = {f.result().provenance.details.get("worker") for f in futures}
    cached = sum(f.state.name == "Cached" for f in futures)
    assert cached == 0, f"{cached} answers came from the cache: not a speed measurement"
    return {"subproblems": len(subproblems), "seconds": elapsed, "workers": len(workers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instance", default="X-n1001-k43")
    parser.add_argument("--policy", default="local")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    print(f"cpus={os.cpu_count()} instance={args.instance} policy={args.policy}")
    print(f"{'workers':>7} {'subproblems':>11} {'fan-out s':>9} {'speed-up':>8} {'total s':>8}")
    base = None
    for count in (int(w) for w in args.workers.split(",")):
        runner = task_runner(dask_workers=count)
        began = time.perf_counter()
        result = fanout.with_options(task_runner=runner)(args.instance, args.policy, seed=0)
        total = time.perf_counter() - began
        base = base or result["seconds"]
        print(
            f"{count:>7} {result['subproblems']:>11} {result['seconds']:>9.1f} "
            f"{base / result['seconds']:>7.2f}x {total:>8.1f}"
        )


if __name__ == "__main__":
    main()
