"""The rail result.json is typed: rail_payload goes through RailResultPayload, whose schema
is docs/schemas/rail-result.schema.json (tests/reporting/test_payloads.py keeps it fresh)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from qroute.rail.plan import RailConfig
from qroute.rail.report import typed_rail_result
from qroute.rail.run import run_rail
from qroute.rail.scenario import hsr_yangtze
from qroute.reporting.payloads import RailResultPayload, schema_text


@pytest.fixture(scope="module")
def payload() -> dict:
    return run_rail(hsr_yangtze(20, 8, seed=4), RailConfig(time_limit=2.0, seed=1))


def test_payload_is_the_model_dump(payload: dict) -> None:
    assert typed_rail_result(payload) == payload
    leg = payload["plan"][0]["legs"][0]
    assert set(leg) >= {"mode", "from", "to", "depart", "arrive", "km", "cost"}
    assert all("pass" in w for w in payload["windows"])
    assert payload["unassigned"] == []


def test_wrong_types_are_refused(payload: dict) -> None:
    with pytest.raises(ValidationError):
        typed_rail_result({**payload, "cost": "cheap"})
    broken = json.loads(json.dumps(payload))
    broken["plan"][0]["legs"][0]["km"] = "far"
    with pytest.raises(ValidationError):
        typed_rail_result(broken)
    without = {k: v for k, v in payload.items() if k != "feasible"}
    with pytest.raises(ValidationError):
        typed_rail_result(without)


def test_schema_names_the_rail_fields() -> None:
    schema = json.loads(schema_text(RailResultPayload))
    assert {"scenario", "cost", "feasible", "plan", "windows", "van_tour_cost"} <= set(
        schema["required"]
    )
