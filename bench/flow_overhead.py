"""How much of a `qroute solve` run is orchestration rather than optimisation.

Runs the real command (`qroute solve`, the Prefect flow) in a subprocess on yangtze-delta
(default size 60) with policy `local`, timing it from outside, and reads the flow's own
timing from result.json. Then runs the same pipeline without Prefect (run_pipeline with the
plain solve-batch) for the same time limit, to show what the per-task overhead costs in
subproblem throughput.

    .venv/bin/python bench/flow_overhead.py --time-limit 20
    .venv/bin/python bench/flow_overhead.py --time-limit 20 --no-baselines --fresh-home

Printed: total wall (process start to exit), time inside optimisation (the hybrid's time
limit plus the baselines), output writing, and the rest - orchestration overhead - with its
share and as a ratio, broken down into start-up (imports), Prefect's ephemeral server start
plus flow/task bookkeeping, and exit.
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

REPO = Path(__file__).resolve().parents[1]


def run_flow(args: argparse.Namespace, work: Path) -> tuple[float, dict]:
    out = work / "out"
    env = dict(os.environ)
    if args.fresh_home:
        env["PREFECT_HOME"] = str(work / "prefect-home")
    command = [
        sys.executable,
        "-c",
        "import sys; from qroute.cli.app import main; sys.exit(main())",
    ]
    command += ["solve", "--policy", "local", "--time-limit", str(args.time_limit)]
    command += ["--size", str(args.size), "--out", str(out), "--cache-dir", str(work / "cache")]
    if not args.baselines:
        command.append("--no-baselines")
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"qroute solve failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, json.loads((out / "result.json").read_text())


def run_direct(size: int, time_limit: float) -> tuple[float, int, float]:
    """The pipeline without Prefect: wall seconds, subproblem solves, cost."""
    from qroute.hybrid.pipeline import PipelineConfig, run_pipeline
    from qroute.model.scenario import yangtze_delta

    problem = yangtze_delta(num_customers=size)
    start = time.perf_counter()
    result = run_pipeline(problem, PipelineConfig(policy="local", time_limit=time_limit))
    return time.perf_counter() - start, len(result.records), result.cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--size", type=int, default=60)
    parser.add_argument("--no-baselines", dest="baselines", action="store_false")
    parser.add_argument(
        "--fresh-home", action="store_true", help="a new PREFECT_HOME (database migrated)"
    )
    parser.add_argument("--skip-direct", action="store_true", help="no Prefect-less run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="qroute-bench-") as tmp:
        wall, payload = run_flow(args, Path(tmp))
    timing = payload["timing"]
    optimisation = timing["optimisation_seconds"]
    output = timing.get("report_seconds", 0.0)
    overhead = wall - optimisation - output
    startup = timing["api_ready_seconds"]
    in_flow = timing["total_seconds"] - startup - optimisation - output
    exit_seconds = wall - timing["total_seconds"]
    solves = len(payload["subproblems"])
    print(f"qroute solve --policy local --time-limit {args.time_limit:g} --size {args.size}")
    print(f"  baselines: {'pyvrp + ortools (concurrent)' if args.baselines else 'none'}")
    print(f"  PREFECT_HOME: {'fresh (database migrated)' if args.fresh_home else 'reused'}")
    print(f"total wall (process start to exit) {wall:7.1f} s")
    print(f"  optimisation                       {optimisation:7.1f} s")
    print(f"    hybrid                           {timing['hybrid_seconds']:7.1f} s")
    print(f"    baselines                        {timing['baselines_seconds']:7.1f} s")
    print(f"  output writing (json, md, png)     {output:7.1f} s")
    print(
        f"  orchestration overhead             {overhead:7.1f} s  ({100 * overhead / wall:.0f} %)"
    )
    print(f"    start-up: imports                {startup:7.1f} s")
    print(f"    Prefect server start, flow/tasks {in_flow:7.1f} s")
    print(f"    exit (event flush, server stop)  {exit_seconds:7.1f} s")
    print(f"  subproblem tasks in the hybrid     {solves:7d}    cost {payload['cost']:,.1f}")
    print(
        f"overhead ratio {overhead:.1f} s / {wall:.1f} s = {overhead / wall:.3f} "
        f"(goal: <= 3 s on a fresh checkout, <= 0.05 of a 60 s run)"
    )
    if not args.skip_direct:
        direct_wall, direct_solves, direct_cost = run_direct(args.size, args.time_limit)
        print(
            f"same pipeline without Prefect: {direct_wall:.1f} s, {direct_solves} subproblem "
            f"solves, cost {direct_cost:,.1f}"
        )
        if solves:
            print(
                f"  subproblem throughput in the flow: {solves / timing['hybrid_seconds']:.1f}/s"
                f" vs {direct_solves / direct_wall:.1f}/s without Prefect"
            )


if __name__ == "__main__":
    main()
