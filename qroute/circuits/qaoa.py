"""QAOA for Ising models / BQMs: fast statevector simulator, angle optimiser, SDK samplers.

Conventions are those of :mod:`qroute.circuits.ising`: basis index ``b`` holds qubit ``q`` in
bit ``q`` (little endian), measured bit ``1`` <-> binary ``x = 1`` <-> spin ``+1``
(so ``s_q = -Z_q``).

Workflow (:func:`run_qaoa`, :class:`QAOASampler`): the angles are *always* optimised on our
:class:`StatevectorQAOA` (exact expectation, scipy COBYLA or L-BFGS-B with a bounded number of
evaluations); the final ``shots`` bitstrings are drawn from the chosen *engine*, which really
runs the circuit on that SDK's simulator:

* ``"statevector"``: :class:`StatevectorQAOA` (multinomial sampling, seeded);
* ``"braket-local"``: Braket ``LocalSimulator("braket_sv")``; it takes **no seed** (its RNG is
  ``np.random.default_rng()`` from OS entropy), so its samples are not reproducible;
* ``"pennylane-lightning"``: ``lightning.qubit`` with ``qml.set_shots``, seeded via the device;
* ``"qiskit-aer"``: ``qiskit_aer.primitives.SamplerV2(seed=seed)``, seeded.
"""

from __future__ import annotations

import importlib
import math
import os
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import dimod
import numpy as np
import numpy.typing as npt
import scipy.optimize

from qroute.circuits.ising import Angles, IsingModel, validate_angles

__all__ = [
    "ENGINES",
    "SAMPLE_ENGINES",
    "SEEDABLE_ENGINES",
    "AngleOptimization",
    "Engine",
    "EngineRun",
    "QAOAResult",
    "QAOASampler",
    "StatevectorQAOA",
    "linear_ramp",
    "optimize_angles",
    "run_qaoa",
    "sample_engine",
]

Engine = Literal["statevector", "braket-local", "pennylane-lightning", "qiskit-aer"]
ENGINES: tuple[str, ...] = ("statevector", "braket-local", "pennylane-lightning", "qiskit-aer")
"""The engine names; ``SAMPLE_ENGINES`` maps each to its sampler."""
#: engines whose sampling is reproducible for a fixed seed
SEEDABLE_ENGINES: frozenset[str] = frozenset({"statevector", "pennylane-lightning", "qiskit-aer"})

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


# ----------------------------------------------------------------------------------------------
# Angle initialisation and optimisation (always on StatevectorQAOA)
# ----------------------------------------------------------------------------------------------


def linear_ramp(p: int, scale: float = 1.0, delta: float = 0.75) -> tuple[list[float], list[float]]:
    """Linear-ramp (discretised annealing) initial angles for depth ``p``.

    With ``t_k = (k + 1/2) / p`` for ``k = 0..p-1``: ``gamma_k = delta * t_k / scale`` and
    ``beta_k = -delta * (1 - t_k)``. This Trotterises the anneal from ``-sum X`` (ground state
    ``|+>^n``) to ``H_C`` with time step ``delta``, so it targets the *minimum* of ``H_C`` under
    our sign conventions (cost ``exp(-i gamma H_C)``, mixer ``exp(-i beta sum X)``).
    ``scale`` (typically :meth:`IsingModel.coefficient_scale`, the largest ``|h|`` or ``|J|``)
    makes the cost phases independent of the QUBO's overall scale.
    """
    if p < 1:
        raise ValueError("p must be >= 1")
    if scale <= 0:
        raise ValueError("scale must be > 0")
    ts = [(k + 0.5) / p for k in range(p)]
    return [delta * t / scale for t in ts], [-delta * (1.0 - t) for t in ts]


@dataclass(frozen=True)
class AngleOptimization:
    """Outcome of :func:`optimize_angles` (run on :class:`StatevectorQAOA`)."""

    gammas: list[float]
    betas: list[float]
    expectation: float
    num_evaluations: int
    wall_time_s: float
    method: str
    initial_gammas: list[float]
    initial_betas: list[float]
    initial_expectation: float
    message: str


class _BudgetExhausted(Exception):
    """Raised by the objective once ``maxiter`` evaluations have been used."""


