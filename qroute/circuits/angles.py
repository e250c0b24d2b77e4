"""QAOA angle optimisation on the exact statevector (scipy COBYLA or L-BFGS-B, bounded)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.optimize

from qroute.circuits.ising import Angles, validate_angles
from qroute.circuits.statevector import StatevectorQAOA

__all__ = ["AngleOptimization", "linear_ramp", "optimize_angles"]


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
