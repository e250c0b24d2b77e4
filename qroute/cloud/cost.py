"""Cost estimates from the hardware profiles, actual costs, and the run / nightly budget guard.

Estimates (before anything is sent) use the profile's public prices:

* gate QPUs: ``per_task_usd + shots * per_shot_usd``;
* managed simulators (SV1, DM1, TN1): ``per_minute_usd`` times the billed duration, which is
  at least :data:`SIMULATOR_MIN_SECONDS` per task (Braket's minimum billing);
* annealing QPUs: ``per_qpu_second_usd`` times the estimated QPU access time
  (programming + reads x (anneal + readout + delay));
* Leap hybrid: ``per_minute_usd`` times the run time (the solver's minimum ``time_limit``
  for the problem size).

Actual costs apply the same prices to what the service reports: shots and task status from
the Braket :class:`~braket.tracking.Tracker` (or the task metadata when a task is recovered by
ARN), the billed simulator duration, D-Wave's ``qpu_access_time`` and hybrid ``run_time``.

The guard refuses a dispatch when its estimate would take the run over ``--budget-usd``, the
night over ``--nightly-budget-usd`` (spend per night in the ``spend`` table of
``<spend_dir>/qroute.sqlite``, see :mod:`qroute.cloud.store`), or the solve over its
``Budget.max_cost_usd`` (counting every dispatch the budget's tally covers: the whole fallback
chain of a subproblem, see ``qroute.model.solver.CostTally``). With no run budget set, every
paid dispatch is refused: spending money needs an explicit budget.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from qroute.backends.hardware import HardwareProfile
from qroute.cloud import store
from qroute.cloud.ledger import Ledger
from qroute.model.clock import as_utc
from qroute.model.solver import BackendUnavailable, Budget

__all__ = [
    "SIMULATOR_MIN_SECONDS",
    "BudgetExceeded",
    "BudgetGuard",
    "CostEstimate",
    "SpendFile",
    "annealer_qpu_seconds",
    "estimate_annealer",
    "estimate_gate_task",
    "estimate_hybrid",
    "gate_task_cost",
    "hybrid_min_time_limit",
    "night_of",
    "refusal_reason",
]

#: Braket bills managed-simulator tasks by the millisecond with a 3-second minimum.
SIMULATOR_MIN_SECONDS = 3.0
#: Rough D-Wave QPU timing (microseconds) for estimates; the real figures come back in timing.
QPU_PROGRAMMING_US = 15_800.0
QPU_READOUT_US = 150.0
QPU_DELAY_US = 21.0
QPU_ANNEAL_US = 20.0
#: Leap hybrid BQM minimum time_limit (variables, seconds), per D-Wave's solver docs; the live
#: solver's ``minimum_time_limit`` property replaces it when known.
HYBRID_MIN_TIME_LIMIT = (
    (1, 3.0),
    (1024, 3.0),
    (4096, 10.0),
    (10000, 40.0),
    (30000, 200.0),
    (100000, 600.0),
    (1000000, 600.0),
)
#: Nights run from noon to noon UTC: a 02:00 UTC task belongs to the night before. UTC, not
#: the machine's zone, so a flow process and its workers (or a rerun on another host) agree.
NIGHT_ROLLOVER_HOUR = 12


@dataclass(frozen=True)
class CostEstimate:
    """The estimated price of one dispatch, and how it was worked out."""

    profile: str
    device: str
    usd: float
    shots: int
    basis: str
    price_is_estimate: bool = False  # the profile's price itself is an estimate
    price_as_of: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def usd(x: float) -> str:
    """Dollars for people: cents, or four decimals below one cent."""
    return f"${x:,.4f}" if 0 < x < 0.01 else f"${x:,.2f}"


def unit_price(x: float) -> str:
    """A price per unit, with every significant digit (``$0.00145``, ``$0.30``)."""
    return f"${x:,.2f}" if x >= 0.01 or x == 0 else f"${x:.3g}"


def estimate_gate_task(
    profile: HardwareProfile, shots: int, *, qubits: int, gates: int = 0
) -> CostEstimate:
    """One Braket gate-model task of ``shots`` shots."""
    price = profile.price
    if profile.kind == "simulator" and price.per_minute_usd:
        seconds = max(SIMULATOR_MIN_SECONDS, simulator_seconds(qubits, gates, shots))
        amount = price.cost_usd(tasks=1, shots=shots, minutes=seconds / 60.0)
        basis = f"{seconds:.0f} s billed (3 s minimum) x {unit_price(price.per_minute_usd)}/min"
    else:
        amount = price.cost_usd(tasks=1, shots=shots)
        basis = (
            f"1 task x {unit_price(price.per_task_usd or 0)} + {shots} shots x "
            f"{unit_price(price.per_shot_usd or 0)}"
        )
    return CostEstimate(
        profile=profile.id,
        device=profile.device_arn or profile.name,
        usd=amount,
        shots=shots,
        basis=basis,
        price_is_estimate=profile.price.estimate,
        price_as_of=profile.price.as_of.isoformat(),
    )


def simulator_seconds(qubits: int, gates: int, shots: int) -> float:
    """A deliberately generous guess of a managed state-vector simulation's duration."""
    return 2.0**qubits * max(gates, 1) * 5e-9 + shots * 2e-5 + 0.5


