"""The subproblem QUBO: size, energies of tours, exactness of the penalty, decoding, SA."""

from __future__ import annotations

import itertools

import dimod
import numpy as np
import pytest

from qroute.model.subproblem import Subproblem, random_route_tsp
from qroute.qubo import tsp as qubo
from qroute.qubo.held_karp import held_karp


def path_window(k: int, seed: int) -> Subproblem:
    """k free stops between fixed ends: random_route_tsp(k + 1) with node k + 1 as the end."""
    base = random_route_tsp(k + 1, seed)
    return Subproblem("path", base.distances, base.nodes, f"path-k{k}-s{seed}")


def asymmetric_route(k: int, seed: int) -> Subproblem:
    base = random_route_tsp(k, seed)
    rng = np.random.default_rng(1000 + seed)
    matrix = base.distances * rng.uniform(0.7, 1.3, base.distances.shape)
    np.fill_diagonal(matrix, 0.0)
    return Subproblem("route", matrix, base.nodes, f"asym-k{k}-s{seed}")


def make(kind: str, k: int, seed: int) -> Subproblem:
    if kind == "route":
        return random_route_tsp(k, seed)
    if kind == "path":
        return path_window(k, seed)
    return asymmetric_route(k, seed)


KINDS = ["route", "path", "asymmetric"]


