"""One driver for the kill -9 tests of `qroute solve` (test_solve.py, test_crash_resume.py).

The driver runs the real command in a subprocess, with a wrapper around the dispatcher's
``solve`` (the real backend call) that logs every solve that really ran (index and content
key).  With ``QROUTE_TEST_KILL_AFTER=N`` the process dies (``os._exit``, no clean-up: what
kill -9 leaves) when its solve N + 1 starts, once N more files matching
``QROUTE_TEST_KILL_GLOB`` (under the cache folder) exist than when it started; after that it
waits ``QROUTE_TEST_KILL_SETTLE`` seconds (for a file that is written in place, not renamed).

The pipeline's initial phase is time-bounded (``INITIAL_TIME_SHARE`` of the budget): on a
loaded machine a 3 s run solved 4 of its 10 start subproblems and the kill points drifted.
The driver lets the initial phase solve every start subproblem, so "after N solves" and
"as the first improvement solve starts" are the same points on every machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.paths import REPO

CRASH_EXIT = 17

DRIVER = textwrap.dedent(
    """
    import os, sys, threading, time
    from pathlib import Path

    import qroute.hybrid.dispatch as dispatch
    import qroute.hybrid.pipeline as pipeline

    pipeline.INITIAL_TIME_SHARE = 1.0  # solve the whole start: kill points are then exact

    log = Path(os.environ["QROUTE_TEST_SOLVE_LOG"])
    cache = Path(os.environ["QROUTE_TEST_CACHE"])
    pattern = os.environ.get("QROUTE_TEST_KILL_GLOB", "answers/answer-*.pkl")
    settle = float(os.environ.get("QROUTE_TEST_KILL_SETTLE", "0"))
    kill_after = int(os.environ.get("QROUTE_TEST_KILL_AFTER", "0"))
    before = len(list(cache.glob(pattern)))
    lock = threading.Lock()
    started = [0]
    original = dispatch.Dispatcher.solve

    def solve(self, sub, budget, **options):
        index = budget.seed  # the pipeline seeds subproblem i with seed + i, and seed is 0
        with lock:
            started[0] += 1
            mine = started[0]
        if kill_after and mine > kill_after:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if len(list(cache.glob(pattern))) >= before + kill_after:
                    break
                time.sleep(0.02)
            time.sleep(settle)
            os._exit(CRASH_EXIT)
        result = original(self, sub, budget, **options)
        with lock, log.open("a") as handle:
            handle.write(f"{index} {sub.key()}\\n")
        return result

    dispatch.Dispatcher.solve = solve
    from qroute.cli.app import main

    sys.exit(main(sys.argv[1:]))
    """
).replace("CRASH_EXIT", str(CRASH_EXIT))


def initial_subproblems(size: int = 30, max_stops: int = 4) -> int:
    """How many subproblems the pipeline cuts from its start (computed directly)."""
    from qroute.hybrid.pipeline import PipelineConfig, initial_routes, make_subproblems
    from qroute.model.scenario import yangtze_delta

    problem = yangtze_delta(num_customers=size)
    routes = initial_routes(problem, PipelineConfig(policy="local"))
    return len(make_subproblems(problem, routes, max_stops))


@dataclass(frozen=True)
class CrashRun:
    code: int
    stdout: str
    stderr: str
    solves: list[tuple[int, str]]  # (subproblem index, content key) of every finished solve
    out: Path


@dataclass(frozen=True)
class Driver:
    """Runs `qroute solve` through the driver in `base`, sharing one cache and PREFECT_HOME."""

    base: Path
    kill_glob: str = "answers/answer-*.pkl"
    kill_settle_seconds: float = 0.0

    @property
    def cache(self) -> Path:
        return self.base / "cache"

    def run(
        self, name: str, args: list[str], kill_after: int = 0, timeout: float = 300
    ) -> CrashRun:
        script = self.base / "driver.py"
        if not script.exists():
            script.write_text(DRIVER)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("PREFECT_") and not key.startswith("QROUTE_TEST_")
        }
        log = self.base / f"{name}.log"
        env.update(
            PREFECT_HOME=str(self.base / "prefect-home"),
            PYTHONPATH=str(REPO),
            QROUTE_TEST_CACHE=str(self.cache),
            QROUTE_TEST_SOLVE_LOG=str(log),
            QROUTE_TEST_KILL_GLOB=self.kill_glob,
            QROUTE_TEST_KILL_SETTLE=str(self.kill_settle_seconds),
        )
        if kill_after:
            env["QROUTE_TEST_KILL_AFTER"] = str(kill_after)
        out = self.base / f"{name}-out"
        argv = ["solve", *args, "--out", str(out), "--cache-dir", str(self.cache)]
        done = subprocess.run(
            [sys.executable, str(script), *argv],
            cwd=self.base,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        lines = log.read_text().splitlines() if log.exists() else []
        solves = [(int(i), key) for i, key in (line.split() for line in lines)]
        return CrashRun(done.returncode, done.stdout, done.stderr, solves, out)
