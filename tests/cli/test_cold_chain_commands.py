"""`qroute solve --instance yangtze-cold-chain` runs the cold-chain solver, not the pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qroute.cli.app import main
from qroute.model.cold_chain import ColdChainPlan, PlannedRoute, yangtze_cold_chain
from qroute.model.cold_chain_validation import check_cold_chain


def test_solve_on_the_cold_chain_instance_writes_a_checked_cold_chain_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code = main(
        [
            "solve",
            "--instance",
            "yangtze-cold-chain",
            "--size",
            "12",
            "--scenario-seed",
            "3",
            "--time-limit",
            "2",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    payload = json.loads((out / "result.json").read_text())
    assert code == (0 if payload["feasible"] else 1)
    assert payload["instance"] == "yangtze-cold-chain-n12-s3"
    assert payload["settings"]["size"] == 12 and payload["settings"]["scenario_seed"] == 3
    assert payload["solver"].startswith("pyvrp") and "cold-chain" in payload["solver"]
    assert payload["provenance"]["provenance_class"] == "classical_sampler"
    assert payload["provenance"]["qubo_solves"] == 0
    assert "subproblems" not in payload  # the generic pipeline did not run
    scenario = yangtze_cold_chain(12, 3)
    served = {o for r in payload["cold_chain_routes"] for o in r["orders"]}
    unserved = {u["id"] for u in payload["unserved"]}
    assert served | unserved == {o.id for o in scenario.orders} and not served & unserved
    assert all(u["reason"] for u in payload["unserved"])
    for route in payload["cold_chain_routes"]:
        assert [s["order"] for s in route["timeline"]["stops"]] == route["orders"]
    plan = ColdChainPlan(
        tuple(
            PlannedRoute(r["vehicle_type"], r["vehicle"], tuple(r["orders"]))
            for r in payload["cold_chain_routes"]
        ),
        tuple((u["id"], u["reason"]) for u in payload["unserved"]),
        payload["solver"],
    )
    assert check_cold_chain(scenario, plan).feasible == payload["feasible"]
    assert (out / "summary.md").read_text().startswith("# qroute cold chain")
    assert (out / "routes.png").stat().st_size > 0
    assert f"outputs: {out}/" in printed


def test_solve_on_the_cold_chain_instance_rejects_a_bad_size_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["solve", "--instance", "yangtze-cold-chain", "--size", "0", "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0 and "--size" in err and "Traceback" not in err


def test_hybrid_only_flags_are_named_and_a_dry_run_plans_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["solve", "--instance", "yangtze-cold-chain", "--policy", "qaoa", "--dry-run"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0
    captured = capsys.readouterr()
    assert "--policy do not apply" in captured.err
    assert "nothing to plan" in captured.out
    assert not (tmp_path / "run" / "result.json").exists()
