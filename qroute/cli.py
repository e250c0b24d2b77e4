"""The `qroute` command line."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from qroute.errors import InputError, UsageError
from qroute.problem import Problem

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _COMMANDS[name] = handler
        return handler

    return register


def load_problem(spec: str, size: int | None = None, seed: int | None = None) -> Problem:
    """An instance path, an instance name from the data folder, or 'yangtze-delta'."""
    from qroute.data import find_instance
    from qroute.instances import read_instance
    from qroute.scenario import SCENARIO_NAME, yangtze_delta

    if spec == SCENARIO_NAME:
        try:
            return yangtze_delta(
                num_customers=size if size is not None else 60,
                seed=seed if seed is not None else 2026,
            )
        except ValueError as exc:
            raise InputError(SCENARIO_NAME, str(exc)) from None
    path = Path(spec)
    if not path.exists() and path.suffix == "":
        found = find_instance(spec)
        if found is not None:
            path = found
    return read_instance(path)


def print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=2, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return str(value)


@command("validate")
def _validate(args: argparse.Namespace) -> int:
    from qroute.instances import read_instance, read_solution
    from qroute.validation import validate

    problem = read_instance(args.instance)
    routes, cost = read_solution(args.solution)
    report = validate(problem, routes, cost)
    print_json({"instance": problem.name, **report.as_dict()})
    return 0 if report.feasible else 1


@command("baseline")
def _baseline(args: argparse.Namespace) -> int:
    from qroute.baselines import BASELINES
    from qroute.report import baseline_payload
    from qroute.solver import Budget, Solver

    problem = load_problem(args.instance, args.size, args.scenario_seed)
    solver: Solver[Problem] = BASELINES[args.solver]()
    result = solver.solve(problem, Budget(time_limit=args.time_limit, seed=args.seed))
    payload = baseline_payload(problem, result, solver.name)
    if args.out:
        from qroute.instances import write_solution

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_solution(out / "solution.sol", result.routes, payload["cost"])
        (out / "result.json").write_text(json.dumps(payload, indent=2, default=_jsonable))
    print_json(payload)
    return 0 if payload["feasible"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qroute", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a .sol file against an instance")
    p.add_argument("--instance", required=True)
    p.add_argument("--solution", required=True)

    p = sub.add_parser("baseline", help="solve with a classical baseline")
    p.add_argument(
        "--instance", default="yangtze-delta", help="path, instance name or yangtze-delta"
    )
    p.add_argument("--solver", choices=["pyvrp", "ortools", "savings"], default="pyvrp")
    p.add_argument("--time-limit", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=None, help="customers in the generated scenario")
    p.add_argument("--scenario-seed", type=int, default=None)
    p.add_argument("--out", default=None)

    # the later layers' subcommands
    from qroute import commands, quantum_commands, rail_commands, report_commands

    commands.add_parsers(sub)
    quantum_commands.add_parsers(sub)
    report_commands.add_parsers(sub)
    rail_commands.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `qroute ... | head` ends quietly
    from qroute.cloud import install_log_redaction
    from qroute.cloud import register as register_cloud

    install_log_redaction()  # no credential, token or signed URL reaches a log line
    register_cloud()  # the Braket and D-Wave Leap backends
    try:
        return _COMMANDS[args.command](args)
    except (InputError, UsageError) as exc:
        print(f"qroute: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # `python -m qroute.cli`: use the module the commands register in
    from qroute.cli import main as registered_main

    sys.exit(registered_main())
