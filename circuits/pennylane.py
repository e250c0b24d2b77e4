"""Entry point: the pennylane circuit code lives in qroute.circuits.pennylane."""

from qroute.circuits.pennylane import cost_hamiltonian, make_qnode, qaoa_ops  # noqa: F401
