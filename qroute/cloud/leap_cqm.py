"""Constrained models for Leap's hybrid CQM solver.

Route selection (``qroute.qubo.selection``) is a set partition: the CQM keeps its cover rule
as constraints instead of penalties: minimise the chosen columns' cost subject to, for every
customer, exactly one chosen column visiting it (one-hot), and at most ``max_routes``
columns. Variables are the selection BQM's own (``0..n-1`` for the kept columns), so the
kind's ``interpret`` reads the answer unchanged.

A kind of a higher layer plugs in its own formulation without this layer importing it: a
kind with a ``to_cqm(problem)`` method (``CQMKind``; e.g. the rail assignment windows,
``qroute.rail.kind``) is sent as that CQM, whose sample columns its ``interpret`` reads.
Other kinds go as their BQM, unconstrained.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import dimod

from qroute.qubo.kind import QuboKind
from qroute.qubo.selection import SelectionKind, convert

__all__ = ["CQMKind", "kind_cqm", "selection_cqm"]


@runtime_checkable
class CQMKind(Protocol):
    """A QUBO kind with its own constrained model: ``to_cqm(problem)`` returns the CQM sent
    to Leap; its variables are ones the kind's ``interpret`` reads from the answer."""

    def to_cqm(self, problem: Any) -> dimod.ConstrainedQuadraticModel: ...


def selection_cqm(kind: SelectionKind, problem: Any) -> dimod.ConstrainedQuadraticModel:
    """The route selection as a CQM with one-hot cover constraints (module docstring)."""
    qubo = convert(problem, fix=kind.fix)
    selection = qubo.selection
    cqm = dimod.ConstrainedQuadraticModel()
    objective = dimod.BinaryQuadraticModel(
        {v: float(selection.costs[j]) for v, j in enumerate(qubo.columns)}, {}, 0.0, dimod.BINARY
    )
    cqm.set_objective(objective)
    for customer in selection.customers:
        visiting = [v for v, j in enumerate(qubo.columns) if customer in selection.routes[j]]
        # exactly one column visits the customer (one-hot; not ``add_discrete``, which needs
        # disjoint variables, and routes share customers' columns)
        cqm.add_constraint_from_iterable(
            [(v, 1.0) for v in visiting], "==", 1.0, label=f"cover-{customer}"
        )
    if selection.max_routes is not None and selection.max_routes < len(selection.customers):
        routes = [(v, 1.0) for v in range(len(qubo.columns))]
        cqm.add_constraint_from_iterable(routes, "<=", selection.max_routes, label="vehicles")
    return cqm


def kind_cqm(kind: QuboKind, problem: Any) -> dimod.ConstrainedQuadraticModel:
    """The CQM sent for ``problem`` of ``kind``."""
    if isinstance(kind, SelectionKind):
        return selection_cqm(kind, problem)
    if isinstance(kind, CQMKind):
        return kind.to_cqm(problem)
    return dimod.ConstrainedQuadraticModel.from_bqm(kind.convert(problem).bqm)
