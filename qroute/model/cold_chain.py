"""The `yangtze-cold-chain` scenario: reefer and dry fleets, order classes, shelf lives.

Immutable data for a seeded cold-chain day around Yangtze-Delta cities. Nodes are the
depots first (0..D-1), then the orders. Times are minutes after midnight; travel takes
one minute per road-km (an average road speed of 60 km/h), so a plain `Problem` view of
the scenario keeps the validator's convention that travel time equals distance.

Order classes rank medical > perishable > general. Medical and perishable orders need a
refrigerated vehicle; perishables may spend at most their shelf life on board (from the
vehicle's departure to the start of their delivery).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from qroute.model.problem import Problem, Rounding, great_circle_km
from qroute.model.scenario import CITIES, ROAD_FACTOR

SCENARIO_NAME = "yangtze-cold-chain"
SPEED_KMH = 60.0  # so one road-km takes one minute
SHIFT_START = 6 * 60  # 06:00
SHIFT_END = 20 * 60  # 20:00


class OrderClass(StrEnum):
    MEDICAL = "medical"
    PERISHABLE = "perishable"
    GENERAL = "general"

    @property
    def rank(self) -> int:
        """Higher is more urgent: medical 2, perishable 1, general 0."""
        return {"medical": 2, "perishable": 1, "general": 0}[self.value]


@dataclass(frozen=True)
class Depot:
    name: str
    node: int
    open: int  # minutes after midnight
    close: int


@dataclass(frozen=True)
class VehicleType:
    """`count` identical vehicles based at depot `depot` (an index into the depots)."""

    name: str
    depot: int
    count: int
    capacity: int  # pallets
    cost_per_km: float  # CNY
    refrigerated: bool
    max_duration: int  # minutes from leaving the depot to coming back


@dataclass(frozen=True)
class Order:
    id: str
    node: int
    order_class: OrderClass
    demand: int  # pallets
    ready: int  # delivery window, minutes after midnight
    due: int
    service: int  # minutes on site
    needs_reefer: bool
    shelf_life: int | None = None  # max minutes on board (perishables)


def _readonly(array: NDArray[np.float64]) -> NDArray[np.float64]:
    array = np.array(array, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class ColdChainScenario:
    """Depots, orders, vehicle types and the road network (km and minutes)."""

    name: str
    coords: NDArray[np.float64]  # (lat, lon) per node
    distances: NDArray[np.float64]  # road km between nodes
    depots: tuple[Depot, ...]
    orders: tuple[Order, ...]
    vehicle_types: tuple[VehicleType, ...]
    node_names: tuple[str, ...]
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "coords", _readonly(self.coords))
        object.__setattr__(self, "distances", _readonly(self.distances))

    @property
    def travel_minutes(self) -> NDArray[np.float64]:
        return self.distances * (60.0 / SPEED_KMH)

    @property
    def num_nodes(self) -> int:
        return int(self.distances.shape[0])

    def order(self, order_id: str) -> Order:
        for order in self.orders:
            if order.id == order_id:
                return order
        raise KeyError(order_id)

    def vehicle_type(self, name: str) -> VehicleType:
        for kind in self.vehicle_types:
            if kind.name == name:
                return kind
        raise KeyError(name)

    def service_array(self) -> NDArray[np.float64]:
        service = np.zeros(self.num_nodes)
        for order in self.orders:
            service[order.node] = order.service
        return service

    def window_array(self) -> NDArray[np.float64]:
        windows = np.zeros((self.num_nodes, 2))
        for depot in self.depots:
            windows[depot.node] = (depot.open, depot.close)
        for order in self.orders:
            windows[order.node] = (order.ready, order.due)
        return windows

    def as_problem(self) -> Problem:
        """A single-depot `Problem` view (first depot, every order, the largest capacity):
        a relaxation for the generic pipeline; the cold-chain checker judges the real plan."""
        nodes = [self.depots[0].node, *(o.node for o in self.orders)]
        index = np.array(nodes)
        windows = self.window_array()[index]
        return Problem(
            name=self.name,
            distances=self.travel_minutes[np.ix_(index, index)],
            demands=np.array([0, *(o.demand for o in self.orders)]),
            capacity=float(max(v.capacity for v in self.vehicle_types)),
            rounding=Rounding.ROAD,
            coords=self.coords[index],
            coord_kind="latlon",
            num_vehicles=sum(v.count for v in self.vehicle_types),
            time_windows=windows,
            service_times=self.service_array()[index],
            priorities=np.array([0, *(o.order_class.rank for o in self.orders)]),
            node_names=tuple(self.node_names[i] for i in nodes),
            source=SCENARIO_NAME,
            metadata={**self.metadata, "view": "single-depot relaxation of the cold chain"},
        )


# class -> (share, demand range, window width in minutes, service base minutes)
_CLASS_MIX: dict[OrderClass, tuple[float, tuple[int, int], int, int]] = {
    OrderClass.MEDICAL: (0.15, (1, 4), 120, 10),
    OrderClass.PERISHABLE: (0.35, (3, 10), 180, 15),
    OrderClass.GENERAL: (0.50, (4, 16), 360, 20),
}
SHELF_LIFE = 360  # minutes on board for perishables
DEPOT_CITIES = ("Suzhou", "Hangzhou", "Nanjing")


def yangtze_cold_chain(num_customers: int = 40, seed: int = 2026) -> ColdChainScenario:
    """A seeded cold-chain day: orders around Yangtze-Delta cities, three depots (Suzhou,
    Hangzhou, Nanjing), a reefer and a dry vehicle type at each. Reefer routes last at most
    the shelf life, so cold orders far from every depot (e.g. Hefei) may be unservable."""
    if num_customers < 1:
        raise ValueError("num_customers must be at least 1")
    rng = np.random.default_rng(seed)
    names = list(CITIES)
    weights = np.array([CITIES[c][2] for c in names])
    picks = rng.choice(len(names), size=num_customers, p=weights / weights.sum())
    centres = np.array([CITIES[names[i]][:2] for i in picks])
    latlon = centres + rng.normal(scale=6.0 / 111.0, size=centres.shape)
    depot_xy = np.array([CITIES[c][:2] for c in DEPOT_CITIES])
    coords = np.vstack([depot_xy, latlon])
    distances = np.round(great_circle_km(coords) * ROAD_FACTOR, 3)
    minutes = distances * (60.0 / SPEED_KMH)
    depots = tuple(
        Depot(f"{city} depot", k, SHIFT_START, SHIFT_END) for k, city in enumerate(DEPOT_CITIES)
    )
    classes = list(_CLASS_MIX)
    shares = np.array([_CLASS_MIX[c][0] for c in classes])
    drawn = rng.choice(len(classes), size=num_customers, p=shares)
    orders: list[Order] = []
    counters: dict[str, int] = {}
    node_names = [d.name for d in depots]
    for k in range(num_customers):
        node = len(depots) + k
        city = names[picks[k]]
        counters[city] = counters.get(city, 0) + 1
        node_names.append(f"{city}-{counters[city]:02d}")
        order_class = classes[drawn[k]]
        _, (low, high), width, base = _CLASS_MIX[order_class]
        demand = int(rng.integers(low, high + 1))
        nearest = float(min(minutes[d.node, node] for d in depots))
        earliest = SHIFT_START + int(np.ceil(nearest))
        shelf = SHELF_LIFE if order_class is OrderClass.PERISHABLE else None
        latest_ready = SHIFT_END - width - int(np.ceil(nearest)) - base
        if shelf is not None:  # a perishable window the reefer can reach fresh
            latest_ready = min(latest_ready, SHIFT_START + shelf - width // 2)
        ready = int(rng.integers(SHIFT_START, max(SHIFT_START + 1, latest_ready)))
        ready = 10 * (ready // 10)
        due = max(ready + width, earliest + 30)
        orders.append(
            Order(
                id=f"O{k + 1:03d}",
                node=node,
                order_class=order_class,
                demand=demand,
                ready=ready,
                due=min(due, SHIFT_END - int(np.ceil(nearest))),
                service=base + demand,
                needs_reefer=order_class is not OrderClass.GENERAL,
                shelf_life=shelf,
            )
        )
    cold = sum(o.demand for o in orders if o.needs_reefer)
    dry = sum(o.demand for o in orders if not o.needs_reefer)
    reefer_cap, dry_cap = 24, 33
    per_depot = len(depots)
    reefers = max(1, int(np.ceil(cold / reefer_cap / per_depot * 1.3)))
    drys = max(1, int(np.ceil(dry / dry_cap / per_depot * 1.3)))
    vehicle_types = tuple(
        kind
        for k, city in enumerate(DEPOT_CITIES)
        for kind in (
            VehicleType(f"reefer-{city.lower()}", k, reefers, reefer_cap, 6.5, True, SHELF_LIFE),
            VehicleType(f"dry-{city.lower()}", k, drys, dry_cap, 4.0, False, 600),
        )
    )
    return ColdChainScenario(
        name=f"{SCENARIO_NAME}-n{num_customers}-s{seed}",
        coords=coords,
        distances=distances,
        depots=depots,
        orders=tuple(orders),
        vehicle_types=vehicle_types,
        node_names=tuple(node_names),
        metadata={"scenario": SCENARIO_NAME, "size": str(num_customers), "seed": str(seed)},
    )


@dataclass(frozen=True)
class PlannedRoute:
    """One vehicle's route: the vehicle type's name, the vehicle's number within the type
    (0-based) and the order ids in visiting order (from and back to the type's depot)."""

    vehicle_type: str
    vehicle: int
    orders: tuple[str, ...]


@dataclass(frozen=True)
class ColdChainPlan:
    """Routes plus every unserved order with the reason it is not served."""

    routes: tuple[PlannedRoute, ...]
    unserved: tuple[tuple[str, str], ...] = ()  # (order id, reason)
    algorithm: str = ""

    @property
    def served(self) -> tuple[str, ...]:
        return tuple(o for r in self.routes for o in r.orders)


def cold_chain_problem(size: int | None = None, seed: int | None = None) -> Problem:
    """`--instance yangtze-cold-chain`: the scenario's Problem view (defaults 40, 2026)."""
    from qroute.model.errors import InputError

    try:
        scenario = yangtze_cold_chain(
            size if size is not None else 40, seed if seed is not None else 2026
        )
    except ValueError as exc:
        raise InputError(SCENARIO_NAME, str(exc)) from None
    return scenario.as_problem()


def scenario_of(problem: Problem) -> ColdChainScenario | None:
    """The full scenario behind a `Problem` view, regenerated from its metadata."""
    if problem.metadata.get("scenario") != SCENARIO_NAME:
        return None
    return yangtze_cold_chain(int(problem.metadata["size"]), int(problem.metadata["seed"]))