def optimize_angles(
    sim: StatevectorQAOA,
    p: int = 2,
    *,
    method: Literal["COBYLA", "L-BFGS-B"] = "COBYLA",
    maxiter: int = 150,
    scale: float | None = None,
    initial: tuple[Angles, Angles] | None = None,
) -> AngleOptimization:
    """Minimise ``sim.expectation`` over ``(gammas, betas)`` with scipy.

    Starts from :func:`linear_ramp` (or ``initial``). Optimisation variables are
    ``(gamma * scale, beta)`` with bounds ``|gamma * scale| <= 2 pi``, ``|beta| <= pi / 2``;
    ``maxiter`` is a hard cap on expectation evaluations (the initial point and L-BFGS-B's
    finite-difference gradients included); the best point seen is returned.
    """
    if maxiter < 1:
        raise ValueError("maxiter must be >= 1")
    if method not in ("COBYLA", "L-BFGS-B"):
        raise ValueError(f"unknown method {method!r}")
    if scale is None:
        scale = sim.model.coefficient_scale() if sim.model is not None else 1.0
    g0, b0 = initial if initial is not None else linear_ramp(p, scale)
    p = validate_angles(g0, b0)
    x0 = np.array([g * scale for g in g0] + [float(b) for b in b0])
    bounds = [(-2 * np.pi, 2 * np.pi)] * p + [(-np.pi / 2, np.pi / 2)] * p
    x0 = np.clip(x0, [lo for lo, _ in bounds], [hi for _, hi in bounds])

    evaluations = 0
    best: tuple[float, npt.NDArray[np.float64]] = (math.inf, x0)

    def objective(x: npt.NDArray[np.float64]) -> float:
        nonlocal evaluations, best
        if evaluations >= maxiter:  # hard cap, whatever the optimiser does
            raise _BudgetExhausted
        evaluations += 1
        value = sim.expectation(x[:p] / scale, x[p:])
        if value < best[0]:
            best = (value, np.array(x, dtype=np.float64))
        return value

    start = time.perf_counter()
    initial_value = objective(x0)
    budget = maxiter - 1
    try:
        if budget <= 0:
            raise _BudgetExhausted
        if method == "COBYLA":
            res = scipy.optimize.minimize(
                objective,
                x0,
                method="COBYLA",
                bounds=bounds,
                options={"maxiter": budget, "rhobeg": 0.25},
            )
        else:
            res = scipy.optimize.minimize(
                objective, x0, method="L-BFGS-B", bounds=bounds, options={"maxfun": budget}
            )
        message = str(res.message)
    except _BudgetExhausted:
        message = f"stopped after maxiter={maxiter} expectation evaluations"
    wall = time.perf_counter() - start
    value, x = best
    return AngleOptimization(
        gammas=[float(v) / scale for v in x[:p]],
        betas=[float(v) for v in x[p:]],
        expectation=float(value),
        num_evaluations=evaluations,
        wall_time_s=wall,
        method=method,
        initial_gammas=[float(v) / scale for v in x0[:p]],
        initial_betas=[float(v) for v in x0[p:]],
        initial_expectation=float(initial_value),
        message=message,
    )


# ----------------------------------------------------------------------------------------------
# Sampling engines
# ----------------------------------------------------------------------------------------------

_ENGINE_BACKENDS = {
    "statevector": "qroute.circuits.qaoa.StatevectorQAOA (multinomial)",
    "braket-local": "braket.devices.LocalSimulator('braket_sv')",
    "pennylane-lightning": "pennylane lightning.qubit",
    "qiskit-aer": "qiskit_aer.primitives.SamplerV2 (AerSimulator)",
}


def _import_engine(engine: str) -> None:
    """Import the SDK modules used by ``engine`` (no-op for ``statevector``)."""
    modules = {
        "braket-local": ("braket.devices", "qroute.circuits.braket"),
        "pennylane-lightning": ("pennylane", "pennylane_lightning", "qroute.circuits.pennylane"),
        "qiskit-aer": ("qiskit_aer.primitives", "qroute.circuits.qiskit"),
    }
    for name in modules.get(engine, ()):
        importlib.import_module(name)


