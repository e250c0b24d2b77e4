"""A persistent store of finished subproblem answers, written the moment each one arrives.

Both pipeline phases (initial and improvement) solve subproblems through the same task, and
that task consults this store first. The key is the subproblem's content (its hash, the
backend policy, the fallback chain it resolves to, the shot count and the store version),
not its position in the run: the improvement loop is driven by the clock, so a rerun after
a crash cuts its subproblems at other indices, yet every subproblem whose content was
already answered (and paid for) is reused. A rerun after kill -9 therefore solves again at
most the subproblems that were in flight.

Writes are atomic (a temporary file in the same folder, fsync, os.replace), so concurrent
runs sharing one folder never see a torn file; an unreadable file counts as absent.
Written by hand because Prefect's result store is keyed per task run and writes in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from qroute.model.solver import SolveResult
from qroute.model.subproblem import Subproblem

STORE_VERSION = "1"
ANSWERS_FOLDER = "answers"


def answer_key(sub: Subproblem, policy: str, chain: list[str], shots: int | None) -> str:
    """The content key of one subproblem answer (see the module docstring)."""
    parts = [STORE_VERSION, sub.key(), policy, "+".join(chain), f"shots={shots}"]
    return "answer-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


class AnswerStore:
    """One pickled SolveResult per file, `<folder>/<key>.pkl`."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.pkl"

    def get(self, key: str) -> SolveResult | None:
        try:
            with self.path(key).open("rb") as handle:
                value = pickle.load(handle)  # noqa: S301 - our own files
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
            return None
        return value if isinstance(value, SolveResult) else None

    def put(self, key: str, result: SolveResult) -> None:
        """Persist atomically: readers see the old state or the whole new file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{key}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path(key))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def __len__(self) -> int:
        return len(list(self.folder.glob("answer-*.pkl"))) if self.folder.is_dir() else 0
