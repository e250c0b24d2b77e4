"""The `solve` flow: the library pipeline with its subproblem solves mapped as Prefect tasks,
then the baselines and the report.

Orchestration only: `solve_flow` calls `qroute.hybrid.pipeline.run_pipeline` - the function
the benchmarks and the tests run - with two hooks. Its `solve_batch` maps the
`qroute.orchestration.tasks.solve_subproblem` task over each batch (retries with backoff,
result persisted and cached by subproblem content + policy + seed + shots, so a rerun after a
crash reuses every subproblem that had finished; fanned out to Dask when the flow's task
runner is a DaskTaskRunner). Its `progress` is the qroute.hybrid.progress.Progress the caller
set with `use_progress` (e.g. the CLI's LiveProgress).

`run_solve` is what `qroute solve` and bench/flow_overhead.py call: it points Prefect's
result storage at the cache folder, starts the ephemeral API server in the background
while the heavy imports happen, runs the flow once and adds the end-to-end timing.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import flow

from qroute.hybrid.pipeline import PipelineConfig, run_pipeline
from qroute.hybrid.progress import Progress
from qroute.orchestration.batching import solve_batch_for
from qroute.orchestration.tasks import (
    run_baseline,
    write_report,
)

BASELINE_SOLVERS = ("pyvrp", "ortools")
DEFAULT_TIME_LIMIT = 30.0

# The progress view of the command running the flow (flow parameters must be serialisable,
# a live terminal view is not). The flow only refers to the functions below, so a flow
# shipped to Dask workers never captures the unpicklable ContextVar itself.
_PROGRESS: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "qroute_progress", default=None
)


def current_progress() -> Progress | None:
    """The progress view set by `use_progress`, or None."""
    return _PROGRESS.get()


def use_progress(progress: Progress | None) -> contextvars.Token[Progress | None]:
    return _PROGRESS.set(progress)


def reset_progress(token: contextvars.Token[Progress | None]) -> None:
    _PROGRESS.reset(token)


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
    from qroute.orchestration.secrets import install_prefect_redaction

    install_prefect_redaction()
    flow_start = time.perf_counter()
    started_at = started_at if started_at is not None else time.time()
    progress = current_progress()
    clock = _Clock()
    with clock.part("load"):
        problem = load_problem(instance, size, scenario_seed)
    config = PipelineConfig(
        policy=policy, time_limit=time_limit, seed=seed, max_stops=max_stops, shots=shots
    )
    with clock.part("hybrid"):
        result = run_pipeline(
            problem,
            config,
            solve_batch=solve_batch_for(config, progress),  # chunks per task on Dask
            progress=progress,
        )
    routes = [list(r) for r in result.routes]
    records = list(result.records)

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
        result.history,
        result.quantum_share,
        out,
        {"subproblems_initial": sum(1 for r in records if r.phase == "initial")},
        result.ablation,
    )


def _phase(progress: Progress | None, name: str) -> None:
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
    progress: Progress | None = None,
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
    timing["started_at"] = started_at  # epoch seconds: the command's own start
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
