"""Subproblem backends, all behind one protocol (``Backend``), found by name.

To solve a subproblem of any QUBO kind on any backend::

    from qroute.backends import get_backend, solve_qubo
    result = solve_qubo(kind, subproblem, get_backend("dwave-sa"), Budget(seed=1))
"""

from __future__ import annotations

from collections.abc import Callable

from qroute.backends.annealing import DWaveQPUBackend, SimulatedAnnealingBackend, TabuBackend
from qroute.backends.base import (
    Availability,
    Backend,
    CloudBackend,
    SamplerBackend,
    SubproblemTooLarge,
    capacity,
    check_capacity,
    interpreted_result,
    solve_qubo,
)
from qroute.backends.classical import ExactBackend
from qroute.backends.gate import QAOABackend, QAOAEnsembleBackend, qaoa_backends

_FACTORIES: dict[str, Callable[[], Backend]] = {
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


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Add a backend (cloud paths register themselves here)."""
    _FACTORIES[name] = factory


def backend_names() -> list[str]:
    return list(_FACTORIES)


def get_backend(name: str) -> Backend:
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(_FACTORIES)}") from None


__all__ = [
    "LOCAL_BACKENDS",
    "Availability",
    "Backend",
    "CloudBackend",
    "DWaveQPUBackend",
    "ExactBackend",
    "QAOABackend",
    "QAOAEnsembleBackend",
    "SamplerBackend",
    "SimulatedAnnealingBackend",
    "SubproblemTooLarge",
    "TabuBackend",
    "backend_names",
    "capacity",
    "check_capacity",
    "get_backend",
    "interpreted_result",
    "register_backend",
    "solve_qubo",
]
