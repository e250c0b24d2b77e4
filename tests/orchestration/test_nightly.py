"""The nightly flow's run identity and money per row: a rerun of a night resumes its own run
folder and ledger under the same run id, and reused answers add nothing to the night's total."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from qroute.cloud.cost import CostEstimate
from qroute.cloud.settings import EXPORTED_ENV, current_settings, reset_settings
from qroute.model.solver import Budget
from qroute.orchestration import nightly
from qroute.reporting.results_store import read_runs


@pytest.fixture
def fake_solves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    """`run_solve` replaced by one paid dispatch through the real ledger and budget guard:
    reserved and completed at $0.40 on the first run, reused from the ledger on a rerun."""
    for name in EXPORTED_ENV:  # configure() exports these; monkeypatch restores them afterwards
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("QROUTE_SPEND_DIR", str(tmp_path / "spend"))
    seen: list[dict[str, Any]] = []

    def run_solve(*, out: Path, instance: str, **_: Any) -> dict[str, Any]:
        settings = current_settings()
        ledger = settings.ledger()
        key = f"{instance}-dispatch-1"
        fresh = ledger.get(key) is None
        if fresh:
            estimate = CostEstimate(
                profile="iqm-garnet", device="garnet", usd=0.5, shots=100, basis="test"
            )
            settings.guard().reserve(
                key=key,
                subproblem="s1",
                backend="braket-iqm-garnet",
                params={},
                estimate=estimate,
                budget=Budget(),
            )
            ledger.mark_completed(key, 0.4, {"answer": [1, 2]})
        details = {} if fresh else {"recovered": "ledger", "charged_in_this_solve": False}
        seen.append({"run_id": settings.run_id, "out": Path(out), "fresh": fresh})
        return {
            "instance": instance,
            "cost": 100.0,
            "feasible": True,
            "gap_percent": 1.0,
            "quantum_share": {"share_of_solves": 1.0},
            "wall_seconds": 1.0,
            # the provenance still names the answer's original cost when it is reused
            "subproblems": [{"provenance": {"cost_usd": 0.4, "details": details}}],
        }

    monkeypatch.setattr(nightly, "run_solve", run_solve)
    monkeypatch.setattr(nightly, "create_table_artifact", lambda **_: None)
    monkeypatch.setattr(nightly, "create_markdown_artifact", lambda **_: None)
    yield seen
    reset_settings()


def _night(tmp_path: Path, night: str) -> list[dict[str, Any]]:
    return nightly.nightly_routing.fn(
        instances=["yangtze-delta"],
        policy="cloud",
        budget_usd=5.0,
        out_root=str(tmp_path / "nightly"),
        results_db=str(tmp_path / "results.sqlite"),
        night=night,
    )


def test_a_rerun_night_resumes_its_run_and_counts_its_money_once(
    fake_solves: list[dict[str, Any]], tmp_path: Path
) -> None:
    first = _night(tmp_path, "2026-01-07")
    rerun = _night(tmp_path, "2026-01-07")
    assert [s["fresh"] for s in fake_solves] == [True, False]  # the rerun found its ledger
    assert fake_solves[0]["run_id"] == fake_solves[1]["run_id"]
    assert fake_solves[0]["run_id"].startswith("nightly-routing-2026-01-07-yangtze-delta-")
    assert first[0]["out"] == rerun[0]["out"]
    assert Path(first[0]["out"]).parent == tmp_path / "nightly" / "2026-01-07"
    # the night cost $0.40 once: the rerun's reused answer adds nothing
    assert [r["cost_usd"] for r in read_runs(tmp_path / "results.sqlite")] == [
        pytest.approx(0.4),
        0.0,
    ]

    _night(tmp_path, "2026-01-08")  # the next night: a new run, a new folder
    assert fake_solves[2]["fresh"] and fake_solves[2]["run_id"] != fake_solves[0]["run_id"]
    assert "2026-01-08" in fake_solves[2]["run_id"]


def test_the_nightly_run_identity() -> None:
    params = {"instance": "X-n101-k25", "policy": "cloud", "time_limit": 60.0, "baselines": True}
    night = date(2026, 1, 7)
    run = nightly.nightly_run(night, "X-n101-k25", "runs/nightly", params)
    assert run == nightly.nightly_run(night, "X-n101-k25", "runs/nightly", dict(params))
    assert run.run_id.startswith("nightly-routing-2026-01-07-X-n101-k25-")
    other_policy = nightly.nightly_run(
        night, "X-n101-k25", "runs/nightly", {**params, "policy": "local"}
    )
    assert other_policy.run_id != run.run_id and other_policy.out != run.out
    with pytest.raises(ValueError, match="night must be a date"):
        nightly.flow_night("yesterday")


def test_the_nightly_flow_dispatches_to_the_ledgered_dwave_qpu(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The nightly `annealer` policy reaches `dwave-qpu`: the flow registers the cloud
    backends, so that name is the ledgered Leap QPU, not the bare sampler that refuses."""
    from qroute.backends import get_backend
    from qroute.cloud.dwave_leap import LeapQPUBackend

    for name in EXPORTED_ENV:
        monkeypatch.setenv(name, "")
    try:
        nightly._configure_cloud(tmp_path / "night", 1.0, 5.0, "nightly-test")
        assert isinstance(get_backend("dwave-qpu"), LeapQPUBackend)
        assert current_settings().run_id == "nightly-test"
    finally:
        reset_settings()
