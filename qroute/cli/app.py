"""The `qroute` command line: a typer app, run by `main` (the `qroute` console script).

Commands live in the modules of COMMAND_MODULES; each registers its commands on `app`
with `@app.command(...)` when imported. Adding a command module is one line there.

Exit codes: 0 ok; 1 the answer is infeasible or a run failed; 2 bad input or bad arguments,
reported as one line `qroute: error: ...` on stderr, never a traceback.
"""

from __future__ import annotations

import functools
import json
import signal
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from qroute.model.errors import UsageError
from qroute.model.loader import load_problem
from qroute.model.problem import Problem

app = typer.Typer(
    name="qroute",
    help="The `qroute` command line.",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help text, as before
    pretty_exceptions_enable=False,
)

# The modules that register commands on `app` (imported once, by `build_app`).
COMMAND_MODULES: tuple[str, ...] = (
    "qroute.cli.commands",  # solve
    "qroute.cli.quantum_commands",  # backends, subproblem
    "qroute.cli.report_commands",  # compare, report
    "qroute.cli.bundle_commands",  # keys, bundle
    "qroute.cli.replan_commands",  # replan
    "qroute.cli.cold_chain_commands",  # cold-chain
    "qroute.cli.rail_commands",  # rail
    "qroute.cli.profile_commands",  # profiles refresh
    "qroute.cli.server_commands",  # prefect-server status, stop
)


def option(*names: str, **settings: Any) -> Any:
    """A `typer.Option` whose help shows no default (help texts say it where it matters)."""
    settings.setdefault("show_default", False)
    return typer.Option(*names, **settings)


def choice(*values: str) -> click.Choice:
    """The click type of an option that takes one of `values`."""
    return click.Choice(values)


def print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=2, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return str(value)


InstanceOption = Annotated[str, option("--instance", help="path, instance name or yangtze-delta")]
SizeOption = Annotated[int | None, option("--size", help="customers in the generated scenario")]
ScenarioSeedOption = Annotated[int | None, option("--scenario-seed")]


@app.command("validate", help="check a .sol file against an instance")
def validate_command(
    instance: Annotated[str, option("--instance")],
    solution: Annotated[str, option("--solution")],
) -> int:
    from qroute.model.instances import read_solution
    from qroute.model.validation import validate

    problem = load_problem(instance)  # a path or a name, as in every command
    routes, cost = read_solution(solution)
    report = validate(problem, routes, cost)
    print_json({"instance": problem.name, **report.as_dict()})
    return 0 if report.feasible else 1


@app.command("baseline", help="solve with a classical baseline")
def baseline_command(
    instance: InstanceOption = "yangtze-delta",
    solver_name: Annotated[
        str, option("--solver", click_type=choice("pyvrp", "ortools", "savings"))
    ] = "pyvrp",
    time_limit: Annotated[float, option("--time-limit")] = 10.0,
    seed: Annotated[int, option("--seed")] = 0,
    size: SizeOption = None,
    scenario_seed: ScenarioSeedOption = None,
    out: Annotated[str | None, option("--out")] = None,
) -> int:
    from qroute.baselines import BASELINES
    from qroute.model.solver import Budget, Solver
    from qroute.reporting.report import baseline_payload

    problem = load_problem(instance, size, scenario_seed)
    solver: Solver[Problem] = BASELINES[solver_name]()
    result = solver.solve(problem, Budget(time_limit=time_limit, seed=seed))
    payload = baseline_payload(problem, result, solver.name)
    if out:
        from qroute.model.instances import write_solution

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        write_solution(folder / "solution.sol", result.routes, payload["cost"])
        (folder / "result.json").write_text(json.dumps(payload, indent=2, default=_jsonable))
    print_json(payload)
    return 0 if payload["feasible"] else 1


_BUILT = False


def build_app() -> typer.Typer:
    """`app` with every command module's commands registered."""
    global _BUILT
    if not _BUILT:
        for name in COMMAND_MODULES:
            import_module(name)
        for info in app.registered_commands:
            info.callback = _checked(info.name or "", info.callback)
        # help lists app.py's commands, then each module's, in COMMAND_MODULES order
        order = {name: rank for rank, name in enumerate((__name__, *COMMAND_MODULES))}
        app.registered_commands.sort(
            key=lambda info: order.get(getattr(info.callback, "__module__", ""), len(order))
        )
        _BUILT = True
    return app


def _checked(name: str, callback: Any) -> Any:
    """`callback` with the shared argument-range checks (qroute.cli.arguments) run first."""
    from qroute.cli.arguments import check_arguments

    @functools.wraps(callback)
    def checked(**values: Any) -> Any:
        check_arguments(name, values)  # identical ranges in every command
        return callback(**values)

    return checked


def command_names() -> list[str]:
    """The registered command names, in help order."""
    group = typer.main.get_command(build_app())
    assert isinstance(group, click.Group)
    return list(group.commands)


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command line; returns its exit code. Bad input and bad arguments raise
    (InputError, UsageError, click.UsageError): `main` turns them into one line."""
    group = typer.main.get_command(build_app())
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = group.main(args=args, prog_name="qroute", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        raise click.UsageError(f"a command is required: {', '.join(command_names())}") from exc
    except click.exceptions.Abort:
        return 1
    return int(code or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """The `qroute` console script: run the command line, map errors to exit codes."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `qroute ... | head` ends quietly
    from qroute.cli.errors import run_guarded
    from qroute.cloud import install_log_redaction
    from qroute.cloud import register as register_cloud

    def guarded() -> int:
        install_log_redaction()  # no credential, token or signed URL reaches a log line
        register_cloud()  # the Braket and D-Wave Leap backends
        try:
            return run(argv)
        except click.UsageError as exc:
            raise UsageError(_one_line(exc.format_message())) from None

    return run_guarded(guarded)  # expected failures: one line, exit 2; others: 1 + a log


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":  # `python -m qroute.cli.app`: use the module the commands register in
    from qroute.cli.app import main as registered_main

    sys.exit(registered_main())
