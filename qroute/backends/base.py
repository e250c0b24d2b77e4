"""What every subproblem backend is, and the shared QUBO -> sampler -> tour machinery."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import dimod

from qroute.model.solver import Budget, Provenance, SolveResult
from qroute.model.subproblem import Subproblem
from qroute.qubo.tsp import Decoded, decode, tsp_bqm


class SubproblemTooLarge(ValueError):
    """The subproblem has more stops than the backend accepts."""


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here now, and if not, why."""

    available: bool
    reason: str = "ok"


@runtime_checkable
class SubproblemBackend(Protocol):
    """A solver for routing subproblems (implements qroute.model.solver.Solver[Subproblem])."""

    name: str
    paradigm: str  # "gate", "annealing" or "classical"
    max_size: int  # most free stops it accepts

    def availability(self) -> Availability: ...

    def solve(self, problem: Subproblem, budget: Budget) -> SolveResult: ...


def check_size(backend: SubproblemBackend, sub: Subproblem) -> None:
    if sub.size > backend.max_size:
        raise SubproblemTooLarge(
            f"{backend.name} takes at most {backend.max_size} stops "
            f"({backend.max_size**2} variables); {sub.name} has {sub.size}"
        )


class QuboBackend:
    """A backend that sends the subproblem's BQM to a dimod sampler and decodes the samples.

    Subclasses set `name`, `paradigm`, `max_size`, `device` and implement `sampler()` and
    `sample_kwargs()`; `postprocess_info()` may add sampler-specific details (timing,
    embedding, chain breaks) to the provenance.
    """

    name = "qubo"
    paradigm = "annealing"
    max_size = 8
    device = "unknown"

    def availability(self) -> Availability:
        return Availability(True)

    def sampler(self) -> dimod.Sampler:
        raise NotImplementedError

    def sample_kwargs(self, sub: Subproblem, budget: Budget) -> dict[str, Any]:
        return {}

    def postprocess_info(self, sampleset: dimod.SampleSet) -> dict[str, Any]:
        return {}

    def shots(self, kwargs: dict[str, Any]) -> int | None:
        for key in ("num_reads", "shots"):
            if key in kwargs:
                return int(kwargs[key])
        return None

    def solve(self, problem: Subproblem, budget: Budget) -> SolveResult:
        check_size(self, problem)
        start = time.perf_counter()
        bqm = tsp_bqm(problem)
        kwargs = self.sample_kwargs(problem, budget)
        sampleset = self.sampler().sample(bqm, **kwargs)
        sampleset.resolve()
        decoded = decode(sampleset, problem)
        details = {
            "variables": bqm.num_variables,
            "interactions": bqm.num_interactions,
            "best_energy": decoded.best_raw_energy,
            "num_reads": decoded.num_reads,
            **self.postprocess_info(sampleset),
        }
        return decoded_result(
            self,
            decoded,
            seed=budget.seed,
            start=start,
            shots=self.shots(kwargs),
            details=details,
        )


def decoded_result(
    backend: SubproblemBackend,
    decoded: Decoded,
    *,
    seed: int | None,
    start: float,
    shots: int | None,
    details: dict[str, Any],
    cost_usd: float = 0.0,
) -> SolveResult:
    """The SolveResult of a decoded sample set, with the backend's provenance; `start` is
    the solve's perf_counter start."""
    return SolveResult(
        routes=(decoded.order,),
        cost=decoded.cost,
        provenance=Provenance(
            backend_requested=backend.name,
            backend_used=backend.name,
            device=str(getattr(backend, "device", backend.name)),
            paradigm=backend.paradigm,
            seed=seed,
            wall_seconds=time.perf_counter() - start,
            shots=shots,
            cost_usd=cost_usd,
            details=details,
        ),
        raw_feasible_rate=decoded.raw_feasible_rate,
        repaired=decoded.repaired,
    )
