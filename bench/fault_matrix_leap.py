"""The Leap half of the cloud fault matrix (issue #12), offline on the D-Wave fakes.

Each scenario runs one solve of a 4-stop route TSP through ``Dispatcher`` (chain
``leap-advantage2`` -> ``dwave-sa``) on ``tests/cloud/fakes.py``'s FakeLeap (MockDWaveSampler
behind future-like answers with problem ids), then a rerun in the same run folder. Columns:
outcome (first attempt / rerun), tasks_created (problems Leap ran), cost_counted_usd (the
night's spend after both: what nightly totals use), expected_usd (what Leap would bill).
0 double submissions: tasks_created <= 1; 0 double counting: cost_counted_usd == expected_usd.

    PYTHONPATH=. .venv/bin/python bench/fault_matrix_leap.py
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import dimod

from qroute.cloud import CloudSettings
from qroute.cloud.cost import SpendFile
from qroute.cloud.dwave_leap import LeapQPUBackend
from qroute.cloud.ledger import Ledger
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.solver import Budget, SolveResult
from qroute.model.subproblem import random_route_tsp
from tests.cloud.fakes import FakeLeap, profile

SUB = random_route_tsp(4, seed=2)
BUDGET = Budget(seed=3, shots=50)
NAME = "leap-advantage2"
MOCK_ACCESS_US = 8550.28  # MockDWaveSampler's fixed qpu_access_time
QPU_COST = MOCK_ACCESS_US / 1e6 * 0.5556


class Killed(BaseException):
    """The process dies here (nothing after it runs, the ledger keeps what was committed)."""


class TooManyRequests(Exception):
    """SAPI's 429, as the client raises it once its own retries are spent."""


class BadGateway(Exception):
    """A 5xx after the client's last retry."""


class SolverAuthenticationError(Exception):
    """An invalid or expired token (dwave.cloud.exceptions has the same name)."""


def _settings(tmp: Path, **changes: Any) -> CloudSettings:
    base = CloudSettings(
        run_dir=tmp / "run",
        budget_usd=5.0,
        spend_dir=tmp / "spend",
        wait_seconds=2.0,
        poll_interval_seconds=0.001,
        live_checks=False,
        retry_base_seconds=0.0001,
        clock=lambda: datetime(2026, 1, 7, 12, 0, 0),
    )
    return dataclasses.replace(base, **changes)


