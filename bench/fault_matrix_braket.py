"""The Braket half of issue #12's fault matrix, offline: every fault, then a rerun of the run.

Each scenario drives the real ``BraketQAOABackend`` (SV1 or IQM Garnet) through qroute's
dispatcher against the offline doubles of ``tests/cloud/fakes.py`` (botocore ``Stubber`` on a
real boto3 client, faults at botocore's HTTP layer so its retries run), then reruns the same
run folder. The row reports what the two runs did together: the outcome, how many
CreateQuantumTask calls *created a task* (a throttled or refused call creates none; a
botocore retry of one call with the same client token is one task), and the cost the nightly
spend file counted. No scenario may create a second task or count a cost twice.

    PYTHONPATH=$PWD .venv/bin/python bench/fault_matrix_braket.py
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qroute.cloud.braket import BraketQAOABackend  # noqa: E402
from qroute.cloud.braket_session import client_config  # noqa: E402
from qroute.cloud.cost import SpendFile  # noqa: E402
from qroute.cloud.ledger import Ledger  # noqa: E402
from qroute.cloud.settings import CloudSettings  # noqa: E402
from qroute.hybrid.dispatch import Dispatcher  # noqa: E402
from qroute.model.solver import Budget  # noqa: E402
from qroute.model.subproblem import random_route_tsp  # noqa: E402
from tests.cloud.conftest import offline_settings  # noqa: E402
from tests.cloud.fakes import FakeBraket, capabilities, profile, tour_rows  # noqa: E402

SV1 = profile("braket-sv1")
GARNET = profile("iqm-garnet")
SUB = random_route_tsp(3, seed=1)
TOUR = [2, 1, 3]
N = 8
BUDGET = Budget(seed=1, shots=100)
WEDNESDAY_NOON = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
_ISOLATED_ENV = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/qroute-credentials",
    "AWS_CONFIG_FILE": "/nonexistent/qroute-config",
}
_CLEARED_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


class _Crash(BaseException):
    """The process dying (nothing in qroute catches a BaseException subclass)."""


@contextmanager
def _no_credentials() -> Iterator[None]:
    saved = dict(os.environ)
    for name in _CLEARED_ENV:
        os.environ.pop(name, None)
    os.environ.update(_ISOLATED_ENV)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _instant_backoff() -> Iterator[None]:
    """botocore's retry delays computed but not slept (the matrix runs in seconds)."""
    from botocore.retries.standard import ExponentialBackoff

    original = ExponentialBackoff.delay_amount
    ExponentialBackoff.delay_amount = lambda self, context: 0.0  # type: ignore[method-assign]
    try:
        yield
    finally:
        ExponentialBackoff.delay_amount = original  # type: ignore[method-assign]


@dataclasses.dataclass
class _Run:
    """One scenario's run folder, settings and the fakes of its runs."""

    settings: CloudSettings
    fakes: list[FakeBraket] = dataclasses.field(default_factory=list)
    silently_made: set[str] = dataclasses.field(default_factory=set)  # premise of a scenario

    @property
    def tasks_created(self) -> int:
        """Distinct tasks the fake service made over all runs."""
        return len(set().union(self.silently_made, *(fake.made for fake in self.fakes)))

    def fake(self, *, region: str = "us-east-1", retrying: bool = False) -> FakeBraket:
        config = client_config(self.settings) if retrying else None
        fake = FakeBraket(region=region, config=config)
        self.fakes.append(fake)
        return fake

    def backend(self, fake: FakeBraket, device: Any = SV1, **changes: Any) -> BraketQAOABackend:
        settings = dataclasses.replace(self.settings, **changes)
        return BraketQAOABackend(
            device, session_factory=fake.session, settings=settings, maxiter=15
        )

    def dispatch(self, backend: BraketQAOABackend) -> str:
        """Solve through the dispatcher (fallback: exact); the outcome in words."""
        result = Dispatcher(
            chain=lambda sub, kind: [backend.name, "exact"], backends={backend.name: backend}
        ).solve(SUB, BUDGET)
        prov = result.provenance
        if prov.backend_used == backend.name:
            how = prov.details.get("recovered") or "answered"
            return f"{backend.name} {how}"
        return f"fallback {prov.backend_used}: {_short(prov.fallback_reason or '')}"

    def spend_usd(self) -> float:
        # the offline settings pin the clock to 2026-01-07 noon: one night
        return SpendFile(self.settings.spend_dir, date(2026, 1, 7)).total_usd()

    def ledger_usd(self) -> float:
        return sum(entry.spend_usd for entry in self.settings.ledger().entries())


def _short(reason: str, width: int = 70) -> str:
    reason = re.sub(r"arn:aws:braket:[^ ]*quantum-task/(\w{8})[\w-]*", r"\1...", reason)
    reason = reason.split(": ", 1)[-1] if reason.startswith("braket-") else reason
    return reason if len(reason) <= width else reason[: width - 3] + "..."


