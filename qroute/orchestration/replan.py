"""The `replan` flow: re-optimise a solved plan from events given as parameters.

Events arrive as the flow's parameters (a list of event objects, the same fields as a line
of `qroute replan --events`), so a deployment run, an API call or an automation reacting
to a Prefect event can trigger it. Each replan is stored beside the nightly results
(`runs/replans/<UTC stamp>/`, next to `runs/nightly/`): the events as events.jsonl, the
new plan folder, and a Markdown artifact with the before/after numbers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from pydantic import Field


@flow(name="replan", log_prints=True)
def replan_flow(
    plan: str,
    events: list[dict[str, Any]],
    at: str | None = None,
    time_limit: Annotated[float, Field(gt=0, le=600)] = 5.0,
    seed: int = 0,
    out_root: str = "runs/replans",
) -> dict[str, Any]:
    """Apply `events` to the plan folder `plan` at `at` (HH:MM); the new plan's summary."""
    import warnings

    from qroute.reporting.replan_output import run_replan

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(out_root) / stamp
    folder.mkdir(parents=True, exist_ok=True)
    events_file = folder / "events.jsonl"
    events_file.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        payload = run_replan(plan, events_file, at, time_limit, seed, folder / "plan")
    before, after = payload["before"], payload["after"]
    create_markdown_artifact(
        key="replan",
        markdown=(
            f"**replan at {payload['replanned_at']}** of `{plan}`: {payload['status']}; "
            f"cost {before['cost']:.1f} -> {after['cost']:.1f}, lateness "
            f"{before['lateness']:.1f} -> {after['lateness']:.1f}; "
            f"moved {len(payload['diff']['moved'])}, added {len(payload['diff']['added'])}, "
            f"dropped {len(payload['diff']['dropped'])}; new plan in `{payload['out']}`"
        ),
        description="qroute replan",
    )
    keys = ("out", "replanned_at", "status", "feasible", "cost", "unserved", "diff")
    return {k: payload[k] for k in (*keys, "before", "after")}
