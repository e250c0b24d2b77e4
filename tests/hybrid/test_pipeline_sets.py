"""The hybrid pipeline gives a validated, feasible result on every benchmark set."""

from __future__ import annotations

from pathlib import Path

import pytest

from qroute.hybrid.pipeline import PipelineConfig, run_pipeline
from qroute.model.instances import read_instance
from qroute.model.validation import validate

# one instance of each set in ../shared/data: explicit matrix (E-n13), nearest-integer
# (A, B, P, X), unrounded with route-length limits and service times (CMT7), and time
# windows with a fixed fleet (Solomon C101, Gehring-Homberger C1_2_1)
ONE_PER_SET = [
    "cvrplib/A/A-n32-k5.vrp",
    "cvrplib/B/B-n31-k5.vrp",
    "cvrplib/P/P-n16-k8.vrp",
    "cvrplib/E/E-n13-k4.vrp",
    "cvrplib/CMT/CMT7.vrp",
    "cvrplib/X/X-n101-k25.vrp",
    "solomon/C101.txt",
    "gehring_homberger/C1_2_1.txt",
]


@pytest.mark.parametrize("relative", ONE_PER_SET)
def test_every_set_gives_a_validated_feasible_result(shared_data: Path, relative: str) -> None:
    problem = read_instance(shared_data / relative)
    result = run_pipeline(problem, PipelineConfig(policy="local", time_limit=2.0, seed=1))
    report = validate(problem, result.routes, result.cost)
    assert report.feasible, report.violations
    assert result.feasible is True
    assert result.cost == pytest.approx(report.cost)
    assert len(result.records) >= 1
    assert all(r.backend_used for r in result.records)
