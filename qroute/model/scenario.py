"""The embedded default scenario: seeded customers around Yangtze River Delta cities."""

from __future__ import annotations

import numpy as np

from qroute.model.problem import Problem, Rounding, great_circle_km

SCENARIO_NAME = "yangtze-delta"
ROAD_FACTOR = 1.3  # road distance / great-circle distance, a common planning rule of thumb

# City centres (latitude, longitude in degrees) and a relative weight for customer counts.
CITIES: dict[str, tuple[float, float, float]] = {
    "Shanghai": (31.2304, 121.4737, 5.0),
    "Suzhou": (31.2990, 120.5853, 3.0),
    "Wuxi": (31.4912, 120.3119, 2.0),
    "Changzhou": (31.8107, 119.9741, 1.5),
    "Nanjing": (32.0603, 118.7969, 3.0),
    "Hangzhou": (30.2741, 120.1551, 3.0),
    "Ningbo": (29.8683, 121.5440, 2.0),
    "Jiaxing": (30.7522, 120.7555, 1.0),
    "Hefei": (31.8206, 117.2272, 2.0),
    "Nantong": (31.9802, 120.8943, 1.0),
    "Huzhou": (30.8928, 120.0881, 1.0),
    "Shaoxing": (29.9958, 120.5861, 1.0),
}


def yangtze_delta(
    num_customers: int = 60,
    seed: int = 2026,
    depot_city: str = "Suzhou",
    capacity: int = 120,
    cold_chain_share: float = 0.2,
) -> Problem:
    """A seeded CVRP around real Yangtze-Delta cities; distances are road-km estimates.

    Customers scatter about 6 km (1 sigma) around their city; demands are 5..30 pallets;
    about `cold_chain_share` of them carry a cold-chain priority of 1 (others 0).
    """
    if num_customers < 1:
        raise ValueError("num_customers must be at least 1")
    if depot_city not in CITIES:
        raise ValueError(f"unknown depot city {depot_city!r}; choose from {', '.join(CITIES)}")
    rng = np.random.default_rng(seed)
    names = list(CITIES)
    weights = np.array([CITIES[c][2] for c in names])
    picks = rng.choice(len(names), size=num_customers, p=weights / weights.sum())
    centres = np.array([CITIES[names[i]][:2] for i in picks])
    scatter_deg = 6.0 / 111.0
    latlon = centres + rng.normal(scale=scatter_deg, size=centres.shape)
    depot = np.array([CITIES[depot_city][:2]])
    coords = np.vstack([depot, latlon])
    distances = np.round(great_circle_km(coords) * ROAD_FACTOR, 3)
    demands = np.concatenate([[0], rng.integers(5, 31, size=num_customers)])
    priorities = np.concatenate([[0], (rng.random(num_customers) < cold_chain_share).astype(int)])
    counters: dict[str, int] = {}
    node_names = [f"{depot_city} depot"]
    for i in picks:
        counters[names[i]] = counters.get(names[i], 0) + 1
        node_names.append(f"{names[i]}-{counters[names[i]]:02d}")
    return Problem(
        name=f"{SCENARIO_NAME}-n{num_customers}-s{seed}",
        distances=distances,
        demands=demands,
        capacity=float(capacity),
        rounding=Rounding.ROAD,
        coords=coords,
        coord_kind="latlon",
        priorities=priorities,
        node_names=tuple(node_names),
        source=SCENARIO_NAME,
        metadata={"depot_city": depot_city, "seed": str(seed), "road_factor": str(ROAD_FACTOR)},
    )
