"""The one backend protocol, and the generic QUBO solve: (kind, subproblem, backend) -> result.

Every backend (local samplers, QAOA engines, cloud devices, the fallback chain itself) is a
``Backend``: it answers any QUBO kind (``qroute.qubo.kind.QuboKind``) through
``solve(problem, budget, kind=...)``; ``solve_qubo(kind, problem, backend, budget)`` is the
same call spelled as the generic solve path. Local backends are ``SamplerBackend`` adapters
around one ``dimod.Sampler``: the kind converts the subproblem to a BQM, the sampler samples
it, the kind interprets the sample set. Paid cloud backends also declare ``CloudBackend``
(offline checks and pricing, for the dry-run planner).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

import dimod

from qroute.backends.hardware import backend_profile, max_variables_for
from qroute.model.solver import Budget, Provenance, SolveResult
from qroute.qubo.kind import Conversion, Interpretation, QuboKind
from qroute.qubo.tsp import TSP_KIND


class SubproblemTooLarge(ValueError):
    """The subproblem needs more variables than the backend accepts."""


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here now, and if not, why."""

    available: bool
    reason: str = "ok"


@runtime_checkable
class Backend(Protocol):
    """What every backend is (and a ``qroute.model.solver.Solver`` of subproblems).

    max_variables: the largest BQM it takes (qubits for a gate device, logical variables
    for an annealer), read from its hardware profile; ``capacity(backend, kind)`` says the
    same in the kind's unit.
    """

    name: str
    paradigm: str  # "gate", "annealing" or "classical"
    device: str

    @property
    def max_variables(self) -> int: ...

    def availability(self) -> Availability: ...

    def solve(self, problem: Any, budget: Budget, *, kind: QuboKind = TSP_KIND) -> SolveResult: ...


@runtime_checkable
class CloudBackend(Backend, Protocol):
    """A paid backend: offline refusal reasons and prices, without contacting anything."""

    def offline_reason(self) -> str | None:
        """Why it cannot run, from profiles, credentials and windows only (no network)."""
        ...

    def shots_for(self, budget: Budget) -> int: ...

    def estimate(self, problem: Any, budget: Budget, kind: QuboKind = TSP_KIND) -> Any:
        """The ``qroute.cloud.cost.CostEstimate`` of solving ``problem`` (offline)."""
        ...


def solve_qubo(kind: QuboKind, problem: Any, backend: Backend, budget: Budget) -> SolveResult:
    """Solve ``problem`` as a QUBO of ``kind`` on ``backend`` (any backend, any kind)."""
    return backend.solve(problem, budget, kind=kind)


def capacity(backend: Backend, kind: QuboKind = TSP_KIND) -> int:
    """The largest problem ``backend`` takes, in ``kind``'s unit (stops for the TSP kind)."""
    return kind.capacity(backend.max_variables)


def check_capacity(backend: Backend, kind: QuboKind, problem: Any) -> None:
    """Raise SubproblemTooLarge when ``problem`` needs more variables than ``backend`` takes."""
    needed = kind.num_variables(problem)
    if needed > backend.max_variables:
        raise SubproblemTooLarge(
            f"{backend.name} takes at most {capacity(backend, kind)} {kind.unit} "
            f"({backend.max_variables} variables); {kind.label(problem)} has "
            f"{kind.size(problem)} ({needed} variables)"
        )


class SamplerBackend:
    """A backend that is one ``dimod.Sampler`` with defaults for its keyword arguments.

    Subclasses set ``name``, ``paradigm``, ``device`` and implement ``sampler()`` and
    ``sample_kwargs()``; ``postprocess_info()`` may add sampler-specific details (timing,
    embedding, chain breaks) to the provenance. ``max_variables`` comes from the hardware
    profile whose ``backend`` is ``name``; ``unprofiled_max_variables`` is the limit of a
    backend without one.
    """

    name = "qubo"
    paradigm = "annealing"
    unprofiled_max_variables = 64
    device = "unknown"

    @cached_property
    def max_variables(self) -> int:
        """The largest BQM this backend takes: its profile's (looked up once)."""
        profile = backend_profile(self.name)
        return self.unprofiled_max_variables if profile is None else max_variables_for(profile)

    def availability(self) -> Availability:
        return Availability(True)

    def sampler(self) -> dimod.Sampler:
        raise NotImplementedError

    def sample_kwargs(self, conversion: Conversion, budget: Budget) -> dict[str, Any]:
        return {}

    def postprocess_info(self, sampleset: dimod.SampleSet) -> dict[str, Any]:
        return {}

    def device_for(self, conversion: Conversion) -> str:
        return self.device

    def sample(self, conversion: Conversion, budget: Budget) -> tuple[dimod.SampleSet, int | None]:
        """Sample the conversion's BQM; returns the resolved sample set and the shots asked."""
        kwargs = self.sample_kwargs(conversion, budget)
        sampleset = self.sampler().sample(conversion.bqm, **kwargs)
        sampleset.resolve()
        return sampleset, _shots(kwargs)

    def solve(self, problem: Any, budget: Budget, *, kind: QuboKind = TSP_KIND) -> SolveResult:
        check_capacity(self, kind, problem)
        start = time.perf_counter()
        conversion = kind.convert(problem)
        sampleset, shots = self.sample(conversion, budget)
        interpretation = kind.interpret(problem, sampleset)
        details = {
            "qubo": kind.name,
            "variables": conversion.num_variables,
            "interactions": conversion.bqm.num_interactions,
            "best_energy": interpretation.best_raw_energy,
            "num_reads": interpretation.num_reads,
            **interpretation.details,
            **self.postprocess_info(sampleset),
        }
        return interpreted_result(
            self,
            interpretation,
            device=self.device_for(conversion),
            seed=budget.seed,
            start=start,
            shots=shots,
            details=details,
            # what a paid sampler (the cloud ledger composite) says this call spent
            cost_usd=float(sampleset.info.get("cost_usd", 0.0) or 0.0),
        )


def _shots(kwargs: dict[str, Any]) -> int | None:
    for key in ("num_reads", "shots"):
        if key in kwargs:
            return int(kwargs[key])
    return None


def interpreted_result(
    backend: Backend,
    interpretation: Interpretation,
    *,
    seed: int | None,
    start: float,
    shots: int | None,
    details: dict[str, Any],
    cost_usd: float = 0.0,
    device: str | None = None,
) -> SolveResult:
    """The SolveResult of an interpreted sample set, with the backend's provenance; ``start``
    is the solve's perf_counter start."""
    return SolveResult(
        routes=interpretation.answer,
        cost=interpretation.cost,
        provenance=Provenance(
            backend_requested=backend.name,
            backend_used=backend.name,
            device=str(device or backend.device),
            paradigm=backend.paradigm,
            seed=seed,
            wall_seconds=time.perf_counter() - start,
            shots=shots,
            cost_usd=cost_usd,
            details=details,
        ),
        raw_feasible_rate=interpretation.raw_feasible_rate,
        repaired=interpretation.repaired,
    )
