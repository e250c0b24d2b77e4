"""One solver protocol for every backend: classical, annealer, QAOA simulator or QPU.

A solver takes a problem (a full `Problem`, or a routing `Subproblem`) and a `Budget`, and
returns a `SolveResult` whose `Provenance` records what really produced the answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

P_contra = TypeVar("P_contra", contravariant=True)


@dataclass(frozen=True)
class Budget:
    """How much a solve may spend."""

    time_limit: float = 10.0  # wall seconds
    seed: int = 0
    shots: int | None = None  # reads / shots; None lets the backend choose
    max_cost_usd: float | None = None


@dataclass(frozen=True)
class Provenance:
    """Which backend really produced an answer, on what, and why a fallback happened."""

    backend_requested: str
    backend_used: str
    device: str  # device ARN, solver name, or simulator / library name
    paradigm: str  # "gate", "annealing" or "classical"
    seed: int | None
    wall_seconds: float
    shots: int | None = None
    fallback_reason: str | None = None
    cost_usd: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SolveResult:
    """Routes (customer ids, depot omitted) with their cost and provenance.

    For a subproblem, `routes` holds one tour of the subproblem's local stop indices.
    """

    routes: tuple[tuple[int, ...], ...]
    cost: float
    provenance: Provenance
    raw_feasible_rate: float | None = None  # share of raw samples that were valid tours
    repaired: bool = False  # the returned tour was repaired from an infeasible sample
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Solver(Protocol[P_contra]):
    """Anything that solves a problem within a budget."""

    name: str

    def solve(self, problem: P_contra, budget: Budget) -> SolveResult: ...


class BackendUnavailable(RuntimeError):
    """The backend cannot run here now (no credentials, offline, closed window, too big)."""
