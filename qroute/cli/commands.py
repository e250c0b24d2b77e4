"""`qroute solve`: the main job (the hybrid pipeline as a Prefect flow, with baselines)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

from qroute.cli.app import (
    InstanceOption,
    ScenarioSeedOption,
    SizeOption,
    app,
    choice,
    option,
)
from qroute.cli.cloud_commands import (
    BudgetUsdOption,
    CloudOptions,
    CloudWaitOption,
    DryRunOption,
    NightlyBudgetUsdOption,
    SpendDirOption,
)
from qroute.model.cold_chain import SCENARIO_NAME as COLD_CHAIN_INSTANCE
from qroute.model.errors import UsageError
from qroute.model.loader import load_problem
from qroute.orchestration.api_server import idle_minutes, prefect_defaults, start_api_server

SOLVE_POLICIES = ("mixed", "local", "annealer", "qaoa", "cloud")
DEFAULT_SOLVE_TIME_LIMIT = 30.0  # hybrid and each baseline; the command takes about 1-1.5 min
DEFAULT_CACHE_DIR = Path(".qroute") / "cache"  # persisted subproblem results (Prefect)


@app.command(
    "solve",
    help="the main job: the hybrid pipeline as a Prefect flow, compared with baselines",
)
def solve_command(
    instance: InstanceOption = "yangtze-delta",
    time_limit: Annotated[
        float,
        option(
            "--time-limit",
            help="wall seconds for the hybrid and for each baseline "
            f"(default {DEFAULT_SOLVE_TIME_LIMIT:g})",
        ),
    ] = DEFAULT_SOLVE_TIME_LIMIT,
    policy: Annotated[str, option("--policy", click_type=choice(*SOLVE_POLICIES))] = "mixed",
    out_dir: Annotated[
        str | None, option("--out", help="output folder (default runs/<instance>-<time>)")
    ] = None,
    seed: Annotated[int, option("--seed")] = 0,
    no_baselines: Annotated[bool, option("--no-baselines", help="skip PyVRP and OR-Tools")] = False,
    size: SizeOption = None,
    scenario_seed: ScenarioSeedOption = None,
    shots: Annotated[int | None, option("--shots", help="reads / shots per subproblem")] = None,
    max_stops: Annotated[int | None, option("--max-stops", help="subproblem size cap")] = None,
    cache_dir_text: Annotated[
        str | None,
        option(
            "--cache-dir",
            help=f"persisted subproblem results, reused by reruns (default {DEFAULT_CACHE_DIR})",
        ),
    ] = None,
    budget_usd: BudgetUsdOption = None,
    nightly_budget_usd: NightlyBudgetUsdOption = None,
    spend_dir: SpendDirOption = None,
    cloud_wait_seconds: CloudWaitOption = None,
    dry_run: DryRunOption = False,
    dask_address: Annotated[
        str | None,
        option(
            "--dask-address",
            help="run subproblem tasks on an existing Dask cluster (or set QROUTE_DASK_ADDRESS)",
        ),
    ] = None,
    dask_workers: Annotated[
        int | None,
        option(
            "--dask-workers",
            help="run subproblem tasks on a local Dask cluster of N workers (QROUTE_DASK_WORKERS)",
        ),
    ] = None,
) -> int:
    started_at = time.time()
    if instance == COLD_CHAIN_INSTANCE:  # issue 13: the cold-chain solver, not the pipeline
        from qroute.cli.cold_chain_commands import solve_cold_chain_instance

        hybrid_only = {
            "--policy": policy != "mixed",
            "--shots": shots is not None,
            "--max-stops": max_stops is not None,
            "--no-baselines": no_baselines,
            "--dask-address": dask_address is not None,
            "--dask-workers": dask_workers is not None,
        }
        return solve_cold_chain_instance(
            size,
            scenario_seed,
            time_limit,
            seed,
            out_dir,
            dry_run=dry_run,
            ignored=[flag for flag, given in hybrid_only.items() if given],
        )
    # argument ranges (qroute.cli.arguments) were checked, and --out locked, before this
    if dask_workers is not None and dask_workers < 1:
        raise UsageError(f"--dask-workers must be at least 1, got {dask_workers}")
    problem = load_problem(instance, size, scenario_seed)  # bad input: exit 2, Prefect untouched
    server = None
    if not dry_run:  # the API server comes up while the run is set up and Prefect imported
        prefect_defaults()
        server = start_api_server()  # before the task runner, whose import pulls in Prefect
    from qroute.cli.arguments import default_out_dir, prepare_out_folder

    out = prepare_out_folder(out_dir if out_dir else default_out_dir(problem.name))
    cache_dir = Path(cache_dir_text) if cache_dir_text else DEFAULT_CACHE_DIR

    from qroute.cli.cloud_commands import configure_from_args, print_dry_run

    cloud = CloudOptions(budget_usd, nightly_budget_usd, spend_dir, cloud_wait_seconds, dry_run)
    configure_from_args(cloud, run_dir=out)
    if dry_run:
        from qroute.hybrid.pipeline import PipelineConfig, initial_routes, make_subproblems

        config = PipelineConfig(policy=policy, seed=seed, max_stops=max_stops, shots=shots)
        print_dry_run(
            problem,
            policy,
            budget_usd,
            nightly_budget_usd=nightly_budget_usd,
            spend_dir=spend_dir,
            shots=shots,
            seed=seed,
            subproblems=make_subproblems(
                problem, initial_routes(problem, config), config.resolved_max_stops()
            ),
        )
        return 0
    from qroute.orchestration.runners import task_runner

    try:
        runner = task_runner(dask_address, dask_workers)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    from qroute.cli.progress import LiveProgress, print_summary
    from qroute.orchestration.solve import run_solve

    budget = time_limit * (1 if no_baselines else 2)  # hybrid, then the baselines
    with LiveProgress(title=problem.name, budget=budget) as progress:
        payload = run_solve(
            instance=instance,
            time_limit=time_limit,
            policy=policy,
            seed=seed,
            out=out,
            baselines=not no_baselines,
            size=size,
            scenario_seed=scenario_seed,
            shots=shots,
            max_stops=max_stops,
            cache_dir=cache_dir,
            progress=progress,
            started_at=started_at,
            wait_for_api=server.wait_ready if server is not None else None,
            task_runner=runner,
        )
    print_summary(payload)
    print(f"outputs: {out}/ (result.json, summary.md, routes.png, solution.sol)")
    if server is not None and server.shared and not server.reused:
        print(
            f"Prefect API server {server.url} stays up for the next command "
            f"(stops after {idle_minutes():g} min idle; `qroute prefect-server stop`)"
        )
    return 0 if payload["feasible"] else 1
