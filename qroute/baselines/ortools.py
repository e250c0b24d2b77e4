"""OR-Tools routing (guided local search) as a baseline, set up for time windows too.

With time windows the model has a time dimension whose slack is the waiting time (a
vehicle may arrive early and wait for the window to open), every vehicle's start and end
lie in the depot's window, the fleet is the instance's, and the first solution comes from
parallel cheapest insertion, which respects windows while it builds (path-cheapest-arc
found no solution at all on R101, RC101 or R106 in 5 s). Every customer also gets a
disjunction with a penalty far above any route cost, so the search always has a first
solution to improve; a customer the search still leaves out is reported, never hidden
(the validator marks the plan infeasible).
"""

from __future__ import annotations

import time

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from qroute.baselines.result import baseline_result
from qroute.baselines.scaling import fleet_size, scale_factor, scaled
from qroute.model.problem import Problem
from qroute.model.solver import Budget, SolveResult

_FIRST = routing_enums_pb2.FirstSolutionStrategy
_META = routing_enums_pb2.LocalSearchMetaheuristic


class ORToolsSolver:
    """Solve a full Problem with OR-Tools' routing solver under a wall-time budget."""

    name = "ortools"

    def solve(self, problem: Problem, budget: Budget) -> SolveResult:
        start = time.perf_counter()
        factor = scale_factor(problem)
        matrix = scaled(problem.distances, factor).tolist()
        service = (
            scaled(problem.service_times, factor).tolist()
            if problem.service_times is not None
            else [0] * problem.num_nodes
        )
        demands = [int(d) for d in problem.demands]
        vehicles = fleet_size(problem)
        manager = pywrapcp.RoutingIndexManager(problem.num_nodes, vehicles, 0)
        routing = pywrapcp.RoutingModel(manager)

        def distance(i: int, j: int) -> int:
            return int(matrix[manager.IndexToNode(i)][manager.IndexToNode(j)])

        def duration(i: int, j: int) -> int:
            a, b = manager.IndexToNode(i), manager.IndexToNode(j)
            return int(service[a] + matrix[a][b])

        arc = routing.RegisterTransitCallback(distance)
        routing.SetArcCostEvaluatorOfAllVehicles(arc)
        load = routing.RegisterUnaryTransitCallback(lambda i: demands[manager.IndexToNode(i)])
        routing.AddDimensionWithVehicleCapacity(
            load, 0, [int(problem.capacity)] * vehicles, True, "Load"
        )
        windowed = problem.time_windows is not None
        if problem.max_route_length is not None or windowed:
            self._time_dimension(problem, routing, manager, duration, factor, vehicles)
        # a penalty above any plan's cost: dropping a customer is a last resort, reported
        penalty = int(sum(max(row) for row in matrix)) * 2 + 1
        for node in problem.customers:
            routing.AddDisjunction([manager.NodeToIndex(node)], penalty)
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = (
            _FIRST.PARALLEL_CHEAPEST_INSERTION if windowed else _FIRST.PATH_CHEAPEST_ARC
        )
        params.local_search_metaheuristic = _META.GUIDED_LOCAL_SEARCH
        remaining = budget.time_limit - (time.perf_counter() - start)
        params.time_limit.FromMilliseconds(max(100, int(remaining * 1000)))
        assignment = routing.SolveWithParameters(params)
        routes: list[tuple[int, ...]] = []
        if assignment is not None:
            for v in range(vehicles):
                index = routing.Start(v)
                stops: list[int] = []
                while not routing.IsEnd(index):
                    node = manager.IndexToNode(index)
                    if node != 0:
                        stops.append(node)
                    index = assignment.Value(routing.NextVar(index))
                if stops:
                    routes.append(tuple(stops))
        visited = {c for r in routes for c in r}
        strategy = "parallel cheapest insertion" if windowed else "path cheapest arc"
        return baseline_result(
            problem,
            routes,
            name=self.name,
            device=f"or-tools routing ({strategy} + GLS, CPU)",
            seed=budget.seed,
            start=start,
            details={
                "found": assignment is not None,
                "vehicles": vehicles,
                "first_solution": strategy,
                "dropped": sorted(set(problem.customers) - visited),
            },
        )

    @staticmethod
    def _time_dimension(
        problem: Problem,
        routing: pywrapcp.RoutingModel,
        manager: pywrapcp.RoutingIndexManager,
        duration: object,
        factor: int,
        vehicles: int,
    ) -> None:
        """Time = service + travel; slack = waiting; windows on customers and the depot."""
        horizon = 10**12
        if problem.max_route_length is not None:
            horizon = int(scaled(problem.max_route_length, factor))
        if problem.time_windows is not None:
            horizon = int(scaled(problem.time_windows[0, 1], factor))
        time_cb = routing.RegisterTransitCallback(duration)
        windowed = problem.time_windows is not None
        # slack up to the horizon lets a vehicle wait for a window to open
        routing.AddDimension(time_cb, horizon if windowed else 0, horizon, not windowed, "Time")
        if not windowed:
            return
        assert problem.time_windows is not None
        dim = routing.GetDimensionOrDie("Time")
        windows = scaled(problem.time_windows, factor)
        for node in problem.customers:
            dim.CumulVar(manager.NodeToIndex(node)).SetRange(
                int(windows[node, 0]), int(windows[node, 1])
            )
        for v in range(vehicles):
            for index in (routing.Start(v), routing.End(v)):
                dim.CumulVar(index).SetRange(int(windows[0, 0]), int(windows[0, 1]))
                routing.AddVariableMinimizedByFinalizer(dim.CumulVar(index))
