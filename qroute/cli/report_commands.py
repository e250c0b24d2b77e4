"""`qroute compare` (measure every backend on the same subproblems) and `qroute report`.

qroute compare --sizes 3,4,6 --seeds 2 --out runs     # writes runs/comparison-<ts>.jsonl
qroute report --runs runs --out report.html           # self-contained HTML from runs/
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from qroute.cli.app import app, option
from qroute.model.errors import UsageError


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


@app.command("compare", help="measure every available backend on the same seeded subproblems")
def compare_command(
    sizes_text: Annotated[
        str, option("--sizes", help="comma-separated subproblem sizes k")
    ] = "3,4,6,8",
    seeds: Annotated[int, option("--seeds", help="number of seeds (0..N-1) per size")] = 3,
    backends_text: Annotated[
        str | None,
        option("--backends", help="comma-separated backend names (default: all known)"),
    ] = None,
    shots: Annotated[
        int | None, option("--shots", help="reads / shots (default: backend's)")
    ] = None,
    time_limit: Annotated[float, option("--time-limit", help="per-solve budget, seconds")] = 10.0,
    no_warm_up: Annotated[bool, option("--no-warm-up", help="time the first solve cold")] = False,
    out: Annotated[str, option("--out", help="runs folder for the JSONL (default: runs)")] = "runs",
) -> int:
    from qroute.reporting.comparison import STATUS_ERROR, run_comparison, run_files

    sizes = parse_sizes(sizes_text)
    if seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {seeds}")
    if shots is not None and shots < 1:
        raise UsageError(f"--shots must be at least 1, got {shots}")
    backends = parse_backends(backends_text)
    records = run_comparison(
        sizes=sizes,
        seeds=seeds,
        backends=backends,
        out_dir=out,
        shots=shots,
        time_limit=time_limit,
        warm=not no_warm_up,
        progress=lambda record: print(_line(record), flush=True),
    )
    run_id = records[0]["run_id"] if records else None
    path = next((p for p in run_files(out) if p.stem == run_id), None)
    solved = sum(r["status"] == "ok" for r in records)
    errors = sum(r["status"] == STATUS_ERROR for r in records)
    print(
        f"{solved} of {len(records)} solves ran ({len(records) - solved - errors} skipped, "
        f"{errors} failed); records: {path}"
    )
    return 1 if errors else 0


@app.command("report", help="build the self-contained HTML comparison report")
def report_command(
    runs_dir: Annotated[
        str, option("--runs", help="runs folder or a bundle file (default: runs)")
    ] = "runs",
    out: Annotated[str, option("--out", help="HTML file to write")] = "report.html",
    trust: Annotated[
        list[Path] | None, option("--trust", help="for a bundle: trust file or signing.pub")
    ] = None,
    key: Annotated[str | None, option("--key", help="kem.key, for an encrypted bundle")] = None,
) -> int:
    from qroute.reporting.html_report import build_report

    runs = Path(runs_dir)
    if runs.is_file():  # a signed (maybe encrypted) bundle: verify, extract, then report
        import tempfile

        from qroute.cli.bundle_commands import runs_from_bundle

        with tempfile.TemporaryDirectory(prefix="qroute-bundle-") as tmp:
            kem_key = None if key is None else Path(key)
            folder = runs_from_bundle(runs, list(trust or []), kem_key, Path(tmp) / "runs")
            if folder is None:
                return 1
            written = build_report(folder, out)
        print(f"report written: {written}")
        return 0
    if not runs.is_dir():
        raise UsageError(f"--runs {runs}: no such folder")
    written = build_report(runs, out)
    print(f"report written: {written}")
    return 0
