"""The one SQLite store of qroute's durable state: the cloud task ledger, each night's spend and
the nightly results, in one schema with one version and one connection policy.

Tables (``STORE_SCHEMA``):

* ``tasks``: the cloud ledger, one row per paid dispatch (:mod:`qroute.cloud.ledger`);
* ``spend``: what each dispatch of a night cost, keyed by (night, ledger key)
  (:class:`qroute.cloud.cost.SpendFile`);
* ``runs``: one row per nightly solve run (:mod:`qroute.reporting.results_store`).

**Location rule.** A store is the file ``qroute.sqlite`` (:data:`STORE_FILENAME`) of the folder
that owns the state, and every table of it has the same schema wherever the file lives:

* the ledger goes in the *run folder* (``QROUTE_RUN_DIR``, the solve's ``--out``), because a
  rerun of that folder must find its own rows and not resubmit;
* the spend goes in the *spend folder* (``QROUTE_SPEND_DIR``, default ``~/.qroute/spend``),
  because the nightly budget is shared by every run of the night;
* the nightly results go in the *runs folder* the report reads (``runs/qroute.sqlite``).

Point two of these at the same folder and they share one file (transactions are re-entrant
per thread and file, so the budget guard's check-and-reserve still works).  Before this store
the same facts lived in ``cloud-ledger.sqlite``, ``<night>.json`` spend files and
``results.sqlite``; a new store imports the legacy files found in its folder once, when it is
created, so an upgrade neither forgets the night's spend nor resubmits a recorded task.

**Version.** The schema version is SQLite's ``PRAGMA user_version``
(:data:`STORE_SCHEMA_VERSION`).  0 is a new file or a legacy, unversioned ledger/results file;
1 is the legacy results store.  Both are migrated in place (the tables are created beside the
old ones, whose layout is unchanged) and stamped; a file with a newer version was written by a
newer qroute and is refused (:class:`StoreVersionError`), never rewritten in an older layout.

**Durability.** WAL journal (readers never block the one writer) with ``synchronous=FULL``: a
committed row survives ``os._exit`` or SIGKILL right after the call that wrote it.  Writers
take ``BEGIN IMMEDIATE``, so a read-check-write inside :func:`transaction` is atomic across
processes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "LEGACY_LEDGER_FILENAME",
    "LEGACY_RESULTS_FILENAME",
    "STORE_FILENAME",
    "STORE_SCHEMA",
    "STORE_SCHEMA_VERSION",
    "StoreVersionError",
    "connection",
    "schema_version",
    "store_path",
    "transaction",
]

STORE_FILENAME = "qroute.sqlite"
STORE_SCHEMA_VERSION = 2  # bump with a step in _migrate when STORE_SCHEMA changes
LEGACY_LEDGER_FILENAME = "cloud-ledger.sqlite"
LEGACY_RESULTS_FILENAME = "results.sqlite"

TASKS_TABLE = """
CREATE TABLE IF NOT EXISTS tasks (
    key TEXT PRIMARY KEY,
    subproblem TEXT NOT NULL,
    backend TEXT NOT NULL,
    device TEXT NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    task_id TEXT,
    client_token TEXT,
    estimate_usd REAL NOT NULL DEFAULT 0,
    actual_usd REAL,
    reason TEXT,
    result TEXT,
    extra TEXT NOT NULL DEFAULT '{}',
    night TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1
);
"""
SPEND_TABLE = """
CREATE TABLE IF NOT EXISTS spend (
    night   TEXT NOT NULL,      -- ISO date of the night (nights roll over at noon)
    key     TEXT NOT NULL,      -- ledger key of the dispatch
    usd     REAL NOT NULL,      -- reserved estimate, replaced by the actual cost when known
    actual  INTEGER NOT NULL,   -- 1 once usd is the measured cost
    backend TEXT,
    device  TEXT,
    at      REAL NOT NULL,      -- unix time of the last write
    meta    TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (night, key)
);
"""
RUNS_TABLE = """
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
STORE_SCHEMA = TASKS_TABLE + SPEND_TABLE + RUNS_TABLE


class StoreVersionError(ValueError):
    """The store was written by a newer qroute (or is not a qroute store): refused, untouched."""


def store_path(folder: str | Path) -> Path:
    """The store file of `folder` (the location rule above)."""
    return Path(folder) / STORE_FILENAME


