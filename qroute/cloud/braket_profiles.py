"""Hardware profiles made from the Braket device itself: its ``GetDevice`` response.

``profile_from_get_device(response)`` turns one GetDevice answer (the ``deviceCapabilities``
JSON: ``paradigm.qubitCount``, ``paradigm.connectivity``, ``paradigm.nativeGateSet``,
``service.shotsRange``, ``service.executionWindows``, ``service.deviceCost``,
``service.updatedAt``; ``deviceStatus``; the region from the ARN) into a validated
:class:`HardwareProfile` and its YAML text. Nothing is guessed: a response that lacks what a
profile needs (no ``deviceCost``, no ``updatedAt``, not a gate-model QPU, a price unit qroute
cannot bill) is refused with one line (:class:`DeviceProfileError`).

Where each figure comes from, and what the notes of every generated profile say:

* ``price.source`` is the GetDevice call itself
  (``https://braket.<region>.amazonaws.com/device/<url-encoded ARN>``), ``price.as_of`` the
  date of ``service.updatedAt``;
* the per-shot (or per-task) price is ``service.deviceCost``;
* the Braket per-task fee is not in GetDevice: it is the ``per_task_usd`` of the shipped
  Braket QPU profiles (:func:`braket_task_fee`; they must agree, else refused), with the
  date and source those profiles name;
* ``shots.default`` is qroute's choice (:data:`DEFAULT_SHOTS`, inside the device's range).

``refresh_profiles(arns, out)`` calls GetDevice through :func:`default_session` (boto3's
credential chain; refused in one line without credentials) and writes ``<id>.yaml`` files.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from pydantic import ValidationError

from qroute.backends.hardware import (
    BRAKET_ARN_RE,
    DEFAULT_PROFILES_DIR,
    HardwareProfile,
    Window,
    load_profiles,
)
from qroute.cloud.braket_session import default_session, region_of
from qroute.cloud.credentials import aws_credentials_reason, safe_error
from qroute.cloud.gate_device import graph_edges
from qroute.cloud.settings import CloudSettings
from qroute.model.errors import UsageError

__all__ = [
    "DEFAULT_SHOTS",
    "DeviceProfileError",
    "GeneratedProfile",
    "TaskFee",
    "braket_task_fee",
    "get_device_source",
    "profile_from_get_device",
    "refresh_profiles",
]

#: qroute's default shot count of a generated profile, moved into the device's range: the
#: QAOA sample needs a few dozen bitstrings, and shots are what a QPU task mostly costs.
DEFAULT_SHOTS = 100


class DeviceProfileError(UsageError):
    """A GetDevice response (or call) that cannot make a profile; ``str()`` is one line."""


@dataclass(frozen=True)
class TaskFee:
    """The Braket per-task fee as the shipped profiles state it."""

    usd: float
    profiles: tuple[str, ...]  # the profile ids that state it
    read: tuple[str, ...]  # where and when they read it: "<source> (<as_of>)", distinct

    def cited(self) -> str:
        return f"{', '.join(self.profiles)}; price sources {'; '.join(self.read)}"


@dataclass(frozen=True)
class GeneratedProfile:
    """One profile made from GetDevice: the validated model and the YAML text of its file."""

    profile: HardwareProfile
    text: str

    @property
    def filename(self) -> str:
        return f"{self.profile.id}.yaml"


def braket_task_fee(profiles: Mapping[str, HardwareProfile] | None = None) -> TaskFee:
    """The per-task fee of the Braket QPU profiles (default: the ones shipped with qroute).

    It is one fact, stated in those profiles; they must agree on it, else this refuses rather
    than pick one. The fee cites the profiles and the price sources they were read from.
    """
    shipped = load_profiles(DEFAULT_PROFILES_DIR) if profiles is None else profiles
    qpus = sorted(
        (
            p
            for p in shipped.values()
            if p.backend == "braket-aws" and p.kind == "qpu" and p.price.per_task_usd is not None
        ),
        key=lambda p: p.id,
    )
    fees = {p.price.per_task_usd for p in qpus}
    if len(fees) != 1:
        found = ", ".join(f"{p.id} {p.price.per_task_usd}" for p in qpus)
        raise DeviceProfileError(
            "the Braket QPU profiles do not state one per-task fee "
            f"({found or 'no Braket QPU profile has per_task_usd'})"
        )
    usd = fees.pop()
    assert usd is not None  # filtered above
    read = sorted({f"{p.price.source} ({p.price.as_of.isoformat()})" for p in qpus})
    return TaskFee(usd, tuple(p.id for p in qpus), tuple(read))


def get_device_source(arn: str) -> str:
    """The GetDevice request a profile's figures came from, as a URL (``GET /device/{arn}``
    on the region's Braket endpoint)."""
    region = region_of(arn) or "us-east-1"
    return f"https://braket.{region}.amazonaws.com/device/{quote(arn, safe='')}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _need(mapping: Any, key: str, where: str, arn: str) -> Any:
    value = mapping.get(key) if isinstance(mapping, Mapping) else None
    if value is None or value == "" or value == []:
        raise DeviceProfileError(f"{arn}: GetDevice has no {where}{key}; cannot make a profile")
    return value


