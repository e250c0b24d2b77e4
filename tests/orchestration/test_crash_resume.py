"""kill -9 at several points of `qroute solve`, then rerun: no finished subproblem answer,
from the initial or the improvement phase, is solved (or paid for) a second time.

Each run is a subprocess of the real command (shared cache folder and PREFECT_HOME) through
tests/orchestration/crash_driver.py: the process dies when its solve N + 1 starts, once the
answers of its first N solves are in the answer store.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.orchestration.crash_driver import CRASH_EXIT, Driver, initial_subproblems

ARGS = ["--size", "30", "--max-stops", "4", "--time-limit", "6", "--policy", "local"]
ARGS += ["--no-baselines"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Killed in the initial phase, killed in the improvement phase (twice), then finished."""
    driver = Driver(tmp_path_factory.mktemp("resume"))  # counts the atomic answer-store files
    initial = initial_subproblems()
    assert initial > 4
    # kill points: after 2 initial solves; as the first improvement solve starts (the rest
    # of the initial phase finished); after 1 improvement solve; then a run to the end
    plan = [2, initial - 2, 1, 0]
    outcome: list[dict[str, Any]] = []
    for number, kill in enumerate(plan):
        run = driver.run(f"run{number}", ARGS, kill_after=kill)
        outcome.append(
            {
                "kill": kill,
                "initial": initial,
                "code": run.code,
                "stderr": run.stderr,
                "solves": run.solves,
                "out": run.out,
                "answers": len(list((driver.cache / "answers").glob("answer-*.pkl"))),
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
