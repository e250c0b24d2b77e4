"""The nightly rail flow: its deployment parameters validate, and its function runs the
library path (artifacts stubbed: no Prefect server here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def test_deployment_entry_and_parameter_schema() -> None:
    from prefect.utilities.callables import parameter_schema

    from flows.rail import nightly_rail_plan

    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    entry = next(d for d in spec["deployments"] if d["name"] == "nightly-rail-plan")
    assert entry["entrypoint"] == "flows/rail.py:nightly_rail_plan"
    schema = parameter_schema(nightly_rail_plan.fn).model_dump()
    props = schema["properties"]
    assert set(entry["parameters"]) <= set(props)
    assert props["time_limit"]["exclusiveMinimum"] == 0
    policies = props["policy"].get("enum") or schema["definitions"]["RailPolicy"]["enum"]
    assert "local" in policies and "hybrid" in policies


def test_flow_function_writes_the_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qroute.orchestration.rail as module

    seen: dict[str, Any] = {}
    monkeypatch.setattr(module, "create_markdown_artifact", lambda **kw: seen.update(kw))
    payload = module.nightly_rail_plan.fn(
        consignments=15, services=8, time_limit=2.0, out_root=str(tmp_path)
    )
    assert payload["feasible"] and len(payload["plan"]) == 15
    assert seen["key"] == "nightly-rail-plan" and "qroute rail" in seen["markdown"]
    assert list(tmp_path.glob("*/result.json"))
