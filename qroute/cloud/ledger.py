"""A durable ledger of cloud tasks: one SQLite row per (subproblem, backend, parameters).

The row is written *before* anything is sent (state ``reserved``, with the idempotency token
and the cost estimate), updated with the task ARN / problem id as soon as the SDK returns it
and *before* waiting for the answer (``submitted``), and closed with the outcome
(``completed`` with the measured answer and its cost, or ``failed`` with the reason).
A rerun that finds a row does not submit again:

========== =====================================================================
state      what a rerun does
========== =====================================================================
reserved   the process died around the submission call: Braket resubmits with the
           *same* client token (Braket's idempotency returns the task it already
           made); D-Wave looks the problem up by its label first
submitted  rebuilds the task from its ARN / problem id and waits for the answer
waiting    (timed out earlier) the same as submitted
completed  reuses the stored answer; nothing is sent
failed     reports the recorded failure (the dispatcher falls back); nothing is sent
rejected   the service refused the submission (nothing was created): may submit again
========== =====================================================================

The rows are the ``tasks`` table of the run folder's store (:mod:`qroute.cloud.store`, which
also says where the file lives and how its version is kept): WAL with ``synchronous=FULL``, so
a row survives a crash (``os._exit``, SIGKILL) right after the call that wrote it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qroute.cloud import store

__all__ = ["LEDGER_FILENAME", "STATES", "Ledger", "LedgerEntry", "LedgerError", "ledger_key"]

#: The file a run folder's ledger lives in: that folder's store (qroute.cloud.store).
LEDGER_FILENAME = store.STORE_FILENAME
STATES = ("reserved", "submitted", "waiting", "completed", "failed", "rejected")
#: States whose task exists (or may exist) remotely: a rerun recovers instead of resubmitting.
PENDING_STATES = ("submitted", "waiting")


class LedgerError(RuntimeError):
    """The ledger is inconsistent with what the caller expects (e.g. a missing row)."""


def ledger_key(subproblem_key: str, backend: str, params: Mapping[str, Any]) -> str:
    """Stable key of one dispatch: subproblem content hash + backend + its parameters."""
    blob = json.dumps(
        {"subproblem": subproblem_key, "backend": backend, "params": params},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LedgerEntry:
    key: str
    subproblem: str
    backend: str
    device: str
    params: dict[str, Any]
    state: str
    task_id: str | None
    client_token: str | None
    estimate_usd: float
    actual_usd: float | None
    reason: str | None
    result: dict[str, Any] | None
    extra: dict[str, Any] = field(default_factory=dict)
    night: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    attempts: int = 1

    @property
    def spend_usd(self) -> float:
        """What this row counts against a budget: the actual cost once known, else the estimate.

        A rejected submission created nothing and counts zero.
        """
        if self.state == "rejected":
            return 0.0
        return self.actual_usd if self.actual_usd is not None else self.estimate_usd


class Ledger:
    """The ``tasks`` table of the store ``<run_dir>/qroute.sqlite`` (safe across processes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with self._connect():  # create / migrate the store now: a refused file fails early
            pass

    @classmethod
    def in_run_dir(cls, run_dir: str | Path) -> Ledger:
        return cls(store.store_path(run_dir))

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return store.connection(self.path)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An exclusive-for-writers transaction (``BEGIN IMMEDIATE``), committed on success."""
        with store.transaction(self.path) as conn:
            yield conn

    # -- reading ---------------------------------------------------------------------------------

    @staticmethod
    def _row(row: sqlite3.Row | tuple[Any, ...] | None) -> LedgerEntry | None:
        if row is None:
            return None
        (
            key,
            sub,
            backend,
            device,
            params,
            state,
            task_id,
            token,
            estimate,
            actual,
            reason,
            result,
            extra,
            night,
            created,
            updated,
            attempts,
        ) = row
        return LedgerEntry(
            key=key,
            subproblem=sub,
            backend=backend,
            device=device,
            params=json.loads(params),
            state=state,
            task_id=task_id,
            client_token=token,
            estimate_usd=float(estimate),
            actual_usd=None if actual is None else float(actual),
            reason=reason,
            result=None if result is None else json.loads(result),
            extra=json.loads(extra),
            night=night,
            created_at=float(created),
            updated_at=float(updated),
            attempts=int(attempts),
        )

    def get(self, key: str, conn: sqlite3.Connection | None = None) -> LedgerEntry | None:
        if conn is not None:
            return self._row(conn.execute("SELECT * FROM tasks WHERE key = ?", (key,)).fetchone())
        with self._connect() as own:
            return self.get(key, own)

    def entries(self) -> list[LedgerEntry]:
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM tasks ORDER BY created_at").fetchall()
        return [entry for row in rows if (entry := self._row(row)) is not None]

    def run_spend_usd(self, conn: sqlite3.Connection | None = None) -> float:
        """Money this run has spent or committed: actual costs, else estimates of open tasks."""
        if conn is None:
            with self._connect() as own:
                return self.run_spend_usd(own)
        rows = conn.execute("SELECT * FROM tasks").fetchall()
        return sum(entry.spend_usd for row in rows if (entry := self._row(row)) is not None)

    # -- writing ---------------------------------------------------------------------------------

    def reserve(
        self,
        conn: sqlite3.Connection,
        *,
        key: str,
        subproblem: str,
        backend: str,
        device: str,
        params: Mapping[str, Any],
        client_token: str | None,
        estimate_usd: float,
        night: str | None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Insert (or, for a ``rejected`` row, renew) the row before anything is sent.

        Runs inside the caller's :meth:`transaction` so the budget check and the reservation
        are one atomic step.
        """
        now = time.time()
        existing = self.get(key, conn)
        if existing is not None and existing.state != "rejected":
            raise LedgerError(f"ledger row {key} already exists in state {existing.state}")
        attempts = 1 if existing is None else existing.attempts + 1
        conn.execute("DELETE FROM tasks WHERE key = ?", (key,))
        conn.execute(
            "INSERT INTO tasks (key, subproblem, backend, device, params, state, task_id,"
            " client_token, estimate_usd, actual_usd, reason, result, extra, night, created_at,"
            " updated_at, attempts) VALUES (?, ?, ?, ?, ?, 'reserved', NULL, ?, ?, NULL, NULL,"
            " NULL, ?, ?, ?, ?, ?)",
            (
                key,
                subproblem,
                backend,
                device,
                json.dumps(dict(params), sort_keys=True, default=str),
                client_token,
                float(estimate_usd),
                json.dumps(dict(extra or {}), sort_keys=True, default=str),
                night,
                now,
                now,
                attempts,
            ),
        )

    def _update(self, key: str, **fields: Any) -> None:
        fields["updated_at"] = time.time()
        for name in ("result", "extra"):
            if name in fields and fields[name] is not None:
                fields[name] = json.dumps(fields[name], sort_keys=True, default=str)
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE tasks SET {assignments} WHERE key = ?", (*fields.values(), key)
            )
            if cursor.rowcount != 1:
                raise LedgerError(f"no ledger row {key}")

    def update_extra(self, key: str, **extra: Any) -> None:
        entry = self.get(key)
        if entry is None:
            raise LedgerError(f"no ledger row {key}")
        self._update(key, extra={**entry.extra, **extra})

    def mark_submitted(self, key: str, task_id: str, **extra: Any) -> None:
        """Record the remote id (task ARN / problem id); call before waiting for the answer."""
        entry = self.get(key)
        if entry is None:
            raise LedgerError(f"no ledger row {key}")
        # actual_usd back to unknown: a task found for a ``rejected`` row counts its estimate
        self._update(
            key,
            state="submitted",
            task_id=task_id,
            actual_usd=None,
            extra={**entry.extra, **extra},
        )

    def mark_waiting(self, key: str, reason: str) -> None:
        """The wait ended without an answer but the task may still run: a rerun recovers it."""
        self._update(key, state="waiting", reason=reason)

    def mark_completed(self, key: str, actual_usd: float, result: Mapping[str, Any]) -> None:
        self._update(
            key, state="completed", actual_usd=float(actual_usd), result=dict(result), reason=None
        )

    def mark_failed(self, key: str, reason: str, actual_usd: float = 0.0) -> None:
        self._update(key, state="failed", reason=reason, actual_usd=float(actual_usd))

    def mark_rejected(self, key: str, reason: str) -> None:
        """The service refused the submission, so no task exists; a rerun may try again."""
        self._update(key, state="rejected", reason=reason, actual_usd=0.0)
