"""Routing subproblems small enough for a quantum device.

Two kinds, both over a small local distance matrix:

* ``route``: local node 0 is the depot, nodes 1..k are customers; a closed tour 0 -> ... -> 0.
* ``path``: local node 0 is a fixed first stop, node k + 1 a fixed last stop, nodes 1..k are
  reordered between them (lets a small device refine a long route window by window).

A solution is an ``order``: a permutation of 1..k.

Time windows (VRPTW instances) travel with a subproblem as local ``windows`` (ready, due per
local node) and ``service`` times: the walk leaves local node 0 at ``windows[0, 0]`` (for a
path window: the departure time from the fixed first stop in the current route, its service
done), waits when early, and must arrive at every node by its due time; the end node's due
time is the latest arrival that keeps the rest of the route feasible (the depot's closing
time for a closed route). ``schedule_feasible`` applies the validator's rule to an order;
``blocked_arcs`` lists the arcs no feasible schedule can use (what qroute.qubo.tsp encodes).
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
_TIME_EPS = 1e-6  # as qroute.model.validation


@dataclass(frozen=True, eq=False)
class Subproblem:
    """A route-TSP or path-window subproblem with its mapping to global node ids."""

    kind: Kind
    distances: NDArray[np.float64]
    nodes: tuple[int, ...]  # global node id of each local node
    name: str = "subproblem"
    windows: NDArray[np.float64] | None = None  # (m, 2) local ready, due (see module doc)
    service: NDArray[np.float64] | None = None  # (m,) local service times

    def __post_init__(self) -> None:
        matrix = np.array(self.distances, dtype=np.float64, copy=True)
        matrix.setflags(write=False)
        object.__setattr__(self, "distances", matrix)
        m = matrix.shape[0]
        if matrix.shape != (m, m) or len(self.nodes) != m:
            raise ValueError(
                f"{self.name}: matrix {matrix.shape} does not match {len(self.nodes)} nodes"
            )
        if self.windows is not None:
            windows = np.array(self.windows, dtype=np.float64, copy=True)
            service = np.zeros(m) if self.service is None else np.array(self.service, float)
            if windows.shape != (m, 2) or service.shape != (m,):
                raise ValueError(f"{self.name}: windows / service do not match {m} nodes")
            windows.setflags(write=False)
            service.setflags(write=False)
            object.__setattr__(self, "windows", windows)
            object.__setattr__(self, "service", service)
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
        """A content hash: same matrix, kind, nodes (and windows, if any) -> same key."""
        digest = hashlib.sha256()
        digest.update(self.kind.encode())
        digest.update(np.ascontiguousarray(self.distances).tobytes())
        digest.update(np.asarray(self.nodes, dtype=np.int64).tobytes())
        if self.windows is not None and self.service is not None:
            digest.update(np.ascontiguousarray(self.windows).tobytes())
            digest.update(np.ascontiguousarray(self.service).tobytes())
        return digest.hexdigest()[:24]

    @property
    def has_windows(self) -> bool:
        return self.windows is not None

    def schedule_feasible(self, order: Sequence[int]) -> bool:
        """Whether start -> order -> end meets every due time (waiting when early); True
        without windows. The same rule as qroute.model.validation."""
        if self.windows is None or self.service is None:
            return True
        windows, service, d = self.windows, self.service, self.distances
        time = float(windows[0, 0])
        previous = 0
        for node in (*order, self.end):
            time += float(service[previous]) + float(d[previous, node])
            if time > float(windows[node, 1]) + _TIME_EPS:
                return False
            time = max(time, float(windows[node, 0]))
            previous = node
        return True

    def blocked_arcs(self) -> NDArray[np.bool_]:
        """mask[i, j]: no feasible schedule can drive i -> j, because even the earliest start
        at i (its ready time, or the direct trip from the start if later) plus its service
        and the arc arrives after j's due time. All False without windows."""
        m = self.distances.shape[0]
        if self.windows is None or self.service is None:
            return np.zeros((m, m), dtype=bool)
        windows, d = self.windows, self.distances
        earliest = np.maximum(windows[:, 0], windows[0, 0] + d[0, :])
        earliest[0] = windows[0, 0]
        arrival = (earliest + self.service)[:, None] + d
        blocked = arrival > windows[None, :, 1] + _TIME_EPS
        np.fill_diagonal(blocked, False)
        return blocked


