"""Choose a backend for each subproblem and walk a fallback chain to a local simulator.

A policy turns a subproblem into an ordered chain of backend names. The dispatcher tries
each in turn: a backend that is unavailable here (no credentials, offline, outside its
window), too small for the subproblem, or that fails, is skipped with its reason recorded;
the final result's provenance names the backend first requested, the one that really
produced the answer, and every reason for falling back.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from qroute.backends import SubproblemBackend, SubproblemTooLarge, get_backend
from qroute.backends.hardware import Connectivity, HardwareProfile, is_in_window, load_profiles
from qroute.model.solver import BackendUnavailable, Budget, SolveResult
from qroute.model.subproblem import Subproblem

log = logging.getLogger(__name__)

QAOA_MAX_STOPS = 4  # 16 qubits

POLICIES = ("local", "mixed", "annealer", "qaoa", "exact", "cloud")


def clique_capacity(connectivity: Connectivity) -> int | None:
    """Largest fully connected problem a full-yield annealer graph embeds (busclique sizes).

    Pegasus P_m: 12 (m - 1) (180 on P16); Zephyr Z_{m,t}: 2t (2m - 1) (184 on Z_{12,4}).
    tests/test_dispatch.py checks both formulas against minorminer's busclique on small
    graphs. Real QPUs miss a few qubits, so this is an upper bound: a failed embedding
    still falls back at solve time.
    """
    if connectivity.kind == "pegasus" and connectivity.m:
        return 12 * (connectivity.m - 1)
    if connectivity.kind == "zephyr" and connectivity.m and connectivity.t:
        return 2 * connectivity.t * (2 * connectivity.m - 1)
    return None


def max_stops_for(profile: HardwareProfile) -> int | None:
    """Most subproblem stops (k, needing k² logical variables) a device or simulator takes."""
    if profile.paradigm == "annealing" and profile.kind == "qpu":
        logical = clique_capacity(profile.connectivity)
    elif profile.paradigm == "gate":
        logical = profile.max_subproblem_qubits or profile.qubits
    else:
        return None
    return math.isqrt(logical) if logical else None


def policy_chain(policy: str, sub: Subproblem, index: int = 0) -> list[str]:
    """Backend names to try, best first, for one subproblem under a policy.

    * ``local``: the local annealer (dwave-sa), exact as the last resort.
    * ``mixed``: subproblems of at most 4 stops go to QAOA whose shots are split over the
      three SDKs' simulators (Braket, PennyLane, Qiskit: backend ``qaoa-sdks``), larger ones
      to the local annealer; every small subproblem exercises all three SDKs.
    * ``annealer``: the D-Wave QPU, falling back to the local annealer.
    * ``qaoa``: QAOA on our statevector simulator for small subproblems, else the annealer.
    * ``exact``: Held-Karp (classical reference).
    * ``cloud``: QPUs and managed simulators (Braket, D-Wave Leap) within the budget,
      falling back to local simulators (qroute.cloud.policy).
    """
    if policy == "local":
        chain = ["dwave-sa"]
    elif policy == "mixed":
        if sub.size <= QAOA_MAX_STOPS:
            chain = ["qaoa-sdks", "qaoa-statevector", "dwave-sa"]
        else:
            chain = ["dwave-sa"]
    elif policy == "annealer":
        chain = ["dwave-qpu", "dwave-sa"]
    elif policy == "qaoa":
        chain = ["qaoa-statevector", "dwave-sa"] if sub.size <= QAOA_MAX_STOPS else ["dwave-sa"]
    elif policy == "exact":
        chain = ["exact"]
    elif policy == "cloud":
        from qroute.cloud.policy import cloud_chain

        chain = list(cloud_chain(sub, index))
    else:
        raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    if "exact" not in chain:
        chain.append("exact")
    return chain


class Dispatcher:
    """Solve subproblems through a policy's fallback chain, recording why it fell back."""

    def __init__(
        self,
        policy: str = "local",
        chain: Callable[[Subproblem, int], Sequence[str]] | None = None,
        backends: dict[str, SubproblemBackend] | None = None,
        profiles: dict[str, HardwareProfile] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if chain is None and policy not in POLICIES:
            raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
        self.policy = policy
        self._chain = chain or (lambda sub, index: policy_chain(policy, sub, index))
        self._backends: dict[str, SubproblemBackend] = dict(backends or {})
        self._profiles = profiles
        self._clock = clock

    def profile(self, name: str) -> HardwareProfile | None:
        """The active hardware profile behind a backend name, if one exists."""
        if self._profiles is None:
            self._profiles = load_profiles()
        for profile in self._profiles.values():
            if profile.backend == name and profile.status != "retired":
                return profile
        return None

    def capacity(self, name: str) -> int:
        """Most stops this backend takes: its own limit, narrowed by its hardware profile."""
        limit = self.backend(name).max_size
        profile = self.profile(name)
        from_profile = max_stops_for(profile) if profile is not None else None
        return min(limit, from_profile) if from_profile else limit

    def refusal(self, name: str, sub: Subproblem) -> str | None:
        """Why `name` cannot take `sub` now, or None if it can."""
        capacity = self.capacity(name)
        if sub.size > capacity:
            return f"takes at most {capacity} stops, got {sub.size}"
        profile = self.profile(name)
        if (
            profile is not None
            and not profile.is_local
            and not is_in_window(profile, self._clock())
        ):
            return f"outside the execution windows of {profile.id}"
        status = self.backend(name).availability()
        return None if status.available else status.reason

    def backend(self, name: str) -> SubproblemBackend:
        if name not in self._backends:
            self._backends[name] = get_backend(name)
        return self._backends[name]

    def chain(self, sub: Subproblem, index: int = 0) -> list[str]:
        return list(self._chain(sub, index))

    def solve(self, sub: Subproblem, budget: Budget, index: int = 0) -> SolveResult:
        chain = self.chain(sub, index)
        reasons: list[str] = []
        for name in chain:
            backend = self.backend(name)
            refusal = self.refusal(name, sub)
            if refusal is not None:
                reasons.append(f"{name}: {refusal}")
                continue
            try:
                result = backend.solve(sub, budget)
            except (SubproblemTooLarge, BackendUnavailable) as exc:
                reasons.append(f"{name}: {exc}")
                continue
            except Exception as exc:  # a failing backend falls back; the reason is kept
                log.warning("backend %s failed on %s: %s", name, sub.name, exc)
                reasons.append(f"{name}: failed ({type(exc).__name__}: {exc})")
                continue
            provenance = dataclasses.replace(
                result.provenance,
                backend_requested=chain[0],
                backend_used=name,
                fallback_reason="; ".join(reasons) or None,
            )
            return dataclasses.replace(result, provenance=provenance)
        raise BackendUnavailable(f"no backend could solve {sub.name}: {'; '.join(reasons)}")
