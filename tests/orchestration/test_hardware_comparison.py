"""The hardware-comparison flow's rail cases: windows of the assignment QUBO kind, scored by
their enumerated optimum, measured like any other case (the flow itself: tests/reporting/
test_comparison.py, slow)."""

from __future__ import annotations

import pytest

from qroute.orchestration.hardware_comparison import RAIL_ASSIGNMENT, rail_cases
from qroute.rail.kind import ASSIGNMENT_KIND
from qroute.rail.scenario import hsr_yangtze
from qroute.reporting.comparison import ComparisonCase, measure_case


@pytest.fixture(scope="module")
def cases() -> list[ComparisonCase]:
    return rail_cases(2, max_qubits=12, min_qubits=6, net=hsr_yangtze(60, 20, seed=3))


def test_rail_windows_become_cases_of_the_assignment_kind(cases: list[ComparisonCase]) -> None:
    assert rail_cases(0) == []
    assert len(cases) == 2 and [c.seed for c in cases] == [0, 1]
    for case in cases:
        assert case.kind == RAIL_ASSIGNMENT and case.qubo_kind is ASSIGNMENT_KIND
        assert 6 <= case.size <= 12 and case.optimum == case.problem.optimum
        assert case.optimum_method == "enumeration"
        assert case.task_name == f"rail-assignment-{case.label}"


def test_a_rail_record_names_kind_class_gap_time_and_usd(cases: list[ComparisonCase]) -> None:
    record = measure_case("dwave-sa", cases[0], run_id="r")
    assert record["status"] == "ok" and record["kind"] == RAIL_ASSIGNMENT
    assert record["provenance_class"] == "classical_sampler"
    assert record["optimum"] == pytest.approx(cases[0].optimum)
    assert record["gap_percent"] >= -1e-9 and record["tour"] is None
    assert record["time_to_solution_s"] > 0 and record["estimated_cost_usd"] == 0.0
    assert record["details"]["encoding"] == ASSIGNMENT_KIND.name
