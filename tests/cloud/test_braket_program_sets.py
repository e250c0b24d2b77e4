"""Braket program sets: many subproblems share one task fee (botocore Stubber)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import pytest

from qroute.cloud import CloudSettings
from qroute.cloud.braket import BraketQAOABackend
from qroute.cloud.braket_program_sets import estimate_program_set, solve_program_set
from qroute.cloud.cost import SpendFile
from qroute.cloud.gate_device import DeviceRefusal
from qroute.model.solver import Budget
from qroute.model.subproblem import random_route_tsp

from .fakes import FakeBraket, capabilities, profile, program_set_body, tour_rows

IONQ = profile("ionq-forte-1")
N = 8
SUBS = [random_route_tsp(3, seed=s) for s in (1, 2, 3)]
TOURS = [[2, 1, 3], [1, 2, 3], [3, 1, 2]]
ACTION = "braket.ir.openqasm.program_set"


def test_one_program_set_task_pays_the_task_fee_once() -> None:
    cost = estimate_program_set(IONQ, 100, 5, qubits=N)
    # IonQ Forte: USD 0.30 per task + 0.08 per shot; five programs of 100 shots
    assert cost.one_task.usd == pytest.approx(0.30 + 500 * 0.08)
    assert cost.separate_usd == pytest.approx(5 * (0.30 + 100 * 0.08))
    assert cost.saving_usd == pytest.approx(4 * 0.30)
    assert "1 program-set task x $0.30 + 500 shots (5 programs x 100)" in cost.one_task.basis


def _ionq(fake: FakeBraket, settings: CloudSettings) -> BraketQAOABackend:
    """IonQ Forte with a USD 50 run budget (300 shots cost USD 24.30)."""
    funded = dataclasses.replace(settings, budget_usd=50.0)
    return BraketQAOABackend(IONQ, session_factory=fake.session, settings=funded, maxiter=15)


def _completed_with_the_tours(fake: FakeBraket, arn: str) -> None:
    """The program-set task is COMPLETED and each program measured its subproblem's tour."""
    fake.task(arn, IONQ.device_arn or "", "COMPLETED", shots=300, times=2, action=ACTION)
    programs = [
        (tour_rows(sub, tour, list(range(N)), list(range(N)), 100), list(range(N)))
        for sub, tour in zip(SUBS, TOURS, strict=True)
    ]
    fake.s3[("qroute-test-results", fake.result_key(arn))] = program_set_body(
        arn, IONQ.device_arn or "", programs
    )


def _device(fake: FakeBraket, limits: tuple[int, int] | None = (10, 5000)) -> None:
    caps = capabilities(qubits=36, shots=(100, 5000), program_set=limits)
    fake.device(IONQ.device_arn or "", caps)


def test_three_subproblems_in_one_task_each_decoded_with_a_third_of_the_cost(
    settings: CloudSettings,
) -> None:
    fake = FakeBraket()
    arn = fake.task_arn()
    _device(fake)
    fake.create(arn, program_set=True)
    _completed_with_the_tours(fake, arn)
    results = solve_program_set(_ionq(fake, settings), SUBS, Budget(seed=1, shots=100))
    fake.stubber.assert_no_pending_responses()
    assert fake.creates == 1
    request = fake.create_params[0]
    assert request["shots"] == 300
    assert json.loads(request["action"])["braketSchemaHeader"]["name"] == ACTION
    assert [r.routes for r in results] == [(tuple(t),) for t in TOURS]
    task_usd = 0.30 + 300 * 0.08
    assert sum(r.provenance.cost_usd for r in results) == pytest.approx(task_usd)
    for index, result in enumerate(results):
        details: dict[str, Any] = result.provenance.details
        assert details["program_set"]["index"] == index
        assert details["program_set"]["task_arn"] == arn
        assert details["task_arn"] == arn
    (entry,) = settings.ledger().entries()
    assert entry.state == "completed" and entry.task_id == arn
    assert entry.extra["separate_tasks_usd"] == pytest.approx(3 * (0.30 + 100 * 0.08))
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert spend["total_usd"] == pytest.approx(task_usd)

    again = FakeBraket()  # the rerun reuses the one answer: nothing is sent, nothing counted
    reused = solve_program_set(_ionq(again, settings), SUBS, Budget(seed=1, shots=100))
    assert sum(again.calls.values()) == 0
    assert [r.routes for r in reused] == [r.routes for r in results]
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert spend["total_usd"] == pytest.approx(task_usd)


def test_a_device_without_program_sets_or_over_its_limit_is_refused_before_paying(
    settings: CloudSettings,
) -> None:
    fake = FakeBraket()
    _device(fake, limits=None)
    with pytest.raises(DeviceRefusal, match="does not take program sets"):
        solve_program_set(_ionq(fake, settings), SUBS, Budget(seed=1, shots=100))
    fake = FakeBraket()
    _device(fake, limits=(2, 5000))
    with pytest.raises(DeviceRefusal, match="at most 2 programs"):
        solve_program_set(_ionq(fake, settings), SUBS, Budget(seed=1, shots=100))
    assert settings.ledger().entries() == []


class _Crash(BaseException):
    """The process dying (nothing catches a BaseException subclass)."""


def test_a_program_set_killed_after_its_arn_is_recorded_is_recovered_not_resent(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qroute.cloud.ledger import Ledger

    fake = FakeBraket()
    arn = fake.task_arn()
    _device(fake)
    fake.create(arn, program_set=True)
    original = Ledger.mark_submitted

    def die(self: Ledger, key: str, task_id: str, **extra: Any) -> None:
        original(self, key, task_id, **extra)
        raise _Crash

    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "mark_submitted", die)
        with pytest.raises(_Crash):
            solve_program_set(_ionq(fake, settings), SUBS, Budget(seed=1, shots=100))
    (entry,) = settings.ledger().entries()
    assert entry.state == "submitted" and entry.task_id == arn

    rerun = FakeBraket()
    _completed_with_the_tours(rerun, arn)
    results = solve_program_set(_ionq(rerun, settings), SUBS, Budget(seed=1, shots=100))
    assert fake.creates + rerun.creates == 1
    assert [r.routes for r in results] == [(tuple(t),) for t in TOURS]
    assert all(r.provenance.details["recovered"] == "task ARN" for r in results)
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert list(spend["entries"]) == [entry.key]
    assert spend["total_usd"] == pytest.approx(0.30 + 300 * 0.08)
