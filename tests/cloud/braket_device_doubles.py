"""TEST DOUBLES, NOT DEVICE DATA: GetDevice responses shaped like Braket's answers for IonQ
Forte-Enterprise-1, Rigetti Cepheus-1-108Q and AQT Ibex-Q1.

The ARNs are the ones amazon-braket-sdk lists (``braket.devices.Devices``); the structure is
Braket's GetDevice answer (``deviceCapabilities`` is a JSON string with ``paradigm`` and
``service`` sections, as in the SDK's device schemas). Every figure in them (qubit counts,
graphs, gates, shot ranges, windows, prices, dates) is made up for the tests: nothing here is
shipped as a profile, and no test reads a real device fact from it.
"""

from __future__ import annotations

import json
from typing import Any

from braket.devices import Devices

from .fakes import FakeBraket, grid_graph

FORTE_ENTERPRISE = str(Devices.IonQ.ForteEnterprise1)
CEPHEUS = str(Devices.Rigetti.Cepheus1108Q)
IBEX = str(Devices.AQT.IbexQ1)

_SERVICE_HEADER = {"name": "braket.device_schema.device_service_properties", "version": "1"}
_PARADIGM_HEADER = {
    "name": "braket.device_schema.gate_model_qpu_paradigm_properties",
    "version": "1",
}


def capabilities(
    vendor_schema: str,
    *,
    qubits: int,
    native: list[str],
    graph: dict[str, list[str]] | None,
    shots: tuple[int, int],
    windows: list[tuple[str, str, str]],
    cost: dict[str, Any] | None,
    updated_at: str | None,
) -> dict[str, Any]:
    service: dict[str, Any] = {
        "braketSchemaHeader": _SERVICE_HEADER,
        "executionWindows": [
            {"executionDay": d, "windowStartHour": s, "windowEndHour": e} for d, s, e in windows
        ],
        "shotsRange": list(shots),
    }
    if cost is not None:
        service["deviceCost"] = cost
    if updated_at is not None:
        service["updatedAt"] = updated_at
    return {
        "braketSchemaHeader": {"name": vendor_schema, "version": "1"},
        "service": service,
        "action": {
            "braket.ir.openqasm.program": {
                "actionType": "braket.ir.openqasm.program",
                "version": ["1"],
                "supportedOperations": ["x", "rx", "rz", "cz"],
            }
        },
        "deviceParameters": {},
        "paradigm": {
            "braketSchemaHeader": _PARADIGM_HEADER,
            "qubitCount": qubits,
            "nativeGateSet": native,
            "connectivity": {"fullyConnected": graph is None, "connectivityGraph": graph or {}},
        },
    }


def response(
    arn: str, provider: str, name: str, caps: dict[str, Any], status: str = "ONLINE"
) -> dict[str, Any]:
    return {
        "deviceArn": arn,
        "deviceName": name,
        "providerName": provider,
        "deviceType": "QPU",
        "deviceStatus": status,
        "deviceCapabilities": json.dumps(caps),
    }


#: Per ARN: vendor schema, providerName, deviceName and the made-up capability figures.
_DOUBLES: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    # all-to-all trapped ions, priced per shot
    FORTE_ENTERPRISE: (
        "braket.device_schema.ionq.ionq_device_capabilities",
        "IonQ",
        "Forte Enterprise 1",
        {
            "qubits": 36,
            "native": ["GPI", "GPI2", "ZZ"],
            "graph": None,
            "shots": (100, 5000),
            "windows": [("Everyday", "00:00:00", "23:59:59")],
            "cost": {"price": 0.08, "unit": "shot"},
            "updated_at": "2026-11-20T09:15:00Z",
        },
    ),
    # a 9 x 12 square lattice numbered from 0 (195 couplers), an overnight weekend window
    CEPHEUS: (
        "braket.device_schema.rigetti.rigetti_device_capabilities",
        "Rigetti",
        "Cepheus-1-108Q",
        {
            "qubits": 108,
            "native": ["RX", "RZ", "CZ", "ISWAP"],
            "graph": grid_graph(9, 12, first=0),
            "shots": (10, 50000),
            "windows": [
                ("Weekdays", "09:00:00", "19:00:00"),
                ("Weekend", "21:00:00", "05:00:00"),
            ],
            "cost": {"price": 0.000425, "unit": "shot"},
            "updated_at": "2026-11-18T17:39:47+00:00",
        },
    ),
    # a small all-to-all ion trap with two weekly windows
    IBEX: (
        "braket.device_schema.aqt.aqt_device_capabilities",
        "AQT",
        "Ibex-Q1",
        {
            "qubits": 12,
            "native": ["R", "RZ", "RXX"],
            "graph": None,
            "shots": (1, 2000),
            "windows": [
                ("Monday", "08:00:00", "16:00:00"),
                ("Thursday", "08:00:00", "16:00:00"),
            ],
            "cost": {"price": 0.0235, "unit": "shot"},
            "updated_at": "2026-11-25T07:00:00Z",
        },
    ),
}


def get_device_double(arn: str, **changes: Any) -> dict[str, Any]:
    """The test double of ``arn``'s GetDevice answer; ``changes`` replace capability figures
    (None drops ``cost`` / ``updated_at``)."""
    schema, provider, name, figures = _DOUBLES[arn]
    return response(arn, provider, name, capabilities(schema, **{**figures, **changes}))


def forte_enterprise(**changes: Any) -> dict[str, Any]:
    return get_device_double(FORTE_ENTERPRISE, **changes)


def cepheus(**changes: Any) -> dict[str, Any]:
    return get_device_double(CEPHEUS, **changes)


def ibex(**changes: Any) -> dict[str, Any]:
    return get_device_double(IBEX, **changes)


def queue_get_device(fake: FakeBraket, answer: dict[str, Any]) -> None:
    """Queue one GetDevice answer on the stubbed client."""
    fake.stubber.add_response("get_device", answer, {"deviceArn": answer["deviceArn"]})