_local = threading.local()


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    try:
        _refuse_newer(conn, path)  # before anything, even the journal mode, is written
        _use_wal(conn)
        conn.execute("PRAGMA synchronous=FULL")
        _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection, wait_seconds: float = 30.0) -> None:
    """Switch the file to WAL. Changing the journal mode does not wait on SQLite's busy
    handler, so two threads or processes opening a new store at once (one migrating it) would
    see "database is locked": retry for up to `wait_seconds`, as the connection timeout does."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _refuse_newer(conn: sqlite3.Connection, path: Path) -> None:
    found = _version(conn)
    if found > STORE_SCHEMA_VERSION:
        raise StoreVersionError(
            f"{path}: store schema version {found} is newer than this qroute's "
            f"{STORE_SCHEMA_VERSION}; refusing to use it (upgrade qroute)"
        )


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the file to STORE_SCHEMA_VERSION (0 and 1 are migrated in place)."""
    found = _version(conn)
    if found == STORE_SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _version(conn) == found:  # another process may have migrated meanwhile
            fresh = not conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
            # 0 (new or legacy unversioned file) and 1 (legacy results store) -> 2: add the
            # tables that are missing; existing legacy tables already have these layouts.
            for statement in STORE_SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if fresh:
                _import_legacy(conn, path.parent)
            conn.execute(f"PRAGMA user_version = {STORE_SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _import_legacy(conn: sqlite3.Connection, folder: Path) -> None:
    """Copy the pre-store files of `folder` into a brand-new store (they stay as they were)."""
    for name, table in ((LEGACY_LEDGER_FILENAME, "tasks"), (LEGACY_RESULTS_FILENAME, "runs")):
        legacy = folder / name
        if not legacy.is_file():
            continue
        source = sqlite3.connect(legacy, timeout=30.0)
        try:
            if not source.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone():
                continue
            rows = source.execute(f"SELECT * FROM {table}").fetchall()
        finally:
            source.close()
        if rows:
            marks = ", ".join("?" for _ in rows[0])
            conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", rows)
    for night_file in sorted(folder.glob("????-??-??.json")):
        try:
            data = json.loads(night_file.read_text(encoding="utf-8"))
            entries = data.get("entries", {})
        except (OSError, ValueError, AttributeError):
            raise sqlite3.DatabaseError(
                f"legacy spend file {night_file} is unreadable; fix or remove it"
            ) from None
        for key, entry in entries.items():
            meta = {k: v for k, v in entry.items() if k not in ("usd", "actual", "at")}
            conn.execute(
                "INSERT OR IGNORE INTO spend (night, key, usd, actual, backend, device, at, meta)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    night_file.stem,
                    key,
                    float(entry.get("usd", 0.0)),
                    int(bool(entry.get("actual"))),
                    entry.get("backend"),
                    entry.get("device"),
                    float(entry.get("at", time.time())),
                    json.dumps(meta, sort_keys=True, default=str),
                ),
            )


def _held(path: Path) -> sqlite3.Connection | None:
    held: dict[Path, sqlite3.Connection] = getattr(_local, "held", {})
    return held.get(path.resolve())


@contextmanager
def connection(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A connection to the store at `path` (migrated first); inside this thread's open
    :func:`transaction` on the same file, that transaction's connection (so it sees its own
    uncommitted writes and never waits on itself)."""
    file = Path(path)
    held = _held(file)
    if held is not None:
        yield held
        return
    conn = _open(file)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A write transaction on the store at `path` (``BEGIN IMMEDIATE``, committed on success,
    rolled back on any exception).  Re-entrant per thread and file: a nested call is a
    savepoint inside the outer transaction."""
    file = Path(path)
    held = _held(file)
    if held is not None:
        name = f"nested_{id(held)}_{time.monotonic_ns()}"
        held.execute(f"SAVEPOINT {name}")
        try:
            yield held
        except BaseException:
            held.execute(f"ROLLBACK TO {name}")
            held.execute(f"RELEASE {name}")
            raise
        held.execute(f"RELEASE {name}")
        return
    conn = _open(file)
    registry: dict[Path, sqlite3.Connection] = _local.__dict__.setdefault("held", {})
    key = file.resolve()
    try:
        conn.execute("BEGIN IMMEDIATE")
        registry[key] = conn
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        registry.pop(key, None)
        conn.close()


def schema_version(path: str | Path) -> int | None:
    """The schema version of the file at `path` without changing it; None when the file is
    missing or not SQLite."""
    file = Path(path)
    if not file.is_file():
        return None
    conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        return _version(conn)
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
