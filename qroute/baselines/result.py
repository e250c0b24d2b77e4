"""The result every classical baseline returns: validated routes with provenance."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from qroute.model.problem import Problem
from qroute.model.solver import Provenance, SolveResult
from qroute.model.validation import validate


def baseline_result(
    problem: Problem,
    routes: Sequence[Sequence[int]],
    *,
    name: str,
    device: str,
    seed: int | None,
    start: float,
    details: dict[str, Any] | None = None,
) -> SolveResult:
    """Routes validated independently; `start` is the solve's perf_counter start."""
    frozen = tuple(tuple(int(c) for c in route) for route in routes)
    wall = time.perf_counter() - start
    report = validate(problem, frozen)
    return SolveResult(
        routes=frozen,
        cost=report.cost,
        provenance=Provenance(
            backend_requested=name,
            backend_used=name,
            device=device,
            paradigm="classical",
            seed=seed,
            wall_seconds=wall,
            details=details or {},
        ),
        details={"feasible": report.feasible},
    )
