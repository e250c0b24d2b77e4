"""`qroute cold-chain`: the yangtze-cold-chain scenario solved and checked end to end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

from qroute.cli.app import app, option, print_json
from qroute.model.errors import UsageError


def run_cold_chain(
    size: int, scenario_seed: int, time_limit: float, seed: int, out: str | None
) -> dict[str, Any]:
    import warnings

    from qroute.baselines.cold_chain import solve_cold_chain
    from qroute.model.cold_chain import yangtze_cold_chain
    from qroute.reporting.cold_chain_report import cold_chain_payload, write_cold_chain

    if size < 1:
        raise UsageError(f"--size must be at least 1, got {size}")
    if time_limit <= 0:
        raise UsageError(f"--time-limit must be positive, got {time_limit:g}")
    scenario = yangtze_cold_chain(size, scenario_seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyVRP's penalty warnings are not for the terminal
        plan = solve_cold_chain(scenario, time_limit=time_limit, seed=seed)
    settings = {
        "instance": "yangtze-cold-chain",
        "size": size,
        "scenario_seed": scenario_seed,
        "time_limit": time_limit,
        "seed": seed,
    }
    payload = cold_chain_payload(scenario, plan, time.perf_counter() - start, settings)
    if out is not None:
        write_cold_chain(Path(out), scenario, plan, payload)
    return payload


@app.command("cold-chain", help="solve the yangtze-cold-chain scenario (PyVRP)")
def cold_chain_command(
    size: Annotated[int, option("--size", help="orders in the scenario")] = 40,
    scenario_seed: Annotated[int, option("--scenario-seed")] = 2026,
    time_limit: Annotated[float, option("--time-limit")] = 10.0,
    seed: Annotated[int, option("--seed")] = 0,
    out: Annotated[
        str | None, option("--out", help="output folder (result.json, summary.md, map)")
    ] = None,
) -> int:
    payload = run_cold_chain(size, scenario_seed, time_limit, seed, out)
    keys = ("instance", "status", "feasible", "violations", "cost", "cost_unit", "num_routes")
    print_json({**{k: payload[k] for k in keys}, "unserved": payload["unserved"]})
    return 0 if payload["feasible"] else 1
