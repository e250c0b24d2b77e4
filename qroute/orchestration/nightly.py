"""Scheduled and on-demand entry points for deployments (orchestration only).

* `nightly_routing`: solves a configured set of scenarios / instances with one policy and
  budget, appends each result to the results store (SQLite,
  `qroute.reporting.results_store.append_run`)
  so quality and spend can be followed night by night, and publishes a Markdown artifact.
* `solve_on_demand`: one solve with validated parameters (the deployment's parameter schema
  comes from these type hints; Prefect rejects a run whose parameters do not fit).

**Run identity.** Each nightly solve runs in `<out_root>/<night>/<instance>-<digest>` under the
cloud run id `nightly-routing-<night>-<instance>-<digest>` (`nightly_run`): the night is the
flow run's scheduled start (noon-to-noon UTC, `qroute.cloud.cost.night_of`) or the `night`
parameter, the digest covers the solve parameters (policy, time limit, baselines; not the
budgets, so a rerun with more money resumes the night). A Prefect retry or a rerun of that
night therefore finds its ledger (nothing is submitted twice, finished answers are reused)
and its own tagged tasks; the next night is a new run.

**Braket spending limits.** With `braket_spending_limits=True` and a nightly budget, the flow
first sets Braket's server-side spending limit of every Braket QPU the policy may use (only the
`cloud` policy sends Braket QPU tasks) to the nightly budget for tonight
(`qroute.cloud.braket_account.nightly_spending_limits`); if that fails, the flow stops before
any solve, since it was asked not to spend on Braket without that limit. Without a nightly
budget there is no limit to set: it says so and runs.

**Money per row.** A results row's `cost_usd` is what the solve added to its run ledger
(actual costs, estimates of tasks still open): answers reused from the ledger or from the
answer cache add nothing, so the rows of a rerun night sum to what the night really cost.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import Field

from qroute.orchestration.runners import task_runner
from qroute.orchestration.solve import run_solve

Policy = Literal["local", "mixed", "annealer", "qaoa", "cloud"]
DEFAULT_NIGHTLY = ["yangtze-delta", "X-n101-k25"]


NIGHTLY_FLOW = "nightly-routing"


@dataclass(frozen=True)
class NightlyRun:
    """Where one nightly solve runs and under which cloud run id (see the module docstring)."""

    run_id: str
    out: Path


def nightly_run(
    night: date, instance: str, out_root: str | Path, parameters: dict[str, Any]
) -> NightlyRun:
    """The run folder and run id of `instance` on `night` with these solve parameters."""
    blob = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:8]
    name = re.sub(r"[^A-Za-z0-9._=+@-]", "-", instance)[:64] or "instance"
    return NightlyRun(
        run_id=f"{NIGHTLY_FLOW}-{night.isoformat()}-{name}-{digest}",
        out=Path(out_root) / night.isoformat() / f"{name}-{digest}",
    )


def flow_night(night: str | None = None) -> date:
    """The night to run: `night` (YYYY-MM-DD) when given, else the night of the flow run's
    scheduled start (the same for its retries and reruns), else of now; UTC throughout."""
    from qroute.cloud.cost import night_of

    if night:
        try:
            return date.fromisoformat(night)
        except ValueError:
            raise ValueError(f"night must be a date (YYYY-MM-DD), got {night!r}") from None
    return night_of(scheduled_start())


def scheduled_start() -> datetime:
    """The flow run's scheduled start (kept by its retries and reruns), else now; UTC."""
    from prefect.runtime import flow_run

    from qroute.model.clock import as_utc

    scheduled = flow_run.scheduled_start_time
    return as_utc(scheduled) if isinstance(scheduled, datetime) else datetime.now(UTC)


def _configure_cloud(
    out: Path,
    budget_usd: float | None,
    nightly_budget_usd: float | None,
    run_id: str | None = None,
) -> None:
    from qroute.cloud import register
    from qroute.cloud.settings import configure
    from qroute.orchestration.secrets import install_dwave_token_source, install_prefect_redaction

    install_prefect_redaction()
    install_dwave_token_source()
    register()  # the ledgered cloud backends (the bare dwave-qpu refuses: it has no ledger)
    configure(
        run_dir=out, budget_usd=budget_usd, nightly_budget_usd=nightly_budget_usd, run_id=run_id
    )


def set_braket_spending_limits(policy: str) -> list[Any]:
    """Braket spending limits of tonight for the Braket QPUs `policy` may use, from the
    current settings' nightly budget (none without one: nothing to limit by). A failure
    stops the flow (RuntimeError, one line) before anything is dispatched."""
    from qroute.cloud.braket_account import nightly_spending_limits
    from qroute.cloud.credentials import safe_error
    from qroute.cloud.policy import braket_qpu_arns
    from qroute.cloud.settings import current_settings

    settings = current_settings()
    if settings.nightly_budget_usd is None:
        print("Braket spending limits not set: no nightly budget (nightly_budget_usd)")
        return []
    arns = braket_qpu_arns() if policy == "cloud" else []  # only `cloud` sends Braket QPU tasks
    try:
        limits = nightly_spending_limits(settings, arns)
    except Exception as exc:
        raise RuntimeError(
            f"Braket spending limits could not be set ({safe_error(exc)}); nothing was solved"
        ) from None
    for limit in limits:
        print(
            f"Braket spending limit {limit.action}: {limit.device_arn} USD {limit.usd:.2f} "
            f"{limit.start:%Y-%m-%d %H:%M} to {limit.end:%Y-%m-%d %H:%M} UTC"
        )
    return limits


def ledger_spend_usd(out: Path) -> float:
    """What the run ledger in `out` has spent or committed (0 without a ledger)."""
    from qroute.cloud.ledger import LEDGER_FILENAME, Ledger

    path = out / LEDGER_FILENAME
    return Ledger(path).run_spend_usd() if path.is_file() else 0.0


