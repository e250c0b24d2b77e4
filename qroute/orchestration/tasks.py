"""The Prefect tasks of the solve flow: thin wrappers around qroute's algorithms (the
pipeline itself runs in the flow, see qroute.orchestration.solve).

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
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.tasks import exponential_backoff

from qroute.hybrid.answer_store import ANSWERS_FOLDER, AnswerStore, answer_key
from qroute.hybrid.dispatch import policy_chain
from qroute.hybrid.pipeline import (
    PipelineConfig,
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
    """The pipeline's own solve-batch (dispatcher, budget) for one configuration; the first
    call in a process (a Dask worker's, too) installs the redaction of Prefect's run logs."""
    from qroute.orchestration.secrets import install_prefect_redaction

    install_prefect_redaction()
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
    provenance notes which process ran it (a Dask worker, or the flow's own process).

    An answer to the same content already in the answer store (qroute.hybrid.answer_store,
    under the cache folder) is reused; a new one is stored before the task returns."""
    from qroute.orchestration.secrets import install_prefect_redaction

    install_prefect_redaction()  # this task may run in a Dask worker process
    store = _answer_store()
    key = answer_key(sub, config.policy, policy_chain(config.policy, sub), config.shots)
    if store is not None and (known := store.get(key)) is not None:
        return mark_reused(known)
    result = _solver(config)([sub], [index])[0]
    worker = f"{socket.gethostname()}:{os.getpid()}"
    provenance = dataclasses.replace(
        result.provenance, details={**result.provenance.details, "worker": worker}
    )
    result = dataclasses.replace(result, provenance=provenance)
    if store is not None:
        store.put(key, result)
    return result


def _answer_store() -> AnswerStore | None:
    """The answer store beside the flow's result storage (run_solve points it at the cache
    folder); None when no cache folder is configured."""
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

    folder = PREFECT_LOCAL_STORAGE_PATH.value()
    return AnswerStore(Path(folder) / ANSWERS_FOLDER) if folder else None


def mark_reused(result: SolveResult) -> SolveResult:
    """Note in the provenance that this answer came from the cache, not from a new solve."""
    provenance = dataclasses.replace(
        result.provenance, details={**result.provenance.details, "reused_from_cache": True}
    )
    return dataclasses.replace(result, provenance=provenance)


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
    ablation: dict[str, Any] | None = None,
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
        ablation=ablation,
    )
    if out is not None:
        write_outputs(out, problem, routes, payload)
    payload["timing"]["report_seconds"] = time.perf_counter() - start
    return payload
