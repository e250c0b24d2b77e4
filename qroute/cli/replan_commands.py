"""`qroute replan`: re-optimise a plan in motion from a JSON-lines file of events."""

from __future__ import annotations

import argparse
from typing import Any

from qroute.cli.app import command, print_json


def add_parsers(sub: Any) -> None:  # argparse's _SubParsersAction is private
    p = sub.add_parser("replan", help="apply events to a solved plan and re-optimise it")
    p.add_argument("--plan", required=True, help="a folder `qroute solve` (or replan) wrote")
    p.add_argument("--events", required=True, help="JSON lines: one event per line")
    p.add_argument("--at", default=None, help="replan time HH:MM (default: the last event's)")
    p.add_argument("--time-limit", type=float, default=5.0, help="seconds for the improvement")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="new plan folder (default <plan>-replan-HHMM)")


@command("replan")
def _replan(args: argparse.Namespace) -> int:
    import warnings

    from qroute.reporting.replan_output import run_replan

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyVRP's penalty warnings are not for the terminal
        payload = run_replan(args.plan, args.events, args.at, args.time_limit, args.seed, args.out)
    keys = ("out", "replanned_at", "status", "feasible", "cost", "served", "unserved", "diff")
    print_json({k: payload[k] for k in (*keys, "before", "after", "repaired", "improved")})
    return 0 if payload["feasible"] else 1
