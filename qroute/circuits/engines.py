"""QAOA sampling engines: one sampler per SDK simulator (``SAMPLE_ENGINES``), no switch.

* ``"statevector"``: :class:`qroute.circuits.statevector.StatevectorQAOA` (multinomial, seeded);
* ``"braket-local"``: Braket ``LocalSimulator("braket_sv")``; it takes **no seed**;
* ``"pennylane-lightning"``: ``lightning.qubit`` with ``qml.set_shots``, seeded via the device;
* ``"qiskit-aer"``: ``qiskit_aer.primitives.SamplerV2(seed=seed)``, seeded.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from qroute.circuits.ising import Angles, IsingModel, validate_angles
from qroute.circuits.statevector import StatevectorQAOA

__all__ = [
    "ENGINES",
    "SAMPLE_ENGINES",
    "SEEDABLE_ENGINES",
    "Engine",
    "EngineRun",
    "SampleEngine",
    "sample_engine",
]

Engine = Literal["statevector", "braket-local", "pennylane-lightning", "qiskit-aer"]
ENGINES: tuple[str, ...] = ("statevector", "braket-local", "pennylane-lightning", "qiskit-aer")
"""The engine names; ``SAMPLE_ENGINES`` maps each to its sampler."""
#: engines whose sampling is reproducible for a fixed seed
SEEDABLE_ENGINES: frozenset[str] = frozenset({"statevector", "pennylane-lightning", "qiskit-aer"})


_ENGINE_BACKENDS = {
    "statevector": "qroute.circuits.qaoa.StatevectorQAOA (multinomial)",
    "braket-local": "braket.devices.LocalSimulator('braket_sv')",
    "pennylane-lightning": "pennylane lightning.qubit",
    "qiskit-aer": "qiskit_aer.primitives.SamplerV2 (AerSimulator)",
}


def _import_engine(engine: str) -> None:
    """Import the SDK modules used by ``engine`` (no-op for ``statevector``)."""
    modules = {
        "braket-local": ("braket.devices", "qroute.circuits.braket"),
        "pennylane-lightning": ("pennylane", "pennylane_lightning", "qroute.circuits.pennylane"),
        "qiskit-aer": ("qiskit_aer.primitives", "qroute.circuits.qiskit"),
    }
    for name in modules.get(engine, ()):
        importlib.import_module(name)


def _bits_to_counts(bits: npt.NDArray[np.integer], qubits: Sequence[int]) -> dict[int, int]:
    """Rows of measured bits (column ``k`` = qubit ``qubits[k]``) -> little-endian counts."""
    weights = np.array([1 << int(q) for q in qubits], dtype=np.int64)
    idx = np.asarray(bits, dtype=np.int64) @ weights
    values, counts = np.unique(idx, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


# Braket's local simulator runs numba ``parallel=True`` kernels whose default threading layer
# aborts the process when two Python threads enter it at once (seen with concurrent Prefect
# subproblem tasks), so its runs are serialised within a process.
_BRAKET_LOCK = threading.Lock()


@dataclass(frozen=True)
class EngineRun:
    """One sampling run of the QAOA circuit: what every engine's sampler is given."""

    model: IsingModel
    gammas: Angles
    betas: Angles
    shots: int
    seed: int | None
    sim: StatevectorQAOA | None = None


SampleEngine = Callable[[EngineRun], dict[int, int]]
"""An engine's sampler: the run -> {basis index: count}."""


def _sample_statevector(run: EngineRun) -> dict[int, int]:
    sim = run.sim if run.sim is not None else StatevectorQAOA(run.model)
    return sim.sample(run.gammas, run.betas, run.shots, run.seed)


def _sample_braket_local(run: EngineRun) -> dict[int, int]:
    from braket.devices import LocalSimulator

    from qroute.circuits.braket import qaoa_circuit as braket_circuit

    circ = braket_circuit(run.model, run.gammas, run.betas)
    with _BRAKET_LOCK:  # its numba kernels (parallel=True) crash if run from two threads
        result = LocalSimulator("braket_sv").run(circ, shots=run.shots).result()
    return _bits_to_counts(result.measurements, [int(q) for q in result.measured_qubits])


def _sample_pennylane_lightning(run: EngineRun) -> dict[int, int]:
    from qroute.circuits.pennylane import make_qnode

    qnode = make_qnode(
        run.model, "samples", device="lightning.qubit", shots=run.shots, seed=run.seed
    )
    return _bits_to_counts(qnode(run.gammas, run.betas), range(run.model.num_qubits))


def _sample_qiskit_aer(run: EngineRun) -> dict[int, int]:
    from qiskit_aer.primitives import SamplerV2

    from qroute.circuits.qiskit import qaoa_circuit as qiskit_circuit

    circuit = qiskit_circuit(run.model, run.gammas, run.betas, measure=True)
    pub = SamplerV2(seed=run.seed).run([circuit], shots=run.shots).result()[0]
    counts = pub.data.meas.get_int_counts()  # little endian: bit q = qubit q
    return {int(k): int(v) for k, v in sorted(counts.items())}


SAMPLE_ENGINES: dict[str, SampleEngine] = {
    "statevector": _sample_statevector,
    "braket-local": _sample_braket_local,
    "pennylane-lightning": _sample_pennylane_lightning,
    "qiskit-aer": _sample_qiskit_aer,
}
"""Each engine's sampler; a new SDK is one more entry (``ENGINES`` lists the same names)."""


def sample_engine(
    model: IsingModel,
    gammas: Angles,
    betas: Angles,
    *,
    engine: str = "statevector",
    shots: int = 1000,
    seed: int | None = None,
    sim: StatevectorQAOA | None = None,
) -> dict[int, int]:
    """Run the QAOA circuit on ``engine`` with ``shots``; returns ``{basis index: count}``.

    Indices are little endian (bit ``q`` = qubit ``q``; bit 1 <-> binary 1 <-> spin +1).
    ``braket-local`` ignores ``seed`` (the Braket local simulator cannot be seeded).
    """
    validate_angles(gammas, betas)
    if shots < 1:
        raise ValueError("shots must be >= 1")
    sampler = SAMPLE_ENGINES.get(engine)
    if sampler is None:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    return sampler(EngineRun(model, gammas, betas, shots, seed, sim))
