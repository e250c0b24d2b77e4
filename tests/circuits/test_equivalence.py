"""The QAOA circuits of Braket, PennyLane and Qiskit and our StatevectorQAOA agree.

Every engine is compared with an independent dense reference (``scipy.linalg.expm`` of the
cost and mixer Hamiltonians, energies from :meth:`IsingModel.energy` per basis state) on
random, asymmetric Ising models, so a wrong sign, angle factor or bit order fails.
"""

from __future__ import annotations

from functools import reduce

import dimod
import numpy as np
import numpy.typing as npt
import pytest
import scipy.linalg
from braket.devices import LocalSimulator
from qiskit.quantum_info import Statevector

from qroute.circuits import braket as qbraket
from qroute.circuits import pennylane as qpenny
from qroute.circuits import qiskit as qqiskit
from qroute.circuits.ising import IsingModel, big_to_little_endian, random_ising
from qroute.circuits.qaoa import StatevectorQAOA

TOL = 1e-9
# (num_qubits, depth p, seed): n = 2..6, p = 1..3
CASES = [(2, 1, 11), (3, 2, 12), (4, 3, 13), (5, 1, 14), (5, 3, 15), (6, 2, 16)]


def _angles(p: int, seed: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed + 1000)
    return list(rng.uniform(-np.pi, np.pi, p)), list(rng.uniform(-np.pi / 2, np.pi / 2, p))


def _reference(
    model: IsingModel, gammas: list[float], betas: list[float]
) -> tuple[npt.NDArray[np.float64], float]:
    """Dense ``expm`` reference: little-endian probabilities and ``<H_C>``."""
    n = model.num_qubits
    # bit q of b is qubit q; bit 1 <-> spin +1
    diag = np.array([model.energy([2 * ((b >> q) & 1) - 1 for q in range(n)]) for b in range(2**n)])
    x = np.array([[0.0, 1.0], [1.0, 0.0]])
    eye = np.eye(2)
    # qubit q acts on bit q: in a Kronecker product the *last* factor is bit 0
    mixer = sum(
        reduce(np.kron, [x if k == q else eye for k in reversed(range(n))]) for q in range(n)
    )
    psi = np.full(2**n, 2 ** (-n / 2), dtype=complex)
    for gamma, beta in zip(gammas, betas, strict=True):
        psi = np.exp(-1j * gamma * diag) * psi
        psi = scipy.linalg.expm(-1j * beta * mixer) @ psi
    probs = np.abs(psi) ** 2
    return probs, float(probs @ diag)


def _braket(
    model: IsingModel, gammas: list[float], betas: list[float]
) -> tuple[npt.NDArray[np.float64], float]:
    n = model.num_qubits
    circ = qbraket.qaoa_circuit(model, gammas, betas)
    circ.probability(target=list(range(n)))
    terms = qbraket.add_cost_expectations(circ, model)
    result = LocalSimulator("braket_sv").run(circ, shots=0).result()
    values = result.values
    probs = big_to_little_endian(np.asarray(values[0], dtype=float), n)
    assert len(values) == 1 + len(terms)
    energy = model.offset + sum(c * float(v) for (c, _), v in zip(terms, values[1:], strict=True))
    return probs.astype(float), energy


def _pennylane(
    model: IsingModel, gammas: list[float], betas: list[float], device: str
) -> tuple[npt.NDArray[np.float64], float]:
    probs = qpenny.make_qnode(model, "probs", device=device)(gammas, betas)
    energy = qpenny.make_qnode(model, "expval", device=device)(gammas, betas)
    return probs, energy


def _qiskit(
    model: IsingModel, gammas: list[float], betas: list[float]
) -> tuple[npt.NDArray[np.float64], float]:
    state = Statevector(qqiskit.qaoa_circuit(model, gammas, betas))
    energy = state.expectation_value(qqiskit.cost_operator(model))
    assert abs(energy.imag) < TOL
    return state.probabilities(), float(energy.real)


def _ours(
    model: IsingModel, gammas: list[float], betas: list[float], mixer: str
) -> tuple[npt.NDArray[np.float64], float]:
    sim = StatevectorQAOA(model, mixer=mixer, block_bits=2)  # type: ignore[arg-type]
    return sim.probabilities(gammas, betas), sim.expectation(gammas, betas)


