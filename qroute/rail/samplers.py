"""Window BQMs through the existing backends: their dimod samplers, their size limits and
the dispatcher's fallback walk, with a provenance class per answer.

The routing backends solve `Subproblem`s; a rail window is a different BQM, so this module
takes each backend's own sampler (``backend.sampler()``) and its limit as the dispatcher
computes it (``Dispatcher.capacity(name)`` stops -> that squared variables, narrowed by the
hardware profile: one fact in one place), and supplies the sampler arguments a window needs.

Paid services (a live D-Wave QPU, Leap hybrid) are refused here unless a sampler is injected
(a test double such as ``MockDWaveSampler``): the rail path has no cloud ledger row or
budget guard yet, and no paid call goes out without one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dimod

from qroute.backends.hardware import device_max_variables, load_profiles
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.provenance import provenance_class as class_of_backend
from qroute.model.solver import BackendUnavailable, Budget
from qroute.rail import annealer
from qroute.rail.annealer import NAME as ONEHOT
from qroute.rail.qubo import WindowQubo

CLASSICAL = (ONEHOT, "dwave-sa", "dwave-tabu", "exact", "mip", "greedy", "repair")
SIMULATORS = ("qaoa-statevector", "braket-local", "pennylane-lightning", "qiskit-aer", "qaoa-sdks")
HYBRID = "leap-hybrid-bqm"
QPU = "dwave-qpu"
HYBRID_PROFILE = "dwave-hybrid-bqm"
SA_READS = 32
SA_SWEEPS = 1000
QAOA_SHOTS = 1000
TABU_READS = 8  # restarts at most: each one runs for its whole timeout
TABU_TIMEOUT_MS = 100


def provenance_class(backend: str, *, injected: bool = False) -> str:
    """One of PROVENANCE_CLASSES (qroute.model.provenance, the one mapping), from the backend
    that produced the answer. An injected double standing in for a QPU or Leap (offline
    tests) is a classical sampler."""
    return "classical_sampler" if injected else class_of_backend(backend)


@dataclass(frozen=True)
class WindowSample:
    sampleset: dimod.SampleSet
    backend_requested: str
    backend_used: str
    device: str
    provenance_class: str
    wall_seconds: float
    fallback_reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class RailSamplers:
    """Backends by name for window BQMs; `injected` replaces the sampler of a cloud name."""

    def __init__(
        self,
        dispatcher: Dispatcher | None = None,
        injected: Mapping[str, dimod.Sampler] | None = None,
    ) -> None:
        self.dispatcher = dispatcher or Dispatcher("local")
        self.injected = dict(injected or {})

    def max_variables(self, name: str) -> int:
        """Most window variables `name` takes: the device's own limit from its hardware
        profile (``qroute.backends.hardware.device_max_variables``: ``max_subproblem_qubits``;
        busclique capacity for an annealing QPU; the variable limit of a hybrid solver), not
        qroute's per-subproblem ``max_variables`` cap; a QAOA backend's own ``max_variables``.
        For onehot-sa: option variables (its state holds no slack bits; see `window_size`)."""
        if name == ONEHOT:
            return annealer.MAX_OPTION_VARIABLES
        if name == HYBRID:
            return device_max_variables(load_profiles()[HYBRID_PROFILE])
        backend = self.dispatcher.backend(name)
        profile = self.dispatcher.profile(name)
        if backend.paradigm == "gate" or profile is None:
            return backend.max_variables  # a QAOA's limit, from its profile and the statevector's
        return device_max_variables(profile)

    @staticmethod
    def window_size(name: str, wq: WindowQubo) -> int:
        """What `max_variables(name)` limits: option variables for onehot-sa, else every
        BQM variable (options and slack bits)."""
        return wq.num_option_variables if name == ONEHOT else wq.num_variables

    def refusal(self, name: str, wq: WindowQubo) -> str | None:
        limit = self.max_variables(name)
        size = self.window_size(name, wq)
        if size > limit:
            return f"takes at most {limit} variables, got {size}"
        if name in (QPU, HYBRID) and name not in self.injected:
            return (
                "paid service: the rail path sends nothing without a cloud ledger row (not wired)"
            )
        if name in self.injected or name in (HYBRID, ONEHOT):
            return None
        status = self.dispatcher.backend(name).availability()
        return None if status.available else status.reason

    def _sampler(self, name: str) -> tuple[dimod.Sampler, str]:
        if name == QPU:
            from qroute.backends import DWaveQPUBackend

            qpu = DWaveQPUBackend(child=self.injected[name])
            return qpu.sampler(), qpu.device
        if name in self.injected:
            return self.injected[name], type(self.injected[name]).__name__
        if name == ONEHOT:
            return annealer.OneHotAnnealer(), annealer.DEVICE
        backend = self.dispatcher.backend(name)
        return backend.sampler(), str(getattr(backend, "device", name))  # type: ignore[attr-defined]

    def kwargs(
        self,
        name: str,
        wq: WindowQubo,
        budget: Budget,
        initial: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Sampler arguments; `initial` (the incumbent's options) seeds onehot-sa only."""
        if name == ONEHOT:
            return {
                "window": wq,
                "initial": initial,
                "num_reads": budget.shots or annealer.DEFAULT_READS,
                "num_sweeps": annealer.DEFAULT_SWEEPS,
                "seed": budget.seed,
                "time_limit": budget.time_limit,
            }
        if name == "dwave-sa":
            return {
                "num_reads": budget.shots or SA_READS,
                "num_sweeps": SA_SWEEPS,
                "seed": budget.seed,
            }
        if name == "dwave-tabu":
            reads = min(budget.shots or TABU_READS, TABU_READS)
            return {"num_reads": reads, "timeout": TABU_TIMEOUT_MS, "seed": budget.seed}
        if name in SIMULATORS:
            backend = self.dispatcher.backend(name)
            args: dict[str, Any] = {
                "p": getattr(backend, "depth", 2),
                "shots": budget.shots or QAOA_SHOTS,
                "seed": budget.seed,
                "max_qubits": self.max_variables(name),
            }
            if name != "qaoa-sdks":
                args["engine"] = backend.engine  # type: ignore[attr-defined]
            return args
        if name == QPU:
            from dwave.embedding.chain_strength import uniform_torque_compensation

            return {
                "num_reads": budget.shots or 100,
                "chain_strength": uniform_torque_compensation,
                "answer_mode": "raw",
                "return_embedding": True,
                "embedding_parameters": {"random_seed": budget.seed},
            }
        return {}

    def sample(
        self,
        name: str,
        wq: WindowQubo,
        budget: Budget,
        initial: Mapping[str, int] | None = None,
    ) -> WindowSample:
        start = time.perf_counter()
        sampler, device = self._sampler(name)
        sampleset = sampler.sample(wq.bqm, **self.kwargs(name, wq, budget, initial))
        sampleset.resolve()
        return WindowSample(
            sampleset,
            name,
            name,
            device,
            provenance_class(name, injected=name in self.injected),
            time.perf_counter() - start,
            details={"variables": wq.num_variables, "interactions": wq.bqm.num_interactions},
        )

    def solve(
        self,
        chain: Sequence[str],
        wq: WindowQubo,
        budget: Budget,
        initial: Mapping[str, int] | None = None,
    ) -> WindowSample:
        """The first backend of `chain` that takes the window; every skip's reason is kept.
        Raises BackendUnavailable when none does (the caller falls back to the MIP)."""
        reasons: list[str] = []
        for name in chain:
            why = self.refusal(name, wq)
            if why is not None:
                reasons.append(f"{name}: {why}")
                continue
            try:
                got = self.sample(name, wq, budget, initial)
            except Exception as exc:  # a failing backend falls back, the reason is kept
                reasons.append(f"{name}: failed ({type(exc).__name__}: {exc})")
                continue
            return WindowSample(
                got.sampleset,
                chain[0],
                name,
                got.device,
                got.provenance_class,
                got.wall_seconds,
                "; ".join(reasons) or None,
                got.details,
            )
        raise BackendUnavailable("; ".join(reasons) or "empty chain")


