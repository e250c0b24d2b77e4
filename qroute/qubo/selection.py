"""The route-selection QUBO (set partitioning): choose pool routes covering every customer of
a selection exactly once, with at most `max_routes` routes, at minimum cost.

`convert` turns a `Selection` into a dimod BQM; `interpret` turns a SampleSet back into
chosen routes, with the share of raw samples that were feasible and an honest repair flag.

The QUBO, for columns j with costs c_j and customers i:

    E(x) = sum_j c'_j x_j + A [ sum_i (sum_{j ∋ i} x_j - 1)^2 + (sum_j x_j + s(y) - K)^2 ] + Λ

* Reduction 1, a Lagrangian shift: λ_i are the duals of the LP relaxation of the cover
  constraints (HiGHS through scipy.optimize.linprog), so the reduced costs
  c'_j = c_j - sum_{i ∈ j} λ_i are all ≥ 0 (dual feasibility; a uniform shift of λ
  repairs round-off), and Λ = sum_i λ_i. On every exact cover sum_j x_j sum_{i∈j} λ_i = Λ,
  so the energy of a feasible sample equals its route cost: the shift changes nothing among
  covers, but removes the large common part of the costs, so the penalty can be small.
* Penalty certificate: let UB' = c(x⁰) - Λ be the reduced cost of a known feasible cover x⁰
  (the incumbent's routes inside the selection). Every broken sample (a customer covered
  zero or twice, or more than K routes, for every slack value) has an integer violation of
  at least 1, and c' ≥ 0, so E(x) - Λ ≥ A. With A > UB' ≥ c(x*) - Λ, no broken sample can
  match the best cover: E(broken) > E(x*). `penalty_weight` returns A = (1 + PENALTY_MARGIN)
  UB' + a tiny floor (which keeps A > 0 when the incumbent is already LP-optimal).
* Reduction 2, reduced-cost fixing: a column with c'_j > UB' lies in no cover of energy
  ≤ E(x⁰) (all c' ≥ 0), hence in no optimum: it is dropped before the BQM is built.
* The vehicle count: slack bits y encode s ∈ [0, K - L] (bounded binary coefficients 1, 2,
  4, …, remainder), L = the fewest routes any cover of the selection needs by load. The
  term is only added when K < the number of customers (otherwise it cannot bind).

The SA schedule (`annealing_parameters`) is geometric in β between 1 / (HOT_TEMPERATURE·A)
and 1 / (COLD_TEMPERATURE·δ), δ the smallest positive reduced-cost difference scale, so the
hot end crosses every penalty wall and the cold end resolves the cost differences that
decide between covers (bench/selection.py measures it against the MIP).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from qroute.qubo.kind import Conversion, Interpretation

PENALTY_MARGIN = 0.1
HOT_TEMPERATURE = 4.0  # tuned with bench/selection.py: 0.5 -> 4 took 6 of 16 repaired cuts to 0
COLD_TEMPERATURE = 0.05
DEFAULT_READS = 100
DEFAULT_SWEEPS = 2000


@dataclass(frozen=True)
class Selection:
    """A set-partitioning problem over route columns.

    `customers`: the customers to cover; `routes`: each column's customers in visiting
    order; `costs`: each column's route cost; `max_routes`: the vehicle-count limit (None:
    unlimited); `incumbent`: indices of columns forming a known feasible cover;
    `min_routes`: a lower bound on the routes any cover needs (by load).
    """

    name: str
    customers: tuple[int, ...]
    routes: tuple[tuple[int, ...], ...]
    costs: NDArray[np.float64]
    incumbent: tuple[int, ...]
    max_routes: int | None = None
    min_routes: int = 1

    def __post_init__(self) -> None:
        if len(self.routes) != len(self.costs):
            raise ValueError(f"{len(self.costs)} costs for {len(self.routes)} routes")
        covered = sorted(c for j in self.incumbent for c in self.routes[j])
        if covered != sorted(self.customers):
            raise ValueError(f"{self.name}: the incumbent columns are not an exact cover")
        if self.max_routes is not None and len(self.incumbent) > self.max_routes:
            raise ValueError(f"{self.name}: the incumbent uses more than {self.max_routes} routes")

    @property
    def size(self) -> int:
        return len(self.routes)

    def incidence(self) -> NDArray[np.float64]:
        """M[i, j] = 1 when column j visits customer i (rows in `customers` order)."""
        row = {c: i for i, c in enumerate(self.customers)}
        m = np.zeros((len(self.customers), len(self.routes)))
        for j, route in enumerate(self.routes):
            for c in route:
                m[row[c], j] = 1.0
        return m

    def cost_of(self, chosen: Sequence[int]) -> float:
        return float(sum(self.costs[j] for j in chosen))

    def incumbent_cost(self) -> float:
        return self.cost_of(self.incumbent)

    def is_cover(self, chosen: Sequence[int]) -> bool:
        """Every customer exactly once, and no more than `max_routes` routes."""
        if self.max_routes is not None and len(chosen) > self.max_routes:
            return False
        covered = sorted(c for j in chosen for c in self.routes[j])
        return covered == sorted(self.customers)


@dataclass(frozen=True)
class SelectionQubo:
    """The BQM of a selection and what is needed to read its samples back."""

    selection: Selection
    bqm: dimod.BinaryQuadraticModel
    columns: tuple[int, ...]  # BQM variable v < len(columns) is selection column columns[v]
    slack: tuple[tuple[int, int], ...]  # (variable, coefficient) of the vehicle slack bits
    penalty: float
    duals: NDArray[np.float64]
    reduced_costs: NDArray[np.float64]  # of all selection columns
    upper_bound: float  # UB' = incumbent cost - Λ
    fixed_out: int  # columns dropped by reduced-cost fixing

    @property
    def num_variables(self) -> int:
        return int(self.bqm.num_variables)


@dataclass(frozen=True)
class SelectionAnswer:
    """Chosen columns (selection indices), their cost, and how honestly they were obtained."""

    chosen: tuple[int, ...]
    cost: float
    raw_feasible: bool  # the returned cover is a raw sample
    raw_feasible_rate: float  # share of samples that were feasible covers
    repaired: bool  # the answer is not a raw sample (repair or the incumbent)
    best_energy: float
    num_reads: int
    details: dict[str, Any] = field(default_factory=dict)


def cover_duals(selection: Selection) -> NDArray[np.float64]:
    """Duals λ of the LP relaxation of the exact-cover constraints (HiGHS), shifted so that
    every reduced cost c_j - sum_{i∈j} λ_i is ≥ 0."""
    m = selection.incidence()
    result = linprog(
        selection.costs,
        A_eq=m,
        b_eq=np.ones(m.shape[0]),
        bounds=(0, None),  # x ≤ 1 is implied; an explicit bound would absorb duals
        method="highs",
    )
    if result.status != 0 or result.eqlin is None:
        duals = np.zeros(m.shape[0])
    else:
        duals = np.asarray(result.eqlin.marginals, dtype=np.float64)
    reduced = selection.costs - duals @ m
    sizes = m.sum(axis=0)
    worst = float(np.max(-reduced / np.maximum(sizes, 1.0)))
    if worst > 0:
        duals = duals - worst
    return duals


def penalty_weight(upper_bound: float, costs: NDArray[np.float64]) -> float:
    """A > UB' (see the module docstring), with a margin and a floor that keeps A > 0."""
    floor = 1e-6 * max(float(np.max(costs)) if len(costs) else 1.0, 1.0)
    return (1.0 + PENALTY_MARGIN) * max(upper_bound, 0.0) + floor


