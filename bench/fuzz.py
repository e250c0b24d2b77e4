"""Fuzz the instance, solution and hardware-profile readers with thousands of seeded mutants.

    python bench/fuzz.py --cases 5000 --seed 0

Prints a table: cases, clean errors, accepted-identical, tracebacks, silently changed (per
reader and in total) and the wall time; exits 1 if any traceback or silent change was found
and lists them. The mutator and the oracle are tests/fuzz/harness.py (the CI suite runs a
few hundred of the same cases).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.harness import OUTCOMES, run_cases  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-real", action="store_true", help="only the built-in fixtures")
    args = parser.parse_args()
    start = time.perf_counter()
    report = run_cases(args.cases, seed=args.seed, include_real=not args.no_real)
    wall = time.perf_counter() - start
    names = {
        "clean": "clean errors",
        "identical": "accepted-identical",
        "traceback": "tracebacks",
        "changed": "silently changed",
    }
    print("| reader | cases | " + " | ".join(names[o] for o in OUTCOMES) + " |")
    print("|---|---:|" + "---:|" * len(OUTCOMES))
    for kind, counts in report.counts.items():
        cells = " | ".join(str(counts[o]) for o in OUTCOMES)
        print(f"| {kind} | {sum(counts.values())} | {cells} |")
    total = " | ".join(f"**{report.total(o)}**" for o in OUTCOMES)
    print(f"| **all** | **{report.total()}** | {total} |")
    print(f"\nseed {args.seed}, wall {wall:.1f} s")
    for failure in report.failures:
        print(failure)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