def _capabilities(response: Mapping[str, Any], arn: str) -> dict[str, Any]:
    raw = _need(response, "deviceCapabilities", "", arn)
    try:
        caps = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise DeviceProfileError(f"{arn}: deviceCapabilities is not JSON ({exc})") from None
    if not isinstance(caps, dict):
        raise DeviceProfileError(f"{arn}: deviceCapabilities is not a JSON object")
    return caps


def _updated_at(service: Mapping[str, Any], arn: str) -> datetime:
    value = _need(service, "updatedAt", "service.", arn)
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise DeviceProfileError(f"{arn}: service.updatedAt {value!r} is not a time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _windows(service: Mapping[str, Any], arn: str) -> tuple[str | list[dict[str, Any]], str]:
    entries = service.get("executionWindows")
    if not entries:
        return "unknown", "service.executionWindows is empty: windows unknown"
    windows = []
    try:
        for entry in entries:
            window = Window.from_braket(
                str(entry["executionDay"]),
                time.fromisoformat(str(entry["windowStartHour"])),
                time.fromisoformat(str(entry["windowEndHour"])),
            )
            windows.append(window)
    except (KeyError, TypeError, ValueError) as exc:
        raise DeviceProfileError(
            f"{arn}: service.executionWindows is unreadable ({safe_error(exc)})"
        ) from None
    shown = "; ".join(str(w) for w in windows)
    rows = [
        {"days": list(w.days), "start": f"{w.start:%H:%M:%S}", "end": f"{w.end:%H:%M:%S}"}
        for w in windows
    ]
    return rows, f"execution windows {shown} (service.executionWindows)"


def _connectivity(paradigm: Mapping[str, Any], arn: str) -> tuple[dict[str, Any], str]:
    connectivity = _need(paradigm, "connectivity", "paradigm.", arn)
    if connectivity.get("fullyConnected"):
        return {"kind": "all-to-all"}, "all-to-all (paradigm.connectivity.fullyConnected)"
    graph = connectivity.get("connectivityGraph") or {}
    try:
        edges, labels = graph_edges(graph)
    except (TypeError, ValueError, AttributeError):
        raise DeviceProfileError(
            f"{arn}: paradigm.connectivity.connectivityGraph is unreadable"
        ) from None
    if not edges:
        raise DeviceProfileError(
            f"{arn}: GetDevice is neither fully connected nor lists a connectivity graph"
        )
    note = (
        f"{len(edges)} couplers among {len(labels)} physical qubits labelled "
        f"{labels[0]}..{labels[-1]} (paradigm.connectivity.connectivityGraph)"
    )
    return {"kind": "graph", "edges": len(edges)}, note


def _price(
    service: Mapping[str, Any], fee: TaskFee, arn: str, as_of: date
) -> tuple[dict[str, Any], str]:
    cost = _need(service, "deviceCost", "service.", arn)
    price = cost.get("price") if isinstance(cost, Mapping) else None
    unit = str(cost.get("unit") or "").lower() if isinstance(cost, Mapping) else ""
    if isinstance(price, bool) or not isinstance(price, int | float) or price < 0:
        raise DeviceProfileError(f"{arn}: service.deviceCost.price {price!r} is not a USD figure")
    source = get_device_source(arn)
    quoted = f"service.deviceCost {{price: {price}, unit: {unit}}}"
    if unit == "shot":
        figures = {"per_task_usd": fee.usd, "per_shot_usd": float(price)}
        note = (
            f"Price: USD {price} per shot from {quoted} (updatedAt {as_of}); the per-task fee "
            f"USD {fee.usd:.2f} is not in GetDevice: it is the per_task_usd every shipped "
            f"Braket QPU profile states ({fee.cited()})."
        )
    elif unit == "task":
        figures = {"per_task_usd": float(price)}
        note = f"Price: USD {price} per task from {quoted} (updatedAt {as_of}), nothing per shot."
    else:
        raise DeviceProfileError(
            f"{arn}: service.deviceCost unit {unit or '(none)'!r} is not one qroute bills a "
            "Braket QPU by (shot or task); write this profile by hand"
        )
    return {**figures, "as_of": as_of, "source": source}, note


def profile_from_get_device(
    response: Mapping[str, Any], *, fee: TaskFee | None = None, read_on: date | None = None
) -> GeneratedProfile:
    """The hardware profile of one Braket gate-model QPU from its GetDevice ``response``.

    ``fee``: the per-task fee (default :func:`braket_task_fee`); ``read_on``: the day the
    response was fetched, for the notes (default today, UTC).
    """
    arn = str(_need(response, "deviceArn", "", "GetDevice response"))
    match = BRAKET_ARN_RE.match(arn)
    if match is None or match["family"] != "qpu" or not match["region"]:
        raise DeviceProfileError(f"{arn}: not a Braket QPU ARN (managed simulators are shipped)")
    if str(response.get("deviceType", "QPU")).upper() != "QPU":
        raise DeviceProfileError(f"{arn}: deviceType {response.get('deviceType')} is not QPU")
    caps = _capabilities(response, arn)
    paradigm = _need(caps, "paradigm", "", arn)
    service = _need(caps, "service", "", arn)
    if "nativeGateSet" not in paradigm:
        raise DeviceProfileError(f"{arn}: not a gate-model QPU (paradigm has no nativeGateSet)")
    qubits = _need(paradigm, "qubitCount", "paradigm.", arn)
    native = [str(g).lower() for g in _need(paradigm, "nativeGateSet", "paradigm.", arn)]
    shots = _need(service, "shotsRange", "service.", arn)
    if not isinstance(shots, list | tuple) or len(shots) != 2:
        raise DeviceProfileError(f"{arn}: service.shotsRange {shots!r} is not [min, max]")
    low, high = int(shots[0]), int(shots[1])
    updated = _updated_at(service, arn)
    fee = fee or braket_task_fee()
    connectivity, wiring = _connectivity(paradigm, arn)
    windows, windows_note = _windows(service, arn)
    price, price_note = _price(service, fee, arn, updated.date())
    status = str(_need(response, "deviceStatus", "", arn)).upper()
    vendor, device = match["vendor"], match["device"]
    provider = str(response.get("providerName") or vendor)
    name = str(response.get("deviceName") or device)
    default = min(max(DEFAULT_SHOTS, low, 1), high)
    read = (read_on or datetime.now(UTC).date()).isoformat()
    notes = " ".join(
        [
            f"Generated by `qroute profiles refresh` from Braket GetDevice {arn} on {read}"
            f" (service.updatedAt {updated:%Y-%m-%dT%H:%M:%SZ}; price.source is that call).",
            price_note,
            f"From GetDevice: {qubits} qubits (paradigm.qubitCount); connectivity {wiring};",
            f"native gates {', '.join(native)} (paradigm.nativeGateSet, lower-cased);",
            f"shots {low}..{high} (service.shotsRange); {windows_note}; deviceStatus {status}"
            f" (status {'retired' if status == 'RETIRED' else 'active'});",
            f"region {match['region']} (from the ARN).",
            f"shots.default {default} is qroute's choice ({DEFAULT_SHOTS} moved into the range),"
            " not the device's. Windows and status change: check the live device.",
        ]
    )
    data: dict[str, Any] = {
        "id": _slug(f"{vendor}-{device}"),
        "name": name if name.lower().startswith(provider.lower()) else f"{provider} {name}",
        "provider": "aws-braket",
        "paradigm": "gate",
        "kind": "qpu",
        "status": "retired" if status == "RETIRED" else "active",
        "backend": "braket-aws",
        "device_arn": arn,
        "region": match["region"],
        "qubits": qubits,
        "connectivity": connectivity,
        "native_gates": native,
        "shots": {"min": low, "max": high, "default": default},
        "price": price,
        "availability": {"windows": windows, "requires": "aws"},
        "notes": notes,
    }
    try:
        profile = HardwareProfile.model_validate(data, context={"file_stem": data["id"]})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in error["loc"]) or "profile"
        raise DeviceProfileError(
            f"{arn}: GetDevice does not make a valid profile: {field}: {error['msg']}"
        ) from None
    header = f"# {profile.name} on Amazon Braket: generated from GetDevice (see notes).\n"
    text = header + yaml.dump(data, Dumper=_ProfileDumper, sort_keys=False, width=100)
    return GeneratedProfile(profile, text)