def gate_task_cost(
    profile: HardwareProfile, *, status: str, shots: int, billed_ms: float | None = None
) -> float:
    """What a finished Braket task costs at the profile's prices.

    FAILED and CANCELLED tasks are not charged; a simulator is billed for its reported
    duration (at least the 3-second minimum).
    """
    if status in ("FAILED", "CANCELLED"):
        return 0.0
    price = profile.price
    if profile.kind == "simulator" and price.per_minute_usd:
        seconds = max(SIMULATOR_MIN_SECONDS, (billed_ms or 0.0) / 1000.0)
        return price.cost_usd(tasks=1, shots=shots, minutes=seconds / 60.0)
    return price.cost_usd(tasks=1, shots=shots)


def annealer_qpu_seconds(reads: int, anneal_us: float = QPU_ANNEAL_US) -> float:
    return (QPU_PROGRAMMING_US + reads * (anneal_us + QPU_READOUT_US + QPU_DELAY_US)) / 1e6


def estimate_annealer(profile: HardwareProfile, reads: int) -> CostEstimate:
    seconds = annealer_qpu_seconds(reads)
    amount = profile.price.cost_usd(tasks=1, qpu_seconds=seconds)
    per_second = profile.price.per_qpu_second_usd or 0.0
    return CostEstimate(
        profile=profile.id,
        device=profile.solver_name or profile.name,
        usd=amount,
        shots=reads,
        basis=f"~{seconds * 1000:.0f} ms QPU access x {unit_price(per_second)}/s",
        price_is_estimate=profile.price.estimate,
        price_as_of=profile.price.as_of.isoformat(),
    )


def hybrid_min_time_limit(
    num_variables: int, table: tuple[tuple[float, float], ...] | None = None
) -> float:
    xs, ys = zip(*(table or HYBRID_MIN_TIME_LIMIT), strict=True)
    return float(np.interp([num_variables], xs, ys)[0])


def estimate_hybrid(
    profile: HardwareProfile, num_variables: int, time_limit: float | None = None
) -> CostEstimate:
    seconds = time_limit if time_limit is not None else hybrid_min_time_limit(num_variables)
    amount = profile.price.cost_usd(tasks=1, minutes=seconds / 60.0)
    return CostEstimate(
        profile=profile.id,
        device=profile.solver_name or profile.name,
        usd=amount,
        shots=1,
        basis=f"{seconds:.1f} s run time x {unit_price(profile.price.per_minute_usd or 0)}/min",
        price_is_estimate=profile.price.estimate,
        price_as_of=profile.price.as_of.isoformat(),
    )


# --------------------------------------------------------------------------------------------
# Nightly spend


def night_of(moment: datetime | None = None) -> date:
    """The night a moment (aware, or naive UTC; default now) belongs to: nights run from
    noon to noon UTC, whatever the machine's time zone."""
    utc = as_utc(moment) if moment is not None else datetime.now(UTC)
    return (utc - timedelta(hours=NIGHT_ROLLOVER_HOUR)).date()


