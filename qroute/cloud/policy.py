"""The ``cloud`` dispatch policy: real QPUs first, managed simulator next, local last.

* what fits a QAOA (16 qubits: 4 route stops): QAOA on the Braket gate QPUs that are not
  retired, cheapest estimated task first, then SV1, then our statevector QAOA, then the local
  annealer;
* what fits the QPU embedding limit (100 variables: 10 stops): the D-Wave QPUs through Leap
  (Advantage2, then Advantage), then the local annealer;
* larger: the Leap hybrid BQM solver, then the local annealer;
* ``exact`` closes every chain (the dispatcher skips it when the subproblem is too big).

Budget refusals, missing credentials, offline devices and closed windows all make the
dispatcher move down the chain and record why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from qroute.backends.annealing import DWaveQPUBackend
from qroute.backends.gate import QAOA_MAX_QUBITS
from qroute.backends.hardware import HardwareProfile, load_profiles
from qroute.qubo.kind import QuboKind
from qroute.qubo.tsp import TSP_KIND

__all__ = ["braket_qpu_arns", "cloud_chain", "cloud_policy", "default_cloud_chains"]

GATE_MAX_VARIABLES = QAOA_MAX_QUBITS
LOCAL_TAIL = ("dwave-sa", "exact")


def _braket_qpus(profiles: dict[str, HardwareProfile]) -> list[HardwareProfile]:
    """The Braket gate QPUs the policy tries, cheapest estimated task first."""
    from qroute.cloud.cost import estimate_gate_task

    qpus = [
        p
        for p in profiles.values()
        if p.backend == "braket-aws" and p.kind == "qpu" and p.status != "retired"
    ]
    qpus.sort(key=lambda p: (estimate_gate_task(p, p.shots.default, qubits=16).usd, p.id))
    return qpus


def _gate_qpus(profiles: dict[str, HardwareProfile]) -> list[str]:
    from qroute.cloud.braket import braket_backend_name

    return [braket_backend_name(p) for p in _braket_qpus(profiles)]


def braket_qpu_arns(profiles: dict[str, HardwareProfile] | None = None) -> list[str]:
    """The device ARNs of the Braket QPUs the ``cloud`` policy may send tasks to (the gate
    chain's QPUs; default: the loaded profiles), e.g. to set their spending limits."""
    chosen = _braket_qpus(load_profiles() if profiles is None else profiles)
    return [p.device_arn for p in chosen if p.device_arn is not None]


@lru_cache(maxsize=1)
def default_cloud_chains() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(gate, annealer, hybrid) backend names from the hardware profiles."""
    from qroute.cloud.braket import braket_backend_name
    from qroute.cloud.dwave_leap import leap_backend_name

    profiles = load_profiles()
    gate = _gate_qpus(profiles)
    gate += [
        braket_backend_name(p)
        for p in profiles.values()
        if p.backend == "braket-aws" and p.kind == "simulator" and p.id == "braket-sv1"
    ]
    annealers = sorted(
        (p for p in profiles.values() if p.backend == "dwave-qpu" and p.status != "retired"),
        key=lambda p: p.id,
        reverse=True,  # advantage2 before advantage
    )
    hybrid = [leap_backend_name(p) for p in profiles.values() if p.backend == "dwave-hybrid"]
    return tuple(gate), tuple(leap_backend_name(p) for p in annealers), tuple(hybrid)


def qpu_max_variables() -> int:
    """Most variables the annealer chain takes: the D-Wave QPU backend's, from its profile
    (100: 10 stops)."""
    return DWaveQPUBackend().max_variables


def cloud_policy(
    *,
    gate: Sequence[str] | None = None,
    annealer: Sequence[str] | None = None,
    hybrid: Sequence[str] | None = None,
) -> Callable[[Any, QuboKind], list[str]]:
    """A chain rule (subproblem, kind) -> names for ``Dispatcher(chain=...)``; None picks the
    defaults from profiles."""

    def chain(sub: Any, kind: QuboKind = TSP_KIND) -> list[str]:
        default_gate, default_annealer, default_hybrid = default_cloud_chains()
        variables = kind.num_variables(sub)
        if variables <= GATE_MAX_VARIABLES:
            names = [*(default_gate if gate is None else gate), "qaoa-statevector"]
        elif variables <= qpu_max_variables():
            names = list(default_annealer if annealer is None else annealer)
        else:
            names = list(default_hybrid if hybrid is None else hybrid)
        return [*names, *LOCAL_TAIL]

    return chain


def cloud_chain(sub: Any, kind: QuboKind = TSP_KIND) -> list[str]:
    """The default ``cloud`` policy chain (see the module docstring)."""
    return cloud_policy()(sub, kind)
