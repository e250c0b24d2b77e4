"""The route-selection QUBO: penalty certificate (brute force), decoding, repair flags, and
agreement with its exact counterpart (the MIP)."""

from __future__ import annotations

import itertools

import dimod
import numpy as np
import pytest

from qroute.qubo.selection import Selection, convert, interpret
from qroute.qubo.selection_exact import solve_selection


def _random_selection(seed: int, max_routes: int | None = None) -> Selection:
    rng = np.random.default_rng(seed)
    customers = tuple(range(1, 7))
    routes: list[tuple[int, ...]] = [(c,) for c in customers]
    while len(routes) < 14:
        size = int(rng.integers(2, 4))
        route = tuple(sorted(int(c) for c in rng.choice(customers, size, replace=False)))
        if route not in routes:
            routes.append(route)
    costs = np.array([10 + 6 * len(r) - 3 * len(r) * rng.random() for r in routes])
    free = Selection(f"rand{seed}", customers, tuple(routes), costs, tuple(range(6)))
    if max_routes is None:
        return free
    # the incumbent: the most expensive cover within the vehicle limit
    covers = [
        chosen
        for r in range(1, max_routes + 1)
        for chosen in itertools.combinations(range(free.size), r)
        if free.is_cover(list(chosen))
    ]
    incumbent = max(covers, key=free.cost_of)
    return Selection(
        f"rand{seed}", customers, tuple(routes), costs, incumbent, max_routes=max_routes
    )


def _brute_force(selection: Selection) -> float:
    return min(
        selection.cost_of(chosen)
        for r in range(1, selection.size + 1)
        for chosen in itertools.combinations(range(selection.size), r)
        if len(chosen) <= len(selection.customers) and selection.is_cover(list(chosen))
    )


@pytest.mark.parametrize(("seed", "max_routes"), [(0, None), (1, None), (2, 3), (3, 4)])
def test_penalty_certificate_ground_state_is_the_best_cover(
    seed: int, max_routes: int | None
) -> None:
    selection = _random_selection(seed, max_routes)
    qubo = convert(selection, fix=False)
    assert qubo.penalty > qubo.upper_bound >= 0.0
    samples = dimod.ExactSolver().sample(qubo.bqm)
    best = _brute_force(selection)
    # the ground state is a feasible cover whose energy equals its cost (the LP shift)
    ground = samples.first
    answer = interpret(samples.truncate(1), qubo)
    assert answer.raw_feasible and not answer.repaired
    assert answer.cost == pytest.approx(best)
    assert ground.energy == pytest.approx(best)
    # every broken assignment has a strictly higher energy than the best cover
    for sample, energy in samples.data(["sample", "energy"]):
        chosen = [qubo.columns[v] for v in range(len(qubo.columns)) if sample[v]]
        if not selection.is_cover(chosen):
            assert energy > best + 1e-9


def test_reduced_cost_fixing_keeps_the_optimum() -> None:
    for seed in range(4):
        selection = _random_selection(seed)
        fixed = convert(selection, fix=True)
        samples = dimod.ExactSolver().sample(fixed.bqm)
        assert interpret(samples.truncate(1), fixed).cost == pytest.approx(_brute_force(selection))
        assert fixed.num_variables + fixed.fixed_out == selection.size


def test_mip_agrees_with_brute_force_and_reports_optimality() -> None:
    for seed, k in [(0, None), (2, 3), (5, None)]:
        selection = _random_selection(seed, k)
        exact = solve_selection(selection, time_limit=5.0)
        assert exact.optimal and exact.gap == 0.0
        assert exact.cost == pytest.approx(_brute_force(selection))
        assert selection.is_cover(list(exact.chosen))


def test_broken_samples_are_repaired_and_flagged() -> None:
    selection = _random_selection(4)
    qubo = convert(selection, fix=False)
    n = qubo.num_variables
    everything = dimod.SampleSet.from_samples_bqm([dict.fromkeys(range(n), 1)], qubo.bqm)
    answer = interpret(everything, qubo)
    assert answer.repaired and not answer.raw_feasible
    assert answer.raw_feasible_rate == 0.0
    assert selection.is_cover(list(answer.chosen))
    nothing = dimod.SampleSet.from_samples_bqm([dict.fromkeys(range(n), 0)], qubo.bqm)
    empty = interpret(nothing, qubo)
    assert empty.repaired and selection.is_cover(list(empty.chosen))
    assert empty.details["repair"] == "repair"  # single-customer columns cover it


def test_incumbent_must_be_a_cover_within_the_fleet() -> None:
    with pytest.raises(ValueError, match="not an exact cover"):
        Selection("bad", (1, 2), ((1,), (2,)), np.array([1.0, 1.0]), (0,))
    with pytest.raises(ValueError, match="more than 1 routes"):
        Selection("bad", (1, 2), ((1,), (2,)), np.array([1.0, 1.0]), (0, 1), max_routes=1)
