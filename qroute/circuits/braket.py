"""QAOA circuit for Amazon Braket (``braket.circuits.Circuit``).

Braket numbers qubits big endian in probability vectors and measurement strings (qubit 0 is the
most significant / leftmost bit); use :func:`qroute.circuits.ising.big_to_little_endian` to
convert a ``probability()`` result to the little-endian order of :mod:`qroute.circuits.ising`.
"""

from __future__ import annotations

from braket.circuits import Circuit, Observable

from qroute.circuits.ising import Angles, IsingModel, validate_angles


def qaoa_circuit(
    model: IsingModel,
    gammas: Angles,
    betas: Angles,
    *,
    measure: bool = False,
) -> Circuit:
    """``prod_k [RX(2 beta_k)^n . exp(-i gamma_k H_C)] H^n |0>`` as a Braket circuit.

    Cost layer: ``RZ(-2 gamma h_q)`` (since ``s_q = -Z_q``) and ``ZZ(2 gamma J_ij)``. With
    ``measure=True`` an explicit measurement of every qubit (in qubit order) is appended; the
    local simulator also measures all qubits when ``shots > 0`` without it.
    """
    validate_angles(gammas, betas)
    n = model.num_qubits
    z_coeffs, zz_coeffs = model.z_terms()
    circ = Circuit()
    for q in range(n):
        circ.h(q)
    for gamma, beta in zip(gammas, betas, strict=True):
        for q in range(n):
            if z_coeffs[q]:
                circ.rz(q, 2.0 * float(gamma) * float(z_coeffs[q]))
        for (i, j), jij in zz_coeffs.items():
            if jij:
                circ.zz(i, j, 2.0 * float(gamma) * jij)
        for q in range(n):
            circ.rx(q, 2.0 * float(beta))
    if measure:
        circ.measure(list(range(n)))
    return circ


def add_cost_expectations(circ: Circuit, model: IsingModel) -> list[tuple[float, str]]:
    """Append analytic result types for every term of ``H_C`` (``Z_q`` and ``Z_i Z_j``).

    Returns ``(coefficient, label)`` pairs in the order of the appended result types; the
    expectation of ``H_C`` is ``offset + sum(coefficient * value)`` over the task's values.
    """
    z_coeffs, zz_coeffs = model.z_terms()
    terms: list[tuple[float, str]] = []
    for q in range(model.num_qubits):
        if z_coeffs[q]:
            circ.expectation(Observable.Z(), target=[q])
            terms.append((float(z_coeffs[q]), f"Z{q}"))
    for (i, j), jij in zz_coeffs.items():
        if jij:
            circ.expectation(Observable.Z() @ Observable.Z(), target=[i, j])
            terms.append((float(jij), f"Z{i}Z{j}"))
    return terms