def _slack_coefficients(span: int) -> list[int]:
    """Bounded binary encoding of 0..span: 1, 2, 4, …, and the remainder."""
    coefficients: list[int] = []
    total = 0
    power = 1
    while total + power <= span:
        coefficients.append(power)
        total += power
        power *= 2
    if span - total > 0:
        coefficients.append(span - total)
    return coefficients


def convert(selection: Selection, *, fix: bool = True) -> SelectionQubo:
    """The route-selection BQM (module docstring): Lagrangian shift, certified penalty,
    reduced-cost fixing (`fix`), the vehicle-count term when it can bind."""
    m = selection.incidence()
    duals = cover_duals(selection)
    reduced = np.maximum(selection.costs - duals @ m, 0.0)
    shift = float(duals.sum())
    upper = float(reduced[list(selection.incumbent)].sum())
    a = penalty_weight(upper, selection.costs)
    keep = [j for j in range(selection.size) if not fix or reduced[j] <= upper + 1e-9]
    keep_set = set(keep)
    keep += [j for j in selection.incumbent if j not in keep_set]  # always kept (c' ≤ UB')
    keep.sort()
    mk = m[:, keep]
    sizes = mk.sum(axis=0)
    n = len(keep)
    linear = reduced[keep] - a * sizes
    overlap = mk.T @ mk
    rows, cols = np.triu_indices(n, 1)
    weights = 2.0 * a * overlap[rows, cols]
    nonzero = weights != 0
    rows, cols, weights = rows[nonzero], cols[nonzero], weights[nonzero]
    offset = a * m.shape[0] + shift
    slack: list[tuple[int, int]] = []
    k = selection.max_routes
    if k is not None and k < len(selection.customers):
        span = max(k - selection.min_routes, 0)
        coefficients = _slack_coefficients(span)
        slack = [(n + b, coef) for b, coef in enumerate(coefficients)]
        # A (sum x + sum coef y - K)^2 with x, y binary
        terms = [(v, 1.0) for v in range(n)] + [(v, float(coef)) for v, coef in slack]
        lin_extra = np.zeros(n + len(slack))
        for v, w in terms:
            lin_extra[v] += a * (w * w - 2.0 * k * w)
        q_rows, q_cols, q_w = [], [], []
        for p in range(len(terms)):
            for q in range(p + 1, len(terms)):
                q_rows.append(terms[p][0])
                q_cols.append(terms[q][0])
                q_w.append(2.0 * a * terms[p][1] * terms[q][1])
        linear = np.concatenate([linear, np.zeros(len(slack))]) + lin_extra
        rows = np.concatenate([rows, np.asarray(q_rows, dtype=rows.dtype)])
        cols = np.concatenate([cols, np.asarray(q_cols, dtype=cols.dtype)])
        weights = np.concatenate([weights, np.asarray(q_w)])
        offset += a * k * k
    bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
        linear, (rows, cols, weights), offset, dimod.BINARY
    )
    return SelectionQubo(
        selection=selection,
        bqm=bqm,
        columns=tuple(keep),
        slack=tuple(slack),
        penalty=a,
        duals=duals,
        reduced_costs=reduced,
        upper_bound=upper,
        fixed_out=selection.size - len(keep),
    )


