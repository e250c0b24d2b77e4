"""What a Braket gate device accepts, and fitting a QAOA circuit to it before submission.

:class:`DeviceInfo` is read from the live device (``AwsDevice.properties``: status, execution
windows, qubit count, connectivity graph, supported and native gates, shots range) or, for the
dry-run and offline availability, from the hardware profile. :func:`check_device` refuses with a
clear reason (offline, window closed, too few qubits) and fits the shot count;
:func:`place_qubits` maps logical qubits onto a connected set of physical qubits for devices that
are not all-to-all; :func:`lower_circuit` rewrites the QAOA gates (H, RZ, ZZ, RX) into gates the
device accepts, or refuses naming the missing ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from qroute.backends.hardware import HardwareProfile, Window
from qroute.model.solver import BackendUnavailable

__all__ = [
    "DeviceInfo",
    "DeviceRefusal",
    "Placement",
    "check_device",
    "graph_edges",
    "lower_circuit",
    "place_qubits",
    "placed_record",
    "route_on_device",
]


def graph_edges(
    graph: Mapping[Any, Iterable[Any]],
) -> tuple[frozenset[tuple[int, int]], tuple[int, ...]]:
    """A Braket ``connectivityGraph`` (qubit -> neighbours, labels as strings or ints): its
    undirected edges as (low, high) and its physical qubit labels, sorted."""
    edges: set[tuple[int, int]] = set()
    labels: set[int] = set()
    for node, neighbours in graph.items():
        labels.add(int(node))
        for other in neighbours:
            labels.add(int(other))
            a, b = sorted((int(node), int(other)))
            if a != b:
                edges.add((a, b))
    return frozenset(edges), tuple(sorted(labels))


class DeviceRefusal(BackendUnavailable):
    """The device cannot take this circuit now (the dispatcher records the reason, falls back)."""


@dataclass(frozen=True)
class DeviceInfo:
    """The parts of a gate device's properties that decide whether a circuit can go."""

    arn: str
    name: str
    status: str  # ONLINE, OFFLINE, RETIRED
    qubits: int
    fully_connected: bool
    edges: frozenset[tuple[int, int]] = frozenset()  # undirected, (low, high)
    qubit_labels: tuple[int, ...] = ()  # physical qubits in the connectivity graph
    supported_operations: frozenset[str] = frozenset()  # empty: unknown, assume the QAOA gates
    native_gates: tuple[str, ...] = ()
    shots_min: int = 1
    shots_max: int = 100_000
    windows: tuple[Window, ...] = ()  # empty: always open
    simulator: bool = False
    source: str = "device"  # "device" (live properties) or "profile"
    program_set_limits: tuple[int, int] | None = None  # (executables, total shots); None: none
    device_cost: tuple[float, str] | None = None  # the device's own deviceCost: (USD, "shot"...)

    @classmethod
    def from_aws(cls, device: Any) -> DeviceInfo:
        """Read an ``AwsDevice`` (its GetDevice metadata, already fetched by the SDK)."""
        props = device.properties
        service = props.service
        paradigm = getattr(props, "paradigm", None)
        qubits = int(getattr(paradigm, "qubitCount", 0) or 0)
        connectivity = getattr(paradigm, "connectivity", None)
        fully = connectivity is None or bool(getattr(connectivity, "fullyConnected", True))
        edges: frozenset[tuple[int, int]] = frozenset()
        labels: tuple[int, ...] = ()
        if not fully:
            graph = getattr(connectivity, "connectivityGraph", {}) or {}
            edges, labels = graph_edges(graph)
        supported: set[str] = set()
        program_sets: tuple[int, int] | None = None
        for key, action in (getattr(props, "action", {}) or {}).items():
            name = str(getattr(key, "value", key))
            if name.endswith("openqasm.program_set"):
                program_sets = (int(action.maximumExecutables), int(action.maximumTotalShots))
            elif "openqasm.program" in name:
                supported.update(op.lower() for op in getattr(action, "supportedOperations", []))
        shots = list(getattr(service, "shotsRange", None) or (1, 100_000))
        windows = tuple(
            Window.from_braket(
                str(getattr(w.executionDay, "value", w.executionDay)),
                w.windowStartHour,
                w.windowEndHour,
            )
            for w in (getattr(service, "executionWindows", None) or ())
        )
        device_type = str(getattr(getattr(device, "type", None), "value", device.type))
        cost = getattr(service, "deviceCost", None)
        device_cost = None if cost is None else (float(cost.price), str(cost.unit).lower())
        return cls(
            arn=device.arn,
            name=str(device.name),
            status=str(device.status),
            qubits=qubits,
            fully_connected=fully,
            edges=edges,
            qubit_labels=labels if not fully else tuple(range(qubits)),
            supported_operations=frozenset(supported),
            native_gates=tuple(g.lower() for g in (getattr(paradigm, "nativeGateSet", None) or ())),
            shots_min=int(shots[0]),
            shots_max=int(shots[1]),
            windows=windows,
            simulator="SIMULATOR" in device_type.upper(),
            source="device",
            program_set_limits=program_sets,
            device_cost=device_cost,
        )

    @classmethod
    def from_profile(cls, profile: HardwareProfile) -> DeviceInfo:
        """What the hardware profile says (no connectivity graph: only its kind and size)."""
        return cls(
            arn=profile.device_arn or profile.id,
            name=profile.name,
            status="RETIRED" if profile.status == "retired" else "ONLINE",
            qubits=profile.qubits,
            fully_connected=profile.connectivity.kind == "all-to-all",
            qubit_labels=tuple(range(profile.qubits)),
            native_gates=profile.native_gates,
            shots_min=profile.shots.min,
            shots_max=profile.shots.max,
            simulator=profile.kind == "simulator",
            source="profile",
        )

    def window_open(self, moment: datetime) -> bool:
        return not self.windows or any(w.contains(moment) for w in self.windows)


