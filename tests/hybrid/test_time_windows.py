"""The hybrid on time windows: answers flagged, only window-feasible answers adopted, the
pool holds window-feasible routes only, and result.json says how windows were handled."""

from __future__ import annotations

import numpy as np
import pytest

from qroute.hybrid.pipeline import PipelineConfig, run_pipeline
from qroute.hybrid.route_pool import RoutePool
from qroute.hybrid.time_windows import HANDLING, time_window_report
from qroute.model.problem import Problem
from qroute.model.validation import validate
from tests.model.test_subproblem import windowed_problem


def _three_routes(k: int = 15, seed: int = 5) -> Problem:
    """windowed_problem's customers with capacity for five each (so about three routes)."""
    base, _ = windowed_problem(k, seed, slack=60.0)
    return Problem(
        name=f"tw3-k{k}-s{seed}",
        distances=base.distances,
        demands=base.demands,
        capacity=5.0,
        rounding=base.rounding,
        coords=base.coords,
        time_windows=base.time_windows,
        service_times=base.service_times,
    )


def test_the_pool_refuses_a_route_that_misses_a_window() -> None:
    problem, order = windowed_problem(6, 2)
    pool = RoutePool(problem)
    late_first = [order[-1], order[0]]  # the last customer first: the first one is late
    assert not validate(problem, [late_first]).feasible
    assert pool.add(order) and not pool.add(late_first)
    assert pool.rejected_infeasible == 1 and frozenset(order) in pool
    assert frozenset(late_first) not in pool
    assert pool.routes[frozenset(order)].order == tuple(order)


def test_the_pipeline_keeps_windows_and_adopts_only_window_feasible_answers() -> None:
    problem = _three_routes()
    result = run_pipeline(problem, PipelineConfig(policy="local", time_limit=4.0, seed=1))
    assert result.feasible and validate(problem, result.routes).feasible
    assert result.records
    for record in result.records:
        flag = record.provenance["details"]["window_feasible"]
        assert isinstance(flag, bool)
        if record.adopted:
            assert flag is True  # a stitched route meets every window only if the tour did
    report = time_window_report([r.as_dict() for r in result.records])
    assert report["answers"] == len(result.records)
    assert report["answers_window_feasible"] + report["answers_window_infeasible"] == len(
        result.records
    )


def test_the_time_window_report_counts_flags_and_refusals() -> None:
    records = [
        {"provenance": {"details": {"window_feasible": True}, "stitch": "adopted"}},
        {"provenance": {"details": {"window_feasible": False}, "stitch": "infeasible route"}},
        {"provenance": {"details": {"window_feasible": True}, "stitch": "infeasible route"}},
        {"provenance": {"details": {}, "stitch": "worse"}},
    ]
    report = time_window_report(records)
    assert {k: report[k] for k in HANDLING} == HANDLING
    assert report["qubo"].startswith("encoded") and report["stitch"].startswith("filter")
    assert (report["answers"], report["answers_window_feasible"]) == (4, 2)
    assert (report["answers_window_infeasible"], report["answers_refused_at_stitch"]) == (1, 2)


@pytest.mark.parametrize("seed", [0, 3])
def test_result_json_states_the_window_handling(seed: int) -> None:
    from qroute.reporting.output import result_payload

    problem = _three_routes(seed=seed)
    result = run_pipeline(problem, PipelineConfig(policy="local", time_limit=2.0, seed=seed))
    payload = result_payload(
        problem, [list(r) for r in result.routes], records=result.records, wall_seconds=1.0
    )
    assert payload["feasible"]
    assert payload["time_windows"]["answers"] == len(result.records)
    assert payload["time_windows"]["route_pool"].startswith("window-feasible")
    assert len(payload["timelines"]) == len(result.routes)
    assert np.isfinite(payload["cost"])
