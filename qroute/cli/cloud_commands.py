"""CLI pieces for running on real QPUs: budget options, the dry-run plan, the ``cloud`` policy.

The ``solve`` command wires them in::

    add_solve_options(parser)            # --budget-usd, --nightly-budget-usd, --dry-run, ...
    configure_from_args(args, run_dir=out)   # before any dispatch; the ledger lives in out/
    if args.dry_run:
        print_dry_run(problem, args.policy, args.budget_usd, ...)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from qroute.cloud.plan import Plan, plan_dispatches
from qroute.model.problem import Problem
from qroute.model.subproblem import Subproblem, path_window, route_subproblem

__all__ = [
    "add_solve_options",
    "cloud_chain",
    "configure_from_args",
    "default_subproblems",
    "policy_chain_for",
    "print_dry_run",
]

#: Routes with at most this many stops go whole; longer ones are cut into windows.
WHOLE_ROUTE_MAX = 10
WINDOW_STOPS = 4


def add_solve_options(parser: argparse.ArgumentParser) -> None:
    """Add the cloud options of ``qroute solve``."""
    group = parser.add_argument_group("real QPUs (see docs/real-qpus.md)")
    group.add_argument(
        "--budget-usd",
        type=_non_negative,
        default=None,
        help="most this run may spend on cloud QPUs/simulators; without it paid work is refused",
    )
    group.add_argument(
        "--nightly-budget-usd",
        type=_non_negative,
        default=None,
        help="most one night (noon to noon, local time) may spend, across runs",
    )
    group.add_argument(
        "--spend-dir",
        default=None,
        help="folder of the nightly spend files (default ~/.qroute/spend or $QROUTE_SPEND_DIR)",
    )
    group.add_argument(
        "--cloud-wait-seconds",
        type=_non_negative,
        default=None,
        help="how long to wait for one cloud answer before falling back (default 600)",
    )
    group.add_argument(
        "--dry-run",
        action="store_true",
        help="print each subproblem's device, shots and estimated cost; send nothing",
    )


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def configure_from_args(args: argparse.Namespace, run_dir: str | Path | None = None) -> None:
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
        payload: Any = redact({"problem": problem.name, **plan.as_dict()})
        stream.write(json.dumps(payload, indent=2) + "\n")
    else:
        stream.write(f"Problem {problem.name}: {problem.num_customers} customers\n")
        stream.write(str(redact(plan.render())) + "\n")
    return plan
