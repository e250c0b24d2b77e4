"""The assignment QUBO of a window of consignments, as a dimod BQM, and its decoding.

Variables ``("x", c, k)``: consignment c takes its option k; ``("s", seg, r, b)``: slack bit b
of the capacity row of segment seg and resource r ("kg" or "slots").

    E(x, s) = Σ_c Σ_k (cost_ck − μ_c) x_ck                     (μ_c = c's cheapest option)
            + Σ_c A_c (Σ_k x_ck − 1)²
            + Σ_rows B_row (Σ w'_ck x_ck + Σ_b 2^b' s_b − C')²

with every weight and residual allowance of a row divided by their gcd u (w' = w / u,
C' = ⌊C / u⌋) and slack bits 1, 2, 4, …, the last one cut so that the slack covers exactly
0..C'. A row is added only when the window's options can overfill it; an option that alone
exceeds a residual allowance is left out (fixed to 0). For a feasible assignment with its
exact slack, E = cost − Σ μ_c.

**Penalties (certified).** A_c = m · max(cost_truck,c − μ_c, ε) and B_row = m ·
max(max over options o on the row of (cost_truck,c(o) − cost_o), ε), with m =
``qroute.qubo.tsp.CERTIFIED_MARGIN`` (1.2) and ε = 1 CNY. Claim: every assignment that breaks a
constraint has a strictly higher energy than some feasible one, so the ground state decodes
to an optimal assignment of the window. Proof: re-choose the slack optimally (never raises
E; the row penalty becomes B·((load' − C')⁺)², nondecreasing in the load). Then repeat:
(i) a consignment with m ≥ 2 options set drops one: cost falls by cost_o − μ_c ≥ 0 and its
one-hot term by A_c (2m − 3) > 0, loads only fall; (ii) one with none set takes its truck:
ΔE = cost_truck − μ_c − A_c < 0, no row changes; (iii) a row still overfilled (by ≥ 1 unit,
all integers) has a consignment on it that moves to its truck: its row term falls by ≥ B_row
> cost_truck − cost_o, others do not rise. Each step lowers E strictly and ends at a
feasible assignment. This certifies the *window* optimum given the residual allowances the
other consignments leave; it says nothing about the whole plan (that is what the MIP gap
reports).

**Tighter, from a known feasible window answer** (``incumbent``: its cost, as in the
route-selection kind). Every term of E is ≥ 0 (costs are relative to μ_c), and a broken
assignment violates a one-hot or row term by at least one integer unit for every slack
value, so its energy is at least that term's weight. With U = m · max(incumbent − Σ μ_c, ε)
> E(incumbent) ≥ E(optimum), every term whose weight is ≥ U is certified by this bound
alone. Each weight is therefore min(regret weight above, U): a broken state that violates a
U-weighted term has E ≥ U; one that violates only regret-weighted terms is repaired by the
steps above, which touch only violated terms and never break a satisfied one. Small
windows whose incumbent is close to Σ μ_c get much smaller penalties (QAOA benefits most).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import dimod
import numpy as np

from qroute.qubo.tsp import CERTIFIED_MARGIN
from qroute.rail.options import Option, Segment, load_of

EPSILON_CNY = 1.0
ONE_HOT_SCALE = 0.0
"""A landscape lever kept for experiments: A_c is raised to this times B_row·w'² of the rows
c's options touch (still certified: a larger A keeps the proof). Measured on 6 windows of
75-102 variables with SA: 0.25 and 1 raised raw feasibility (about 0.4 -> 0.6-0.9) but not
the gap to the window MIP (10-30 % either way), so the default is the certified minimum."""
RESOURCES = ("kg", "slots")


@dataclass(frozen=True)
class WindowQubo:
    bqm: dimod.BinaryQuadraticModel
    consignments: tuple[str, ...]
    allowed: dict[str, tuple[int, ...]]  # option indices with a variable
    rows: tuple[tuple[Segment, str], ...]  # capacity rows in the QUBO
    offset_cost: float  # Σ μ_c: E + offset_cost = cost for a feasible sample
    one_hot_penalty: dict[str, float]
    row_penalty: dict[tuple[Segment, str], float] = field(default_factory=dict)
    row_unit: dict[tuple[Segment, str], int] = field(default_factory=dict)
    row_slack: dict[tuple[Segment, str], tuple[tuple[Any, int], ...]] = field(default_factory=dict)
    row_terms: dict[tuple[Segment, str], tuple[tuple[Any, int], ...]] = field(default_factory=dict)
    row_rhs: dict[tuple[Segment, str], int] = field(default_factory=dict)  # C' of every row
    option_cost: dict[Any, float] = field(default_factory=dict)  # cost - μ_c of every x

    @property
    def num_variables(self) -> int:
        return int(self.bqm.num_variables)

    @property
    def num_option_variables(self) -> int:
        return sum(len(ks) for ks in self.allowed.values())

    @property
    def label(self) -> str:
        """The window's name in ledgers and Leap problem lists."""
        return "rail window " + "+".join(self.consignments)

    def sample_bits(self, choice: Mapping[str, int]) -> dict[Any, int]:
        """Every BQM variable for one option per consignment, each slack register at its
        exact minimiser clamp(C' - load', 0, C') (the whole free allowance when it fits)."""
        bits: dict[Any, int] = dict.fromkeys(self.bqm.variables, 0)
        for cid, k in choice.items():
            bits[("x", cid, k)] = 1
        for row in self.rows:
            load = sum(a for v, a in self.row_terms[row] if bits[v])
            free = min(max(self.row_rhs[row] - load, 0), self.row_rhs[row])
            slack = self.row_slack[row]
            for (v, _), bit in zip(slack, _bits(free, [c for _, c in slack]), strict=True):
                bits[v] = bit
        return bits


