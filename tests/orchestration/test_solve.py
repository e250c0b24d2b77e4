"""The `solve` Prefect flow end to end, and its crash-safe subproblem cache.

Prefect runs in subprocesses with a throw-away PREFECT_HOME (the API server's database is
migrated once per session and shared by the runs). One killed run and one full rerun
(tests/orchestration/crash_driver.py) cover: the kill / rerun reuse of persisted subproblem
results (counted through the driver's solve log), and every output of a finished run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qroute.model.subproblem import random_route_tsp
from qroute.reporting.payloads import ResultPayload
from tests.orchestration.crash_driver import CRASH_EXIT, Driver, initial_subproblems

KILL_AFTER = 3  # subproblem results persisted before the first run dies
ARGS = ["--size", "30", "--max-stops", "4", "--time-limit", "3", "--policy", "local"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run 1 is killed after KILL_AFTER persisted subproblems; run 2 reruns to the end."""
    # counts Prefect's own result files, written in place: let the last one finish (no other
    # solve can start meanwhile) - a crash in the middle of the fan-out
    driver = Driver(
        tmp_path_factory.mktemp("flow"), kill_glob="qroute-subproblem-*", kill_settle_seconds=1.0
    )
    cache = driver.cache
    outcome: dict[str, Any] = {"cache": cache, "initial": initial_subproblems()}
    assert outcome["initial"] > KILL_AFTER + 2, "too few subproblems to kill the run midway"
    for name, kill in (("first", KILL_AFTER), ("second", 0)):
        run = driver.run(name, ARGS, kill_after=kill, timeout=240)
        outcome[name] = {
            "code": run.code,
            "stdout": run.stdout,
            "stderr": run.stderr,
            "solves": run.solves,
            "out": run.out,
            "cached_files": sorted(p.name for p in cache.glob("qroute-subproblem-*")),
            "answers": sorted(p.name for p in (cache / "answers").glob("answer-*.pkl")),
        }
    return outcome


def test_a_killed_run_leaves_its_finished_subproblems_in_the_cache(runs: dict[str, Any]) -> None:
    first = runs["first"]
    assert first["code"] == CRASH_EXIT, first["stderr"][-3000:]
    assert len(first["cached_files"]) == KILL_AFTER
    assert all(name.startswith("qroute-subproblem-") for name in first["cached_files"])
    assert len(first["solves"]) == KILL_AFTER  # solves that finished before the kill
    assert not (first["out"] / "result.json").exists()  # the run never got that far


def test_the_rerun_reuses_them_and_solves_only_the_rest(runs: dict[str, Any]) -> None:
    first, second = runs["first"], runs["second"]
    assert second["code"] == 0, second["stderr"][-3000:]
    payload = json.loads((second["out"] / "result.json").read_text())
    INITIAL_SUBPROBLEMS = runs["initial"]  # noqa: N806
    assert payload["subproblems_initial"] == INITIAL_SUBPROBLEMS
    initial = [s for s in payload["subproblems"] if s["phase"] == "initial"]
    assert len(initial) == INITIAL_SUBPROBLEMS
    reused = [s for s in initial if s["provenance"]["details"].get("reused_from_cache")]
    assert len(reused) == KILL_AFTER
    # the reused answers are exactly the ones solved (and paid for) by the killed run
    assert {(s["index"], s["key"]) for s in reused} == set(first["solves"])
    # ... and the rerun's backend calls for the initial phase are exactly the others
    solved_again = [(i, k) for i, k in second["solves"] if i < INITIAL_SUBPROBLEMS]
    assert len(solved_again) == INITIAL_SUBPROBLEMS - KILL_AFTER
    assert not set(solved_again) & set(first["solves"])
    assert {(s["index"], s["key"]) for s in initial} == set(solved_again) | set(first["solves"])
    # every solve of the rerun was persisted too (initial and improve phases)
    improve_solves = [s for s in payload["subproblems"] if s["phase"] == "improve"]
    expected_files = KILL_AFTER + len(solved_again) + len(improve_solves)
    assert len(second["cached_files"]) == expected_files
    print(
        f"initial subproblems {INITIAL_SUBPROBLEMS}; killed run solved and persisted "
        f"{len(first['solves'])}; rerun reused {len(reused)}, solved {len(solved_again)} "
        f"initial + {len(improve_solves)} improve; cache files {len(second['cached_files'])}"
    )


