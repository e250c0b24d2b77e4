"""Dispatcher: policies, capacities from hardware profiles, fallback with recorded reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import dwave.graphs as dg
import pytest
from minorminer import busclique

from qroute.backends import Availability, Backend, ExactBackend
from qroute.backends.hardware import Connectivity, is_in_window, load_profiles
from qroute.hybrid.dispatch import Dispatcher, clique_capacity, max_variables_for, policy_chain
from qroute.model.solver import BackendUnavailable, Budget
from qroute.model.subproblem import random_route_tsp


@pytest.mark.parametrize(("m", "expected"), [(3, 24), (4, 36)])
def test_pegasus_clique_formula_matches_busclique(m: int, expected: int) -> None:
    found = len(busclique.busgraph_cache(dg.pegasus_graph(m)).largest_clique())
    assert found == expected
    assert clique_capacity(Connectivity(kind="pegasus", m=m)) == expected


def test_zephyr_clique_formula_matches_busclique() -> None:
    found = len(busclique.busgraph_cache(dg.zephyr_graph(3, 4)).largest_clique())
    assert found == 40
    assert clique_capacity(Connectivity(kind="zephyr", m=3, t=4)) == 40


def test_profiles_set_subproblem_capacities() -> None:
    profiles = load_profiles()
    assert max_variables_for(profiles["dwave-advantage"]) == 100  # its cap, under the clique
    assert clique_capacity(profiles["dwave-advantage"].connectivity) == 180  # the P16 clique
    assert max_variables_for(profiles["qiskit-aer"]) == 20
    assert max_variables_for(profiles["exact"]) == 169  # Held-Karp's 13 stops
    dispatcher = Dispatcher("local")
    assert dispatcher.capacity("dwave-qpu") == 100  # read from the profile, nothing narrower
    assert dispatcher.capacity("qaoa-statevector") == 16
    assert dispatcher.capacity("pennylane-lightning") == 16


def test_mixed_policy_sends_small_subproblems_to_all_three_sdks() -> None:
    small = random_route_tsp(3, 0)
    assert policy_chain("mixed", small)[:2] == ["qaoa-sdks", "qaoa-statevector"]
    assert policy_chain("mixed", random_route_tsp(4, 0))[0] == "qaoa-sdks"  # 14 variables
    assert policy_chain("mixed", random_route_tsp(5, 0))[0] == "dwave-sa"  # 23 variables
    assert policy_chain("mixed", random_route_tsp(8, 0))[0] == "dwave-sa"
    assert policy_chain("mixed", small)[-1] == "exact"
    result = Dispatcher("mixed").solve(small, Budget(seed=2, shots=90))
    details = result.provenance.details
    assert result.provenance.backend_used == "qaoa-sdks"
    assert details["engines"] == ["braket-local", "pennylane-lightning", "qiskit-aer"]
    assert details["shots_per_engine"] == {
        "braket-local": 30,
        "pennylane-lightning": 30,
        "qiskit-aer": 30,
    }
    assert details["num_reads"] == 90


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown policy 'quantum-magic'"):
        Dispatcher("quantum-magic")


def test_missing_credentials_fall_back_with_the_reason_recorded(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    result = Dispatcher("annealer").solve(random_route_tsp(5, 1), Budget(seed=1))
    prov = result.provenance
    assert prov.backend_requested == "dwave-qpu"
    assert prov.backend_used == "dwave-sa"
    assert prov.fallback_reason is not None
    assert prov.fallback_reason.startswith("dwave-qpu: no D-Wave credentials")


def test_oversize_for_qaoa_goes_to_the_annealer_with_the_reason() -> None:
    chain = ["qaoa-statevector", "dwave-sa"]
    result = Dispatcher(chain=lambda sub, kind: chain).solve(random_route_tsp(6, 2), Budget())
    assert result.provenance.backend_used == "dwave-sa"
    assert result.provenance.fallback_reason == "qaoa-statevector: takes at most 4 stops, got 6"


class _Broken(ExactBackend):
    name = "broken"

    def solve(self, problem, budget, *, kind=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("device returned no result (task FAILED)")


class _Offline(ExactBackend):
    name = "offline"

    def availability(self) -> Availability:
        return Availability(False, "device OFFLINE")


def test_a_failing_and_an_offline_backend_fall_back_in_order() -> None:
    dispatcher = Dispatcher(
        chain=lambda sub, kind: ["broken", "offline", "exact"],
        backends={"broken": _Broken(), "offline": _Offline()},
    )
    result = dispatcher.solve(random_route_tsp(5, 3), Budget())
    assert result.provenance.backend_used == "exact"
    assert result.provenance.fallback_reason == (
        "broken: failed (RuntimeError: device returned no result (task FAILED)); "
        "offline: device OFFLINE"
    )


def test_when_every_backend_refuses_the_error_lists_every_reason() -> None:
    dispatcher = Dispatcher(chain=lambda sub, kind: ["offline"], backends={"offline": _Offline()})
    with pytest.raises(BackendUnavailable, match="offline: device OFFLINE"):
        dispatcher.solve(random_route_tsp(4, 0), Budget())


def _fixed(moment: datetime) -> datetime:
    return moment


def test_a_closed_execution_window_refuses_a_cloud_device() -> None:
    garnet = load_profiles()["iqm-garnet"]
    moments = [datetime(2026, 11, 23 + d, h, 30, tzinfo=UTC) for d in range(7) for h in range(24)]
    closed = next(m for m in moments if not is_in_window(garnet, m))
    opened = next(m for m in moments if is_in_window(garnet, m))

    class _Device(ExactBackend):
        name = "braket-aws"

    sub = random_route_tsp(2, 0)
    for moment, expected in (
        (closed, f"IQM Garnet is outside its execution windows at {closed:%a %H:%M} UTC"),
        (opened, None),
    ):
        dispatcher = Dispatcher(
            "local",
            backends={"braket-aws": _Device()},
            profiles={"iqm-garnet": garnet},
            clock=partial(_fixed, moment),
        )
        refusal = dispatcher.refusal("braket-aws", sub)
        if expected is None:
            assert refusal is None
        else:
            assert refusal is not None and refusal.startswith(expected)


def test_the_dispatcher_is_a_backend_and_solve_takes_no_index() -> None:
    dispatcher = Dispatcher("local")
    assert isinstance(dispatcher, Backend)
    sub = random_route_tsp(5, 4)
    first = dispatcher.solve(sub, Budget(seed=3))
    again = Dispatcher("local").solve(sub, Budget(seed=3))
    assert first.routes == again.routes and first.cost == again.cost
    with pytest.raises(TypeError):
        dispatcher.solve(sub, Budget(seed=3), 7)  # type: ignore[arg-type,misc]
