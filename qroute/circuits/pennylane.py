"""QAOA circuit for PennyLane: a quantum function for use inside a QNode, plus QNode helpers.

PennyLane's ``qml.probs`` and ``qml.sample`` are big endian (wire 0 is the most significant
bit / first column); :func:`make_qnode` with ``little_endian=True`` (default) converts
probabilities to the little-endian order of :mod:`qroute.circuits.ising`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pennylane as qml

from qroute.circuits.ising import Angles, IsingModel, big_to_little_endian, validate_angles

Kind = Literal["expval", "probs", "samples"]


def qaoa_ops(model: IsingModel, gammas: Angles, betas: Angles) -> None:
    """Apply the QAOA state preparation on wires ``0..n-1`` (call inside a QNode).

    Cost layer: ``RZ(-2 gamma h_q)`` (since ``s_q = -Z_q``) and ``IsingZZ(2 gamma J_ij)``;
    mixer ``RX(2 beta)`` on every wire.
    """
    validate_angles(gammas, betas)
    n = model.num_qubits
    z_coeffs, zz_coeffs = model.z_terms()
    for q in range(n):
        qml.Hadamard(wires=q)
    for k in range(len(gammas)):
        gamma, beta = gammas[k], betas[k]
        for q in range(n):
            if z_coeffs[q]:
                qml.RZ(2.0 * gamma * float(z_coeffs[q]), wires=q)
        for (i, j), jij in zz_coeffs.items():
            if jij:
                qml.IsingZZ(2.0 * gamma * jij, wires=[i, j])
        for q in range(n):
            qml.RX(2.0 * beta, wires=q)


def cost_hamiltonian(model: IsingModel) -> qml.operation.Operator:
    """``H_C`` (offset included, as a multiple of the identity) as a PennyLane operator."""
    z_coeffs, zz_coeffs = model.z_terms()
    coeffs: list[float] = [model.offset]
    ops: list[Any] = [qml.Identity(0)]
    for q, c in enumerate(z_coeffs):
        if c:
            coeffs.append(float(c))
            ops.append(qml.Z(q))
    for (i, j), c in zz_coeffs.items():
        if c:
            coeffs.append(c)
            ops.append(qml.Z(i) @ qml.Z(j))
    return qml.Hamiltonian(coeffs, ops)


def make_qnode(
    model: IsingModel,
    kind: Kind = "expval",
    *,
    device: str | Any = "lightning.qubit",
    shots: int | None = None,
    seed: int | None = None,
    little_endian: bool = True,
    diff_method: str | None = "best",
) -> Callable[[Angles, Angles], Any]:
    """Return ``f(gammas, betas)`` evaluating the QAOA circuit on ``device``.

    ``kind``: ``"expval"`` -> ``<H_C>`` (float); ``"probs"`` -> probability vector (little endian
    unless ``little_endian=False``); ``"samples"`` -> ``(shots, n)`` int array with column ``q``
    = qubit ``q`` (needs ``shots``). ``device`` is a device name (created with ``wires=n`` and
    ``seed`` where the device takes one) or a device instance. ``shots`` is set with
    ``qml.set_shots``.
    """
    n = model.num_qubits
    if isinstance(device, str):
        dev_kwargs: dict[str, Any] = {"wires": n}
        if seed is not None:
            dev_kwargs["seed"] = seed
        dev = qml.device(device, **dev_kwargs)
    else:
        dev = device
    if kind == "samples" and not shots:
        raise ValueError("kind='samples' needs shots > 0")
    hamiltonian = cost_hamiltonian(model) if kind == "expval" else None

    def circuit(gammas: Angles, betas: Angles) -> Any:
        qaoa_ops(model, gammas, betas)
        if kind == "expval":
            return qml.expval(hamiltonian)
        if kind == "probs":
            return qml.probs(wires=range(n))
        if kind == "samples":
            return qml.sample(wires=range(n))
        raise ValueError(f"unknown kind {kind!r}")

    qnode = qml.QNode(circuit, dev, diff_method=diff_method)
    qnode = qml.set_shots(qnode, shots=shots)

    def run(gammas: Angles, betas: Angles) -> Any:
        result = qnode([float(g) for g in gammas], [float(b) for b in betas])
        if kind == "expval":
            return float(result)
        if kind == "probs":
            probs = np.asarray(result, dtype=np.float64)
            return big_to_little_endian(probs, n) if little_endian else probs
        return np.asarray(result, dtype=np.int64).reshape(-1, n)

    return run
