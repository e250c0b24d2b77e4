"""Choose a backend for each subproblem and walk a fallback chain to a local simulator.

A policy turns a subproblem (of any QUBO kind) into an ordered chain of backend names; the
``Dispatcher`` is the ``qroute.backends.fallback.FallbackChain`` of a policy: a backend like
any other (``solve(problem, budget, kind=...)``). A backend that is unavailable here (no
credentials, offline, outside its window), too small for the subproblem, or that fails, is
skipped with its reason recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from qroute.backends import Backend
from qroute.backends.fallback import ChainRule, FallbackChain
from qroute.backends.gate import QAOA_MAX_QUBITS
from qroute.backends.hardware import HardwareProfile, clique_capacity, max_variables_for
from qroute.qubo.kind import QuboKind
from qroute.qubo.tsp import TSP_KIND

__all__ = [
    "POLICIES",
    "Dispatcher",
    "clique_capacity",
    "max_variables_for",
    "policy_chain",
]

POLICIES = ("local", "mixed", "annealer", "qaoa", "exact", "cloud")


def policy_chain(policy: str, sub: Any, kind: QuboKind = TSP_KIND) -> list[str]:
    """Backend names to try, best first, for one subproblem under a policy.

    * ``local``: the local annealer (dwave-sa), exact as the last resort.
    * ``mixed``: subproblems that fit a local QAOA (QAOA_MAX_QUBITS variables: 4 route
      stops) go to QAOA whose shots are split over the three SDKs' simulators (Braket,
      PennyLane, Qiskit: backend ``qaoa-sdks``), larger ones to the local annealer.
    * ``annealer``: the D-Wave QPU, falling back to the local annealer.
    * ``qaoa``: QAOA on our statevector simulator for small subproblems, else the annealer.
    * ``exact``: the exact reference (Held-Karp for the TSP kind).
    * ``cloud``: QPUs and managed simulators (Braket, D-Wave Leap) within the budget,
      falling back to local simulators (qroute.cloud.policy).
    """
    fits_qaoa = kind.num_variables(sub) <= QAOA_MAX_QUBITS
    if policy == "local":
        chain = ["dwave-sa"]
    elif policy == "mixed":
        chain = ["qaoa-sdks", "qaoa-statevector", "dwave-sa"] if fits_qaoa else ["dwave-sa"]
    elif policy == "annealer":
        chain = ["dwave-qpu", "dwave-sa"]
    elif policy == "qaoa":
        chain = ["qaoa-statevector", "dwave-sa"] if fits_qaoa else ["dwave-sa"]
    elif policy == "exact":
        chain = ["exact"]
    elif policy == "cloud":
        from qroute.cloud.policy import cloud_chain

        chain = list(cloud_chain(sub, kind))
    else:
        raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    if "exact" not in chain:
        chain.append("exact")
    return chain


class Dispatcher(FallbackChain):
    """The fallback chain of a policy (or of a custom chain rule (subproblem, kind) -> names)."""

    def __init__(
        self,
        policy: str = "local",
        chain: ChainRule | None = None,
        backends: dict[str, Backend] | None = None,
        profiles: dict[str, HardwareProfile] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if chain is None and policy not in POLICIES:
            raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
        self.policy = policy
        rule: ChainRule = chain or (lambda sub, kind: policy_chain(policy, sub, kind))
        super().__init__(
            rule, name=f"policy-{policy}", backends=backends, profiles=profiles, clock=clock
        )


def chain_of(policy: str) -> Callable[[Any, QuboKind], Sequence[str]]:
    """A policy's chain rule, for ``FallbackChain(rule)`` and the dry-run planner."""

    def rule(sub: Any, kind: QuboKind = TSP_KIND) -> list[str]:
        return policy_chain(policy, sub, kind)

    return rule
