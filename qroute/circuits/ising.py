"""Ising model shared by every QAOA circuit builder and by our statevector simulator.

Conventions (used by every module in :mod:`circuits` and by :mod:`qroute.circuits.qaoa`):

* **Qubits** are ``0..n-1``; :meth:`IsingModel.from_bqm` maps qubit ``q`` to the BQM variable
  ``variable_order[q]`` (by default the BQM's own order, ``list(bqm.variables)``).
* **Bit order (little endian).** Index ``b`` of every length-``2**n`` vector (cost vector,
  probabilities, amplitudes) holds qubit ``q``'s value in bit ``q`` of ``b``:
  ``bit_q = (b >> q) & 1``. Qiskit uses this order natively; Braket and PennyLane (wire 0 is the
  most significant bit) are converted with :func:`big_to_little_endian`.
* **Spin / measurement.** A measured bit equals the QUBO binary variable: bit ``1`` <-> ``x = 1``
  <-> spin ``s = 2x - 1 = +1`` (dimod's convention). Since ``|0>`` has ``Z = +1``, the spin
  operator is ``s_q = -Z_q``. The cost Hamiltonian on qubits is therefore
  ``H_C = offset - sum_q h_q Z_q + sum_{i<j} J_ij Z_i Z_j``, and :meth:`IsingModel.z_terms`
  returns those Pauli-Z coefficients for the circuit builders.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dimod
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
#: QAOA angle lists (``gammas`` / ``betas``): any sequence or 1-D array of floats
Angles = Sequence[float] | npt.NDArray[np.floating]


@dataclass(frozen=True)
class IsingModel:
    """``E(s) = offset + sum_q h[q] s_q + sum_{(i,j)} J[i,j] s_i s_j`` with ``s_q`` in ``{-1, +1}``.

    ``J`` keys are ``(i, j)`` with ``0 <= i < j < n``; ``n = len(h)``.
    """

    h: tuple[float, ...]
    J: dict[tuple[int, int], float] = field(default_factory=dict)
    offset: float = 0.0

    def __post_init__(self) -> None:
        n = len(self.h)
        for i, j in self.J:
            if not (0 <= i < j < n):
                raise ValueError(f"J key {(i, j)} must satisfy 0 <= i < j < n={n}")

    def __hash__(self) -> int:  # dict field: hash by value
        return hash((self.h, tuple(sorted(self.J.items())), self.offset))

    @property
    def num_qubits(self) -> int:
        """Number of qubits / spins ``n``."""
        return len(self.h)

    @classmethod
    def from_bqm(
        cls,
        bqm: dimod.BinaryQuadraticModel,
        variable_order: Sequence[Hashable] | None = None,
    ) -> tuple[IsingModel, list[Hashable]]:
        """Convert a BQM (binary or spin) to an Ising model with the same energies.

        Returns ``(model, variable_order)``: qubit ``q`` is BQM variable ``variable_order[q]``.
        By default the order is ``list(bqm.variables)`` (the BQM's insertion order). Binary BQMs
        are converted with ``s = 2x - 1`` so ``model`` energies equal ``bqm.energy`` exactly.
        """
        order = list(bqm.variables) if variable_order is None else list(variable_order)
        if len(order) != len(bqm.variables) or set(order) != set(bqm.variables):
            raise ValueError("variable_order must be a permutation of bqm.variables")
        spin = bqm.spin
        index = {v: q for q, v in enumerate(order)}
        h = tuple(float(spin.get_linear(v)) for v in order)
        couplings: dict[tuple[int, int], float] = {}
        for u, v, bias in spin.iter_quadratic():
            i, j = sorted((index[u], index[v]))
            couplings[(i, j)] = couplings.get((i, j), 0.0) + float(bias)
        return cls(h=h, J=couplings, offset=float(spin.offset)), order

    def z_terms(self) -> tuple[FloatArray, dict[tuple[int, int], float]]:
        """Pauli-Z coefficients of ``H_C`` (without offset): ``(-h, J)`` since ``s_q = -Z_q``."""
        return -np.asarray(self.h, dtype=np.float64), dict(self.J)

    def energies(self) -> FloatArray:
        """Full diagonal of ``H_C``: ``E[b]`` is the energy of basis state ``b`` (little endian).

        Vectorised, ``O(2**n)``: qubits are added one at a time; with ``m = 2**k``,
        ``E[m:2m] = E[:m] + f_k`` and ``E[:m] -= f_k`` where the local field
        ``f_k[b] = h_k + sum_{j<k} J_jk s_j(b)`` is built by the same doubling.
        """
        n = self.num_qubits
        couplings: list[dict[int, float]] = [{} for _ in range(n)]
        for (i, j), jij in self.J.items():
            couplings[j][i] = couplings[j].get(i, 0.0) + jij
        energy = np.empty(1 << n, dtype=np.float64)
        field = np.empty(max(1, (1 << n) >> 1), dtype=np.float64)
        energy[0] = self.offset
        for k in range(n):
            m = 1 << k
            field[0] = self.h[k]
            for j in range(k):  # field[:2^(j+1)] over qubits 0..j
                w = 1 << j
                jjk = couplings[k].get(j, 0.0)
                np.add(field[:w], jjk, out=field[w : 2 * w])
                field[:w] -= jjk
            np.add(energy[:m], field[:m], out=energy[m : 2 * m])
            energy[:m] -= field[:m]
        return energy

    def energy(self, spins: Mapping[int, int] | Sequence[int]) -> float:
        """Energy of one spin configuration (``spins[q]`` in ``{-1, +1}``)."""
        s = [spins[q] for q in range(self.num_qubits)]
        e = self.offset + sum(hq * sq for hq, sq in zip(self.h, s, strict=True))
        return float(e + sum(jij * s[i] * s[j] for (i, j), jij in self.J.items()))

    def coefficient_scale(self) -> float:
        """Largest absolute linear or quadratic coefficient (1.0 for an all-zero model)."""
        values = [abs(v) for v in self.h] + [abs(v) for v in self.J.values()]
        scale = max(values, default=0.0)
        return scale if scale > 0 else 1.0


def big_to_little_endian(vector: npt.ArrayLike, num_qubits: int) -> npt.NDArray[Any]:
    """Reorder a length-``2**n`` vector from big endian (qubit 0 = most significant bit, the
    Braket/PennyLane order) to our little-endian order. The map is its own inverse."""
    arr = np.asarray(vector)
    if num_qubits <= 1:
        return arr.copy()
    return np.ascontiguousarray(arr.reshape((2,) * num_qubits).transpose().reshape(-1))


def random_ising(
    num_qubits: int, seed: int | None = None, density: float = 1.0, scale: float = 1.0
) -> IsingModel:
    """Random Ising model (normal coefficients, each coupling kept with prob. ``density``)."""
    rng = np.random.default_rng(seed)
    h = tuple(float(x) for x in scale * rng.normal(size=num_qubits))
    couplings = {
        (i, j): float(scale * rng.normal())
        for i in range(num_qubits)
        for j in range(i + 1, num_qubits)
        if rng.random() < density
    }
    return IsingModel(h=h, J=couplings, offset=float(scale * rng.normal()))


def validate_angles(gammas: Angles, betas: Angles) -> int:
    """Check ``len(gammas) == len(betas) >= 1`` and return the depth ``p``."""
    if len(gammas) != len(betas):
        raise ValueError(f"len(gammas)={len(gammas)} != len(betas)={len(betas)}")
    if len(gammas) == 0:
        raise ValueError("QAOA needs at least one layer (p >= 1)")
    return len(gammas)