class SpendFile:
    """One night's spend: the ``spend`` rows of the store ``<spend_dir>/qroute.sqlite``
    (:mod:`qroute.cloud.store`), what each dispatch of the night cost, keyed by ledger key.

    :meth:`locked` is a write transaction on the store, so a check of :meth:`total_usd` and the
    :meth:`record` that follows are one atomic step across processes; every commit is durable.
    """

    def __init__(self, directory: str | Path, night: date) -> None:
        self.directory = Path(directory)
        self.night = night
        self.path = store.store_path(self.directory)

    def _unreadable(self, exc: Exception) -> BackendUnavailable:
        return BackendUnavailable(
            f"budget: nightly spend store {self.path} unreadable ({type(exc).__name__}: {exc}); "
            "refusing paid dispatches until it is fixed"
        )

    @contextmanager
    def locked(self) -> Iterator[None]:
        with ExitStack() as stack:
            try:
                stack.enter_context(store.transaction(self.path))
            except (sqlite3.DatabaseError, store.StoreVersionError) as exc:
                raise self._unreadable(exc) from None
            yield

    def read(self) -> dict[str, Any]:
        """The night as ``{"night", "entries": {key: {usd, actual, at, backend, device, ...}},
        "total_usd"}``. Reading a folder with no store creates none (a dry run writes nothing)
        unless legacy ``<night>.json`` files are there to import."""
        if not self.path.exists() and not any(self.directory.glob("????-??-??.json")):
            return {"night": self.night.isoformat(), "entries": {}, "total_usd": 0.0}
        try:
            with store.connection(self.path) as conn:
                rows = conn.execute(
                    "SELECT key, usd, actual, backend, device, at, meta FROM spend"
                    " WHERE night = ? ORDER BY at",
                    (self.night.isoformat(),),
                ).fetchall()
        except (sqlite3.DatabaseError, store.StoreVersionError) as exc:
            raise self._unreadable(exc) from None
        entries = {
            key: {
                **json.loads(meta),
                "usd": float(amount),
                "actual": bool(actual),
                "backend": backend,
                "device": device,
                "at": float(at),
            }
            for key, amount, actual, backend, device, at, meta in rows
        }
        total = round(sum(float(e["usd"]) for e in entries.values()), 6)
        return {"night": self.night.isoformat(), "entries": entries, "total_usd": total}

    def total_usd(self) -> float:
        return float(self.read()["total_usd"])

    def record(self, key: str, amount: float, *, actual: bool, **meta: Any) -> None:
        """Set this dispatch's amount (inside :meth:`locked`, or as its own transaction)."""
        backend = meta.pop("backend", None)
        device = meta.pop("device", None)
        try:
            with store.transaction(self.path) as conn:
                conn.execute(
                    "INSERT INTO spend (night, key, usd, actual, backend, device, at, meta)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (night, key) DO UPDATE SET"
                    " usd = excluded.usd, actual = excluded.actual,"
                    " backend = coalesce(excluded.backend, backend),"
                    " device = coalesce(excluded.device, device), at = excluded.at,"
                    " meta = json_patch(meta, excluded.meta)",
                    (
                        self.night.isoformat(),
                        key,
                        round(float(amount), 6),
                        int(actual),
                        backend,
                        device,
                        time.time(),
                        json.dumps(meta, sort_keys=True, default=str),
                    ),
                )
        except (sqlite3.DatabaseError, store.StoreVersionError) as exc:
            raise self._unreadable(exc) from None


# --------------------------------------------------------------------------------------------
# Budget guard


class BudgetExceeded(BackendUnavailable):
    """A dispatch was refused because it would exceed a budget (the dispatcher falls back)."""


def refusal_reason(
    estimate: CostEstimate,
    budget: Budget,
    *,
    run_budget_usd: float | None,
    run_spent_usd: float,
    nightly_budget_usd: float | None,
    night_spent_usd: float | None,
    night: date,
    cap_spent_usd: float = 0.0,
) -> str | None:
    """Why a dispatch of ``estimate`` must be refused, or None when every budget allows it.

    ``cap_spent_usd``: what the dispatches before it under the same ``budget.max_cost_usd``
    (its tally: e.g. the devices tried earlier in the fallback chain) spent or committed.
    """
    cost = estimate.usd
    if cost <= 0:
        return None
    cap = budget.max_cost_usd
    if cap is not None and cap_spent_usd + cost > cap + 1e-12:
        if cap_spent_usd <= 0:
            return (
                f"budget: estimated {usd(cost)} ({estimate.basis}) exceeds this solve's "
                f"max_cost_usd {usd(cap)}"
            )
        return (
            f"budget: estimated {usd(cost)} ({estimate.basis}) would bring this solve to "
            f"{usd(cap_spent_usd + cost)}, over its max_cost_usd {usd(cap)} "
            f"({usd(cap_spent_usd)} already spent or committed by its earlier dispatches)"
        )
    if run_budget_usd is None:
        return (
            f"budget: no run budget set (--budget-usd), so the paid dispatch "
            f"(estimated {usd(cost)}: {estimate.basis}) is refused"
        )
    if run_spent_usd + cost > run_budget_usd + 1e-12:
        return (
            f"budget: estimated {usd(cost)} ({estimate.basis}) would bring this run to "
            f"{usd(run_spent_usd + cost)}, over its {usd(run_budget_usd)} budget "
            f"({usd(run_spent_usd)} already spent or committed)"
        )
    if (
        nightly_budget_usd is not None
        and night_spent_usd is not None
        and night_spent_usd + cost > nightly_budget_usd + 1e-12
    ):
        return (
            f"budget: estimated {usd(cost)} ({estimate.basis}) would bring the night of "
            f"{night.isoformat()} to {usd(night_spent_usd + cost)}, over the nightly "
            f"{usd(nightly_budget_usd)} budget"
        )
    return None