def _rows(shots: int = 100) -> list[list[int]]:
    return tour_rows(SUB, TOUR, list(range(N)), list(range(N)), shots)


def _sv1_device(fake: FakeBraket, status: str = "ONLINE") -> None:
    caps = capabilities(simulator=True, shots=(0, 100_000))
    fake.device(SV1.device_arn or "", caps, status=status, simulator=True)


def _completed(fake: FakeBraket, arn: str) -> None:
    fake.completed(arn, SV1.device_arn or "", _rows(), list(range(N)), duration_ms=1200)


def _entry(run: _Run) -> Any:
    entries = run.settings.ledger().entries()
    return entries[0] if entries else None


# -- the scenarios: each returns (outcome of run 1, outcome of the rerun) ----------------------


def _submitted(run: _Run) -> tuple[FakeBraket, str]:
    """A fake whose SV1 device is up and whose one CreateQuantumTask makes a task."""
    fake = run.fake()
    arn = fake.task_arn()
    _sv1_device(fake)
    fake.create(arn)
    return fake, arn


def _happy(run: _Run) -> tuple[str, str]:
    fake, arn = _submitted(run)
    fake.task(arn, SV1.device_arn or "", "QUEUED", times=2)
    _completed(fake, arn)
    first = run.dispatch(run.backend(fake))
    return first, run.dispatch(run.backend(run.fake()))


def _ended(status: str) -> Callable[[_Run], tuple[str, str]]:
    def scenario(run: _Run) -> tuple[str, str]:
        fake, arn = _submitted(run)
        fake.task(arn, SV1.device_arn or "", status, times=2, failure="device error")
        first = run.dispatch(run.backend(fake))
        return first, run.dispatch(run.backend(run.fake()))

    return scenario


def _timeout(run: _Run) -> tuple[str, str]:
    fake, arn = _submitted(run)
    fake.task(arn, SV1.device_arn or "", "QUEUED", times=2)
    fake.cancel(arn)
    first = run.dispatch(run.backend(fake, wait_seconds=0.0))
    later = run.fake()  # the cancellation came too late: the task ran
    _completed(later, arn)
    return first, run.dispatch(run.backend(later))


def _throttled(run: _Run) -> tuple[str, str]:
    fake = run.fake(retrying=True)
    arn = fake.task_arn()
    _sv1_device(fake)
    fake.http_create(429, code="ThrottlingException")
    fake.http_create(429, code="ThrottlingException")
    fake.http_create(200, arn=arn)
    _completed(fake, arn)
    first = run.dispatch(run.backend(fake))
    return f"{first} after {fake.sends} sends", run.dispatch(run.backend(run.fake()))


def _throttled_out(run: _Run) -> tuple[str, str]:
    fake = run.fake(retrying=True)
    _sv1_device(fake)
    for _ in range(run.settings.retry_attempts):
        fake.http_create(429, code="ThrottlingException")
    first = run.dispatch(run.backend(fake))
    rerun = run.fake()
    arn = rerun.task_arn()
    rerun.search(SV1.device_arn or "")
    _sv1_device(rerun)
    rerun.create(arn)
    _completed(rerun, arn)
    second = run.dispatch(run.backend(rerun))
    return first, second


def _server_error_out(run: _Run) -> tuple[str, str]:
    fake = run.fake(retrying=True)
    _sv1_device(fake)
    arn = fake.task_arn()
    for _ in range(run.settings.retry_attempts):
        fake.http_create(500, code="InternalServiceException")
    first = run.dispatch(run.backend(fake))
    run.silently_made.add(arn)  # the worst case: the service made it and never said so
    rerun = run.fake()
    rerun.search(SV1.device_arn or "", [(arn, _entry(run).extra["tags"])])
    _completed(rerun, arn)
    return first, run.dispatch(run.backend(rerun))


def _lost_response(run: _Run) -> tuple[str, str]:
    """The task is created, then the connection drops before the response arrives."""
    from botocore.exceptions import ReadTimeoutError

    fake, arn = _submitted(run)

    def drop(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url="https://braket.us-east-1.amazonaws.com")

    # after the fake service made the task, before qroute's hook sees the response
    fake.client.meta.events.register("after-call.braket.CreateQuantumTask", drop, unique_id="drop")
    first = run.dispatch(run.backend(fake))
    rerun = run.fake()
    rerun.search(SV1.device_arn or "", [(arn, _entry(run).extra["tags"])])
    _completed(rerun, arn)
    return first, run.dispatch(run.backend(rerun))


