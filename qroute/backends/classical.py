"""Classical subproblem backends: the exact reference."""

from __future__ import annotations

import dimod

from qroute.backends.base import SamplerBackend, SubproblemTooLarge
from qroute.backends.hardware import shipped_profile
from qroute.model.solver import Budget
from qroute.qubo.kind import Conversion

ENUMERATION_MAX_VARIABLES = shipped_profile("exact").max_subproblem_qubits or 0
"""Largest BQM the exact backend enumerates (dimod.ExactSolver, 2^n states) for a kind
without an exact classical solver of its own: ``max_subproblem_qubits`` of the exact
profile (required there, as for every local target)."""


class ExactBackend(SamplerBackend):
    """The exact optimum, the reference for every gap.

    A kind with its own exact solver (the TSP kind: Held-Karp dynamic programming, O(2^k k²)
    instead of the 2^(k²) states of its BQM) answers with its optimal sample; any other
    kind's BQM is enumerated by ``dimod.ExactSolver`` up to ENUMERATION_MAX_VARIABLES.
    """

    name = "exact"
    paradigm = "classical"
    device = "held-karp dynamic programming (CPU)"

    def device_for(self, conversion: Conversion) -> str:
        if conversion.exact is not None:
            return f"{conversion.exact_method or 'exact classical solver'} (CPU)"
        return "dimod ExactSolver enumeration (CPU)"

    def sample(self, conversion: Conversion, budget: Budget) -> tuple[dimod.SampleSet, int | None]:
        bqm = conversion.bqm
        if conversion.exact is not None:
            return dimod.SampleSet.from_samples_bqm(conversion.exact(), bqm), None
        if conversion.num_variables > ENUMERATION_MAX_VARIABLES:
            raise SubproblemTooLarge(
                f"{self.name} enumerates at most {ENUMERATION_MAX_VARIABLES} variables for a "
                f"kind without an exact solver; got {conversion.num_variables}"
            )
        return dimod.ExactSolver().sample(bqm).lowest(), None