def annealing_parameters(qubo: SelectionQubo, *, reads: int = DEFAULT_READS) -> dict[str, Any]:
    """Keyword arguments for ``SimulatedAnnealingSampler().sample(qubo.bqm, **params)``
    (add ``seed``): a geometric β schedule from crossing a penalty wall to resolving the
    smallest reduced-cost differences between covers."""
    a = qubo.penalty
    positive = qubo.reduced_costs[qubo.reduced_costs > 1e-9]
    scale = float(np.min(positive)) if len(positive) else a
    scale = min(max(scale, 1e-3 * a), a)
    return {
        "num_reads": reads,
        "num_sweeps": DEFAULT_SWEEPS,
        "beta_range": [1.0 / (HOT_TEMPERATURE * a), 1.0 / (COLD_TEMPERATURE * scale)],
        "beta_schedule_type": "geometric",
    }


def _chosen(qubo: SelectionQubo, sample: NDArray[np.int8], order: list[int]) -> list[int]:
    return [qubo.columns[v] for v, pos in enumerate(order[: len(qubo.columns)]) if sample[pos]]


def interpret(sampleset: dimod.SampleSet, qubo: SelectionQubo) -> SelectionAnswer:
    """The cheapest raw sample that is a feasible cover; if none is, the lowest-energy
    sample repaired (over-covering columns dropped, cheapest first kept; missing customers
    covered by single-customer columns if the selection has them) when that is no worse
    than the incumbent, else the incumbent.
    A repaired answer says so (`repaired=True`) and is never credited to the sampler."""
    selection = qubo.selection
    variables = list(sampleset.variables)
    position = {v: p for p, v in enumerate(variables)}
    order = [position[v] for v in range(len(qubo.columns))]
    record = sampleset.record
    samples = np.asarray(record.sample)
    counts = np.asarray(record.num_occurrences, dtype=np.int64)
    reads = int(counts.sum())
    best: tuple[float, list[int]] | None = None
    feasible_reads = 0
    for row, count in zip(samples, counts, strict=True):
        chosen = _chosen(qubo, row, order)
        if selection.is_cover(chosen):
            feasible_reads += int(count)
            cost = selection.cost_of(chosen)
            if best is None or cost < best[0] - 1e-9:
                best = (cost, chosen)
    energies = np.asarray(record.energy, dtype=np.float64)
    best_energy = float(energies.min()) if len(energies) else math.inf
    rate = feasible_reads / reads if reads else 0.0
    if best is not None:
        chosen = sorted(best[1])
        return SelectionAnswer(tuple(chosen), best[0], True, rate, False, best_energy, reads)
    lowest = samples[int(np.argmin(energies))] if len(energies) else np.zeros(0, dtype=np.int8)
    repaired = repair(selection, _chosen(qubo, lowest, order) if len(lowest) else [])
    how = "repair"
    if repaired is None or selection.cost_of(repaired) > selection.incumbent_cost():
        repaired, how = list(selection.incumbent), "incumbent"
    chosen = repaired
    return SelectionAnswer(
        tuple(sorted(chosen)),
        selection.cost_of(chosen),
        False,
        rate,
        True,
        best_energy,
        reads,
        {"repair": how},
    )


