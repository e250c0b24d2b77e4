"""Real cloud QPUs: Braket gate devices, D-Wave Leap QPU and hybrid, with budgets and a ledger.

``register()`` adds one backend per cloud hardware profile to :mod:`qroute.backends`:

* ``braket-<device>`` (e.g. ``braket-ionq-forte-1``, ``braket-iqm-garnet``, ``braket-sv1``):
  QAOA submitted with the Braket SDK's ``AwsDevice.run``;
* ``pennylane-braket-<device>``: the same through PennyLane's ``braket.aws.qubit`` device;
* ``leap-advantage``, ``leap-advantage2``: the QUBO on a D-Wave QPU (EmbeddingComposite);
* ``leap-hybrid-bqm``: Leap's hybrid BQM solver, for subproblems too large to embed;
* ``leap-hybrid-cqm``: Leap's hybrid CQM solver (route selection with real cover constraints);
* ``leap-hybrid-nl``: Leap's hybrid nonlinear solver (route selection as a
  ``dwave.optimization.Model``, ``qroute.cloud.leap_nl``);
* ``dwave-qpu``: replaced by the ledgered Leap QPU of the first active D-Wave QPU profile
  (the bare ``dwave-qpu`` of ``qroute.backends`` sends nothing: it has no ledger or budget).

See ``docs/real-qpus.md`` for credentials, budgets, the dry run and crash recovery.
"""

from __future__ import annotations

from functools import partial

from qroute.backends.hardware import HardwareProfile, ProfileError, load_profiles
from qroute.cloud.credentials import install_log_redaction, redact, safe_error
from qroute.cloud.credentials import module_logger as _module_logger
from qroute.cloud.settings import CloudSettings, configure, current_settings, reset_settings

__all__ = [
    "CloudSettings",
    "configure",
    "current_settings",
    "install_log_redaction",
    "redact",
    "register",
    "reset_settings",
    "safe_error",
]

log = _module_logger(__name__)


def register(profiles: dict[str, HardwareProfile] | None = None) -> list[str]:
    """Register the cloud backends of every cloud hardware profile; returns their names.

    Constructing them contacts nothing: credentials, device status and windows are checked by
    ``availability()`` and again before each submission. An unreadable profile folder is
    logged and registers nothing (the local backends keep working).
    """
    from qroute.backends import register_backend
    from qroute.cloud.braket import BraketQAOABackend, braket_backend_name
    from qroute.cloud.dwave_leap import (
        LeapHybridBackend,
        LeapHybridCQMBackend,
        LeapQPUBackend,
        leap_backend_name,
    )
    from qroute.cloud.leap_nl import LeapHybridNLBackend

    if profiles is None:
        try:
            profiles = load_profiles()
        except ProfileError as exc:
            log.warning("cloud backends not registered: %s", exc)
            return []
    names: list[str] = []
    for profile in sorted(profiles.values(), key=lambda p: p.id):
        if profile.backend == "braket-aws":
            for via in ("sdk", "pennylane"):
                name = braket_backend_name(profile, via)
                register_backend(name, partial(BraketQAOABackend, profile, via=via))
                names.append(name)
        elif profile.backend == "dwave-qpu":
            name = leap_backend_name(profile)
            register_backend(name, partial(LeapQPUBackend, profile))
            names.append(name)
        elif profile.backend in ("dwave-hybrid", "dwave-hybrid-cqm"):
            name = leap_backend_name(profile)
            cqm = profile.backend == "dwave-hybrid-cqm"
            hybrid = LeapHybridCQMBackend if cqm else LeapHybridBackend
            register_backend(name, partial(hybrid, profile))
            names.append(name)
        elif profile.backend == "dwave-hybrid-nl":
            name = leap_backend_name(profile)
            register_backend(name, partial(LeapHybridNLBackend, profile))
            names.append(name)
    qpus = [p for p in profiles.values() if p.backend == "dwave-qpu" and p.status == "active"]
    if qpus:  # the dwave-qpu name (annealer policy, comparisons) becomes the ledgered QPU
        first = sorted(qpus, key=lambda p: p.id, reverse=True)[0]  # as the cloud policy: newest
        register_backend("dwave-qpu", partial(LeapQPUBackend, first, name="dwave-qpu"))
    return names
