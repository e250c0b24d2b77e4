"""Subproblem chunks per task (qroute.orchestration.batching): balanced, ordered, same answers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from qroute.orchestration.batching import TASKS_PER_WORKER, chunk_indices, dask_workers


def test_chunks_cover_every_position_once_and_balance_the_work() -> None:
    sizes = [12, 3, 12, 7, 5, 12, 2, 9, 11, 4]
    groups = chunk_indices(sizes, 4)
    assert sorted(i for g in groups for i in g) == list(range(len(sizes)))
    assert all(g == sorted(g) for g in groups)
    loads = sorted(sum(sizes[i] ** 2 for i in g) for g in groups)
    assert loads == [169, 173, 193, 202]  # LPT on size**2: the spread is below one big job


def test_chunks_never_outnumber_the_subproblems() -> None:
    assert chunk_indices([5, 5], 8) == [[0], [1]]
    assert chunk_indices([4], 1) == [[0]]
    assert chunk_indices([], 3) == []


def test_dask_workers_counts_the_clusters_threads() -> None:
    from prefect_dask import DaskTaskRunner

    assert dask_workers(object()) is None

    class Client:
        def nthreads(self) -> dict[str, int]:
            return {"tcp://a": 1, "tcp://b": 1, "tcp://c": 2}

    class Runner(DaskTaskRunner):
        @property
        def client(self) -> Client:  # type: ignore[override]
            return Client()

    assert dask_workers(Runner()) == 4
    assert TASKS_PER_WORKER >= 1


@pytest.mark.slow
def test_batched_solve_batch_matches_one_task_per_subproblem(tmp_path: Path) -> None:
    """In a real flow: the chunked answers are the per-subproblem answers, in order."""
    from prefect import flow
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    from qroute.hybrid.pipeline import PipelineConfig, initial_routes, make_subproblems
    from qroute.model.scenario import yangtze_delta
    from qroute.orchestration.batching import batched_solve_batch, mapped_solve_batch

    problem = yangtze_delta(num_customers=30)
    config = PipelineConfig(policy="local", seed=3)
    subs = make_subproblems(problem, initial_routes(problem, config), config.resolved_max_stops())
    indices = list(range(len(subs)))

    @flow(persist_result=False)
    def both() -> tuple[list, list]:
        chunked = batched_solve_batch(config, workers=2)(subs, indices)
        single = mapped_solve_batch(config)(subs, indices)
        return chunked, single

    with temporary_settings({PREFECT_LOCAL_STORAGE_PATH: tmp_path}):
        chunked, single = both()
    assert len(chunked) == len(subs) >= 4
    assert [r.routes for r in chunked] == [r.routes for r in single]
    assert all(r.provenance.details.get("chunk") is True for r in chunked)


@pytest.mark.slow
def test_a_remote_worker_solves_under_the_flows_cloud_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings the flow process configures after the cluster started never reach a worker
    process through the environment; the chunk task's payload carries them there."""
    from distributed import Client, LocalCluster
    from prefect import flow
    from prefect_dask import DaskTaskRunner

    from qroute.cloud.settings import EXPORTED_ENV, configure, current_settings, reset_settings
    from qroute.hybrid.pipeline import PipelineConfig, initial_routes, make_subproblems
    from qroute.model.scenario import yangtze_delta
    from qroute.orchestration.batching import batched_solve_batch

    for variable in EXPORTED_ENV:
        monkeypatch.delenv(variable, raising=False)  # restored after the test
    monkeypatch.setenv("PREFECT_LOCAL_STORAGE_PATH", str(tmp_path / "results"))
    problem = yangtze_delta(num_customers=12)
    config = PipelineConfig(policy="local", seed=1)
    subs = make_subproblems(problem, initial_routes(problem, config), config.resolved_max_stops())
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster.scheduler_address) as client,
    ):
        flow_settings = configure(run_dir=tmp_path / "run", budget_usd=1.25, wait_seconds=7.0)
        try:
            (before,) = client.run(current_settings).values()
            assert (before.run_dir, before.budget_usd) == (Path("runs/cloud"), None)

            runner: Any = DaskTaskRunner(address=cluster.scheduler_address)

            @flow(task_runner=runner)
            def on_the_cluster() -> list:
                solve = batched_solve_batch(config, workers=1, refresh_cache=True)
                return solve(subs[:2], [0, 1])

            results = on_the_cluster()
            (after,) = client.run(current_settings).values()
            (pid,) = client.run(os.getpid).values()
        finally:
            reset_settings()
    assert {r.provenance.details["worker"].split(":")[1] for r in results} == {str(pid)}
    assert pid != os.getpid()
    assert after == flow_settings
    assert (after.run_dir, after.budget_usd, after.wait_seconds) == (tmp_path / "run", 1.25, 7.0)