def check_device(
    info: DeviceInfo, *, qubits: int, shots: int, now: datetime
) -> tuple[int, list[str]]:
    """Refuse (``DeviceRefusal``) or return the shot count to use and notes on adjustments.

    ``now`` is UTC-aware (a naive value is taken as UTC).
    """
    if info.status.upper() != "ONLINE":
        raise DeviceRefusal(f"{info.name} is {info.status} (needs ONLINE)")
    if not info.window_open(now):
        windows = "; ".join(str(w) for w in info.windows)
        raise DeviceRefusal(
            f"{info.name} is outside its execution windows at {now:%a %H:%M} UTC ({windows})"
        )
    available = len(info.qubit_labels) if not info.fully_connected else info.qubits
    if qubits > available:
        raise DeviceRefusal(
            f"{info.name} has {available} usable qubits; the circuit needs {qubits}"
        )
    notes: list[str] = []
    used = shots
    if shots < max(info.shots_min, 1):
        used = max(info.shots_min, 1)
        notes.append(f"shots raised from {shots} to the device minimum {used}")
    elif shots > info.shots_max:
        used = info.shots_max
        notes.append(f"shots capped from {shots} at the device maximum {used}")
    return used, notes


# --------------------------------------------------------------------------------------------
# Placement on a connectivity graph


@dataclass(frozen=True)
class Placement:
    """Logical qubit ``q`` runs on physical qubit ``mapping[q]``."""

    mapping: tuple[int, ...]
    couplings: int  # logical two-qubit couplings
    adjacent: int  # of which land on a device edge
    fully_connected: bool

    @property
    def routed(self) -> int:
        """Couplings between non-adjacent physical qubits: the device compiler must route them."""
        return self.couplings - self.adjacent

    def as_dict(self) -> dict[str, Any]:
        return {
            "mapping": list(self.mapping),
            "couplings": self.couplings,
            "adjacent": self.adjacent,
            "routed_by_device_compiler": self.routed,
            "fully_connected": self.fully_connected,
        }