def route_subproblem(problem: Problem, route: Sequence[int], name: str | None = None) -> Subproblem:
    """The TSP over the depot and one route's customers (with their windows, if any)."""
    nodes = (0, *route)
    index = np.asarray(nodes)
    windows, service = _local_windows(problem, index)
    return Subproblem(
        "route", problem.distances[np.ix_(index, index)], nodes, name or "route", windows, service
    )


def _local_windows(
    problem: Problem, index: NDArray[np.int64]
) -> tuple[NDArray[np.float64] | None, NDArray[np.float64] | None]:
    if problem.time_windows is None:
        return None, None
    service = np.zeros(problem.num_nodes)
    if problem.service_times is not None:
        service = np.array(problem.service_times, dtype=np.float64)
    service[0] = 0.0
    return np.array(problem.time_windows[index], dtype=np.float64), service[index]


def window_subproblem(
    problem: Problem,
    route: Sequence[int],
    start: int,
    k: int,
    name: str | None = None,
    *,
    sort_stops: bool = False,
) -> Subproblem:
    """Reorder route[start:start+k] between its fixed neighbours (the depot at either end).

    With time windows, the fixed first stop's window becomes the route's departure time from
    it (its prefix as it is now) and the fixed last stop's due time the latest arrival that
    keeps its suffix feasible. `sort_stops` lists the free stops by node id (content keys)."""
    route = [int(c) for c in route]
    full = (0, *route, 0)
    last = start + k + 1
    if start < 0 or k < 1 or last >= len(full):
        raise ValueError(f"window start={start}, k={k} does not fit a route of {len(route)} stops")
    stops = full[start + 1 : last]
    nodes = (full[start], *(sorted(stops) if sort_stops else stops), full[last])
    index = np.asarray(nodes)
    windows, service = _local_windows(problem, index)
    if windows is not None and service is not None:
        depart, latest = _departures(problem, full), _latest_arrivals(problem, full)
        windows[0] = (depart[start], depart[start])
        windows[-1, 1] = latest[last]
        service[0] = service[-1] = 0.0
    return Subproblem(
        "path",
        problem.distances[np.ix_(index, index)],
        tuple(nodes),
        name or "window",
        windows,
        service,
    )


def _departures(problem: Problem, full: Sequence[int]) -> list[float]:
    """Departure time from each position of depot -> route -> depot (waiting when early)."""
    assert problem.time_windows is not None
    windows = problem.time_windows
    time = float(windows[0, 0])
    out = [time]
    for a, b in zip(full[:-1], full[1:], strict=True):
        time = max(time + float(problem.distances[a, b]), float(windows[b, 0]))
        time += problem.service(b) if b != 0 else 0.0
        out.append(time)
    return out


def _latest_arrivals(problem: Problem, full: Sequence[int]) -> list[float]:
    """Latest arrival at each position that still lets the rest of the route be on time."""
    assert problem.time_windows is not None
    windows = problem.time_windows
    latest = [0.0] * len(full)
    latest[-1] = float(windows[full[-1], 1])
    for p in range(len(full) - 2, -1, -1):
        a, b = full[p], full[p + 1]
        leave_by = latest[p + 1] - float(problem.distances[a, b]) - problem.service(a)
        latest[p] = min(float(windows[a, 1]), leave_by)
    return latest


def path_window(
    problem: Problem, route: Sequence[int], start: int, k: int, name: str | None = None
) -> Subproblem:
    """Reorder route[start:start+k] between its fixed neighbours (the depot at either end),
    stops in route order; see `window_subproblem`."""
    return window_subproblem(problem, route, start, k, name)


def random_route_tsp(k: int, seed: int, scale: float = 100.0) -> Subproblem:
    """A seeded random route-TSP: depot plus k customers uniform in a square, Euclidean."""
    if k < 1:
        raise ValueError("k must be at least 1")
    rng = np.random.default_rng(seed)
    points = rng.random((k + 1, 2)) * scale
    diff = points[:, None, :] - points[None, :, :]
    matrix = np.round(np.sqrt((diff**2).sum(-1)), 3)
    return Subproblem("route", matrix, tuple(range(k + 1)), f"random-tsp-k{k}-s{seed}")
