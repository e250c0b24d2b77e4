"""Immutable routing-problem data.

Node 0 is the depot; customers are 1..n. All per-node arrays have length n + 1 and are
read-only. The distance matrix already follows the instance's cost convention, so the cost
of a route is the plain sum of its arcs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_KM = 6371.0088
MEMORY_LIMIT_ENV = "QROUTE_MEMORY_LIMIT_GIB"
DEFAULT_MEMORY_LIMIT_GIB = 2.0  # one float64 distance matrix; n = 16,384 nodes fits
_GIB = 1024**3


class Rounding(StrEnum):
    """How arc lengths are derived from coordinates (see ../shared/data/README.md)."""

    NINT = "nint"  # TSPLIB EUC_2D: each arc rounded to the nearest integer (A, B, P, E, X)
    EXACT = "exact"  # unrounded Euclidean (CMT, Gehring-Homberger)
    TRUNC1 = "trunc1"  # truncated to one decimal (Solomon, DIMACS convention)
    EXPLICIT = "explicit"  # the file gives the matrix
    ROAD = "road"  # great-circle km times a road factor (generated scenarios)


def memory_limit_gib() -> float:
    """The largest distance matrix qroute allocates, in GiB ($QROUTE_MEMORY_LIMIT_GIB)."""
    try:
        value = float(os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT_GIB))
    except ValueError:
        return DEFAULT_MEMORY_LIMIT_GIB
    return value if value > 0 else DEFAULT_MEMORY_LIMIT_GIB


def check_matrix_fits(num_nodes: int, what: str) -> None:
    """Refuse, before allocating, a problem whose n x n float64 distance matrix would be
    larger than the memory limit; `what` names the source (file and line, or the flag)."""
    from qroute.model.errors import TooLargeError

    size_gib = float(num_nodes) ** 2 * 8 / _GIB
    limit = memory_limit_gib()
    if size_gib > limit:
        raise TooLargeError(
            f"{what}: {num_nodes:,} nodes need a {size_gib:.1f} GiB distance matrix, over the "
            f"memory limit of {limit:g} GiB (set {MEMORY_LIMIT_ENV} to change it)"
        )


def _readonly(array: NDArray | None) -> NDArray | None:
    if array is None:
        return None
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


def euclidean(coords: NDArray[np.float64], rounding: Rounding) -> NDArray[np.float64]:
    """Pairwise Euclidean distances under a rounding convention."""
    diff = coords[:, None, :] - coords[None, :, :]
    dist = np.sqrt((diff.astype(np.float64) ** 2).sum(axis=-1))
    if rounding is Rounding.NINT:
        return np.floor(dist + 0.5)
    if rounding is Rounding.TRUNC1:
        return np.floor(dist * 10.0 + 1e-9) / 10.0
    return dist


def great_circle_km(latlon: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pairwise haversine distances in km for (lat, lon) degrees."""
    lat = np.radians(latlon[:, 0])[:, None]
    lon = np.radians(latlon[:, 1])[:, None]
    dlat = lat - lat.T
    dlon = lon - lon.T
    a = np.sin(dlat / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True, eq=False)
class Problem:
    """A capacitated (optionally time-windowed) vehicle-routing instance."""

    name: str
    distances: NDArray[np.float64]
    demands: NDArray[np.int64]
    capacity: float
    rounding: Rounding
    coords: NDArray[np.float64] | None = None
    coord_kind: str = "planar"  # "planar" or "latlon"
    num_vehicles: int | None = None  # a fixed fleet size, when the instance imposes one
    time_windows: NDArray[np.float64] | None = None  # (n + 1, 2): ready, due
    service_times: NDArray[np.float64] | None = None
    priorities: NDArray[np.int64] | None = None  # higher = more urgent (e.g. cold chain)
    max_route_length: float | None = None  # includes service times (CMT convention)
    node_names: tuple[str, ...] | None = None
    source: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (
            "distances",
            "demands",
            "coords",
            "time_windows",
            "service_times",
            "priorities",
        ):
            object.__setattr__(self, name, _readonly(getattr(self, name)))
        n = self.demands.shape[0]
        if n < 2:
            raise ValueError(f"{self.name}: a problem needs a depot and at least one customer")
        if self.distances.shape != (n, n):
            raise ValueError(f"{self.name}: distance matrix {self.distances.shape} != ({n}, {n})")
        for name in ("coords", "time_windows", "service_times", "priorities"):
            value = getattr(self, name)
            if value is not None and value.shape[0] != n:
                raise ValueError(f"{self.name}: {name} has {value.shape[0]} rows, expected {n}")

    @property
    def num_nodes(self) -> int:
        return int(self.demands.shape[0])

    @property
    def num_customers(self) -> int:
        return self.num_nodes - 1

    @property
    def customers(self) -> range:
        return range(1, self.num_nodes)

    @property
    def depot(self) -> int:
        return 0

    @property
    def total_demand(self) -> int:
        return int(self.demands.sum())

    @property
    def has_time_windows(self) -> bool:
        return self.time_windows is not None

    @property
    def cost_tolerance(self) -> float:
        """How far a stated cost may differ from the recomputed one."""
        if self.rounding in (Rounding.NINT, Rounding.EXPLICIT):
            return 1e-6
        if self.rounding is Rounding.TRUNC1:
            return 0.05
        return 0.01

    def route_cost(self, route: tuple[int, ...] | list[int]) -> float:
        """Cost of depot -> route -> depot."""
        if not route:
            return 0.0
        path = np.fromiter((0, *route, 0), dtype=np.int64)
        return float(self.distances[path[:-1], path[1:]].sum())

    def service(self, node: int) -> float:
        return 0.0 if self.service_times is None else float(self.service_times[node])

    def lower_bound_vehicles(self) -> int:
        return int(np.ceil(self.total_demand / self.capacity))
