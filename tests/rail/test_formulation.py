"""Options, the MIP and the certified assignment QUBO agree on real numbers."""

from __future__ import annotations

import itertools

import dimod
import pytest

from qroute.rail.mip import solve_mip
from qroute.rail.model import RailNetwork
from qroute.rail.options import all_options, candidate_options, capacities
from qroute.rail.plan import greedy, load_of, residual_of, weights_of
from qroute.rail.qubo import brute_force_minimum, decode, energy_of, fits, window_qubo


def test_every_consignment_has_a_truck_and_costs_add_up(small_net: RailNetwork) -> None:
    t = small_net.tariff
    for c in small_net.consignments:
        options = candidate_options(small_net, c)
        assert sum(o.kind == "truck" for o in options) == 1
        assert [o.cost for o in options] == sorted(o.cost for o in options)
        for o in options:
            assert o.cost == pytest.approx(o.rail_cost + o.truck_cost + o.lateness_cost)
            assert o.lateness_min == max(0, o.arrival - c.deadline)
            assert o.lateness_cost == pytest.approx(o.lateness_min * c.lateness_rate)
            assert o.legs[0].depart >= c.ready
            rail = [leg for leg in o.legs if leg.mode == "rail"]
            for a, b in itertools.pairwise(rail):
                assert b.depart >= a.arrive + t.min_transfer_min and a.destination == b.origin
            if rail:
                assert rail[0].depart >= o.legs[0].arrive + t.station_cutoff_min


def _small_window(net: RailNetwork, size: int, max_vars: int) -> tuple:
    options = all_options(net)
    weights = weights_of(net)
    cap = capacities(net)
    # tighten the allowances so that capacity rows appear in the window
    tight = {seg: (max(kg // 4, 100), max(sl // 3, 2)) for seg, (kg, sl) in cap.items()}
    ids = [c for c in options if len(options[c]) > 1]
    for start in range(len(ids)):
        group = ids[start : start + size]
        trimmed = {c: options[c][:3] for c in group}  # a few options each: small windows
        for c in group:
            if not any(o.kind == "truck" for o in trimmed[c]):
                trimmed[c] = (*trimmed[c][:2], next(o for o in options[c] if o.kind == "truck"))
        wq = window_qubo(group, trimmed, tight, weights)
        if wq.rows and wq.num_variables <= max_vars:
            return group, trimmed, tight, weights, wq
    raise AssertionError("no small window with a capacity row")


def test_feasible_energy_equals_cost(small_net: RailNetwork) -> None:
    group, options, residual, weights, wq = _small_window(small_net, 5, 60)
    checked = 0
    for ks in itertools.product(*(wq.allowed[c] for c in group)):
        choice = dict(zip(group, ks, strict=True))
        if not fits(choice, options, residual, weights):
            continue
        cost = sum(options[c][k].cost for c, k in choice.items())
        assert energy_of(choice, wq, options, residual, weights) + wq.offset_cost == (
            pytest.approx(cost, abs=1e-6)
        )
        checked += 1
    assert checked > 3


def test_certified_penalties_ground_state_is_the_mip_optimum(small_net: RailNetwork) -> None:
    group, options, residual, weights, wq = _small_window(small_net, 3, 20)
    mip = solve_mip(options, residual, weights=weights)
    assert mip.optimal and mip.cost is not None
    ground = brute_force_minimum(wq) + wq.offset_cost
    assert ground == pytest.approx(mip.cost, abs=1e-6)
    exact = dimod.ExactSolver().sample(wq.bqm)
    decoded = decode(exact, wq, options, residual, weights)
    assert not decoded.repaired and decoded.cost == pytest.approx(mip.cost)


def test_decode_repairs_and_says_so(small_net: RailNetwork) -> None:
    group, options, residual, weights, wq = _small_window(small_net, 4, 60)
    broken = {v: 1 for v in wq.bqm.variables}  # every option of everyone: infeasible
    sampleset = dimod.SampleSet.from_samples_bqm([broken], wq.bqm)
    decoded = decode(sampleset, wq, options, residual, weights)
    assert decoded.repaired and decoded.raw_feasible_rate == 0.0
    assert fits(decoded.choice, options, residual, weights)
    assert set(decoded.choice) == set(group)


def test_mip_matches_enumeration_and_beats_greedy(small_net: RailNetwork) -> None:
    options = all_options(small_net)
    weights = weights_of(small_net)
    cap = {seg: (kg // 3, max(sl // 2, 1)) for seg, (kg, sl) in capacities(small_net).items()}
    mip = solve_mip(options, cap, weights=weights)
    assert mip.optimal and mip.gap_percent == pytest.approx(0.0, abs=1e-4)
    assert fits(mip.choice, options, cap, weights)
    start = greedy(list(options), options, cap, weights)
    assert fits(start, options, cap, weights)
    greedy_cost = sum(options[c][k].cost for c, k in start.items())
    assert mip.cost is not None and mip.cost <= greedy_cost + 1e-6
    # residual allowances: what the others leave
    some = frozenset(list(options)[:5])
    residual = residual_of(cap, load_of(mip.choice, options, weights, some))
    sub = solve_mip({c: options[c] for c in some}, residual, weights=weights)
    assert sub.cost == pytest.approx(sum(options[c][mip.choice[c]].cost for c in some))


def test_incumbent_bound_lowers_penalties_and_keeps_the_certificate(
    small_net: RailNetwork,
) -> None:
    from qroute.rail.plan import greedy

    checked = 0
    for size in (2, 3):
        group, options, residual, weights, wq = _small_window(small_net, size, 20)
        start = greedy(group, options, residual, weights)  # a feasible window answer
        incumbent = sum(options[c][k].cost for c, k in start.items())
        tight = window_qubo(group, options, residual, weights, incumbent=incumbent)
        bound = 1.2 * max(incumbent - tight.offset_cost, 1.0)
        assert max([*tight.one_hot_penalty.values(), *tight.row_penalty.values()]) <= bound
        for cid in group:
            assert tight.one_hot_penalty[cid] <= wq.one_hot_penalty[cid]
        mip = solve_mip(options, residual, weights=weights)
        assert brute_force_minimum(tight) + tight.offset_cost == pytest.approx(mip.cost, abs=1e-6)
        exact = dimod.ExactSolver().sample(tight.bqm)
        decoded = decode(exact, tight, options, residual, weights)
        assert not decoded.repaired and decoded.cost == pytest.approx(mip.cost)
        checked += 1
    assert checked == 2
