"""One route-selection step of the hybrid loop: cut a sub-selection from the pool, solve its
QUBO through a sampler, compare with the MIP of the same selection (the ablation), adopt.

A sub-selection is the set of customers of a few adjacent incumbent routes (the seed route
and its nearest routes by customer distance) and every pool column inside it; when more
columns fit than the sampler takes, the incumbent's columns are kept and the rest ranked by
LP reduced cost (a classical column choice, recorded). Sizes per sampler:
`SELECTION_MAX_VARIABLES`.

`selection_sampler` is the one place that turns a backend name into a dimod sampler and
its keyword arguments; with the unified backend interface it becomes a one-line lookup.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import dimod
import numpy as np

from qroute.hybrid.route_pool import RoutePool
from qroute.model.problem import Problem
from qroute.model.provenance import credited_class, provenance_class
from qroute.qubo.selection import (
    Selection,
    SelectionAnswer,
    SelectionQubo,
    annealing_parameters,
    convert,
    cover_duals,
    interpret,
)
from qroute.qubo.selection_exact import solve_selection

#: most BQM variables per selection sampler (QAOA: qubits; the QPU: what embeds reliably)
SELECTION_MAX_VARIABLES = {
    "dwave-sa": 150,
    "dwave-tabu": 150,
    "dwave-qpu": 150,
    "exact": 18,
    "qaoa-statevector": 12,
    "qaoa-sdks": 12,
    "braket-local": 12,
    "pennylane-lightning": 12,
    "qiskit-aer": 12,
}
MIP_TIME_LIMIT = 5.0
NEAREST_ROUTES = 8
# the classical recombination step (backend "mip"): a wide neighbourhood of the pool, solved by
# the time-bounded MIP alone (no QUBO; credited to classical_sampler, never to a QUBO)
RECOMBINE_MAX_COLUMNS = 4000
RECOMBINE_NEAREST_ROUTES = 14


def selection_sampler(
    backend: str, bqm: dimod.BinaryQuadraticModel, qubo: SelectionQubo, seed: int
) -> tuple[dimod.Sampler, dict[str, Any], str]:
    """(sampler, sample keyword arguments, device) of a backend for a selection BQM.

    The single seam to the backends: after the unified backend interface lands, this becomes
    ``backend_sampler(backend)`` from qroute.backends plus the kwargs built here.
    """
    if backend == "dwave-sa":
        from dwave.samplers import SimulatedAnnealingSampler

        return (
            SimulatedAnnealingSampler(),
            {**annealing_parameters(qubo), "seed": seed},
            "dwave-samplers SimulatedAnnealingSampler (CPU)",
        )
    if backend == "dwave-tabu":
        from dwave.samplers import TabuSampler

        return (
            TabuSampler(),
            {"num_reads": 20, "timeout": 20, "seed": seed},
            "dwave-samplers TabuSampler (CPU)",
        )
    if backend == "exact":
        return dimod.ExactSolver(), {}, "dimod ExactSolver (CPU)"
    from qroute.backends import get_backend

    chosen = get_backend(backend)
    sampler = chosen.sampler()  # type: ignore[attr-defined]
    if backend == "dwave-qpu":
        kwargs = chosen.sample_kwargs(None, _budget(seed))  # type: ignore[attr-defined]
    else:  # QAOA backends
        kwargs = {**chosen.sample_kwargs(None, _budget(seed)), "max_qubits": bqm.num_variables}  # type: ignore[attr-defined]
    return sampler, kwargs, str(getattr(chosen, "device", backend))


def _budget(seed: int) -> Any:
    from qroute.model.solver import Budget

    return Budget(seed=seed)


@dataclass(frozen=True)
class SelectionRecord:
    """One selection solve: the QUBO answer next to the MIP optimum of the same selection."""

    index: int
    name: str
    backend: str
    device: str
    provenance_class: str
    credited_class: str
    variables: int
    columns: int
    fixed_out: int
    customers: int
    incumbent_cost: float
    qubo_cost: float
    exact_cost: float
    exact_optimal: bool
    exact_gap: float | None
    qubo_seconds: float
    exact_seconds: float
    cost_usd: float
    raw_feasible_rate: float
    repaired: bool
    adopted: bool
    confirmed: bool  # the answer returned the incumbent cover
    decided_routes: int  # routes the adopted answer brought into the plan
    details: dict[str, Any] = field(default_factory=dict)
    step: str = "selection"  # "selection" (a sub-selection) | "recombine" (the wide MIP step)

    @property
    def gap_percent(self) -> float:
        return (
            100.0 * (self.qubo_cost - self.exact_cost) / self.exact_cost if self.exact_cost else 0.0
        )

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["gap_percent"] = self.gap_percent
        return out


def _route_distance(problem: Problem, a: list[int], b: list[int]) -> float:
    d = problem.distances
    return float(min(d[np.ix_(a, b)].min(), d[np.ix_(b, a)].min()))


def cut_selection(
    problem: Problem,
    pool: RoutePool,
    routes: list[list[int]],
    seed_route: int,
    max_variables: int,
    name: str,
    nearest: int = NEAREST_ROUTES,
) -> tuple[Selection, list[int]]:
    """The sub-selection around `routes[seed_route]` (and the indices of the incumbent routes
    it replaces): as many of its `nearest` nearest routes as keep the pool columns inside
    their customers within `max_variables` (at least the seed and its nearest), trimmed by
    reduced cost."""
    pool.add_incumbent(routes)
    seed = routes[seed_route]
    near = sorted(
        (i for i in range(len(routes)) if i != seed_route and routes[i]),
        key=lambda i: _route_distance(problem, seed, routes[i]),
    )[:nearest]
    order = [seed_route, *near]
    widest = {c for i in order for c in routes[i]}
    candidates = pool.within(widest)
    chosen_routes = order[:2]
    for p in range(2, len(order) + 1):
        customers = {c for i in order[:p] for c in routes[i]}
        count = sum(1 for col in candidates if col.customers <= customers)
        if count > max_variables and p > 2:
            break
        chosen_routes = order[:p]
    customers = {c for i in chosen_routes for c in routes[i]}
    columns = [col for col in candidates if col.customers <= customers]
    incumbent_keys = {frozenset(routes[i]) for i in chosen_routes}
    inc = [col for col in columns if col.customers in incumbent_keys]
    rest = [col for col in columns if col.customers not in incumbent_keys]
    # the incumbent's routes in the pool may hold a cheaper order of the same customers:
    # the selection's incumbent is the plan's own order, so its cost is the plan's
    routes_tuple = [tuple(routes[i]) for i in chosen_routes]
    costs_inc = [problem.route_cost(r) for r in routes_tuple]
    if len(rest) + len(inc) > max_variables:
        provisional = Selection(
            name,
            tuple(sorted(customers)),
            tuple(routes_tuple) + tuple(col.order for col in rest),
            np.asarray(costs_inc + [col.cost for col in rest]),
            tuple(range(len(routes_tuple))),
        )
        duals = cover_duals(provisional)
        index = {c: i for i, c in enumerate(provisional.customers)}
        reduced = [col.cost - sum(duals[index[c]] for c in col.customers) for col in rest]
        keep = np.argsort(reduced, kind="stable")[: max(max_variables - len(inc), 0)]
        rest = [rest[int(k)] for k in sorted(keep)]
    fleet = problem.num_vehicles
    max_routes = (
        None if fleet is None else fleet - (len([r for r in routes if r]) - len(chosen_routes))
    )
    load = float(problem.demands[sorted(customers)].sum())
    selection = Selection(
        name,
        tuple(sorted(customers)),
        tuple(routes_tuple) + tuple(col.order for col in rest),
        np.asarray(costs_inc + [col.cost for col in rest], dtype=np.float64),
        tuple(range(len(routes_tuple))),
        max_routes=max_routes,
        min_routes=max(1, math.ceil(load / problem.capacity - 1e-9)),
    )
    return selection, chosen_routes


def solve_selection_qubo(
    selection: Selection, backend: str, seed: int, *, fix: bool = True
) -> tuple[SelectionAnswer, SelectionQubo, str, float, float]:
    """(answer, qubo, device, seconds, usd) of one selection through `backend`'s sampler
    (`fix`: reduced-cost fixing before the BQM is built)."""
    start = time.perf_counter()
    qubo = convert(selection, fix=fix)
    sampler, kwargs, device = selection_sampler(backend, qubo.bqm, qubo, seed)
    sampleset = sampler.sample(qubo.bqm, **kwargs)
    sampleset.resolve()
    answer = interpret(sampleset, qubo)
    usd = float(sampleset.info.get("cost_usd", 0.0)) if hasattr(sampleset, "info") else 0.0
    return answer, qubo, device, time.perf_counter() - start, usd


def selection_step(
    problem: Problem,
    pool: RoutePool,
    routes: list[list[int]],
    seed_route: int,
    backend: str,
    seed: int,
    index: int,
    *,
    exact_step: bool = False,
    mip_seconds: float = MIP_TIME_LIMIT,
) -> tuple[list[list[int]] | None, SelectionRecord]:
    """Cut, solve (QUBO, or the MIP when `exact_step` — the ablated pipeline), compare with
    the MIP, and return the new plan when the answer is strictly cheaper (else None).
    Backend "mip" is the classical recombination step: a wide cut (RECOMBINE_*) solved by
    the MIP alone within `mip_seconds`."""
    name = f"{problem.name}/sel{index}"
    if backend == "mip":
        selection, replaced = cut_selection(
            problem,
            pool,
            routes,
            seed_route,
            RECOMBINE_MAX_COLUMNS,
            name,
            nearest=RECOMBINE_NEAREST_ROUTES,
        )
        exact_step = True
    else:
        max_variables = SELECTION_MAX_VARIABLES.get(backend, 150)
        selection, replaced = cut_selection(problem, pool, routes, seed_route, max_variables, name)
    exact = solve_selection(selection, mip_seconds)
    if exact_step:
        answer = SelectionAnswer(exact.chosen, exact.cost, True, 1.0, False, exact.cost, 1)
        device, seconds, usd, variables, fixed = (
            "scipy.optimize.milp (HiGHS)",
            exact.wall_seconds,
            0.0,
            selection.size,
            0,
        )
        used = "mip"
    else:
        answer, qubo, device, seconds, usd = solve_selection_qubo(selection, backend, seed)
        variables, fixed, used = qubo.num_variables, qubo.fixed_out, backend
    pclass = provenance_class(used, device)
    incumbent = selection.incumbent_cost()
    better = answer.cost < incumbent - 1e-6 * max(1.0, incumbent)
    confirmed = set(answer.chosen) == set(selection.incumbent)
    new_plan: list[list[int]] | None = None
    decided = 0
    if better:
        keep = [r for i, r in enumerate(routes) if i not in set(replaced)]
        fresh = [list(selection.routes[j]) for j in answer.chosen]
        decided = sum(1 for j in answer.chosen if j not in set(selection.incumbent))
        new_plan = [*keep, *fresh]
    record = SelectionRecord(
        index=index,
        name=name,
        backend=used,
        device=device,
        provenance_class=pclass,
        credited_class=credited_class(used, device, repaired=answer.repaired),
        variables=variables,
        columns=selection.size,
        fixed_out=fixed,
        customers=len(selection.customers),
        incumbent_cost=incumbent,
        qubo_cost=answer.cost,
        exact_cost=exact.cost,
        exact_optimal=exact.optimal,
        exact_gap=exact.gap,
        qubo_seconds=seconds,
        exact_seconds=exact.wall_seconds,
        cost_usd=usd,
        raw_feasible_rate=answer.raw_feasible_rate,
        repaired=answer.repaired,
        adopted=better,
        confirmed=confirmed,
        decided_routes=decided,
        details=dict(answer.details),
        step="recombine" if backend == "mip" else "selection",
    )
    return new_plan, record
