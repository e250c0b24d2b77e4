"""kill -9 at several points of `qroute solve`, then rerun: no finished subproblem answer,
from the initial or the improvement phase, is solved (or paid for) a second time.

Each run is a subprocess of the real command (shared cache folder and PREFECT_HOME). A
wrapper around the dispatcher logs every solve that really ran (index and content key);
with QROUTE_TEST_KILL_AFTER=N the process dies (os._exit, no clean-up: what kill -9 leaves)
when its solve N + 1 starts, once the answers of its first N solves are in the answer store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CRASH_EXIT = 17
ARGS = ["--size", "30", "--max-stops", "4", "--time-limit", "6", "--policy", "local"]
ARGS += ["--no-baselines"]

DRIVER = textwrap.dedent(
    """
    import os, sys, threading, time
    from pathlib import Path

    import qroute.hybrid.dispatch as dispatch

    log = Path(os.environ["QROUTE_TEST_SOLVE_LOG"])
    answers = Path(os.environ["QROUTE_TEST_CACHE"]) / "answers"
    kill_after = int(os.environ.get("QROUTE_TEST_KILL_AFTER", "0"))
    before = len(list(answers.glob("answer-*.pkl"))) if answers.is_dir() else 0
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
                if len(list(answers.glob("answer-*.pkl"))) >= before + kill_after:
                    break
                time.sleep(0.02)
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


def _initial_subproblems() -> int:
    from qroute.hybrid.pipeline import PipelineConfig, initial_routes, make_subproblems
    from qroute.model.scenario import yangtze_delta

    problem = yangtze_delta(num_customers=30)
    return len(make_subproblems(problem, initial_routes(problem, PipelineConfig("local")), 4))


def _solves(log: Path) -> list[tuple[int, str]]:
    if not log.exists():
        return []
    return [(int(i), key) for i, key in (line.split() for line in log.read_text().splitlines())]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Killed in the initial phase, killed in the improvement phase (twice), then finished."""
    base = tmp_path_factory.mktemp("resume")
    driver = base / "driver.py"
    driver.write_text(DRIVER)
    cache = base / "cache"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PREFECT_") and not key.startswith("QROUTE_TEST_")
    }
    env.update(
        {
            "PREFECT_HOME": str(base / "home"),
            "QROUTE_TEST_CACHE": str(cache),
            "PYTHONPATH": str(REPO),
        }
    )
    initial = _initial_subproblems()
    assert initial > 4
    # kill points: after 2 initial solves; as the first improvement solve starts (the rest
    # of the initial phase finished); after 1 improvement solve; then a run to the end
    plan = [2, initial - 2, 1, 0]
    outcome: list[dict[str, Any]] = []
    for number, kill in enumerate(plan):
        log = base / f"run{number}.log"
        run_env = {**env, "QROUTE_TEST_SOLVE_LOG": str(log)}
        if kill:
            run_env["QROUTE_TEST_KILL_AFTER"] = str(kill)
        out = base / f"out{number}"
        done = subprocess.run(
            [
                sys.executable,
                str(driver),
                "solve",
                *ARGS,
                "--out",
                str(out),
                "--cache-dir",
                str(cache),
            ],
            cwd=base,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        outcome.append(
            {
                "kill": kill,
                "initial": initial,
                "code": done.returncode,
                "stderr": done.stderr,
                "solves": _solves(log),
                "out": out,
                "answers": len(list((cache / "answers").glob("answer-*.pkl"))),
            }
        )
    return outcome


def test_each_killed_run_died_where_planned(runs: list[dict[str, Any]]) -> None:
    first, second, third = runs[0], runs[1], runs[2]
    initial = first["initial"]
    for run in (first, second):
        assert run["code"] == CRASH_EXIT, run["stderr"][-3000:]
        assert len(run["solves"]) == run["kill"]
    # together the first two runs solved the whole initial phase, and nothing else
    assert sorted(i for run in (first, second) for i, _ in run["solves"]) == list(range(initial))
    # the third run reused all of it: its solves are improvement-phase ones
    assert third["code"] in (CRASH_EXIT, 0), third["stderr"][-3000:]
    assert third["solves"] and all(i >= initial for i, _ in third["solves"])


def test_no_finished_answer_is_solved_again(runs: list[dict[str, Any]]) -> None:
    finished: set[str] = set()
    for number, run in enumerate(runs):
        keys = [key for _, key in run["solves"]]
        again = finished & set(keys)
        assert not again, f"run {number} solved {len(again)} finished subproblems again"
        assert len(keys) == len(set(keys)), f"run {number} solved one content twice"
        finished |= set(keys)
        # every finished solve was persisted before the kill (at most the in-flight one lost)
        assert run["answers"] == len(finished)


def test_the_last_run_finishes_and_reports_the_reuse(runs: list[dict[str, Any]]) -> None:
    last = runs[-1]
    assert last["code"] == 0, last["stderr"][-3000:]
    payload = json.loads((last["out"] / "result.json").read_text())
    assert payload["feasible"] is True
    initial = [s for s in payload["subproblems"] if s["phase"] == "initial"]
    assert len(initial) == last["initial"]
    assert all(s["provenance"]["details"].get("reused_from_cache") for s in initial)
    improve = [s for s in payload["subproblems"] if s["phase"] == "improve"]
    reused = [s for s in improve if s["provenance"]["details"].get("reused_from_cache")]
    print(
        f"initial {len(initial)} (all reused); improve {len(improve)} records, {len(reused)} "
        f"reused; solves per run {[len(r['solves']) for r in runs]}"
    )