def _adjacency(edges: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    adj: dict[int, set[int]] = {}
    for a, b in edges:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    return adj


def _grow(adj: Mapping[int, set[int]], start: int, size: int) -> list[int]:
    """Greedy connected region: repeatedly add the frontier qubit with most links into it."""
    region = [start]
    chosen = {start}
    while len(region) < size:
        frontier = {n for q in region for n in adj.get(q, ()) if n not in chosen}
        if not frontier:
            break
        best = max(sorted(frontier), key=lambda n: (len(adj[n] & chosen), len(adj[n])))
        region.append(best)
        chosen.add(best)
    return region


def place_qubits(
    info: DeviceInfo, num_qubits: int, couplings: Sequence[tuple[int, int]]
) -> Placement:
    """Map ``num_qubits`` logical qubits onto a connected set of the device's qubits.

    All-to-all devices keep the identity. Otherwise the densest connected region found by
    greedy growth from every qubit is used, and logical qubits with the most couplings are put
    where most of their already-placed partners are adjacent. Couplings that still land on
    non-adjacent qubits are left to the device compiler (qubit rewiring stays enabled); no
    connected region large enough is a refusal.
    """
    pairs = sorted({tuple(sorted(c)) for c in couplings if c[0] != c[1]})
    if info.fully_connected:
        labels = info.qubit_labels or tuple(range(info.qubits))
        mapping = tuple(labels[:num_qubits])
        return Placement(mapping, len(pairs), len(pairs), True)
    adj = _adjacency(info.edges)
    best: list[int] = []
    best_links = -1
    for start in sorted(adj):
        region = _grow(adj, start, num_qubits)
        if len(region) < num_qubits:
            continue
        members = set(region)
        links = sum(len(adj[q] & members) for q in region) // 2
        if links > best_links:
            best, best_links = region, links
    if not best:
        raise DeviceRefusal(
            f"{info.name} has no connected set of {num_qubits} working qubits "
            f"({len(adj)} qubits in its connectivity graph)"
        )
    partners: dict[int, set[int]] = {q: set() for q in range(num_qubits)}
    for a, b in pairs:
        partners[a].add(b)
        partners[b].add(a)
    order = sorted(range(num_qubits), key=lambda q: (-len(partners[q]), q))
    free = list(best)
    mapping_dict: dict[int, int] = {}
    for q in order:

        def fit(p: int, q: int = q) -> tuple[int, int]:
            placed = {mapping_dict[o] for o in partners[q] if o in mapping_dict}
            return (len(adj[p] & placed), len(adj[p] & set(free)))

        chosen = max(free, key=fit)
        mapping_dict[q] = chosen
        free.remove(chosen)
    current = [mapping_dict[q] for q in range(num_qubits)]

    def adjacent_count(m: Sequence[int]) -> int:
        return sum(1 for a, b in pairs if m[b] in adj[m[a]])

    # pairwise swaps while they put more couplings on device edges (n <= 16: cheap)
    score = adjacent_count(current)
    improved = True
    while improved:
        improved = False
        for a in range(num_qubits):
            for b in range(a + 1, num_qubits):
                current[a], current[b] = current[b], current[a]
                trial = adjacent_count(current)
                if trial > score:
                    score, improved = trial, True
                else:
                    current[a], current[b] = current[b], current[a]
    return Placement(tuple(current), len(pairs), score, False)


def placed_record(
    placement: Placement,
    *,
    pinned: bool,
    via: str = "sdk",
    routed: Routing | None = None,
) -> dict[str, Any]:
    """What ``details.placement`` and the ledger say about where the circuit ran.

    ``mapping`` is the qubit each logical qubit is *measured* on in the result (used to
    decode): the physical qubits when ``pinned`` (sent with ``disable_qubit_rewiring=True``;
    after qiskit's routing, where each logical qubit ended up), else the logical qubits 0..n-1
    that Braket's device compiler placed. ``qroute_mapping`` is qroute's own choice of region
    (the routing's initial layout), kept so a resend is the very same request.
    """
    n = len(placement.mapping)
    if pinned and routed is not None:
        mapping = list(routed.final_mapping)
    else:
        mapping = list(placement.mapping) if pinned else list(range(n))
    record: dict[str, Any] = {
        "mapping": mapping,
        "qroute_mapping": list(placement.mapping),
        "couplings": placement.couplings,
        "fully_connected": placement.fully_connected,
        "disable_qubit_rewiring": pinned,
    }
    if placement.fully_connected:
        record["placed_by"] = "none needed: every qubit pair is coupled"
        if via != "sdk":
            record["placed_by"] = f"{record['placed_by']} (PennyLane wires 0..n-1)"
    elif pinned and routed is not None:
        record["adjacent"] = placement.adjacent
        record["two_qubit_gates"] = {
            "logical_zz": routed.two_qubit_gates[0],
            "after_routing": routed.two_qubit_gates[1],
        }
        record["placed_by"] = (
            f"qiskit transpiler (initial layout from qroute, {routed.router} routing on the "
            "device's coupling map): these physical qubits ran (qubit rewiring disabled)"
        )
    elif pinned:
        record["adjacent"] = placement.adjacent
        record["placed_by"] = "qroute: these physical qubits ran (qubit rewiring disabled)"
    else:
        record["placed_by"] = (
            "Braket device compiler (qubit rewiring enabled"
            + (", PennyLane wires 0..n-1" if via != "sdk" else "")
            + f"; {placement.routed} of {placement.couplings} couplings are not on one "
            "connected region's edges, so qroute does not pin qubits)"
        )
    return record


@dataclass(frozen=True)
class Routing:
    """A circuit routed onto the device's coupling map by qiskit's transpiler."""

    circuit: Any  # braket.circuits.Circuit on physical qubits
    final_mapping: tuple[int, ...]  # logical qubit q is measured on physical final_mapping[q]
    two_qubit_gates: tuple[int, int]  # (logical ZZ couplings, device two-qubit gates after)
    router: str
    basis: tuple[str, ...]  # the Braket gates qiskit wrote the circuit in


_TO_QISKIT = {"h": "h", "rz": "rz", "rx": "rx", "ry": "ry", "cz": "cz", "cnot": "cx", "zz": "rzz"}
_FROM_QISKIT = {"h": "h", "rz": "rz", "rx": "rx", "ry": "ry", "cz": "cz", "cx": "cnot", "rzz": "zz"}


def route_on_device(circuit: Any, info: DeviceInfo, initial: Sequence[int]) -> Routing:
    """Route a QAOA Braket circuit (H, RZ, ZZ, RX on logical qubits) onto ``info``'s
    connectivity graph with qiskit's transpiler, starting from the layout ``initial``.

    The basis is the device's supported operations that qiskit and Braket share; every
    two-qubit gate of the result acts on a device edge, so the circuit can run with qubit
    rewiring disabled on exactly these qubits. Deterministic (fixed transpiler seed): a resend
    after a crash builds the very same request.
    """
    from braket.circuits import Circuit
    from qiskit import QuantumCircuit, transpile
    from qiskit.transpiler import CouplingMap

    basis = sorted(
        _TO_QISKIT[op] for op in (info.supported_operations or _TO_QISKIT) if op in _TO_QISKIT
    )
    if not {"cz", "cx", "rzz"} & set(basis):
        raise DeviceRefusal(f"{info.name} has no two-qubit gate qroute can route with")
    n = len(initial)
    qc = QuantumCircuit(n)
    two_qubit_before = 0
    for instruction in circuit.instructions:
        op = instruction.operator
        name = _NAMES.get(type(op).__name__) or _NAMES.get(getattr(op, "name", ""))
        targets = [int(q) for q in instruction.target]
        if name == "h":
            qc.h(targets[0])
        elif name == "rz":
            qc.rz(float(op.angle), targets[0])
        elif name == "rx":
            qc.rx(float(op.angle), targets[0])
        elif name == "zz":  # Braket ZZ(a) = exp(-i a/2 Z Z) = qiskit RZZ(a)
            qc.rzz(float(op.angle), targets[0], targets[1])
            two_qubit_before += 1
        else:
            raise DeviceRefusal(f"unexpected gate {type(op).__name__} in the QAOA circuit")
    pairs = [e for a, b in sorted(info.edges) for e in ((a, b), (b, a))]
    routed = transpile(
        qc,
        coupling_map=CouplingMap(pairs),
        basis_gates=basis,
        initial_layout=list(initial),
        optimization_level=1,
        seed_transpiler=0,
    )
    out = Circuit()
    two_qubit_after = 0
    for item in routed.data:
        name = item.operation.name
        if name == "barrier":
            continue
        method = getattr(out, _FROM_QISKIT[name])
        qubits = [routed.find_bit(q).index for q in item.qubits]
        if len(qubits) == 2:
            two_qubit_after += 1
            if tuple(sorted(qubits)) not in info.edges:
                raise DeviceRefusal(f"routing left a gate on uncoupled qubits {qubits}")
        method(*qubits, *[float(p) for p in item.operation.params])
    final = tuple(int(q) for q in routed.layout.final_index_layout()[:n])
    used = tuple(sorted(_FROM_QISKIT[b] for b in basis))
    return Routing(out, final, (two_qubit_before, two_qubit_after), "SabreSwap", used)


# --------------------------------------------------------------------------------------------
# Gate lowering


@dataclass
class _Lowering:
    supported: frozenset[str]
    ops: list[tuple[str, tuple[int, ...], float | None]] = field(default_factory=list)
    rewrites: dict[str, str] = field(default_factory=dict)

    def ok(self, *names: str) -> bool:
        return not self.supported or all(n in self.supported for n in names)

    def emit(self, name: str, targets: tuple[int, ...], angle: float | None = None) -> None:
        getattr(self, f"_{name}")(targets, angle)

    def _keep(self, name: str, targets: tuple[int, ...], angle: float | None) -> None:
        self.ops.append((name, targets, angle))

    def _h(self, t: tuple[int, ...], _: float | None) -> None:
        if self.ok("h"):
            return self._keep("h", t, None)
        if self.ok("rz", "rx"):  # H = e^{i pi/2} RZ(pi/2) RX(pi/2) RZ(pi/2)
            self.rewrites["h"] = "rz rx rz"
            for name in ("rz", "rx", "rz"):
                self._keep(name, t, math.pi / 2)
            return None
        if self.ok("rz", "ry"):  # H = e^{i pi/2} RY(pi/2) RZ(pi): RZ first
            self.rewrites["h"] = "rz ry"
            self._keep("rz", t, math.pi)
            self._keep("ry", t, math.pi / 2)
            return None
        raise DeviceRefusal("cannot express H with the device's gates")

    def _rz(self, t: tuple[int, ...], angle: float | None) -> None:
        if self.ok("rz"):
            return self._keep("rz", t, angle)
        if self.ok("phaseshift"):  # equal up to a global phase
            self.rewrites["rz"] = "phaseshift"
            return self._keep("phaseshift", t, angle)
        raise DeviceRefusal("cannot express RZ with the device's gates")

    def _rx(self, t: tuple[int, ...], angle: float | None) -> None:
        if self.ok("rx"):
            return self._keep("rx", t, angle)
        self.rewrites["rx"] = "h rz h"
        self._h(t, None)
        self._rz(t, angle)
        self._h(t, None)
        return None

    def _zz(self, t: tuple[int, ...], angle: float | None) -> None:
        i, j = t
        if self.ok("zz"):
            return self._keep("zz", t, angle)
        if self.ok("cnot"):  # ZZ(a) = CNOT(i,j) RZ_j(a) CNOT(i,j)
            self.rewrites["zz"] = "cnot rz cnot"
            self._keep("cnot", (i, j), None)
            self._rz((j,), angle)
            self._keep("cnot", (i, j), None)
            return None
        if self.ok("cz"):  # CNOT = H_j CZ H_j
            self.rewrites["zz"] = "h cz h rz h cz h"
            self._h((j,), None)
            self._keep("cz", (i, j), None)
            self._h((j,), None)
            self._rz((j,), angle)
            self._h((j,), None)
            self._keep("cz", (i, j), None)
            self._h((j,), None)
            return None
        raise DeviceRefusal("cannot express ZZ with the device's gates (no zz, cnot or cz)")


_NAMES = {"H": "h", "Rz": "rz", "Rx": "rx", "ZZ": "zz"}


def lower_circuit(
    circuit: Any, supported: frozenset[str], mapping: Sequence[int] | None = None
) -> tuple[Any, dict[str, str]]:
    """Rewrite a QAOA Braket circuit (H, RZ, ZZ, RX) into gates in ``supported``.

    ``mapping`` relabels logical qubit ``q`` to physical qubit ``mapping[q]``. Returns the new
    circuit and the rewrites used (e.g. ``{"zz": "cnot rz cnot"}``); an empty ``supported``
    means the device's list is unknown and the gates are kept.
    """
    from braket.circuits import Circuit

    lowering = _Lowering(frozenset(supported))
    for instruction in circuit.instructions:
        op = instruction.operator
        name = _NAMES.get(type(op).__name__) or _NAMES.get(getattr(op, "name", ""))
        if name is None:
            raise DeviceRefusal(f"unexpected gate {type(op).__name__} in the QAOA circuit")
        targets = tuple(int(q) for q in instruction.target)
        if mapping is not None:
            targets = tuple(mapping[q] for q in targets)
        angle = float(op.angle) if hasattr(op, "angle") else None
        try:
            lowering.emit(name, targets, angle)
        except DeviceRefusal as exc:
            ops = ", ".join(sorted(supported))
            raise DeviceRefusal(f"{exc}; it accepts: {ops}") from None
    out = Circuit()
    for name, targets, angle in lowering.ops:
        method = getattr(out, name)
        if angle is None:
            method(*targets)
        else:
            method(*targets, angle)
    return out, lowering.rewrites
