"""Child process for the Leap crash test: sends one problem through the ledgered Leap QPU, then
dies right after the ledger write of its problem id (``os._exit``: no cleanup, like a SIGKILL).
The problem (its answer, as the fake Leap holds it) is written to REPORT for the parent.

Usage, from the repository root:
``python -m tests.cloud.leap_crash_child RUN_DIR SPEND_DIR REPORT``.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from qroute.cloud import CloudSettings
from qroute.cloud.dwave_leap import LeapQPUBackend
from qroute.cloud.ledger import Ledger
from qroute.model.solver import Budget
from qroute.model.subproblem import random_route_tsp

from .fakes import FakeLeap, profile

EXIT_CODE = 19


def settings_for(run_dir: str, spend_dir: str) -> CloudSettings:
    return CloudSettings(
        run_dir=Path(run_dir),
        budget_usd=5.0,
        spend_dir=Path(spend_dir),
        poll_interval_seconds=0.01,
        live_checks=False,
        clock=lambda: datetime(2026, 1, 7, 12, 0),
    )


def main(run_dir: str, spend_dir: str, report: str) -> None:
    leap = FakeLeap()
    original = Ledger.mark_submitted

    def die_after_write(self: Ledger, key: str, task_id: str, **extra: Any) -> None:
        original(self, key, task_id, **extra)
        answer = leap.problems[task_id]
        Path(report).write_text(
            json.dumps(
                {
                    "problem_id": task_id,
                    "submissions": leap.submissions,
                    "answer": answer.to_serializable(),
                }
            )
        )
        os._exit(EXIT_CODE)

    Ledger.mark_submitted = die_after_write  # type: ignore[method-assign]
    backend = LeapQPUBackend(
        profile("dwave-advantage2"),
        child=leap.child(),
        client_factory=leap.client,
        problem_lookup=leap.lookup,
        settings=settings_for(run_dir, spend_dir),
    )
    backend.solve(random_route_tsp(4, seed=2), Budget(seed=3, shots=50))
    sys.exit("the child was meant to die before the answer")


if __name__ == "__main__":
    main(*sys.argv[1:4])
