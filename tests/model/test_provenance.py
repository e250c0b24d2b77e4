"""The four provenance classes and the one mapping from backend / device to class."""

from __future__ import annotations

import pytest

from qroute.model.provenance import PROVENANCE_CLASSES, credited_class, provenance_class


@pytest.mark.parametrize(
    ("backend", "device", "expected"),
    [
        ("dwave-sa", "dwave-samplers SimulatedAnnealingSampler (CPU)", "classical_sampler"),
        ("dwave-tabu", "", "classical_sampler"),
        ("exact", "held-karp", "classical_sampler"),
        ("mip", "scipy.optimize.milp (HiGHS)", "classical_sampler"),
        ("qaoa-statevector", "numpy", "quantum_simulator"),
        ("qaoa-sdks", "", "quantum_simulator"),
        ("braket-local", "", "quantum_simulator"),
        ("pennylane-lightning", "", "quantum_simulator"),
        ("qiskit-aer", "", "quantum_simulator"),
        ("braket-sv1", "arn:aws:braket:::device/quantum-simulator/amazon/sv1", "quantum_simulator"),
        ("braket-dm1", "arn:aws:braket:::device/quantum-simulator/amazon/dm1", "quantum_simulator"),
        ("braket-ionq-forte-1", "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1", "qpu"),
        ("pennylane-braket-iqm-garnet", "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet", "qpu"),
        ("dwave-qpu", "Advantage_system4.1", "qpu"),
        ("dwave-qpu", "MockDWaveSampler", "classical_sampler"),
        ("leap-advantage2", "Advantage2_system1.3", "qpu"),
        ("leap-hybrid-bqm", "hybrid_binary_quadratic_model_version2p", "hybrid_service"),
        ("something-new", "", "classical_sampler"),
    ],
)
def test_each_backend_has_exactly_its_class(backend: str, device: str, expected: str) -> None:
    assert provenance_class(backend, device) == expected
    assert expected in PROVENANCE_CLASSES


def test_repaired_answers_are_credited_to_the_classical_repair() -> None:
    device = "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"
    assert credited_class("braket-ionq-forte-1", device) == "qpu"
    assert credited_class("braket-ionq-forte-1", device, repaired=True) == "classical_sampler"
    assert credited_class("qaoa-sdks", repaired=True) == "classical_sampler"
