"""The fallback chain as a backend: try backends in order, record why each one was passed over.

A ``FallbackChain`` is given a chain rule (subproblem, kind) -> backend names. Its
``refusal`` is the one capacity-and-availability rule: the dispatcher applies it before each
solve, and the dry-run planner (``qroute.cloud.plan``) applies the same rule offline. The
result's provenance names the backend first requested, the one that really produced the
answer, and every reason for falling back.

One walk of the chain is one solve: a ``Budget.max_cost_usd`` covers every paid device tried
on the way (the chain gives the budget a ``CostTally`` shared by its dispatches), and every
reason is redacted (``qroute.model.redaction``) before it is logged or stored, since a
backend's exception text may quote a token or a signed URL.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from qroute.backends.base import (
    Availability,
    Backend,
    CloudBackend,
    SubproblemTooLarge,
)
from qroute.backends.hardware import (
    HardwareProfile,
    backend_profile,
    load_profiles,
    window_refusal,
)
from qroute.model.redaction import redact
from qroute.model.solver import BackendUnavailable, Budget, SolveResult
from qroute.qubo.kind import QuboKind
from qroute.qubo.tsp import TSP_KIND

log = logging.getLogger(__name__)

ChainRule = Callable[[Any, QuboKind], Sequence[str]]
"""(subproblem, kind) -> backend names to try, best first."""


class FallbackChain:
    """A backend that walks a chain of backends (see the module docstring)."""

    paradigm = "classical"  # of the chain itself; each answer carries its own
    device = "fallback chain"

    def __init__(
        self,
        rule: ChainRule,
        *,
        name: str = "fallback",
        backends: dict[str, Backend] | None = None,
        profiles: dict[str, HardwareProfile] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lookup: Callable[[str], Backend] | None = None,
    ) -> None:
        self.name = name
        self._rule = rule
        self._backends: dict[str, Backend] = dict(backends or {})
        self._profiles = profiles
        self._clock = clock
        self._lookup = lookup

    # -- the Backend protocol -------------------------------------------------------------

    @property
    def max_variables(self) -> int:
        """The largest of the chain's backends (known once a chain has been walked)."""
        return max((self.capacity(name) for name in self._backends), default=0)

    def availability(self) -> Availability:
        return Availability(True)

    def solve(self, problem: Any, budget: Budget, *, kind: QuboKind = TSP_KIND) -> SolveResult:
        chain = self.chain(problem, kind)
        budget = budget.with_tally()  # one max_cost_usd for every device of this walk
        reasons: list[str] = []
        for name in chain:
            refusal = self.refusal(name, problem, kind)
            if refusal is not None:
                reasons.append(f"{name}: {redact(refusal)}")
                continue
            try:
                result = self.backend(name).solve(problem, budget, kind=kind)
            except (SubproblemTooLarge, BackendUnavailable) as exc:
                reasons.append(f"{name}: {redact(str(exc))}")
                continue
            except Exception as exc:  # a failing backend falls back; the reason is kept
                text = redact(f"{type(exc).__name__}: {exc}")
                log.warning("backend %s failed on %s: %s", name, kind.label(problem), text)
                reasons.append(f"{name}: failed ({text})")
                continue
            provenance = dataclasses.replace(
                result.provenance,
                backend_requested=chain[0],
                backend_used=name,
                fallback_reason="; ".join(reasons) or None,
            )
            return dataclasses.replace(result, provenance=provenance)
        raise BackendUnavailable(
            f"no backend could solve {kind.label(problem)}: {'; '.join(reasons)}"
        )

    # -- the one rule -----------------------------------------------------------------------

    def chain(self, problem: Any, kind: QuboKind = TSP_KIND) -> list[str]:
        return list(self._rule(problem, kind))

    def backend(self, name: str) -> Backend:
        if name not in self._backends:
            if self._lookup is not None:
                self._backends[name] = self._lookup(name)
            else:
                from qroute.backends import get_backend

                self._backends[name] = get_backend(name)
        return self._backends[name]

    def profile(self, name: str) -> HardwareProfile | None:
        """The active hardware profile behind a backend name, if one exists."""
        if self._profiles is None:
            self._profiles = load_profiles()
        return backend_profile(name, self._profiles)

    def capacity(self, name: str) -> int:
        """Most variables this backend takes: its ``max_variables``, which the backend reads
        from its hardware profile (``qroute.backends.hardware.max_variables_for``)."""
        return self.backend(name).max_variables

    def refusal(
        self,
        name: str,
        problem: Any,
        kind: QuboKind = TSP_KIND,
        *,
        offline: bool = False,
        assume_available: bool = False,
    ) -> str | None:
        """Why ``name`` cannot take ``problem`` now, or None if it can.

        offline: use only checks that contact nothing (a cloud backend's ``offline_reason``);
        assume_available: check the size only (to price a run from a machine without
        credentials).
        """
        limit = self.capacity(name)
        if kind.num_variables(problem) > limit:
            return f"takes at most {kind.capacity(limit)} {kind.unit}, got {kind.size(problem)}"
        if assume_available:
            return None
        profile = self.profile(name)
        if profile is not None and not profile.is_local:
            closed = window_refusal(profile, self._clock())
            if closed is not None:
                return f"{profile.name} is {closed}"
        backend = self.backend(name)
        if offline and isinstance(backend, CloudBackend):
            return backend.offline_reason()
        status = backend.availability()
        return None if status.available else status.reason

    def candidates(
        self,
        problem: Any,
        kind: QuboKind = TSP_KIND,
        *,
        offline: bool = False,
        assume_available: bool = False,
    ) -> Iterator[tuple[str, list[str]]]:
        """The backends that would take ``problem``, in chain order, each with the reasons
        the ones before it were passed over (the planner adds its own budget refusals)."""
        passed: list[str] = []
        for name in self.chain(problem, kind):
            refusal = self.refusal(
                name, problem, kind, offline=offline, assume_available=assume_available
            )
            if refusal is not None:
                passed.append(f"{name}: {refusal}")
                continue
            yield name, passed