class _ProfileDumper(yaml.SafeDumper):
    """The layout of the hand-written profiles: ``[a, b]`` lists, quoted times."""


def _flow_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str | int | float) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


def _string(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    quoted = re.fullmatch(r"\d\d:\d\d(:\d\d)?", text) is not None  # 10:00 is 600 in YAML 1.1
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"' if quoted else None)


_ProfileDumper.add_representer(list, _flow_list)
_ProfileDumper.add_representer(str, _string)


def refresh_profiles(
    arns: Sequence[str],
    out: str | os.PathLike[str],
    settings: CloudSettings,
    *,
    session_factory: Callable[[str | None], Any] | None = None,
) -> list[tuple[GeneratedProfile, Path]]:
    """GetDevice for each ARN, then write ``<out>/<id>.yaml`` (replacing an older file).

    Every profile is made before any file is written, so a refused device writes nothing.
    Without ``session_factory`` the call goes through :func:`default_session` and needs AWS
    credentials (refused in one line without them).
    """
    for arn in arns:
        match = BRAKET_ARN_RE.match(arn)
        if match is None or match["family"] != "qpu" or not match["region"]:
            raise DeviceProfileError(
                f"{arn!r} is not a Braket QPU ARN (arn:aws:braket:<region>::device/qpu/<vendor>/"
                "<device>)"
            )
    if session_factory is None:
        reason = aws_credentials_reason()
        if reason is not None:
            raise DeviceProfileError(f"cannot call Braket GetDevice: {reason}")
    fee = braket_task_fee()
    made = [
        profile_from_get_device(_get_device(arn, settings, session_factory), fee=fee)
        for arn in arns
    ]
    folder = Path(out).expanduser()
    if folder.resolve() == DEFAULT_PROFILES_DIR.resolve():
        raise DeviceProfileError(
            f"{folder} is qroute's installed profile folder; write generated profiles elsewhere"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return [(generated, _write(folder, generated)) for generated in made]


def _get_device(
    arn: str, settings: CloudSettings, session_factory: Callable[[str | None], Any] | None
) -> Mapping[str, Any]:
    region = region_of(arn)
    try:
        session = (
            session_factory(region)
            if session_factory is not None
            else default_session(region, settings)
        )
        response: Mapping[str, Any] = session.braket_client.get_device(deviceArn=arn)
    except Exception as exc:  # credentials refused, unknown device, network: one line
        raise DeviceProfileError(f"{arn}: GetDevice failed: {safe_error(exc)}") from None
    return response


def _write(folder: Path, generated: GeneratedProfile) -> Path:
    path = folder / generated.filename
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(generated.text, encoding="utf-8")
    os.replace(partial, path)
    return path
