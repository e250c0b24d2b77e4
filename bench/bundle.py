"""Seal / verify / open time and size overhead of a bundle of a 1,000-customer result.

The run folder is real: the yangtze-delta scenario with 1,000 customers solved by the
savings baseline, written by `qroute.reporting.output.write_outputs` (result.json, solution.sol,
summary.md, routes.png).  Times are medians of `--repeats` runs of the library calls that
`qroute bundle seal/verify/open` make (key loading and process start excluded; keys are
unencrypted).  Also checks `--mutations` random single-byte changes, all of which must be
rejected, and prints the machine load (other processes skew timings).

    .venv/bin/python bench/bundle.py                      # 1,000 customers, 7 repeats
    .venv/bin/python bench/bundle.py --customers 200 --repeats 3 --mutations 10000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from qroute.bundle import (
    BundleError,
    extract,
    generate_keys,
    load_kem_private,
    load_kem_public,
    load_signing_key,
    load_trust,
    open_bundle,
    run_members,
    seal_members,
    verify_bundle,
)


def make_run(folder: Path, customers: int) -> Path:
    from qroute.baselines import BASELINES
    from qroute.model.scenario import yangtze_delta
    from qroute.model.solver import Budget
    from qroute.reporting.output import result_payload, write_outputs

    problem = yangtze_delta(num_customers=customers, seed=2026)
    start = time.perf_counter()
    result = BASELINES["savings"]().solve(problem, Budget(time_limit=30.0, seed=0))
    payload = result_payload(
        problem,
        result.routes,
        wall_seconds=time.perf_counter() - start,
        settings={"policy": "savings", "time_limit": 30.0, "seed": 0},
    )
    write_outputs(folder, problem, result.routes, payload)
    return folder


def median_ms(action: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--mutations", type=int, default=2000)
    args = parser.parse_args()
    load = os.getloadavg()  # other processes skew the timings
    print(f"machine load: {load[0]:.2f} (1 min) {load[1]:.2f} (5 min) on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run = make_run(root / "run", args.customers)
        parties = {}
        for name in ("carrier", "shipper", "warehouse"):
            files = generate_keys(root / name, None)
            parties[name] = (
                load_signing_key(files.signing_key, None),
                load_kem_private(files.kem_key, None),
                load_kem_public(files.kem_pub),
                files.signing_pub,
            )
        trust = load_trust([p[3] for p in parties.values()])
        members = run_members(run)
        plain = sum(len(v) for v in members.values())
        print(f"{args.customers} customers; run folder {plain:,} bytes:")
        for name, data in sorted(members.items()):
            print(f"  {name:<13} {len(data):>10,} bytes")
        carrier, shipper, warehouse = (parties[n] for n in ("carrier", "shipper", "warehouse"))
        cases: list[tuple[str, list[Any], list[Any]]] = [
            ("1 signer", [carrier[0]], []),
            ("2 signers", [carrier[0], shipper[0]], []),
            ("1 signer, 1 recipient", [carrier[0]], [shipper[2]]),
            ("2 signers, 2 recipients", [carrier[0], shipper[0]], [shipper[2], warehouse[2]]),
        ]
        header = f"{'case':<26} {'seal ms':>8} {'verify/open ms':>15} {'bytes':>11} {'overhead':>9}"
        print(header)
        for label, signers, recipients in cases:
            data = seal_members(members, signers, recipients)
            seal = median_ms(partial(seal_members, members, signers, recipients), args.repeats)
            if recipients:
                check = median_ms(partial(open_bundle, data, trust, shipper[1]), args.repeats)
            else:
                check = median_ms(partial(verify_bundle, data, trust), args.repeats)
            overhead = 100 * (len(data) - plain) / plain
            print(f"{label:<26} {seal:8.1f} {check:15.1f} {len(data):11,} {overhead:8.1f} %")
        signed = seal_members(members, [carrier[0]])
        out = root / "extract"
        extract_ms = median_ms(
            lambda: extract(verify_bundle(signed, trust), out / str(time.perf_counter_ns())),
            args.repeats,
        )
        print(f"verify + extract to disk (1 signer): {extract_ms:.1f} ms")

        rng = random.Random(15)
        rejected = 0
        start = time.perf_counter()
        for _ in range(args.mutations):
            i = rng.randrange(len(signed))
            mutant = bytearray(signed)
            mutant[i] = (mutant[i] + rng.randrange(1, 256)) % 256
            try:
                verify_bundle(bytes(mutant), trust)
            except BundleError:
                rejected += 1
        elapsed = time.perf_counter() - start
        print(
            f"single-byte mutations of the {len(signed):,}-byte bundle: {rejected} of "
            f"{args.mutations} rejected ({elapsed:.1f} s, "
            f"{1000 * elapsed / max(args.mutations, 1):.2f} ms each)"
        )


if __name__ == "__main__":
    main()
