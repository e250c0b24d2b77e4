"""`qroute rail`: high-speed-rail cargo planning with truck first/last mile.

The logic is in plain functions (`rail_main`) so another CLI front end can call it as is.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from qroute.cli.app import app, choice, option
from qroute.cli.cloud_commands import BudgetUsdOption
from qroute.model.errors import UsageError
from qroute.rail.model import RAIL_POLICIES
from qroute.rail.scenario import (
    DEFAULT_CONSIGNMENTS,
    DEFAULT_SEED,
    DEFAULT_SERVICES,
    SCENARIO_NAME,
)

DEFAULT_RAIL_TIME_LIMIT = 20.0


@dataclass(frozen=True)
class RailArguments:
    """The options of `qroute rail` (what `rail_main` takes)."""

    scenario: str | None = None
    timetable: str | None = None
    consignments: str | None = None
    disrupt: str | None = None
    policy: str = "local"
    time_limit: float = DEFAULT_RAIL_TIME_LIMIT
    out: str | None = None
    seed: int = 0
    shots: int | None = None
    size: int = DEFAULT_CONSIGNMENTS
    services: int = DEFAULT_SERVICES
    scenario_seed: int = DEFAULT_SEED
    no_mip: bool = False
    budget_usd: float | None = None


def load_network(args: RailArguments) -> Any:
    """The network named by --scenario or by --timetable and --consignments."""
    from qroute.rail.io import read_network
    from qroute.rail.scenario import SCENARIO_NAME, hsr_yangtze

    files = (args.timetable, args.consignments)
    if any(files):
        if args.scenario:
            raise UsageError("give --scenario or --timetable with --consignments, not both")
        if args.timetable is None or args.consignments is None:
            raise UsageError("--timetable and --consignments go together")
        return read_network(args.timetable, args.consignments)
    scenario = args.scenario or SCENARIO_NAME
    if scenario != SCENARIO_NAME:
        raise UsageError(f"unknown rail scenario {scenario!r}; the embedded one is {SCENARIO_NAME}")
    if args.size < 1 or args.services < 1:
        raise UsageError("--size and --services must be at least 1")
    return hsr_yangtze(args.size, args.services, args.scenario_seed)


def rail_main(args: RailArguments) -> int:
    from qroute.rail.plan import RailConfig
    from qroute.rail.run import run_rail

    if args.time_limit <= 0:
        raise UsageError("--time-limit must be positive")
    net = load_network(args)
    out = Path(args.out or Path("runs") / f"rail-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    from qroute.rail.samplers import is_paid_policy

    if is_paid_policy(args.policy):  # the run budget and the ledger (in --out) of paid windows
        from qroute.cli.cloud_commands import CloudOptions, configure_from_args

        configure_from_args(CloudOptions(budget_usd=args.budget_usd), run_dir=out)
    config = RailConfig(
        policy=args.policy,
        time_limit=args.time_limit,
        seed=args.seed,
        shots=args.shots,
        mip=not args.no_mip,
    )
    payload = run_rail(net, config, disrupt=args.disrupt, out_dir=out)
    gap = payload["gap_to_mip_percent"]
    prov = payload["provenance"]["windows_adopted"]
    print(
        f"{payload['scenario']}: cost {payload['cost']:,.2f} CNY, feasible {payload['feasible']}, "
        f"gap to MIP {'–' if gap is None else f'{gap:.3f} %'}; windows adopted {prov}"
    )
    if payload.get("disruption"):
        d = payload["disruption"]
        print(
            f"disruption {d['description']}: {len(d['affected'])} replanned in "
            f"{d['replan_seconds']:.2f} s"
        )
    print(f"wrote {out}/result.json, summary.md, corridor.png", file=sys.stderr)
    return 0 if payload["feasible"] else 1


@app.command(
    "rail", help="plan HSR cargo (trains + first/last-mile vans) with window QUBOs vs a MIP"
)
def rail_command(
    scenario: Annotated[
        str | None, option("--scenario", help=f"embedded scenario ({SCENARIO_NAME})")
    ] = None,
    timetable: Annotated[
        str | None, option("--timetable", help="timetable CSV (docs/rail.md)")
    ] = None,
    consignments: Annotated[
        str | None, option("--consignments", help="consignments CSV (docs/rail.md)")
    ] = None,
    disrupt: Annotated[
        str | None,
        option(
            "--disrupt",
            metavar="SERVICE:+MIN|SERVICE:cancel@HH:MM",
            help="delay (SERVICE:+MIN[@HH:MM]) or cancel a service, then replan",
        ),
    ] = None,
    policy: Annotated[
        str,
        option(
            "--policy",
            click_type=choice(*RAIL_POLICIES),
            help="window backends: local (onehot-sa), bitflip, tabu, mixed, qaoa; paid, "
            "ledgered and refused without --budget-usd: annealer (D-Wave QPU), hybrid (Leap "
            "hybrid BQM), cqm (Leap hybrid CQM: one-hot and capacity as constraints); exact "
            "(the MIP alone)",
        ),
    ] = "local",
    time_limit: Annotated[
        float,
        option(
            "--time-limit",
            help="seconds for the QUBO windows and again for the MIP "
            f"(default {DEFAULT_RAIL_TIME_LIMIT:g})",
        ),
    ] = DEFAULT_RAIL_TIME_LIMIT,
    out: Annotated[
        str | None, option("--out", help="output folder (default runs/rail-<time>)")
    ] = None,
    seed: Annotated[int, option("--seed")] = 0,
    shots: Annotated[int | None, option("--shots", help="reads / shots per window")] = None,
    size: Annotated[
        int, option("--size", help="consignments in the scenario")
    ] = DEFAULT_CONSIGNMENTS,
    services: Annotated[
        int, option("--services", help="services in the scenario")
    ] = DEFAULT_SERVICES,
    scenario_seed: Annotated[int, option("--scenario-seed")] = DEFAULT_SEED,
    no_mip: Annotated[bool, option("--no-mip", help="skip the MIP reference")] = False,
    budget_usd: BudgetUsdOption = None,
) -> int:
    return rail_main(RailArguments(**locals()))
