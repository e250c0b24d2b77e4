"""Quality per backend on the assignment QUBO kind: the same seeded rail windows (small
enough to enumerate) on every backend, each answer decoded and compared with the window's
optimum. The rail section of the hardware comparison; bench/rail.py prints it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dimod

from qroute.model.solver import Budget
from qroute.rail.model import RailNetwork
from qroute.rail.options import Option, Segment, all_options, capacities, load_of
from qroute.rail.plan import greedy, residual_of, weights_of
from qroute.rail.qubo import WindowQubo, brute_force_minimum, decode, fits, window_qubo
from qroute.rail.samplers import RailSamplers

CONTROL = "uniform-random"
"""A control row: as many uniform random samples as the backends get shots."""


@dataclass(frozen=True)
class WindowCase:
    consignments: tuple[str, ...]
    options: Mapping[str, Sequence[Option]]
    residual: Mapping[Segment, tuple[int, int]]
    weights: Mapping[str, tuple[int, int]]
    qubo: WindowQubo
    optimum: float  # the window's optimal cost, by enumeration


PENALTIES = ("incumbent", "regret")


def window_cases(
    net: RailNetwork,
    count: int,
    *,
    min_vars: int = 12,
    max_vars: int = 16,
    pool: int = 40,
    penalty: str = "incumbent",
) -> list[WindowCase]:
    """Windows of two or three consignments (from the first `pool` with a choice) on the
    allowances the greedy plan leaves, min_vars..max_vars variables; *binding* windows first
    (each consignment's cheapest allowed option together overfill a segment, so the optimum
    is a real trade-off), then those with capacity rows, largest first.

    `penalty`: "incumbent" caps the certified penalties at the bound of the greedy plan's
    answer for the window (`window_qubo(incumbent=...)`), "regret" keeps the regret weights
    alone. Both are certified; the windows and their optima are the same."""
    if penalty not in PENALTIES:
        raise ValueError(f"penalty is one of {PENALTIES}, got {penalty!r}")
    options = all_options(net)
    weights = weights_of(net)
    cap = capacities(net)
    choice = greedy(list(options), options, cap, weights)
    ids = [c for c in options if len(options[c]) > 2][:pool]
    found = []
    for size in (2, 3):
        for group in itertools.combinations(ids, size):
            residual = residual_of(cap, load_of(choice, options, weights, frozenset(group)))
            incumbent = sum(options[c][choice[c]].cost for c in group)
            wq = window_qubo(
                list(group),
                options,
                residual,
                weights,
                incumbent=incumbent if penalty == "incumbent" else None,
            )
            if min_vars <= wq.num_variables <= max_vars:
                cheapest = {c: min(wq.allowed[c], key=lambda k: options[c][k].cost) for c in group}
                binding = not fits(cheapest, options, residual, weights)
                found.append((group, residual, wq, binding))
    found.sort(key=lambda f: (not f[3], not f[2].rows, -f[2].num_variables, f[0]))
    return [
        WindowCase(group, options, residual, weights, wq, brute_force_minimum(wq) + wq.offset_cost)
        for group, residual, wq, _ in found[:count]
    ]


def small_windows(
    count: int,
    max_qubits: int = 16,
    *,
    min_qubits: int | None = None,
    penalty: str = "incumbent",
    net: RailNetwork | None = None,
) -> list[WindowCase]:
    """`count` windows of `min_qubits`..`max_qubits` variables (default max_qubits - 4) from
    the default scenario (hsr-yangtze, 200 consignments) or `net`: the public way to get rail
    windows for any backend (solve them with ``qroute.rail.kind.ASSIGNMENT_KIND``). Binding
    windows first; each carries its optimum, by enumeration (so max_qubits ≤ 22)."""
    from qroute.rail.scenario import hsr_yangtze

    low = max(1, max_qubits - 4) if min_qubits is None else min_qubits
    return window_cases(
        net or hsr_yangtze(), count, min_vars=low, max_vars=max_qubits, penalty=penalty
    )


def compare_backends(
    cases: Sequence[WindowCase],
    backends: Sequence[str],
    *,
    seed: int = 0,
    shots: int = 200,
    samplers: RailSamplers | None = None,
) -> list[dict[str, Any]]:
    """One record per (backend, window): optimum found, gap, raw feasibility, repaired, time,
    provenance class; plus the uniform-random control."""
    samplers = samplers or RailSamplers()
    records = []
    for name in (*backends, CONTROL):
        for i, case in enumerate(cases):
            budget = Budget(seed=seed + i, shots=shots)
            if name == CONTROL:
                sampleset = dimod.RandomSampler().sample(
                    case.qubo.bqm, num_reads=shots, seed=seed + i
                )
                klass, wall, info = "classical_sampler", 0.0, {}
            else:
                got = samplers.sample(name, case.qubo, budget)
                sampleset, klass, wall = got.sampleset, got.provenance_class, got.wall_seconds
                info = dict(sampleset.info)
            decoded = decode(sampleset, case.qubo, case.options, case.residual, case.weights)
            found = not decoded.repaired and abs(decoded.cost - case.optimum) < 1e-6
            records.append(
                {
                    "backend": name,
                    "window": i,
                    "variables": case.qubo.num_variables,
                    "capacity_rows": len(case.qubo.rows),
                    "provenance_class": klass,
                    "optimum_found": found,
                    "gap_percent": (decoded.cost - case.optimum) / case.optimum * 100,
                    "raw_feasible_rate": decoded.raw_feasible_rate,
                    "repaired": decoded.repaired,
                    "wall_seconds": wall,
                    "ground_state_probability": info.get("ground_state_probability"),
                }
            )
    return records


def summary(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per backend: windows, optimum rate, mean gap, raw feasibility, P(ground), time."""
    rows = []
    for name in dict.fromkeys(r["backend"] for r in records):
        mine = [r for r in records if r["backend"] == name]
        probs = [r["ground_state_probability"] for r in mine if r["ground_state_probability"]]
        n = len(mine)
        rows.append(
            {
                "backend": name,
                "provenance_class": mine[0]["provenance_class"],
                "windows": n,
                "optimum_found": sum(r["optimum_found"] for r in mine),
                "mean_gap_percent": sum(r["gap_percent"] for r in mine) / n,
                "mean_raw_feasible_rate": sum(r["raw_feasible_rate"] for r in mine) / n,
                "mean_ground_state_probability": sum(probs) / len(probs) if probs else None,
                "mean_seconds": sum(r["wall_seconds"] for r in mine) / n,
            }
        )
    return rows
