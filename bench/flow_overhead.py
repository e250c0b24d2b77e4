"""How much of a `qroute solve` run is overhead rather than optimisation.

Runs the real command (`qroute solve`, the Prefect flow) in a subprocess on yangtze-delta
(default size 60), timing it from outside, and reads the flow's own timing from result.json.

Overhead is everything that is not the optimisation budget: the process's wall time (start
to exit) minus the time limits it was given (the hybrid's, plus the baselines' when they
run). Interpreter start, imports, the Prefect API server, flow and task bookkeeping, time a
solver runs past its limit, output writing (result.json, summary.md, routes.png) and exit
all count. SDKs a policy imports inside the optimisation window (QAOA SDKs under `mixed`)
count as solve time, as they should; the default policy here is `local`.

    .venv/bin/python bench/flow_overhead.py                      # a 60 s run (30 s + 30 s)
    .venv/bin/python bench/flow_overhead.py --time-limit 5 --no-baselines --fresh-home

`--runs 2` (the default) runs the command twice in a row: the first finds no API server and
starts the shared one (qroute.orchestration.api_server), the second reuses it - a fresh
checkout's first and second run. `--fresh-home` uses a new PREFECT_HOME (the server migrates a
new database first, as on a fresh checkout) and stops its server at the end; `--direct` also
runs the same pipeline without Prefect for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS, GOAL_SHARE = 3.0, 0.05


def run_flow(args: argparse.Namespace, work: Path) -> tuple[float, float, dict[str, Any]]:
    """(epoch at spawn, wall seconds to exit, result.json) of one `qroute solve`."""
    out = work / "out"
    env = dict(os.environ)
    if args.fresh_home:
        env["PREFECT_HOME"] = str(work.parent / "prefect-home")
    command = [
        sys.executable,
        "-c",
        "import sys; from qroute.cli.app import main; sys.exit(main())",
    ]
    command += ["solve", "--policy", args.policy, "--time-limit", str(args.time_limit)]
    command += ["--size", str(args.size), "--out", str(out), "--cache-dir", str(work / "cache")]
    if not args.baselines:
        command.append("--no-baselines")
    spawned = time.time()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"qroute solve failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return spawned, wall, json.loads((out / "result.json").read_text())


def run_direct(size: int, time_limit: float) -> tuple[float, int, float]:
    """The pipeline without Prefect: wall seconds, subproblem solves, cost."""
    from qroute.hybrid.pipeline import PipelineConfig, run_pipeline
    from qroute.model.scenario import yangtze_delta

    problem = yangtze_delta(num_customers=size)
    start = time.perf_counter()
    result = run_pipeline(problem, PipelineConfig(policy="local", time_limit=time_limit))
    return time.perf_counter() - start, len(result.records), result.cost


def server_before(home: Path) -> str:
    """How the command will find its API server: configured, shared (running) or none."""
    from qroute.orchestration.api_server import MODE_ENV, read_state, status

    if os.environ.get("PREFECT_API_URL"):
        return "configured PREFECT_API_URL (nothing started)"
    if os.environ.get(MODE_ENV, "shared") == "per-command":
        return "per-command server (started, stopped at exit)"
    state = read_state(home)
    if state is not None and status(home).get("healthy"):
        return f"shared server reused ({state.url})"
    return "shared server started by this command (it stays up)"


def report(args: argparse.Namespace, label: str, spawned: float, wall: float,
           payload: dict[str, Any], load: float) -> tuple[float, float]:  # fmt: skip
    """Print one run's split; returns (overhead, wall)."""
    timing = payload["timing"]
    budget = args.time_limit * (2 if args.baselines else 1)
    overhead = wall - budget
    started = timing["started_at"] - spawned  # interpreter, CLI imports, argument checks
    api_wait = timing["api_ready_seconds"]  # the command's start until the API answered
    optimisation = timing["optimisation_seconds"]
    output = timing.get("report_seconds", 0.0)
    total = timing["total_seconds"]  # the command's start until the flow returned
    in_flow = total - api_wait - optimisation - output
    exit_seconds = wall - started - total
    rows = [
        ("interpreter + CLI imports (before the command)", started),
        ("command start until the API server answered", api_wait),
        ("flow/task bookkeeping, problem load", in_flow),
        ("solvers past (+) or short of (-) their limits", optimisation - budget),
        ("output writing (json, md, png)", output),
        ("after the flow: summary, exit, server stop", exit_seconds),
    ]
    print(f"{label}; load average {load:.1f} on {os.cpu_count()} cpus at the start")
    print(f"total wall (process start to exit)       {wall:7.1f} s")
    print(f"  optimisation budget (time limits)      {budget:7.1f} s")
    print(f"  overhead = wall - budget               {overhead:7.1f} s")
    for name, seconds in rows:
        print(f"    {name:<46} {seconds:6.1f} s")
    print(f"  subproblem solves in the hybrid {len(payload['subproblems']):5d}, "
          f"cost {payload['cost']:,.1f}")  # fmt: skip
    return overhead, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--size", type=int, default=60)
    parser.add_argument("--policy", default="local")
    parser.add_argument("--no-baselines", dest="baselines", action="store_false")
    parser.add_argument(
        "--fresh-home", action="store_true", help="a new PREFECT_HOME (database migrated)"
    )
    parser.add_argument(
        "--runs", type=int, default=2, help="commands in a row on one PREFECT_HOME (default 2)"
    )
    parser.add_argument("--direct", action="store_true", help="also run without Prefect")
    parser.add_argument("--skip-direct", action="store_true", help="(the default; kept)")
    args = parser.parse_args()

    from qroute.orchestration.api_server import DEFAULT_PREFECT_HOME, stop_shared

    print(
        f"qroute solve --policy {args.policy} --time-limit {args.time_limit:g} --size "
        f"{args.size}{'' if args.baselines else ' --no-baselines'}"
    )
    results: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="qroute-bench-") as tmp:
        home = Path(tmp) / "prefect-home" if args.fresh_home else REPO / DEFAULT_PREFECT_HOME
        for run in range(1, args.runs + 1):
            fresh = args.fresh_home and run == 1
            label = (
                f"run {run}: PREFECT_HOME {'fresh (database migrated)' if fresh else 'reused'}, "
                + server_before(home)
            )
            load = os.getloadavg()[0]
            spawned, wall, payload = run_flow(args, Path(tmp) / f"run{run}")
            overhead, wall = report(args, label, spawned, wall, payload, load)
            results.append((label.split(",")[0], overhead, wall))
        if args.fresh_home:
            stop_shared(home)  # the throw-away home goes: its server with it
    for label, overhead, wall in results:
        verdict = "met" if overhead <= GOAL_SECONDS and overhead / wall <= GOAL_SHARE else "not met"
        print(
            f"{label}: overhead ratio {overhead:.1f} s / {wall:.1f} s = {overhead / wall:.3f} "
            f"(goal <= {GOAL_SECONDS:g} s and <= {GOAL_SHARE:g} of a 60 s run: {verdict})"
        )
    if args.direct:
        direct_wall, direct_solves, direct_cost = run_direct(args.size, args.time_limit)
        print(
            f"same pipeline without Prefect: {direct_wall:.1f} s, {direct_solves} subproblem "
            f"solves, cost {direct_cost:,.1f}"
        )


if __name__ == "__main__":
    main()