def _killed(after_record: bool) -> Callable[[_Run], tuple[str, str]]:
    def scenario(run: _Run) -> tuple[str, str]:
        fake, arn = _submitted(run)
        original = Ledger.mark_submitted

        def die(self: Ledger, key: str, task_id: str, **extra: Any) -> None:
            if after_record:
                original(self, key, task_id, **extra)
            raise _Crash

        Ledger.mark_submitted = die  # type: ignore[method-assign]
        try:
            run.dispatch(run.backend(fake))
        except _Crash:
            first = "process killed " + ("after" if after_record else "before") + " the record"
        finally:
            Ledger.mark_submitted = original  # type: ignore[method-assign]
        rerun = run.fake()
        if not after_record:  # the row is reserved without an ARN: found by its tags
            rerun.search(SV1.device_arn or "", [(arn, _entry(run).extra["tags"])])
        _completed(rerun, arn)
        return first, run.dispatch(run.backend(rerun))

    return scenario


def _no_credentials_scenario(run: _Run) -> tuple[str, str]:
    with _no_credentials():
        backend = BraketQAOABackend(SV1, settings=run.settings, maxiter=15)
        outcome = run.dispatch(backend)
        return outcome, run.dispatch(BraketQAOABackend(SV1, settings=run.settings, maxiter=15))


def _expired_credentials(run: _Run) -> tuple[str, str]:
    outcomes = []
    for _ in range(2):
        fake = run.fake()
        fake.stubber.add_client_error(
            "get_device",
            service_error_code="ExpiredTokenException",
            service_message="The security token included in the request is expired",
            http_status_code=403,
        )
        outcomes.append(run.dispatch(run.backend(fake)))
    return outcomes[0], outcomes[1]


def _offline(run: _Run) -> tuple[str, str]:
    outcomes = []
    for _ in range(2):
        fake = run.fake()
        _sv1_device(fake, status="OFFLINE")
        outcomes.append(run.dispatch(run.backend(fake)))
    return outcomes[0], outcomes[1]


def _closed_window(run: _Run) -> tuple[str, str]:
    # Wednesday noon UTC is outside IQM Garnet's windows (hardware profile)
    outcomes = []
    for _ in range(2):
        fake = run.fake(region="eu-north-1")
        outcomes.append(run.dispatch(run.backend(fake, device=GARNET)))
    return outcomes[0], outcomes[1]


SCENARIOS: dict[str, Callable[[_Run], tuple[str, str]]] = {
    "create -> queued -> completed": _happy,
    "failed": _ended("FAILED"),
    "cancelled": _ended("CANCELLED"),
    "timeout (result() None)": _timeout,
    "throttling, then created": _throttled,
    "throttling after the last retry": _throttled_out,
    "5xx after the last retry": _server_error_out,
    "lost response after creation": _lost_response,
    "kill between create and record": _killed(after_record=False),
    "kill after record": _killed(after_record=True),
    "credentials missing": _no_credentials_scenario,
    "credentials expired": _expired_credentials,
    "device offline": _offline,
    "closed execution window": _closed_window,
}


def _settings(folder: Path) -> CloudSettings:
    """The offline test settings ($5 run budget, fast polling), 3 attempts, Wednesday noon."""
    return dataclasses.replace(
        offline_settings(folder), retry_attempts=3, clock=lambda: WEDNESDAY_NOON
    )


def scenarios() -> list[dict[str, Any]]:
    """Run every scenario and its rerun; one row each.

    ``tasks_created``: tasks the service made over both runs; ``cost_counted_usd``: what the
    nightly spend file holds at the end; ``ledger_usd``: what the run ledger counts;
    ``creates``: CreateQuantumTask calls (botocore retries of one call count once).
    """
    rows = []
    with _no_credentials(), _instant_backoff():
        for name, scenario in SCENARIOS.items():
            with tempfile.TemporaryDirectory(prefix="qroute-fault-") as folder:
                run = _Run(_settings(Path(folder)))
                first, rerun = scenario(run)
                rows.append(
                    {
                        "backend": "braket-sv1"
                        if name != "closed execution window"
                        else ("braket-iqm-garnet"),
                        "scenario": name,
                        "outcome": f"{first} | rerun: {rerun}",
                        "tasks_created": run.tasks_created,
                        "creates": sum(fake.creates for fake in run.fakes),
                        "cost_counted_usd": round(run.spend_usd(), 6),
                        "ledger_usd": round(run.ledger_usd(), 6),
                    }
                )
    return rows


def main() -> None:
    rows = scenarios()
    print("| backend | scenario | outcome (run, then rerun) | tasks created | cost counted |")
    print("|---|---|---|---:|---:|")
    for row in rows:
        print(
            f"| {row['backend']} | {row['scenario']} | {row['outcome']} | "
            f"{row['tasks_created']} | ${row['cost_counted_usd']:.4f} |"
        )
    doubles = sum(1 for row in rows if row["tasks_created"] > 1)
    print(f"\n{len(rows)} scenarios, {doubles} with a second task")


if __name__ == "__main__":
    main()
