"""The hardware comparison on the decisions that shape a plan: route-selection sub-problems cut
from a real PyVRP pool (HiGHS MIP optimum) and rail assignment windows (enumerated optimum),
every backend through the library loop the hardware-comparison flow runs (no Prefect here;
one 3-stop route-TSP per backend rides along, as the loop always starts with route-TSPs).
Prints the per-kind Markdown summary; the JSONL records go to --out.

    .venv/bin/python bench/decisions_comparison.py --instances X-n101-k25 --pool-seconds 5 \\
        --backends exact,dwave-sa,dwave-tabu,qaoa-statevector --rail-windows 4
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from qroute.orchestration.hardware_comparison import rail_cases
from qroute.reporting.comparison import run_comparison, selection_cases, summary_markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="X-n101-k25")
    parser.add_argument("--pool-seconds", type=float, default=5.0)
    parser.add_argument("--sizes", default="12,16,40,100", help="most columns per cut")
    parser.add_argument("--cuts", type=int, default=2)
    parser.add_argument("--rail-windows", type=int, default=4)
    parser.add_argument("--backends", default="exact,dwave-sa,dwave-tabu,qaoa-statevector")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    one, five, _ = os.getloadavg()
    print(f"machine load {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs")
    start = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",")]
    cases = [
        case
        for name in args.instances.split(",")
        for case in selection_cases(
            name, pool_seconds=args.pool_seconds, sizes=sizes, cuts=args.cuts
        )
    ]
    cases += rail_cases(args.rail_windows)
    print(f"{len(cases)} cases built in {time.perf_counter() - start:.1f} s")
    out = args.out or tempfile.mkdtemp(prefix="decisions-")
    records = run_comparison(
        sizes=(3,), seeds=1, backends=args.backends.split(","), out_dir=out, extra_cases=cases
    )
    print(summary_markdown(records, out))


if __name__ == "__main__":
    main()
