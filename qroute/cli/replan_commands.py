"""`qroute replan`: re-optimise a plan in motion from a JSON-lines file of events."""

from __future__ import annotations

from typing import Annotated

from qroute.cli.app import app, option, print_json


@app.command("replan", help="apply events to a solved plan and re-optimise it")
def replan_command(
    plan: Annotated[str, option("--plan", help="a folder `qroute solve` (or replan) wrote")],
    events: Annotated[str, option("--events", help="JSON lines: one event per line")],
    at: Annotated[
        str | None, option("--at", help="replan time HH:MM (default: the last event's)")
    ] = None,
    time_limit: Annotated[float, option("--time-limit", help="seconds for the improvement")] = 5.0,
    seed: Annotated[int, option("--seed")] = 0,
    out: Annotated[
        str | None, option("--out", help="new plan folder (default <plan>-replan-HHMM)")
    ] = None,
) -> int:
    import warnings

    from qroute.reporting.replan_output import run_replan

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyVRP's penalty warnings are not for the terminal
        payload = run_replan(plan, events, at, time_limit, seed, out)
    keys = ("out", "replanned_at", "status", "feasible", "cost", "served", "unserved", "diff")
    print_json({k: payload[k] for k in (*keys, "before", "after", "repaired", "improved")})
    return 0 if payload["feasible"] else 1
