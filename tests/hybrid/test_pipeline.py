"""qroute.hybrid.pipeline: subproblems, stitching, the default batch and the whole hybrid run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from qroute.hybrid.improve import ArcLedger
from qroute.hybrid.pipeline import (
    DEFAULT_MAX_STOPS,
    PipelineConfig,
    PipelineResult,
    SubproblemRecord,
    default_solve_batch,
    initial_routes,
    make_subproblems,
    run_pipeline,
    step_share,
    stitch,
    window_bounds,
)
from qroute.hybrid.progress import Recorder
from qroute.model.data import find_instance
from qroute.model.instances import read_instance
from qroute.model.problem import Problem
from qroute.model.scenario import yangtze_delta
from qroute.model.solver import Provenance, SolveResult
from qroute.model.subproblem import Subproblem
from qroute.model.validation import validate
from qroute.qubo.held_karp import held_karp


def _result(order: list[int] | tuple[int, ...], paradigm: str = "annealing") -> SolveResult:
    return SolveResult(
        routes=(tuple(order),),
        cost=0.0,
        provenance=Provenance(
            backend_requested="dwave-sa",
            backend_used="fake-annealer",
            device="test double",
            paradigm=paradigm,
            seed=0,
            wall_seconds=0.01,
            fallback_reason="dwave-qpu: no credentials",
        ),
        raw_feasible_rate=0.5,
        repaired=False,
    )


def _optimal(sub: Subproblem) -> list[int]:
    return held_karp(sub)[0]


def _one_route_problem() -> tuple[Problem, list[list[int]]]:
    problem = yangtze_delta(num_customers=7, seed=12, capacity=10_000)
    # a deliberately poor order: by node id
    return problem, [list(problem.customers)]


# ------------------------------------------------------------------ make_subproblems


@pytest.mark.parametrize("max_stops", [3, 4, 5, 12])
def test_subproblem_sizes_and_windows_reconstruct_routes(max_stops: int) -> None:
    problem = yangtze_delta(num_customers=60, seed=2026, capacity=400)
    routes = initial_routes(problem, PipelineConfig())
    assert max(len(r) for r in routes) > max_stops  # some routes need windows
    subs = make_subproblems(problem, routes, max_stops)
    assert all(1 <= s.size <= max_stops for s in subs)
    rebuilt: list[list[int]] = []
    position = 0
    for route in routes:
        full = [0, *route, 0]
        covered: list[int] = []
        while len(covered) < len(route):
            sub = subs[position]
            position += 1
            start = len(covered)
            if sub.kind == "route":
                assert len(route) <= max_stops and start == 0
                assert sub.nodes[0] == 0 and set(sub.nodes[1:]) == set(route)
                covered = list(route)
                continue
            free = route[start : start + sub.size]
            assert set(sub.nodes[1:-1]) == set(free)
            assert sub.nodes[0] == full[start]  # fixed first stop: the previous node
            assert sub.nodes[-1] == full[start + sub.size + 1]  # fixed last stop
            covered.extend(free)
        assert covered == route
        rebuilt.append(covered)
    assert position == len(subs)
    assert rebuilt == routes


def test_window_bounds_cover_and_shift() -> None:
    for length in range(1, 40):
        for offset in range(0, 15):
            bounds = window_bounds(length, 6, offset)
            assert all(1 <= k <= 6 for _, k in bounds)
            flat = [i for start, k in bounds for i in range(start, start + k)]
            assert flat == list(range(length))
    assert window_bounds(20, 12) == [(0, 10), (10, 10)]
    assert window_bounds(20, 12, offset=3) == [(0, 3), (3, 10), (13, 7)]


def test_subproblem_keys_ignore_the_current_order() -> None:
    problem, routes = _one_route_problem()
    a = make_subproblems(problem, routes, 12)[0]
    b = make_subproblems(problem, [routes[0][::-1]], 12)[0]
    assert a.key() == b.key()


def test_max_stops_defaults_follow_the_policy() -> None:
    assert PipelineConfig(policy="local").resolved_max_stops() == DEFAULT_MAX_STOPS["local"]
    assert PipelineConfig(policy="qaoa").resolved_max_stops() == 4
    assert PipelineConfig(policy="qaoa", max_stops=3).resolved_max_stops() == 3
    with pytest.raises(ValueError):
        make_subproblems(*_one_route_problem(), 0)


# ------------------------------------------------------------------ stitch


def test_stitch_adopts_an_improving_valid_answer_with_provenance() -> None:
    problem, routes = _one_route_problem()
    sub = make_subproblems(problem, routes, 12)[0]
    ledger = ArcLedger(problem)
    before = problem.route_cost(routes[0])
    new_routes, records = stitch(
        problem, routes, [sub], [_result(_optimal(sub))], "initial", 5, ledger=ledger
    )
    assert routes == [list(problem.customers)]  # the input is not modified
    (record,) = records
    assert record.adopted
    assert record.index == 5 and record.phase == "initial"
    assert record.backend_requested == "dwave-sa" and record.backend_used == "fake-annealer"
    assert record.device == "test double" and record.paradigm == "annealing"
    assert record.fallback_reason == "dwave-qpu: no credentials"
    assert record.raw_feasible_rate == 0.5 and record.key == sub.key()
    assert record.cost_before == pytest.approx(before)
    assert record.cost_after == pytest.approx(problem.route_cost(new_routes[0]))
    assert record.cost_after < record.cost_before
    assert record.provenance["stitch"] == "adopted"
    json.dumps(record.as_dict())
    assert sorted(new_routes[0]) == sorted(routes[0])
    counts = ledger.counts(new_routes)
    # a test double is a classical sampler: its arcs are never counted as quantum
    assert record.provenance_class == "classical_sampler"
    assert counts["classical_sampler"] > 0 and counts["qpu"] == counts["quantum_simulator"] == 0


def test_stitch_rejects_worse_and_invalid_answers() -> None:
    problem, routes = _one_route_problem()
    sub = make_subproblems(problem, routes, 12)[0]
    best = _optimal(sub)
    good, _ = stitch(problem, routes, [sub], [_result(best)], "initial", 0)
    sub2 = make_subproblems(problem, good, 12)[0]
    worse = list(range(1, sub2.size + 1))  # by node id: the poor order again
    invalid = [[1, 1, 2, 3, 4, 5, 6], [1, 2, 3], [0, 1, 2, 3, 4, 5, 6], [9, 1, 2, 3, 4, 5, 6]]
    answers = [worse, *invalid]
    out, records = stitch(
        problem, good, [sub2] * len(answers), [_result(a) for a in answers], "improve", 0
    )
    assert out == good
    assert not any(r.adopted for r in records)
    assert records[0].provenance["stitch"] == "worse"
    assert all(r.provenance["stitch"].startswith("invalid") for r in records[1:])
    assert all(r.cost_after == pytest.approx(r.cost_before) for r in records[1:])


def test_stitch_windows_of_one_route() -> None:
    problem = yangtze_delta(num_customers=14, seed=7, capacity=10_000)
    routes = [list(problem.customers)]
    subs = make_subproblems(problem, routes, 5)
    assert len(subs) == 3 and all(s.kind == "path" for s in subs)
    out, records = stitch(problem, routes, subs, [_result(_optimal(s)) for s in subs], "x", 0)
    assert validate(problem, out).feasible
    assert problem.route_cost(out[0]) <= problem.route_cost(routes[0])
    assert any(r.adopted for r in records)


def test_stitch_rejects_stale_answers_and_counts_mismatch() -> None:
    problem, routes = _one_route_problem()
    sub = make_subproblems(problem, [routes[0][:4]], 12)[0]  # not the route as it is
    out, records = stitch(problem, routes, [sub], [_result(_optimal(sub))], "improve", 0)
    assert out == routes and not records[0].adopted
    assert records[0].provenance["stitch"].startswith("stale")
    with pytest.raises(ValueError):
        stitch(problem, routes, [sub], [], "improve", 0)


# ------------------------------------------------------------------ solve batch and pipeline


def test_default_solve_batch_seeds_by_index() -> None:
    problem, routes = _one_route_problem()
    subs = make_subproblems(problem, routes, 4)
    batch = default_solve_batch(PipelineConfig(policy="exact", seed=100))
    results = batch(subs, list(range(7, 7 + len(subs))))
    assert [r.provenance.seed for r in results] == list(range(107, 107 + len(subs)))
    assert all(r.provenance.backend_used == "exact" for r in results)


def _check_result(problem: Problem, result: PipelineResult) -> None:
    report = validate(problem, result.routes)
    assert result.feasible and report.feasible and result.violations == ()
    assert result.cost == pytest.approx(report.cost)
    assert sorted(c for r in result.routes for c in r) == list(problem.customers)
    share = result.quantum_share
    assert {"solves_by_backend", "adopted_by_backend", "arc_share", "arcs_from"} <= set(share)
    arcs = share["arcs_from"]
    assert arcs["quantum"] + arcs["classical"] == len(problem.customers) + len(result.routes)
    assert 0.0 <= share["arc_share"] <= 1.0
    assert sum(share["solves_by_backend"].values()) == len(result.records)
    assert [r.index for r in result.records] == list(range(len(result.records)))
    costs = [c for _, c in result.history]
    assert costs[-1] == pytest.approx(result.cost)
    json.dumps(result.as_dict())


def test_run_pipeline_local_on_yangtze() -> None:
    problem = yangtze_delta()
    seen = Recorder()
    result = run_pipeline(
        problem, PipelineConfig(policy="local", time_limit=4.0, seed=1), progress=seen
    )
    _check_result(problem, result)
    assert result.records
    assert {r.phase for r in result.records} == {"initial", "improve"}
    assert all(isinstance(r, SubproblemRecord) for r in result.records)
    assert all(r.size <= 12 for r in result.records)
    assert "dwave-sa" in result.quantum_share["solves_by_backend"]
    assert all(r.paradigm == "annealing" for r in result.records)
    start = validate(problem, initial_routes(problem, PipelineConfig())).cost
    assert result.cost <= start
    assert seen.values("set_phase") == ["partition", "initial", "improve", "validate"]
    # the default solve-batch reports every solve it was given, and nothing else
    assert sum(seen.values("add_total")) == len(result.records)  # type: ignore[arg-type]
    assert seen.values("subproblem_done") == [False] * len(result.records)
    best = seen.values("best_cost")
    assert best[-1] == pytest.approx(result.cost)
    assert min(best) == pytest.approx(result.cost)  # type: ignore[type-var]
    assert set(result.phase_seconds) >= {"partition", "initial_solve", "improve"}
    assert result.wall_seconds < 15.0


def test_run_pipeline_rejects_deliberately_invalid_answers() -> None:
    problem = yangtze_delta(num_customers=30, seed=3)

    def broken(subs: list[Subproblem], indices: list[int]) -> list[SolveResult]:
        # the first stop twice, the last one missing: never a valid order
        return [_result([1, *range(1, s.size)]) if s.size > 1 else _result([2]) for s in subs]

    result = run_pipeline(problem, PipelineConfig(time_limit=1.5), solve_batch=broken)
    _check_result(problem, result)
    assert result.records and not any(r.adopted for r in result.records)
    assert all(r.provenance["stitch"].startswith("invalid") for r in result.records)
    assert result.quantum_share["arcs_from"]["quantum"] == 0
    assert result.quantum_share["adopted_by_backend"] == {}


def test_run_pipeline_with_exact_answers_marks_no_quantum_arcs() -> None:
    problem = yangtze_delta(num_customers=25, seed=5)
    result = run_pipeline(problem, PipelineConfig(policy="exact", time_limit=1.5, max_stops=6))
    _check_result(problem, result)
    assert result.quantum_share["arc_share"] == 0.0  # classical answers never count
    assert all(r.paradigm == "classical" for r in result.records)


def test_record_as_dict_round_trips_fields() -> None:
    problem, routes = _one_route_problem()
    sub = make_subproblems(problem, routes, 12)[0]
    _, (record,) = stitch(problem, routes, [sub], [_result(_optimal(sub))], "initial", 0)
    payload = record.as_dict()
    names = {f.name for f in dataclasses.fields(SubproblemRecord)}
    assert set(payload) == names


@pytest.mark.data
def test_run_pipeline_on_a_shared_instance(shared_data: Path) -> None:
    path = find_instance("E-n13-k4") or find_instance("A-n32-k5")
    if path is None:
        pytest.skip("no small shared instance")
    problem = read_instance(path)
    result = run_pipeline(problem, PipelineConfig(policy="local", time_limit=2.0))
    _check_result(problem, result)


def test_pipeline_reports_classes_selection_share_and_ablation() -> None:
    problem = yangtze_delta(num_customers=30, seed=6)
    result = run_pipeline(problem, PipelineConfig(policy="local", time_limit=6.0, seed=2))
    _check_result(problem, result)
    share = result.quantum_share
    assert set(share["by_class"]) == {
        "qpu",
        "quantum_simulator",
        "hybrid_service",
        "classical_sampler",
    }
    # the local policy runs only CPU samplers: nothing may be credited to a quantum class
    for name in ("qpu", "quantum_simulator", "hybrid_service"):
        assert share["by_class"][name] == {
            "solves": 0,
            "adopted": 0,
            "final_routes": 0,
            "improvement": 0.0,
        }
    assert share["arc_share"] == 0.0
    every = result.selection_records
    sel = [s for s in every if s.step == "selection"]  # QUBO sub-selections
    recombined = [s for s in every if s.step == "recombine"]  # the classical MIP steps
    assert sel and share["selection_solves"] == len(sel)
    assert share["recombinations"] == len(recombined) == len(every) - len(sel)
    assert all(s.backend == "mip" and s.credited_class == "classical_sampler" for s in recombined)
    assert share["by_class"]["classical_sampler"]["solves"] == len(result.records) + len(every)
    assert 0.0 <= share["final_routes_selected_by_qubo"] <= 1.0
    assert sum(r["final_routes"] for r in share["by_class"].values()) <= len(result.routes)
    ablation = result.ablation
    assert ablation["selection"]["solves"] == len(sel)
    assert ablation["selection"]["exact_cost"] == pytest.approx(sum(s.exact_cost for s in sel))
    assert all(s.exact_cost <= s.qubo_cost + 1e-6 for s in sel)  # the MIP is the optimum
    assert ablation["routes"]["solves"] > 0
    assert ablation["routes"]["exact_cost"] <= ablation["routes"]["qubo_cost"] + 1e-6


def test_exact_steps_pipeline_replaces_every_qubo_step() -> None:
    problem = yangtze_delta(num_customers=25, seed=9)
    config = PipelineConfig(policy="exact", time_limit=4.0, seed=1, exact_steps=True)
    result = run_pipeline(problem, config)
    _check_result(problem, result)
    assert result.selection_records and all(s.backend == "mip" for s in result.selection_records)
    assert all(r.backend_used == "exact" for r in result.records)
    assert result.ablation["selection"]["solves"] == 0  # nothing QUBO to compare
    assert result.quantum_share["final_routes_selected_by_qubo"] == 0.0  # a MIP is no QUBO


def test_the_annealer_policy_caps_routes_at_what_the_qpu_profile_holds() -> None:
    """10 stops: the D-Wave QPU profile's max_variables (100) as whole route-TSPs (k² ≤ 100)."""
    from qroute.cloud.policy import qpu_max_variables

    assert qpu_max_variables() == 100
    assert PipelineConfig(policy="annealer").resolved_max_stops() == 10


def test_the_steps_share_shrinks_while_they_change_nothing_and_never_stops() -> None:
    assert step_share(0) == pytest.approx(0.1)
    assert step_share(1) == pytest.approx(0.07)
    assert step_share(2) == pytest.approx(0.049)
    assert step_share(3) == pytest.approx(0.0343)
    assert step_share(4) == step_share(50) == pytest.approx(0.03)  # the floor: steps still run
