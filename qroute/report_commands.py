"""`qroute compare` (measure every backend on the same subproblems) and `qroute report`.

qroute compare --sizes 3,4,6 --seeds 2 --out runs     # writes runs/comparison-<ts>.jsonl
qroute report --runs runs --out report.html           # self-contained HTML from runs/
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qroute.cli import command
from qroute.errors import UsageError


def add_parsers(sub: Any) -> None:  # argparse's _SubParsersAction is private
    """Register `compare` and `report` on the `qroute` sub-command parser."""
    p = sub.add_parser(
        "compare", help="measure every available backend on the same seeded subproblems"
    )
    p.add_argument("--sizes", default="3,4,6,8", help="comma-separated subproblem sizes k")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (0..N-1) per size")
    p.add_argument(
        "--backends", default=None, help="comma-separated backend names (default: all known)"
    )
    p.add_argument("--shots", type=int, default=None, help="reads / shots (default: backend's)")
    p.add_argument("--time-limit", type=float, default=10.0, help="per-solve budget, seconds")
    p.add_argument("--no-warm-up", action="store_true", help="time the first solve cold")
    p.add_argument("--out", default="runs", help="runs folder for the JSONL (default: runs)")

    p = sub.add_parser("report", help="build the self-contained HTML comparison report")
    p.add_argument("--runs", default="runs", help="runs folder or a bundle file (default: runs)")
    p.add_argument("--out", default="report.html", help="HTML file to write")
    p.add_argument("--trust", nargs="+", action="extend", default=[], help="for a bundle")
    p.add_argument("--key", default=None, help="kem.key, for an encrypted bundle")


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--sizes must be comma-separated integers, got {text!r}") from None
    if not sizes or any(k < 1 for k in sizes):
        raise UsageError(f"--sizes must be positive integers, got {text!r}")
    return sizes


def parse_backends(text: str | None) -> list[str] | None:
    if text is None:
        return None
    from qroute.backends import backend_names

    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in backend_names()]
    if unknown or not names:
        raise UsageError(
            f"unknown backend(s) {', '.join(unknown) or text!r}; "
            f"known: {', '.join(backend_names())}"
        )
    return names


def _line(record: dict[str, Any]) -> str:
    head = f"{record['backend']:<20} k={record['size']:<2} seed={record['seed']:<2}"
    if record["status"] != "ok":
        return f"{head} {record['status']}: {record['reason']}"
    gap = record["gap_percent"]
    gap_text = "gap    n/a" if gap is None else f"gap {gap:6.2f} %"
    feasible = record["raw_feasible_rate"]
    feasible_text = "" if feasible is None else f"  raw feasible {100 * feasible:5.1f} %"
    return f"{head} {gap_text}  {record['time_to_solution_s']:8.3f} s{feasible_text}"


@command("compare")
def compare_command(args: argparse.Namespace) -> int:
    from qroute.comparison import STATUS_ERROR, run_comparison, run_files

    sizes = parse_sizes(args.sizes)
    if args.seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {args.seeds}")
    if args.shots is not None and args.shots < 1:
        raise UsageError(f"--shots must be at least 1, got {args.shots}")
    backends = parse_backends(args.backends)
    records = run_comparison(
        sizes=sizes,
        seeds=args.seeds,
        backends=backends,
        out_dir=args.out,
        shots=args.shots,
        time_limit=args.time_limit,
        warm=not args.no_warm_up,
        progress=lambda record: print(_line(record), flush=True),
    )
    run_id = records[0]["run_id"] if records else None
    path = next((p for p in run_files(args.out) if p.stem == run_id), None)
    solved = sum(r["status"] == "ok" for r in records)
    errors = sum(r["status"] == STATUS_ERROR for r in records)
    print(
        f"{solved} of {len(records)} solves ran ({len(records) - solved - errors} skipped, "
        f"{errors} failed); records: {path}"
    )
    return 1 if errors else 0


@command("report")
def report_command(args: argparse.Namespace) -> int:
    from qroute.html_report import build_report

    runs = Path(args.runs)
    if runs.is_file():  # a signed (maybe encrypted) bundle: verify, extract, then report
        import tempfile

        from qroute.bundle_commands import runs_from_bundle

        with tempfile.TemporaryDirectory(prefix="qroute-bundle-") as tmp:
            key = None if args.key is None else Path(args.key)
            folder = runs_from_bundle(runs, [Path(t) for t in args.trust], key, Path(tmp) / "runs")
            if folder is None:
                return 1
            out = build_report(folder, args.out)
        print(f"report written: {out}")
        return 0
    if not runs.is_dir():
        raise UsageError(f"--runs {runs}: no such folder")
    out = build_report(runs, args.out)
    print(f"report written: {out}")
    return 0