def test_the_finished_run_writes_every_output(runs: dict[str, Any]) -> None:
    out = runs["second"]["out"]
    payload = json.loads((out / "result.json").read_text())
    typed = ResultPayload.model_validate(payload)  # the documented result.json (one key list)
    assert typed.baselines and typed.subproblems and typed.timing.total_seconds
    assert {"orchestration_seconds", "timing", "bks", "gap_percent"} <= set(payload)
    assert payload["instance"] == "yangtze-delta-n30-s2026"
    assert payload["feasible"] is True and payload["violations"] == []
    assert (payload["policy"], payload["time_limit"], payload["seed"]) == ("local", 3.0, 0)
    assert set(payload["baselines"]) == {"pyvrp", "ortools"}
    for entry in payload["baselines"].values():
        assert {"cost", "gap_percent", "wall_seconds", "feasible"} <= set(entry)
        assert entry["feasible"] is True
        assert entry["wall_seconds"] == pytest.approx(3.0, abs=2.5)
    for sub in payload["subproblems"]:
        assert sub["provenance"]["backend_used"] == sub["backend_used"]
    timing = payload["timing"]
    assert timing["total_seconds"] > timing["optimisation_seconds"] > 0
    assert payload["orchestration_seconds"] == pytest.approx(timing["orchestration_seconds"])
    assert (out / "solution.sol").read_text().strip().splitlines()[-1].startswith("Cost ")
    png = (out / "routes.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    summary = (out / "summary.md").read_text()
    assert "Status: complete" in summary and "| pyvrp |" in summary
    stdout = runs["second"]["stdout"]
    assert "hybrid (local)" in stdout and "ortools" in stdout and "Quantum share" in stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "home")
    for argv, words in (
        (["--instance", str(tmp_path / "missing.vrp")], "file not found"),
        (["--time-limit", "0"], "--time-limit"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from qroute.cli.app import main; sys.exit(main())"]
            + ["solve", *argv, "--out", str(tmp_path / "out")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0]
    assert not (tmp_path / "home").exists()  # rejected before Prefect was touched


def test_the_cache_key_follows_content_policy_seed_and_shots() -> None:
    from qroute.hybrid.pipeline import PipelineConfig
    from qroute.orchestration.tasks import solve_subproblem, subproblem_cache_key

    sub = random_route_tsp(5, seed=1)
    same = random_route_tsp(5, seed=1)
    other = random_route_tsp(5, seed=2)
    config = PipelineConfig(policy="local", time_limit=10.0, seed=0)
    key = subproblem_cache_key(sub, 3, config)
    assert key == subproblem_cache_key(same, 3, config)  # content, not identity
    assert key == subproblem_cache_key(sub, 3, PipelineConfig("local", time_limit=99.0))
    assert key != subproblem_cache_key(other, 3, config)
    assert key != subproblem_cache_key(sub, 3, PipelineConfig("mixed", 10.0, 0))
    assert key != subproblem_cache_key(sub, 3, PipelineConfig("local", 10.0, seed=1))
    assert key != subproblem_cache_key(sub, 4, config)  # the backend's seed is seed + index
    assert key != subproblem_cache_key(sub, 3, PipelineConfig("local", 10.0, 0, shots=50))
    # the backend task retries with exponential backoff
    assert solve_subproblem.retries == 2
    assert solve_subproblem.retry_delay_seconds == [1.0, 2.0]
    assert solve_subproblem.persist_result is True


def test_an_infeasible_result_is_reported_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command's own handling, with the flow stubbed (no Prefect in this process)."""
    import types

    from qroute.cli import commands
    from qroute.cli.app import main
    from qroute.model.scenario import yangtze_delta
    from qroute.reporting.output import result_payload

    problem = yangtze_delta(num_customers=12)
    payload = result_payload(problem, [[1, 2, 3]], wall_seconds=1.0, settings={"policy": "local"})
    calls: list[dict[str, Any]] = []
    stub = types.ModuleType("qroute.orchestration.solve")

    def run_solve(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        return payload

    setattr(stub, "run_solve", run_solve)  # noqa: B010
    monkeypatch.setitem(sys.modules, "qroute.orchestration.solve", stub)
    monkeypatch.setattr(commands, "start_api_server", lambda: None)
    monkeypatch.setattr(commands, "prefect_defaults", lambda: None)
    code = main(["solve", "--size", "12", "--policy", "local", "--out", str(tmp_path / "o")])
    assert code == 1
    assert calls[0]["policy"] == "local" and calls[0]["time_limit"] == 30.0
    assert calls[0]["out"] == tmp_path / "o" and calls[0]["baselines"] is True
    out = capsys.readouterr().out
    assert "INFEASIBLE" in out and "not visited" in out
