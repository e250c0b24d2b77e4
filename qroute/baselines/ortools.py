"""OR-Tools routing (guided local search) as a baseline."""

from __future__ import annotations

import time

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from qroute.baselines.result import baseline_result
from qroute.baselines.scaling import fleet_size, scale_factor, scaled
from qroute.model.problem import Problem
from qroute.model.solver import Budget, SolveResult


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
        if problem.max_route_length is not None or problem.time_windows is not None:
            horizon = 10**12
            if problem.max_route_length is not None:
                horizon = int(scaled(problem.max_route_length, factor))
            if problem.time_windows is not None:
                horizon = int(scaled(problem.time_windows[0, 1], factor))
            time_cb = routing.RegisterTransitCallback(duration)
            routing.AddDimension(time_cb, horizon, horizon, problem.time_windows is None, "Time")
            if problem.time_windows is not None:
                dim = routing.GetDimensionOrDie("Time")
                windows = scaled(problem.time_windows, factor)
                for node in problem.customers:
                    dim.CumulVar(manager.NodeToIndex(node)).SetRange(
                        int(windows[node, 0]), int(windows[node, 1])
                    )
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
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
        return baseline_result(
            problem,
            routes,
            name=self.name,
            device="or-tools routing (GLS, CPU)",
            seed=budget.seed,
            start=start,
            details={"found": assignment is not None, "vehicles": vehicles},
        )
