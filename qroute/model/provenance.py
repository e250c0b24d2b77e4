"""The four provenance classes of an answer, and the one mapping from backend to class.

* ``qpu``: a real quantum device (a D-Wave annealer, a Braket gate QPU).
* ``quantum_simulator``: a classical computer simulating a quantum circuit (our statevector,
  Braket local, SV1, DM1, TN1, PennyLane lightning, Qiskit Aer, the three-SDK QAOA split).
* ``hybrid_service``: D-Wave Leap's hybrid solvers (classical and quantum inside, opaque).
* ``classical_sampler``: everything else, however it is named: simulated annealing and tabu
  on a CPU, exhaustive/exact solvers, Held-Karp, MIP, test doubles (a MockDWaveSampler is a
  CPU sampler, not a QPU).

Nothing is ever summed across classes into "quantum": simulated annealing on a CPU is a
classical sampler. An unknown backend is a classical sampler (an honest default never
inflates a quantum share). A repaired answer is credited to the classical repair, not to
the sampler (see `credited_class`).
"""

from __future__ import annotations

from typing import Final, Literal

ProvenanceClass = Literal["qpu", "quantum_simulator", "hybrid_service", "classical_sampler"]
PROVENANCE_CLASSES: Final[tuple[ProvenanceClass, ...]] = (
    "qpu",
    "quantum_simulator",
    "hybrid_service",
    "classical_sampler",
)
#: classes whose answers came from quantum hardware or quantum simulation
QUANTUM_CLASSES: Final[frozenset[str]] = frozenset({"qpu", "quantum_simulator"})

_SIMULATOR_BACKENDS: Final = frozenset(
    {
        "qaoa-statevector",
        "qaoa-sdks",
        "braket-local",
        "pennylane-lightning",
        "qiskit-aer",
        "braket-sv1",
        "braket-dm1",
        "braket-tn1",
    }
)
_QPU_BACKENDS: Final = frozenset({"dwave-qpu"})


def provenance_class(backend: str, device: str = "") -> ProvenanceClass:
    """The provenance class of an answer produced by `backend` on `device`.

    Braket backends are classed by their device ARN (``.../device/qpu/...`` is a QPU,
    ``.../device/quantum-simulator/...`` a simulator); a device named like a mock or a test
    double is a classical sampler whatever the backend claims.
    """
    name = backend.lower()
    where = device.lower()
    if "mock" in where or "double" in where:
        return "classical_sampler"
    if name.startswith("leap-"):
        return "hybrid_service" if "hybrid" in name or "hybrid" in where else "qpu"
    if "hybrid" in name and "dwave" in name:
        return "hybrid_service"
    if name in _QPU_BACKENDS:
        return "qpu"
    if name in _SIMULATOR_BACKENDS:
        return "quantum_simulator"
    if name.startswith(("braket-", "pennylane-braket-")):
        if "device/qpu/" in where:
            return "qpu"
        return "quantum_simulator"
    if name.startswith("qaoa-"):
        return "quantum_simulator"
    return "classical_sampler"


def credited_class(backend: str, device: str = "", *, repaired: bool = False) -> ProvenanceClass:
    """The class an adopted answer is credited to: a repaired answer is the classical
    repair's work, so it is credited to ``classical_sampler``."""
    return "classical_sampler" if repaired else provenance_class(backend, device)


def empty_by_class() -> dict[str, dict[str, float]]:
    """Zeroed per-class totals, every class present (reports never drop a class)."""
    return {
        c: {"solves": 0, "adopted": 0, "final_routes": 0, "improvement": 0.0}
        for c in PROVENANCE_CLASSES
    }