class ScriptedLeap(FakeLeap):
    """FakeLeap whose QPU child misbehaves as scripted for its first calls."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.before: list[BaseException] = []  # raised before a problem exists (one per call)
        self.after: list[BaseException] = []  # raised after the problem was created
        self.fail_answer: BaseException | None = None  # the finished problem failed

    def child(self) -> Any:
        inner = super().child()
        leap = self

        class Child(type(inner)):  # type: ignore[misc]
            def sample(self, bqm: dimod.BinaryQuadraticModel, **kwargs: Any) -> dimod.SampleSet:
                if leap.before:
                    raise leap.before.pop(0)
                answer = inner.sample(bqm, **kwargs)
                if leap.after:
                    raise leap.after.pop(0)
                if leap.fail_answer is not None:
                    error = leap.fail_answer

                    def fail(_: Any) -> dimod.SampleSet:
                        raise error

                    problem_id = next(reversed(leap.problems))
                    future = type(
                        "F",
                        (),
                        {"wait_id": lambda s, timeout=None: problem_id, "done": lambda s: True},
                    )()
                    return dimod.SampleSet.from_future(future, fail)
                return answer

        return Child()


def _backend(leap: FakeLeap, settings: CloudSettings, *, injected: bool = True) -> LeapQPUBackend:
    return LeapQPUBackend(
        profile("dwave-advantage2"),
        child=leap.child() if injected else None,
        client_factory=leap.client,
        problem_lookup=leap.lookup,
        settings=settings,
    )


def _solve(leap: FakeLeap, settings: CloudSettings, **kw: Any) -> tuple[str, SolveResult | None]:
    """One dispatch; the outcome in words."""
    backend = _backend(leap, settings, **kw)
    chain = Dispatcher(chain=lambda sub, kind: [NAME, "dwave-sa"], backends={NAME: backend})
    try:
        result = chain.solve(SUB, BUDGET)
    except Killed:
        return "killed", None
    prov = result.provenance
    if prov.backend_used == NAME:
        how = prov.details.get("recovered")
        return ("completed" if how is None else f"completed ({how})"), result
    reason = (prov.fallback_reason or "").removeprefix(f"{NAME}: ")
    reason = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", reason)  # problem ids vary per run
    return f"fallback ({reason[:72]})", result


def _night_usd(settings: CloudSettings) -> float:
    return SpendFile(settings.spend_dir, date(2026, 1, 7)).total_usd()


def _run(name: str, setup: Callable[[ScriptedLeap, Any], Any], expected: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        leap = ScriptedLeap()
        settings = _settings(tmp)
        scripted: Any = setup(leap, settings) or ({}, None)
        first_kw: dict[str, Any] = dict(scripted[0])
        rerun = scripted[1]
        settings = first_kw.pop("settings", settings)
        first, result1 = _solve(leap, settings, **first_kw)
        if rerun is not None:
            rerun(leap)
        second, result2 = _solve(leap, settings, **first_kw)
        solved = [r for r in (result1, result2) if r is not None]
        return {
            "backend": NAME,
            "scenario": name,
            "outcome": f"{first} / rerun: {second}",
            "tasks_created": leap.submissions,
            "cost_counted_usd": round(_night_usd(settings), 6),
            "expected_usd": round(expected, 6),
            "solve_results_usd": round(sum(r.provenance.cost_usd for r in solved), 6),
            "ledger_states": [e.state for e in settings.ledger().entries()],
            "cancel_requests": len(leap.cancelled),
        }


def scenarios() -> list[dict[str, Any]]:
    """Every Leap fault scenario and its rerun, with problems created and cost counted."""
    rows: list[dict[str, Any]] = []

    def queued(leap: ScriptedLeap, s: CloudSettings) -> Any:
        leap.queued_polls = 3

    rows.append(_run("create -> queued -> completed", queued, QPU_COST))

    def failed(leap: ScriptedLeap, s: CloudSettings) -> Any:
        from dwave.cloud.exceptions import SolverFailureError

        leap.fail_answer = SolverFailureError("problem failed on the QPU")

    rows.append(_run("failed", failed, 0.0))

    def cancelled(leap: ScriptedLeap, s: CloudSettings) -> Any:
        from dwave.cloud.exceptions import CanceledFutureError

        leap.fail_answer = CanceledFutureError()

    rows.append(_run("cancelled", cancelled, 0.0))

    def timeout(leap: ScriptedLeap, s: CloudSettings) -> Any:
        leap.finish = False
        fast = dataclasses.replace(s, wait_seconds=0.02)

        def finish(leap: ScriptedLeap) -> None:
            leap.finish = True

        return {"settings": fast}, finish

    rows.append(_run("timeout (cancel requested)", timeout, QPU_COST))

    def throttled(leap: ScriptedLeap, s: CloudSettings) -> Any:
        leap.before = [TooManyRequests("429 Too Many Requests")] * 2

    rows.append(_run("throttling (2 x 429, bounded retry)", throttled, QPU_COST))

    def throttled_out(leap: ScriptedLeap, s: CloudSettings) -> Any:
        leap.before = [TooManyRequests("429 Too Many Requests")] * s.retry_attempts

    rows.append(_run("throttling past the last retry", throttled_out, QPU_COST))

    def bad_gateway(leap: ScriptedLeap, s: CloudSettings) -> Any:
        leap.after = [BadGateway("502 Bad Gateway after the last retry")]

    rows.append(_run("5xx after the last retry (problem created)", bad_gateway, QPU_COST))

    def lost(leap: ScriptedLeap, s: CloudSettings) -> Any:
        leap.after = [ConnectionError("connection reset while reading the response")]

    rows.append(_run("lost response after creation", lost, QPU_COST))

    def killed(method: str, *, write_first: bool) -> Callable[[ScriptedLeap, Any], Any]:
        """The process dies in ``Ledger.<method>``, before or after the write; the rerun
        runs with the ledger restored."""

        def setup(leap: ScriptedLeap, s: CloudSettings) -> Any:
            original = getattr(Ledger, method)

            def die(self: Ledger, *args: Any, **kwargs: Any) -> None:
                if write_first:
                    original(self, *args, **kwargs)
                raise Killed

            setattr(Ledger, method, die)
            return {}, lambda leap: setattr(Ledger, method, original)

        return setup

    rows.append(
        _run(
            "kill between create and record",
            killed("mark_submitted", write_first=False),
            QPU_COST,
        )
    )
    rows.append(
        _run("kill after record (problem id)", killed("mark_submitted", write_first=True), QPU_COST)
    )
    rows.append(
        _run(
            "kill after the answer is recorded",
            killed("mark_completed", write_first=True),
            QPU_COST,
        )
    )

    def no_credentials(leap: ScriptedLeap, s: CloudSettings) -> Any:
        return {"injected": False}, None

    rows.append(_run("credentials missing", no_credentials, 0.0))

    def expired(leap: ScriptedLeap, s: CloudSettings) -> Any:
        leap.before = [SolverAuthenticationError("401 Invalid token or access denied")] * 2

    rows.append(_run("credentials expired", expired, 0.0))

    def offline(leap: ScriptedLeap, s: CloudSettings) -> Any:
        leap.online = False
        return {"settings": dataclasses.replace(s, live_checks=True)}, None

    rows.append(_run("solver offline", offline, 0.0))

    def no_budget(leap: ScriptedLeap, s: CloudSettings) -> Any:
        return {"settings": dataclasses.replace(s, budget_usd=None)}, None

    rows.append(_run("no budget", no_budget, 0.0))
    return rows


def main() -> None:
    rows = scenarios()
    print("| backend | scenario | outcome | problems created | cost counted (USD) | expected |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['backend']} | {r['scenario']} | {r['outcome']} | {r['tasks_created']} "
            f"| {r['cost_counted_usd']:.6f} | {r['expected_usd']:.6f} |"
        )
    doubles = sum(r["tasks_created"] > 1 for r in rows)
    counted_twice = sum(abs(r["cost_counted_usd"] - r["expected_usd"]) > 1e-9 for r in rows)
    print(f"\ndouble submissions: {doubles}; scenarios with cost counted wrongly: {counted_twice}")


if __name__ == "__main__":
    main()
