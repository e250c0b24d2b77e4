"""The nightly rail plan (orchestration only): `qroute.rail.run.run_rail` on the embedded
corridor scenario (or a user's timetable and consignments), its result.json / summary.md /
corridor.png in the run folder, and a Markdown artifact with cost, gap to the MIP and the
provenance classes of the windows.

    python -m flows.rail                       # defaults: hsr-yangtze, 200 consignments
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from pydantic import Field

RailPolicy = Literal[
    "local", "bitflip", "tabu", "mixed", "qaoa", "annealer", "hybrid", "cqm", "exact"
]


@flow(name="nightly-rail-plan", log_prints=True)
def nightly_rail_plan(
    consignments: Annotated[int, Field(ge=1, le=20000)] = 200,
    services: Annotated[int, Field(ge=1, le=2000)] = 40,
    scenario_seed: int = 2026,
    timetable: str | None = None,
    consignments_file: str | None = None,
    policy: RailPolicy = "local",
    time_limit: Annotated[float, Field(gt=0, le=3600)] = 60.0,
    disrupt: str | None = None,
    seed: int = 0,
    out_root: str = "runs/rail",
) -> dict[str, Any]:
    """Plan the night's consignments; returns the result.json payload."""
    from qroute.rail.io import read_network
    from qroute.rail.plan import RailConfig
    from qroute.rail.report import summary_markdown
    from qroute.rail.run import run_rail
    from qroute.rail.scenario import hsr_yangtze

    if timetable and consignments_file:
        net = read_network(timetable, consignments_file)
    else:
        net = hsr_yangtze(consignments, services, scenario_seed)
    out = Path(out_root) / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    config = RailConfig(policy=policy, time_limit=time_limit, seed=seed)
    payload = run_rail(net, config, disrupt=disrupt, out_dir=out)
    print(
        f"{payload['scenario']}: cost {payload['cost']:.2f}, feasible {payload['feasible']}, "
        f"gap to MIP {payload['gap_to_mip_percent']} %"
    )
    create_markdown_artifact(
        key="nightly-rail-plan",
        markdown=summary_markdown(payload),
        description=f"rail plan {payload['scenario']}",
    )
    return payload


if __name__ == "__main__":
    nightly_rail_plan()
