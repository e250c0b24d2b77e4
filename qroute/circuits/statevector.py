"""The exact QAOA statevector simulator (``StatevectorQAOA``): qroute's angle optimiser runs on it.

Conventions of :mod:`qroute.circuits.ising`: bit ``q`` of a basis index is qubit ``q``.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from qroute.circuits.ising import Angles, IsingModel, validate_angles

__all__ = ["StatevectorQAOA"]

FloatArray = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]

# ----------------------------------------------------------------------------------------------
# Statevector simulator
# ----------------------------------------------------------------------------------------------

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL._max_workers < workers:
            _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qaoa-sv")
        return _POOL


# sin/cos by table + short Taylor series (about 3-6x faster than libm, error ~1 ulp):
# theta = k * 2pi/M + r with |r| <= pi/M, the reduction split Cody-Waite style (2pi/M =
# _TWO_PI_M_HI + _TWO_PI_M_LO, _HI with 24 bits so k * _HI is exact for |k| < 2**29).
_TABLE_SIZE = 1024
_TWO_PI_M = 2 * math.pi / _TABLE_SIZE
_TWO_PI_M_HI = float(np.float32(_TWO_PI_M))
_TWO_PI_M_LO = (_TWO_PI_M - _TWO_PI_M_HI) + 2.4492935982947064e-16 / _TABLE_SIZE  # 2pi - fl(2pi)
_COS_TABLE = np.cos(np.arange(_TABLE_SIZE) * _TWO_PI_M)
_SIN_TABLE = np.sin(np.arange(_TABLE_SIZE) * _TWO_PI_M)
_SINCOS_MAX_ANGLE = 1e6  # beyond this fall back to np.cos / np.sin


def _sincos(theta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(cos(theta), sin(theta))`` for ``|theta| <= _SINCOS_MAX_ANGLE``."""
    k = theta * (1.0 / _TWO_PI_M)
    np.rint(k, out=k)
    r = k * _TWO_PI_M_HI
    np.subtract(theta, r, out=r)
    tmp = k * _TWO_PI_M_LO
    r -= tmp
    idx = k.astype(np.int64)
    idx &= _TABLE_SIZE - 1
    cos_k, sin_k = _COS_TABLE.take(idx), _SIN_TABLE.take(idx)
    r2 = r * r  # |r| <= pi / 1024: Taylor to r^4 / r^5 is exact to ~1e-18
    cos_r = r2 * (1.0 / 24.0)
    cos_r -= 0.5
    cos_r *= r2
    cos_r += 1.0
    sin_r = r2 * (1.0 / 120.0)
    sin_r -= 1.0 / 6.0
    sin_r *= r2
    sin_r += 1.0
    sin_r *= r
    cos = cos_k * cos_r
    np.multiply(sin_k, sin_r, out=tmp)
    cos -= tmp
    sin = sin_k * cos_r
    cos_k *= sin_r
    sin += cos_k
    return cos, sin


def _ry_block(beta: float, k: int) -> FloatArray:
    """``RY(-2 beta)^{(x) k}`` (real ``2**k x 2**k``), the mixer block in the rotated frame."""
    c, s = math.cos(beta), math.sin(beta)
    one = np.array([[c, s], [-s, c]])
    block = one
    for _ in range(k - 1):  # Kronecker product block (x) one
        m = block.shape[0]
        block = (block[:, None, :, None] * one[None, :, None, :]).reshape(2 * m, 2 * m)
    return block


