"""Subproblem solves batched per task, for Dask clusters where one task per subproblem costs
more in Prefect bookkeeping (a task run per subproblem, results shipped one by one) than the
solve itself.

`batched_solve_batch` cuts a batch into about `TASKS_PER_WORKER` chunks per worker, balanced
by the work each subproblem costs (its size squared: the QUBO grows with it), and maps
`solve_subproblem_chunk` over the chunks; each chunk solves its subproblems one by one in
the worker through the pipeline's own solve-batch (`qroute.orchestration.tasks._solver`,
cached per process, so the dispatcher and its backends stay warm on the worker). A chunk's
answers are cached and persisted under a key built from its members' own cache keys.

`solve_batch_for` picks the mapping for the flow's task runner: chunks on Dask, one task per
subproblem otherwise (threads share the process, so there is nothing to amortise).
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

from prefect import task, unmapped
from prefect.context import TaskRunContext
from prefect.futures import as_completed
from prefect.tasks import exponential_backoff

from qroute.cloud.settings import CloudSettings, current_settings, use_settings
from qroute.hybrid.pipeline import PipelineConfig, SolveBatch
from qroute.hybrid.progress import Progress
from qroute.model.solver import SolveResult
from qroute.model.subproblem import Subproblem
from qroute.orchestration.tasks import (
    SUBPROBLEM_RETRIES,
    _solver,
    mark_reused,
    solve_subproblem,
    subproblem_cache_key,
)

TASKS_PER_WORKER = 2  # a little slack for uneven chunks, few enough to amortise the overhead


def chunk_indices(sizes: Sequence[int], chunks: int) -> list[list[int]]:
    """Positions 0..len(sizes)-1 in at most `chunks` groups of about equal work (size**2),
    by longest-processing-time-first; each group keeps its positions in order."""
    chunks = max(1, min(chunks, len(sizes)))
    heap = [(0, k) for k in range(chunks)]
    groups: list[list[int]] = [[] for _ in range(chunks)]
    for position in sorted(range(len(sizes)), key=lambda i: -(sizes[i] ** 2)):
        load, k = heapq.heappop(heap)
        groups[k].append(position)
        heapq.heappush(heap, (load + sizes[position] ** 2, k))
    return [sorted(g) for g in groups if g]


def _chunk_key_fn(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    config = parameters["config"]
    keys = [
        subproblem_cache_key(sub, index, config)
        for sub, index in zip(parameters["subs"], parameters["indices"], strict=True)
    ]
    return "qroute-chunk-" + hashlib.sha256("|".join(keys).encode()).hexdigest()[:32]


@task(
    name="solve-subproblem-chunk",
    retries=SUBPROBLEM_RETRIES,
    retry_delay_seconds=exponential_backoff(backoff_factor=1.0),
    retry_jitter_factor=0.5,
    cache_key_fn=_chunk_key_fn,
    persist_result=True,
    result_serializer="pickle",
)
def solve_subproblem_chunk(
    subs: list[Subproblem],
    indices: list[int],
    config: PipelineConfig,
    cloud: CloudSettings | None = None,
) -> list[SolveResult]:
    """Solve several subproblems in one task, one by one (see the module docstring), under
    the flow's cloud settings `cloud` (run folder, budgets, waits): they come with the
    payload because a remote worker's environment never saw the flow's `configure`."""
    if cloud is not None:
        use_settings(cloud)
    results = _solver(config)(list(subs), list(indices))
    worker = f"{socket.gethostname()}:{os.getpid()}"
    return [
        dataclasses.replace(
            r,
            provenance=dataclasses.replace(
                r.provenance, details={**r.provenance.details, "worker": worker, "chunk": True}
            ),
        )
        for r in results
    ]


def batched_solve_batch(
    config: PipelineConfig, workers: int, progress: Any = None, refresh_cache: bool = False
) -> SolveBatch:
    """A SolveBatch that maps `solve_subproblem_chunk` over about TASKS_PER_WORKER chunks
    per worker; `refresh_cache` solves again even what the cache holds (benchmarks)."""
    chunk_task = (
        solve_subproblem_chunk.with_options(refresh_cache=True)
        if refresh_cache
        else solve_subproblem_chunk
    )

    def solve_batch(subproblems: list[Subproblem], indices: list[int]) -> list[SolveResult]:
        if not subproblems:
            return []
        if progress is not None:
            progress.add_total(len(subproblems))
        groups = chunk_indices([s.size for s in subproblems], workers * TASKS_PER_WORKER)
        futures = chunk_task.map(
            [[subproblems[i] for i in g] for g in groups],
            [[indices[i] for i in g] for g in groups],
            unmapped(config),
            unmapped(current_settings()),  # the flow's settings, to every worker
        )
        by_future = {id(f): g for f, g in zip(futures, groups, strict=True)}
        for future in as_completed(futures):
            future.wait()
            if progress is not None:
                for _ in by_future[id(future)]:
                    progress.subproblem_done(cached=future.state.name == "Cached")
        results: list[SolveResult | None] = [None] * len(subproblems)
        for future, group in zip(futures, groups, strict=True):
            reused = future.state.name == "Cached"
            for position, result in zip(group, future.result(), strict=True):
                results[position] = mark_reused(result) if reused else result
        return [r for r in results if r is not None]

    return solve_batch


def mapped_solve_batch(config: PipelineConfig, progress: Progress | None = None) -> SolveBatch:
    """A SolveBatch that maps `solve_subproblem` (one concurrent task per subproblem); an
    answer found in the persisted cache is marked `reused_from_cache` in its provenance."""

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


def dask_workers(runner: Any) -> int | None:
    """How many tasks a prefect-dask task runner's cluster runs at once (its worker threads,
    through the runner's public `client`); None for any other runner."""
    if "prefect_dask" not in sys.modules:  # no Dask runner exists: skip the 0.4 s import
        return None
    from prefect_dask import DaskTaskRunner

    if not isinstance(runner, DaskTaskRunner):
        return None
    try:
        return max(1, sum(runner.client.nthreads().values()))
    except Exception:  # noqa: BLE001 - a cluster that cannot say: assume one worker
        return 1


def solve_batch_for(config: PipelineConfig, progress: Any = None) -> SolveBatch:
    """Chunks on a Dask task runner (inside a flow run), one task per subproblem elsewhere."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    workers = dask_workers(context.task_runner) if context is not None else None
    if workers is None:
        return mapped_solve_batch(config, progress)
    return batched_solve_batch(config, workers, progress)
