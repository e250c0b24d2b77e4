"""The nightly results store: schema version and legacy file (rows: test_html_report.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from qroute.reporting.results_store import (
    RESULTS_DB,
    RESULTS_SCHEMA,
    RESULTS_SCHEMA_VERSION,
    append_run,
    read_runs,
    store_version,
)


def test_a_new_store_is_stamped_with_the_schema_version(tmp_path: Path) -> None:
    db = tmp_path / "results.sqlite"
    assert store_version(db) is None
    append_run(db, {"instance": "yangtze-delta", "cost": 812.5, "ts": "2026-11-26T02:00:00Z"})
    assert RESULTS_SCHEMA_VERSION == 2
    assert store_version(db) == 2
    assert [r["cost"] for r in read_runs(db)] == [812.5]


def test_a_store_from_before_versioning_is_kept_and_stamped(tmp_path: Path) -> None:
    db = tmp_path / "results.sqlite"
    append_run(db, {"instance": "X-n101-k25", "cost": 27600.0, "ts": "2026-11-25T02:00:00Z"})
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 0")
    assert store_version(db) == 0
    append_run(db, {"instance": "X-n101-k25", "cost": 27591.0, "ts": "2026-11-26T02:00:00Z"})
    assert store_version(db) == 2
    assert [r["cost"] for r in read_runs(db)] == [27600.0, 27591.0]


def test_a_store_from_a_newer_qroute_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "results.sqlite"
    append_run(db, {"instance": "yangtze-delta", "cost": 800.0})
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 7")
    with pytest.raises(ValueError, match="schema version 7 is newer than this qroute's 2"):
        append_run(db, {"instance": "yangtze-delta", "cost": 790.0})
    with sqlite3.connect(db) as connection:  # nothing was written
        assert connection.execute("SELECT cost FROM runs").fetchall() == [(800.0,)]
    with pytest.raises(ValueError, match="refusing to read it"):
        read_runs(db)
    text = tmp_path / "not-sqlite.txt"
    text.write_text("instance,cost\nyangtze-delta,800\n")
    assert store_version(text) is None


def test_a_missing_store_reads_the_legacy_results_file_beside_it(tmp_path: Path) -> None:
    legacy = tmp_path / "results.sqlite"
    with sqlite3.connect(legacy) as connection:
        connection.executescript(RESULTS_SCHEMA)
        connection.execute("PRAGMA user_version = 1")
        connection.execute(
            "INSERT INTO runs (ts, instance, cost) VALUES ('2026-11-24T02:00:00Z', 'X', 101.5)"
        )
    store = tmp_path / RESULTS_DB
    assert [r["cost"] for r in read_runs(store)] == [101.5]  # read-only: nothing created
    assert not store.exists()
    append_run(store, {"instance": "X", "cost": 99.0, "ts": "2026-11-25T02:00:00Z"})
    assert [r["cost"] for r in read_runs(store)] == [101.5, 99.0]  # imported once, then added
