"""Position-encoded TSP QUBOs for subproblems, and decoding samples back to tours.

Variables ``(i, p)``: free stop ``i`` (1..k) is visited at position ``p`` (0..k-1). The depot
(route) or the fixed first/last stops (path window) are not variables, so k stops need at most
k² binary variables (k² − ⌊k/2⌋ for a symmetric route, see 3.).

    E(x) = C + Σ arcs of the encoded walk in reduced distances R
             + A · Σ_i (Σ_p x_ip − 1)² + A · Σ_p (Σ_i x_ip − 1)²

Every valid tour's energy equals its length ``sub.cost(order)`` exactly (C is in the offset).
The levers below were tuned with dwave-samplers' ``SimulatedAnnealingSampler``; the numbers
(K = 12 random route-TSPs, seeds 0..19, mean gap to Held-Karp, ``bench/subproblems_sa_tuning.py``)
are single runs on a shared 2-core machine. What the annealer returns is decoded as is:
plain SA, no classical local search on tours and no QUBO post-processing (no steepest
descent); ``repair`` only runs when no sample is a valid tour, and says so.

1. **Reduced distances** (``reduced_distances``, default ``"assignment"``). Subtracting a
   potential u_i from every arc leaving node i and v_j from every arc entering node j shifts
   every tour by the same constant C = Σu + Σv (a tour leaves each source and enters each sink
   once), so no tour's relative cost changes, but the landscape does. We take (u, v) from the
   optimal dual of the assignment relaxation (Hungarian algorithm): R ≥ 0 on every arc, C is the
   assignment lower bound, and for a symmetric route the dual is averaged with its transpose so
   that R stays symmetric. A uniform shift (u_i = c for all nodes) is the special case that
   the issue suggested; pushing it below the shortest arc makes arcs negative, which helped SA
   too but voids the exactness proof below (extra set bits would earn length), so arcs stay
   ≥ 0. Ablation, certified penalty (2.) with no / row-column / assignment reduction:
   12.7 / 0.25 / 0.01 % at K = 12.

2. **Penalty A** (``penalty_weight``). The default is *certified*: provably above the least
   penalty for which every broken assignment costs more than the optimal tour.
   Proof sketch (R ≥ 0): take a maximum matching y of the set bits of a broken x; h = k − |y|
   rows and as many columns are empty in y. By König, Σ_i |r_i − 1| + Σ_p |c_p − 1| ≥ 2h, so
   x pays at least the 2hA that y pays, and dropping bits never adds length: E(x) ≥ E(y), with
   equality impossible when h = 0 (then x has extra bits). So it suffices that every partial
   assignment with h ≥ 1 holes has L(y) + 2hA > opt, i.e. A > A* = max_h (opt − L_min(h)) / 2h.
   Two cheap sufficient bounds, both in reduced distances:
     * A > B/2, B = ``insertion_bound``: the most one stop can add when put into one hole
       (filling holes one by one lowers the energy each time);
     * A > max((UB − LB₁)/2, UB/4), UB = a tour length (``tour_upper_bound``: the given order,
       nearest-neighbour and insertion *constructions*, a scalar only, never returned or shown
       to the annealer) and LB₁ = ``one_hole_lower_bound`` ≤ L_min(1), a Held-Karp Lagrangian
       (degree-penalised spanning tree) bound; for h ≥ 2, opt − L_min(h) ≤ UB.
   ``certified_penalty`` is the smaller of the two; A = ``CERTIFIED_MARGIN`` (1.2) times it.
   ``penalty_threshold`` computes A* itself by dynamic programming (as costly as an exact
   solve: a diagnostic for tests and the benchmark, never used by the rule). Measured
   certified_penalty / A* (K = 4..12, seeds 0..19): route median 1.00, 90th percentile 1.19,
   max 1.58; path window median 1.04, 90th percentile 1.54, max 2.79.
   The margin trades a little landscape for raw feasibility: margin 1.02 gave 0.07 % gap and
   ~0.3 raw feasibility, 1.2 gives 0.01 % and ~0.5. The plain rule A = f · B (``factor=f``)
   is kept for comparison: exact for f > 1/2, where it leaves SA at 6 % gap at K = 12 (11 %
   without reduction; 16 % with dwave-samplers' default β range and 100 reads as well).

3. **Symmetry breaking** (``excluded_variables``, ``break_symmetry``): for a route with a
   symmetric matrix a tour and its reverse cost the same, so stop 1 is kept to positions
   0..⌊(k−1)/2⌋ (every tour or its reverse qualifies) and the other ⌊k/2⌋ variables of stop 1
   are left out. Exact; fewer variables (qubits); its effect on SA quality was within noise.
   Not applied to path windows or asymmetric matrices (no such symmetry).

4. **Annealing schedule** (``annealing_parameters(sub, time_budget)``). dwave-samplers' default
   β range comes from the largest and smallest biases, which for real-valued distances starts
   far too hot and ends at a temperature set by the shortest arc (0.37 % at K = 12 with it);
   we use a geometric schedule from T = A/2 (penalty barriers crossable) to T = A/100, 1000
   sweeps, and as many reads (20..200) as the time budget pays for. Also tried: at equal
   work, more reads beat more sweeps (100 x 1000 ≈ 200 x 500 > 50 x 4000 > 20 x 10000;
   measured with an earlier, non-certified penalty); a linear schedule, Gibbs acceptance and
   randomised sweep order were worse; T_hot from A/3 to 2A and T_cold from A/200 to A/50 were
   within noise of each other. Result with the defaults (0.2 s budget): mean gap ≤ 0.21 % for
   K = 4..12, route and path window, 40 seeds each; beyond the target it degrades (K = 14 / 16,
   5 seeds: 0.9 / 3.4 % route), where a larger time budget is needed.

5. **Time windows** (VRPTW; ``window_encoded``): encoded, in part, as arc penalties. An arc
   i -> j that no feasible schedule can use (``Subproblem.blocked_arcs``: the earliest start
   at i plus its service and the arc is after j's due time) costs ``window_arc_penalty``
   extra, more than any tour's whole length, so every tour that avoids blocked arcs has a
   lower energy than every tour that uses one; the certified penalty (2.) and the exact
   counterpart are then those of the penalised matrix. This is a necessary condition, not
   the full schedule: ``decode`` keeps, among the valid sampled tours, the cheapest one that
   also meets every window (``Subproblem.schedule_feasible``), and falls back to the cheapest
   valid tour otherwise; such an answer is flagged ``window_feasible: false`` and the pipeline
   filters it out at stitching (never repaired into a feasible one and credited).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from qroute.model.subproblem import Subproblem
from qroute.qubo.held_karp import held_karp
from qroute.qubo.kind import Conversion, Interpretation

CERTIFIED_MARGIN = 1.2
"""The default penalty is this times the least penalty the rule can prove exact (> 1 keeps
it exact; 1.2 rather than 1.02 buys raw feasibility, about 0.3 -> 0.5, for no measurable
gap, see the module docstring)."""
DEFAULT_PENALTY_FACTOR: float | None = None
"""None: the certified rule; a number f: A = f · insertion_bound (exact for f > 1/2)."""

# Annealing schedule: geometric in β, temperatures in units of the penalty A.
HOT_TEMPERATURE = 0.5
COLD_TEMPERATURE = 0.01
DEFAULT_SWEEPS = 1000
MIN_SWEEPS = 100
MIN_READS = 20
MAX_READS = 200
DEFAULT_TIME_BUDGET = 0.2
"""Seconds of SA (one core) that ``annealing_parameters`` sizes reads x sweeps for."""
SA_SECONDS_PER_UPDATE = 6.5e-9
"""dwave-samplers SA, one spin update, measured on the reference machine (k = 4..16)."""

Variable = tuple[int, int]


def relevant_arcs(sub: Subproblem) -> NDArray[np.bool_]:
    """mask[i, j]: arc i -> j can appear in some tour of the subproblem."""
    k = sub.size
    m = sub.distances.shape[0]
    mask = np.zeros((m, m), dtype=bool)
    sources = [0, *range(1, k + 1)]
    sinks = [*range(1, k + 1), sub.end]
    for i in sources:
        for j in sinks:
            if i != j:
                mask[i, j] = True
    if sub.kind == "path":
        mask[0, sub.end] = False  # k >= 1, so the fixed ends are never adjacent
    return mask


def _sources_sinks(sub: Subproblem) -> tuple[list[int], list[int]]:
    k = sub.size
    return [0, *range(1, k + 1)], [*range(1, k + 1), sub.end]


def assignment_potentials(sub: Subproblem) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Optimal dual (u, v) of the assignment relaxation: every tour leaves each source once and
    enters each sink once, d_ij − u_i − v_j ≥ 0 on relevant arcs, Σu + Σv maximal (Hungarian
    algorithm with potentials, O(k³))."""
    sources, sinks = _sources_sinks(sub)
    mask = relevant_arcs(sub)
    n = len(sources)
    big = float(np.max(sub.distances)) * (n + 1) + 1.0
    cost = np.where(mask[np.ix_(sources, sinks)], sub.distances[np.ix_(sources, sinks)], big)
    u = np.zeros(n + 1)
    v = np.zeros(n + 1)
    match = np.zeros(n + 1, dtype=np.int64)  # match[j] = row assigned to column j (1-based)
    way = np.zeros(n + 1, dtype=np.int64)
    for i in range(1, n + 1):
        match[0] = i
        j0 = 0
        minv = np.full(n + 1, np.inf)
        used = np.zeros(n + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = match[j0]
            cur = cost[i0 - 1, :] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (cur < minv[1:])
            minv[1:] = np.where(better, cur, minv[1:])
            way[1:] = np.where(better, j0, way[1:])
            candidates = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(candidates)) + 1
            delta = candidates[j1 - 1]
            u[match[used]] += delta
            v[used] -= delta
            minv[1:] = np.where(free, minv[1:] - delta, minv[1:])
            j0 = j1
            if match[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    m = sub.distances.shape[0]
    out_pot = np.zeros(m)
    in_pot = np.zeros(m)
    out_pot[sources] = u[1:]
    in_pot[sinks] = v[1:]
    if sub.kind == "route" and symmetric(sub):
        # (v, u) is optimal too (transpose), so their average is: symmetric reduced distances
        out_pot = in_pot = (out_pot + in_pot) / 2.0
    return out_pot, in_pot


REDUCTIONS = ("assignment", "rows", "none")


def reduced_distances(
    sub: Subproblem, reduction: str = "assignment"
) -> tuple[NDArray[np.float64], float]:
    """Reduced distances R (≥ 0 on relevant arcs, 0 elsewhere) and the constant C with
    cost(order) == C + length of the same order in R, for every order.

    reduction: "assignment" (optimal assignment dual: largest C with R ≥ 0), "rows" (row then
    column minima, Little's reduction) or "none" (R = d, C = 0)."""
    mask = relevant_arcs(sub)
    if reduction == "none":
        return np.where(mask, sub.distances, 0.0), 0.0
    if reduction == "assignment":
        out_pot, in_pot = assignment_potentials(sub)
    elif reduction == "rows":
        d = np.where(mask, sub.distances, np.inf)
        out_pot = np.min(d, axis=1)
        out_pot = np.where(np.isfinite(out_pot), out_pot, 0.0)
        in_pot = np.min(d - out_pot[:, None], axis=0)
        in_pot = np.where(np.isfinite(in_pot), in_pot, 0.0)
    else:
        raise ValueError(f"unknown reduction {reduction!r}; one of {REDUCTIONS}")
    reduced = sub.distances - out_pot[:, None] - in_pot[None, :]
    reduced = np.where(mask, np.maximum(reduced, 0.0), 0.0)
    # clipping round-off below 0 can only raise R, so C stays exact for the unclipped matrix;
    # recompute C from one tour so that cost == C + R-length holds to round-off
    order = list(range(1, sub.size + 1))
    constant = sub.cost(order) - _walk_length(reduced, order, sub.end)
    return reduced, float(constant)


def _walk_length(d: NDArray[np.float64], order: list[int], end: int) -> float:
    path = np.fromiter((0, *order, end), dtype=np.int64)
    return float(d[path[:-1], path[1:]].sum())


def insertion_bound(sub: Subproblem, reduction: str = "assignment") -> float:
    """B: the most one stop placed into one empty position can add to the walk's length."""
    k = sub.size
    d, _ = reduced_distances(sub, reduction)
    worst = 0.0
    for i in range(1, k + 1):
        others = [j for j in range(1, k + 1) if j != i]
        inner_in = max((float(d[j, i]) for j in others), default=0.0)
        inner_out = max((float(d[i, j]) for j in others), default=0.0)
        for p in range(k):
            arc_in = float(d[0, i]) if p == 0 else inner_in
            arc_out = float(d[i, sub.end]) if p == k - 1 else inner_out
            worst = max(worst, arc_in + arc_out)
    return worst


def tour_upper_bound(sub: Subproblem) -> float:
    """Length of some valid tour, an upper bound on the optimum: the best of the given order,
    the nearest-neighbour tours and the cheapest-insertion tour (construction heuristics only,
    O(k³), no improvement steps). It is a scalar in the penalty rule; the tours themselves
    are never returned or given to the annealer."""
    k = sub.size
    d = sub.distances
    best = sub.cost(list(range(1, k + 1)))
    starts = range(k + 1) if sub.kind == "route" else range(1)
    for start in starts:
        left = set(range(k + 1)) - {start} if sub.kind == "route" else set(range(1, k + 1))
        walk = [start]
        while left:
            nxt = min(left, key=lambda j: (d[walk[-1], j], j))
            walk.append(nxt)
            left.remove(nxt)
        if sub.kind == "route":
            z = walk.index(0)
            order = walk[z + 1 :] + walk[:z]
            best = min(best, sub.cost(order), sub.cost(order[::-1]))
        else:
            best = min(best, sub.cost(walk[1:]))
    for rule in ("cheapest", "farthest", "nearest"):
        best = min(best, sub.cost(_insertion_tour(sub, rule)))
    return best


def _insertion_tour(sub: Subproblem, rule: str) -> list[int]:
    """Insertion construction into the walk 0 -> end: pick the next stop by `rule` (cheapest
    insertion; farthest / nearest from the walk), insert it where it adds least."""
    d = sub.distances
    walk = [0, sub.end]
    left = set(range(1, sub.size + 1))
    while left:
        if rule == "cheapest":
            stop = min(left, key=lambda j: (min(_added(d, walk, j)), j))
        else:
            gap = {j: min(min(d[v, j], d[j, v]) for v in walk) for j in left}
            pick = max if rule == "farthest" else min
            stop = pick(sorted(left), key=lambda j: gap[j])
        added = _added(d, walk, stop)
        walk.insert(int(np.argmin(added)) + 1, stop)
        left.remove(stop)
    return walk[1:-1]


def _added(d: NDArray[np.float64], walk: list[int], j: int) -> list[float]:
    return [
        d[walk[t], j] + d[j, walk[t + 1]] - d[walk[t], walk[t + 1]] for t in range(len(walk) - 1)
    ]


def one_hole_lower_bound(
    sub: Subproblem,
    reduction: str = "assignment",
    iterations: int = 30,
    target: float | None = None,
) -> float:
    """A lower bound on L_min(1), the shortest walk of a partial assignment with one stop and
    one position left empty (in the reduced distances).

    With stop i missing and position p empty, the arcs present form, for a route, one
    Hamiltonian path over the other k nodes (the depot included); for a path window, two
    paths, one from the fixed first stop and one into the fixed last stop. Either is a
    spanning tree with degrees ≤ 2 (the path window's after joining its two fixed ends by a
    free edge), so the Held-Karp Lagrangian bound max_λ≥0 [MST with edge weights
    w_uv + λ_u + λ_v] − Σ_v cap_v λ_v applies, w_uv = min(R_uv, R_vu); we take the least
    bound over the missing stop i after a few subgradient steps (any λ ≥ 0 gives a valid
    bound). target: an upper estimate of L_min(1) for the step size (default: Σ of all arcs).
    """
    k = sub.size
    if k < 2:
        return 0.0
    reduced, _ = reduced_distances(sub, reduction)
    w = np.where(relevant_arcs(sub), reduced, np.inf)
    w = np.minimum(w, w.T)
    n = w.shape[0]
    missing = np.arange(1, k + 1)
    batch = np.arange(k)
    weights = np.repeat(w[None, :, :], k, axis=0)
    weights[batch, missing, :] = np.inf
    weights[batch, :, missing] = np.inf
    cap = np.full(n, 2.0)
    if sub.kind == "path":
        cap[[0, sub.end]] = 1.0
    finite = w[np.isfinite(w)]
    goal = float(finite.sum()) if target is None else float(target)
    lam = np.zeros((k, n))
    best = np.zeros(k)
    scale = 1.0
    for _ in range(iterations):
        lagrangian = weights + lam[:, :, None] + lam[:, None, :]
        if sub.kind == "path":
            lagrangian[:, 0, sub.end] = lagrangian[:, sub.end, 0] = -np.inf  # forced link
        value, degree = _batched_prim(lagrangian, missing)
        if sub.kind == "path":
            degree[:, [0, sub.end]] -= 1.0
        bound = value - lam @ cap
        best = np.maximum(best, bound)
        slack = degree - cap[None, :]
        slack[batch, missing] = 0.0
        slack = np.where((lam <= 0.0) & (slack < 0.0), 0.0, slack)
        norm = np.einsum("bn,bn->b", slack, slack)
        step = np.where(
            norm > 0, scale * np.maximum(goal - bound, 0.0) / np.maximum(norm, 1e-12), 0
        )
        lam = np.maximum(0.0, lam + step[:, None] * slack)
        scale *= 0.85
    return float(max(np.min(best), 0.0))


def _batched_prim(
    weights: NDArray[np.float64], skip: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Minimum spanning trees of B dense symmetric matrices over all nodes but skip[b] (inf: no
    edge; -inf: forced edge, counted as 0), grown from node 0: weights and node degrees."""
    count, n, _ = weights.shape
    rows = np.arange(count)
    in_tree = np.zeros((count, n), dtype=bool)
    in_tree[:, 0] = True
    in_tree[rows, skip] = True
    dist = weights[:, 0, :].copy()
    parent = np.zeros((count, n), dtype=np.int64)
    total = np.zeros(count)
    degree = np.zeros((count, n))
    for _ in range(n - 2):
        candidates = np.where(in_tree, np.inf, dist)
        v = np.argmin(candidates, axis=1)
        cost = candidates[rows, v]
        total += np.where(np.isneginf(cost), 0.0, cost)
        degree[rows, v] += 1.0
        degree[rows, parent[rows, v]] += 1.0
        in_tree[rows, v] = True
        row = weights[rows, v, :]
        closer = row < dist
        dist = np.where(closer, row, dist)
        parent = np.where(closer, v[:, None], parent)
    return total, degree


_CERTIFIED_CACHE: dict[tuple[str, str], float] = {}


def certified_penalty(sub: Subproblem, reduction: str = "assignment") -> float:
    """The least penalty this module can prove exact for this instance, before the margin:
    min(B/2, max((UB − LB₁)/2, UB/4)), UB = ``tour_upper_bound`` − C in reduced distances,
    LB₁ = ``one_hole_lower_bound`` (see the module docstring). Cached by content key."""
    key = (sub.key(), reduction)
    if key not in _CERTIFIED_CACHE:
        if len(_CERTIFIED_CACHE) >= 1024:
            _CERTIFIED_CACHE.clear()
        _CERTIFIED_CACHE[key] = _certified_penalty(sub, reduction)
    return _CERTIFIED_CACHE[key]


def _certified_penalty(sub: Subproblem, reduction: str) -> float:
    b = insertion_bound(sub, reduction)
    _, constant = reduced_distances(sub, reduction)
    upper = max(tour_upper_bound(sub) - constant, 0.0)
    if upper / 2.0 >= b / 2.0:
        return b / 2.0
    one_hole = one_hole_lower_bound(sub, reduction, target=upper)
    return min(b / 2.0, max((upper - one_hole) / 2.0, upper / 4.0))


def penalty_weight(
    sub: Subproblem,
    factor: float | None = DEFAULT_PENALTY_FACTOR,
    reduction: str = "assignment",
    margin: float = CERTIFIED_MARGIN,
) -> float:
    """The one-hot penalty A.

    factor None (default): margin · ``certified_penalty`` — provably exact for margin > 1.
    factor f: f · B (``insertion_bound``), the plain rule; exact for f > 1/2.
    """
    scale = max(float(np.max(sub.distances)), 1.0) if sub.distances.size else 1.0
    floor = 1e-6 * scale
    if factor is not None:
        return max(factor * insertion_bound(sub, reduction), floor)
    return max(margin * certified_penalty(sub, reduction), floor)


def symmetric(sub: Subproblem) -> bool:
    return bool(np.allclose(sub.distances, sub.distances.T, rtol=0.0, atol=1e-12))


def excluded_variables(sub: Subproblem, break_symmetry: bool | None = None) -> set[Variable]:
    """Variables fixed to 0 by the reversal-symmetry break (empty when it does not apply)."""
    k = sub.size
    exact = sub.kind == "route" and symmetric(sub)
    if break_symmetry and not exact:
        raise ValueError(f"{sub.name}: reversal symmetry exists only for a symmetric route")
    if break_symmetry is False or not exact:
        return set()
    return {(1, p) for p in range(k) if p > (k - 1) // 2}


def tsp_bqm(
    sub: Subproblem,
    penalty: float | None = None,
    *,
    reduction: str = "assignment",
    break_symmetry: bool | None = None,
) -> dimod.BinaryQuadraticModel:
    """The position-encoded BQM of a subproblem (walk length + one-hot penalties).

    penalty: A (None: ``penalty_weight(sub, reduction=reduction)``); reduction: see
    ``reduced_distances``;
    break_symmetry: None = on for a symmetric route. A valid tour's energy is its length.
    """
    k = sub.size
    d, constant = reduced_distances(sub, reduction)
    a = penalty_weight(sub, reduction=reduction) if penalty is None else float(penalty)
    skip = excluded_variables(sub, break_symmetry)
    variables = [(i, p) for i in range(1, k + 1) for p in range(k) if (i, p) not in skip]
    present = set(variables)
    linear: dict[Variable, float] = {v: 0.0 for v in variables}
    quadratic: dict[tuple[Variable, Variable], float] = {}
    for i in range(1, k + 1):
        if (i, 0) in present:
            linear[(i, 0)] += float(d[0, i])
        if (i, k - 1) in present:
            linear[(i, k - 1)] += float(d[i, sub.end])
    for p in range(k - 1):
        for i in range(1, k + 1):
            if (i, p) not in present:
                continue
            for j in range(1, k + 1):
                if i != j and (j, p + 1) in present:
                    quadratic[((i, p), (j, p + 1))] = float(d[i, j])
    # one-hot rows (each stop once) and columns (each position once):
    # A (Σx − 1)² = A (1 − Σx + 2 Σ_{a<b} x_a x_b) for binary x
    groups = [[(i, p) for p in range(k) if (i, p) in present] for i in range(1, k + 1)]
    groups += [[(i, p) for i in range(1, k + 1) if (i, p) in present] for p in range(k)]
    offset = constant + a * len(groups)
    for group in groups:
        for n, u in enumerate(group):
            linear[u] -= a
            for v in group[n + 1 :]:
                quadratic[(u, v)] = quadratic.get((u, v), 0.0) + 2.0 * a
    return dimod.BinaryQuadraticModel(linear, quadratic, offset, dimod.BINARY)


def annealing_parameters(
    sub: Subproblem,
    time_budget: float = DEFAULT_TIME_BUDGET,
    *,
    penalty: float | None = None,
    break_symmetry: bool | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``SimulatedAnnealingSampler().sample(tsp_bqm(sub), **params)``:
    ``annealing_schedule`` for this subproblem's variables and penalty A (penalty /
    break_symmetry: as given to ``tsp_bqm``; None: its defaults). Add ``seed`` yourself."""
    a = penalty_weight(sub) if penalty is None else float(penalty)
    n = max(sub.size**2 - len(excluded_variables(sub, break_symmetry)), 1)
    return annealing_schedule(n, a, time_budget)


def annealing_schedule(
    num_variables: int, energy_scale: float | None, time_budget: float = DEFAULT_TIME_BUDGET
) -> dict[str, Any]:
    """SA keyword arguments for a BQM of ``num_variables`` whose barriers are ``energy_scale``.

    time_budget: seconds of annealing on one core to size reads x sweeps for (from a measured
    ``SA_SECONDS_PER_UPDATE``; approximate). Returns ``num_reads`` (MIN_READS..MAX_READS),
    ``num_sweeps`` (DEFAULT_SWEEPS, fewer only when the budget cannot pay MIN_READS of them),
    and, when energy_scale is known, ``beta_range`` = [1 / (HOT_TEMPERATURE·A),
    1 / (COLD_TEMPERATURE·A)] with ``beta_schedule_type`` = "geometric" (without it,
    dwave-samplers picks its own β range from the biases).
    """
    n = max(int(num_variables), 1)
    updates = max(time_budget, 0.0) / SA_SECONDS_PER_UPDATE
    sweeps = DEFAULT_SWEEPS
    reads = int(updates // (sweeps * n))
    if reads < MIN_READS:
        reads = MIN_READS
        sweeps = int(np.clip(updates // (reads * n), MIN_SWEEPS, DEFAULT_SWEEPS))
    params: dict[str, Any] = {"num_reads": min(reads, MAX_READS), "num_sweeps": sweeps}
    if energy_scale is not None and energy_scale > 0:
        a = float(energy_scale)
        params["beta_range"] = [1.0 / (HOT_TEMPERATURE * a), 1.0 / (COLD_TEMPERATURE * a)]
        params["beta_schedule_type"] = "geometric"
    return params


def penalty_threshold(sub: Subproblem, reduction: str = "assignment") -> float:
    """A*: the least penalty above which every broken assignment costs more than the optimal
    tour (exact, given arcs ≥ 0): max over h ≥ 1 of (opt − L_min(h)) / 2h, where L_min(h) is
    the shortest walk length of a partial permutation with h empty positions.

    Dynamic programming over (used stops, last stop or gap), O(k³ 2^k): as costly as an exact
    solve, so it is a diagnostic for tests and benchmarks, never part of the penalty rule.
    """
    lengths = partial_lengths(sub, reduction)
    opt = lengths[0]
    holes = np.arange(1, len(lengths))
    return float(np.max((opt - lengths[1:]) / (2.0 * holes))) if holes.size else 0.0


def partial_lengths(sub: Subproblem, reduction: str = "assignment") -> NDArray[np.float64]:
    """L_min(h) for h = 0..k (L_min(0) is the optimal tour in the arcs used)."""
    k = sub.size
    d, _ = reduced_distances(sub, reduction)
    full = 1 << k
    gap = k  # column index meaning "position left empty"
    inner = d[1 : k + 1, 1 : k + 1].copy()
    np.fill_diagonal(inner, np.inf)
    masks = np.arange(full)
    cost = np.full((full, k + 1), np.inf)
    for j in range(k):
        cost[1 << j, j] = d[0, j + 1]
    cost[0, gap] = 0.0
    for _ in range(1, k):
        new = np.full_like(cost, np.inf)
        new[:, gap] = cost.min(axis=1)
        for j in range(k):
            bit = 1 << j
            free = masks[(masks & bit) == 0]
            best = np.minimum((cost[free, :k] + inner[:, j][None, :]).min(axis=1), cost[free, gap])
            new[free | bit, j] = np.minimum(new[free | bit, j], best)
        cost = new
    cost[:, :k] += d[1 : k + 1, sub.end][None, :]
    per_mask = cost.min(axis=1)
    used = np.array([m.bit_count() for m in range(full)])
    return np.array([per_mask[used == k - h].min() for h in range(k + 1)])


def order_from_sample(sample: Mapping[Hashable, int], k: int) -> list[int] | None:
    """The tour a sample encodes, or None when it breaks a one-hot constraint."""
    return _order_from_matrix(sample_matrix(sample, k))


def _order_from_matrix(x: NDArray[np.int64]) -> list[int] | None:
    if not (np.all(x.sum(axis=0) == 1) and np.all(x.sum(axis=1) == 1)):
        return None
    return [int(i) + 1 for i in np.argmax(x, axis=0)]


def _valid_order(x: NDArray[np.int64]) -> list[int]:
    order = _order_from_matrix(x)
    assert order is not None
    return order


def sample_matrix(sample: Mapping[Hashable, int], k: int) -> NDArray[np.int64]:
    """x[i-1, p] for stop i at position p (variables absent from the sample count as 0)."""
    x = np.zeros((k, k), dtype=np.int64)
    for i in range(1, k + 1):
        for p in range(k):
            with contextlib.suppress(KeyError, ValueError):  # absent variable: 0
                x[i - 1, p] = int(sample[(i, p)])  # type: ignore[index]
    return x


def repair(sample: Mapping[Hashable, int], sub: Subproblem) -> list[int]:
    """Nearest valid tour to a broken sample: keep as many of its set bits as possible (a
    linear assignment of stops to positions); ties go to the lower index."""
    return _repair_matrix(sample_matrix(sample, sub.size).astype(np.float64))


def _repair_matrix(x: NDArray[np.float64]) -> list[int]:
    k = x.shape[0]
    rows, cols = linear_sum_assignment(-x)
    order = [0] * k
    for i, p in zip(rows, cols, strict=True):
        order[p] = int(i) + 1
    return order


@dataclass(frozen=True)
class Decoded:
    """The best tour decoded from a sample set, with honest feasibility figures."""

    order: tuple[int, ...]
    cost: float
    repaired: bool  # True when no raw sample was a valid tour and the best came from repair
    raw_feasible_rate: float  # share of reads (weighted by occurrences) that were valid tours
    num_reads: int
    best_raw_energy: float


def _sample_matrices(sampleset: dimod.SampleSet, k: int) -> NDArray[np.int64]:
    """All samples as an (n, k, k) array x[s, i-1, p]; absent variables are 0."""
    record = np.asarray(sampleset.record.sample)
    out = np.zeros((record.shape[0], k, k), dtype=np.int64)
    for col, v in enumerate(sampleset.variables):
        if not (isinstance(v, tuple) and len(v) == 2):
            continue
        i, p = v
        integers = isinstance(i, int | np.integer) and isinstance(p, int | np.integer)
        if integers and 1 <= i <= k and 0 <= p < k:
            out[:, int(i) - 1, int(p)] = record[:, col]
    return out


def decode(
    sampleset: dimod.SampleSet,
    sub: Subproblem,
    prefer: Callable[[Sequence[int]], bool] | None = None,
) -> Decoded:
    """Decode every sample; return the cheapest valid tour (repairing only if none is valid).

    With `prefer` (e.g. a schedule's window check), the cheapest valid tour for which it holds
    wins over cheaper ones for which it does not. raw_feasible_rate is the share of the
    sample set's reads (weighted by num_occurrences) that are valid tours as sampled, before
    any repair.
    """
    k = sub.size
    if len(sampleset) == 0:
        raise ValueError("empty sample set")
    counts = (
        np.asarray(sampleset.record.num_occurrences, dtype=np.int64)
        if "num_occurrences" in sampleset.record.dtype.names
        else np.ones(len(sampleset), dtype=np.int64)
    )
    x = _sample_matrices(sampleset, k)
    valid = np.all(x.sum(axis=1) == 1, axis=1) & np.all(x.sum(axis=2) == 1, axis=1)
    total_reads = int(counts.sum())
    feasible_reads = int(counts[valid].sum())
    repaired = not bool(valid.any())
    best: tuple[bool, float, list[int]] | None = None
    for index in range(len(x)) if repaired else (int(s) for s in np.flatnonzero(valid)):
        order = _repair_matrix(x[index].astype(np.float64)) if repaired else _valid_order(x[index])
        rank = (prefer is not None and not prefer(order), sub.cost(order), order)
        if best is None or rank[:2] < best[:2]:
            best = rank
    assert best is not None
    return Decoded(
        order=tuple(best[2]),
        cost=best[1],
        repaired=repaired,
        raw_feasible_rate=feasible_reads / max(total_reads, 1),
        num_reads=total_reads,
        best_raw_energy=float(np.min(sampleset.record.energy)),
    )


def window_arc_penalty(sub: Subproblem) -> float:
    """More than any tour's length ((k + 1) arcs of at most the longest relevant arc)."""
    longest = float(np.max(np.where(relevant_arcs(sub), sub.distances, 0.0), initial=0.0))
    return (sub.size + 1) * max(longest, 1.0) + 1.0


def window_encoded(sub: Subproblem) -> Subproblem:
    """The subproblem the QUBO is built from: without windows, `sub` itself; with windows,
    the same stops with every blocked arc (see 5. above) made longer by
    `window_arc_penalty` and the windows dropped (they are encoded)."""
    if not sub.has_windows:
        return sub
    blocked = sub.blocked_arcs() & relevant_arcs(sub)
    distances = sub.distances + window_arc_penalty(sub) * blocked
    return Subproblem(sub.kind, distances, sub.nodes, sub.name)


def window_details(sub: Subproblem, sampleset: dimod.SampleSet, order: Sequence[int]) -> dict:
    """What result.json records about a windowed answer: the encoding, how many arcs it
    blocked, whether the decoded tour meets every window, and the share of reads (valid
    tours or not) whose tour does."""
    if not sub.has_windows:
        return {}
    k = sub.size
    x = _sample_matrices(sampleset, k)
    counts = (
        np.asarray(sampleset.record.num_occurrences, dtype=np.int64)
        if "num_occurrences" in sampleset.record.dtype.names
        else np.ones(len(sampleset), dtype=np.int64)
    )
    valid = np.all(x.sum(axis=1) == 1, axis=1) & np.all(x.sum(axis=2) == 1, axis=1)
    meets = [bool(valid[s]) and sub.schedule_feasible(_valid_order(x[s])) for s in range(len(x))]
    return {
        "time_windows": TIME_WINDOW_ENCODING,
        "blocked_arcs": int((sub.blocked_arcs() & relevant_arcs(sub)).sum()),
        "window_feasible": sub.schedule_feasible(order),
        "window_feasible_rate": float(counts[meets].sum()) / max(int(counts.sum()), 1),
    }


TIME_WINDOW_ENCODING = "blocked-arc penalties; full schedule checked on decode and stitch"


class TSPKind:
    """The route-TSP / path-window QUBO as a QUBO kind (``qroute.qubo.kind.QuboKind``).

    convert: ``tsp_bqm`` of ``window_encoded(sub)`` (the subproblem itself without time
    windows) with its certified penalty as the energy scale and Held-Karp as the exact
    classical counterpart; interpret: ``decode`` (the cheapest valid tour, one that meets
    every window first; repair only when no sample is a valid tour), with the window flags in
    the details. Sizes count stops; k stops need at most k² variables.
    """

    name = "tsp-position-v1"
    unit = "stops"

    def size(self, problem: Subproblem) -> int:
        return problem.size

    def num_variables(self, problem: Subproblem) -> int:
        return problem.size**2 - len(excluded_variables(window_encoded(problem)))

    def capacity(self, max_variables: int) -> int:
        """Stops that always fit (k² ≤ max_variables; the symmetry break never saves a stop)."""
        return math.isqrt(max(int(max_variables), 0))

    def key(self, problem: Subproblem) -> str:
        return problem.key()

    def label(self, problem: Subproblem) -> str:
        return problem.name

    def convert(self, problem: Subproblem) -> Conversion:
        encoded = window_encoded(problem)
        return Conversion(
            bqm=tsp_bqm(encoded),
            energy_scale=penalty_weight(encoded),
            exact=lambda: exact_sample(encoded),
            exact_method="held-karp dynamic programming",
        )

    def interpret(self, problem: Subproblem, sampleset: dimod.SampleSet) -> Interpretation:
        """The cheapest valid sampled tour (meeting every window first, when there are
        windows; see 5. in the module docstring), its cost in the real distances."""
        prefer = problem.schedule_feasible if problem.has_windows else None
        decoded = decode(sampleset, window_encoded(problem), prefer)
        return Interpretation(
            answer=(decoded.order,),
            cost=problem.cost(decoded.order),
            repaired=decoded.repaired,
            raw_feasible_rate=decoded.raw_feasible_rate,
            num_reads=decoded.num_reads,
            best_raw_energy=decoded.best_raw_energy,
            details=window_details(problem, sampleset, decoded.order),
        )


def exact_sample(sub: Subproblem) -> dict[Hashable, int]:
    """The Held-Karp optimum as a sample of ``tsp_bqm(sub)`` (reversed when the symmetry
    break leaves out stop 1's position in it; the reverse costs the same)."""
    order, _ = held_karp(sub)
    skip = excluded_variables(sub)
    if (1, order.index(1)) in skip:
        order = order[::-1]
    k = sub.size
    sample: dict[Hashable, int] = {
        (i, p): 0 for i in range(1, k + 1) for p in range(k) if (i, p) not in skip
    }
    for p, i in enumerate(order):
        sample[(i, p)] = 1
    return sample


TSP_KIND = TSPKind()
"""The route-TSP / path-window kind; the default kind of every backend's ``solve``."""
