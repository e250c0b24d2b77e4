"""`qroute solve`: the main job (the hybrid pipeline as a Prefect flow, with baselines)."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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

SOLVE_POLICIES = ("mixed", "local", "annealer", "qaoa", "cloud")
DEFAULT_SOLVE_TIME_LIMIT = 30.0  # hybrid and each baseline; the command takes about 1-1.5 min
DEFAULT_CACHE_DIR = Path(".qroute") / "cache"  # persisted subproblem results (Prefect)
DEFAULT_PREFECT_HOME = Path(".qroute") / "prefect"


# -- Prefect runtime ---------------------------------------------------------------------


def prefect_defaults() -> None:
    """Environment defaults for running the flow from the CLI; must run before Prefect is
    imported. Nothing already set is overridden (a configured PREFECT_API_URL is used as is).

    A project-local PREFECT_HOME (.qroute/prefect) keeps the API server's database
    (migrated once, on the first run) out of ~/.prefect; logs stay in the terminal at
    WARNING and are not shipped to the API (the live view shows progress instead).
    """
    home = Path(os.environ.setdefault("PREFECT_HOME", str(DEFAULT_PREFECT_HOME.resolve())))
    home.mkdir(parents=True, exist_ok=True)
    # the first start on a fresh home migrates the database: slow on a busy machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")


class ApiServer:
    """A local Prefect API server for one command, started the supported way - Prefect's own
    `prefect server start` (API only: no UI, no background services), with PREFECT_API_URL
    pointing this process at it - before Prefect is imported, so that its start-up (a few
    seconds, longer on a busy machine; the first run on a fresh PREFECT_HOME also migrates the
    database) overlaps with the heavy imports.

    Launched by us rather than through Prefect's ephemeral mode so that the server's log goes
    to PREFECT_HOME/api-server.log instead of the terminal and, on Linux, the server dies with
    this process even after a hard crash (an ephemeral server would be left running, holding
    the terminal's pipes).
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> ApiServer:
        self._start_lock = _lock_start(self.home)  # one start-up (and migration) at a time
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        log = open(self.home / "api-server.log", "ab")  # noqa: SIM115 (kept by the child)
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--no-ui", "--no-services"]
        command += ["--log-level", "ERROR", "--no-background"]
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        log.close()
        os.environ["PREFECT_API_URL"] = self.url
        atexit.register(self.stop, wait=None)  # after Prefect's own exit hooks flushed
        return self

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Block until /health answers; raise with the server log's tail if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        self._unlock_start()
                        return
            except OSError:
                pass
            time.sleep(0.1)
        log = (self.home / "api-server.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"the local Prefect API server did not start:\n{log}")

    def stop(self, wait: float | None = 5.0) -> None:
        """SIGTERM (a graceful shutdown: the server writes what it buffered); with `wait`,
        wait that long for it and then kill it. At exit the command does not wait."""
        self._unlock_start()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            if wait is not None:
                try:
                    self.process.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self.process = None

    _start_lock: int | None = None

    def _unlock_start(self) -> None:
        if self._start_lock is not None:
            os.close(self._start_lock)  # closing the descriptor releases the flock
            self._start_lock = None


def _lock_start(home: Path) -> int | None:
    """Wait for any other qroute run's API server on this PREFECT_HOME to finish starting:
    two servers migrating one fresh database at once kill each other's start-up."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return None
    fd = os.open(home / "api-start.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if this process dies
    return fd


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the parent dies (Linux prctl)."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_api_server() -> ApiServer | None:
    """Start the command's API server unless PREFECT_API_URL names one or Prefect is
    already imported in this process (then Prefect's own ephemeral mode applies)."""
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:
        return None
    return ApiServer(Path(os.environ["PREFECT_HOME"])).start()


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
    return 0 if payload["feasible"] else 1
