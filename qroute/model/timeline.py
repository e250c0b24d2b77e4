"""When a vehicle arrives, waits, serves and leaves at each stop of a route.

One forward pass shared by the reports (per-route timelines) and the cold-chain checker.
The vehicle leaves the depot as late as it can without returning later than it would when
leaving at the opening (the shortest-duration schedule, as PyVRP computes durations), and
never so late that a stop becomes late. Every stop's time on board is then at most the
route's duration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from qroute.model.problem import Problem

_EPS = 1e-9


@dataclass(frozen=True)
class Visit:
    """One stop: times in the instance's time unit."""

    node: int
    arrive: float
    wait: float
    serve: float  # service begins
    leave: float
    late: float  # service begins this long after the due time (0 when on time)

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class Timeline:
    """A whole route: departure, each visit, and the return to the end depot."""

    depart: float
    visits: tuple[Visit, ...]
    back: float
    back_late: float  # return after the end depot's closing time

    @property
    def duration(self) -> float:
        return self.back - self.depart

    @property
    def lateness(self) -> float:
        return sum(v.late for v in self.visits) + self.back_late

    def as_dict(self) -> dict[str, object]:
        return {
            "depart": self.depart,
            "back": self.back,
            "duration": self.duration,
            "stops": [v.as_dict() for v in self.visits],
        }


def schedule(
    start: int,
    stops: Sequence[int],
    end: int,
    travel: NDArray[np.float64],
    service: NDArray[np.float64],
    windows: NDArray[np.float64],
    *,
    earliest_start: float | None = None,
    serve_start: bool = True,
    depart_at: float | None = None,
) -> Timeline:
    """Timeline of start -> stops -> end with waiting allowed; lateness recorded, not hidden.

    `windows[i]` is (ready, due) of node i; `earliest_start` (default: the start node's
    ready time) is when the vehicle is free to leave; `serve_start=False` skips the start
    node's service time (a vehicle already served it and is leaving it mid-route);
    `depart_at` fixes the departure (a vehicle that already left).
    """
    if not serve_start:
        service = service.copy()
        service[start] = 0.0
    opening = float(windows[start, 0]) if earliest_start is None else float(earliest_start)
    path = [start, *stops, end]
    # latest arrival at each stop that keeps every later stop on time (backward pass)
    latest = float(windows[end, 1])
    for k in range(len(path) - 2, 0, -1):
        node, nxt = path[k], path[k + 1]
        latest = min(float(windows[node, 1]), latest - float(service[node] + travel[node, nxt]))
    first = path[1]
    latest_departure = latest - float(service[start] + travel[start, first])
    # the shortest-duration schedule: leave as late as the return time allows
    back_from_opening = _forward(opening, path, travel, service, windows)[-1].leave
    busy = sum(float(service[a] + travel[a, b]) for a, b in zip(path, path[1:], strict=False))
    depart = max(opening, min(latest_departure, back_from_opening - busy))
    if depart_at is not None:
        depart = float(depart_at)
    *visits, home = _forward(depart, path, travel, service, windows)
    close = float(windows[end, 1])
    back = home.arrive
    back_late = back - close if back > close + _EPS else 0.0
    return Timeline(depart, tuple(visits), back, back_late)


def _forward(
    depart: float,
    path: Sequence[int],
    travel: NDArray[np.float64],
    service: NDArray[np.float64],
    windows: NDArray[np.float64],
) -> list[Visit]:
    """Visits of path[1:] leaving path[0] at `depart`; the last one is the end depot."""
    time = depart + float(service[path[0]])
    visits: list[Visit] = []
    for k, node in enumerate(path[1:], start=1):
        arrive = time + float(travel[path[k - 1], node])
        if k == len(path) - 1:
            visits.append(Visit(node, arrive, 0.0, arrive, arrive, 0.0))
            break
        ready, due = float(windows[node, 0]), float(windows[node, 1])
        serve = max(arrive, ready)
        time = serve + float(service[node])
        late = serve - due if serve > due + _EPS else 0.0
        visits.append(Visit(node, arrive, serve - arrive, serve, time, late))
    return visits


def problem_timelines(problem: Problem, routes: Sequence[Sequence[int]]) -> list[Timeline]:
    """Timelines of a time-windowed Problem's routes (travel time = distance, as validated)."""
    if problem.time_windows is None:
        raise ValueError(f"{problem.name} has no time windows")
    service = (
        problem.service_times
        if problem.service_times is not None
        else np.zeros(problem.num_nodes, dtype=np.float64)
    )
    return [
        schedule(0, list(route), 0, problem.distances, service, problem.time_windows)
        for route in routes
        if len(route) > 0
    ]
