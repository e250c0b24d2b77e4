"""QAOA backends: one QAOA driver, sampled on Braket, PennyLane, Qiskit or our statevector."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import dimod

from qroute.backends.base import SamplerBackend
from qroute.backends.hardware import (
    HardwareProfile,
    backend_profile,
    max_variables_for,
    shipped_profile,
)
from qroute.model.solver import Budget
from qroute.qubo.kind import Conversion

DEFAULT_SHOTS = 1000
DEFAULT_DEPTH = 2
QAOA_MAX_QUBITS = max_variables_for(shipped_profile("qaoa-statevector"))
"""Most qubits (BQM variables) of any QAOA: its angles are optimised on the exact
statevector, so the qaoa-statevector profile's ``max_variables`` (16: 2^16 amplitudes, 4 route
stops) bounds every engine; derived here, written only in that profile."""


def qaoa_max_variables(profile: HardwareProfile | None) -> int:
    """Most qubits of a QAOA sampled on ``profile``'s device (None: no profile of its own):
    the statevector that optimises the angles (QAOA_MAX_QUBITS) and that device both bound it."""
    if profile is None:
        return QAOA_MAX_QUBITS
    return min(QAOA_MAX_QUBITS, max_variables_for(profile))


class QAOABackend(SamplerBackend):
    """QAOA on a local simulator: angles optimised on our statevector, shots on `engine`."""

    paradigm = "gate"

    @cached_property
    def max_variables(self) -> int:
        return qaoa_max_variables(backend_profile(self.name))

    def __init__(self, engine: str, name: str, device: str, depth: int = DEFAULT_DEPTH) -> None:
        self.engine = engine
        self.name = name
        self.device = device
        self.depth = depth

    def sampler(self) -> dimod.Sampler:
        from qroute.circuits.qaoa import QAOASampler

        return QAOASampler()

    def sample_kwargs(self, conversion: Conversion, budget: Budget) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "p": self.depth,
            "shots": budget.shots or DEFAULT_SHOTS,
            "seed": budget.seed,
            "max_qubits": self.max_variables,
        }

    def postprocess_info(self, sampleset: dimod.SampleSet) -> dict[str, Any]:
        keep = (
            "engine",
            "sampler_backend",
            "optimizer_engine",
            "optimizer_method",
            "p",
            "gammas",
            "betas",
            "expectation",
            "num_evaluations",
            "optimizer_time_s",
            "sampling_time_s",
            "ground_energy",
            "ground_state_probability",
            "num_qubits",
            "seeded",
        )
        return {key: sampleset.info[key] for key in keep if key in sampleset.info}


SDK_ENGINES = ("braket-local", "pennylane-lightning", "qiskit-aer")


class _SplitShotSampler(dimod.Sampler):  # type: ignore[misc]
    """QAOA whose shots are split over several SDK simulators; the sample sets are merged.

    Each engine runs the same QAOA (angles optimised on our statevector, identically for a
    given BQM and seed) and draws its share of the shots; `info["engines"]` keeps each
    engine's own info.
    """

    parameters = {"engines": [], "p": [], "shots": [], "seed": [], "max_qubits": []}
    properties: dict[str, Any] = {}

    def sample(  # type: ignore[override]
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        engines: tuple[str, ...] = SDK_ENGINES,
        p: int = DEFAULT_DEPTH,
        shots: int = DEFAULT_SHOTS,
        seed: int | None = None,
        max_qubits: int = QAOA_MAX_QUBITS,
    ) -> dimod.SampleSet:
        from qroute.circuits.qaoa import QAOASampler

        if bqm.num_variables == 0:  # nothing to split: the one (empty) state
            return dimod.ExactSolver().sample(bqm)
        sampler = QAOASampler()
        share = [shots // len(engines) + (i < shots % len(engines)) for i in range(len(engines))]
        parts = [
            sampler.sample(bqm, engine=e, p=p, shots=n, seed=seed, max_qubits=max_qubits)
            for e, n in zip(engines, share, strict=True)
            if n > 0
        ]
        merged = dimod.concatenate(parts)
        merged.info.update(
            {
                "engines": {e: part.info for e, part in zip(engines, parts, strict=False)},
                "shots_per_engine": dict(zip(engines, share, strict=True)),
            }
        )
        return merged


class QAOAEnsembleBackend(QAOABackend):
    """One QAOA per subproblem, its shots sampled on Braket, PennyLane and Qiskit in turn."""

    def __init__(self) -> None:
        super().__init__(
            "+".join(SDK_ENGINES),
            "qaoa-sdks",
            "braket LocalSimulator + pennylane lightning.qubit + qiskit-aer AerSimulator",
        )

    @cached_property
    def max_variables(self) -> int:
        """Every engine samples the same QAOA: the smallest engine limit (no profile of its own)."""
        return min(qaoa_max_variables(backend_profile(engine)) for engine in SDK_ENGINES)

    def sampler(self) -> dimod.Sampler:
        return _SplitShotSampler()

    def sample_kwargs(self, conversion: Conversion, budget: Budget) -> dict[str, Any]:
        kwargs = super().sample_kwargs(conversion, budget)
        kwargs.pop("engine")
        return kwargs

    def postprocess_info(self, sampleset: dimod.SampleSet) -> dict[str, Any]:
        engines = sampleset.info.get("engines", {})
        first: dict[str, Any] = next(iter(engines.values()), {})
        return {
            "engines": list(engines),
            "shots_per_engine": sampleset.info.get("shots_per_engine"),
            "sampler_backends": {e: i.get("sampler_backend") for e, i in engines.items()},
            "optimizer_engine": first.get("optimizer_engine"),
            "p": first.get("p"),
            "gammas": first.get("gammas"),
            "betas": first.get("betas"),
            "ground_state_probability": first.get("ground_state_probability"),
            "num_qubits": first.get("num_qubits"),
        }


def qaoa_backends() -> list[QAOABackend]:
    return [
        QAOABackend("statevector", "qaoa-statevector", "qroute numpy statevector QAOA"),
        QAOABackend("braket-local", "braket-local", "braket LocalSimulator (braket_sv)"),
        QAOABackend("pennylane-lightning", "pennylane-lightning", "pennylane lightning.qubit"),
        QAOABackend("qiskit-aer", "qiskit-aer", "qiskit-aer AerSimulator"),
    ]
