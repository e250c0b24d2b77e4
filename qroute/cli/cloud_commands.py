"""CLI pieces for running on real QPUs: budget options, the dry-run plan, the ``cloud`` policy.

The ``solve`` command (qroute.cli.commands) wires them in::

    budget_usd: BudgetUsdOption = None   # --budget-usd, --nightly-budget-usd, --dry-run, ...
    configure_from_args(CloudOptions(...), run_dir=out)   # before any dispatch; ledger in out/
    if args.dry_run:
        print_dry_run(problem, args.policy, args.budget_usd, ...)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from qroute.model.problem import Problem
from qroute.model.subproblem import Subproblem, path_window, route_subproblem

if TYPE_CHECKING:  # qroute.cloud pulls in every backend: imported when a plan is made
    from qroute.cloud.plan import Plan

__all__ = [
    "BudgetUsdOption",
    "CloudOptions",
    "CloudWaitOption",
    "DryRunOption",
    "NightlyBudgetUsdOption",
    "SpendDirOption",
    "cloud_chain",
    "configure_from_args",
    "default_subproblems",
    "policy_chain_for",
    "print_dry_run",
]

#: Routes with at most this many stops go whole; longer ones are cut into windows.
WHOLE_ROUTE_MAX = 10
WINDOW_STOPS = 4


def non_negative(text: str) -> float:
    """A number >= 0 (the parser of the budget and wait options)."""
    try:
        value = float(text)
    except ValueError:
        raise typer.BadParameter(f"expected a number, got {text!r}") from None
    if value < 0 or value != value:
        raise typer.BadParameter(f"expected a number >= 0, got {text!r}")
    return value


_PANEL = "real QPUs (see docs/real-qpus.md)"

BudgetUsdOption = Annotated[
    float | None,
    typer.Option(
        "--budget-usd",
        parser=non_negative,
        metavar="USD",
        show_default=False,
        rich_help_panel=_PANEL,
        help="most this run may spend on cloud QPUs/simulators; without it paid work is refused",
    ),
]
NightlyBudgetUsdOption = Annotated[
    float | None,
    typer.Option(
        "--nightly-budget-usd",
        parser=non_negative,
        metavar="USD",
        show_default=False,
        rich_help_panel=_PANEL,
        help="most one night (noon to noon, local time) may spend, across runs",
    ),
]
SpendDirOption = Annotated[
    str | None,
    typer.Option(
        "--spend-dir",
        show_default=False,
        rich_help_panel=_PANEL,
        help="folder of the nightly spend files (default ~/.qroute/spend or $QROUTE_SPEND_DIR)",
    ),
]
CloudWaitOption = Annotated[
    float | None,
    typer.Option(
        "--cloud-wait-seconds",
        parser=non_negative,
        metavar="SECONDS",
        show_default=False,
        rich_help_panel=_PANEL,
        help="how long to wait for one cloud answer before falling back (default 600)",
    ),
]
DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        show_default=False,
        rich_help_panel=_PANEL,
        help="print each subproblem's device, shots and estimated cost; send nothing",
    ),
]


@dataclass(frozen=True)
class CloudOptions:
    """The cloud options of ``qroute solve``, as parsed."""

    budget_usd: float | None = None
    nightly_budget_usd: float | None = None
    spend_dir: str | None = None
    cloud_wait_seconds: float | None = None
    dry_run: bool = False


def configure_from_args(args: CloudOptions, run_dir: str | Path | None = None) -> None:
    """Apply the cloud options and turn on log redaction.

    ``run_dir`` is the run's folder (the solve command's output folder): the task ledger lives
    there, so rerunning with the same folder resumes the run without submitting twice.
    """
    from qroute.cloud import configure, install_log_redaction
    from qroute.orchestration.secrets import install_dwave_token_source

    install_log_redaction()
    install_dwave_token_source()
    configure(
        budget_usd=getattr(args, "budget_usd", None),
        nightly_budget_usd=getattr(args, "nightly_budget_usd", None),
        spend_dir=getattr(args, "spend_dir", None),
        run_dir=run_dir,
        wait_seconds=getattr(args, "cloud_wait_seconds", None),
    )


def cloud_chain(sub: Subproblem, kind: Any = None) -> list[str]:
    """The ``cloud`` policy chain, for ``Dispatcher(chain=cloud_chain)``."""
    from qroute.cloud.policy import cloud_chain as chain

    return chain(sub) if kind is None else chain(sub, kind)


def policy_chain_for(policy: str) -> Callable[[Subproblem, Any], Sequence[str]]:
    """``cloud`` or one of :data:`qroute.hybrid.dispatch.POLICIES` as a chain rule."""
    if policy == "cloud":
        return cloud_chain
    from qroute.hybrid.dispatch import chain_of

    return chain_of(policy)


def default_subproblems(problem: Problem) -> list[Subproblem]:
    """Subproblems for a dry run when the caller has none: Clarke-Wright routes, each whole
    (up to 10 stops) or cut into windows of 4 stops between fixed neighbours."""
    from qroute.baselines.savings import savings_routes

    subs: list[Subproblem] = []
    for r, route in enumerate(savings_routes(problem), start=1):
        if len(route) <= WHOLE_ROUTE_MAX:
            subs.append(route_subproblem(problem, route, f"route-{r}"))
            continue
        for w, start in enumerate(range(0, len(route), WINDOW_STOPS), start=1):
            k = min(WINDOW_STOPS, len(route) - start)
            subs.append(path_window(problem, route, start, k, f"route-{r}-w{w}"))
    return subs


def print_dry_run(
    problem: Problem,
    policy: str,
    budget_usd: float | None,
    *,
    nightly_budget_usd: float | None = None,
    spend_dir: str | None = None,
    shots: int | None = None,
    seed: int = 0,
    subproblems: Sequence[Subproblem] | None = None,
    assume_available: bool = False,
    as_json: bool = False,
    out: TextIO | None = None,
) -> Plan:
    """Print the dispatch plan (subproblem -> device, shots, estimated cost, total); send nothing.

    ``subproblems`` defaults to :func:`default_subproblems`; ``spend_dir`` defaults to the
    configured one (for what the night has already spent).
    """
    from qroute.cloud import current_settings
    from qroute.cloud.credentials import redact
    from qroute.cloud.plan import plan_dispatches

    subs = list(subproblems) if subproblems is not None else default_subproblems(problem)
    settings = current_settings()
    plan = plan_dispatches(
        subs,
        policy_chain_for(policy),
        policy=policy,
        budget_usd=budget_usd,
        nightly_budget_usd=nightly_budget_usd,
        spend_dir=spend_dir if spend_dir is not None else settings.spend_dir,
        shots=shots,
        seed=seed,
        assume_available=assume_available,
    )
    stream = out or sys.stdout
    if as_json:
        payload: Any = redact(
            {"problem": problem.name, "run_id": settings.run_id, **plan.as_dict()}
        )
        stream.write(json.dumps(payload, indent=2) + "\n")
    else:
        stream.write(f"Problem {problem.name}: {problem.num_customers} customers\n")
        stream.write(str(redact(plan.render())) + "\n")
        stream.write(
            f"Run id {settings.run_id} (tags of its Braket tasks, labels of its Leap problems; "
            f"rerun with the same folder {settings.run_dir} to resume it)\n"
        )
    return plan
