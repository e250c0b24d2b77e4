"""The one SQLite store: version stamp, refusal of newer files, legacy import, re-entrancy."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from qroute.cloud import store
from qroute.cloud.cost import BudgetGuard, SpendFile, estimate_gate_task
from qroute.cloud.ledger import Ledger
from qroute.model.solver import Budget
from qroute.reporting.results_store import append_run, read_runs

from .fakes import profile


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def test_a_new_store_has_every_table_the_version_and_wal(tmp_path: Path) -> None:
    path = store.store_path(tmp_path)
    with store.connection(path) as connection:
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.schema_version(path) == store.STORE_SCHEMA_VERSION == 2
    assert _tables(path) == {"tasks", "spend", "runs"}
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_ledger_spend_and_results_of_one_folder_share_one_file(tmp_path: Path) -> None:
    ledger = Ledger.in_run_dir(tmp_path)
    guard = BudgetGuard(ledger, run_budget_usd=5.0, spend_dir=tmp_path, clock=lambda: _noon())
    estimate = estimate_gate_task(profile("iqm-garnet"), 1000, qubits=16)
    # the spend and the ledger are the same file: the nested transactions must not wait on
    # each other (a non-reentrant lock would block here for the 30 s busy timeout)
    guard.reserve(key="k1", subproblem="s", backend="b", params={}, estimate=estimate,
                  budget=Budget())  # fmt: skip
    append_run(store.store_path(tmp_path), {"instance": "X", "cost": 10.0})
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".sqlite") == ["qroute.sqlite"]
    assert [e.key for e in ledger.entries()] == ["k1"]
    assert SpendFile(tmp_path, date(2026, 1, 7)).total_usd() == pytest.approx(1.75)
    assert [r["cost"] for r in read_runs(store.store_path(tmp_path))] == [10.0]


def test_a_store_of_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = store.store_path(tmp_path)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 3")
    before = path.read_bytes()
    with pytest.raises(store.StoreVersionError, match="version 3 is newer than this qroute's 2"):
        Ledger(path)
    assert path.read_bytes() == before
    assert store.schema_version(path) == 3


def test_a_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    path = store.store_path(tmp_path)
    with pytest.raises(RuntimeError), store.transaction(path) as outer:
        outer.execute("INSERT INTO runs (ts, instance, cost) VALUES ('t', 'a', 1.0)")
        with store.transaction(path) as inner:
            assert inner is outer
        raise RuntimeError("crash")
    with store.connection(path) as connection:
        assert connection.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_a_new_store_imports_the_legacy_files_of_its_folder_once(tmp_path: Path) -> None:
    legacy_ledger = Ledger(tmp_path / "elsewhere.sqlite")  # a ledger row in the old layout
    with legacy_ledger.transaction() as connection:
        legacy_ledger.reserve(connection, key="k-old", subproblem="s", backend="braket-sv1",
                              device="SV1", params={"shots": 100}, client_token="tok",
                              estimate_usd=0.25, night="2026-01-07")  # fmt: skip
    legacy_ledger.mark_submitted("k-old", "arn:aws:braket:task/1")
    with closing(sqlite3.connect(tmp_path / "elsewhere.sqlite")) as connection:
        connection.execute("PRAGMA user_version = 0")  # as the old ledger files were
        connection.execute("DROP TABLE spend")  # the old ledger file had tasks only
    (tmp_path / "elsewhere.sqlite").rename(tmp_path / store.LEGACY_LEDGER_FILENAME)
    (tmp_path / "2026-01-07.json").write_text(
        json.dumps(
            {
                "night": "2026-01-07",
                "total_usd": 1.5,
                "entries": {
                    "k-old": {"usd": 1.25, "actual": True, "at": 1.0, "backend": "braket-sv1"},
                    "k-other": {"usd": 0.25, "actual": False, "at": 2.0, "device": "SV1"},
                },
            }
        )
    )
    ledger = Ledger.in_run_dir(tmp_path)
    entry = ledger.get("k-old")
    assert entry is not None and entry.state == "submitted"  # a rerun recovers, not resubmits
    assert entry.task_id == "arn:aws:braket:task/1" and entry.client_token == "tok"
    spend = SpendFile(tmp_path, date(2026, 1, 7))
    night = spend.read()
    assert night["total_usd"] == pytest.approx(1.5)
    assert night["entries"]["k-old"]["actual"] is True
    assert night["entries"]["k-other"]["device"] == "SV1"
    # once only: a later change to the legacy file is not imported again
    (tmp_path / "2026-01-07.json").write_text(json.dumps({"entries": {"k3": {"usd": 9.0}}}))
    assert SpendFile(tmp_path, date(2026, 1, 7)).total_usd() == pytest.approx(1.5)


def _noon():  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime(2026, 1, 7, 12, 0, 0)


def test_reading_the_spend_of_a_folder_without_a_store_creates_none(tmp_path: Path) -> None:
    spend = SpendFile(tmp_path / "spend", date(2026, 1, 7))
    assert spend.total_usd() == 0.0 and spend.read()["entries"] == {}
    assert not (tmp_path / "spend").exists()  # e.g. a dry run writes nothing


def test_threads_opening_new_stores_at_once_never_see_a_locked_database(tmp_path: Path) -> None:
    """Six threads open (and so migrate) one new store at the same moment, 60 times: none sees
    "database is locked" (the journal-mode switch does not wait on SQLite's busy handler; before
    the retry about 2 of 360 opens failed, which refused a paid dispatch)."""
    import threading

    errors: list[BaseException] = []
    for n in range(60):
        path = tmp_path / str(n) / store.STORE_FILENAME
        start = threading.Barrier(6)

        def open_it(path: Path = path, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                with store.transaction(path) as conn:
                    conn.execute("SELECT 1").fetchone()
            except BaseException as exc:  # recorded, asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
