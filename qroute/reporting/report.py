"""Result payloads written as result.json and printed by the CLI."""

from __future__ import annotations

from typing import Any

from qroute.model.data import best_known, gap_percent
from qroute.model.problem import Problem
from qroute.model.solver import SolveResult
from qroute.model.validation import validate


def baseline_payload(problem: Problem, result: SolveResult, solver: str) -> dict[str, Any]:
    """Validate a baseline's answer independently and describe it with its BKS gap."""
    report = validate(problem, result.routes)
    bks = best_known(problem.name)
    return {
        "instance": problem.name,
        "solver": solver,
        "cost": report.cost,
        "feasible": report.feasible,
        "violations": list(report.violations),
        "num_routes": report.num_routes,
        "bks": bks.cost if bks else None,
        "gap_percent": gap_percent(report.cost, bks.cost if bks else None),
        "wall_seconds": result.provenance.wall_seconds,
        "provenance": result.provenance.as_dict(),
    }
