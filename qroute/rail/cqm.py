"""The rail window as a constrained quadratic model (Leap's hybrid CQM solver).

The same window as the assignment QUBO (qroute.rail.qubo), with its rules kept as
constraints instead of penalties, and no slack bits:

    minimise   Σ_c Σ_k cost_ck x_ck
    subject to Σ_k x_ck == 1                      for every consignment c   (one-hot)
               Σ w'_ck x_ck <= C'                 for every capacity row    (kg or slots)

Variables are the BQM's option variables ``("x", c, k)`` (the options that fit alone), rows
are the BQM's rows with the same gcd-reduced weights and allowances, so a CQM sample decodes
with ``qroute.rail.qubo.decode`` unchanged (it reads the option bits only, checks every
sample and repairs honestly when none is feasible). For a feasible sample the objective is
the window's cost.
"""

from __future__ import annotations

import dimod

from qroute.rail.qubo import WindowQubo

__all__ = ["window_cqm"]


def window_cqm(wq: WindowQubo) -> dimod.ConstrainedQuadraticModel:
    """The CQM of the window behind ``wq`` (module docstring)."""
    objective = dimod.BinaryQuadraticModel(dict(wq.option_cost), {}, wq.offset_cost, "BINARY")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(objective)
    for cid in wq.consignments:
        cqm.add_constraint_from_iterable(
            [(("x", cid, k), 1) for k in wq.allowed[cid]], "==", 1, label=f"one-hot {cid}"
        )
    for row in wq.rows:
        seg, resource = row
        cqm.add_constraint_from_iterable(
            list(wq.row_terms[row]), "<=", wq.row_rhs[row], label=f"capacity {resource} {seg}"
        )
    return cqm
