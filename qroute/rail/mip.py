"""The exact classical counterpart: the assignment as a MIP solved by HiGHS
(scipy.optimize.milp): one binary per option, exactly one option per consignment, and
kg and slot allowances on every service segment. Time-limited; the proven gap comes from
HiGHS' dual bound."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from qroute.rail.options import Option, Segment

DEVICE = "HiGHS branch-and-cut via scipy.optimize.milp (CPU)"


@dataclass(frozen=True)
class MipResult:
    choice: dict[str, int]  # consignment -> index into its options
    cost: float | None
    bound: float | None
    gap_percent: float | None  # proven: (cost - bound) / cost
    status: str
    optimal: bool
    wall_seconds: float


def solve_mip(
    options: Mapping[str, Sequence[Option]],
    capacity: Mapping[Segment, tuple[int, int]],
    *,
    weights: Mapping[str, tuple[int, int]],
    time_limit: float = 30.0,
    mip_rel_gap: float = 1e-6,
) -> MipResult:
    """Optimal (or best within `time_limit`) choice; `weights[c]` = (kg, slots) of c.

    `capacity` may be residual allowances (what others leave free)."""
    start = time.perf_counter()
    ids = list(options)
    cost: list[float] = []
    owner: list[int] = []
    index: list[int] = []
    for n, cid in enumerate(ids):
        for k, opt in enumerate(options[cid]):
            cost.append(opt.cost)
            owner.append(n)
            index.append(k)
    nvar = len(cost)
    rows, cols, vals = [], [], []
    for v, n in enumerate(owner):
        rows.append(n)
        cols.append(v)
        vals.append(1.0)
    one_hot = coo_matrix((vals, (rows, cols)), shape=(len(ids), nvar)).tocsr()
    constraints = [LinearConstraint(one_hot, 1.0, 1.0)]
    seg_rows: dict[Segment, int] = {}
    rows, cols, vals_kg, vals_slot = [], [], [], []
    for v, (n, k) in enumerate(zip(owner, index, strict=True)):
        kg, slots = weights[ids[n]]
        for seg in options[ids[n]][k].segments:
            r = seg_rows.setdefault(seg, len(seg_rows))
            rows.append(r)
            cols.append(v)
            vals_kg.append(float(kg))
            vals_slot.append(float(slots))
    if seg_rows:
        order = list(seg_rows)
        cap_kg = np.array([capacity[s][0] for s in order], dtype=float)
        cap_sl = np.array([capacity[s][1] for s in order], dtype=float)
        shape = (len(order), nvar)
        constraints.append(
            LinearConstraint(coo_matrix((vals_kg, (rows, cols)), shape).tocsr(), -np.inf, cap_kg)
        )
        constraints.append(
            LinearConstraint(coo_matrix((vals_slot, (rows, cols)), shape).tocsr(), -np.inf, cap_sl)
        )
    res = milp(
        np.array(cost),
        constraints=constraints,
        integrality=np.ones(nvar),
        bounds=Bounds(0, 1),
        options={"time_limit": float(time_limit), "mip_rel_gap": mip_rel_gap, "disp": False},
    )
    wall = time.perf_counter() - start
    if res.x is None:
        return MipResult({}, None, None, None, str(res.message), False, wall)
    x = np.round(res.x).astype(int)
    choice: dict[str, int] = {}
    for var in np.flatnonzero(x).tolist():
        choice[ids[owner[var]]] = index[var]
    value = float(np.dot(cost, x))
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(bound) if bound is not None and np.isfinite(bound) else None
    gap = None
    if bound is not None and value > 0:
        gap = max(0.0, (value - bound) / value * 100.0)
    return MipResult(choice, value, bound, gap, str(res.message), res.status == 0, wall)
