"""The error boundary every cloud backend's `solve` goes through."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from qroute.backends.base import Backend, check_capacity
from qroute.cloud.credentials import redact, safe_error
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
