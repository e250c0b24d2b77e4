"""The solve flow fans its subproblem tasks out to a 2-worker local Dask cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qroute.orchestration.runners import describe, task_runner

QROUTE = str(Path(sys.executable).with_name("qroute"))


def test_runner_selection_from_arguments_and_environment(monkeypatch) -> None:
    monkeypatch.delenv("QROUTE_DASK_ADDRESS", raising=False)
    monkeypatch.delenv("QROUTE_DASK_WORKERS", raising=False)
    assert task_runner() is None
    assert describe(None) == "threads (in-process)"
    local = task_runner(dask_workers=3)
    assert local is not None
    assert local.cluster_kwargs["n_workers"] == 3
    assert describe(local) == "local dask cluster (3 workers)"
    monkeypatch.setenv("QROUTE_DASK_ADDRESS", "tcp://127.0.0.1:8786")
    remote = task_runner()
    assert remote is not None
    assert remote.address == "tcp://127.0.0.1:8786"
    assert describe(remote) == "dask cluster at tcp://127.0.0.1:8786"
    monkeypatch.delenv("QROUTE_DASK_ADDRESS")
    monkeypatch.setenv("QROUTE_DASK_WORKERS", "zero")
    with pytest.raises(ValueError, match="QROUTE_DASK_WORKERS must be a whole number"):
        task_runner()


@pytest.mark.slow
def test_solve_flow_on_a_two_worker_local_cluster(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "QROUTE_RUN_DIR": str(tmp_path / "cloud"),
    }
    done = subprocess.run(
        [QROUTE, "solve", "--size", "24", "--time-limit", "4", "--policy", "local",
         "--no-baselines", "--dask-workers", "2", "--out", str(out),
         "--cache-dir", str(tmp_path / "cache")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    payload = json.loads((out / "result.json").read_text())
    assert payload["feasible"] is True
    assert payload["settings"]["task_runner"] == "local dask cluster (2 workers)"
    workers = {s["provenance"]["details"].get("worker") for s in payload["subproblems"]}
    workers.discard(None)
    pids = {w.split(":")[1] for w in workers}
    assert str(os.getpid()) not in pids
    assert len(pids) == 2, f"subproblems ran in {pids}"
    # on Dask the flow solves subproblems in chunks (qroute.orchestration.batching)
    assert {s["provenance"]["details"].get("chunk") for s in payload["subproblems"]} == {True}


@pytest.mark.slow
def test_solve_runs_on_an_existing_cluster_given_its_address(tmp_path: Path) -> None:
    """`qroute solve --dask-address` sends the subproblem chunks to a cluster it did not
    start: here a LocalCluster of this test, whose worker processes ran every solve."""
    from distributed import Client, LocalCluster

    out = tmp_path / "out"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "QROUTE_RUN_DIR": str(tmp_path / "cloud"),
    }
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster.scheduler_address) as client,
    ):
        address = cluster.scheduler_address
        done = subprocess.run(
            [QROUTE, "solve", "--size", "16", "--time-limit", "3", "--policy", "local",
             "--no-baselines", "--dask-address", address, "--out", str(out),
             "--cache-dir", str(tmp_path / "cache")],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        worker_pids = {str(pid) for pid in client.run(os.getpid).values()}
    assert done.returncode == 0, done.stderr[-3000:]
    payload = json.loads((out / "result.json").read_text())
    assert payload["feasible"] is True
    assert payload["settings"]["task_runner"] == f"dask cluster at {address}"
    ran_in = {s["provenance"]["details"].get("worker") for s in payload["subproblems"]}
    ran_in.discard(None)
    assert ran_in and {w.split(":")[1] for w in ran_in} <= worker_pids