RAIL_POLICIES = ("local", "bitflip", "tabu", "mixed", "qaoa", "annealer", "hybrid", "exact")


def rail_chain(policy: str) -> list[str]:
    """Backends to try per window, best first (the window MIP is the last resort).

    local: onehot-sa (one-hot-preserving SA on the window BQM, qroute.rail.annealer), then
    dwave-sa. bitflip: dwave-sa alone (bit-flip SA, the earlier local path). tabu: dwave-tabu,
    dwave-sa. mixed: windows of ≤ 16 variables go to
    QAOA with shots split over Braket, PennyLane and Qiskit, larger ones to dwave-sa.
    qaoa: QAOA statevector (windows sized to 16 qubits), dwave-sa. annealer: D-Wave QPU,
    dwave-sa. hybrid: Leap hybrid BQM, dwave-sa. exact: no QUBO, the MIP alone."""
    chains = {
        "local": [ONEHOT, "dwave-sa"],
        "bitflip": ["dwave-sa"],
        "tabu": ["dwave-tabu", "dwave-sa"],
        "mixed": ["qaoa-sdks", "dwave-sa"],
        "qaoa": ["qaoa-statevector", "dwave-sa"],
        "annealer": [QPU, "dwave-sa"],
        "hybrid": [HYBRID, "dwave-sa"],
        "exact": [],
    }
    if policy not in chains:
        raise ValueError(f"unknown rail policy {policy!r}; choose from {', '.join(RAIL_POLICIES)}")
    return chains[policy]
