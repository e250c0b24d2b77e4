"""A one-hot-preserving simulated annealer for the assignment QUBO (``onehot-sa``).

Bit-flip SA (dwave-sa) on a window BQM has to move a consignment by two flips (one option
off, one on) and then re-balance the binary slack of every kilogram row it touches, each
slack bit a wall of B·2^(2b). On the default scenario that made it miss the window optimum
on most windows beyond ~60 option variables (BENCHMARKS.md, issue 16).

This sampler walks the same BQM in a smaller space: a state sets exactly one option per
consignment (the one-hot terms are always zero) and every slack register at its exact
minimiser given the options (s* = clamp(C' - load', 0, C'), so a row adds
B·max(0, load' - C')²). A move re-chooses one consignment's option (Metropolis on the
energy change, geometric β schedule). Every returned sample is a complete BQM assignment,
options and slack bits, and its energy is the BQM's own (``bqm.energies``), so the decode,
the certificate and the repair flag apply unchanged. It is a classical heuristic:
provenance class ``classical_sampler``.

The kernel is compiled with numba (a dependency of the locked set through the Braket SDK;
the first call in a fresh checkout compiles for a few seconds, later processes load the
cache).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dimod
import numba
import numpy as np
from numpy.typing import NDArray

from qroute.rail.qubo import WindowQubo

NAME = "onehot-sa"
DEVICE = "one-hot-preserving simulated annealing (numba, CPU)"
DEFAULT_READS = 8
DEFAULT_SWEEPS = 20_000
HOT_TEMPERATURE = 300.0  # CNY: crosses most option-cost differences (tuned on hsr-yangtze)
COLD_TEMPERATURE = 0.5  # CNY: resolves the smallest tariff differences
MOVES_PER_SECOND = 5e6
"""A first guess of the kernel's speed (moves per second); each read measures it again, and
with a time limit the sweeps of a read are cut so that the reads fit (`sample`)."""
MIN_SWEEPS = 100
MAX_OPTION_VARIABLES = 20_000
"""Most option variables one call takes: the state is one option per consignment, so the
slack bits add no search space; the cost per sweep grows linearly."""


@dataclass(frozen=True)
class OneHotModel:
    """The window BQM as seen in option space (flat arrays for the kernel)."""

    consignments: tuple[str, ...]
    variables: tuple[Any, ...]  # BQM x variable of every option, consignment by consignment
    first: NDArray[np.int64]  # first option index of each consignment
    count: NDArray[np.int64]  # options of each consignment
    cost: NDArray[np.float64]  # cost - μ_c of each option
    row_ptr: NDArray[np.int64]  # CSR: rows each option loads
    row_index: NDArray[np.int64]
    row_weight: NDArray[np.int64]  # gcd-scaled weight on that row
    rhs: NDArray[np.int64]  # C' of every row
    penalty: NDArray[np.float64]  # B of every row

    @classmethod
    def of(cls, wq: WindowQubo) -> OneHotModel:
        row_of = {row: i for i, row in enumerate(wq.rows)}
        on: dict[Any, list[tuple[int, int]]] = {}
        for row, terms in wq.row_terms.items():
            for var, coeff in terms:
                on.setdefault(var, []).append((row_of[row], coeff))
        variables: list[Any] = []
        first, count, cost = [], [], []
        ptr, index, weight = [0], [], []
        for cid in wq.consignments:
            first.append(len(variables))
            count.append(len(wq.allowed[cid]))
            for k in wq.allowed[cid]:
                var = ("x", cid, k)
                variables.append(var)
                cost.append(wq.option_cost[var])
                for r, coeff in on.get(var, ()):
                    index.append(r)
                    weight.append(coeff)
                ptr.append(len(index))
        return cls(
            wq.consignments,
            tuple(variables),
            np.array(first, dtype=np.int64),
            np.array(count, dtype=np.int64),
            np.array(cost, dtype=np.float64),
            np.array(ptr, dtype=np.int64),
            np.array(index, dtype=np.int64),
            np.array(weight, dtype=np.int64),
            np.array([wq.row_rhs[row] for row in wq.rows], dtype=np.int64),
            np.array([wq.row_penalty[row] for row in wq.rows], dtype=np.float64),
        )

    def energy(self, state: NDArray[np.int64]) -> float:
        """E(x, s*(x)) - offset of a state (one option index per consignment)."""
        load = np.zeros(len(self.rhs), dtype=np.int64)
        total = 0.0
        for c, k in enumerate(state):
            o = self.first[c] + k
            total += self.cost[o]
            for p in range(self.row_ptr[o], self.row_ptr[o + 1]):
                load[self.row_index[p]] += self.row_weight[p]
        over = np.maximum(load - self.rhs, 0)
        return float(total + np.sum(self.penalty * over * over))


@numba.njit(cache=True)
def _anneal(
    start: NDArray[np.int64],
    first: NDArray[np.int64],
    count: NDArray[np.int64],
    cost: NDArray[np.float64],
    row_ptr: NDArray[np.int64],
    row_index: NDArray[np.int64],
    row_weight: NDArray[np.int64],
    rhs: NDArray[np.int64],
    penalty: NDArray[np.float64],
    betas: NDArray[np.float64],
    seed: int,
    reads: int,
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    np.random.seed(seed)
    n = first.shape[0]
    out = np.empty((reads, n), dtype=np.int64)
    for read in range(reads):
        state = start.copy()
        load = np.zeros(rhs.shape[0], dtype=np.int64)
        for c in range(n):
            o = first[c] + state[c]
            for p in range(row_ptr[o], row_ptr[o + 1]):
                load[row_index[p]] += row_weight[p]
        for beta in betas:
            for _ in range(n):
                c = np.random.randint(n)
                if count[c] < 2:
                    continue
                k = np.random.randint(count[c] - 1)
                if k >= state[c]:
                    k += 1
                old = first[c] + state[c]
                new = first[c] + k
                delta = cost[new] - cost[old]
                for p in range(row_ptr[old], row_ptr[old + 1]):
                    r = row_index[p]
                    a = load[r] - rhs[r]
                    b = a - row_weight[p]
                    delta += penalty[r] * ((b * b if b > 0 else 0) - (a * a if a > 0 else 0))
                    load[r] -= row_weight[p]
                for p in range(row_ptr[new], row_ptr[new + 1]):
                    r = row_index[p]
                    a = load[r] - rhs[r]
                    b = a + row_weight[p]
                    delta += penalty[r] * ((b * b if b > 0 else 0) - (a * a if a > 0 else 0))
                    load[r] += row_weight[p]
                if delta <= 0.0 or np.random.random() < np.exp(-beta * delta):
                    state[c] = k
                else:
                    for p in range(row_ptr[new], row_ptr[new + 1]):
                        load[row_index[p]] -= row_weight[p]
                    for p in range(row_ptr[old], row_ptr[old + 1]):
                        load[row_index[p]] += row_weight[p]
        out[read] = state
    return out


class OneHotAnnealer(dimod.Sampler):  # type: ignore[misc]
    """``sample(bqm, window=wq, ...)``: `bqm` must be ``wq.bqm`` (checked)."""

    parameters: dict[str, list[str]] = {
        "window": [],
        "num_reads": [],
        "num_sweeps": [],
        "seed": [],
        "beta_range": [],
        "initial": [],
        "time_limit": [],
    }
    properties: dict[str, Any] = {"device": DEVICE}
    moves_per_second: float = MOVES_PER_SECOND  # measured by the last long enough read

    def sample(  # type: ignore[override]
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        window: WindowQubo,
        num_reads: int = DEFAULT_READS,
        num_sweeps: int = DEFAULT_SWEEPS,
        seed: int = 0,
        beta_range: tuple[float, float] | None = None,
        initial: Mapping[str, int] | None = None,
        time_limit: float | None = None,
        **_: Any,
    ) -> dimod.SampleSet:
        """`initial`: option index per consignment to start every read from (default: each
        consignment's cheapest allowed option); the β schedule runs geometrically over
        `beta_range` (default 1/HOT_TEMPERATURE .. 1/COLD_TEMPERATURE). Reads run one after
        another (read r seeded with seed + r). With `time_limit` (seconds) each read gets at
        most `num_sweeps` and no more sweeps than its share of the time allows at the
        measured speed (at least MIN_SWEEPS), and no read starts after the limit (at least
        one runs)."""
        if bqm is not window.bqm:
            raise ValueError("onehot-sa samples the window's own BQM")
        model = OneHotModel.of(window)
        start = np.zeros(len(model.consignments), dtype=np.int64)
        for c, cid in enumerate(model.consignments):
            allowed = window.allowed[cid]
            if initial is not None and initial.get(cid) in allowed:
                start[c] = allowed.index(initial[cid])
            else:
                start[c] = min(range(len(allowed)), key=lambda i: model.cost[model.first[c] + i])
        hot, cold = beta_range or (1.0 / HOT_TEMPERATURE, 1.0 / COLD_TEMPERATURE)
        sweeps = max(1, int(num_sweeps))
        total = max(1, int(num_reads))
        n = max(1, len(model.consignments))
        if time_limit is not None:
            affordable = int(time_limit / total * self.moves_per_second / n)
            sweeps = min(sweeps, max(MIN_SWEEPS, affordable))
        betas = np.geomspace(hot, cold, sweeps)
        arrays = (
            model.first,
            model.count,
            model.cost,
            model.row_ptr,
            model.row_index,
            model.row_weight,
            model.rhs,
            model.penalty,
        )
        _anneal(start, *arrays, betas[:1], 0, 1)  # compiles / loads the kernel before timing
        began = time.perf_counter()
        reads: list[NDArray[np.int64]] = []
        for read in range(total):
            if reads and time_limit is not None and time.perf_counter() - began >= time_limit:
                break
            mark = time.perf_counter()
            got = _anneal(start, *arrays, betas, (int(seed) + read) % (2**31), 1)
            reads.append(got[0])
            took = time.perf_counter() - mark
            if took > 0.05:  # long enough to measure; the first call may include loading
                type(self).moves_per_second = sweeps * n / took
        states = np.array(reads)
        order = list(bqm.variables)
        column = {v: i for i, v in enumerate(order)}
        samples = np.zeros((len(states), len(order)), dtype=np.int8)
        for read, state in enumerate(states):
            chosen = {
                model.consignments[c]: window.allowed[model.consignments[c]][k]
                for c, k in enumerate(state)
            }
            for var, bit in window.sample_bits(chosen).items():
                samples[read, column[var]] = bit
        return dimod.SampleSet.from_samples_bqm(
            (samples, order),
            bqm,
            info={"num_sweeps": sweeps, "num_reads": len(reads), "device": DEVICE},
        )
