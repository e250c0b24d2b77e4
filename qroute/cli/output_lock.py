"""One run per output folder: an exclusive lock held until the process exits.

A second `qroute solve --out X` while the first still runs gets a UsageError (exit 2)
instead of overwriting its files. The lock is `fcntl.flock` on `X/.qroute.lock` (released by
the kernel when the process dies, even after kill -9); on systems without fcntl no lock is
taken.
"""

from __future__ import annotations

import os
from pathlib import Path

from qroute.model.errors import UsageError

LOCK_NAME = ".qroute.lock"
_held: dict[Path, int] = {}  # folder -> open descriptor, kept for the life of the process


def hold_output_lock(folder: str | os.PathLike[str]) -> None:
    """Lock `folder` for this process (idempotent); UsageError if another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux / macOS
        return
    key = Path(folder).resolve()
    if key in _held:
        return
    fd = os.open(key / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise UsageError(
            f"--out {folder} is in use by another qroute run (pid {owner}); "
            "wait for it or choose another --out"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _held[key] = fd


def release_output_lock(folder: str | os.PathLike[str]) -> None:
    """Give the lock back (tests, long-lived processes); closing the descriptor unlocks."""
    fd = _held.pop(Path(folder).resolve(), None)
    if fd is not None:
        os.close(fd)
