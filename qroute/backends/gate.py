"""QAOA backends: one QAOA driver, sampled on Braket, PennyLane, Qiskit or our statevector."""

from __future__ import annotations

from typing import Any

import dimod

from qroute.backends.base import QuboBackend
from qroute.solver import Budget
from qroute.subproblem import Subproblem

DEFAULT_SHOTS = 1000
DEFAULT_DEPTH = 2


class QAOABackend(QuboBackend):
    """QAOA on a local simulator: angles optimised on our statevector, shots on `engine`."""

    paradigm = "gate"
    max_size = 4  # 16 qubits

    def __init__(self, engine: str, name: str, device: str, depth: int = DEFAULT_DEPTH) -> None:
        self.engine = engine
        self.name = name
        self.device = device
        self.depth = depth

    def sampler(self) -> dimod.Sampler:
        from qroute.qaoa import QAOASampler

        return QAOASampler()

    def sample_kwargs(self, sub: Subproblem, budget: Budget) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "p": self.depth,
            "shots": budget.shots or DEFAULT_SHOTS,
            "seed": budget.seed,
            "max_qubits": self.max_size**2,
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


def qaoa_backends() -> list[QAOABackend]:
    return [
        QAOABackend("statevector", "qaoa-statevector", "qroute numpy statevector QAOA"),
        QAOABackend("braket-local", "braket-local", "braket LocalSimulator (braket_sv)"),
        QAOABackend("pennylane-lightning", "pennylane-lightning", "pennylane lightning.qubit"),
        QAOABackend("qiskit-aer", "qiskit-aer", "qiskit-aer AerSimulator"),
    ]
