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


def _limits_night(tmp_path: Path, **changes: Any) -> list[dict[str, Any]]:
    params: dict[str, Any] = {
        "instances": ["yangtze-delta", "X-n101-k25"],
        "policy": "cloud",
        "budget_usd": 5.0,
        "nightly_budget_usd": 12.5,
        "out_root": str(tmp_path / "nightly"),
        "results_db": str(tmp_path / "results.sqlite"),
        "night": "2026-01-07",
        "braket_spending_limits": True,
        **changes,
    }
    return nightly.nightly_routing.fn(**params)


@pytest.fixture
def braket_fakes(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The Braket account API per region (botocore Stubber), reached through default_session."""
    from qroute.cloud import braket_account
    from tests.cloud.fakes import FakeBraket

    regions = ("us-east-1", "eu-north-1")
    fakes: dict[str, Any] = {region: FakeBraket(region=region) for region in regions}
    opened: list[str] = []

    def session(region: str, settings: Any) -> Any:
        opened.append(region)
        return fakes[region].session()

    monkeypatch.setattr(braket_account, "default_session", session)
    return {**fakes, "opened": opened}


def test_asked_spending_limits_are_set_once_for_the_cloud_policys_braket_qpus(
    fake_solves: list[dict[str, Any]], braket_fakes: dict[str, Any], tmp_path: Path
) -> None:
    from botocore.stub import ANY

    from qroute.cloud.braket_account import spending_period
    from qroute.cloud.cost import night_of
    from qroute.cloud.policy import braket_qpu_arns

    arns = braket_qpu_arns()
    assert sorted(arns) == [
        "arn:aws:braket:eu-north-1::device/qpu/iqm/Emerald",
        "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet",
        "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1",
    ]  # the active Braket QPU profiles; Ankaa-3 is retired, SV1 a simulator
    start, end = spending_period(night_of())  # tonight, by the clock the budget guard uses
    for arn in arns:
        fake = braket_fakes[arn.split(":")[3]]
        filters = [{"name": "deviceArn", "operator": "EQUAL", "values": [arn]}]
        fake.stubber.add_response(
            "search_spending_limits", {"spendingLimits": []}, {"filters": filters}
        )
        fake.stubber.add_response(
            "create_spending_limit",
            {"spendingLimitArn": f"arn:aws:braket:{fake.region}:123456789012:spending-limit/x"},
            {
                "clientToken": ANY,
                "deviceArn": arn,
                "spendingLimit": "12.50",
                "timePeriod": {"startAt": start, "endAt": end},
                "tags": {"qroute": "nightly-budget"},
            },
        )
    rows = _limits_night(tmp_path)
    for region in ("us-east-1", "eu-north-1"):
        braket_fakes[region].stubber.assert_no_pending_responses()
    assert sorted(braket_fakes["opened"]) == sorted(a.split(":")[3] for a in arns)  # each once
    assert [r["instance"] for r in rows] == ["yangtze-delta", "X-n101-k25"]
    assert len(fake_solves) == 2


def test_spending_limits_are_only_set_when_asked_and_budgeted(
    fake_solves: list[dict[str, Any]],
    braket_fakes: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # first (configure exports the budget of a run to the process environment)
    _limits_night(tmp_path, nightly_budget_usd=None, night="2026-01-08")  # no nightly budget
    assert "Braket spending limits not set: no nightly budget" in capsys.readouterr().out
    _limits_night(tmp_path, braket_spending_limits=False)  # not asked (the default)
    _limits_night(tmp_path, policy="local", night="2026-01-09")  # no Braket QPU in the chain
    assert braket_fakes["opened"] == []  # no Braket call at all
    assert len(fake_solves) == 6  # every night still solved


def test_a_limit_that_cannot_be_set_stops_the_night_before_any_solve(
    fake_solves: list[dict[str, Any]], braket_fakes: dict[str, Any], tmp_path: Path
) -> None:
    braket_fakes["us-east-1"].stubber.add_client_error(
        "search_spending_limits", service_error_code="AccessDeniedException", http_status_code=403
    )
    braket_fakes["eu-north-1"].stubber.add_client_error(
        "search_spending_limits", service_error_code="AccessDeniedException", http_status_code=403
    )
    with pytest.raises(RuntimeError, match="spending limits could not be set .*AccessDenied"):
        _limits_night(tmp_path)
    assert fake_solves == []