def _block_plan(n: int, block_bits: int) -> list[int]:
    """Split ``n`` qubits into blocks of at most ``block_bits`` (sizes as equal as possible)."""
    parts = -(-n // block_bits)
    base, extra = divmod(n, parts)
    return [base + 1] * extra + [base] * (parts - extra)


class StatevectorQAOA:
    """Fast exact QAOA simulator working directly on the diagonal cost vector.

    The cost vector ``E`` (:meth:`IsingModel.energies`) is computed once. A layer applies
    ``exp(-i gamma H_C)`` as the elementwise phase ``exp(-i gamma E)`` and the mixer
    ``exp(-i beta sum X) = RX(2 beta)^{(x) n}`` on numpy reshapes of the state; nothing builds
    a circuit or a ``2**n x 2**n`` matrix.

    Implementation: the state is kept in the frame ``|phi> = S^dag^{(x) n} |psi>``
    (``S = diag(1, i)``), where ``S^dag RX(2 beta) S = RY(-2 beta)`` is *real*; the diagonal
    ``S`` commutes with the cost phase, so only the initial state changes
    (``phi_0[b] = (-i)^popcount(b) / sqrt(2**n)``) and probabilities / expectations are
    unchanged. Real and imaginary parts are stored as two float arrays, so the mixer
    is a sequence of real BLAS matrix products on reshapes: with ``mixer="kron"`` (default) a
    ``2**k x 2**k`` Kronecker block acts on the top ``k`` qubits of a ``(2**k, 2**(n-k))``
    reshape and the product is written transposed, which rotates the qubit order by ``k``;
    after blocks summing to ``n`` every qubit has been rotated once and the order is back to
    the identity. ``mixer="per-qubit"`` applies the same ``RY`` per qubit in place (reference,
    slower). Both steps run in cache-sized tiles; from ``parallel_qubits`` qubits on, tiles are
    spread over ``num_threads`` threads (default ``min(4, cpu_count)``; below that size the
    thread hand-off costs more than it saves). BLAS calls are sized to stay single-threaded.

    Why hand-written: angle optimisation needs hundreds of exact expectations per
    subproblem; the SDK simulators (Braket LocalSimulator, lightning.qubit, Aer) build and
    run a circuit for each one, an order of magnitude slower at 16 qubits, and qiskit-algorithms
    (the library QAOA optimiser) does not support Qiskit 2. The SDKs still draw every
    sample that is reported (``engine``).
    """

    def __init__(
        self,
        model: IsingModel | None = None,
        *,
        energies: npt.ArrayLike | None = None,
        mixer: Literal["kron", "per-qubit"] = "kron",
        block_bits: int = 4,
        num_threads: int | None = None,
        tile_bits: int = 15,
        parallel_qubits: int = 19,
    ) -> None:
        if (model is None) == (energies is None):
            raise ValueError("give exactly one of model or energies")
        cost = model.energies() if model is not None else np.asarray(energies, np.float64)
        n = int(round(math.log2(cost.size))) if cost.size else -1
        if n < 1 or cost.ndim != 1 or cost.size != 1 << n:
            raise ValueError("cost vector length must be 2**n with n >= 1")
        if mixer not in ("kron", "per-qubit"):
            raise ValueError(f"unknown mixer {mixer!r}")
        self.model = model
        self.num_qubits = n
        self.energies: FloatArray = np.ascontiguousarray(cost, dtype=np.float64)
        self.energies.flags.writeable = False
        self.ground_energy = float(self.energies.min())
        self._max_abs_energy = float(np.abs(self.energies).max())
        self.num_evaluations = 0  # number of expectation() calls
        self.mixer = mixer
        self.block_plan = _block_plan(n, max(1, block_bits))
        self.num_threads = max(1, num_threads or min(4, os.cpu_count() or 1))
        self.parallel_qubits = parallel_qubits
        self.tile = 1 << max(8, tile_bits)
        popcount = np.zeros(1 << n, dtype=np.int8)
        for q in range(n):  # doubling: popcount[m:2m] = popcount[:m] + 1
            np.add(popcount[: 1 << q], 1, out=popcount[1 << q : 2 << q])
        self._popcount = popcount
        # phase of the rotated initial state, folded into the first cost layer
        self._quarter_turns: FloatArray = (np.pi / 2) * popcount.astype(np.float64)

    # -- core evolution ------------------------------------------------------------------------
    def _map_spans(self, work: Callable[[int, int], Any], size: int, step: int) -> list[Any]:
        """Run ``work(lo, hi)`` over ``[0, size)`` in spans of ``step``, on the thread pool."""
        spans = [(lo, min(size, lo + step)) for lo in range(0, size, step)]
        if self.num_threads > 1 and len(spans) > 1 and self.num_qubits >= self.parallel_qubits:
            return list(_pool(self.num_threads).map(lambda sp: work(*sp), spans))
        return [work(lo, hi) for lo, hi in spans]

    def _phase(self, state: FloatArray, gamma: float, first: bool) -> None:
        """``state *= exp(-i gamma E)`` in place (first layer: prepare the initial state too)."""
        amp0 = 2.0 ** (-self.num_qubits / 2)
        energies, quarter = self.energies, self._quarter_turns
        max_angle = abs(gamma) * self._max_abs_energy + (np.pi / 2) * self.num_qubits
        fast = max_angle <= _SINCOS_MAX_ANGLE

        def work(lo: int, hi: int) -> None:
            re, im = state[0, lo:hi], state[1, lo:hi]
            theta = energies[lo:hi] * -gamma
            if first:
                theta -= quarter[lo:hi]
            cos, sin = _sincos(theta) if fast else (np.cos(theta), np.sin(theta))
            if first:
                np.multiply(cos, amp0, out=re)
                np.multiply(sin, amp0, out=im)
                return
            tmp = re * sin
            re *= cos
            sin *= im
            re -= sin
            im *= cos
            im += tmp

        self._map_spans(work, 1 << self.num_qubits, self.tile)

    def _mix_kron(self, state: FloatArray, spare: FloatArray, beta: float) -> FloatArray:
        size = 1 << self.num_qubits
        for k in self.block_plan:
            block_t = _ry_block(beta, k).T
            rest = size >> k
            src = state.reshape(2, 1 << k, rest)
            dst = spare.reshape(2, rest, 1 << k)

            def work(
                lo: int,
                hi: int,
                src: FloatArray = src,
                dst: FloatArray = dst,
                block_t: FloatArray = block_t,
            ) -> None:
                # dst rows lo:hi = (block @ src[:, lo:hi]).T; small enough for one BLAS thread
                for part in range(2):
                    np.matmul(src[part, :, lo:hi].T, block_t, out=dst[part, lo:hi])

            # rows * 4**k <= 2**18 keeps OpenBLAS single-threaded (our pool does the threading)
            self._map_spans(work, rest, max(1, min(rest, (1 << 18) >> (2 * k))))
            state, spare = spare, state
        return state

    def _mix_per_qubit(self, state: FloatArray, beta: float) -> FloatArray:
        c, s = math.cos(beta), math.sin(beta)
        for q in range(self.num_qubits):
            view = state.reshape(2, -1, 2, 1 << q)
            a, b = view[:, :, 0, :], view[:, :, 1, :]
            tmp = a * s  # (a, b) <- (c a + s b, -s a + c b)
            a *= c
            a += b * s
            b *= c
            b -= tmp
        return state

    def _evolve(self, gammas: Angles, betas: Angles) -> FloatArray:
        """Rotated-frame state ``phi`` as a ``(2, 2**n)`` array of real and imaginary parts."""
        p = validate_angles(gammas, betas)
        size = 1 << self.num_qubits
        state = np.empty((2, size), np.float64)
        spare = np.empty((2, size), np.float64) if self.mixer == "kron" else state
        for k in range(p):
            self._phase(state, float(gammas[k]), first=k == 0)
            if self.mixer == "kron":
                out = self._mix_kron(state, spare, float(betas[k]))
                if out is not state:
                    state, spare = out, state
            else:
                self._mix_per_qubit(state, float(betas[k]))
        return state

    # -- public API ------------------------------------------------------------------------------
    def statevector(self, gammas: Angles, betas: Angles) -> ComplexArray:
        """QAOA state ``|gamma, beta>`` (little endian, normalised).

        The global phase includes ``exp(-i gamma offset)``, so it may differ from SDK circuits.
        """
        phi = self._evolve(gammas, betas)
        turns = np.array([1, 1j, -1, -1j])[self._popcount & 3]  # S^{(x) n} = i^popcount
        return (phi[0] + 1j * phi[1]) * turns

    def probabilities(self, gammas: Angles, betas: Angles) -> FloatArray:
        """Probability of every basis state (little endian)."""
        phi = self._evolve(gammas, betas)
        np.square(phi, out=phi)
        return phi[0] + phi[1]

    def expectation(self, gammas: Angles, betas: Angles) -> float:
        """``<gamma, beta| H_C |gamma, beta>`` (offset included)."""
        self.num_evaluations += 1
        phi = self._evolve(gammas, betas)
        np.square(phi, out=phi)
        return float((phi @ self.energies).sum())

    def ground_state_probability(self, gammas: Angles, betas: Angles, atol: float = 1e-9) -> float:
        """Probability of the ground state(s): energy ``<= min(E) + atol * max(1, |min E|)``."""
        probs = self.probabilities(gammas, betas)
        return float(probs[self.ground_mask(atol)].sum())

    def ground_mask(self, atol: float = 1e-9) -> npt.NDArray[np.bool_]:
        """Boolean mask of the ground state(s) of the cost vector."""
        tol = atol * max(1.0, abs(self.ground_energy))
        return self.energies <= self.ground_energy + tol

    def sample(
        self,
        gammas: Angles,
        betas: Angles,
        shots: int,
        seed: int | None = None,
    ) -> dict[int, int]:
        """Draw ``shots`` basis states; returns ``{basis index: count}`` (seeded multinomial)."""
        probs = self.probabilities(gammas, betas)
        return _multinomial_counts(probs, shots, seed)


def _multinomial_counts(probs: FloatArray, shots: int, seed: int | None) -> dict[int, int]:
    if shots < 1:
        raise ValueError("shots must be >= 1")
    p = np.clip(probs, 0.0, None)
    p = p / p.sum()
    counts = np.random.default_rng(seed).multinomial(shots, p)
    nz = np.flatnonzero(counts)
    return {int(i): int(counts[i]) for i in nz}
