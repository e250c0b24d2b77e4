"""Subproblems with time windows: the local windows, the schedule rule, the blocked arcs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qroute.model.problem import Problem, Rounding, euclidean
from qroute.model.subproblem import route_subproblem, window_subproblem
from qroute.model.validation import validate


def windowed_problem(k: int, seed: int, slack: float = 15.0) -> tuple[Problem, list[int]]:
    """k customers with windows built around one seeded visiting order (which meets them)."""
    rng = np.random.default_rng(seed)
    coords = np.vstack([[50.0, 50.0], rng.uniform(0, 100, (k, 2))])
    distances = euclidean(coords, Rounding.EXACT)
    order = [int(c) + 1 for c in rng.permutation(k)]
    windows = np.zeros((k + 1, 2))
    windows[0] = (0.0, 10_000.0)
    time, previous = 0.0, 0
    for c in order:
        time += (10.0 if previous else 0.0) + distances[previous, c]
        windows[c] = (max(time - 5.0, 0.0), time + slack)
        previous = c
    problem = Problem(
        name=f"tw-k{k}-s{seed}",
        distances=distances,
        demands=np.array([0, *([1] * k)]),
        capacity=float(k),
        rounding=Rounding.EXACT,
        coords=coords,
        time_windows=windows,
        service_times=np.array([0.0, *([10.0] * k)]),
    )
    return problem, order


@pytest.mark.parametrize("seed", range(4))
def test_route_subproblem_schedule_matches_the_validator(seed: int) -> None:
    problem, order = windowed_problem(6, seed)
    sub = route_subproblem(problem, sorted(order))
    assert sub.has_windows
    for perm in itertools.permutations(range(1, 7)):
        route = sub.global_order(perm)
        assert sub.schedule_feasible(perm) == validate(problem, [route]).feasible


@pytest.mark.parametrize("seed", range(4))
def test_blocked_arcs_are_never_used_by_a_feasible_order(seed: int) -> None:
    problem, order = windowed_problem(6, seed, slack=40.0)
    sub = route_subproblem(problem, sorted(order))
    blocked = sub.blocked_arcs()
    assert blocked.any()  # the windows do exclude arcs
    feasible = 0
    for perm in itertools.permutations(range(1, 7)):
        if sub.schedule_feasible(perm):
            feasible += 1
            walk = (0, *perm, 0)
            assert not any(blocked[a, b] for a, b in itertools.pairwise(walk))
    assert feasible >= 1


@pytest.mark.parametrize(("start", "k"), [(0, 3), (2, 3), (3, 4), (5, 2)])
def test_path_window_times_come_from_the_route_around_it(start: int, k: int) -> None:
    """A reordering of a window meets its local windows exactly when the whole route,
    with that window reordered, passes the validator."""
    problem, order = windowed_problem(8, 7, slack=40.0)
    sub = window_subproblem(problem, order, start, k, sort_stops=True)
    assert sub.nodes[0] == ([0, *order][start])
    for perm in itertools.permutations(range(1, k + 1)):
        route = order[:start] + sub.global_order(perm) + order[start + k :]
        assert sub.schedule_feasible(perm) == validate(problem, [route]).feasible, perm


def test_windows_enter_the_content_key() -> None:
    problem, order = windowed_problem(5, 1)
    plain = Problem(
        name="plain",
        distances=problem.distances,
        demands=problem.demands,
        capacity=problem.capacity,
        rounding=problem.rounding,
    )
    assert route_subproblem(problem, order).key() != route_subproblem(plain, order).key()
    assert not route_subproblem(plain, order).has_windows
    assert not route_subproblem(plain, order).blocked_arcs().any()