ENGINES = {
    "braket": _braket,
    "pennylane-default": lambda m, g, b: _pennylane(m, g, b, "default.qubit"),
    "pennylane-lightning": lambda m, g, b: _pennylane(m, g, b, "lightning.qubit"),
    "qiskit": _qiskit,
    "ours-kron": lambda m, g, b: _ours(m, g, b, "kron"),
    "ours-per-qubit": lambda m, g, b: _ours(m, g, b, "per-qubit"),
}


@pytest.mark.parametrize(("n", "p", "seed"), CASES)
def test_all_engines_match_dense_reference(n: int, p: int, seed: int) -> None:
    model = random_ising(n, seed=seed)
    gammas, betas = _angles(p, seed)
    ref_probs, ref_energy = _reference(model, gammas, betas)
    # the reference distribution is far from uniform and not bit-reversal symmetric, so a
    # wrong angle or bit order would be caught
    assert np.ptp(ref_probs) > 1e-3
    if n > 1:
        reversed_probs = big_to_little_endian(ref_probs, n)
        assert np.abs(reversed_probs - ref_probs).max() > 1e-3
    assert abs(ref_probs.sum() - 1.0) < 1e-12
    for name, engine in ENGINES.items():
        probs, energy = engine(model, gammas, betas)
        assert probs.shape == (2**n,), name
        np.testing.assert_allclose(probs, ref_probs, rtol=0, atol=TOL, err_msg=name)
        assert energy == pytest.approx(ref_energy, abs=TOL), name


def test_statevector_matches_qiskit_up_to_global_phase() -> None:
    model = random_ising(5, seed=3)
    gammas, betas = _angles(3, 3)
    ours = StatevectorQAOA(model).statevector(gammas, betas)
    theirs = Statevector(qqiskit.qaoa_circuit(model, gammas, betas)).data
    overlap = np.vdot(theirs, ours)
    assert abs(abs(overlap) - 1.0) < TOL
    np.testing.assert_allclose(ours, overlap * theirs, atol=TOL)


def test_energies_bit_order_and_spin_convention() -> None:
    # h on qubit 0 only: E[b] = +1 where bit 0 of b is 1 (binary 1 <-> spin +1)
    np.testing.assert_array_equal(
        IsingModel(h=(1.0, 0.0, 0.0)).energies(), [-1, 1, -1, 1, -1, 1, -1, 1]
    )
    model = IsingModel(h=(0.5, -1.0), J={(0, 1): 2.0}, offset=0.25)
    expected = [model.energy([2 * ((b >> q) & 1) - 1 for q in range(2)]) for b in range(4)]
    np.testing.assert_allclose(model.energies(), expected)
    assert model.energies()[0b01] == pytest.approx(0.25 + 0.5 + 1.0 - 2.0)


def test_from_bqm_preserves_energies_and_order() -> None:
    bqm = dimod.BinaryQuadraticModel(
        {"a": 1.0, "b": -2.0, "c": 0.5}, {("a", "b"): 1.5, ("c", "b"): -1.0}, 0.3, "BINARY"
    )
    model, order = IsingModel.from_bqm(bqm)
    assert order == ["a", "b", "c"]
    energies = model.energies()
    for b in range(8):
        sample = {v: (b >> q) & 1 for q, v in enumerate(order)}
        assert energies[b] == pytest.approx(bqm.energy(sample), abs=1e-12)
    model2, order2 = IsingModel.from_bqm(bqm, ["c", "a", "b"])
    assert order2 == ["c", "a", "b"]
    assert model2.energies()[0b001] == pytest.approx(bqm.energy({"c": 1, "a": 0, "b": 0}))
    spin_model, _ = IsingModel.from_bqm(bqm.spin)
    np.testing.assert_allclose(spin_model.energies(), energies, atol=1e-12)
    with pytest.raises(ValueError, match="permutation"):
        IsingModel.from_bqm(bqm, ["a", "b"])


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="J key"):
        IsingModel(h=(1.0, 2.0), J={(1, 0): 1.0})
    model = random_ising(3, seed=0)
    with pytest.raises(ValueError, match="len"):
        qqiskit.qaoa_circuit(model, [0.1], [0.1, 0.2])
    with pytest.raises(ValueError, match="p >= 1"):
        StatevectorQAOA(model).expectation([], [])
