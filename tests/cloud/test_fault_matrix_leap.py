"""The Leap fault matrix (bench/fault_matrix_leap.py): every scenario and its rerun end in a
recorded reason, a bounded retry or the fallback, with no second problem and no cost counted
twice."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fault_matrix_leap.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fault_matrix_leap", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return {r["scenario"]: r for r in _bench().scenarios()}  # type: ignore[return-value]


def test_no_scenario_submits_twice_or_counts_cost_twice(rows: dict[str, dict[str, Any]]) -> None:
    assert len(rows) == 15
    for name, row in rows.items():
        assert set(row) >= {"backend", "scenario", "outcome", "tasks_created", "cost_counted_usd"}
        assert row["tasks_created"] <= 1, name
        assert row["cost_counted_usd"] == pytest.approx(row["expected_usd"]), name


def test_each_fault_ends_in_a_reason_a_recovery_or_the_fallback(
    rows: dict[str, dict[str, Any]],
) -> None:
    cost = _bench().QPU_COST
    assert rows["create -> queued -> completed"]["outcome"] == (
        "completed / rerun: completed (ledger)"
    )
    # an answer reused from the ledger is not charged to the rerun's solve again
    assert rows["create -> queued -> completed"]["solve_results_usd"] == pytest.approx(
        cost, abs=1e-6
    )
    assert "SolverFailureError" in rows["failed"]["outcome"]
    assert "CanceledFutureError" in rows["cancelled"]["outcome"]
    for name in ("failed", "cancelled"):
        assert "rerun: fallback (recorded failure in the run ledger" in rows[name]["outcome"]
        assert rows[name]["ledger_states"] == ["failed"]
    timeout = rows["timeout (cancel requested)"]
    assert timeout["outcome"].startswith("fallback (timed out after 0.02s")
    assert timeout["outcome"].endswith("rerun: completed (problem id)")
    assert timeout["cancel_requests"] == 1  # the pending problem was cancelled on the timeout
    for name in (
        "5xx after the last retry (problem created)",
        "lost response after creation",
        "kill between create and record",
        "kill after record (problem id)",
    ):
        assert rows[name]["outcome"].endswith("rerun: completed (problem id)"), name
        assert rows[name]["tasks_created"] == 1
    assert rows["throttling (2 x 429, bounded retry)"]["outcome"].startswith("completed")
    assert rows["throttling past the last retry"]["tasks_created"] == 1  # only the rerun's
    for name, words in (
        ("credentials missing", "no D-Wave credentials"),
        ("credentials expired", "SolverAuthenticationError"),
        ("solver offline", "is offline"),
        ("no budget", "budget: no run budget set"),
    ):
        assert rows[name]["tasks_created"] == 0 and words in rows[name]["outcome"], name
