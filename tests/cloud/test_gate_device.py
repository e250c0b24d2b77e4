"""Fitting QAOA circuits to Braket devices: gate lowering, placement, windows, shots."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import numpy as np
import pytest
from braket.circuits import Circuit

from qroute.backends.hardware import Window
from qroute.circuits.braket import qaoa_circuit
from qroute.circuits.ising import random_ising
from qroute.cloud.gate_device import (
    DeviceInfo,
    DeviceRefusal,
    check_device,
    lower_circuit,
    place_qubits,
)

from .fakes import grid_graph


def _same_up_to_phase(a: np.ndarray, b: np.ndarray) -> bool:
    index = np.unravel_index(np.argmax(np.abs(a)), a.shape)
    phase = b[index] / a[index]
    return bool(np.isclose(abs(phase), 1.0) and np.allclose(a * phase, b, atol=1e-9))


@pytest.mark.parametrize(
    ("supported", "rewrites"),
    [
        ({"h", "rz", "rx", "zz"}, {}),
        ({"h", "rz", "rx", "cnot"}, {"zz": "cnot rz cnot"}),
        ({"h", "rz", "rx", "cz"}, {"zz": "h cz h rz h cz h"}),
        ({"rz", "rx", "cz"}, {"zz": "h cz h rz h cz h", "h": "rz rx rz"}),
        ({"rz", "ry", "cnot"}, {"zz": "cnot rz cnot", "h": "rz ry", "rx": "h rz h"}),
        ({"phaseshift", "rx", "h", "cnot"}, {"zz": "cnot rz cnot", "rz": "phaseshift"}),
    ],
)
def test_lowered_qaoa_circuit_has_the_same_unitary(supported: set[str], rewrites: dict) -> None:
    model = random_ising(4, seed=5)
    logical = qaoa_circuit(model, [0.3, 0.7], [0.4, -0.2])
    lowered, used = lower_circuit(logical, frozenset(supported))
    names = {type(i.operator).__name__.lower() for i in lowered.instructions}
    assert names <= supported
    assert used == rewrites
    assert _same_up_to_phase(logical.to_unitary(), lowered.to_unitary())


def test_a_device_without_any_two_qubit_gate_is_refused_with_the_gates_it_has() -> None:
    logical = qaoa_circuit(random_ising(3, seed=1), [0.3], [0.4])
    with pytest.raises(DeviceRefusal, match=r"no zz, cnot or cz.*accepts: h, rx, rz"):
        lower_circuit(logical, frozenset({"h", "rx", "rz"}))


def test_mapping_relabels_onto_physical_qubits() -> None:
    logical = Circuit().h(0).zz(0, 1, 0.5).rx(1, 0.2)
    lowered, _ = lower_circuit(logical, frozenset(), mapping=[7, 3])
    assert sorted(int(q) for q in lowered.qubits) == [3, 7]


def _lattice(rows: int, cols: int, dead: tuple[int, ...] = ()) -> DeviceInfo:
    graph = grid_graph(rows, cols)
    edges = {
        tuple(sorted((int(a), int(b))))
        for a, bs in graph.items()
        for b in bs
        if int(a) not in dead and int(b) not in dead
    }
    labels = sorted({q for e in edges for q in e})
    return DeviceInfo(
        arn="arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet",
        name="Garnet",
        status="ONLINE",
        qubits=rows * cols,
        fully_connected=False,
        edges=frozenset(edges),  # type: ignore[arg-type]
        qubit_labels=tuple(labels),
    )


def test_placement_uses_a_connected_region_and_counts_routed_couplings() -> None:
    info = _lattice(4, 5)
    couplings = [(0, 1), (1, 2), (2, 3), (0, 3), (0, 2)]
    placement = place_qubits(info, 4, couplings)
    assert len(set(placement.mapping)) == 4
    assert set(placement.mapping) <= set(info.qubit_labels)
    # the region is connected on the device graph
    region = set(placement.mapping)
    adjacency = {
        q: {b for a, b in info.edges if a == q} | {a for a, b in info.edges if b == q}
        for q in region
    }
    seen, stack = set(), [placement.mapping[0]]
    while stack:
        q = stack.pop()
        if q in seen:
            continue
        seen.add(q)
        stack.extend(adjacency[q] & region)
    assert seen == region
    # a 4-cycle fits a lattice square; the diagonal (0, 2) cannot be adjacent too
    assert placement.couplings == 5
    assert placement.adjacent == 4
    assert placement.routed == 1


def test_placement_refuses_when_no_connected_region_is_big_enough() -> None:
    # a 2 x 3 lattice whose middle column is dead: two islands of two qubits
    info = _lattice(2, 3, dead=(2, 5))
    with pytest.raises(DeviceRefusal, match="no connected set of 3 working qubits"):
        place_qubits(info, 3, [(0, 1), (1, 2)])


def test_all_to_all_devices_keep_the_identity() -> None:
    info = DeviceInfo(
        arn="a",
        name="Forte",
        status="ONLINE",
        qubits=36,
        fully_connected=True,
        qubit_labels=tuple(range(36)),
    )
    placement = place_qubits(info, 9, [(0, 8), (3, 4)])
    assert placement.mapping == tuple(range(9))
    assert placement.routed == 0


WED_NOON = datetime(2026, 1, 7, 12, 0)


def _info(**changes) -> DeviceInfo:
    base = {
        "arn": "a",
        "name": "Dev",
        "status": "ONLINE",
        "qubits": 20,
        "fully_connected": True,
        "qubit_labels": tuple(range(20)),
        "shots_min": 100,
        "shots_max": 5000,
    }
    return DeviceInfo(**{**base, **changes})


def test_offline_device_is_refused() -> None:
    with pytest.raises(DeviceRefusal, match="Dev is OFFLINE"):
        check_device(_info(status="OFFLINE"), qubits=9, shots=100, now=WED_NOON)


def test_closed_window_is_refused_and_named() -> None:
    window = Window.from_braket("Monday", time(8), time(10))
    with pytest.raises(DeviceRefusal, match=r"outside its execution windows.*Monday 08:00-10:00"):
        check_device(_info(windows=(window,)), qubits=9, shots=100, now=WED_NOON)


def test_overnight_and_weekday_windows_follow_braket_rules() -> None:
    overnight = Window.from_braket("Weekdays", time(22), time(4))
    assert overnight.contains(datetime(2026, 1, 7, 23, 0))  # Wednesday night
    assert overnight.contains(datetime(2026, 1, 8, 3, 0))  # early Thursday, window of Wednesday
    assert not overnight.contains(datetime(2026, 1, 10, 23, 0))  # Saturday
    assert overnight.contains(datetime(2026, 1, 12, 3, 0)) is False  # Monday 03:00 is Sunday's
    # aware moments are converted to UTC: 00:30 in Helsinki (UTC+2) is Wednesday 22:30 UTC
    helsinki = timezone(timedelta(hours=2))
    assert overnight.contains(datetime(2026, 1, 8, 0, 30, tzinfo=helsinki))
    assert not overnight.contains(datetime(2026, 1, 7, 23, 30, tzinfo=helsinki))  # 21:30 UTC
    assert str(overnight) == "Weekdays 22:00-04:00 UTC"


def test_too_few_qubits_is_refused() -> None:
    with pytest.raises(DeviceRefusal, match="has 20 usable qubits; the circuit needs 25"):
        check_device(_info(), qubits=25, shots=100, now=WED_NOON)


def test_shots_are_fitted_into_the_device_range_and_the_change_noted() -> None:
    assert check_device(_info(), qubits=9, shots=10, now=WED_NOON) == (
        100,
        ["shots raised from 10 to the device minimum 100"],
    )
    shots, notes = check_device(_info(), qubits=9, shots=10_000, now=WED_NOON)
    assert shots == 5000 and "capped" in notes[0]


def _probabilities(circuit: Circuit, targets: list[int]) -> np.ndarray:
    from braket.devices import LocalSimulator

    measured = circuit.copy()
    measured.probability(target=targets)
    return np.asarray(LocalSimulator().run(measured, shots=0).result().values[0])


def test_qiskit_routing_onto_a_line_keeps_the_distribution_and_uses_device_edges() -> None:
    from qroute.cloud.gate_device import route_on_device

    line = DeviceInfo(
        arn="arn:aws:braket:eu-north-1::device/qpu/iqm/Line",
        name="Line",
        status="ONLINE",
        qubits=5,
        fully_connected=False,
        edges=frozenset({(1, 2), (2, 3), (3, 4), (4, 5)}),  # IQM-style labels from 1
        qubit_labels=(1, 2, 3, 4, 5),
        supported_operations=frozenset({"h", "rx", "rz", "cz"}),
    )
    model = random_ising(4, seed=5)  # every pair coupled: a line cannot hold it unrouted
    logical = qaoa_circuit(model, [0.3, 0.7], [0.4, -0.2])
    routing = route_on_device(logical, line, [2, 3, 4, 5])
    names = {type(i.operator).__name__.lower() for i in routing.circuit.instructions}
    assert names <= {"h", "rx", "rz", "cz"}
    for instruction in routing.circuit.instructions:
        if len(instruction.target) == 2:
            assert tuple(sorted(int(q) for q in instruction.target)) in line.edges
    # two layers of the six couplings; routing on a line adds swaps
    assert routing.two_qubit_gates[0] == 12 and routing.two_qubit_gates[1] > 12
    assert len(set(routing.final_mapping)) == 4 and set(routing.final_mapping) <= {1, 2, 3, 4, 5}
    expected = _probabilities(logical, [0, 1, 2, 3])
    routed = _probabilities(routing.circuit, list(routing.final_mapping))
    assert np.allclose(expected, routed, atol=1e-9)
    again = route_on_device(logical, line, [2, 3, 4, 5])  # a resend is the same request
    assert again.circuit == routing.circuit and again.final_mapping == routing.final_mapping
