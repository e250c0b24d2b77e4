"""Speed-up of the subproblem fan-out on a local Dask cluster: 1 vs 2 workers.

Partitions an instance (default X-n1001-k43), then times how long the solve flow's Dask
mapping takes to solve every initial subproblem (the fan-out phase; the improve phase is
deadline-bound, so it is not a speed measure). The same subproblems, seeds and policy run on
each cluster size: the same amount of subproblem work.

`--mapping chunks` (what the solve flow uses on Dask: qroute.orchestration.batching, a few
chunks of subproblems per worker) or `--mapping tasks` (one Prefect task per subproblem, the
old mapping) or `both`. Each worker is warmed up first (qroute's backends imported, numba
kernels compiled) with one small solve, timed separately as start-up, so the fan-out time is
solve work plus orchestration. `--address tcp://host:8786` uses an existing cluster instead.
Rows "plain" first solve the same chunks in plain processes (no Prefect, no Dask): the
machine's own ceiling for the speed-up (`--no-ceiling` skips them). Each row prints the
solves' own seconds (from their provenance), the busiest worker's share, the rest of the
fan-out (orchestration, waiting, contention) and the load average.

    .venv/bin/python bench/dask_speedup.py [--instance X-n1001-k43] [--workers 1,2]
        [--mapping chunks|tasks|both] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from qroute.orchestration.api_server import prefect_defaults, start_api_server

prefect_defaults()  # before Prefect is imported: one API server for every row, as qroute solve
_SERVER = start_api_server()  # starts in the background (or reuses the shared server)

from prefect import flow  # noqa: E402
from prefect.futures import wait  # noqa: E402

from qroute.hybrid.pipeline import PipelineConfig, initial_routes, make_subproblems  # noqa: E402
from qroute.model.loader import load_problem  # noqa: E402
from qroute.orchestration.batching import batched_solve_batch, dask_workers  # noqa: E402
from qroute.orchestration.runners import task_runner  # noqa: E402
from qroute.orchestration.tasks import solve_subproblem  # noqa: E402


def _subproblems(instance: str, policy: str, limit: int | None) -> tuple[list, PipelineConfig]:
    problem = load_problem(instance)
    config = PipelineConfig(policy=policy, seed=0)
    subs = make_subproblems(problem, initial_routes(problem, config), config.resolved_max_stops())
    return (subs[:limit] if limit else subs), config


def _warm_up(sub: Any, config: PipelineConfig) -> None:
    """One solve in this process on a seed no measured solve uses (qroute's per-process
    solver cache, imports and compiled kernels are then ready)."""
    from qroute.orchestration.tasks import _solver

    _solver(config)([sub], [10**6])


@flow(name="dask-fanout-bench", persist_result=False)
def fanout(instance: str, policy: str, mapping: str, limit: int | None) -> dict[str, Any]:
    from prefect.context import FlowRunContext

    subproblems, config = _subproblems(instance, policy, limit)
    context = FlowRunContext.get()
    assert context is not None
    workers = dask_workers(context.task_runner)
    assert workers is not None, "not a Dask task runner"
    warm = time.perf_counter()
    # every worker: imports, numba kernels, the dispatcher (Dask's Client.run)
    runner: Any = context.task_runner  # a prefect_dask DaskTaskRunner (checked above)
    runner.client.run(_warm_up, subproblems[0], config)
    # and each worker's Prefect task machinery (its first task run sets up an API client):
    # one throw-away chunk per worker on seeds no measured solve uses
    spare = subproblems[: 2 * workers]
    batched_solve_batch(config, workers, refresh_cache=True)(
        spare, [10**6 + i for i in range(len(spare))]
    )
    warm = time.perf_counter() - warm
    indices = list(range(len(subproblems)))
    start = time.perf_counter()
    if mapping == "chunks":
        # refresh_cache: every solve really runs (no answer from an earlier run's cache)
        results = batched_solve_batch(config, workers, refresh_cache=True)(subproblems, indices)
    else:
        futures = solve_subproblem.with_options(refresh_cache=True).map(
            subproblems, indices, config
        )
        wait(futures)
        results = [f.result() for f in futures]
    elapsed = time.perf_counter() - start
    reused = sum(bool(r.provenance.details.get("reused_from_cache")) for r in results)
    assert reused == 0, f"{reused} answers came from the cache: not a speed measurement"
    return _row([(str(r.provenance.details.get("worker")), r) for r in results], elapsed, warm)


def _row(ran: list[tuple[str, Any]], elapsed: float, warm: float) -> dict[str, Any]:
    """One table row from (worker, SolveResult) pairs: solve seconds summed per worker."""
    busy: dict[str, float] = {}
    for worker, r in ran:
        busy[worker] = busy.get(worker, 0.0) + r.provenance.wall_seconds
    return {
        "subproblems": len(ran),
        "seconds": elapsed,
        "warmup": warm,
        "workers": len(busy),
        "solve": sum(busy.values()),
        "busiest": max(busy.values()),
        "cost": sum(r.cost for _, r in ran),
    }


def _solve_chunk(subs: list, indices: list[int], config: PipelineConfig) -> tuple[int, list]:
    from qroute.orchestration.tasks import _solver

    return os.getpid(), _solver(config)(subs, indices)


def raw_fanout(instance: str, policy: str, limit: int | None, count: int) -> dict[str, Any]:
    """The machine's ceiling: the same chunks in `count` plain worker processes (warmed up
    the same way), no Prefect, no Dask."""
    from concurrent.futures import ProcessPoolExecutor

    from qroute.orchestration.batching import TASKS_PER_WORKER, chunk_indices

    subproblems, config = _subproblems(instance, policy, limit)
    groups = chunk_indices([s.size for s in subproblems], count * TASKS_PER_WORKER)
    with ProcessPoolExecutor(count) as pool:
        warm = time.perf_counter()
        for _ in pool.map(_warm_up, [subproblems[0]] * count, [config] * count):
            pass
        warm = time.perf_counter() - warm
        start = time.perf_counter()
        futures = [
            pool.submit(_solve_chunk, [subproblems[i] for i in g], list(g), config) for g in groups
        ]
        answers = [f.result() for f in futures]
        elapsed = time.perf_counter() - start
    return _row([(str(pid), r) for pid, chunk in answers for r in chunk], elapsed, warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", default="X-n1001-k43")
    parser.add_argument("--policy", default="local")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--mapping", choices=("chunks", "tasks", "both"), default="chunks")
    parser.add_argument(
        "--no-ceiling", dest="ceiling", action="store_false", help="skip the plain-process rows"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N subproblems")
    parser.add_argument("--address", default=None, help="an existing Dask cluster")
    args = parser.parse_args()
    print(
        f"cpus={os.cpu_count()} instance={args.instance} policy={args.policy}; "
        "fan-out: wall of the mapped solves after warm-up; solve: the solves' own seconds "
        "summed, busiest: the most any one worker solved; rest = fan-out - busiest "
        "(orchestration, waiting, contention); load: 1-min load average after the row"
    )
    print(
        f"{'mapping':>7} {'workers':>7} {'subproblems':>11} {'fan-out s':>9} {'speed-up':>8} "
        f"{'solve s':>7} {'busiest s':>9} {'rest s':>6} {'warm-up s':>9} {'total s':>8} "
        f"{'sum of costs':>13} {'load':>5}"
    )
    if _SERVER is not None:
        _SERVER.wait_ready()
    mappings = ("chunks", "tasks") if args.mapping == "both" else (args.mapping,)
    if args.ceiling:  # "plain": the same chunks in plain processes, the machine's ceiling
        mappings = ("plain", *mappings)
    for mapping in mappings:
        base = None
        for count in (int(w) for w in args.workers.split(",")):
            began = time.perf_counter()
            if mapping == "plain":
                result = raw_fanout(args.instance, args.policy, args.limit, count)
            else:
                runner = task_runner(dask_address=args.address, dask_workers=count)
                result = fanout.with_options(task_runner=runner)(
                    args.instance, args.policy, mapping, args.limit
                )
            total = time.perf_counter() - began
            base = base or result["seconds"]
            print(
                f"{mapping:>7} {result['workers']:>7} {result['subproblems']:>11} "
                f"{result['seconds']:>9.1f} {base / result['seconds']:>7.2f}x "
                f"{result['solve']:>7.1f} {result['busiest']:>9.1f} "
                f"{result['seconds'] - result['busiest']:>6.1f} "
                f"{result['warmup']:>9.1f} {total:>8.1f} {result['cost']:>13,.1f} "
                f"{os.getloadavg()[0]:>5.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
