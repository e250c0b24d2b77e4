"""prefect.yaml works end to end: a real local Prefect server and a process worker,
`prefect deploy --all`, then a parameterised deployment run that completes with artifacts."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.paths import REPO

PREFECT = str(Path(sys.executable).with_name("prefect"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert server.poll() is None, "the Prefect server exited"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError("the Prefect server did not become healthy")


def _run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.slow
def test_deploy_all_and_run_solve_on_demand_with_parameters(tmp_path: Path) -> None:
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        "QROUTE_HOME": str(REPO),
    }
    env.pop("PREFECT_API_KEY", None)
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = None
    try:
        _wait_healthy(api, server)
        _run([PREFECT, "work-pool", "create", "qroute-process", "--type", "process"], env)
        deployed = _run([PREFECT, "--no-prompt", "deploy", "--all"], env)
        for name in ("nightly-routing", "solve-on-demand", "hardware-comparison"):
            assert name in deployed

        # the parameter schema is enforced: a negative time limit is refused
        bad = subprocess.run(
            [PREFECT, "deployment", "run", "solve-on-demand/solve-on-demand",
             "-p", "time_limit=-5"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert bad.returncode != 0
        assert "time_limit" in (bad.stdout + bad.stderr)

        out_root = tmp_path / "runs"
        started = _run(
            [PREFECT, "deployment", "run", "solve-on-demand/solve-on-demand",
             "-p", "instance=yangtze-delta", "-p", "size=8", "-p", "time_limit=3",
             "-p", "policy=local", "-p", "baselines=false",
             "-p", f"out_root={out_root}"],
            env,
        )  # fmt: skip
        found = re.search(r"UUID\W*([0-9a-f]{8}-[0-9a-f-]{27})", started)
        assert found, started
        run_id = found.group(1)
        worker = subprocess.Popen(
            [PREFECT, "worker", "start", "--pool", "qroute-process", "--run-once"],
            cwd=tmp_path,
            env=env,
            stdout=(tmp_path / "worker.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        state = _wait_for_final_state(api, run_id, timeout=420)
        worker_log = (tmp_path / "worker.log").read_text()[-3000:]
        assert state == "COMPLETED", worker_log
        artifacts = _post(api, "/artifacts/filter", {"flow_runs": {"id": {"any_": [run_id]}}})
        keys = {a["key"] for a in artifacts}
        assert "solve-on-demand" in keys
        [result_json] = list(out_root.glob("*/result.json"))
        payload = json.loads(result_json.read_text())
        assert payload["feasible"] is True
        assert payload["num_customers"] == 8
        assert (result_json.parent / "routes.png").stat().st_size > 0
    finally:
        for process in (worker, server):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        log.close()


def _post(api: str, path: str, body: dict) -> list[dict]:
    request = urllib.request.Request(
        f"{api}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _wait_for_final_state(api: str, run_id: str, timeout: float) -> str:
    deadline = time.time() + timeout
    state = "?"
    while time.time() < deadline:
        with urllib.request.urlopen(f"{api}/flow_runs/{run_id}", timeout=10) as answer:
            state = json.loads(answer.read())["state_type"]
        if state in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            return state
        time.sleep(2)
    return state
