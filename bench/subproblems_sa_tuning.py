"""Simulated annealing on the subproblem QUBO: gap to the exact optimum, raw feasibility, time.

    .venv/bin/python bench/subproblems_sa_tuning.py --k 4-12 --seeds 40 --kind both --certify
    .venv/bin/python bench/subproblems_sa_tuning.py --k 8,10,12 --seeds 20 --seed0 100
    .venv/bin/python bench/subproblems_sa_tuning.py --factor 0.51 --reduction none  # ablation
    .venv/bin/python bench/subproblems_sa_tuning.py --default-beta --margin 1.02     # ablation

For each K and seed: ``random_route_tsp(K, seed)`` (route), or ``random_route_tsp(K + 1, seed)``
with its last node as the fixed end (path window); BQM from ``qroute.qubo.tsp.tsp_bqm``, sampler
``dwave.samplers.SimulatedAnnealingSampler`` with ``qroute.qubo.tsp.annealing_parameters`` (the
options below override single entries), samples decoded by ``qroute.qubo.tsp.decode`` (cheapest
valid raw sample; no local search; repair only if no sample is valid, counted in "repaired").
Gap is against ``qroute.qubo.held_karp.held_karp``. Time per subproblem is penalty + BQM build +
sampling + decoding, wall clock and this process's CPU time (the two differ when the machine
is shared), medians over seeds. ``--certify`` runs the exact penalty-threshold DP
(``qroute.qubo.tsp.penalty_threshold``) and counts instances whose penalty A exceeded A*
(ground state = optimal tour).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from dwave.samplers import SimulatedAnnealingSampler  # noqa: E402

from qroute.model.subproblem import Subproblem, random_route_tsp  # noqa: E402
from qroute.qubo import tsp as qubo  # noqa: E402
from qroute.qubo.held_karp import held_karp  # noqa: E402


def path_tsp(k: int, seed: int) -> Subproblem:
    """A path window with k free stops: random_route_tsp(k + 1) with node k + 1 as fixed end."""
    base = random_route_tsp(k + 1, seed)
    return Subproblem("path", base.distances, base.nodes, f"random-path-k{k}-s{seed}")


def make(kind: str, k: int, seed: int) -> Subproblem:
    return random_route_tsp(k, seed) if kind == "route" else path_tsp(k, seed)


@dataclass
class Row:
    gap: float
    feasible: float
    repaired: bool
    wall: float
    cpu: float
    exact: bool | None


def solve_one(
    sub: Subproblem, args: argparse.Namespace, sampler: SimulatedAnnealingSampler, seed: int
) -> tuple[qubo.Decoded, float, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    a = qubo.penalty_weight(sub, args.factor, reduction=args.reduction, margin=args.margin)
    bqm = qubo.tsp_bqm(sub, a, reduction=args.reduction, break_symmetry=args.symmetry)
    params = qubo.annealing_parameters(sub, args.time_budget, penalty=a)
    if args.reads is not None:
        params["num_reads"] = args.reads
    if args.sweeps is not None:
        params["num_sweeps"] = args.sweeps
    if args.default_beta:
        params.pop("beta_range", None)
    elif args.hot is not None or args.cold is not None:
        hot = args.hot if args.hot is not None else qubo.HOT_TEMPERATURE
        cold = args.cold if args.cold is not None else qubo.COLD_TEMPERATURE
        params["beta_range"] = [1.0 / (hot * a), 1.0 / (cold * a)]
    if args.randomize_order:
        params["randomize_order"] = True
    if args.gibbs:
        params["proposal_acceptance_criteria"] = "Gibbs"
    if args.schedule is not None:
        params["beta_schedule_type"] = args.schedule
    sampleset = sampler.sample(bqm, seed=seed, **params)
    decoded = qubo.decode(sampleset, sub)
    return decoded, time.perf_counter() - wall0, time.process_time() - cpu0


def run(args: argparse.Namespace) -> None:
    sampler = SimulatedAnnealingSampler()
    ks = parse_ks(args.k)
    kinds = ["route", "path"] if args.kind == "both" else [args.kind]
    print(f"# {' '.join(sys.argv)}")
    first = make(kinds[0], ks[-1], 0)
    shown = qubo.annealing_parameters(first, args.time_budget)
    print(
        f"# defaults at K={ks[-1]}: {shown}; factor rule: "
        f"{'certified' if args.factor is None else args.factor}, reduction={args.reduction}, "
        f"break_symmetry={args.symmetry}"
    )
    header = (
        f"{'kind':<6}{'K':>3}{'n':>4}{'mean gap%':>10}{'max gap%':>9}{'opt hit':>8}"
        f"{'raw feas':>9}{'min feas':>9}{'repaired':>9}{'wall s':>8}{'cpu s':>7}"
    )
    if args.certify:
        header += f"{'A>A*':>7}"
    print(header)
    for kind in kinds:
        for k in ks:
            rows: list[Row] = []
            for seed in range(args.seed0, args.seed0 + args.seeds):
                sub = make(kind, k, seed)
                _, opt = held_karp(sub)
                decoded, wall, cpu = solve_one(sub, args, sampler, seed)
                exact = None
                if args.certify:
                    a = qubo.penalty_weight(sub, args.factor, args.reduction, args.margin)
                    exact = a > qubo.penalty_threshold(sub, reduction=args.reduction)
                gap = 100.0 * (decoded.cost - opt) / opt
                rows.append(
                    Row(
                        gap if abs(gap) > 1e-9 else 0.0,
                        decoded.raw_feasible_rate,
                        decoded.repaired,
                        wall,
                        cpu,
                        exact,
                    )
                )
            gaps = [r.gap for r in rows]
            line = (
                f"{kind:<6}{k:>3}{len(rows):>4}{np.mean(gaps):>10.2f}{np.max(gaps):>9.2f}"
                f"{sum(g < 1e-6 for g in gaps):>5}/{len(rows):<2}"
                f"{np.mean([r.feasible for r in rows]):>9.2f}"
                f"{np.min([r.feasible for r in rows]):>9.2f}"
                f"{sum(r.repaired for r in rows):>9}"
                f"{statistics.median(r.wall for r in rows):>8.3f}"
                f"{statistics.median(r.cpu for r in rows):>7.3f}"
            )
            if args.certify:
                line += f"{sum(bool(r.exact) for r in rows):>4}/{len(rows)}"
            print(line, flush=True)


def parse_ks(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(x) for x in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", default="4-12", help="sizes: 4-12 or 8,10,12")
    parser.add_argument("--kind", choices=["route", "path", "both"], default="route")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--seed0", type=int, default=0)
    parser.add_argument("--time-budget", type=float, default=qubo.DEFAULT_TIME_BUDGET)
    parser.add_argument("--factor", type=float, default=None, help="penalty factor (A = f·B)")
    parser.add_argument(
        "--margin",
        type=float,
        default=qubo.CERTIFIED_MARGIN,
        help="A = margin x certified penalty (exact for margin > 1)",
    )
    parser.add_argument("--reduction", choices=qubo.REDUCTIONS, default="assignment")
    parser.add_argument(
        "--symmetry",
        dest="symmetry",
        action="store_const",
        const=None,
        default=None,
        help="break the route reversal symmetry (default)",
    )
    parser.add_argument("--no-symmetry", dest="symmetry", action="store_const", const=False)
    parser.add_argument("--reads", type=int, default=None)
    parser.add_argument("--sweeps", type=int, default=None)
    parser.add_argument("--hot", type=float, default=None, help="hot temperature / A")
    parser.add_argument("--cold", type=float, default=None, help="cold temperature / A")
    parser.add_argument("--default-beta", action="store_true", help="dwave-samplers' β range")
    parser.add_argument("--schedule", choices=["geometric", "linear"], default=None)
    parser.add_argument("--randomize-order", action="store_true")
    parser.add_argument("--gibbs", action="store_true", help="Gibbs instead of Metropolis")
    parser.add_argument("--certify", action="store_true", help="check A > A* (exact DP)")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
