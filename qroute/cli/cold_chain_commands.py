"""`qroute cold-chain`: the yangtze-cold-chain scenario solved and checked end to end."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from qroute.cli.app import command, print_json
from qroute.model.errors import UsageError


def add_parsers(sub: Any) -> None:  # argparse's _SubParsersAction is private
    p = sub.add_parser("cold-chain", help="solve the yangtze-cold-chain scenario (PyVRP)")
    p.add_argument("--size", type=int, default=40, help="orders in the scenario")
    p.add_argument("--scenario-seed", type=int, default=2026)
    p.add_argument("--time-limit", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="output folder (result.json, summary.md, map)")


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


@command("cold-chain")
def _cold_chain(args: argparse.Namespace) -> int:
    payload = run_cold_chain(args.size, args.scenario_seed, args.time_limit, args.seed, args.out)
    keys = ("instance", "status", "feasible", "violations", "cost", "cost_unit", "num_routes")
    print_json({**{k: payload[k] for k in keys}, "unserved": payload["unserved"]})
    return 0 if payload["feasible"] else 1
