"""One solver protocol for every backend: classical, annealer, QAOA simulator or QPU.

A solver takes a problem (a full `Problem`, or a routing `Subproblem`) and a `Budget`, and
returns a `SolveResult` whose `Provenance` records what really produced the answer.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

P_contra = TypeVar("P_contra", contravariant=True)


class CostTally:
    """The paid dispatches (ledger keys) one ``Budget.max_cost_usd`` cap covers.

    The budget guard adds each dispatch it reserves under the cap and sums what the run
    ledger holds for these keys (actual cost once known, else the estimate) before allowing the
    next one, so the cap holds for everything the tally covers: ``FallbackChain.solve`` starts
    one per walk of its chain (falling back across paid devices never exceeds the cap); a
    caller that gives every subproblem's Budget the same tally caps the whole solve (within
    one process; across processes the run budget ``--budget-usd`` is the shared cap).
    """

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._lock = threading.Lock()

    def add(self, key: str) -> None:
        with self._lock:
            if key not in self._keys:
                self._keys.append(key)

    @property
    def keys(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._keys)

    def __getstate__(self) -> dict[str, Any]:  # picklable (a Budget may travel to a worker)
        return {"keys": self.keys}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._keys = list(state["keys"])
        self._lock = threading.Lock()


@dataclass(frozen=True)
class Budget:
    """How much a solve may spend.

    ``max_cost_usd`` caps the money of this solve: every paid dispatch its ``tally`` covers
    counts, so the fallback chain walked for one subproblem shares one cap (see
    :class:`CostTally`); None: only the run and nightly budgets apply.
    """

    time_limit: float = 10.0  # wall seconds
    seed: int = 0
    shots: int | None = None  # reads / shots; None lets the backend choose
    max_cost_usd: float | None = None
    tally: CostTally | None = field(default=None, compare=False, repr=False)

    def with_tally(self) -> Budget:
        """This budget with a tally of its own, when it has a cap and no tally yet."""
        if self.max_cost_usd is None or self.tally is not None:
            return self
        return Budget(self.time_limit, self.seed, self.shots, self.max_cost_usd, CostTally())


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
