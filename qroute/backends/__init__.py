"""Subproblem backends, all behind one protocol, found by name."""

from __future__ import annotations

from collections.abc import Callable

from qroute.backends.annealing import DWaveQPUBackend, SimulatedAnnealingBackend, TabuBackend
from qroute.backends.base import (
    Availability,
    QuboBackend,
    SubproblemBackend,
    SubproblemTooLarge,
    check_size,
)
from qroute.backends.classical import ExactBackend
from qroute.backends.gate import QAOABackend, QAOAEnsembleBackend, qaoa_backends

_FACTORIES: dict[str, Callable[[], SubproblemBackend]] = {
    "exact": ExactBackend,
    "dwave-sa": SimulatedAnnealingBackend,
    "dwave-tabu": TabuBackend,
    "dwave-qpu": DWaveQPUBackend,
    "qaoa-sdks": QAOAEnsembleBackend,
}
for _backend in qaoa_backends():
    _FACTORIES[_backend.name] = (lambda b: lambda: QAOABackend(b.engine, b.name, b.device))(
        _backend
    )

LOCAL_BACKENDS = (
    "exact",
    "dwave-sa",
    "dwave-tabu",
    "qaoa-statevector",
    "braket-local",
    "pennylane-lightning",
    "qiskit-aer",
    "qaoa-sdks",
)


def register_backend(name: str, factory: Callable[[], SubproblemBackend]) -> None:
    """Add a backend (cloud paths register themselves here)."""
    _FACTORIES[name] = factory


def backend_names() -> list[str]:
    return list(_FACTORIES)


def get_backend(name: str) -> SubproblemBackend:
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(_FACTORIES)}") from None


__all__ = [
    "LOCAL_BACKENDS",
    "Availability",
    "DWaveQPUBackend",
    "ExactBackend",
    "QAOABackend",
    "QAOAEnsembleBackend",
    "QuboBackend",
    "SimulatedAnnealingBackend",
    "SubproblemBackend",
    "SubproblemTooLarge",
    "TabuBackend",
    "backend_names",
    "check_size",
    "get_backend",
    "register_backend",
]
