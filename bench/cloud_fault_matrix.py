"""The cloud fault matrix: every fault scenario of the Braket and Leap paths, on the offline fakes.

    python bench/cloud_fault_matrix.py

Prints one table (backend, scenario, outcome, tasks created, cost counted) joined from
``bench/fault_matrix_braket.py`` and ``bench/fault_matrix_leap.py``, then a last line: the
scenarios with a second task, and those whose night total differs from what was billed;
exits 1 if either count is not zero. The tests in ``tests/cloud/`` assert the same scenarios.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

HALVES = ("fault_matrix_braket", "fault_matrix_leap")
COLUMNS = ("backend", "scenario", "outcome", "tasks_created", "cost_counted_usd")


def rows() -> list[dict[str, Any]]:
    """The scenarios of both halves, in order."""
    found: list[dict[str, Any]] = []
    for name in HALVES:
        found.extend(importlib.import_module(name).scenarios())
    return found


def _billed(row: dict[str, Any]) -> float:
    """What the service billed in the scenario: Leap's scripted expectation, Braket's ledger."""
    return float(row["expected_usd"] if "expected_usd" in row else row["ledger_usd"])


def main() -> int:
    table = rows()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|---|---|---|---:|---:|")
    for row in table:
        cost = float(row["cost_counted_usd"])
        print(
            f"| {row['backend']} | {row['scenario']} | {row['outcome']} "
            f"| {row['tasks_created']} | {cost:.4f} |"
        )
    doubles = sum(1 for row in table if int(row["tasks_created"]) > 1)
    double_cost = sum(
        1 for row in table if abs(float(row["cost_counted_usd"]) - _billed(row)) > 1e-9
    )
    print(
        f"\n{len(table)} scenarios; double submissions: {doubles}; "
        f"double-counted cost: {double_cost}"
    )
    return 0 if doubles == 0 and double_cost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
