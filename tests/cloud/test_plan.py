"""The dry run prices every dispatch and sends nothing; the CLI options and the cloud policy."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from qroute.cli.cloud_commands import (
    default_subproblems,
    print_dry_run,
)
from qroute.cloud import current_settings
from qroute.cloud.policy import cloud_chain
from qroute.model.subproblem import random_route_tsp

from .fakes import toy_problem

SUBS = [
    random_route_tsp(3, seed=1),
    random_route_tsp(4, seed=2),
    random_route_tsp(7, seed=3),
    random_route_tsp(14, seed=4),
]
GARNET = "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet"


@pytest.fixture
def no_sdk_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way of reaching a cloud service raises and is counted."""
    import botocore.client
    import dwave.cloud
    import dwave.system
    from braket.aws import AwsDevice, AwsQuantumTask, AwsSession

    calls: list[str] = []

    def refuse(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"dry run called {name}")

        return call

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse("boto API call"))
    monkeypatch.setattr(AwsDevice, "__init__", refuse("AwsDevice"))
    monkeypatch.setattr(AwsDevice, "run", refuse("AwsDevice.run"))
    monkeypatch.setattr(AwsQuantumTask, "create", refuse("AwsQuantumTask.create"))
    monkeypatch.setattr(AwsSession, "__init__", refuse("AwsSession"))
    monkeypatch.setattr(dwave.system.DWaveSampler, "__init__", refuse("DWaveSampler"))
    monkeypatch.setattr(dwave.system.LeapHybridSampler, "__init__", refuse("LeapHybridSampler"))
    monkeypatch.setattr(dwave.cloud.Client, "from_config", refuse("Client.from_config"))
    return calls


def test_dry_run_prints_device_shots_cost_and_total_and_sends_nothing(
    registered: list[str], no_sdk_calls: list[str]
) -> None:
    out = io.StringIO()
    plan = print_dry_run(
        toy_problem(), "cloud", 5.0, subproblems=SUBS, assume_available=True, out=out
    )
    text = out.getvalue()
    assert no_sdk_calls == []
    backends = [item.backend for item in plan.items]
    # cheapest QPU first (IQM Garnet: $0.30 + 1000 x $0.00145), twice within $5
    assert backends == [
        "braket-iqm-garnet",
        "braket-iqm-garnet",
        "leap-advantage2",
        "leap-hybrid-bqm",
    ]
    assert plan.items[0].device == GARNET and plan.items[0].shots == 1000
    assert plan.items[0].estimated_usd == pytest.approx(1.75)
    assert plan.items[2].device == "Advantage2_system1.10" and plan.items[2].shots == 1000
    assert plan.items[3].shots == 1
    assert plan.total_usd == pytest.approx(
        3.5 + plan.items[2].estimated_usd + plan.items[3].estimated_usd
    )
    for needle in (
        "subproblem",
        "device",
        "shots",
        "est. USD",
        GARNET,
        "$1.75",
        "Advantage2_system1.10",
        f"Total estimated cost: ${plan.total_usd:,.2f}",
        "Nothing was sent.",
    ):
        assert needle in text
    assert current_settings().ledger().entries() == []  # not even a reservation
    assert f"Run id {current_settings().run_id} (tags of its Braket tasks" in text


def test_dry_run_applies_the_budget_like_the_guard(
    registered: list[str], no_sdk_calls: list[str]
) -> None:
    plan = print_dry_run(
        toy_problem(),
        "cloud",
        2.0,
        subproblems=SUBS[:2],
        assume_available=True,
        out=io.StringIO(),
    )
    assert [item.backend for item in plan.items] == ["braket-iqm-garnet", "braket-sv1"]
    passed = plan.items[1].passed_over
    assert any("braket-iqm-garnet: budget:" in reason for reason in passed)
    assert any("braket-ionq-forte-1: budget:" in reason for reason in passed)
    assert no_sdk_calls == []


def test_dry_run_without_credentials_shows_the_local_plan_and_why(
    registered: list[str], no_sdk_calls: list[str]
) -> None:
    out = io.StringIO()
    plan = print_dry_run(toy_problem(), "cloud", 5.0, subproblems=SUBS[:1], out=out)
    assert plan.items[0].backend == "qaoa-statevector"
    assert plan.total_usd == 0
    assert "braket-iqm-garnet: no AWS credentials" in out.getvalue()
    assert no_sdk_calls == []


def test_dry_run_json_and_default_subproblems(
    registered: list[str], no_sdk_calls: list[str]
) -> None:
    problem = toy_problem(9)
    subs = default_subproblems(problem)
    assert sum(s.size for s in subs) == 9
    out = io.StringIO()
    print_dry_run(problem, "local", None, as_json=True, out=out)
    payload = json.loads(out.getvalue())
    assert payload["sent"] == "nothing (dry run)"
    assert payload["run_id"] == current_settings().run_id
    assert payload["total_usd"] == 0
    assert len(payload["items"]) == len(subs)
    assert {item["backend"] for item in payload["items"]} == {"dwave-sa"}


def test_cloud_chain_orders_qpus_then_simulators_then_local(registered: list[str]) -> None:
    assert cloud_chain(SUBS[0]) == [
        "braket-iqm-garnet",
        "braket-iqm-emerald",
        "braket-ionq-forte-1",
        "braket-sv1",
        "qaoa-statevector",
        "dwave-sa",
        "exact",
    ]
    assert cloud_chain(SUBS[2]) == ["leap-advantage2", "leap-advantage", "dwave-sa", "exact"]
    assert cloud_chain(SUBS[3]) == ["leap-hybrid-bqm", "dwave-sa", "exact"]
    assert set(cloud_chain(SUBS[0])) - {"qaoa-statevector", "dwave-sa", "exact"} <= set(registered)


def test_solve_options_parse_and_configure(tmp_path: Any, capsys: Any) -> None:
    from qroute.cli.app import main

    argv = ["solve", "--size", "12", "--policy", "local", "--out", str(tmp_path / "run")]
    argv += ["--budget-usd", "5", "--nightly-budget-usd", "20", "--dry-run"]
    argv += ["--spend-dir", str(tmp_path / "spend"), "--cloud-wait-seconds", "30"]
    assert main(argv) == 0
    assert "Problem yangtze-delta-n12" in capsys.readouterr().out  # the plan, nothing sent
    settings = current_settings()
    assert settings.budget_usd == 5.0 and settings.nightly_budget_usd == 20.0
    assert settings.run_dir == tmp_path / "run" and settings.wait_seconds == 30.0
    assert main(["solve", "--budget-usd", "-1"]) == 2
    assert "expected a number >= 0, got '-1'" in capsys.readouterr().err


def test_registered_backends_and_their_sizes(registered: list[str]) -> None:
    from qroute.backends import capacity, get_backend

    sizes = {name: capacity(get_backend(name)) for name in registered}
    assert sizes["braket-ionq-forte-1"] == 4
    assert sizes["pennylane-braket-sv1"] == 4
    assert sizes["leap-advantage"] == 10
    assert sizes["leap-hybrid-bqm"] == 40
