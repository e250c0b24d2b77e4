"""Child process for the crash test: submits one Braket task, then dies right after the ledger
write of its ARN (``os._exit``: no cleanup, no exception handling, like a SIGKILL).

Usage, from the repository root: ``python -m tests.cloud.crash_child RUN_DIR SPEND_DIR REPORT``.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from qroute.cloud import CloudSettings
from qroute.cloud.braket import BraketQAOABackend
from qroute.cloud.ledger import Ledger
from qroute.model.solver import Budget
from qroute.model.subproblem import random_route_tsp

from .fakes import FakeBraket, capabilities, profile

EXIT_CODE = 17


def main(run_dir: str, spend_dir: str, report: str) -> None:
    sv1 = profile("braket-sv1")
    assert sv1.device_arn is not None
    fake = FakeBraket()
    arn = fake.task_arn()
    fake.device(sv1.device_arn, capabilities(simulator=True), simulator=True)
    fake.create(arn)
    original = Ledger.mark_submitted

    def die_after_write(self: Ledger, key: str, task_id: str, **extra: Any) -> None:
        original(self, key, task_id, **extra)
        Path(report).write_text(json.dumps({"arn": arn, "creates": fake.creates}))
        os._exit(EXIT_CODE)

    Ledger.mark_submitted = die_after_write  # type: ignore[method-assign]
    settings = CloudSettings(
        run_dir=Path(run_dir),
        budget_usd=5.0,
        spend_dir=Path(spend_dir),
        poll_interval_seconds=0.01,
        s3_bucket="qroute-test-results",
        live_checks=False,
        clock=lambda: datetime(2026, 1, 7, 12, 0),
    )
    backend = BraketQAOABackend(sv1, session_factory=fake.session, settings=settings, maxiter=15)
    backend.solve(random_route_tsp(3, seed=1), Budget(seed=1, shots=100))
    sys.exit("the child was meant to die before the answer")


if __name__ == "__main__":
    main(*sys.argv[1:4])
