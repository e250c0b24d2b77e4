"""The rail window as a CQM: the same optimum as the certified BQM, without slack bits."""

from __future__ import annotations

import dimod
import pytest

from qroute.rail.comparison import small_windows
from qroute.rail.cqm import window_cqm
from qroute.rail.qubo import decode


def test_the_window_cqm_has_the_bqm_optimum_and_decodes_unrepaired() -> None:
    cases = [c for c in small_windows(6, 14) if c.qubo.rows][:3]
    assert cases
    for case in cases:
        wq = case.qubo
        cqm = window_cqm(wq)
        one_hot = [c for c in cqm.constraints.values() if c.sense.value == "=="]
        rows = [c for c in cqm.constraints.values() if c.sense.value == "<="]
        assert len(one_hot) == len(case.consignments) and len(rows) == len(wq.rows)
        assert set(cqm.variables) == set(wq.option_cost)  # the option bits, no slack
        answer = dimod.ExactCQMSolver().sample_cqm(cqm)
        feasible = answer.filter(lambda d: d.is_feasible)
        assert feasible.first.energy == pytest.approx(case.optimum)  # objective = cost
        got = decode(feasible, wq, case.options, case.residual, case.weights)
        assert not got.repaired and got.raw_feasible_rate == 1.0
        assert got.cost == pytest.approx(case.optimum)


def test_an_infeasible_cqm_answer_is_repaired_and_says_so() -> None:
    case = next(c for c in small_windows(6, 14) if c.qubo.rows)
    answer = dimod.ExactCQMSolver().sample_cqm(window_cqm(case.qubo))
    broken = answer.filter(lambda d: not d.is_feasible)
    got = decode(broken, case.qubo, case.options, case.residual, case.weights)
    assert got.repaired and got.raw_feasible_rate == 0.0
    assert got.cost >= case.optimum - 1e-6
