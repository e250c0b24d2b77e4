"""QAOA for Ising models / BQMs: fast statevector simulator, angle optimiser, SDK samplers.

Conventions are those of :mod:`qroute.circuits.ising`: basis index ``b`` holds qubit ``q`` in
bit ``q`` (little endian), measured bit ``1`` <-> binary ``x = 1`` <-> spin ``+1``
(so ``s_q = -Z_q``).

Split by job: the simulator is :mod:`qroute.circuits.statevector`, the angle optimiser
:mod:`qroute.circuits.angles`, the per-SDK samplers :mod:`qroute.circuits.engines`; this
module drives them (:func:`run_qaoa`) and is the dimod sampler (:class:`QAOASampler`); the
names of all four are importable from here.

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

import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import dimod
import numpy as np

from qroute.circuits.angles import AngleOptimization, linear_ramp, optimize_angles
from qroute.circuits.engines import (
    _ENGINE_BACKENDS,
    ENGINES,
    SAMPLE_ENGINES,
    SEEDABLE_ENGINES,
    Engine,
    EngineRun,
    _import_engine,
    sample_engine,
)
from qroute.circuits.ising import Angles, IsingModel
from qroute.circuits.statevector import StatevectorQAOA

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
