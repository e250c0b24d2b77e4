"""The Prefect tasks of the solve flow: thin wrappers around qroute's algorithms.

Only `solve_subproblem` persists its result and is cached; every other task is cheap or
must rerun (baselines are timed runs, validation must see this run's routes), so they use
`NO_CACHE` and keep their results in memory.

The subproblem cache key is a digest of what determines the answer: the subproblem's
content hash (`Subproblem.key()`: kind, local distance matrix, global node ids), the
backend policy and the fallback chain it resolves to for this subproblem, the seed the
backend really gets (the pipeline's `default_solve_batch` uses `config.seed + index`) and
the shot count, plus `CACHE_VERSION` (bump it when a backend's behaviour changes). The run's
time limit is deliberately not part of the key: a subproblem's answer does not depend on it.
Results (pickled `SolveResult`s, metadata and value together, one file named by the key)
go to the flow's result storage, `PREFECT_LOCAL_STORAGE_PATH`, which
`qroute.orchestration.solve.run_solve` points at the cache folder (`.qroute/cache` by default).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.tasks import exponential_backoff

from qroute.hybrid.dispatch import policy_chain
from qroute.hybrid.improve import ArcLedger
from qroute.hybrid.pipeline import (
    PipelineConfig,
    Progress,
    SolveBatch,
    SubproblemRecord,
    default_solve_batch,
)
from qroute.model.problem import Problem
from qroute.model.solver import SolveResult
from qroute.model.subproblem import Subproblem

CACHE_VERSION = "1"
SUBPROBLEM_RETRIES = 2


def subproblem_cache_key(sub: Subproblem, index: int, config: PipelineConfig) -> str:
    """The persistent cache key of one subproblem solve (see the module docstring)."""
    chain = "+".join(policy_chain(config.policy, sub))
    parts = [
        CACHE_VERSION,
        sub.key(),
        config.policy,
        chain,
        f"seed={config.seed + index}",
        f"shots={config.shots}",
    ]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return f"qroute-subproblem-{digest}"


def _cache_key_fn(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return subproblem_cache_key(parameters["sub"], parameters["index"], parameters["config"])


@lru_cache(maxsize=8)
def _solver(config: PipelineConfig) -> SolveBatch:
    """The pipeline's own solve-batch (dispatcher, budget) for one configuration."""
    return default_solve_batch(config)


@task(
    name="solve-subproblem",
    task_run_name="subproblem-{index}",
    retries=SUBPROBLEM_RETRIES,
    retry_delay_seconds=exponential_backoff(backoff_factor=1.0),  # 1 s, 2 s (+ jitter)
    retry_jitter_factor=0.5,
    cache_key_fn=_cache_key_fn,
    persist_result=True,
    result_serializer="pickle",
)
def solve_subproblem(sub: Subproblem, index: int, config: PipelineConfig) -> SolveResult:
    """Solve one subproblem through the policy's backend chain (the dispatcher); the
    provenance notes which process ran it (a Dask worker, or the flow's own process)."""
    result = _solver(config)([sub], [index])[0]
    worker = f"{socket.gethostname()}:{os.getpid()}"
    provenance = dataclasses.replace(
        result.provenance, details={**result.provenance.details, "worker": worker}
    )
    return dataclasses.replace(result, provenance=provenance)


def mark_reused(result: SolveResult) -> SolveResult:
    """Note in the provenance that this answer came from the cache, not from a new solve."""
    provenance = dataclasses.replace(
        result.provenance, details={**result.provenance.details, "reused_from_cache": True}
    )
    return dataclasses.replace(result, provenance=provenance)


@task(name="partition", cache_policy=NO_CACHE, persist_result=False)
def partition(problem: Problem, config: PipelineConfig) -> tuple[list[list[int]], list[Subproblem]]:
    """A feasible start and the subproblems cut from it."""
    from qroute.hybrid.pipeline import initial_routes, make_subproblems

    routes = initial_routes(problem, config)
    return routes, make_subproblems(problem, routes, config.resolved_max_stops())


@task(name="stitch", cache_policy=NO_CACHE, persist_result=False)
def stitch(
    problem: Problem,
    routes: list[list[int]],
    subproblems: Sequence[Subproblem],
    results: Sequence[SolveResult],
    phase: str,
    start_index: int,
    ledger: ArcLedger,
) -> tuple[list[list[int]], list[SubproblemRecord]]:
    """Adopt the subproblem answers that improve their routes (arc provenance in `ledger`)."""
    from qroute.hybrid import pipeline

    new_routes, records = pipeline.stitch(
        problem, routes, list(subproblems), list(results), phase, start_index, ledger=ledger
    )
    return [list(r) for r in new_routes], list(records)


@task(name="improve", cache_policy=NO_CACHE, persist_result=False)
def improve(
    problem: Problem,
    routes: list[list[int]],
    config: PipelineConfig,
    solve_batch: SolveBatch,
    deadline: float,
    ledger: ArcLedger,
    progress: Progress | None = None,
    start_index: int = 0,
) -> tuple[list[list[int]], list[SubproblemRecord], list[tuple[float, float]]]:
    """Improvement rounds until `deadline` (a perf_counter value); their subproblems go
    through `solve_batch`, i.e. the mapped `solve_subproblem` task."""
    from qroute.hybrid import pipeline

    new_routes, records, history = pipeline.improve(
        problem,
        routes,
        config,
        solve_batch,
        deadline,
        progress,
        start_index=start_index,
        ledger=ledger,
    )
    return [list(r) for r in new_routes], list(records), [(float(t), float(c)) for t, c in history]


@task(name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate_routes(problem: Problem, routes: list[list[int]]) -> Any:
    """The independent validator on the final routes."""
    from qroute.model.validation import validate

    return validate(problem, routes)


@task(name="baseline", task_run_name="baseline-{name}", cache_policy=NO_CACHE, persist_result=False)
def run_baseline(name: str, problem: Problem, time_limit: float, seed: int) -> dict[str, Any]:
    """One classical baseline under the same wall-time budget, validated independently."""
    from qroute.baselines import BASELINES
    from qroute.model.solver import Budget
    from qroute.reporting.output import baseline_entry

    solver = BASELINES[name]()
    start = time.perf_counter()
    result = solver.solve(problem, Budget(time_limit=time_limit, seed=seed))
    wall = time.perf_counter() - start
    return baseline_entry(problem, result.routes, wall, device=result.provenance.device, seed=seed)


@task(name="report", cache_policy=NO_CACHE, persist_result=False)
def write_report(
    problem: Problem,
    routes: list[list[int]],
    records: Sequence[SubproblemRecord],
    baselines: dict[str, dict[str, Any]],
    settings: dict[str, Any],
    timing: dict[str, Any],
    history: Sequence[tuple[float, float]],
    quantum_share: dict[str, Any],
    out: str | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The result payload (validated independently again) and, with `out`, the files:
    solution.sol, result.json, summary.md, routes.png."""
    from qroute.reporting.output import result_payload, write_outputs

    start = time.perf_counter()
    payload = result_payload(
        problem,
        routes,
        records=records,
        baselines=baselines,
        wall_seconds=float(timing.get("hybrid_seconds", 0.0)),
        settings=settings,
        timing=timing,
        history=history,
        quantum_share=quantum_share,
        extra=extra,
    )
    if out is not None:
        write_outputs(out, problem, routes, payload)
    payload["timing"]["report_seconds"] = time.perf_counter() - start
    return payload
