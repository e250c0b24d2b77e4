"""Events of a day in motion, read from JSON lines (one event per line).

Every event has `type` and `at` (HH:MM). Types and fields, exactly as issue 13 names them:

- `new_order`: `id`, `lat`, `lon`, `demand`, optional `ready` / `due` (HH:MM), `class`
- `cancel`: `order`
- `demand_change`: `order`, `demand`
- `breakdown`: `vehicle`
- `delay`: `lat`, `lon`, `radius_km`, `factor` (travel-time factor near that point)
- `depot_close`: `depot`, `at` (here `at` is the closing time; it may lie after the replan
  time, as an announcement)

The reader checks form (JSON, types, ranges); whether an event fits the plan (known order,
vehicle, time not in the past, reachable) is checked against the plan by the replanner.
Either way the error is one `InputError` naming the file and line.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qroute.model.errors import InputError

EVENT_TYPES = ("new_order", "cancel", "demand_change", "breakdown", "delay", "depot_close")
ORDER_CLASSES = ("medical", "perishable", "general")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "new_order": ("id", "lat", "lon", "demand"),
    "cancel": ("order",),
    "demand_change": ("order", "demand"),
    "breakdown": ("vehicle",),
    "delay": ("lat", "lon", "radius_km", "factor"),
    "depot_close": ("depot",),
}
_OPTIONAL: dict[str, tuple[str, ...]] = {"new_order": ("ready", "due", "class")}
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


def parse_hhmm(text: object) -> int:
    """'HH:MM' -> minutes after midnight; ValueError when malformed."""
    match = _HHMM.fullmatch(str(text).strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a time HH:MM")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


@dataclass(frozen=True)
class Event:
    """One event: its type, time (minutes after midnight), fields, and where it came from."""

    type: str
    at: int
    fields: tuple[tuple[str, Any], ...]
    line: int
    source: str

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.fields).get(name, default)

    @property
    def label(self) -> str:
        return f"{self.type} at {self.at // 60:02d}:{self.at % 60:02d}"

    def error(self, message: str) -> InputError:
        """The one-line error for this event."""
        return InputError(self.source, f"event {self.label}: {message}", self.line)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "at": f"{self.at // 60:02d}:{self.at % 60:02d}",
            **dict(self.fields),
        }


def _number(path: str, line: int, kind: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(path, f"{kind}: field {name!r} must be a number, got {value!r}", line)
    return float(value)


def parse_event(record: Any, source: str, line: int) -> Event:
    """One decoded JSON value -> an Event, or one InputError naming the line and field."""
    if not isinstance(record, dict):
        raise InputError(source, "an event must be a JSON object", line)
    kind = record.get("type")
    if kind not in EVENT_TYPES:
        raise InputError(
            source, f"unknown event type {kind!r} (known: {', '.join(EVENT_TYPES)})", line
        )
    if "at" not in record:
        raise InputError(source, f"{kind}: missing field 'at' (HH:MM)", line)
    try:
        at = parse_hhmm(record["at"])
    except ValueError as exc:
        raise InputError(source, f"{kind}: field 'at': {exc}", line) from None
    allowed = {"type", "at", *_REQUIRED[kind], *_OPTIONAL.get(kind, ())}
    missing = [f for f in _REQUIRED[kind] if f not in record]
    if missing:
        raise InputError(source, f"{kind}: missing field {missing[0]!r}", line)
    extra = sorted(set(record) - allowed)
    if extra:
        raise InputError(source, f"{kind}: unknown field {extra[0]!r}", line)
    fields: dict[str, Any] = {}
    for name in _REQUIRED[kind] + _OPTIONAL.get(kind, ()):
        if name not in record:
            continue
        value = record[name]
        if name in ("id", "order", "vehicle", "depot"):
            if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
                raise InputError(
                    source, f"{kind}: field {name!r} must be an id, got {value!r}", line
                )
            fields[name] = str(value)
        elif name in ("ready", "due"):
            try:
                fields[name] = parse_hhmm(value)
            except ValueError as exc:
                raise InputError(source, f"{kind}: field {name!r}: {exc}", line) from None
        elif name == "class":
            if value not in ORDER_CLASSES:
                raise InputError(
                    source,
                    f"{kind}: class {value!r} is not one of {', '.join(ORDER_CLASSES)}",
                    line,
                )
            fields[name] = value
        else:
            fields[name] = _number(source, line, kind, name, value)
    if kind in ("new_order", "demand_change"):
        demand = fields["demand"]
        if demand < 0 or demand != int(demand):
            raise InputError(
                source, f"{kind}: demand must be a whole number >= 0, got {demand:g}", line
            )
        fields["demand"] = int(demand)
    if kind in ("new_order", "delay") and not (
        -90 <= fields["lat"] <= 90 and -180 <= fields["lon"] <= 180
    ):
        raise InputError(
            source, f"{kind}: lat/lon {fields['lat']}, {fields['lon']} out of range", line
        )
    if (
        kind == "new_order"
        and "ready" in fields
        and "due" in fields
        and fields["due"] < fields["ready"]
    ):
        raise InputError(source, "new_order: due is before ready", line)
    if kind == "delay":
        if fields["radius_km"] <= 0:
            raise InputError(source, "delay: radius_km must be positive", line)
        if fields["factor"] < 1:
            raise InputError(source, f"delay: factor must be >= 1, got {fields['factor']:g}", line)
    return Event(kind, at, tuple(fields.items()), line, source)


def read_events(path: str | Path) -> list[Event]:
    """All events of a JSON-lines file, in file order; blank lines are skipped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read it: {exc}") from None
    events: list[Event] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(
                path, f"malformed JSON: {exc.msg} (column {exc.colno})", number
            ) from None
        events.append(parse_event(record, str(path), number))
    if not events:
        raise InputError(path, "no events")
    return events
