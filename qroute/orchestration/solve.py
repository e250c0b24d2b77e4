"""The `solve` flow: partition, subproblem solves, stitch, improve, validate, baselines, report.

Orchestration only; every algorithm lives in qroute (the pipeline, the dispatcher, the
validator, the baselines, the output writers). Subproblem solves are one mapped Prefect
task each (`qroute.orchestration.tasks.solve_subproblem`: retries with backoff, result persisted and
cached by subproblem content + policy + seed + shots), so a rerun after a crash reuses
every subproblem that had finished. The improve rounds map the same task through the
`solve_batch` they are given.

`run_solve` is what `qroute solve` and bench/flow_overhead.py call: it points Prefect's
result storage at the cache folder, starts the ephemeral API server in the background
while the heavy imports happen, runs the flow once and adds the end-to-end timing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import flow, unmapped
from prefect.futures import as_completed

from qroute.cli.progress import current_progress, reset_progress, use_progress
from qroute.hybrid.improve import ArcLedger
from qroute.hybrid.pipeline import PipelineConfig, SolveBatch, quantum_share
from qroute.model.solver import SolveResult
from qroute.model.subproblem import Subproblem
from qroute.model.validation import validate
from qroute.orchestration.batching import solve_batch_for
from qroute.orchestration.tasks import improve as improve_task
from qroute.orchestration.tasks import (
    mark_reused,
    partition,
    run_baseline,
    solve_subproblem,
    stitch,
    validate_routes,
    write_report,
)

BASELINE_SOLVERS = ("pyvrp", "ortools")
DEFAULT_TIME_LIMIT = 30.0


class _Clock:
    """Sums the seconds spent inside optimisation (thread-safe)."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.parts[name] = self.parts.get(name, 0.0) + time.perf_counter() - start


def mapped_solve_batch(config: PipelineConfig, progress: Any = None) -> SolveBatch:
    """A SolveBatch that maps `solve_subproblem` (one concurrent task per subproblem)."""

    def solve_batch(subproblems: list[Subproblem], indices: list[int]) -> list[SolveResult]:
        if not subproblems:
            return []
        if progress is not None:
            progress.add_total(len(subproblems))
        futures = solve_subproblem.map(subproblems, indices, unmapped(config))
        for future in as_completed(futures):
            future.wait()
            if progress is not None:
                progress.subproblem_done(cached=future.state.name == "Cached")
        results = []
        for future in futures:
            result = future.result()
            results.append(mark_reused(result) if future.state.name == "Cached" else result)
        return results

    return solve_batch


@flow(
    name="qroute-solve",
    flow_run_name="solve-{instance}-{policy}",
    validate_parameters=False,
    persist_result=False,
    log_prints=False,
)
def solve_flow(
    instance: str = "yangtze-delta",
    time_limit: float = DEFAULT_TIME_LIMIT,
    policy: str = "mixed",
    seed: int = 0,
    out: str | None = None,
    baselines: bool = True,
    size: int | None = None,
    scenario_seed: int | None = None,
    shots: int | None = None,
    max_stops: int | None = None,
    started_at: float | None = None,
) -> dict[str, Any]:
    """Solve one instance with the hybrid pipeline and compare it with the baselines.

    Returns the result payload (what result.json holds); writes the outputs to `out`.
    """
    from qroute.model.loader import load_problem

    flow_start = time.perf_counter()
    started_at = started_at if started_at is not None else time.time()
    progress = current_progress()
    clock = _Clock()
    with clock.part("load"):
        problem = load_problem(instance, size, scenario_seed)
    config = PipelineConfig(
        policy=policy, time_limit=time_limit, seed=seed, max_stops=max_stops, shots=shots
    )
    solve_batch = solve_batch_for(config, progress)  # chunks per task on Dask

    with clock.part("hybrid"):
        t0 = time.perf_counter()
        deadline = t0 + time_limit
        ledger = ArcLedger(problem)
        _phase(progress, "partition")
        routes, subproblems = partition(problem, config)
        history = [(time.perf_counter() - t0, validate(problem, routes).cost)]
        _phase(progress, "initial")
        results = solve_batch(subproblems, list(range(len(subproblems))))
        routes, records = stitch(problem, routes, subproblems, results, "initial", 0, ledger)
        history.append((time.perf_counter() - t0, validate(problem, routes).cost))
        if progress is not None:
            progress.best_cost(history[-1][1])
        _phase(progress, "improve")
        mark = time.perf_counter() - t0
        routes, more, improve_history = improve_task(
            problem,
            routes,
            config,
            solve_batch,
            deadline,
            ledger,
            progress=progress,
            start_index=len(subproblems),
        )
        history.extend((mark + t, c) for t, c in improve_history)
        records = [*records, *more]
        _phase(progress, "validate")
        final_check: Any = validate_routes(problem, routes)  # Prefect 3.9 types it a coroutine
        share = quantum_share(records, routes, ledger)
        if progress is not None:
            progress.best_cost(final_check.cost)

    baseline_entries: dict[str, dict[str, Any]] = {}
    if baselines:
        _phase(progress, "baselines")
        with clock.part("baselines"):
            futures = {
                name: run_baseline.submit(name, problem, time_limit, seed)
                for name in BASELINE_SOLVERS
            }
            for name, future in futures.items():
                future.wait()
                state = future.state
                if state.is_completed():
                    baseline_entries[name] = future.result()
                else:
                    baseline_entries[name] = {
                        "cost": None,
                        "feasible": False,
                        "gap_percent": None,
                        "wall_seconds": None,
                        "error": str(state.message or state.name),
                    }

    _phase(progress, "report")
    parts = dict(clock.parts)
    optimisation = parts.get("hybrid", 0.0) + parts.get("baselines", 0.0)
    total = time.time() - started_at
    timing = {
        "total_seconds": total,
        "before_flow_seconds": max(0.0, total - (time.perf_counter() - flow_start)),
        "load_seconds": parts.get("load", 0.0),
        "hybrid_seconds": parts.get("hybrid", 0.0),
        "baselines_seconds": parts.get("baselines", 0.0),
        "optimisation_seconds": optimisation,
        "orchestration_seconds": max(0.0, total - optimisation - parts.get("load", 0.0)),
    }
    settings = {
        "instance": instance,
        "policy": policy,
        "time_limit": time_limit,
        "seed": seed,
        "shots": shots,
        "max_stops": config.resolved_max_stops(),
        "size": size,
        "scenario_seed": scenario_seed,
        "baselines": list(BASELINE_SOLVERS) if baselines else [],
    }
    return write_report(
        problem,
        routes,
        records,
        baseline_entries,
        settings,
        timing,
        history,
        share,
        out,
        {"subproblems_initial": len(subproblems)},
    )


