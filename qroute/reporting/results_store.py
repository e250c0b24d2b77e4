"""The nightly results store: one SQLite file (results.sqlite), table ``runs``, one row per
nightly solve run (a qroute.reporting.payloads.NightlyRow), written by the nightly flow and
read by the HTML report.

The file carries its schema version in SQLite's ``user_version`` (RESULTS_SCHEMA_VERSION; a
file from before versioning reads as 0 and is stamped on the next write); a file written by a
newer qroute is refused rather than written in an older layout.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qroute.reporting.payloads import NightlyRow

RESULTS_DB = "results.sqlite"
RESULTS_SCHEMA_VERSION = 1  # bump with a migration when RESULTS_SCHEMA changes

#: The nightly results store: one row per nightly solve run (see :func:`append_run`).
RESULTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    ts            TEXT NOT NULL,  -- ISO 8601 UTC, e.g. 2026-11-26T02:00:00Z
    instance      TEXT NOT NULL,  -- instance name, e.g. yangtze-delta or X-n101-k25
    cost          REAL NOT NULL,  -- total route length of the validated solution
    gap_percent   REAL,           -- gap to the best-known solution in %, NULL if none known
    backends      TEXT,           -- JSON: {"backend": solves, ...} or ["backend", ...]
    quantum_share REAL,           -- share (0..1) of subproblem solves on gate/annealing backends
    cost_usd      REAL,           -- money spent on cloud devices in the run
    wall_seconds  REAL            -- wall time of the run
);
CREATE INDEX IF NOT EXISTS runs_ts ON runs (ts);
"""
RESULTS_COLUMNS: tuple[str, ...] = tuple(NightlyRow.model_fields)  # the row model's fields


def _iso_utc(value: Any) -> str:
    if value is None:
        return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value)


def _optional_number(record: Mapping[str, Any], key: str) -> float | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number or None, got {value!r}")
    return float(value) if math.isfinite(value) else None


def append_run(db_path: str | Path, record: Mapping[str, Any]) -> None:
    """Add one nightly run to the results store, creating the file and table when needed.

    `record` has ``instance`` and ``cost`` (required) and optionally ``ts`` (ISO text or a
    datetime; default now, UTC), ``gap_percent``, ``backends`` (a dict of solves per backend, a
    list of names, or text), ``quantum_share`` (a number, or a dict with ``share_of_solves`` as
    in result.json), ``cost_usd`` and ``wall_seconds``.  Other keys are ignored, so a solve
    run's result.json payload can be passed as it is.
    """
    if not record.get("instance"):
        raise ValueError("a results row needs an instance name")
    cost = _optional_number(record, "cost")
    if cost is None:
        raise ValueError("a results row needs a finite cost")
    share: Any = record.get("quantum_share")
    if isinstance(share, Mapping):
        share = share.get("share_of_solves")
    backends: Any = record.get("backends")
    if backends is not None and not isinstance(backends, str):
        backends = json.dumps(backends if isinstance(backends, Mapping) else list(backends))
    typed = NightlyRow(
        ts=_iso_utc(record.get("ts")),
        instance=str(record["instance"]),
        cost=cost,
        gap_percent=_optional_number(record, "gap_percent"),
        backends=backends,
        quantum_share=_optional_number({"quantum_share": share}, "quantum_share"),
        cost_usd=_optional_number(record, "cost_usd"),
        wall_seconds=_optional_number(record, "wall_seconds"),
    )
    row = tuple(typed.model_dump().values())
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    try:
        with connection:
            found = _version(connection)
            if found > RESULTS_SCHEMA_VERSION:
                raise ValueError(
                    f"{path}: results store schema version {found}, newer than this qroute's "
                    f"{RESULTS_SCHEMA_VERSION}"
                )
            connection.executescript(RESULTS_SCHEMA)
            if found < RESULTS_SCHEMA_VERSION:
                connection.execute(f"PRAGMA user_version = {RESULTS_SCHEMA_VERSION}")
            placeholders = ", ".join("?" for _ in RESULTS_COLUMNS)
            connection.execute(
                f"INSERT INTO runs ({', '.join(RESULTS_COLUMNS)}) VALUES ({placeholders})", row
            )
    finally:
        connection.close()


def _version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def store_version(db_path: str | Path) -> int | None:
    """The schema version of a results store; None when the file is missing or not SQLite."""
    path = Path(db_path)
    if not path.is_file():
        return None
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _version(connection)
    except sqlite3.DatabaseError:
        return None
    finally:
        connection.close()


def read_runs(db_path: str | Path) -> list[dict[str, Any]]:
    """All rows of the results store, oldest first; [] when the file or table is missing."""
    path = Path(db_path)
    if not path.is_file():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = connection.execute(f"SELECT {', '.join(RESULTS_COLUMNS)} FROM runs ORDER BY ts")
        return [dict(zip(RESULTS_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    except sqlite3.DatabaseError:
        return []
    finally:
        connection.close()
