"""Entry point: the ising circuit code lives in qroute.circuits.ising."""

from qroute.circuits.ising import IsingModel, big_to_little_endian, random_ising, validate_angles  # noqa: F401
