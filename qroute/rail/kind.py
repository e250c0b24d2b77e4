"""The rail assignment as a QUBO kind (qroute.qubo.kind.QuboKind), so every backend solves a
rail window through ``qroute.backends.solve_qubo(ASSIGNMENT_KIND, case, backend, budget)``
with no rail code in the backend layer (the hardware comparison's rail section uses it).

A problem is a ``qroute.rail.comparison.WindowCase``: a window of consignments on the
allowances the rest of a plan leaves, its certified BQM (qroute.rail.qubo) and its optimum.
``qroute.rail.comparison.small_windows(count, max_qubits)`` makes such windows from the
default scenario. The answer is one tuple: the chosen option index of each consignment, in
``case.consignments`` order; a repaired answer says so (never credited to the sampler).
The kind's exact solver is the window MIP (HiGHS), turned into a BQM sample with exact slack.
``to_cqm`` gives Leap's hybrid CQM solver (``leap-hybrid-cqm``) the window with its one-hot
and capacity rules as constraints (qroute.cloud.leap_cqm calls it when a kind has one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping

import dimod

from qroute.qubo.kind import Conversion, Interpretation
from qroute.rail.comparison import WindowCase
from qroute.rail.cqm import window_cqm
from qroute.rail.mip import solve_mip
from qroute.rail.qubo import decode


class AssignmentKind:
    """One-hot option choice per consignment with slack-encoded capacity rows."""

    name = "rail-assignment-v1"
    unit = "variables"  # options and slack bits: a window has no smaller natural size

    def size(self, problem: WindowCase) -> int:
        return problem.qubo.num_variables

    def num_variables(self, problem: WindowCase) -> int:
        return problem.qubo.num_variables

    def capacity(self, max_variables: int) -> int:
        return max_variables

    def key(self, problem: WindowCase) -> str:
        digest = hashlib.sha256()
        for cid in problem.consignments:
            digest.update(f"{cid}:{[round(o.cost, 2) for o in problem.options[cid]]};".encode())
        for row in problem.qubo.rows:
            digest.update(f"{row}:{problem.qubo.row_rhs[row]};".encode())
        return f"rail-window-{problem.qubo.num_variables}-{digest.hexdigest()[:16]}"

    def label(self, problem: WindowCase) -> str:
        return problem.qubo.label

    def to_cqm(self, problem: WindowCase) -> dimod.ConstrainedQuadraticModel:
        """The window as a CQM (qroute.rail.cqm): Leap's hybrid CQM solver takes it instead
        of the BQM; its samples hold the option bits, which `interpret` reads as they are."""
        return window_cqm(problem.qubo)

    def convert(self, problem: WindowCase) -> Conversion:
        wq = problem.qubo
        scale = max([*wq.one_hot_penalty.values(), *wq.row_penalty.values()], default=None)

        def exact() -> Mapping[Hashable, int]:
            sub = {c: problem.options[c] for c in problem.consignments}
            mip = solve_mip(sub, problem.residual, weights=problem.weights)
            return wq.sample_bits(mip.choice)

        return Conversion(wq.bqm, energy_scale=scale, exact=exact, exact_method="HiGHS MIP")

    def interpret(self, problem: WindowCase, sampleset: dimod.SampleSet) -> Interpretation:
        wq = problem.qubo
        got = decode(sampleset, wq, problem.options, problem.residual, problem.weights)
        return Interpretation(
            answer=(tuple(got.choice[c] for c in problem.consignments),),
            cost=got.cost,
            repaired=got.repaired,
            raw_feasible_rate=got.raw_feasible_rate,
            num_reads=got.num_samples,
            best_raw_energy=got.best_energy,
            details={
                "window_optimum": problem.optimum,
                "optimum_found": not got.repaired and abs(got.cost - problem.optimum) < 1e-6,
            },
        )


ASSIGNMENT_KIND = AssignmentKind()
