"""QUBO kinds the conformance suite runs on every backend, each with what a test needs.

A new kind is added by appending a ``KindCase`` to ``KIND_CASES``: a small instance that fits
every backend (at most 16 variables, the local QAOA limit), an instance too large for a
given variable limit, the optimum, and a validity check of a decoded answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np

from qroute.model.subproblem import Subproblem, random_route_tsp
from qroute.qubo.held_karp import held_karp
from qroute.qubo.kind import Conversion, Interpretation, QuboKind
from qroute.qubo.selection import Selection, SelectionKind
from qroute.qubo.tsp import TSP_KIND


@dataclass(frozen=True)
class Choice:
    """Pick exactly one of n options; option i costs costs[i]."""

    costs: tuple[float, ...]
    name: str = "choice"


class ChooseOneKind:
    """A one-hot choice as a QUBO kind: Σ c_i x_i + A (Σ x_i − 1)², A = 2 · max c + 1.

    No exact solver of its own (the exact backend enumerates it); no repair beyond taking
    the cheapest option when no sample is one-hot (flagged as repaired).
    """

    name = "test-choose-one-v1"
    unit = "options"

    def size(self, problem: Choice) -> int:
        return len(problem.costs)

    def num_variables(self, problem: Choice) -> int:
        return len(problem.costs)

    def capacity(self, max_variables: int) -> int:
        return max_variables

    def key(self, problem: Choice) -> str:
        return f"choice-{','.join(f'{c:g}' for c in problem.costs)}"

    def label(self, problem: Choice) -> str:
        return problem.name

    def convert(self, problem: Choice) -> Conversion:
        a = 2.0 * max(problem.costs) + 1.0
        n = len(problem.costs)
        linear = {i: c - a for i, c in enumerate(problem.costs)}
        quadratic = {(i, j): 2.0 * a for i in range(n) for j in range(i + 1, n)}
        return Conversion(dimod.BinaryQuadraticModel(linear, quadratic, a, dimod.BINARY), a)

    def interpret(self, problem: Choice, sampleset: dimod.SampleSet) -> Interpretation:
        n = len(problem.costs)
        columns = [sampleset.variables.index(i) for i in range(n)]
        x = np.asarray(sampleset.record.sample)[:, columns]
        counts = np.asarray(sampleset.record.num_occurrences)
        valid = x.sum(axis=1) == 1
        if valid.any():
            picks = np.argmax(x[valid], axis=1)
            best = int(min(picks, key=lambda i: problem.costs[int(i)]))
        else:
            best = int(np.argmin(problem.costs))
        return Interpretation(
            answer=((best,),),
            cost=float(problem.costs[best]),
            repaired=not bool(valid.any()),
            raw_feasible_rate=float(counts[valid].sum() / counts.sum()),
            num_reads=int(counts.sum()),
            best_raw_energy=float(np.min(sampleset.record.energy)),
        )


CHOOSE_ONE = ChooseOneKind()


@dataclass(frozen=True)
class KindCase:
    kind: QuboKind
    small: Callable[[int], Any]  # seed -> an instance of at most 16 variables
    path_like: Callable[[int], Any]  # seed -> a second shape of instance
    oversize: Callable[[int], Any]  # variable limit -> an instance just too large
    optimum: Callable[[Any], float]
    valid: Callable[[Any, tuple[tuple[int, ...], ...]], bool]
    cost: Callable[[Any, tuple[tuple[int, ...], ...]], float]


def _path_window(seed: int) -> Subproblem:
    base = random_route_tsp(4, seed)
    return Subproblem("path", base.distances, base.nodes, f"path-k3-s{seed}")


def _choice(n: int, seed: int) -> Choice:
    rng = np.random.default_rng(seed)
    return Choice(tuple(float(c) for c in np.round(rng.random(n) * 10 + 1, 2)), f"choice-{n}")


SELECTION = SelectionKind(fix=False)  # every column kept: sizes are exactly the columns


def _selection(columns: int, seed: int) -> Selection:
    """Customers 1..n covered by single-customer columns (the incumbent) plus random
    multi-customer columns, `columns` in all, priced below the sum of their singletons."""
    rng = np.random.default_rng(seed)
    n = 3 if columns < 8 else max(3, columns // 2)
    customers = tuple(range(1, n + 1))
    routes: list[tuple[int, ...]] = [(c,) for c in customers]
    seen = set(routes)
    while len(routes) < columns:
        size = int(rng.integers(2, min(n, 4) + 1))
        route = tuple(sorted(int(c) for c in rng.choice(customers, size, replace=False)))
        if route not in seen:
            seen.add(route)
            routes.append(route)
    single = np.round(rng.random(n) * 10 + 5, 2)
    costs = [float(single[r[0] - 1]) if len(r) == 1 else 0.0 for r in routes]
    for j, route in enumerate(routes):
        if len(route) > 1:
            costs[j] = float(np.round(sum(single[c - 1] for c in route) * rng.uniform(0.6, 1.1), 2))
    return Selection(
        f"selection-{columns}-s{seed}",
        customers,
        tuple(routes),
        np.asarray(costs),
        tuple(range(n)),
    )


def _singletons(n: int) -> Selection:
    """n customers, each its own column: n variables, built cheaply for any n."""
    customers = tuple(range(1, n + 1))
    return Selection(
        f"singletons-{n}", customers, tuple((c,) for c in customers), np.ones(n), tuple(range(n))
    )


def _best_cover(selection: Selection) -> float:
    import itertools

    return min(
        selection.cost_of(chosen)
        for r in range(1, selection.size + 1)
        for chosen in itertools.combinations(range(selection.size), r)
        if selection.is_cover(chosen)
    )


KIND_CASES: dict[str, KindCase] = {
    "tsp": KindCase(
        kind=TSP_KIND,
        small=lambda seed: random_route_tsp(3, seed),
        path_like=_path_window,
        oversize=lambda limit: random_route_tsp(TSP_KIND.capacity(limit) + 1, 0),
        optimum=lambda sub: held_karp(sub)[1],
        valid=lambda sub, answer: len(answer) == 1 and sub.is_valid_order(answer[0]),
        cost=lambda sub, answer: sub.cost(answer[0]),
    ),
    "choose-one": KindCase(
        kind=CHOOSE_ONE,
        small=lambda seed: _choice(5, seed),
        path_like=lambda seed: _choice(3, seed + 100),
        oversize=lambda limit: _choice(limit + 1, 0),
        optimum=lambda choice: min(choice.costs),
        valid=lambda choice, answer: len(answer) == 1 and 0 <= answer[0][0] < len(choice.costs),
        cost=lambda choice, answer: choice.costs[answer[0][0]],
    ),
    "selection": KindCase(
        kind=SELECTION,
        small=lambda seed: _selection(7, seed),
        path_like=lambda seed: _selection(6, seed + 100),
        oversize=lambda limit: _singletons(limit + 1),
        optimum=_best_cover,
        valid=lambda sel, answer: len(answer) == 1 and sel.is_cover(answer[0]),
        cost=lambda sel, answer: sel.cost_of(answer[0]),
    ),
}