def _solve_row(out: Path, **solve: Any) -> dict[str, Any]:
    """One solve flow run (as a subflow) writing to `out`; its results-store row, whose
    `cost_usd` is what this solve added to the run ledger (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    before = ledger_spend_usd(out)
    payload = run_solve(out=out, started_at=time.time(), task_runner=task_runner(), **solve)
    return _row(payload, spent=max(0.0, ledger_spend_usd(out) - before))


def _row(payload: dict[str, Any], *, spent: float) -> dict[str, Any]:
    return {
        "instance": payload["instance"],
        "cost": payload["cost"],
        "feasible": payload["feasible"],
        "gap_percent": payload["gap_percent"],
        "backends": payload["quantum_share"].get("solves_by_backend", {}),
        "quantum_share": payload["quantum_share"],
        "cost_usd": spent,
        "wall_seconds": payload["wall_seconds"],
    }


@flow(name="nightly-routing", log_prints=True)
def nightly_routing(
    instances: list[str] | None = None,
    policy: Policy = "local",
    time_limit: Annotated[float, Field(gt=0, le=3600)] = 60.0,
    budget_usd: Annotated[float, Field(ge=0)] = 0.0,
    nightly_budget_usd: Annotated[float, Field(ge=0)] | None = None,
    baselines: bool = True,
    out_root: str = "runs/nightly",
    results_db: str = "runs/qroute.sqlite",
    seal_sign_key_block: str | None = None,
    seal_sign_key: str | None = None,
    seal_passphrase_block: str | None = None,
    seal_recipients: list[str] | None = None,
    night: str | None = None,
    braket_spending_limits: bool = False,
) -> list[dict[str, Any]]:
    """Solve each configured instance; append every result to the results store.

    `braket_spending_limits`: set Braket's server-side spending limits from the nightly budget
    before solving (see the module docstring).

    `night` (YYYY-MM-DD) reruns that night's runs (default: the night of the flow run's
    scheduled start); see the module docstring for the run folders and run ids.

    With a signing key (a Prefect Secret block holding signing.key's PEM, or a path), each
    night's run folder is also sealed into `<run folder>.bundle`: ML-DSA-65 signed, and
    encrypted for `seal_recipients` (kem.pub paths) when given (see docs/bundles.md)."""
    from qroute.orchestration.sealing import seal_run_dir, signing_key_from
    from qroute.reporting.results_store import append_run

    sign_key = signing_key_from(seal_sign_key, seal_sign_key_block, seal_passphrase_block)
    the_night = flow_night(night)
    stamp = the_night.isoformat()
    rows = []
    limits_set = False
    for instance in instances or DEFAULT_NIGHTLY:
        solve = {"instance": instance, "time_limit": time_limit, "policy": policy,
                 "baselines": baselines}  # fmt: skip
        run = nightly_run(the_night, instance, out_root, solve)
        out = run.out
        _configure_cloud(out, budget_usd, nightly_budget_usd, run.run_id)
        if braket_spending_limits and not limits_set:
            set_braket_spending_limits(policy)
            limits_set = True
        row = _solve_row(out, **solve)
        append_run(results_db, {**row, "ts": datetime.now(UTC)})
        if sign_key is not None:
            row["bundle"] = str(seal_run_dir(out, sign_key, seal_recipients or []))
        rows.append({**row, "out": str(out)})
        print(
            f"{instance}: cost {row['cost']:.2f}, gap {row['gap_percent']}, USD {row['cost_usd']}"
        )
    create_table_artifact(
        key="nightly-routing",
        table=[
            {k: v for k, v in r.items() if k not in ("backends", "quantum_share")} for r in rows
        ],
        description=f"nightly routing {stamp}",
    )
    lines = ["| instance | cost | gap % | feasible | USD | wall s |", "|---|---|---|---|---|---|"]
    for r in rows:
        gap = "–" if r["gap_percent"] is None else f"{r['gap_percent']:.2f}"
        lines.append(
            f"| {r['instance']} | {r['cost']:.2f} | {gap} | {r['feasible']} | "
            f"{r['cost_usd']:.2f} | {r['wall_seconds']:.1f} |"
        )
    create_markdown_artifact(
        key="nightly-routing-summary", markdown="\n".join(lines), description="nightly"
    )
    return rows


@flow(name="solve-on-demand", log_prints=True)
def solve_on_demand(
    instance: str = "yangtze-delta",
    policy: Policy = "mixed",
    time_limit: Annotated[float, Field(gt=0, le=3600)] = 60.0,
    budget_usd: Annotated[float, Field(ge=0)] = 0.0,
    size: Annotated[int, Field(ge=1, le=2000)] | None = None,
    baselines: bool = True,
    out_root: str = "runs/on-demand",
) -> dict[str, Any]:
    """One solve triggered with parameters; writes the usual outputs and an artifact (a retry
    of the flow run keeps its scheduled start, so its folder and ledger)."""
    stamp = scheduled_start().strftime("%Y%m%dT%H%M%SZ")
    out = Path(out_root) / f"{instance}-{stamp}"
    _configure_cloud(out, budget_usd, None)
    row = _solve_row(out, instance=instance, time_limit=time_limit, policy=policy,
                     baselines=baselines, size=size)  # fmt: skip
    gap = "–" if row["gap_percent"] is None else f"{row['gap_percent']:.2f} %"
    create_markdown_artifact(
        key="solve-on-demand",
        markdown=(
            f"**{row['instance']}** ({policy}, {time_limit:g} s): cost {row['cost']:.2f}, "
            f"gap {gap}, feasible {row['feasible']}, outputs in `{out}`"
        ),
    )
    return {**row, "out": str(out)}
