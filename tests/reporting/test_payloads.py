"""The typed payloads: result.json, comparison records and nightly rows, and their schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from qroute.model.scenario import yangtze_delta
from qroute.reporting.comparison import RECORD_FIELDS, typed_record
from qroute.reporting.output import result_payload, typed_result, write_result_json
from qroute.reporting.payloads import (
    SCHEMAS,
    ComparisonRecord,
    NightlyRow,
    ResultPayload,
    schema_text,
    write_schemas,
)
from tests.paths import REPO


def test_the_schema_files_in_docs_match_the_models(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert sorted(p.name for p in written) == sorted(SCHEMAS)
    for path in written:
        committed = REPO / "docs" / "schemas" / path.name
        assert committed.is_file(), "run: python -m qroute.reporting.payloads docs/schemas"
        assert committed.read_text() == path.read_text(), (
            f"{committed} is stale: python -m qroute.reporting.payloads docs/schemas"
        )
    result = json.loads(schema_text(ResultPayload))
    assert {"instance", "cost", "feasible", "status"} <= set(result["required"])
    assert "quantum_share" in result["properties"] and "ablation" in result["properties"]


def _payload() -> dict[str, Any]:
    problem = yangtze_delta(num_customers=12)
    routes = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    return result_payload(
        problem,
        routes,
        wall_seconds=1.5,
        settings={"policy": "local", "time_limit": 2.0, "seed": 0},
        timing={"total_seconds": 3.0, "hybrid_seconds": 1.5},
        quantum_share={"arc_share": 0.25, "arcs_from": {"quantum": 4, "classical": 12}},
        extra={"subproblems_initial": 3},
    )


def test_result_payload_is_typed_and_keeps_its_key_order() -> None:
    payload = _payload()
    keys = list(payload)
    assert keys[:4] == ["instance", "source", "num_customers", "status"]
    assert keys[-2:] == ["routes", "subproblems_initial"]
    assert payload["ablation"] == {}  # every result carries its ablation (empty: no QUBO solves)
    assert payload["quantum_share"]["arc_share"] == 0.25
    assert payload["quantum_share"]["solves"] == 0  # computed from the (empty) records
    assert payload["timing"] == {"total_seconds": 3.0, "hybrid_seconds": 1.5}
    assert ResultPayload.model_validate(payload).cost == pytest.approx(payload["cost"])


def test_open_parts_take_the_route_selection_and_cold_chain_additions(tmp_path: Path) -> None:
    payload = _payload()
    payload["quantum_share"]["by_class"] = {"qpu": 0, "quantum_simulator": 3}
    payload["quantum_share"]["final_routes_selected_by_qubo"] = 2
    payload["quantum_share"]["something_new"] = [1, 2]
    payload["ablation"] = {"selection": {"exact_cost": 10.0}, "routes": {"changed": 1}}
    payload["cold_chain"] = {"max_temperature_c": 8}
    written = json.loads(write_result_json(tmp_path / "result.json", payload).read_text())
    assert written["quantum_share"]["by_class"] == {"qpu": 0, "quantum_simulator": 3}
    assert written["quantum_share"]["final_routes_selected_by_qubo"] == 2
    assert written["quantum_share"]["something_new"] == [1, 2]
    assert written["ablation"]["selection"] == {"exact_cost": 10.0}
    assert written["cold_chain"] == {"max_temperature_c": 8}


@pytest.mark.parametrize(
    ("field", "value"),
    [("cost", "cheap"), ("feasible", "maybe"), ("routes", [["a"]]), ("instance", None)],
)
def test_a_wrongly_typed_result_is_refused(field: str, value: Any) -> None:
    payload = _payload()
    payload[field] = value
    with pytest.raises(ValidationError, match=field):
        typed_result(payload)


def test_comparison_records_follow_the_model() -> None:
    assert RECORD_FIELDS[0] == "schema" and RECORD_FIELDS[-1] == "details"
    assert len(RECORD_FIELDS) == len(ComparisonRecord.model_fields) == 38
    record = dict.fromkeys(RECORD_FIELDS)
    record.update(schema=1, run_id="comparison-x", backend="exact", size=4, seed=0, status="ok")
    typed = typed_record(record)
    assert tuple(typed) == RECORD_FIELDS and typed["size"] == 4
    with pytest.raises(ValidationError, match="unexpected"):
        typed_record({**record, "unexpected": 1})
    with pytest.raises(ValidationError, match="size"):
        typed_record({**record, "size": "four"})


def test_nightly_rows_need_an_instance_and_a_cost() -> None:
    row = NightlyRow(ts="2026-11-26T02:00:00Z", instance="X-n101-k25", cost=27591.0)
    assert row.model_dump()["quantum_share"] is None
    with pytest.raises(ValidationError):
        NightlyRow(ts="2026-11-26T02:00:00Z", instance="", cost=1.0)
    with pytest.raises(ValidationError):
        NightlyRow.model_validate({"ts": "t", "instance": "x", "cost": 1.0, "extra": 1})
