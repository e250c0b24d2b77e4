"""`qroute cold-chain`: the yangtze-cold-chain scenario solved and checked end to end."""

from __future__ import annotations

import time
from collections.abc import Sequence
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
    payload["provenance"] = {  # a classical solver: no QUBO, no quantum share to claim
        "solver": plan.algorithm,
        "provenance_class": "classical_sampler",
        "qubo_solves": 0,
    }
    if out is not None:
        write_cold_chain(Path(out), scenario, plan, payload)
    return payload


def solve_cold_chain_instance(
    size: int | None,
    scenario_seed: int | None,
    time_limit: float,
    seed: int,
    out: str | None,
    *,
    dry_run: bool = False,
    ignored: Sequence[str] = (),
) -> int:
    """`qroute solve --instance yangtze-cold-chain`: the cold-chain solver (vehicle types,
    prizes by class, shelf-life durations) with the cold-chain outputs, not the generic
    pipeline on a single-depot view. Prints what `qroute cold-chain` prints; hybrid-only
    flags (`ignored`) are named on stderr as not applying; a dry run has nothing to plan."""
    import sys

    from qroute.cli.arguments import default_out_dir, prepare_out_folder
    from qroute.model.cold_chain import SCENARIO_NAME

    note = f"{SCENARIO_NAME} is solved by the classical cold-chain solver ({ALGORITHM_NAME})"
    if ignored:
        print(f"note: {note}; {', '.join(ignored)} do not apply", file=sys.stderr)
    if dry_run:
        print(f"dry run: {note}, no cloud calls: nothing to plan or spend")
        return 0
    folder = prepare_out_folder(out if out else default_out_dir(SCENARIO_NAME))
    payload = run_cold_chain(
        size if size is not None else DEFAULT_SIZE,
        scenario_seed if scenario_seed is not None else DEFAULT_SCENARIO_SEED,
        time_limit,
        seed,
        str(folder),
    )
    _print_plan(payload)
    print(f"outputs: {folder}/ (result.json, summary.md, routes.png)")
    return 0 if payload["feasible"] else 1


def _print_plan(payload: dict[str, Any]) -> None:
    keys = ("instance", "status", "feasible", "violations", "cost", "cost_unit", "num_routes")
    print_json({**{k: payload[k] for k in keys}, "unserved": payload["unserved"]})


DEFAULT_SIZE = 40
DEFAULT_SCENARIO_SEED = 2026
ALGORITHM_NAME = "PyVRP iterated local search with vehicle types and prizes"


@app.command("cold-chain", help="solve the yangtze-cold-chain scenario (PyVRP)")
def cold_chain_command(
    size: Annotated[int, option("--size", help="orders in the scenario")] = DEFAULT_SIZE,
    scenario_seed: Annotated[int, option("--scenario-seed")] = DEFAULT_SCENARIO_SEED,
    time_limit: Annotated[float, option("--time-limit")] = 10.0,
    seed: Annotated[int, option("--seed")] = 0,
    out: Annotated[
        str | None, option("--out", help="output folder (result.json, summary.md, map)")
    ] = None,
) -> int:
    payload = run_cold_chain(size, scenario_seed, time_limit, seed, out)
    _print_plan(payload)
    return 0 if payload["feasible"] else 1
