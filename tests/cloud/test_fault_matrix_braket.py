"""The Braket fault matrix (bench/fault_matrix_braket.py): no second task, no double cost."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fault_matrix_braket.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fault_matrix_braket", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def matrix() -> dict[str, dict[str, Any]]:
    return {row["scenario"]: row for row in _bench().scenarios()}


SV1_TASK_USD = 0.075 * 3 / 60  # SV1 billed at its 3 s minimum, USD 0.075 per minute


def test_every_fault_of_the_issue_is_in_the_matrix(matrix: dict[str, dict[str, Any]]) -> None:
    assert len(matrix) == 14
    for row in matrix.values():
        assert set(row) >= {"backend", "scenario", "outcome", "tasks_created", "cost_counted_usd"}


def test_no_scenario_creates_a_second_task_or_counts_a_cost_twice(
    matrix: dict[str, dict[str, Any]],
) -> None:
    for name, row in matrix.items():
        assert row["tasks_created"] <= 1, name
        assert row["creates"] <= 2, name  # a second call only after a refusal that made nothing
        assert row["cost_counted_usd"] == pytest.approx(row["ledger_usd"]), name
        answered = "rerun: braket-sv1" in row["outcome"] and "fallback" not in row["outcome"][-40:]
        expected = SV1_TASK_USD if answered else 0.0
        assert row["cost_counted_usd"] == pytest.approx(expected), name


@pytest.mark.parametrize(
    ("scenario", "rerun"),
    [
        ("create -> queued -> completed", "rerun: braket-sv1 ledger"),
        ("timeout (result() None)", "rerun: braket-sv1 task ARN"),
        ("throttling after the last retry", "rerun: braket-sv1 answered"),
        ("5xx after the last retry", "rerun: braket-sv1 task ARN"),
        ("lost response after creation", "rerun: braket-sv1 task ARN"),
        ("kill between create and record", "rerun: braket-sv1 task ARN"),
        ("kill after record", "rerun: braket-sv1 task ARN"),
        ("failed", "rerun: fallback exact: recorded failure in the run ledger"),
    ],
)
def test_reruns_recover_the_one_task_instead_of_submitting_again(
    matrix: dict[str, dict[str, Any]], scenario: str, rerun: str
) -> None:
    assert rerun in matrix[scenario]["outcome"]
    assert matrix[scenario]["tasks_created"] == 1


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        ("credentials missing", "no AWS credentials"),
        ("credentials expired", "ExpiredTokenException"),
        ("device offline", "sv1 is OFFLINE"),
        ("closed execution window", "outside its execution windows at Wed 12:00 UTC"),
        ("throttling after the last retry", "kept throttling after 3 attempts"),
    ],
)
def test_refusals_fall_back_with_the_reason_and_create_nothing(
    matrix: dict[str, dict[str, Any]], scenario: str, reason: str
) -> None:
    first = matrix[scenario]["outcome"].split(" | ")[0]
    assert first.startswith("fallback exact:") and reason in first
    if scenario != "throttling after the last retry":
        assert matrix[scenario]["tasks_created"] == 0 and matrix[scenario]["creates"] == 0