def all_states(bqm: dimod.BinaryQuadraticModel) -> tuple[np.ndarray, list, np.ndarray]:
    """Every assignment of the BQM's variables and its energy."""
    variables = list(bqm.variables)
    n = len(variables)
    states = ((np.arange(1 << n)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.int8)
    energies = bqm.energies((states, variables))
    return states, variables, energies


def valid_mask(states: np.ndarray, variables: list, k: int) -> np.ndarray:
    x = np.zeros((states.shape[0], k, k), dtype=np.int64)
    for col, (i, p) in enumerate(variables):
        x[:, i - 1, p] = states[:, col]
    return np.all(x.sum(axis=1) == 1, axis=1) & np.all(x.sum(axis=2) == 1, axis=1)


# --- size ----------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 12])
def test_at_most_k_squared_variables(k: int) -> None:
    route = random_route_tsp(k, 0)
    assert qubo.tsp_bqm(route, break_symmetry=False).num_variables == k * k
    assert qubo.tsp_bqm(route).num_variables == k * k - (k // 2 if k >= 2 else 0)
    assert qubo.tsp_bqm(path_window(k, 0)).num_variables == k * k
    assert qubo.tsp_bqm(asymmetric_route(max(k, 2), 0)).num_variables == max(k, 2) ** 2


def test_symmetry_break_refused_where_not_exact() -> None:
    with pytest.raises(ValueError, match="symmetric route"):
        qubo.tsp_bqm(asymmetric_route(4, 0), break_symmetry=True)
    with pytest.raises(ValueError, match="symmetric route"):
        qubo.tsp_bqm(path_window(4, 0), break_symmetry=True)


# --- energies of valid tours ------------------------------------------------------------------


def tour_sample(order: tuple[int, ...], bqm: dimod.BinaryQuadraticModel) -> dict | None:
    """The assignment encoding `order`, or None if it sets a variable the BQM left out."""
    chosen = {(stop, p) for p, stop in enumerate(order)}
    if not chosen <= set(bqm.variables):
        return None
    return {v: int(v in chosen) for v in bqm.variables}


@pytest.mark.parametrize("reduction", qubo.REDUCTIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_valid_tour_energy_is_length_plus_one_constant(kind: str, reduction: str) -> None:
    sub = make(kind, 4, 3)
    for break_symmetry in (False, None):
        bqm = qubo.tsp_bqm(sub, reduction=reduction, break_symmetry=break_symmetry)
        shifts = []
        for order in itertools.permutations(range(1, 5)):
            sample = tour_sample(order, bqm)
            if sample is None:  # excluded by the symmetry break: its reverse is represented
                assert tour_sample(order[::-1], bqm) is not None
                continue
            shifts.append(bqm.energy(sample) - sub.cost(order))
        assert len(shifts) == (24 if break_symmetry is False or kind != "route" else 12)
        assert max(shifts) - min(shifts) < 1e-9  # one constant for every tour
        assert abs(shifts[0]) < 1e-9  # and the offset makes it zero: energy == length


@pytest.mark.parametrize("reduction", qubo.REDUCTIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_reduced_distances_shift_every_tour_equally(kind: str, reduction: str) -> None:
    sub = make(kind, 7, 1)
    reduced, constant = qubo.reduced_distances(sub, reduction)
    assert reduced.min() >= 0.0
    rng = np.random.default_rng(0)
    for _ in range(20):
        order = [int(v) for v in rng.permutation(np.arange(1, 8))]
        walk = [0, *order, sub.end]
        length = sum(reduced[a, b] for a, b in itertools.pairwise(walk))
        assert constant + length == pytest.approx(sub.cost(order), abs=1e-9)
    if reduction == "assignment":  # the largest constant among the three
        assert constant >= qubo.reduced_distances(sub, "rows")[1] - 1e-9


# --- exactness of the penalty -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(6))
def test_every_broken_assignment_costs_more_than_the_best_tour_k3(kind: str, seed: int) -> None:
    sub = make(kind, 3, seed)
    bqm = qubo.tsp_bqm(sub)  # the default, certified penalty
    states, variables, energies = all_states(bqm)
    valid = valid_mask(states, variables, 3)
    best_tour = energies[valid].min()
    assert best_tour == pytest.approx(held_karp(sub)[1], abs=1e-9)
    assert energies[~valid].min() > best_tour


@pytest.mark.parametrize("kind", ["route", "path"])
def test_every_broken_assignment_costs_more_than_the_best_tour_k4(kind: str) -> None:
    sub = make(kind, 4, 11)
    bqm = qubo.tsp_bqm(sub, break_symmetry=False)
    states, variables, energies = all_states(bqm)
    valid = valid_mask(states, variables, 4)
    assert energies[~valid].min() > energies[valid].min()


@pytest.mark.parametrize("reduction", qubo.REDUCTIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_threshold_dp_matches_brute_force(kind: str, reduction: str) -> None:
    """penalty_threshold (the diagnostic) is the exact threshold: just above it every broken
    assignment costs more than the optimum, just below it one does not."""
    checked = 0
    for seed in range(20):
        sub = make(kind, 3, seed)
        threshold = qubo.penalty_threshold(sub, reduction)
        if threshold <= 1e-6:  # reduced optimum 0: any positive penalty is exact
            continue
        for scale, exact in ((1.001, True), (0.999, False)):
            bqm = qubo.tsp_bqm(sub, threshold * scale, reduction=reduction, break_symmetry=False)
            states, variables, energies = all_states(bqm)
            valid = valid_mask(states, variables, 3)
            assert bool(energies[~valid].min() > energies[valid].min()) == exact
        checked += 1
        if checked == 2:
            break
    assert checked == 2


@pytest.mark.parametrize("kind", KINDS)
def test_plain_rule_above_one_half_is_exact(kind: str) -> None:
    for seed in range(4):
        sub = make(kind, 3, seed)
        for reduction in qubo.REDUCTIONS:
            a = qubo.penalty_weight(sub, 0.51, reduction)
            bqm = qubo.tsp_bqm(sub, a, reduction=reduction, break_symmetry=False)
            states, variables, energies = all_states(bqm)
            valid = valid_mask(states, variables, 3)
            assert energies[~valid].min() > energies[valid].min()


@pytest.mark.parametrize("kind", KINDS)
def test_certified_penalty_exceeds_exact_threshold(kind: str) -> None:
    for k in (2, 4, 6, 8):
        for seed in range(5):
            sub = make(kind, k, seed)
            a = qubo.penalty_weight(sub)
            assert a > qubo.penalty_threshold(sub)
            plain = 0.5 * qubo.CERTIFIED_MARGIN * qubo.insertion_bound(sub)
            assert a <= max(plain, 1e-6 * float(sub.distances.max())) + 1e-9


@pytest.mark.parametrize("kind", KINDS)
def test_one_hole_lower_bound_is_a_lower_bound(kind: str) -> None:
    for k in (2, 3, 5, 7, 9):
        for seed in range(4):
            sub = make(kind, k, seed)
            assert qubo.one_hole_lower_bound(sub) <= qubo.partial_lengths(sub)[1] + 1e-9
            assert qubo.tour_upper_bound(sub) >= held_karp(sub)[1] - 1e-9


def test_single_stop_subproblems() -> None:
    for sub in (random_route_tsp(1, 0), path_window(1, 0)):
        bqm = qubo.tsp_bqm(sub)
        assert bqm.num_variables == 1
        assert bqm.energy({(1, 0): 1}) == pytest.approx(sub.cost([1]))
        assert bqm.energy({(1, 0): 0}) > bqm.energy({(1, 0): 1})


# --- decoding ---------------------------------------------------------------------------------


def sampleset_of(rows: list[list[int]], variables: list, counts: list[int]) -> dimod.SampleSet:
    return dimod.SampleSet.from_samples(
        (np.array(rows, dtype=np.int8), variables),
        vartype=dimod.BINARY,
        energy=np.zeros(len(rows)),
        num_occurrences=np.array(counts),
    )


def encode(order: list[int], variables: list) -> list[int]:
    return [int((i, p) in {(s, q) for q, s in enumerate(order)}) for (i, p) in variables]


def test_decode_picks_cheapest_valid_sample_and_weights_feasibility() -> None:
    sub = random_route_tsp(4, 2)
    variables = [(i, p) for i in range(1, 5) for p in range(4)]
    best, _ = held_karp(sub)
    other = [best[1], best[0], *best[2:]]
    broken = [1] * len(variables)
    sampleset = sampleset_of(
        [encode(other, variables), encode(best, variables), broken], variables, [5, 1, 4]
    )
    decoded = qubo.decode(sampleset, sub)
    assert list(decoded.order) == best
    assert decoded.cost == pytest.approx(sub.cost(best))
    assert decoded.repaired is False
    assert decoded.num_reads == 10
    assert decoded.raw_feasible_rate == pytest.approx(0.6)


def test_decode_repairs_only_when_no_sample_is_valid() -> None:
    sub = random_route_tsp(4, 2)
    variables = [(i, p) for i in range(1, 5) for p in range(4)]
    order = [2, 4, 1, 3]
    one_missing = encode(order, variables)
    one_missing[variables.index((1, 2))] = 0  # stop 1 dropped from position 2
    doubled = encode(order, variables)
    doubled[variables.index((3, 0))] = 1  # stop 3 also at position 0
    decoded = qubo.decode(sampleset_of([one_missing, doubled], variables, [1, 1]), sub)
    assert decoded.repaired is True
    assert decoded.raw_feasible_rate == 0.0
    assert sorted(decoded.order) == [1, 2, 3, 4]
    assert tuple(qubo.repair(dict(zip(variables, one_missing, strict=True)), sub)) == tuple(order)
    assert decoded.cost <= sub.cost(order) + 1e-9
    assert qubo.order_from_sample(dict(zip(variables, one_missing, strict=True)), 4) is None


def test_decode_handles_variables_left_out_by_the_symmetry_break() -> None:
    sub = random_route_tsp(5, 4)
    bqm = qubo.tsp_bqm(sub)
    assert bqm.num_variables < 25
    variables = list(bqm.variables)
    order = [1, 3, 2, 5, 4]  # stop 1 in the first half: representable
    sampleset = sampleset_of([encode(order, variables)], variables, [3])
    decoded = qubo.decode(sampleset, sub)
    assert list(decoded.order) == order and not decoded.repaired
    assert decoded.raw_feasible_rate == 1.0
    assert qubo.order_from_sample(sampleset.first.sample, 5) == order


# --- annealing -------------------------------------------------------------------------------


def test_annealing_parameters_api() -> None:
    sub = random_route_tsp(12, 0)
    params = qubo.annealing_parameters(sub)
    assert set(params) == {"num_reads", "num_sweeps", "beta_range", "beta_schedule_type"}
    assert qubo.MIN_READS <= params["num_reads"] <= qubo.MAX_READS
    hot, cold = params["beta_range"]
    a = qubo.penalty_weight(sub)
    assert hot == pytest.approx(1 / (qubo.HOT_TEMPERATURE * a))
    assert cold == pytest.approx(1 / (qubo.COLD_TEMPERATURE * a))
    small = qubo.annealing_parameters(sub, time_budget=0.005)
    work = params["num_reads"] * params["num_sweeps"]
    assert small["num_reads"] * small["num_sweeps"] < work
    assert small["num_sweeps"] >= qubo.MIN_SWEEPS
    explicit = qubo.annealing_parameters(sub, penalty=2 * a)
    assert explicit["beta_range"][0] == pytest.approx(hot / 2)


@pytest.mark.parametrize(("kind", "seed"), [("route", 0), ("route", 1), ("route", 2), ("path", 3)])
def test_simulated_annealing_k8_within_two_percent(kind: str, seed: int) -> None:
    from dwave.samplers import SimulatedAnnealingSampler

    sub = make(kind, 8, seed)
    bqm = qubo.tsp_bqm(sub)
    params = qubo.annealing_parameters(sub)
    sampleset = SimulatedAnnealingSampler().sample(bqm, seed=seed, **params)
    decoded = qubo.decode(sampleset, sub)
    _, opt = held_karp(sub)
    assert not decoded.repaired
    assert decoded.raw_feasible_rate > 0.05
    assert decoded.cost <= 1.02 * opt
    assert decoded.best_raw_energy >= opt - 1e-6  # nothing below the optimum: exact penalty


# -- time windows (section 5. of qroute.qubo.tsp) ------------------------------------------


def _windowed(seed: int) -> Subproblem:
    from qroute.model.subproblem import route_subproblem
    from tests.model.test_subproblem import windowed_problem

    problem, order = windowed_problem(7, seed, slack=40.0)
    return route_subproblem(problem, sorted(order))


@pytest.mark.parametrize("seed", range(3))
def test_window_encoding_ranks_every_unblocked_tour_below_every_blocked_one(seed: int) -> None:
    sub = _windowed(seed)
    encoded = qubo.window_encoded(sub)
    assert not encoded.has_windows
    blocked = sub.blocked_arcs()
    bqm = qubo.tsp_bqm(encoded)
    free: list[float] = []
    penalised: list[float] = []
    for perm in itertools.permutations(range(1, sub.size + 1)):
        sample: dict[object, int] = {
            (i, p): 0 for i in range(1, sub.size + 1) for p in range(sub.size)
        }
        sample.update({(i, p): 1 for p, i in enumerate(perm)})
        energy = float(bqm.energy({v: sample[v] for v in bqm.variables}))
        uses_blocked = any(blocked[a, b] for a, b in itertools.pairwise((0, *perm, 0)))
        (penalised if uses_blocked else free).append(energy)
        if not uses_blocked:  # an unblocked tour's energy is still its length
            assert energy == pytest.approx(sub.cost(perm))
    assert free and penalised
    assert max(free) < min(penalised)


@pytest.mark.parametrize("seed", range(3))
def test_kind_answers_meet_the_windows_and_report_it(seed: int) -> None:
    """Exact and SA answers of the windowed kind meet every window, carry the flag, and
    their cost is the real length; the window-blind QUBO's optimum does not meet them."""
    from dwave.samplers import SimulatedAnnealingSampler

    sub = _windowed(seed)
    kind = qubo.TSP_KIND
    conversion = kind.convert(sub)
    assert conversion.exact is not None
    exact = dimod.SampleSet.from_samples_bqm(conversion.exact(), conversion.bqm)
    answer = kind.interpret(sub, exact)
    assert sub.schedule_feasible(answer.answer[0])
    assert answer.details["window_feasible"] is True
    assert answer.cost == pytest.approx(sub.cost(answer.answer[0]))
    blind_order, _ = held_karp(Subproblem(sub.kind, sub.distances, sub.nodes))
    feasible_best = min(
        sub.cost(p)
        for p in itertools.permutations(range(1, sub.size + 1))
        if sub.schedule_feasible(p)
    )
    assert answer.cost == pytest.approx(feasible_best)
    if not sub.schedule_feasible(blind_order):
        assert sub.cost(blind_order) < feasible_best
    sampled = SimulatedAnnealingSampler().sample(
        conversion.bqm, **qubo.annealing_parameters(qubo.window_encoded(sub)), seed=seed
    )
    got = kind.interpret(sub, sampled)
    assert got.details["window_feasible"] is True
    assert 0.0 < got.details["window_feasible_rate"] <= got.raw_feasible_rate + 1e-12
