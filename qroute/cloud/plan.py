"""The dry-run plan: which device each subproblem would go to, with shots and estimated cost.

:func:`plan_dispatches` walks each subproblem's policy chain the way the dispatcher would —
skipping backends too small for it, unavailable here (offline checks only: credentials,
profile status and windows) or refused by the budget — and prices the first one that takes it
from the hardware profiles. Nothing is sent and no SDK is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qroute.backends.base import Backend, CloudBackend
from qroute.backends.fallback import ChainRule, FallbackChain
from qroute.cloud.cost import CostEstimate, SpendFile, night_of, refusal_reason, usd
from qroute.model.solver import Budget
from qroute.qubo.kind import QuboKind
from qroute.qubo.tsp import TSP_KIND

__all__ = ["Plan", "PlannedDispatch", "plan_dispatches"]


@dataclass(frozen=True)
class PlannedDispatch:
    index: int
    subproblem: str
    stops: int
    variables: int
    backend: str
    device: str
    paradigm: str
    shots: int | None
    estimated_usd: float
    basis: str
    passed_over: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    policy: str
    items: tuple[PlannedDispatch, ...]
    run_budget_usd: float | None
    nightly_budget_usd: float | None
    night: str
    night_spent_usd: float
    unplanned: tuple[str, ...] = field(default=())  # subproblems no backend would take

    @property
    def total_usd(self) -> float:
        return sum(item.estimated_usd for item in self.items)

    @property
    def paid(self) -> int:
        return sum(1 for item in self.items if item.estimated_usd > 0)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_usd"] = self.total_usd
        data["paid_dispatches"] = self.paid
        data["sent"] = "nothing (dry run)"
        return data

    def render(self) -> str:
        budget = (
            "none (paid dispatches refused)"
            if self.run_budget_usd is None
            else usd(self.run_budget_usd)
        )
        night = (
            f"{usd(self.nightly_budget_usd)} (night {self.night}: {usd(self.night_spent_usd)} "
            "already spent)"
            if self.nightly_budget_usd is not None
            else f"none (night {self.night}: {usd(self.night_spent_usd)} spent)"
        )
        lines = [
            f"Dry run, policy {self.policy}: {len(self.items)} subproblems; "
            f"run budget {budget}; nightly budget {night}",
        ]
        header = ("#", "subproblem", "stops", "vars", "backend", "device", "shots", "est. USD")
        rows = [
            (
                str(item.index),
                item.subproblem,
                str(item.stops),
                str(item.variables),
                item.backend,
                item.device,
                "-" if item.shots is None else str(item.shots),
                usd(item.estimated_usd),
            )
            for item in self.items
        ]
        widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        grouped: dict[str, list[int]] = {}
        for item in self.items:
            for reason in item.passed_over:
                grouped.setdefault(reason, []).append(item.index)
        for reason, indices in grouped.items():
            which = ", ".join(str(i) for i in indices)
            lines.append(f"  passed over for #{which}: {reason}")
        for name in self.unplanned:
            lines.append(f"  {name}: no backend in the chain would take it")
        lines.append(
            f"Total estimated cost: {usd(self.total_usd)} over {self.paid} paid dispatches "
            f"(profile prices). Nothing was sent."
        )
        return "\n".join(lines)


def plan_dispatches(
    subproblems: Sequence[Any],
    chain: FallbackChain | ChainRule,
    *,
    policy: str = "custom",
    budget_usd: float | None = None,
    nightly_budget_usd: float | None = None,
    spend_dir: str | Path | None = None,
    shots: int | None = None,
    seed: int = 0,
    assume_available: bool = False,
    backends: Mapping[str, Backend] | None = None,
    kind: QuboKind = TSP_KIND,
) -> Plan:
    """Price every subproblem's dispatch without sending anything.

    chain: the dispatcher (a ``FallbackChain``) or its chain rule. ``assume_available=True``
    prices the chain as if every cloud backend were reachable (to cost a run from a machine
    without credentials); sizes are checked all the same.
    """
    if isinstance(chain, FallbackChain):
        fallback = chain
    else:
        fallback = FallbackChain(chain, backends=dict(backends or {}))
    night = night_of()
    night_spent = 0.0
    if spend_dir is not None:
        night_spent = SpendFile(Path(spend_dir).expanduser(), night).total_usd()
    budget = Budget(seed=seed, shots=shots)
    run_spent = 0.0
    items: list[PlannedDispatch] = []
    unplanned: list[str] = []
    for index, sub in enumerate(subproblems, start=1):
        chosen: PlannedDispatch | None = None
        refused: list[str] = []
        for name, passed in fallback.candidates(
            sub, kind, offline=True, assume_available=assume_available
        ):
            backend = fallback.backend(name)
            estimate: CostEstimate | None = None
            planned_shots = budget.shots
            if isinstance(backend, CloudBackend):
                estimate = backend.estimate(sub, budget, kind)
                planned_shots = estimate.shots
                reason = refusal_reason(
                    estimate,
                    budget,
                    run_budget_usd=budget_usd,
                    run_spent_usd=run_spent,
                    nightly_budget_usd=nightly_budget_usd,
                    night_spent_usd=night_spent + run_spent,
                    night=night,
                )
                if reason is not None:
                    refused.append(f"{name}: {reason}")
                    continue
            cost = estimate.usd if estimate is not None else 0.0
            run_spent += cost
            chosen = PlannedDispatch(
                index=index,
                subproblem=kind.label(sub),
                stops=kind.size(sub),
                variables=kind.num_variables(sub),
                backend=name,
                device=estimate.device if estimate is not None else str(backend.device),
                paradigm=backend.paradigm,
                shots=planned_shots,
                estimated_usd=cost,
                basis=estimate.basis if estimate is not None else "local, free",
                passed_over=tuple(_in_chain_order(fallback.chain(sub, kind), [*passed, *refused])),
            )
            break
        if chosen is None:
            unplanned.append(kind.label(sub))
        else:
            items.append(chosen)
    return Plan(
        policy=policy,
        items=tuple(items),
        run_budget_usd=budget_usd,
        nightly_budget_usd=nightly_budget_usd,
        night=night.isoformat(),
        night_spent_usd=night_spent,
        unplanned=tuple(unplanned),
    )


def _in_chain_order(chain: list[str], reasons: list[str]) -> list[str]:
    """Reasons ``"name: why"`` sorted the way the chain met their backends."""
    position = {name: n for n, name in enumerate(chain)}
    return sorted(reasons, key=lambda reason: position.get(reason.split(":", 1)[0], len(chain)))
