"""Routing subproblems small enough for a quantum device.

Two kinds, both over a small local distance matrix:

* ``route``: local node 0 is the depot, nodes 1..k are customers; a closed tour 0 -> ... -> 0.
* ``path``: local node 0 is a fixed first stop, node k + 1 a fixed last stop, nodes 1..k are
  reordered between them (lets a small device refine a long route window by window).

A solution is an ``order``: a permutation of 1..k.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from qroute.model.problem import Problem

Kind = Literal["route", "path"]


@dataclass(frozen=True, eq=False)
class Subproblem:
    """A route-TSP or path-window subproblem with its mapping to global node ids."""

    kind: Kind
    distances: NDArray[np.float64]
    nodes: tuple[int, ...]  # global node id of each local node
    name: str = "subproblem"

    def __post_init__(self) -> None:
        matrix = np.array(self.distances, dtype=np.float64, copy=True)
        matrix.setflags(write=False)
        object.__setattr__(self, "distances", matrix)
        m = matrix.shape[0]
        if matrix.shape != (m, m) or len(self.nodes) != m:
            raise ValueError(
                f"{self.name}: matrix {matrix.shape} does not match {len(self.nodes)} nodes"
            )
        if self.kind not in ("route", "path"):
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.size < 1:
            raise ValueError(f"{self.name}: needs at least one free stop")

    @property
    def size(self) -> int:
        """k, the number of stops to order."""
        m = self.distances.shape[0]
        return m - 1 if self.kind == "route" else m - 2

    @property
    def end(self) -> int:
        """Local index where the tour ends (0 for a closed route)."""
        return 0 if self.kind == "route" else self.size + 1

    def cost(self, order: Sequence[int]) -> float:
        """Length of start -> order -> end (exactly rounded, so a tour and its reverse, or
        the same tour found by two solvers, compare equal)."""
        path = np.fromiter((0, *order, self.end), dtype=np.int64)
        return math.fsum(self.distances[path[:-1], path[1:]].tolist())

    def is_valid_order(self, order: Sequence[int]) -> bool:
        return sorted(order) == list(range(1, self.size + 1))

    def global_order(self, order: Sequence[int]) -> list[int]:
        """The free stops in `order` as global node ids."""
        return [self.nodes[i] for i in order]

    def key(self) -> str:
        """A content hash: same matrix, kind and nodes -> same key."""
        digest = hashlib.sha256()
        digest.update(self.kind.encode())
        digest.update(np.ascontiguousarray(self.distances).tobytes())
        digest.update(np.asarray(self.nodes, dtype=np.int64).tobytes())
        return digest.hexdigest()[:24]


def route_subproblem(problem: Problem, route: Sequence[int], name: str | None = None) -> Subproblem:
    """The TSP over the depot and one route's customers."""
    nodes = (0, *route)
    index = np.asarray(nodes)
    return Subproblem("route", problem.distances[np.ix_(index, index)], nodes, name or "route")


def path_window(
    problem: Problem, route: Sequence[int], start: int, k: int, name: str | None = None
) -> Subproblem:
    """Reorder route[start:start+k] between its fixed neighbours (the depot at either end)."""
    full = (0, *route, 0)
    first = start  # index in `full` of the fixed first stop
    last = start + k + 1
    if start < 0 or k < 1 or last >= len(full):
        raise ValueError(f"window start={start}, k={k} does not fit a route of {len(route)} stops")
    nodes = full[first : last + 1]
    index = np.asarray(nodes)
    return Subproblem(
        "path", problem.distances[np.ix_(index, index)], tuple(nodes), name or "window"
    )


def random_route_tsp(k: int, seed: int, scale: float = 100.0) -> Subproblem:
    """A seeded random route-TSP: depot plus k customers uniform in a square, Euclidean."""
    if k < 1:
        raise ValueError("k must be at least 1")
    rng = np.random.default_rng(seed)
    points = rng.random((k + 1, 2)) * scale
    diff = points[:, None, :] - points[None, :, :]
    matrix = np.round(np.sqrt((diff**2).sum(-1)), 3)
    return Subproblem("route", matrix, tuple(range(k + 1)), f"random-tsp-k{k}-s{seed}")