def _bits_to_counts(bits: npt.NDArray[np.integer], qubits: Sequence[int]) -> dict[int, int]:
    """Rows of measured bits (column ``k`` = qubit ``qubits[k]``) -> little-endian counts."""
    weights = np.array([1 << int(q) for q in qubits], dtype=np.int64)
    idx = np.asarray(bits, dtype=np.int64) @ weights
    values, counts = np.unique(idx, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


# Braket's local simulator runs numba ``parallel=True`` kernels whose default threading layer
# aborts the process when two Python threads enter it at once (seen with concurrent Prefect
# subproblem tasks), so its runs are serialised within a process.
_BRAKET_LOCK = threading.Lock()


@dataclass(frozen=True)
class EngineRun:
    """One sampling run of the QAOA circuit: what every engine's sampler is given."""

    model: IsingModel
    gammas: Angles
    betas: Angles
    shots: int
    seed: int | None
    sim: StatevectorQAOA | None = None


SampleEngine = Callable[[EngineRun], dict[int, int]]
"""An engine's sampler: the run -> {basis index: count}."""


def _sample_statevector(run: EngineRun) -> dict[int, int]:
    sim = run.sim if run.sim is not None else StatevectorQAOA(run.model)
    return sim.sample(run.gammas, run.betas, run.shots, run.seed)


def _sample_braket_local(run: EngineRun) -> dict[int, int]:
    from braket.devices import LocalSimulator

    from qroute.circuits.braket import qaoa_circuit as braket_circuit

    circ = braket_circuit(run.model, run.gammas, run.betas)
    with _BRAKET_LOCK:  # its numba kernels (parallel=True) crash if run from two threads
        result = LocalSimulator("braket_sv").run(circ, shots=run.shots).result()
    return _bits_to_counts(result.measurements, [int(q) for q in result.measured_qubits])


def _sample_pennylane_lightning(run: EngineRun) -> dict[int, int]:
    from qroute.circuits.pennylane import make_qnode

    qnode = make_qnode(
        run.model, "samples", device="lightning.qubit", shots=run.shots, seed=run.seed
    )
    return _bits_to_counts(qnode(run.gammas, run.betas), range(run.model.num_qubits))


def _sample_qiskit_aer(run: EngineRun) -> dict[int, int]:
    from qiskit_aer.primitives import SamplerV2

    from qroute.circuits.qiskit import qaoa_circuit as qiskit_circuit

    circuit = qiskit_circuit(run.model, run.gammas, run.betas, measure=True)
    pub = SamplerV2(seed=run.seed).run([circuit], shots=run.shots).result()[0]
    counts = pub.data.meas.get_int_counts()  # little endian: bit q = qubit q
    return {int(k): int(v) for k, v in sorted(counts.items())}


SAMPLE_ENGINES: dict[str, SampleEngine] = {
    "statevector": _sample_statevector,
    "braket-local": _sample_braket_local,
    "pennylane-lightning": _sample_pennylane_lightning,
    "qiskit-aer": _sample_qiskit_aer,
}
"""Each engine's sampler; a new SDK is one more entry (``ENGINES`` lists the same names)."""


def sample_engine(
    model: IsingModel,
    gammas: Angles,
    betas: Angles,
    *,
    engine: str = "statevector",
    shots: int = 1000,
    seed: int | None = None,
    sim: StatevectorQAOA | None = None,
) -> dict[int, int]:
    """Run the QAOA circuit on ``engine`` with ``shots``; returns ``{basis index: count}``.

    Indices are little endian (bit ``q`` = qubit ``q``; bit 1 <-> binary 1 <-> spin +1).
    ``braket-local`` ignores ``seed`` (the Braket local simulator cannot be seeded).
    """
    validate_angles(gammas, betas)
    if shots < 1:
        raise ValueError("shots must be >= 1")
    sampler = SAMPLE_ENGINES.get(engine)
    if sampler is None:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    return sampler(EngineRun(model, gammas, betas, shots, seed, sim))


# ----------------------------------------------------------------------------------------------
# Driver and dimod sampler
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QAOAResult:
    """Optimised angles (from :class:`StatevectorQAOA`) and samples (from ``engine``)."""

    model: IsingModel
    engine: str
    p: int
    optimization: AngleOptimization
    counts: dict[int, int]
    shots: int
    seed: int | None
    sampling_time_s: float
    ground_energy: float
    ground_state_probability: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def gammas(self) -> list[float]:
        return self.optimization.gammas

    @property
    def betas(self) -> list[float]:
        return self.optimization.betas


def run_qaoa(
    model: IsingModel,
    *,
    p: int = 2,
    engine: str = "statevector",
    shots: int = 1000,
    seed: int | None = None,
    maxiter: int = 150,
    method: Literal["COBYLA", "L-BFGS-B"] = "COBYLA",
    initial: tuple[Angles, Angles] | None = None,
) -> QAOAResult:
    """Optimise QAOA angles on :class:`StatevectorQAOA`, then sample ``shots`` on ``engine``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    sim = StatevectorQAOA(model)
    opt = optimize_angles(sim, p, method=method, maxiter=maxiter, initial=initial)
    p_ground = sim.ground_state_probability(opt.gammas, opt.betas)
    _import_engine(engine)  # keep one-off SDK import time out of the sampling time
    start = time.perf_counter()
    counts = sample_engine(
        model, opt.gammas, opt.betas, engine=engine, shots=shots, seed=seed, sim=sim
    )
    sampling = time.perf_counter() - start
    return QAOAResult(
        model=model,
        engine=engine,
        p=len(opt.gammas),
        optimization=opt,
        counts=counts,
        shots=shots,
        seed=seed,
        sampling_time_s=sampling,
        ground_energy=sim.ground_energy,
        ground_state_probability=p_ground,
        info={"sampler_backend": _ENGINE_BACKENDS[engine]},
    )


class QAOASampler(dimod.Sampler):  # type: ignore[misc]
    """dimod sampler: QAOA angles optimised on our statevector, samples drawn on ``engine``.

    Qubit ``q`` is variable ``info["variable_order"][q]`` (default ``list(bqm.variables)``);
    a measured 1 is binary 1 / spin +1. Energies in the SampleSet come from the BQM.
    Sampling is reproducible for a fixed ``seed`` on ``statevector``, ``pennylane-lightning``
    and ``qiskit-aer``; Braket's local simulator takes no seed, so ``braket-local`` is not.
    """

    @property
    def parameters(self) -> dict[str, list[str]]:
        return {
            "engine": ["engines"],
            "p": [],
            "shots": [],
            "seed": [],
            "max_qubits": [],
            "maxiter": [],
            "method": [],
            "variable_order": [],
        }

    @property
    def properties(self) -> dict[str, Any]:
        return {"engines": ENGINES, "seedable_engines": tuple(sorted(SEEDABLE_ENGINES))}

    def sample(  # type: ignore[override]
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        engine: str = "statevector",
        p: int = 2,
        shots: int = 1000,
        seed: int | None = None,
        max_qubits: int = 20,
        maxiter: int = 150,
        method: Literal["COBYLA", "L-BFGS-B"] = "COBYLA",
        variable_order: Sequence[Hashable] | None = None,
    ) -> dimod.SampleSet:
        """Run QAOA on ``bqm``; ``ValueError`` if it has more than ``max_qubits`` variables.
        An empty BQM has one (empty) sample and no circuit is run."""
        n = bqm.num_variables
        if n > max_qubits:
            raise ValueError(
                f"BQM has {n} variables, i.e. {n} qubits, more than max_qubits={max_qubits}"
            )
        if n == 0:  # nothing to sample: the one (empty) state, as dimod's samplers answer
            return dimod.ExactSolver().sample(bqm)
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
        model, order = IsingModel.from_bqm(bqm, variable_order)
        result = run_qaoa(
            model, p=p, engine=engine, shots=shots, seed=seed, maxiter=maxiter, method=method
        )
        energies = model.energies()
        idx = np.array(sorted(result.counts, key=lambda i: (energies[i], -result.counts[i])))
        bits = (idx[:, None] >> np.arange(n)) & 1
        values = bits if bqm.vartype is dimod.BINARY else 2 * bits - 1
        opt = result.optimization
        info = {
            "engine": engine,
            "sampler_backend": result.info["sampler_backend"],
            "optimizer_engine": "statevector",
            "optimizer_method": opt.method,
            "p": result.p,
            "gammas": opt.gammas,
            "betas": opt.betas,
            "initial_gammas": opt.initial_gammas,
            "initial_betas": opt.initial_betas,
            "expectation": opt.expectation,
            "initial_expectation": opt.initial_expectation,
            "num_evaluations": opt.num_evaluations,
            "optimizer_time_s": opt.wall_time_s,
            "sampling_time_s": result.sampling_time_s,
            "shots": shots,
            "seed": seed,
            "seeded": engine in SEEDABLE_ENGINES and seed is not None,
            "num_qubits": n,
            "variable_order": list(order),
            "ground_energy": result.ground_energy,
            "ground_state_probability": result.ground_state_probability,
        }
        return dimod.SampleSet.from_samples_bqm(
            (values, order),
            bqm,
            num_occurrences=[result.counts[int(i)] for i in idx],
            info=info,
        )