def _slack_coefficients(capacity: int) -> list[int]:
    """1, 2, 4, …, last cut so that the coefficients sum to `capacity` (covers 0..capacity)."""
    coeffs: list[int] = []
    total = 0
    while total < capacity:
        c = min(1 << len(coeffs), capacity - total)
        coeffs.append(c)
        total += c
    return coeffs


def window_qubo(
    ids: Sequence[str],
    options: Mapping[str, Sequence[Option]],
    residual: Mapping[Segment, tuple[int, int]],
    weights: Mapping[str, tuple[int, int]],
    margin: float = CERTIFIED_MARGIN,
    one_hot_scale: float = ONE_HOT_SCALE,
    row_margin: float | None = None,
    incumbent: float | None = None,
) -> WindowQubo:
    """The BQM of one window; `residual` = allowances left by consignments outside it;
    `incumbent`: the cost of a feasible answer of this window (its current plan), which caps
    every penalty at the incumbent bound U (module docstring; still certified).

    `row_margin` replaces `margin` in B_row only. Below 1 the proof no longer holds (an
    infeasible state may have the lowest energy; the decode still checks every sample and
    reports raw feasibility). Measured with dwave-sa (32 reads x 1000 sweeps) on the default
    scenario: 8 windows of 64-148 variables, gap to the window MIP 5-101 % at 1.2 (certified)
    vs 0-12 % at 0.01; the whole LNS with 100-variable windows 5.1 % -> 4.7 % above the MIP
    (= the window MIP's own LNS), with 250-variable windows 4.7 %. The default stays
    certified."""
    allowed: dict[str, tuple[int, ...]] = {}
    mu: dict[str, float] = {}
    truck: dict[str, float] = {}
    on_row: dict[tuple[Segment, str], list[tuple[str, int, int]]] = {}
    for cid in ids:
        opts = options[cid]
        keep = []
        for k, opt in enumerate(opts):
            fits = all(weights[cid][r] <= residual[seg][r] for seg in opt.segments for r in (0, 1))
            if opt.kind == "truck" or fits:
                keep.append(k)
        allowed[cid] = tuple(keep)
        mu[cid] = min(opts[k].cost for k in keep)
        truck[cid] = next(o.cost for o in opts if o.kind == "truck")
        for k in keep:
            for seg in opts[k].segments:
                for r, name in enumerate(RESOURCES):
                    on_row.setdefault((seg, name), []).append((cid, k, weights[cid][r]))
    cap_u = math.inf
    if incumbent is not None:
        cap_u = margin * max(incumbent - sum(mu.values()), EPSILON_CNY)
    rows: list[tuple[Segment, str]] = []
    row_penalty: dict[tuple[Segment, str], float] = {}
    row_unit: dict[tuple[Segment, str], int] = {}
    row_slack: dict[tuple[Segment, str], tuple[tuple[Any, int], ...]] = {}
    floor: dict[str, float] = dict.fromkeys(ids, 0.0)
    for row, entries in on_row.items():
        seg, name = row
        cap = residual[seg][RESOURCES.index(name)]
        if sum(w for _, _, w in entries) <= cap:
            continue
        unit = reduce(math.gcd, [w for _, _, w in entries] + ([cap] if cap else []))
        regret = max(truck[cid] - options[cid][k].cost for cid, k, _ in entries)
        b = (margin if row_margin is None else row_margin) * max(regret, EPSILON_CNY)
        b = min(b, cap_u)
        rows.append(row)
        row_penalty[row] = b
        row_unit[row] = unit
        row_slack[row] = tuple(
            (("s", seg, name, i), c) for i, c in enumerate(_slack_coefficients(cap // unit))
        )
        for cid, _, w in entries:
            floor[cid] = max(floor[cid], b * (w // unit) ** 2)
    bqm = dimod.BinaryQuadraticModel("BINARY")
    one_hot: dict[str, float] = {}
    option_cost: dict[Any, float] = {}
    for cid in ids:
        a = max(margin * max(truck[cid] - mu[cid], EPSILON_CNY), one_hot_scale * floor[cid])
        a = min(a, cap_u)
        one_hot[cid] = a
        keep = list(allowed[cid])
        for k in keep:
            option_cost[("x", cid, k)] = options[cid][k].cost - mu[cid]
            bqm.add_variable(("x", cid, k), options[cid][k].cost - mu[cid] - a)
        for i, k1 in enumerate(keep):  # A (Σx − 1)² = A − A Σx + 2A Σ_{k<l} x_k x_l
            for k2 in keep[i + 1 :]:
                bqm.add_interaction(("x", cid, k1), ("x", cid, k2), 2 * a)
        bqm.offset += a
    row_terms: dict[tuple[Segment, str], tuple[tuple[Any, int], ...]] = {}
    row_rhs: dict[tuple[Segment, str], int] = {}
    for row in rows:
        seg, name = row
        r = RESOURCES.index(name)
        unit = row_unit[row]
        row_terms[row] = tuple((("x", cid, k), w // unit) for cid, k, w in on_row[row])
        row_rhs[row] = residual[seg][r] // unit
        _add_squared(bqm, [*row_terms[row], *row_slack[row]], row_rhs[row], row_penalty[row])
    return WindowQubo(
        bqm,
        tuple(ids),
        allowed,
        tuple(rows),
        sum(mu.values()),
        one_hot,
        row_penalty,
        row_unit,
        row_slack,
        row_terms,
        row_rhs,
        option_cost,
    )


def _add_squared(
    bqm: dimod.BinaryQuadraticModel, terms: list[tuple[Any, int]], rhs: int, weight: float
) -> None:
    """Add weight · (Σ a_v v − rhs)² for binary v."""
    for v, a in terms:
        bqm.add_variable(v, weight * (a * a - 2 * a * rhs))
    for i, (u, a) in enumerate(terms):
        for v, b in terms[i + 1 :]:
            bqm.add_interaction(u, v, 2 * weight * a * b)
    bqm.offset += weight * rhs * rhs


@dataclass(frozen=True)
class Decoded:
    choice: dict[str, int]
    cost: float
    raw_feasible_rate: float
    repaired: bool
    best_energy: float
    num_samples: int


def fits(
    choice: Mapping[str, int],
    options: Mapping[str, Sequence[Option]],
    residual: Mapping[Segment, tuple[int, int]],
    weights: Mapping[str, tuple[int, int]],
) -> bool:
    return all(
        kg <= residual[seg][0] and sl <= residual[seg][1]
        for seg, (kg, sl) in load_of(choice, options, weights).items()
    )


def _assignment(sample: Mapping[Any, int], wq: WindowQubo) -> dict[str, list[int]]:
    chosen: dict[str, list[int]] = {cid: [] for cid in wq.consignments}
    for cid in wq.consignments:
        for k in wq.allowed[cid]:
            if sample.get(("x", cid, k), 0):
                chosen[cid].append(k)
    return chosen


def repair(
    chosen: Mapping[str, list[int]],
    wq: WindowQubo,
    options: Mapping[str, Sequence[Option]],
    residual: Mapping[Segment, tuple[int, int]],
    weights: Mapping[str, tuple[int, int]],
) -> dict[str, int]:
    """A feasible assignment near a broken one: the cheapest set option (or the truck when
    none is set), then consignments on overfilled segments move to their truck, heaviest
    first. Deterministic."""
    choice: dict[str, int] = {}
    for cid in wq.consignments:
        truck = next(k for k, o in enumerate(options[cid]) if o.kind == "truck")
        set_ = chosen[cid]
        choice[cid] = min(set_, key=lambda k: options[cid][k].cost) if set_ else truck
    while True:
        load = load_of(choice, options, weights)
        over = [s for s, (kg, sl) in load.items() if kg > residual[s][0] or sl > residual[s][1]]
        if not over:
            return choice
        seg = min(over)
        on = [cid for cid in wq.consignments if seg in options[cid][choice[cid]].segments]
        mover = max(on, key=lambda c: (weights[c][0], c))
        choice[mover] = next(k for k, o in enumerate(options[mover]) if o.kind == "truck")


def decode(
    sampleset: dimod.SampleSet,
    wq: WindowQubo,
    options: Mapping[str, Sequence[Option]],
    residual: Mapping[Segment, tuple[int, int]],
    weights: Mapping[str, tuple[int, int]],
) -> Decoded:
    """The cheapest raw-feasible sample as is; if no sample is feasible, the lowest-energy
    one repaired (``repaired=True``: the sampler did not produce it)."""
    best: dict[str, int] | None = None
    best_cost = math.inf
    feasible_reads = 0
    total = 0
    lowest = None
    for datum in sampleset.data(["sample", "energy", "num_occurrences"], sorted_by="energy"):
        sample, energy, count = datum.sample, float(datum.energy), int(datum.num_occurrences)
        total += count
        if lowest is None:
            lowest = (sample, energy)
        chosen = _assignment(sample, wq)
        if any(len(ks) != 1 for ks in chosen.values()):
            continue
        choice = {cid: ks[0] for cid, ks in chosen.items()}
        if not fits(choice, options, residual, weights):
            continue
        feasible_reads += count
        cost = sum(options[c][k].cost for c, k in choice.items())
        if cost < best_cost - 1e-9:
            best, best_cost = choice, cost
    assert lowest is not None, "empty sample set"
    rate = feasible_reads / total if total else 0.0
    if best is not None:
        return Decoded(best, best_cost, rate, False, lowest[1], total)
    fixed = repair(_assignment(lowest[0], wq), wq, options, residual, weights)
    cost = sum(options[c][k].cost for c, k in fixed.items())
    return Decoded(fixed, cost, rate, True, lowest[1], total)


def sample_of(
    choice: Mapping[str, int],
    wq: WindowQubo,
    options: Mapping[str, Sequence[Option]],
    residual: Mapping[Segment, tuple[int, int]],
    weights: Mapping[str, tuple[int, int]],
) -> dict[Any, int]:
    """The BQM sample of a feasible assignment with its exact slack."""
    assert fits(choice, options, residual, weights), "sample_of takes a feasible assignment"
    return wq.sample_bits(choice)


def energy_of(
    choice: Mapping[str, int],
    wq: WindowQubo,
    options: Mapping[str, Sequence[Option]],
    residual: Mapping[Segment, tuple[int, int]],
    weights: Mapping[str, tuple[int, int]],
) -> float:
    """The BQM energy of a feasible assignment with its exact slack (for tests)."""
    return float(wq.bqm.energy(sample_of(choice, wq, options, residual, weights)))


def _bits(value: int, coeffs: list[int]) -> list[int]:
    """Greedy from the largest coefficient: represents any 0 <= value <= sum(coeffs)."""
    bits = [0] * len(coeffs)
    for i in sorted(range(len(coeffs)), key=lambda j: -coeffs[j]):
        if coeffs[i] <= value:
            bits[i] = 1
            value -= coeffs[i]
    assert value == 0
    return bits


def brute_force_minimum(wq: WindowQubo) -> float:
    """Ground energy by exhaustive enumeration (≤ 22 variables; tests and the QAOA bench)."""
    n = wq.num_variables
    if n > 22:
        raise ValueError(f"{n} variables is too many to enumerate")
    vectors = wq.bqm.to_numpy_vectors(list(wq.bqm.variables))
    lin, (row, col, quad), offset = vectors[0], vectors[1], vectors[2]
    states = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(np.float64)
    energies = states @ lin + offset + np.sum(states[:, row] * states[:, col] * quad, axis=1)
    return float(energies.min())
