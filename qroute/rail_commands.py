"""`qroute rail`: high-speed-rail cargo planning with truck first/last mile.

The logic is in plain functions (`rail_main`) so another CLI front end can call it as is.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qroute.cli import command
from qroute.errors import UsageError

DEFAULT_RAIL_TIME_LIMIT = 20.0


def add_parsers(sub: Any) -> None:  # argparse's _SubParsersAction is private
    from qroute.rail.samplers import RAIL_POLICIES
    from qroute.rail.scenario import (
        DEFAULT_CONSIGNMENTS,
        DEFAULT_SEED,
        DEFAULT_SERVICES,
        SCENARIO_NAME,
    )

    p = sub.add_parser(
        "rail",
        help="plan HSR cargo (trains + first/last-mile vans) with window QUBOs vs a MIP",
    )
    p.add_argument("--scenario", default=None, help=f"embedded scenario ({SCENARIO_NAME})")
    p.add_argument("--timetable", default=None, help="timetable CSV (docs/rail.md)")
    p.add_argument("--consignments", default=None, help="consignments CSV (docs/rail.md)")
    p.add_argument(
        "--disrupt",
        default=None,
        metavar="SERVICE:+MIN|SERVICE:cancel@HH:MM",
        help="delay (SERVICE:+MIN[@HH:MM]) or cancel a service, then replan",
    )
    p.add_argument("--policy", choices=RAIL_POLICIES, default="local")
    p.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_RAIL_TIME_LIMIT,
        help=f"seconds for the QUBO windows and again for the MIP "
        f"(default {DEFAULT_RAIL_TIME_LIMIT:g})",
    )
    p.add_argument("--out", default=None, help="output folder (default runs/rail-<time>)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shots", type=int, default=None, help="reads / shots per window")
    p.add_argument(
        "--size", type=int, default=DEFAULT_CONSIGNMENTS, help="consignments in the scenario"
    )
    p.add_argument(
        "--services", type=int, default=DEFAULT_SERVICES, help="services in the scenario"
    )
    p.add_argument("--scenario-seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--no-mip", action="store_true", help="skip the MIP reference")


def load_network(args: argparse.Namespace) -> Any:
    """The network named by --scenario or by --timetable and --consignments."""
    from qroute.rail.io import read_network
    from qroute.rail.scenario import SCENARIO_NAME, hsr_yangtze

    files = (args.timetable, args.consignments)
    if any(files):
        if args.scenario:
            raise UsageError("give --scenario or --timetable with --consignments, not both")
        if not all(files):
            raise UsageError("--timetable and --consignments go together")
        return read_network(args.timetable, args.consignments)
    scenario = args.scenario or SCENARIO_NAME
    if scenario != SCENARIO_NAME:
        raise UsageError(f"unknown rail scenario {scenario!r}; the embedded one is {SCENARIO_NAME}")
    if args.size < 1 or args.services < 1:
        raise UsageError("--size and --services must be at least 1")
    return hsr_yangtze(args.size, args.services, args.scenario_seed)


def rail_main(args: argparse.Namespace) -> int:
    from qroute.rail.plan import RailConfig
    from qroute.rail.run import run_rail

    if args.time_limit <= 0:
        raise UsageError("--time-limit must be positive")
    net = load_network(args)
    out = Path(args.out or Path("runs") / f"rail-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
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


@command("rail")
def _rail(args: argparse.Namespace) -> int:
    return rail_main(args)
