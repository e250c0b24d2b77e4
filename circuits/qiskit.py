"""Entry point: the qiskit circuit code lives in qroute.circuits.qiskit."""

from qroute.circuits.qiskit import cost_operator, qaoa_circuit  # noqa: F401
