"""qroute.model.scenario: the seeded Yangtze-Delta generator."""

from __future__ import annotations

import numpy as np
import pytest

from qroute.model.problem import Problem, Rounding, great_circle_km
from qroute.model.scenario import CITIES, ROAD_FACTOR, SCENARIO_NAME, yangtze_delta
from qroute.model.validation import validate

LAT_BOX = (29.0, 33.0)
LON_BOX = (116.5, 122.5)


def _same(a: Problem, b: Problem) -> bool:
    assert a.coords is not None and b.coords is not None
    assert a.priorities is not None and b.priorities is not None
    return (
        a.name == b.name
        and np.array_equal(a.coords, b.coords)
        and np.array_equal(a.distances, b.distances)
        and np.array_equal(a.demands, b.demands)
        and np.array_equal(a.priorities, b.priorities)
        and a.node_names == b.node_names
        and a.capacity == b.capacity
    )


def test_deterministic_for_a_seed() -> None:
    assert _same(yangtze_delta(40, seed=11), yangtze_delta(40, seed=11))
    assert _same(yangtze_delta(), yangtze_delta(60, seed=2026))


def test_different_seeds_differ() -> None:
    a, b = yangtze_delta(40, seed=1), yangtze_delta(40, seed=2)
    assert a.coords is not None and b.coords is not None
    assert not np.array_equal(a.coords[1:], b.coords[1:])
    assert not np.array_equal(a.demands, b.demands)
    assert a.name != b.name
    # the depot stays where it is
    assert np.array_equal(a.coords[0], b.coords[0])


@pytest.mark.parametrize("size", [1, 7, 60, 250])
def test_sizes_are_selectable(size: int) -> None:
    problem = yangtze_delta(size, seed=3)
    assert problem.num_customers == size
    assert problem.num_nodes == size + 1
    assert problem.distances.shape == (size + 1, size + 1)
    assert problem.name == f"{SCENARIO_NAME}-n{size}-s3"
    assert problem.node_names is not None and len(problem.node_names) == size + 1


def test_default_scenario() -> None:
    problem = yangtze_delta()
    assert problem.name == "yangtze-delta-n60-s2026"
    assert problem.num_customers == 60
    assert problem.capacity == 120
    assert problem.rounding is Rounding.ROAD
    assert problem.coord_kind == "latlon"
    assert problem.source == SCENARIO_NAME
    assert problem.metadata == {"depot_city": "Suzhou", "seed": "2026", "road_factor": "1.3"}
    assert problem.node_names is not None and problem.node_names[0] == "Suzhou depot"
    assert problem.num_vehicles is None
    assert problem.time_windows is None


@pytest.mark.parametrize("seed", [0, 1, 2026, 99991])
def test_every_point_lies_in_the_yangtze_delta_box(seed: int) -> None:
    problem = yangtze_delta(1000, seed=seed)
    assert problem.coords is not None
    lat, lon = problem.coords[:, 0], problem.coords[:, 1]
    assert lat.min() >= LAT_BOX[0] and lat.max() <= LAT_BOX[1]
    assert lon.min() >= LON_BOX[0] and lon.max() <= LON_BOX[1]


def test_customers_scatter_around_their_named_city() -> None:
    problem = yangtze_delta(500, seed=8)
    assert problem.coords is not None and problem.node_names is not None
    centres = np.array([CITIES[name.rsplit("-", 1)[0]][:2] for name in problem.node_names[1:]])
    both = np.vstack([centres, problem.coords[1:]])
    n = len(centres)
    km = great_circle_km(both)[np.arange(n), n + np.arange(n)]
    assert km.max() < 40.0  # sigma is about 6 km
    assert 4.0 < float(np.median(km)) < 12.0  # a 2-D normal's median radius is 1.18 sigma


def test_depot_sits_on_the_chosen_city() -> None:
    problem = yangtze_delta(5, seed=1, depot_city="Hangzhou")
    assert problem.coords is not None and problem.node_names is not None
    assert problem.coords[0].tolist() == list(CITIES["Hangzhou"][:2])
    assert problem.node_names[0] == "Hangzhou depot"
    assert problem.metadata["depot_city"] == "Hangzhou"


def test_distances_are_symmetric_road_estimates_above_great_circle() -> None:
    problem = yangtze_delta(200, seed=4)
    assert problem.coords is not None
    d = problem.distances
    gc = great_circle_km(problem.coords)
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0.0)
    off = ~np.eye(problem.num_nodes, dtype=bool)
    assert np.all(d[off] > 0.0)
    assert np.all(d >= gc)
    assert np.allclose(d[off], ROAD_FACTOR * gc[off], atol=5e-4)  # rounded to metres
    # Suzhou depot to Shanghai-area customers: about 85 km great-circle, so 100..130 km by road
    assert problem.node_names is not None
    shanghai = [i for i, name in enumerate(problem.node_names) if name.startswith("Shanghai-")]
    assert shanghai
    assert 90.0 < float(np.median(d[0, shanghai])) < 130.0


def test_demands_fit_the_vehicle() -> None:
    problem = yangtze_delta(500, seed=6, capacity=40)
    assert problem.demands[0] == 0
    customers = problem.demands[1:]
    assert customers.min() >= 5 and customers.max() <= 30
    assert np.all(customers <= problem.capacity)
    assert problem.capacity == 40
    assert set(np.unique(customers)) == set(range(5, 31))  # 500 draws cover 5..30


def test_singletons_are_a_feasible_solution() -> None:
    problem = yangtze_delta(30, seed=9)
    report = validate(problem, [[c] for c in problem.customers])
    assert report.feasible
    assert report.cost == pytest.approx(2 * float(problem.distances[0, 1:].sum()))


def test_cold_chain_share() -> None:
    problem = yangtze_delta(2000, seed=10, cold_chain_share=0.2)
    assert problem.priorities is not None
    assert problem.priorities[0] == 0
    assert set(np.unique(problem.priorities)) == {0, 1}
    assert 0.17 < float(problem.priorities[1:].mean()) < 0.23
    none = yangtze_delta(50, seed=10, cold_chain_share=0.0)
    every = yangtze_delta(50, seed=10, cold_chain_share=1.0)
    assert none.priorities is not None and every.priorities is not None
    assert none.priorities.sum() == 0
    assert every.priorities[1:].tolist() == [1] * 50


def test_node_names_count_customers_per_city() -> None:
    problem = yangtze_delta(300, seed=12)
    assert problem.node_names is not None
    names = problem.node_names[1:]
    assert len(set(names)) == 300
    for city in CITIES:
        numbers = sorted(int(n.rsplit("-", 1)[1]) for n in names if n.rsplit("-", 1)[0] == city)
        assert numbers == list(range(1, len(numbers) + 1)), city
    shanghai = sum(n.startswith("Shanghai-") for n in names)
    assert 40 < shanghai < 80  # weight 5 of 25.5: about 59 of 300


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        yangtze_delta(0)
    with pytest.raises(ValueError, match="unknown depot city 'Beijing'"):
        yangtze_delta(10, depot_city="Beijing")
