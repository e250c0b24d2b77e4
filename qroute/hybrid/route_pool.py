"""A bounded, deduplicated pool of distinct feasible routes, the columns of route selection.

Every search engine of the hybrid (SISR in qroute.hybrid.improve, PyVRP in
qroute.hybrid.pyvrp_search) adds the routes it visits; the pipeline adds the incumbent's
routes and every single-customer route, so the pool always holds a full cover. A route is
identified by its set of customers: the pool keeps the cheapest feasible order seen for it.
Feasibility (capacity, route-length limit, time windows) is checked on entry with
qroute.hybrid.partition.route_feasible, so every column is a route a plan may use as is.

When the pool is full, a new customer set only enters if it is cheaper per customer than
the worst column, which it then replaces; protected columns (incumbent routes, single
customers) are never evicted.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qroute.hybrid import partition
from qroute.model.problem import Problem

DEFAULT_MAX_ROUTES = 20_000


@dataclass
class PooledRoute:
    """One column: the cheapest known feasible order of a customer set."""

    customers: frozenset[int]
    order: tuple[int, ...]
    cost: float
    load: float
    source: str  # the engine that first found this customer set ("sisr", "pyvrp", ...)
    protected: bool = False

    @property
    def efficiency(self) -> float:
        """Cost per customer (lower is better), the eviction order."""
        return self.cost / max(len(self.customers), 1)


class RoutePool:
    """Distinct feasible routes keyed by customer set, at most `max_routes` of them."""

    def __init__(self, problem: Problem, max_routes: int = DEFAULT_MAX_ROUTES) -> None:
        if max_routes < 1:
            raise ValueError(f"max_routes must be at least 1, got {max_routes}")
        self.problem = problem
        self.max_routes = max_routes
        self.routes: dict[frozenset[int], PooledRoute] = {}
        self.offered = 0  # routes offered (duplicates included)
        self.rejected_infeasible = 0
        self.source = "search"  # label for routes added without one
        self._heap: list[tuple[float, int, frozenset[int]]] = []  # (-efficiency, tie, key)
        self._tie = 0

    def __len__(self) -> int:
        return len(self.routes)

    def __contains__(self, customers: object) -> bool:
        return customers in self.routes

    def add(
        self, route: Sequence[int], *, source: str | None = None, protected: bool = False
    ) -> bool:
        """Offer a route (customer ids in visiting order); True if the pool changed."""
        self.offered += 1
        order = tuple(int(c) for c in route)
        if not order:
            return False
        key = frozenset(order)
        if len(key) != len(order):
            raise ValueError(f"route {order} visits a customer twice")
        cost = self.problem.route_cost(order)
        known = self.routes.get(key)
        if known is not None:
            changed = protected and not known.protected
            known.protected |= protected
            if cost < known.cost - 1e-9 and partition.route_feasible(self.problem, order):
                known.order, known.cost = order, cost
                changed = True
            return changed
        if not partition.route_feasible(self.problem, order):
            self.rejected_infeasible += 1
            return False
        entry = PooledRoute(
            key,
            order,
            cost,
            float(self.problem.demands[list(order)].sum()),
            source or self.source,
            protected,
        )
        if len(self.routes) >= self.max_routes and not protected:
            worst = self._worst()
            if worst is None or entry.efficiency >= worst.efficiency:
                return False
            del self.routes[worst.customers]
        self.routes[key] = entry
        if not protected:
            self._tie += 1
            heapq.heappush(self._heap, (-entry.efficiency, self._tie, key))
        return True

    def _worst(self) -> PooledRoute | None:
        while self._heap:
            _, _, key = self._heap[0]
            entry = self.routes.get(key)
            if entry is None or entry.protected:
                heapq.heappop(self._heap)
                continue
            return entry
        return None

    def add_all(
        self, routes: Iterable[Sequence[int]], *, source: str | None = None, protected: bool = False
    ) -> int:
        """Offer several routes; returns how many changed the pool."""
        return sum(self.add(r, source=source, protected=protected) for r in routes)

    def add_singletons(self) -> None:
        """Every single-customer route (protected), so a full cover always exists."""
        for c in self.problem.customers:
            self.add([int(c)], source="singleton", protected=True)

    def add_incumbent(self, routes: Iterable[Sequence[int]]) -> None:
        """The incumbent plan's routes (protected)."""
        self.add_all(routes, source="incumbent", protected=True)

    def within(self, customers: Iterable[int]) -> list[PooledRoute]:
        """Every column whose customers all lie in `customers`."""
        allowed = frozenset(int(c) for c in customers)
        return [r for k, r in self.routes.items() if k <= allowed]

    def sources(self) -> dict[str, int]:
        """How many columns each engine contributed."""
        out: dict[str, int] = {}
        for entry in self.routes.values():
            out[entry.source] = out.get(entry.source, 0) + 1
        return out
