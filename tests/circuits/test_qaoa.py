"""QAOA driver and dimod sampler: every engine really samples, seeds, limits, info."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dimod
import numpy as np
import pytest

from qroute.circuits import qaoa, statevector
from qroute.circuits.ising import IsingModel, random_ising
from qroute.circuits.qaoa import (
    ENGINES,
    QAOASampler,
    StatevectorQAOA,
    linear_ramp,
    optimize_angles,
    sample_engine,
)

SHOTS = 3000
INFO_KEYS = {
    "engine",
    "sampler_backend",
    "optimizer_engine",
    "optimizer_method",
    "p",
    "gammas",
    "betas",
    "initial_gammas",
    "initial_betas",
    "expectation",
    "initial_expectation",
    "num_evaluations",
    "optimizer_time_s",
    "sampling_time_s",
    "shots",
    "seed",
    "seeded",
    "num_qubits",
    "variable_order",
    "ground_energy",
    "ground_state_probability",
}


def _qubo() -> dimod.BinaryQuadraticModel:
    """4-cycle independent-set QUBO with a bias: unique optimum a=c=1, b=d=0 (energy -2.5)."""
    linear = {"a": -1.5, "b": -1.0, "c": -1.0, "d": -1.0}
    quadratic = {("a", "b"): 2.0, ("b", "c"): 2.0, ("c", "d"): 2.0, ("a", "d"): 2.0}
    return dimod.BinaryQuadraticModel(linear, quadratic, 0.0, dimod.BINARY)


OPTIMUM = {"a": 1, "b": 0, "c": 1, "d": 0}


def _spy(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, calls: list[str]) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(f"{owner.__name__}.{name}")
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, tuple[dimod.SampleSet, list[str]]]]:
    """One QAOASampler run per engine (seed 7), with the simulator entry points it called."""
    from braket.devices import LocalSimulator
    from pennylane_lightning.lightning_qubit import LightningQubit
    from qiskit_aer.primitives import SamplerV2

    out: dict[str, tuple[dimod.SampleSet, list[str]]] = {}
    with pytest.MonkeyPatch.context() as mp:
        calls: list[str] = []
        _spy(mp, StatevectorQAOA, "sample", calls)
        _spy(mp, LocalSimulator, "run", calls)
        _spy(mp, LightningQubit, "execute", calls)
        _spy(mp, SamplerV2, "run", calls)
        for engine in ENGINES:
            calls.clear()
            sampleset = QAOASampler().sample(_qubo(), engine=engine, p=2, shots=SHOTS, seed=7)
            out[engine] = (sampleset, list(calls))
    yield out


def test_qubo_has_unique_optimum() -> None:
    exact = dimod.ExactSolver().sample(_qubo())
    energies = sorted(exact.record.energy)
    assert energies[0] == pytest.approx(-2.5) and energies[1] > energies[0] + 0.1
    assert dict(exact.first.sample) == OPTIMUM


EXPECTED_CALLS = {
    "statevector": "StatevectorQAOA.sample",
    "braket-local": "LocalSimulator.run",
    "pennylane-lightning": "LightningQubit.execute",
    "qiskit-aer": "SamplerV2.run",
}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_samples_the_optimum(
    engine: str, runs: dict[str, tuple[dimod.SampleSet, list[str]]]
) -> None:
    sampleset, calls = runs[engine]
    # the samples were drawn by that engine's simulator, and only by it
    assert set(calls) == {EXPECTED_CALLS[engine]}
    assert sampleset.vartype is dimod.BINARY
    assert list(sampleset.variables) == ["a", "b", "c", "d"]
    assert int(sampleset.record.num_occurrences.sum()) == SHOTS
    # aggregated: each bitstring once
    rows = {tuple(int(v) for v in row) for row in sampleset.record.sample}
    assert len(rows) == len(sampleset)
    assert dict(sampleset.first.sample) == OPTIMUM
    assert sampleset.first.energy == pytest.approx(-2.5)
    np.testing.assert_allclose(sampleset.record.energy, _qubo().energies(sampleset))

    info = sampleset.info
    assert set(info) >= INFO_KEYS
    assert info["engine"] == engine and info["optimizer_engine"] == "statevector"
    assert info["p"] == 2 and len(info["gammas"]) == 2 and len(info["betas"]) == 2
    assert info["shots"] == SHOTS and info["seed"] == 7 and info["num_qubits"] == 4
    assert info["seeded"] is (engine != "braket-local")
    assert 1 < info["num_evaluations"] <= 150
    assert info["optimizer_time_s"] > 0 and info["sampling_time_s"] > 0
    assert info["ground_energy"] == pytest.approx(-2.5)
    assert info["expectation"] <= info["initial_expectation"]
    # optimised QAOA beats uniform guessing (1/16) on the ground state
    assert 1 / 16 < info["ground_state_probability"] <= 1

    # the empirical distribution matches the optimised state (total variation distance)
    sim = StatevectorQAOA(IsingModel.from_bqm(_qubo())[0])
    probs = sim.probabilities(info["gammas"], info["betas"])
    empirical = np.zeros(16)
    for row, count in zip(sampleset.record.sample, sampleset.record.num_occurrences, strict=True):
        empirical[sum(int(bit) << q for q, bit in enumerate(row))] += count / SHOTS
    assert 0.5 * np.abs(empirical - probs).sum() < 0.08
    assert empirical[0b0101] == pytest.approx(info["ground_state_probability"], abs=0.05)


def test_all_engines_get_the_same_angles(
    runs: dict[str, tuple[dimod.SampleSet, list[str]]],
) -> None:
    reference = runs["statevector"][0].info
    for sampleset, _ in runs.values():
        assert sampleset.info["gammas"] == pytest.approx(reference["gammas"], abs=1e-12)
        assert sampleset.info["betas"] == pytest.approx(reference["betas"], abs=1e-12)


@pytest.mark.parametrize("engine", ["statevector", "qiskit-aer", "pennylane-lightning"])
def test_same_seed_same_samples(engine: str) -> None:
    model = IsingModel.from_bqm(_qubo())[0]
    gammas, betas = [0.4, 0.7], [-0.6, -0.3]

    def draw(seed: int) -> dict[int, int]:
        return sample_engine(model, gammas, betas, engine=engine, shots=500, seed=seed)

    first = draw(3)
    assert sum(first.values()) == 500 and len(first) > 3
    assert draw(3) == first
    assert draw(4) != first


def test_sampler_same_seed_same_sampleset() -> None:
    def run(engine: str) -> dimod.SampleSet:
        return QAOASampler().sample(_qubo(), engine=engine, shots=400, seed=11, maxiter=40)

    for engine in ("statevector", "qiskit-aer"):
        a, b = run(engine), run(engine)
        np.testing.assert_array_equal(a.record.sample, b.record.sample)
        np.testing.assert_array_equal(a.record.num_occurrences, b.record.num_occurrences)
        assert a.info["gammas"] == b.info["gammas"]


def test_spin_bqm_gives_spin_samples() -> None:
    bqm = _qubo().spin
    sampleset = QAOASampler().sample(bqm, shots=200, seed=1)
    assert sampleset.vartype is dimod.SPIN
    assert set(np.unique(sampleset.record.sample)) <= {-1, 1}
    assert dict(sampleset.first.sample) == {v: 2 * x - 1 for v, x in OPTIMUM.items()}


def test_oversize_bqm_is_refused() -> None:
    bqm = dimod.BinaryQuadraticModel({i: 1.0 for i in range(21)}, {}, 0.0, dimod.BINARY)
    with pytest.raises(ValueError, match=r"21 variables.*max_qubits=20"):
        QAOASampler().sample(bqm)
    with pytest.raises(ValueError, match=r"4 variables.*max_qubits=3"):
        QAOASampler().sample(_qubo(), max_qubits=3)
    with pytest.raises(ValueError, match="unknown engine"):
        QAOASampler().sample(_qubo(), engine="nope")


@pytest.mark.parametrize("method", ["COBYLA", "L-BFGS-B"])
def test_optimizer_respects_evaluation_budget(method: str) -> None:
    sim = StatevectorQAOA(random_ising(6, seed=2))
    result = optimize_angles(sim, 2, method=method, maxiter=25)  # type: ignore[arg-type]
    assert result.num_evaluations <= 25
    assert sim.num_evaluations == result.num_evaluations
    assert result.expectation <= result.initial_expectation
    assert result.expectation == pytest.approx(sim.expectation(result.gammas, result.betas))


@pytest.mark.parametrize("factor", [1e-3, 1.0, 250.0])
def test_linear_ramp_targets_the_minimum_at_any_scale(factor: float) -> None:
    base = random_ising(7, seed=5)
    model = IsingModel(
        h=tuple(factor * v for v in base.h),
        J={k: factor * v for k, v in base.J.items()},
        offset=factor * base.offset,
    )
    sim = StatevectorQAOA(model)
    gammas, betas = linear_ramp(3, model.coefficient_scale())
    mean, low = sim.energies.mean(), sim.ground_energy
    # the ramp closes at least 40% of the gap between the uniform mean and the ground energy
    assert sim.expectation(gammas, betas) < mean - 0.4 * (mean - low)


def test_sample_counts_and_ground_probability() -> None:
    sim = StatevectorQAOA(random_ising(5, seed=9))
    gammas, betas = [0.3, 0.5], [-0.5, -0.2]
    counts = sim.sample(gammas, betas, shots=1000, seed=0)
    assert sum(counts.values()) == 1000 and all(0 <= k < 32 for k in counts)
    probs = sim.probabilities(gammas, betas)
    assert sim.ground_state_probability(gammas, betas) == pytest.approx(
        probs[np.argmin(sim.energies)]
    )


def test_threaded_tiles_match_single_thread() -> None:
    model = random_ising(12, seed=4)
    gammas, betas = [0.2, -0.4, 0.9], [0.3, -1.1, 0.5]
    single = StatevectorQAOA(model, num_threads=1)
    tiled: Callable[..., StatevectorQAOA] = StatevectorQAOA
    multi = tiled(model, num_threads=4, tile_bits=8, block_bits=5, parallel_qubits=1)
    np.testing.assert_allclose(
        multi.probabilities(gammas, betas), single.probabilities(gammas, betas), atol=1e-12
    )
    assert multi.expectation(gammas, betas) == pytest.approx(
        single.expectation(gammas, betas), abs=1e-10
    )
    assert {"statevector", "pennylane-lightning", "qiskit-aer"} == qaoa.SEEDABLE_ENGINES


def test_fast_sincos_and_large_angle_fallback() -> None:
    rng = np.random.default_rng(0)
    for scale in (1e-3, 1.0, 1e3, 9e5):
        theta = rng.uniform(-scale, scale, 4096)
        cos, sin = statevector._sincos(theta)
        np.testing.assert_allclose(cos, np.cos(theta), rtol=0, atol=1e-14)
        np.testing.assert_allclose(sin, np.sin(theta), rtol=0, atol=1e-14)
    # |gamma * E| > 1e6 takes the np.cos / np.sin path. A constant energy shift only adds a
    # global phase: probabilities agree with the unshifted (table path) model, and the
    # expectation moves by the shift
    model = IsingModel(h=(1.0, -2.0, 1.0), J={(0, 1): 1.0, (1, 2): -3.0}, offset=0.0)
    gammas, betas = [0.7, 1.3], [0.4, -0.2]
    shift = 1e7
    big = StatevectorQAOA(energies=model.energies() + shift)
    small = StatevectorQAOA(model)
    assert 0.7 * big._max_abs_energy > statevector._SINCOS_MAX_ANGLE
    np.testing.assert_allclose(
        big.probabilities(gammas, betas), small.probabilities(gammas, betas), atol=1e-9
    )
    assert big.expectation(gammas, betas) - shift == pytest.approx(
        small.expectation(gammas, betas), abs=1e-6
    )


def test_braket_local_is_safe_from_concurrent_threads() -> None:
    """Two threads on the Braket local simulator at once must not abort the process
    (its numba kernels are not thread-safe; qroute serialises them)."""
    from concurrent.futures import ThreadPoolExecutor

    import dimod

    from qroute.circuits.qaoa import QAOASampler

    bqm = dimod.generators.gnp_random_bqm(8, 0.5, "BINARY", random_state=3)
    with ThreadPoolExecutor(3) as pool:
        sets = list(
            pool.map(
                lambda s: QAOASampler().sample(bqm, engine="braket-local", shots=50, seed=s),
                range(3),
            )
        )
    assert [int(ss.record.num_occurrences.sum()) for ss in sets] == [50, 50, 50]


def test_every_engine_has_one_sampler_and_unknown_engines_are_refused() -> None:
    from qroute.circuits.ising import random_ising
    from qroute.circuits.qaoa import ENGINES, SAMPLE_ENGINES, sample_engine

    assert tuple(SAMPLE_ENGINES) == ENGINES
    model = random_ising(3, seed=1)
    counts = sample_engine(model, [0.3], [0.2], engine="statevector", shots=50, seed=2)
    assert sum(counts.values()) == 50 and all(0 <= k < 8 for k in counts)
    with pytest.raises(ValueError, match="unknown engine 'cirq'"):
        sample_engine(model, [0.3], [0.2], engine="cirq", shots=5)
