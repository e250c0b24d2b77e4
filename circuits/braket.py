"""Entry point: the braket circuit code lives in qroute.circuits.braket."""

from qroute.circuits.braket import add_cost_expectations, qaoa_circuit  # noqa: F401
