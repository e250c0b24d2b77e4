"""onehot-sa: the one-hot-preserving annealer samples the window BQM itself (energies are
the BQM's, slack exact), finds enumerable ground states, and is seeded."""

from __future__ import annotations

import numpy as np
import pytest

from qroute.rail.annealer import OneHotAnnealer, OneHotModel
from qroute.rail.model import RailNetwork
from qroute.rail.options import all_options, capacities, load_of
from qroute.rail.plan import RailConfig, greedy, plan_rail, residual_of, weights_of
from qroute.rail.qubo import WindowQubo, brute_force_minimum, decode, window_qubo


def _window(net: RailNetwork, size: int, start: int = 0) -> tuple[WindowQubo, dict, dict, dict]:
    options = all_options(net)
    weights = weights_of(net)
    cap = capacities(net)
    choice = greedy(list(options), options, cap, weights)
    ids = [c for c in options if len(options[c]) > 1][start : start + size]
    residual = residual_of(cap, load_of(choice, options, weights, frozenset(ids)))
    return window_qubo(ids, options, residual, weights), options, residual, weights


def test_samples_are_bqm_states_with_the_bqm_energy(small_net: RailNetwork) -> None:
    wq, options, residual, weights = _window(small_net, 12)
    assert wq.rows, "the window must have capacity rows to test the slack"
    got = OneHotAnnealer().sample(wq.bqm, window=wq, num_reads=4, num_sweeps=200, seed=3)
    model = OneHotModel.of(wq)
    for sample, energy in got.data(["sample", "energy"]):
        assert set(sample) == set(wq.bqm.variables)
        assert energy == pytest.approx(wq.bqm.energy(sample))
        state = []
        for cid in wq.consignments:
            on = [k for k in wq.allowed[cid] if sample[("x", cid, k)]]
            assert len(on) == 1  # one-hot is never broken
            state.append(wq.allowed[cid].index(on[0]))
        # the option-space energy the kernel anneals is the BQM energy at exact slack
        assert model.energy(np.array(state)) == pytest.approx(energy)


def test_finds_the_optimum_of_enumerable_windows() -> None:
    from qroute.rail.comparison import window_cases
    from qroute.rail.scenario import hsr_yangtze

    cases = window_cases(hsr_yangtze(60, 20, seed=3), 2, min_vars=6, max_vars=12, pool=20)
    assert cases and all(c.qubo.rows for c in cases)
    for case in cases:
        wq = case.qubo
        got = OneHotAnnealer().sample(wq.bqm, window=wq, num_reads=4, num_sweeps=2000, seed=1)
        assert got.first.energy == pytest.approx(brute_force_minimum(wq), abs=1e-6)
        decoded = decode(got, wq, case.options, case.residual, case.weights)
        assert not decoded.repaired and decoded.cost == pytest.approx(case.optimum)


def test_seeded_and_refuses_a_foreign_bqm(small_net: RailNetwork) -> None:
    wq, *_ = _window(small_net, 10)
    a = OneHotAnnealer().sample(wq.bqm, window=wq, num_reads=3, num_sweeps=300, seed=5)
    b = OneHotAnnealer().sample(wq.bqm, window=wq, num_reads=3, num_sweeps=300, seed=5)
    assert np.array_equal(a.record.sample, b.record.sample)
    with pytest.raises(ValueError, match="own BQM"):
        OneHotAnnealer().sample(wq.bqm.copy(), window=wq)


def test_local_policy_uses_onehot_sa_and_matches_small_windows(small_net: RailNetwork) -> None:
    plan = plan_rail(small_net, RailConfig(time_limit=6.0, seed=2))
    assert plan.records and plan.records[0].backend_used == "onehot-sa"
    assert plan.records[0].consignments == sum(len(o) > 1 for o in plan.options.values())
    assert all(r.provenance_class == "classical_sampler" for r in plan.records)
    assert plan.mip is not None and plan.mip.cost is not None
    assert plan.cost <= plan.greedy_cost
    assert plan.gap_percent is not None and plan.gap_percent < 1.0  # 40 consignments
