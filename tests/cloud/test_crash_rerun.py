"""A run killed between submission and result is resumed by the rerun: no second task."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from qroute.cloud import CloudSettings
from qroute.cloud.braket import BraketQAOABackend
from qroute.cloud.cost import SpendFile
from qroute.model.solver import Budget
from qroute.model.subproblem import random_route_tsp

from .crash_child import EXIT_CODE
from .fakes import FakeBraket, profile, tour_rows

TESTS = Path(__file__).resolve().parents[1]


def test_killed_run_is_resumed_from_the_ledger_without_a_second_task(
    settings: CloudSettings, tmp_path: Path
) -> None:
    report = tmp_path / "child.json"
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.cloud.crash_child",
            str(settings.run_dir),
            str(settings.spend_dir),
            str(report),
        ],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == EXIT_CODE, child.stderr[-2000:]
    died = json.loads(report.read_text())
    assert died["creates"] == 1  # the child made exactly one task before dying

    entries = settings.ledger().entries()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.state == "submitted" and entry.task_id == died["arn"]
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert spend["entries"][entry.key]["actual"] is False  # only the reservation so far

    # the rerun: the stub has no CreateQuantumTask queued at all; the task is rebuilt by ARN
    sv1 = profile("braket-sv1")
    sub = random_route_tsp(3, seed=1)
    n = len(entry.extra["variable_order"])
    rerun = FakeBraket()
    rerun.completed(
        died["arn"],
        sv1.device_arn or "",
        tour_rows(sub, [3, 1, 2], list(range(n)), list(range(n)), 100),
        list(range(n)),
        duration_ms=700,
    )
    backend = BraketQAOABackend(sv1, session_factory=rerun.session, settings=settings, maxiter=15)
    result = backend.solve(sub, Budget(seed=1, shots=100))

    assert rerun.creates == 0
    assert died["creates"] + rerun.creates == 1  # one task in all, across both processes
    rerun.stubber.assert_no_pending_responses()
    assert result.routes == ((3, 1, 2),)
    assert result.provenance.details["task_arn"] == died["arn"]
    assert result.provenance.details["recovered"] == "task ARN"
    assert result.provenance.cost_usd == pytest.approx(0.075 * 3 / 60)
    done = settings.ledger().entries()[0]
    assert done.state == "completed"
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert list(spend["entries"]) == [entry.key]
    assert spend["entries"][entry.key]["actual"] is True
    assert spend["total_usd"] == pytest.approx(result.provenance.cost_usd)


def test_a_killed_leap_run_is_resumed_by_problem_id_without_a_second_problem(
    tmp_path: Path,
) -> None:
    import dimod

    from qroute.cloud.dwave_leap import LeapQPUBackend

    from .fakes import FakeLeap
    from .leap_crash_child import EXIT_CODE as LEAP_EXIT
    from .leap_crash_child import settings_for

    run_dir, spend_dir, report = tmp_path / "run", tmp_path / "spend", tmp_path / "leap.json"
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.cloud.leap_crash_child",
            str(run_dir),
            str(spend_dir),
            str(report),
        ],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == LEAP_EXIT, child.stderr[-2000:]
    died = json.loads(report.read_text())
    assert died["submissions"] == 1
    settings = settings_for(str(run_dir), str(spend_dir))
    entry = settings.ledger().entries()[0]
    assert entry.state == "submitted" and entry.task_id == died["problem_id"]

    leap = FakeLeap()  # the rerun's Leap holds the problem the dead run created
    leap.problems[died["problem_id"]] = dimod.SampleSet.from_serializable(died["answer"])
    backend = LeapQPUBackend(
        profile("dwave-advantage2"),
        child=leap.child(),
        client_factory=leap.client,
        problem_lookup=leap.lookup,
        settings=settings,
    )
    result = backend.solve(random_route_tsp(4, seed=2), Budget(seed=3, shots=50))
    assert leap.submissions == 0  # retrieved by id, never resent
    assert result.provenance.details["recovered"] == "problem id"
    assert sorted(result.routes[0]) == [1, 2, 3, 4]
    spend = SpendFile(spend_dir, date(2026, 1, 7)).read()
    assert spend["entries"][entry.key]["actual"] is True
    assert spend["total_usd"] == pytest.approx(result.provenance.cost_usd, abs=1e-6)
