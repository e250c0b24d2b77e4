"""Time per QAOA expectation value: our StatevectorQAOA vs PennyLane lightning.qubit.

Random dense Ising models (all couplings, seeded), depth p, fixed random angles. PennyLane
evaluates ``qml.expval(H_C)`` analytically on ``lightning.qubit``; ours uses the cost vector
(built once per problem, its time printed separately). Both values are checked to agree.
Times are the best and the median of ``2 x --repeats`` calls (wall clock); ours and lightning
take turns in blocks so both see the same machine load. Speed-up: ratio of best / of median.

    .venv/bin/python bench/qaoa_speed.py [--qubits 16 20] [--p 2] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from qroute.circuits.ising import random_ising
from qroute.circuits.pennylane import make_qnode
from qroute.circuits.qaoa import StatevectorQAOA


def _interleaved(
    fns: list[Callable[[], float]], repeats: int, rounds: int = 2
) -> list[tuple[float, float, float]]:
    """``(best, median, value)`` per function over ``rounds * repeats`` timed calls.

    The functions take turns in blocks (one untimed warm-up call, then ``repeats`` timed
    calls) so that both see similar machine load, while one library's busy worker threads
    are not billed to the other's calls.
    """
    values: list[float] = [0.0] * len(fns)
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            values[i] = fn()
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                times[i].append(time.perf_counter() - start)
    return [(min(ts), statistics.median(ts), v) for ts, v in zip(times, values, strict=True)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, nargs="+", default=[16, 20])
    parser.add_argument("--p", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-qubit", action="store_true", help="also time mixer='per-qubit'")
    parser.add_argument("--threads", type=int, default=None, help="StatevectorQAOA num_threads")
    args = parser.parse_args(argv)

    print(
        f"cpus={os.cpu_count()} threads={args.threads or 'default'} p={args.p} "
        f"repeats=2x{args.repeats} (times in ms: best/median)"
    )
    header = (
        f"{'n':>3} {'terms':>6} {'cost-vec':>9} {'ours':>15} {'lightning':>17} {'speed-up':>12}"
    )
    print(header + ("  per-qubit" if args.per_qubit else ""))
    rng = np.random.default_rng(args.seed)
    for n in args.qubits:
        model = random_ising(n, seed=args.seed + n)
        gammas = list(rng.uniform(0.1, 0.5, args.p))
        betas = list(rng.uniform(-0.6, -0.1, args.p))
        start = time.perf_counter()
        sim = StatevectorQAOA(model, num_threads=args.threads)
        build = time.perf_counter() - start
        qnode = make_qnode(model, "expval", device="lightning.qubit")
        ours, theirs = _interleaved(
            [partial(sim.expectation, gammas, betas), partial(qnode, gammas, betas)], args.repeats
        )
        if abs(ours[2] - theirs[2]) > 1e-8 * max(1.0, abs(theirs[2])):
            raise AssertionError(f"n={n}: ours {ours[2]!r} != lightning {theirs[2]!r}")
        line = (
            f"{n:>3} {len(model.J) + n:>6} {build * 1e3:>9.1f} "
            f"{ours[0] * 1e3:>7.1f}/{ours[1] * 1e3:<7.1f} "
            f"{theirs[0] * 1e3:>8.1f}/{theirs[1] * 1e3:<8.1f} "
            f"{theirs[0] / ours[0]:>6.1f}x/{theirs[1] / ours[1]:.1f}x"
        )
        if args.per_qubit:
            ref = StatevectorQAOA(energies=sim.energies, mixer="per-qubit")
            slow = _interleaved([partial(ref.expectation, gammas, betas)], args.repeats)[0]
            line += f"  {slow[0] * 1e3:.1f} ({theirs[0] / slow[0]:.1f}x)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
