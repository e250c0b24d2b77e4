"""QAOA circuit for Qiskit (``qiskit.QuantumCircuit``).

Qiskit is little endian like :mod:`qroute.circuits.ising`: ``Statevector.probabilities()`` and
``get_int_counts()`` need no reordering (qubit ``q`` is bit ``q`` of the index).
"""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qroute.circuits.ising import Angles, IsingModel, validate_angles


def qaoa_circuit(
    model: IsingModel,
    gammas: Angles,
    betas: Angles,
    *,
    measure: bool = False,
) -> QuantumCircuit:
    """``prod_k [RX(2 beta_k)^n . exp(-i gamma_k H_C)] H^n |0>`` as a Qiskit circuit.

    Cost layer: ``RZ(-2 gamma h_q)`` (since ``s_q = -Z_q``) and ``RZZ(2 gamma J_ij)``. With
    ``measure=True``, ``measure_all()`` adds a classical register ``meas`` (bit q = qubit q).
    """
    validate_angles(gammas, betas)
    n = model.num_qubits
    z_coeffs, zz_coeffs = model.z_terms()
    qc = QuantumCircuit(n, name="qaoa")
    qc.h(range(n))
    for gamma, beta in zip(gammas, betas, strict=True):
        for q in range(n):
            if z_coeffs[q]:
                qc.rz(2.0 * float(gamma) * float(z_coeffs[q]), q)
        for (i, j), jij in zz_coeffs.items():
            if jij:
                qc.rzz(2.0 * float(gamma) * jij, i, j)
        qc.rx(2.0 * float(beta), range(n))
    if measure:
        qc.measure_all()
    return qc


def cost_operator(model: IsingModel) -> SparsePauliOp:
    """``H_C`` (offset included) as a ``SparsePauliOp``."""
    n = model.num_qubits
    z_coeffs, zz_coeffs = model.z_terms()
    terms: list[tuple[str, list[int], float]] = [("", [], model.offset)]
    terms += [("Z", [q], float(c)) for q, c in enumerate(z_coeffs) if c]
    terms += [("ZZ", [i, j], c) for (i, j), c in zz_coeffs.items() if c]
    return SparsePauliOp.from_sparse_list(terms, num_qubits=n).simplify(atol=0.0)
