"""The paid-call boundary every cloud backend's ``solve`` goes through, written once.

``guarded_solve``: size check and redaction (any error leaves redacted, without the SDK's
cause chain); ``run_paid``: the ledger state machine (reserve through the budget guard before
sending, record the task id before waiting, recover instead of resubmitting, close and
settle). Braket and Leap backends supply only their ``PaidJob`` part.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from qroute.backends.base import Backend, check_capacity
from qroute.cloud.cost import BudgetExceeded, CostEstimate, usd
from qroute.cloud.credentials import redact, safe_error
from qroute.cloud.ledger import PENDING_STATES, LedgerEntry
from qroute.cloud.settings import CloudSettings
from qroute.model.solver import BackendUnavailable, Budget, SolveResult
from qroute.qubo.kind import QuboKind


class CloudTaskFailed(BackendUnavailable):
    """A cloud task failed, was cancelled, timed out or was refused; the reason is redacted."""


def guarded_solve(
    backend: Backend,
    kind: QuboKind,
    problem: Any,
    budget: Budget,
    run: Callable[[QuboKind, Any, Budget, float], SolveResult],
    log: logging.Logger,
) -> SolveResult:
    """Check the size, then `run(kind, problem, budget, start)`; any error leaves as a
    BackendUnavailable / CloudTaskFailed with secrets removed and no SDK cause chain."""
    check_capacity(backend, kind, problem)
    start = time.perf_counter()
    try:
        return run(kind, problem, budget, start)
    except BackendUnavailable as exc:
        raise type(exc)(str(redact(str(exc)))) from None
    except Exception as exc:
        log.warning("%s failed on %s: %s", backend.name, kind.label(problem), safe_error(exc))
        raise CloudTaskFailed(f"{backend.name}: {safe_error(exc)}") from None


# -- the ledger state machine every paid backend shares ---------------------------------------


class Reserve(Protocol):
    """Write the ``reserved`` ledger row through the budget guard (raises BudgetExceeded)."""

    def __call__(
        self,
        estimate: CostEstimate,
        *,
        client_token: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None: ...


class PaidJob(Protocol):
    """One paid backend's part of a dispatch; ``run_paid`` does the ledger and budget part.

    submit: send the problem (``resumed``: the ``reserved`` row of a run that died around the
    submission, to resend the very same request), calling ``reserve`` before anything leaves
    and writing the task id to the ledger as soon as it is known; returns the actual cost and
    the answer to store. recover: fetch the answer of the task in ``entry`` (nothing is
    resubmitted). find_submitted: the id of a task a crashed run may have created without
    recording it (None: not known, or the service's idempotency token covers it).
    """

    @property
    def recovered_by(self) -> str:
        """What a recovery goes by: "task ARN", "problem id"."""
        ...

    @property
    def key(self) -> str:
        """The ledger key of the dispatch."""
        ...

    @property
    def label(self) -> str:
        """The subproblem's name, for the ledger row."""
        ...

    @property
    def backend_name(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]: ...

    @property
    def budget(self) -> Budget: ...

    def estimate_cost(self) -> CostEstimate:
        """The offline estimate the budget guard checks before anything is prepared."""
        ...

    def find_submitted(self, entry: LedgerEntry) -> str | None: ...

    def submit(
        self, resumed: LedgerEntry | None, reserve: Reserve
    ) -> tuple[float, dict[str, Any]]: ...

    def recover(self, entry: LedgerEntry) -> tuple[float, dict[str, Any]]: ...


class JobNames:
    """``label`` and ``backend_name`` of a PaidJob that holds its kind, problem and backend."""

    kind: QuboKind
    sub: Any
    backend: Backend

    @property
    def label(self) -> str:
        return self.kind.label(self.sub)

    @property
    def backend_name(self) -> str:
        return self.backend.name


def run_paid(job: PaidJob, settings: CloudSettings) -> tuple[LedgerEntry, str | None]:
    """Run one paid dispatch through the ledger (see ``qroute.cloud.ledger`` for the states).

    completed -> the stored answer; failed -> the recorded failure; reserved without a task
    id -> ask ``find_submitted`` before resending; submitted / waiting -> ``recover``;
    otherwise the budget guard checks ``job.estimate_cost()`` and ``submit`` runs. A fresh or
    recovered answer closes the row (``completed``) and settles the night's spend with the
    actual cost; an actual above the estimate is re-checked against the run budget and
    recorded (``extra["cost_overrun"]``, a warning). A ``rejected`` row is looked up like a
    ``reserved`` one before resending. Returns the completed row and how it was recovered
    ("ledger": the stored answer, counted before; None: answered in this solve).
    """
    key, budget = job.key, job.budget
    ledger = settings.ledger()
    entry = ledger.get(key)
    if entry is not None and entry.state == "completed" and entry.result is not None:
        # settled again (idempotent per key): a run killed between the answer and the settle
        # still has its night total at the actual cost, counted once
        settings.guard().settle(key, float(entry.actual_usd or 0.0))
        return entry, "ledger"
    if entry is not None and entry.state == "failed":
        raise CloudTaskFailed(f"recorded failure in the run ledger: {entry.reason}")
    if entry is not None and entry.state in ("reserved", "rejected") and not entry.task_id:
        # a crash around the call, a 5xx after the last retry or a lost response may still
        # have created the task: look it up before anything is sent again
        found = job.find_submitted(entry)
        if found:
            ledger.mark_submitted(key, found, found_by_label=True)
            entry = ledger.get(key)
    guard = settings.guard()
    if entry is not None and entry.state != "rejected" and budget.tally is not None:
        budget.tally.add(key)  # a task this dispatch already has counts under the cap
    recovered: str | None = None
    if entry is not None and entry.state in PENDING_STATES and entry.task_id:
        actual, payload = job.recover(entry)
        recovered = job.recovered_by
    else:
        resumed = entry if entry is not None and entry.state == "reserved" else None
        if resumed is None:  # refuse early, before any network call or optimisation
            reason = guard.check(job.estimate_cost(), budget)
            if reason is not None:
                raise BudgetExceeded(reason)

        def reserve(
            estimate: CostEstimate,
            *,
            client_token: str | None = None,
            extra: Mapping[str, Any] | None = None,
        ) -> None:
            guard.reserve(
                key=key,
                subproblem=job.label,
                backend=job.backend_name,
                params=job.params,
                estimate=estimate,
                budget=budget,
                client_token=client_token,
                extra=extra,
            )

        actual, payload = job.submit(resumed, reserve)
    ledger.mark_completed(key, actual, payload)
    guard.settle(key, actual)
    _record_overrun(settings, key, actual, log=logging.getLogger(__name__))
    done = ledger.get(key)
    assert done is not None and done.result is not None
    return done, recovered


def _record_overrun(settings: CloudSettings, key: str, actual: float, log: logging.Logger) -> None:
    """An actual cost above the estimate: say so in the row and, when the run budget is now
    exceeded, that later paid dispatches are refused (the ledger counts the actual)."""
    ledger = settings.ledger()
    entry = ledger.get(key)
    if entry is None or actual <= entry.estimate_usd + 1e-9:
        return
    note = f"actual {usd(actual)} above the estimate {usd(entry.estimate_usd)}"
    spent = ledger.run_spend_usd()
    if settings.budget_usd is not None and spent > settings.budget_usd + 1e-12:
        note += (
            f"; the run has now spent {usd(spent)}, over its {usd(settings.budget_usd)} "
            "budget: later paid dispatches are refused"
        )
    ledger.update_extra(key, cost_overrun=note)
    log.warning("%s (%s): %s", entry.backend, entry.subproblem, note)