def _phase(progress: Any, name: str) -> None:
    if progress is not None:
        progress.set_phase(name)


def run_solve(
    *,
    instance: str = "yangtze-delta",
    time_limit: float = DEFAULT_TIME_LIMIT,
    policy: str = "mixed",
    seed: int = 0,
    out: str | Path | None = None,
    baselines: bool = True,
    size: int | None = None,
    scenario_seed: int | None = None,
    shots: int | None = None,
    max_stops: int | None = None,
    cache_dir: str | Path = Path(".qroute") / "cache",
    progress: Any = None,
    started_at: float | None = None,
    wait_for_api: Callable[[], None] | None = None,
    task_runner: Any | None = None,
) -> dict[str, Any]:
    """Run `solve_flow` once with subproblem results persisted under `cache_dir`.

    `task_runner` (see qroute.orchestration.runners.task_runner) fans the subproblem tasks out,
    e.g. to a Dask cluster; None keeps the default thread pool.

    `progress` (e.g. qroute.cli.progress.LiveProgress) sees phases, subproblem completions and
    the best cost. `wait_for_api` blocks until an API server started in the background
    (qroute.cli.commands.start_api_server) answers; it is called before the flow starts. The
    returned payload's timing (and result.json, when `out` is given) covers everything from
    `started_at` until the flow returned.
    """
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    started_at = started_at if started_at is not None else time.time()
    cache = Path(cache_dir).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    if wait_for_api is not None:
        wait_for_api()
    api_ready = time.time() - started_at
    token = use_progress(progress)
    try:
        runnable = (
            solve_flow if task_runner is None else solve_flow.with_options(task_runner=task_runner)
        )
        with temporary_settings({PREFECT_LOCAL_STORAGE_PATH: cache}):
            payload = runnable(
                instance=instance,
                time_limit=time_limit,
                policy=policy,
                seed=seed,
                out=str(out) if out is not None else None,
                baselines=baselines,
                size=size,
                scenario_seed=scenario_seed,
                shots=shots,
                max_stops=max_stops,
                started_at=started_at,
            )
    finally:
        reset_progress(token)
    timing = payload["timing"]
    total = time.time() - started_at
    timing["api_ready_seconds"] = api_ready  # imports + ephemeral server start, overlapped
    timing["total_seconds"] = total
    timing["orchestration_seconds"] = max(
        0.0,
        total
        - timing["optimisation_seconds"]
        - timing["load_seconds"]
        - timing.get("report_seconds", 0.0),
    )
    timing["orchestration_share"] = timing["orchestration_seconds"] / total if total else 0.0
    payload["orchestration_seconds"] = timing["orchestration_seconds"]
    payload["settings"]["cache_dir"] = str(cache)
    from qroute.orchestration.runners import describe

    payload["settings"]["task_runner"] = describe(task_runner)
    if out is not None:
        from qroute.reporting.output import (
            RESULT_JSON,
            SUMMARY_MD,
            write_result_json,
            write_summary,
        )

        write_result_json(Path(out) / RESULT_JSON, payload)
        write_summary(Path(out) / SUMMARY_MD, payload)
    return payload
