"""A QUBO kind: the subproblem-specific half of every solve, paired as convert / interpret.

Backends know BQMs and sample sets only (dimod's interface); a kind knows one sort of
subproblem. ``convert`` turns a subproblem into a ``Conversion`` (the BQM, its size in
variables, and hints a sampler may use), ``interpret`` turns a sample set of that BQM back
into an ``Interpretation``: the decoded answer, whether it had to be repaired, and the share of
raw samples that were feasible as sampled (qiskit-optimization's converter / interpret pair,
in dimod terms). ``qroute.backends.solve_qubo(kind, subproblem, backend, budget)`` runs any
kind on any backend; adding a kind needs no backend code.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import dimod


@dataclass(frozen=True)
class Conversion:
    """A subproblem as a BQM, with what a sampler may use to treat it well.

    energy_scale: the size of the energy barriers (a penalty weight) that an annealing
    schedule should be able to cross, None when the kind has no opinion (samplers then use
    their defaults). exact: the kind's exact classical solver, returning one optimal sample
    of ``bqm`` (None when the kind has none; the exact backend then enumerates small BQMs).
    """

    bqm: dimod.BinaryQuadraticModel
    energy_scale: float | None = None
    exact: Callable[[], Mapping[Hashable, int]] | None = None
    exact_method: str | None = None  # e.g. "held-karp dynamic programming"

    @property
    def num_variables(self) -> int:
        return int(self.bqm.num_variables)


@dataclass(frozen=True)
class Interpretation:
    """The answer decoded from a sample set, with honest feasibility figures.

    answer: the kind's decoded answer as tuples of integers (one tour of local stop indices
    for a TSP; the chosen columns for a set partition); cost: its objective value in the
    subproblem's own units; repaired: True when no raw sample was feasible and the answer
    came from the kind's repair, never credited to the sampler; raw_feasible_rate: share of
    reads (weighted by occurrences) feasible as sampled.
    """

    answer: tuple[tuple[int, ...], ...]
    cost: float
    repaired: bool
    raw_feasible_rate: float
    num_reads: int
    best_raw_energy: float
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class QuboKind(Protocol):
    """The subproblem-specific part of a QUBO solve (see the module docstring).

    name: the encoding id recorded in ledgers and provenance (e.g. ``tsp-position-v1``);
    unit: what ``size`` counts (``stops``, ``columns``); ``capacity(max_variables)`` is the
    largest size that many variables always hold, for messages and policies in that unit.
    """

    name: str
    unit: str

    def size(self, problem: Any) -> int: ...

    def num_variables(self, problem: Any) -> int: ...

    def capacity(self, max_variables: int) -> int: ...

    def key(self, problem: Any) -> str: ...

    def label(self, problem: Any) -> str: ...

    def convert(self, problem: Any) -> Conversion: ...

    def interpret(self, problem: Any, sampleset: dimod.SampleSet) -> Interpretation: ...
