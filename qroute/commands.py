"""Sub-commands added by later layers (quantum subproblems, the pipeline, reports)."""

from __future__ import annotations

import argparse
from typing import Any

from qroute.cli import command, load_problem, print_json


def add_parsers(sub: Any) -> None:  # argparse's _SubParsersAction is private
    """Register the parsers of commands defined outside cli.py."""
    p = sub.add_parser("solve", help="the main job (for now: the PyVRP baseline)")
    p.add_argument("--instance", default="yangtze-delta")
    p.add_argument("--time-limit", type=float, default=10.0)
    p.add_argument("--out", default=None)


@command("solve")
def _solve(args: argparse.Namespace) -> int:
    from qroute.baselines import PyVRPSolver
    from qroute.report import baseline_payload
    from qroute.solver import Budget

    problem = load_problem(args.instance)
    result = PyVRPSolver().solve(problem, Budget(time_limit=args.time_limit))
    payload = baseline_payload(problem, result, "pyvrp")
    print_json(payload)
    return 0 if payload["feasible"] else 1