def repair(selection: Selection, chosen: Sequence[int]) -> list[int] | None:
    """Make a broken choice a cover: keep columns cheapest per customer first while they do
    not overlap, then cover what is missing with single-customer columns; None if that is
    impossible or breaks the vehicle limit."""
    kept: list[int] = []
    covered: set[int] = set()
    for j in sorted(chosen, key=lambda j: selection.costs[j] / len(selection.routes[j])):
        if covered.isdisjoint(selection.routes[j]):
            kept.append(j)
            covered.update(selection.routes[j])
    singles = {
        selection.routes[j][0]: j for j in range(selection.size) if len(selection.routes[j]) == 1
    }
    for c in selection.customers:
        if c not in covered:
            if c not in singles:
                return None
            kept.append(singles[c])
    return kept if selection.is_cover(kept) else None


class SelectionKind:
    """Route selection as a QUBO kind (qroute.qubo.kind.QuboKind), so any backend solves it
    through ``qroute.backends.solve_qubo`` with no new backend code.

    `fix`: apply reduced-cost fixing in `convert` (the hybrid's selection step does; the
    conformance suite keeps every column so sizes are predictable). The answer is one tuple
    of chosen selection columns; a repaired answer (repair or the incumbent) says so.
    """

    unit = "columns"

    def __init__(self, fix: bool = True) -> None:
        self.fix = fix
        self.name = "set-partition-v1" if fix else "set-partition-v1-unfixed"

    def size(self, problem: Selection) -> int:
        return problem.size

    def num_variables(self, problem: Selection) -> int:
        if self.fix:  # reduced-cost fixing needs the LP duals: build it
            return convert(problem, fix=True).num_variables
        k = problem.max_routes
        if k is None or k >= len(problem.customers):
            return problem.size  # the vehicle term cannot bind: no slack bits
        return problem.size + len(_slack_coefficients(max(k - problem.min_routes, 0)))

    def capacity(self, max_variables: int) -> int:
        return max_variables  # one variable per column, before any vehicle slack bits

    def key(self, problem: Selection) -> str:
        digest = hashlib.sha256()
        for route, cost in zip(problem.routes, problem.costs, strict=True):
            digest.update(f"{route}:{float(cost)!r};".encode())
        digest.update(f"{problem.max_routes}:{problem.min_routes}:{problem.incumbent}".encode())
        return f"selection-{problem.size}-{digest.hexdigest()[:16]}"

    def label(self, problem: Selection) -> str:
        return problem.name

    def convert(self, problem: Selection) -> Conversion:
        qubo = convert(problem, fix=self.fix)
        return Conversion(qubo.bqm, energy_scale=qubo.penalty)

    def interpret(self, problem: Selection, sampleset: dimod.SampleSet) -> Interpretation:
        answer = interpret(sampleset, convert(problem, fix=self.fix))
        return Interpretation(
            answer=(answer.chosen,),
            cost=answer.cost,
            repaired=answer.repaired,
            raw_feasible_rate=answer.raw_feasible_rate,
            num_reads=answer.num_reads,
            best_raw_energy=answer.best_energy,
            details=dict(answer.details),
        )


SELECTION_KIND = SelectionKind()
