"""Window BQMs through the existing backends: their dimod samplers, their size limits and
the dispatcher's fallback walk, with a provenance class per answer.

The routing backends solve `Subproblem`s; a rail window is a different BQM, so this module
takes each backend's own sampler (``backend.sampler()``) and its limit as the dispatcher
computes it (``Dispatcher.capacity(name)`` stops -> that squared variables, narrowed by the
hardware profile: one fact in one place), and supplies the sampler arguments a window needs.

Paid services (the D-Wave QPU, Leap hybrid BQM, Leap hybrid CQM) go only through the
ledgered Leap backends of ``qroute.cloud`` (``qroute.cloud.register`` puts them under
``dwave-qpu``, ``leap-hybrid-bqm`` and ``leap-hybrid-cqm``; tests pass them in the dispatcher
with offline doubles): every window sent is one ledger row (its label, estimate, actual
cost) behind the run budget, and a backend without a budget or credentials refuses with its
reason before anything leaves. Any other backend under a paid name (the bare ``dwave-qpu``) is
refused. ``injected`` samplers (a bare ``MockDWaveSampler``) stand in without a ledger:
classical samplers, offline only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dimod

from qroute.backends.hardware import device_max_variables, load_profiles
from qroute.cloud.dwave_leap import LeapHybridBackend, LeapHybridCQMBackend, LeapQPUBackend
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.provenance import provenance_class as class_of_backend
from qroute.model.solver import BackendUnavailable, Budget
from qroute.rail import annealer
from qroute.rail.annealer import NAME as ONEHOT
from qroute.rail.cqm import window_cqm
from qroute.rail.model import RAIL_POLICIES
from qroute.rail.qubo import WindowQubo

CLASSICAL = (ONEHOT, "dwave-sa", "dwave-tabu", "exact", "mip", "greedy", "repair")
SIMULATORS = ("qaoa-statevector", "braket-local", "pennylane-lightning", "qiskit-aer", "qaoa-sdks")
HYBRID = "leap-hybrid-bqm"
QPU = "dwave-qpu"
HYBRID_PROFILE = "dwave-hybrid-bqm"
CQM = "leap-hybrid-cqm"
CQM_PROFILE = "dwave-hybrid-cqm"
PAID = (QPU, HYBRID, CQM)
LEDGERED = (LeapQPUBackend, LeapHybridBackend, LeapHybridCQMBackend)
UNLEDGERED = "paid service: no ledgered Leap backend behind this name, so nothing is sent"
SA_READS = 32
SA_SWEEPS = 1000
QAOA_SHOTS = 1000
TABU_READS = 8  # restarts at most: each one runs for its whole timeout
TABU_TIMEOUT_MS = 100


def provenance_class(backend: str, *, injected: bool = False, device: str = "") -> str:
    """One of PROVENANCE_CLASSES (qroute.model.provenance, the one mapping), from the backend
    that produced the answer and its device (a mock device is a classical sampler). An
    injected double standing in for a QPU or Leap (offline tests) is a classical sampler."""
    return "classical_sampler" if injected else class_of_backend(backend, device)


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
        if name in (HYBRID, CQM):
            profile_id = HYBRID_PROFILE if name == HYBRID else CQM_PROFILE
            return device_max_variables(load_profiles()[profile_id])
        backend = self.dispatcher.backend(name)
        profile = self.dispatcher.profile(name)
        if backend.paradigm == "gate" or profile is None:
            return backend.max_variables  # a QAOA's limit, from its profile and the statevector's
        return device_max_variables(profile)

    @staticmethod
    def window_size(name: str, wq: WindowQubo) -> int:
        """What `max_variables(name)` limits: option variables for onehot-sa and the CQM
        (neither has slack bits), else every BQM variable (options and slack bits)."""
        return wq.num_option_variables if name in (ONEHOT, CQM) else wq.num_variables

    def ledgered(self, name: str) -> Any | None:
        """The ledgered Leap backend under a paid name, or None (not registered, or not a
        ledgered one: nothing may be sent through it)."""
        try:
            backend = self.dispatcher.backend(name)
        except ValueError:  # not registered (qroute.cloud.register was not called)
            return None
        return backend if isinstance(backend, LEDGERED) else None

    def refusal(self, name: str, wq: WindowQubo) -> str | None:
        limit = self.max_variables(name)
        size = self.window_size(name, wq)
        if size > limit:
            return f"takes at most {limit} variables, got {size}"
        if name in self.injected or name == ONEHOT:
            return None
        if name in PAID:
            backend = self.ledgered(name)
            if backend is None:
                return UNLEDGERED
            status = backend.availability()  # no budget or credentials: refused, with why
            return None if status.available else status.reason
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
        if name in PAID and name not in self.injected:
            return self.sample_paid(name, wq, budget)
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

    def sample_paid(self, name: str, wq: WindowQubo, budget: Budget) -> WindowSample:
        """One window through a ledgered Leap backend: one ledger row per dispatch, labelled
        with the window (``LedgeredSampler``); the QPU and hybrid BQM take the window BQM, the
        CQM solver the window CQM (qroute.rail.cqm). The class follows the device (a
        ``MockDWaveSampler`` under the QPU backend is a classical sampler)."""
        backend = self.ledgered(name)
        if backend is None:
            raise BackendUnavailable(f"{name}: {UNLEDGERED}")
        start = time.perf_counter()
        paid = {"subproblem": wq.label, "max_cost_usd": budget.max_cost_usd}
        try:
            if name == QPU:
                sampler = backend.sampler()
                reads = Budget(seed=budget.seed, shots=backend.reads(budget))
                kwargs = {**self.kwargs(QPU, wq, reads), **paid}
                sampleset = sampler.sample(wq.bqm, **kwargs)
            elif name == HYBRID:
                sampler = backend.sampler()
                limit = backend.time_limit(wq.bqm)
                sampleset = sampler.sample(wq.bqm, time_limit=limit, **paid)
            else:
                cqm = window_cqm(wq)
                sampler = backend.paid(backend.sdk_sampler(), backend.pricing())
                limit = backend.time_limit(cqm)
                sampleset = sampler.sample_cqm(cqm, time_limit=limit, **paid)
            sampleset.resolve()
            device = str(backend.device)
        finally:
            backend._close()  # the SDK sampler's cloud client (threads), as the backend's solve
        info = sampleset.info
        details: dict[str, Any] = {
            "variables": len(sampleset.variables),
            "model": "cqm" if name == CQM else "bqm",
            "subproblem": wq.label,
            **{
                k: info.get(k)
                for k in ("problem_id", "ledger_key", "estimate_usd", "actual_usd", "recovered")
            },
            "cost_usd": float(info.get("cost_usd") or 0.0),
        }
        return WindowSample(
            sampleset,
            name,
            name,
            device,
            provenance_class(name, device=device),
            time.perf_counter() - start,
            details=details,
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


def rail_chain(policy: str) -> list[str]:
    """Backends to try per window, best first (the window MIP is the last resort).

    local: onehot-sa (one-hot-preserving SA on the window BQM, qroute.rail.annealer), then
    dwave-sa. bitflip: dwave-sa alone (bit-flip SA, the earlier local path). tabu: dwave-tabu,
    dwave-sa. mixed: windows of ≤ 16 variables go to
    QAOA with shots split over Braket, PennyLane and Qiskit, larger ones to dwave-sa.
    qaoa: QAOA statevector (windows sized to 16 qubits), dwave-sa. annealer: D-Wave QPU,
    dwave-sa. hybrid: Leap hybrid BQM, dwave-sa. cqm: Leap hybrid CQM (the window as a
    constrained model, qroute.rail.cqm), then the local chain. The paid ones go through the
    ledgered Leap backends only (module docstring). exact: no QUBO, the MIP alone."""
    chains = {
        "local": [ONEHOT, "dwave-sa"],
        "bitflip": ["dwave-sa"],
        "tabu": ["dwave-tabu", "dwave-sa"],
        "mixed": ["qaoa-sdks", "dwave-sa"],
        "qaoa": ["qaoa-statevector", "dwave-sa"],
        "annealer": [QPU, "dwave-sa"],
        "hybrid": [HYBRID, "dwave-sa"],
        "cqm": [CQM, ONEHOT, "dwave-sa"],
        "exact": [],
    }
    if policy not in chains:
        raise ValueError(f"unknown rail policy {policy!r}; choose from {', '.join(RAIL_POLICIES)}")
    return chains[policy]


def is_paid_policy(policy: str) -> bool:
    """Whether `policy` tries a paid Leap service (its windows need a run budget)."""
    return any(name in PAID for name in rail_chain(policy))
