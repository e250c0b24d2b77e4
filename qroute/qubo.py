"""Position-encoded TSP QUBOs for subproblems, and decoding samples back to tours.

Variables ``(i, p)``: free stop ``i`` (1..k) is visited at position ``p`` (0..k-1). The depot
(route) or the fixed first/last stops (path window) are not variables, so k stops need k²
binary variables.

Energy = tour length + A · Σ_i (Σ_p x_ip − 1)² + A · Σ_p (Σ_i x_ip − 1)².

Penalty rule (documented in README): A = penalty_factor · max_i (a_i + b_i), where a_i and b_i
are the two largest distances from stop i to any node it can be adjacent to. Dropping stop i
from a valid tour saves at most a_i + b_i of length while leaving one stop row and one
position column empty (each costing A), so any A above that bound keeps every valid tour
below every tour with a missing stop; moving a stop into an occupied position likewise costs
A. The factor defaults to a tuned value slightly above 1/2 per empty row/column pair (see
BENCHMARKS.md): a smaller penalty keeps the landscape passable for annealers.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import dimod
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from qroute.subproblem import Subproblem

DEFAULT_PENALTY_FACTOR = 0.6
Variable = tuple[int, int]


def penalty_weight(sub: Subproblem, factor: float = DEFAULT_PENALTY_FACTOR) -> float:
    """A = factor · max over stops of the sum of their two largest relevant distances."""
    k = sub.size
    d = sub.distances
    neighbours = [0, *range(1, k + 1)] + ([sub.end] if sub.end != 0 else [])
    worst = 0.0
    for i in range(1, k + 1):
        row = np.sort(np.array([max(d[i, j], d[j, i]) for j in neighbours if j != i]))
        worst = max(worst, float(row[-2:].sum()) if row.size >= 2 else float(row.sum()))
    return max(factor * worst, 1e-9)


def tsp_bqm(sub: Subproblem, penalty: float | None = None) -> dimod.BinaryQuadraticModel:
    """The k² position-encoded BQM of a subproblem (tour length + one-hot penalties)."""
    k = sub.size
    d = sub.distances
    a = penalty_weight(sub) if penalty is None else penalty
    bqm = dimod.BinaryQuadraticModel("BINARY")
    # tour length
    for i in range(1, k + 1):
        bqm.add_linear((i, 0), d[0, i])
        bqm.add_linear((i, k - 1), d[i, sub.end])
    for p in range(k - 1):
        for i in range(1, k + 1):
            for j in range(1, k + 1):
                if i != j:
                    bqm.add_quadratic((i, p), (j, p + 1), d[i, j])
    # one-hot rows (each stop once) and columns (each position once): A (Σx − 1)²
    for i in range(1, k + 1):
        row = [((i, p), 1.0) for p in range(k)]
        bqm.update(dimod.generators.combinations([v for v, _ in row], 1, strength=a))
    for p in range(k):
        col = [(i, p) for i in range(1, k + 1)]
        bqm.update(dimod.generators.combinations(col, 1, strength=a))
    return bqm


def order_from_sample(sample: Mapping[Hashable, int], k: int) -> list[int] | None:
    """The tour a sample encodes, or None when it breaks a one-hot constraint."""
    x = sample_matrix(sample, k)
    if not (np.all(x.sum(axis=0) == 1) and np.all(x.sum(axis=1) == 1)):
        return None
    return [int(i) + 1 for i in np.argmax(x, axis=0)]


def sample_matrix(sample: Mapping[Hashable, int], k: int) -> NDArray[np.int64]:
    """x[i-1, p] for stop i at position p."""
    x = np.zeros((k, k), dtype=np.int64)
    for i in range(1, k + 1):
        for p in range(k):
            x[i - 1, p] = int(sample.get((i, p), 0))  # type: ignore[call-overload]
    return x


def repair(sample: Mapping[Hashable, int], sub: Subproblem) -> list[int]:
    """Nearest valid tour to a broken sample: keep as many of its set bits as possible
    (a linear assignment of stops to positions), breaking ties by arc length from the
    previous position's most likely stop is not attempted — ties go to the lower index."""
    k = sub.size
    x = sample_matrix(sample, k).astype(np.float64)
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


def decode(sampleset: dimod.SampleSet, sub: Subproblem) -> Decoded:
    """Decode every sample; return the cheapest valid tour (repairing only if none is valid)."""
    k = sub.size
    best_valid: tuple[float, list[int]] | None = None
    best_repaired: tuple[float, list[int]] | None = None
    feasible_reads = 0
    total_reads = 0
    counts = (
        sampleset.record.num_occurrences
        if "num_occurrences" in sampleset.record.dtype.names
        else np.ones(len(sampleset), dtype=np.int64)
    )
    for sample, times in zip(sampleset.samples(sorted_by=None), counts, strict=True):
        total_reads += int(times)
        order = order_from_sample(sample, k)
        if order is not None:
            feasible_reads += int(times)
            cost = sub.cost(order)
            if best_valid is None or cost < best_valid[0]:
                best_valid = (cost, order)
        elif best_valid is None:
            fixed = repair(sample, sub)
            cost = sub.cost(fixed)
            if best_repaired is None or cost < best_repaired[0]:
                best_repaired = (cost, fixed)
    chosen = best_valid or best_repaired
    assert chosen is not None, "empty sample set"
    return Decoded(
        order=tuple(chosen[1]),
        cost=chosen[0],
        repaired=best_valid is None,
        raw_feasible_rate=feasible_reads / max(total_reads, 1),
        num_reads=total_reads,
        best_raw_energy=float(sampleset.first.energy),
    )
