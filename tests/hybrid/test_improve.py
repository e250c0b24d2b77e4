"""qroute.hybrid.improve: the SISR ruin-and-recreate engine and arc provenance; pipeline.improve."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qroute.hybrid.improve import ArcLedger, RuinRecreate
from qroute.hybrid.partition import initial_routes
from qroute.hybrid.pipeline import PipelineConfig, default_solve_batch, improve
from qroute.hybrid.progress import Recorder
from qroute.model.data import find_instance
from qroute.model.instances import read_instance
from qroute.model.problem import Problem
from qroute.model.scenario import yangtze_delta
from qroute.model.solver import Provenance, SolveResult
from qroute.model.subproblem import Subproblem
from qroute.model.validation import validate


def _identity_batch(paradigm: str = "classical"):
    """A fake SolveBatch that answers every subproblem with the identity order."""

    def batch(subs: list[Subproblem], indices: list[int]) -> list[SolveResult]:
        return [
            SolveResult(
                routes=(tuple(range(1, s.size + 1)),),
                cost=s.cost(range(1, s.size + 1)),
                provenance=Provenance("fake", "fake", "none", paradigm, i, 0.0),
            )
            for s, i in zip(subs, indices, strict=True)
        ]

    return batch


def _check_engine(problem: Problem, engine: RuinRecreate) -> None:
    routes = engine.routes()
    report = validate(problem, routes)
    assert report.feasible, report.violations
    assert engine.cost == pytest.approx(report.cost)


def test_engine_keeps_solution_feasible_and_cost_consistent() -> None:
    problem = yangtze_delta(num_customers=50, seed=11)
    start = initial_routes(problem)
    engine = RuinRecreate(problem, start, seed=3)
    start_cost = validate(problem, start).cost
    assert engine.cost == pytest.approx(start_cost)
    for _ in range(300):
        engine.iterate(temperature=0.5 * engine.mean_arc())
        _check_engine(problem, engine)
    assert engine.best_cost <= start_cost + 1e-9
    best = engine.best_routes()
    assert validate(problem, best).cost == pytest.approx(engine.best_cost)
    _check_engine(problem, engine)  # best_routes() leaves the current solution in place
    engine.restore_best()
    _check_engine(problem, engine)
    assert engine.cost == pytest.approx(engine.best_cost)


def test_engine_grows_route_slots_when_needed() -> None:
    problem = yangtze_delta(num_customers=30, seed=2, capacity=30)
    engine = RuinRecreate(problem, [], seed=0)
    engine.insert_all(list(problem.customers), blink=0.0, force=True)
    assert engine.num_routes >= problem.lower_bound_vehicles()
    _check_engine(problem, engine)


def test_ledger_tracks_classes_confirmed_and_search_arcs() -> None:
    problem = yangtze_delta(num_customers=8, seed=1)
    ledger = ArcLedger(problem)
    assert ledger.symmetric
    old, new = [1, 2, 3, 4], [1, 3, 2, 4]
    ledger.set_route(old, new, "quantum_simulator")
    counts = ledger.counts([new])
    # new arcs 1-3, 3-2 (=2-3, kept), 2-4: two added; 0-1, 2-3, 4-0 kept as search arcs
    assert counts["quantum_simulator"] == 2 and counts["search"] == 3
    assert counts["classical_sampler"] == 0 and counts["confirmed"] == 0
    ledger.confirm(ledger.route_keys(new), "classical_sampler")
    assert ledger.counts([new])["confirmed"] == 3  # only the search arcs are confirmations
    ledger.classical([ledger.key(3, 1)])
    assert ledger.counts([new])["quantum_simulator"] == 1
    assert ledger.counts([new[::-1]]) == ledger.counts([new])  # symmetric: reversal keeps


def test_engine_moves_mark_only_new_arcs_classical() -> None:
    problem = yangtze_delta(num_customers=30, seed=4)
    routes = initial_routes(problem)
    ledger = ArcLedger(problem)
    for route in routes:
        ledger.set_route([], route, "qpu")
    engine = RuinRecreate(problem, routes, seed=1, ledger=ledger)
    start_keys = {k for r in routes for k in ledger.route_keys(r)}
    for _ in range(200):
        engine.iterate(temperature=engine.mean_arc())
    current = engine.routes()
    counts = ledger.counts(current)
    assert counts["search"] > 0  # moves created arcs
    current_keys = {k for r in current for k in ledger.route_keys(r)}
    marked = {k for k in current_keys if ledger.marks.get(k)}
    # an arc keeps its mark exactly when it was in the start and no move made it new:
    # every start arc still in the solution was either never removed or re-created as is
    assert marked <= start_keys
    assert engine.accepted > 0


def test_equal_cost_move_keeps_marks() -> None:
    """A move that removes and re-inserts customers where they were keeps every mark
    (the equal-cost-move trap: resetting every touched arc lost all marks)."""
    problem = yangtze_delta(num_customers=12, seed=3)
    routes = initial_routes(problem)
    ledger = ArcLedger(problem)
    for route in routes:
        ledger.set_route([], route, "quantum_simulator")
    engine = RuinRecreate(problem, routes, seed=0, ledger=ledger)
    before = engine.snapshot(ledger=False)
    created = [ledger.key(0, routes[0][0]), ledger.key(routes[0][-1], 0)]
    assert all(engine._had_arc(before, k) for k in created)
    ledger.classical(k for k in created if not engine._had_arc(before, k))
    assert ledger.counts(routes)["quantum_simulator"] == sum(len(r) + 1 for r in routes)


def test_improve_never_worse_and_feasible() -> None:
    problem = yangtze_delta(num_customers=40, seed=8)
    start = initial_routes(problem)
    start_cost = validate(problem, start).cost
    config = PipelineConfig(policy="exact", time_limit=2.0, seed=1, max_stops=6)
    deadline = time.perf_counter() + 1.5
    routes, records, history = improve(
        problem, start, config, default_solve_batch(config), deadline, start_index=10
    )
    report = validate(problem, routes)
    assert report.feasible
    assert report.cost <= start_cost + 1e-9
    assert history[0][1] == pytest.approx(start_cost)
    costs = [c for _, c in history]
    assert costs == sorted(costs, reverse=True)  # the best cost never goes up
    assert all(r.phase == "improve" and r.size <= 6 for r in records)
    assert [r.index for r in records] == list(range(10, 10 + len(records)))
    assert all(r.backend_used == "exact" for r in records)


def test_improve_reports_progress() -> None:
    problem = yangtze_delta(num_customers=25, seed=9)
    seen = Recorder()
    config = PipelineConfig(policy="exact", time_limit=1.0, max_stops=5)
    start = initial_routes(problem)
    routes, _, _ = improve(
        problem, start, config, _identity_batch(), time.perf_counter() + 1.0, progress=seen
    )
    best = [float(c) for c in seen.values("best_cost")]  # type: ignore[arg-type]
    assert best  # after every round and the final re-routing
    assert best == sorted(best, reverse=True)  # the best cost never goes up
    assert best[-1] == pytest.approx(validate(problem, routes).cost)
    assert best[-1] <= validate(problem, start).cost


@pytest.mark.data
def test_improve_respects_route_length_limit(shared_data: Path) -> None:
    path = find_instance("CMT6")
    if path is None:
        pytest.skip("CMT6 missing")
    problem = read_instance(path)
    start = initial_routes(problem)
    config = PipelineConfig(policy="exact", time_limit=1.5, max_stops=5)
    routes, _, _ = improve(problem, start, config, _identity_batch(), time.perf_counter() + 1.5)
    report = validate(problem, routes)
    assert report.feasible, report.violations
    assert report.cost <= validate(problem, start).cost + 1e-9


@pytest.mark.data
def test_improve_keeps_time_windows(shared_data: Path) -> None:
    path = find_instance("C101")
    if path is None:
        pytest.skip("C101 missing")
    problem = read_instance(path)
    start = initial_routes(problem)
    assert validate(problem, start).feasible
    config = PipelineConfig(policy="exact", time_limit=1.5, max_stops=5)
    routes, _, _ = improve(problem, start, config, _identity_batch(), time.perf_counter() + 1.5)
    report = validate(problem, routes)
    assert report.feasible, report.violations
    assert report.cost <= validate(problem, start).cost + 1e-9
