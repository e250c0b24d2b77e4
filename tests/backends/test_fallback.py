"""Each backend's size limit has one place, its hardware profile; the fallback chain asks the
backend and takes no second limit of its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qroute.backends import backend_names, get_backend
from qroute.backends.fallback import FallbackChain
from qroute.backends.gate import QAOA_MAX_QUBITS
from qroute.backends.hardware import DEFAULT_PROFILES_DIR, PROFILES_ENV, load_profiles
from qroute.cloud import register
from qroute.qubo.tsp import TSP_KIND

BRAKET = ("dm1", "ionq-forte-1", "iqm-emerald", "iqm-garnet", "rigetti-ankaa-3", "sv1", "tn1")

#: every registered backend's limit in BQM variables, as `qroute backends` and
#: FallbackChain.capacity gave it before the profiles held it (the min of class and profile)
EXPECTED_LIMITS = {
    "exact": 169,
    "dwave-sa": 256,
    "dwave-tabu": 256,
    "dwave-qpu": 100,
    "qaoa-statevector": 16,
    "braket-local": 16,
    "pennylane-lightning": 16,
    "qiskit-aer": 16,
    "qaoa-sdks": 16,
    "leap-advantage": 100,
    "leap-advantage2": 100,
    "leap-hybrid-bqm": 1600,
    "leap-hybrid-cqm": 1600,
    "leap-hybrid-nl": 1600,
    **{f"braket-{device}": 16 for device in BRAKET},
    **{f"pennylane-braket-{device}": 16 for device in BRAKET},
}

#: the profile field each limit is read from (the QAOA engines and Braket devices are bound
#: by qaoa-statevector's, where their angles are optimised)
LIMIT_SOURCE = {
    "exact": ("exact", "max_variables"),
    "dwave-sa": ("dwave-sa", "max_variables"),
    "dwave-tabu": ("dwave-tabu", "max_variables"),
    "dwave-qpu": ("dwave-advantage", "max_variables"),
    "leap-advantage": ("dwave-advantage", "max_variables"),
    "leap-advantage2": ("dwave-advantage2", "max_variables"),
    "leap-hybrid-bqm": ("dwave-hybrid-bqm", "max_variables"),
    "leap-hybrid-cqm": ("dwave-hybrid-cqm", "max_variables"),
    "leap-hybrid-nl": ("dwave-hybrid-nl", "qubits"),
    "qaoa-statevector": ("qaoa-statevector", "max_variables"),
}


def test_every_backend_keeps_its_limit_and_the_chain_agrees() -> None:
    register()
    assert set(backend_names()) == set(EXPECTED_LIMITS)
    chain = FallbackChain(lambda problem, kind: [])
    got = {
        name: (get_backend(name).max_variables, chain.capacity(name)) for name in EXPECTED_LIMITS
    }
    assert got == {name: (limit, limit) for name, limit in EXPECTED_LIMITS.items()}
    assert QAOA_MAX_QUBITS == 16 and TSP_KIND.capacity(QAOA_MAX_QUBITS) == 4


def test_the_limits_are_the_profiles_figures() -> None:
    profiles = load_profiles(DEFAULT_PROFILES_DIR)
    for name, (profile_id, field) in LIMIT_SOURCE.items():
        assert getattr(profiles[profile_id], field) == EXPECTED_LIMITS[name], name
    gate = [n for n, limit in EXPECTED_LIMITS.items() if limit == QAOA_MAX_QUBITS]
    assert len(gate) == 4 + 1 + 2 * len(BRAKET)  # every QAOA backend, all from one figure


@pytest.mark.parametrize(
    ("profile_id", "old", "new", "backends", "stops"),
    [
        ("dwave-sa", "max_variables: 256", "max_variables: 81", ("dwave-sa",), 9),
        ("exact", "max_variables: 169", "max_variables: 49", ("exact",), 7),
        ("dwave-advantage", "max_variables: 100", "max_variables: 64", ("dwave-qpu",), 8),
        ("qaoa-statevector", "max_variables: 16", "max_variables: 9", ("qaoa-statevector",), 3),
        (
            "qiskit-aer",
            "max_subproblem_qubits: 20",
            "max_subproblem_qubits: 9",
            ("qiskit-aer", "qaoa-sdks"),
            3,
        ),
    ],
)
def test_editing_the_profile_alone_changes_the_limit(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    profile_id: str,
    old: str,
    new: str,
    backends: tuple[str, ...],
    stops: int,
) -> None:
    folder = tmp_path / "profiles"
    shutil.copytree(DEFAULT_PROFILES_DIR, folder)
    path = folder / f"{profile_id}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.setenv(PROFILES_ENV, str(folder))
    chain = FallbackChain(lambda problem, kind: [])
    for name in backends:
        assert TSP_KIND.capacity(chain.capacity(name)) == stops, name
    untouched = "dwave-tabu"
    assert chain.capacity(untouched) == EXPECTED_LIMITS[untouched]
