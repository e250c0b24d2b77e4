"""`qroute replan`: re-optimise a plan in motion from a JSON-lines file of events."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qroute.cli.app import command, print_json
from qroute.model.errors import InputError, UsageError


def add_parsers(sub: Any) -> None:  # argparse's _SubParsersAction is private
    p = sub.add_parser("replan", help="apply events to a solved plan and re-optimise it")
    p.add_argument("--plan", required=True, help="a folder `qroute solve` (or replan) wrote")
    p.add_argument("--events", required=True, help="JSON lines: one event per line")
    p.add_argument("--at", default=None, help="replan time HH:MM (default: the last event's)")
    p.add_argument("--time-limit", type=float, default=5.0, help="seconds for the improvement")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="new plan folder (default <plan>-replan-HHMM)")


def run_replan(
    plan_dir: str | Path,
    events_path: str | Path,
    at: str | None = None,
    time_limit: float = 5.0,
    seed: int = 0,
    out: str | Path | None = None,
) -> dict[str, Any]:
    """The whole command as a plain function: read, check, replan, write; the payload."""
    import json

    from qroute.hybrid.replan import load_plan, replan
    from qroute.model.events import parse_hhmm, read_events
    from qroute.reporting.replan_output import default_out, write_replan

    plan_dir = Path(plan_dir)
    plan = load_plan(plan_dir)
    events = read_events(events_path)
    when = None
    if at is not None:
        try:
            when = parse_hhmm(at)
        except ValueError as exc:
            raise UsageError(f"--at: {exc}") from None
    if time_limit <= 0:
        raise UsageError(f"--time-limit must be positive, got {time_limit:g}")
    target = Path(out) if out is not None else None
    if target is not None and (
        target.resolve() == plan_dir.resolve() or (target.exists() and any(target.iterdir()))
    ):
        raise InputError(target, "--out must be a new folder, never the old plan or a used one")
    result = replan(plan, events, when, time_limit=time_limit, seed=seed)  # raises on bad events
    target = target or default_out(plan_dir, result.at)
    if target.exists():
        target.rmdir()  # an empty folder given as --out
    write_replan(result, plan.problem, plan_dir, target)
    return dict(json.loads((target / "result.json").read_text(encoding="utf-8")), out=str(target))


@command("replan")
def _replan(args: argparse.Namespace) -> int:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyVRP's penalty warnings are not for the terminal
        payload = run_replan(args.plan, args.events, args.at, args.time_limit, args.seed, args.out)
    keys = ("out", "replanned_at", "status", "feasible", "cost", "served", "unserved", "diff")
    print_json({k: payload[k] for k in (*keys, "before", "after", "repaired", "improved")})
    return 0 if payload["feasible"] else 1
