"""The nightly results: the ``runs`` table of the store ``<runs folder>/qroute.sqlite``
(:mod:`qroute.cloud.store`, which holds the schema, its version, the location rule and the
migration from the legacy ``results.sqlite``), one row per nightly solve run (a
qroute.reporting.payloads.NightlyRow), written by the nightly flow and read by the HTML report.

A store written by a newer qroute is refused (``StoreVersionError``, a ValueError) rather than
written in an older layout.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qroute.cloud import store
from qroute.reporting.payloads import NightlyRow

RESULTS_DB = store.STORE_FILENAME
RESULTS_SCHEMA_VERSION = store.STORE_SCHEMA_VERSION
#: The ``runs`` table: one row per nightly solve run (see :func:`append_run`).
RESULTS_SCHEMA = store.RUNS_TABLE
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
    placeholders = ", ".join("?" for _ in RESULTS_COLUMNS)
    with store.transaction(db_path) as connection:
        connection.execute(
            f"INSERT INTO runs ({', '.join(RESULTS_COLUMNS)}) VALUES ({placeholders})", row
        )


def store_version(db_path: str | Path) -> int | None:
    """The schema version of a results store; None when the file is missing or not SQLite."""
    return store.schema_version(db_path)


def read_runs(db_path: str | Path) -> list[dict[str, Any]]:
    """All rows of the results store, oldest first; [] when the file or table is missing.

    Read-only: a store that is not there yet is read from the legacy ``results.sqlite`` beside
    it (the next write imports it); a store of a newer version is refused.
    """
    path = Path(db_path)
    if not path.is_file() and path.name == store.STORE_FILENAME:
        path = path.with_name(store.LEGACY_RESULTS_FILENAME)
    found = store.schema_version(path)
    if found is None:
        return []
    if found > store.STORE_SCHEMA_VERSION:
        raise store.StoreVersionError(
            f"{path}: store schema version {found} is newer than this qroute's "
            f"{store.STORE_SCHEMA_VERSION}; refusing to read it (upgrade qroute)"
        )
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = connection.execute(f"SELECT {', '.join(RESULTS_COLUMNS)} FROM runs ORDER BY ts")
        return [dict(zip(RESULTS_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    except sqlite3.DatabaseError:
        return []
    finally:
        connection.close()