@dataclass
class BudgetGuard:
    """Checks and reserves every paid dispatch against the run and nightly budgets.

    ``run_budget_usd=None`` means no budget was given: every paid dispatch is refused.
    ``nightly_budget_usd=None`` means no nightly limit (the spend is still recorded).
    """

    ledger: Ledger
    run_budget_usd: float | None
    nightly_budget_usd: float | None = None
    spend_dir: Path | None = None
    clock: Any = None  # () -> datetime, for tests

    def night(self) -> date:
        return night_of(self.clock() if self.clock else None)

    def spend_file(self, night: date | None = None) -> SpendFile | None:
        if self.spend_dir is None:
            return None
        return SpendFile(self.spend_dir, night or self.night())

    def _refusal(
        self,
        estimate: CostEstimate,
        budget: Budget,
        run_spent: float,
        night_spent: float | None,
        conn: Any = None,
        key: str | None = None,
    ) -> str | None:
        return refusal_reason(
            estimate,
            budget,
            run_budget_usd=self.run_budget_usd,
            run_spent_usd=run_spent,
            nightly_budget_usd=self.nightly_budget_usd,
            night_spent_usd=night_spent,
            night=self.night(),
            cap_spent_usd=self.cap_spent_usd(budget, conn, excluding=key),
        )

    def cap_spent_usd(
        self, budget: Budget, conn: Any = None, *, excluding: str | None = None
    ) -> float:
        """What the dispatches in ``budget``'s tally spent or committed, per the run ledger
        (actual cost once known, else the estimate; a rejected submission counts zero)."""
        if budget.tally is None:
            return 0.0
        total = 0.0
        for key in budget.tally.keys:
            entry = self.ledger.get(key, conn) if key != excluding else None
            total += entry.spend_usd if entry is not None else 0.0
        return total

    def check(self, estimate: CostEstimate, budget: Budget) -> str | None:
        """Why ``estimate`` would be refused now, or None (reserves nothing)."""
        spend = self.spend_file()
        night_spent = spend.total_usd() if spend is not None else None
        return self._refusal(estimate, budget, self.ledger.run_spend_usd(), night_spent)

    def reserve(
        self,
        *,
        key: str,
        subproblem: str,
        backend: str,
        params: Mapping[str, Any],
        estimate: CostEstimate,
        budget: Budget,
        client_token: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Atomically check the budgets and write the ``reserved`` ledger row.

        Raises :class:`BudgetExceeded` (nothing written) when the dispatch would exceed one.
        """
        spend = self.spend_file()
        night = self.night().isoformat()
        with spend.locked() if spend is not None else _nothing(), self.ledger.transaction() as conn:
            night_spent = spend.total_usd() if spend is not None else None
            run_spent = self.ledger.run_spend_usd(conn)
            reason = self._refusal(estimate, budget, run_spent, night_spent, conn, key)
            if reason is not None:
                raise BudgetExceeded(reason)
            self.ledger.reserve(
                conn,
                key=key,
                subproblem=subproblem,
                backend=backend,
                device=estimate.device,
                params=params,
                client_token=client_token,
                estimate_usd=estimate.usd,
                night=night,
                extra=extra,
            )
            if spend is not None and estimate.usd > 0:
                spend.record(
                    key, estimate.usd, actual=False, backend=backend, device=estimate.device
                )
        if budget.tally is not None:
            budget.tally.add(key)  # committed: the next dispatch under this cap counts it

    def settle(self, key: str, actual_usd: float, *, night: str | None = None) -> None:
        """Replace a dispatch's reserved estimate by its actual cost in the night's spend."""
        if self.spend_dir is None:
            return
        entry = self.ledger.get(key)
        night_text = night or (entry.night if entry is not None else None)
        when = date.fromisoformat(night_text) if night_text else self.night()
        spend = SpendFile(self.spend_dir, when)
        with spend.locked():
            spend.record(
                key,
                actual_usd,
                actual=True,
                backend=entry.backend if entry else None,
                device=entry.device if entry else None,
            )


@contextmanager
def _nothing() -> Iterator[None]:
    yield
