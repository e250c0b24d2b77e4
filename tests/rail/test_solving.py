"""The window QUBOs through the backends, provenance classes, the plan, the validator,
disruptions, the command and the flow."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import dimod
import pytest

from qroute.backends.hardware import load_profiles
from qroute.model.errors import UsageError
from qroute.model.provenance import PROVENANCE_CLASSES
from qroute.rail.disruption import parse_disruption, replan
from qroute.rail.model import RailNetwork, hhmm
from qroute.rail.options import all_options, capacities
from qroute.rail.plan import RailConfig, RailPlan, plan_rail, weights_of
from qroute.rail.qubo import window_qubo
from qroute.rail.samplers import RailSamplers, provenance_class
from qroute.rail.validate import validate_plan


def test_provenance_classes() -> None:
    assert provenance_class("dwave-sa") == "classical_sampler"
    assert provenance_class("dwave-tabu") == "classical_sampler"
    assert provenance_class("mip") == "classical_sampler"
    assert provenance_class("qaoa-statevector") == "quantum_simulator"
    assert provenance_class("braket-local") == "quantum_simulator"
    assert provenance_class("dwave-qpu") == "qpu"
    assert provenance_class("leap-hybrid-bqm") == "hybrid_service"
    assert provenance_class("dwave-qpu", injected=True) == "classical_sampler"


def test_window_limits_come_from_the_hardware_profiles() -> None:
    samplers = RailSamplers()
    profiles = load_profiles()
    assert samplers.max_variables("dwave-sa") == profiles["dwave-sa"].max_subproblem_qubits
    assert samplers.max_variables("qaoa-statevector") == 16
    assert samplers.max_variables("leap-hybrid-bqm") == profiles["dwave-hybrid-bqm"].qubits
    assert samplers.max_variables("dwave-qpu") in (180, 184)  # busclique of P16 / Z(12,4)


def _tiny_window(net: RailNetwork, max_vars: int) -> tuple:
    options = all_options(net)
    weights = weights_of(net)
    cap = capacities(net)
    ids = [c for c in options if len(options[c]) > 1]
    for c in ids:
        truck = next(o for o in options[c] if o.kind == "truck")
        head = options[c][:3]
        trimmed = {c: head if truck in head else (*options[c][:2], truck)}
        wq = window_qubo([c], trimmed, cap, weights)
        if wq.num_variables <= max_vars:
            return c, trimmed, cap, weights, wq
    raise AssertionError("no tiny window")


def test_qaoa_takes_a_16_qubit_window_and_is_a_simulator(small_net: RailNetwork) -> None:
    from qroute.model.solver import Budget

    _, options, cap, weights, wq = _tiny_window(small_net, 16)
    got = RailSamplers().solve(["qaoa-statevector"], wq, Budget(seed=3, shots=200))
    assert got.backend_used == "qaoa-statevector"
    assert got.provenance_class == "quantum_simulator"
    assert got.sampleset.record.num_occurrences.sum() == 200


def test_refusals_fall_back_with_reasons(small_net: RailNetwork) -> None:
    from qroute.model.solver import Budget

    _, options, cap, weights, wq = _tiny_window(small_net, 16)
    got = RailSamplers().solve(["dwave-qpu", "leap-hybrid-bqm", "dwave-sa"], wq, Budget(seed=1))
    assert got.backend_used == "dwave-sa" and got.provenance_class == "classical_sampler"
    assert got.fallback_reason is not None
    assert "dwave-qpu: paid service" in got.fallback_reason
    assert "leap-hybrid-bqm: paid service" in got.fallback_reason


def test_qpu_path_offline_with_mock_is_not_called_a_qpu(small_net: RailNetwork) -> None:
    from dwave.system.testing import MockDWaveSampler

    from qroute.model.solver import Budget

    _, options, cap, weights, wq = _tiny_window(small_net, 16)
    samplers = RailSamplers(injected={"dwave-qpu": MockDWaveSampler()})
    got = samplers.solve(["dwave-qpu"], wq, Budget(seed=1, shots=20))
    assert got.backend_used == "dwave-qpu"
    assert got.provenance_class == "classical_sampler"  # a mock is not a QPU
    assert "Mock" in got.device


def test_hybrid_path_offline_with_a_double(small_net: RailNetwork) -> None:
    from qroute.model.solver import Budget

    _, options, cap, weights, wq = _tiny_window(small_net, 16)
    samplers = RailSamplers(injected={"leap-hybrid-bqm": dimod.ExactSolver()})
    got = samplers.solve(["leap-hybrid-bqm"], wq, Budget(seed=1))
    assert got.backend_used == "leap-hybrid-bqm" and got.provenance_class == "classical_sampler"


def test_plan_is_feasible_no_worse_than_greedy_and_gap_is_true(small_plan: RailPlan) -> None:
    legs = {c: small_plan.chosen(c).legs for c in small_plan.choice}
    report = validate_plan(small_plan.network, legs)
    assert report.feasible, report.violations
    assert small_plan.cost <= small_plan.greedy_cost + 1e-6
    assert small_plan.mip is not None and small_plan.mip.optimal
    assert small_plan.mip.cost is not None and small_plan.cost >= small_plan.mip.cost - 1e-6
    gap = (small_plan.cost - small_plan.mip.cost) / small_plan.mip.cost * 100
    assert small_plan.gap_percent == pytest.approx(gap)
    assert small_plan.records
    for r in small_plan.records:
        assert r.provenance_class in PROVENANCE_CLASSES
        assert r.cost_window_mip is not None and r.cost_qubo >= r.cost_window_mip - 1e-6
        assert not (r.adopted and r.cost_qubo >= r.cost_before)


def test_exact_policy_is_the_mip(small_net: RailNetwork) -> None:
    plan = plan_rail(small_net, RailConfig(policy="exact", time_limit=10))
    assert plan.mip is not None and plan.cost == pytest.approx(plan.mip.cost)
    assert not plan.records


def test_validator_catches_each_kind_of_error(small_plan: RailPlan) -> None:
    net = small_plan.network
    legs = {c: small_plan.chosen(c).legs for c in small_plan.choice}
    railed = next(c for c in legs if any(leg.mode == "rail" for leg in legs[c]))
    missing = dict(legs)
    del missing[railed]
    assert f"{railed}: not in the plan" in validate_plan(net, missing).violations
    i = next(i for i, leg in enumerate(legs[railed]) if leg.mode == "rail")
    rail = legs[railed][i]
    moved = dataclasses.replace(rail, depart=rail.depart - 5, arrive=rail.arrive - 5)
    wrong = {**legs, railed: (*legs[railed][:i], moved, *legs[railed][i + 1 :])}
    assert any("times differ from the timetable" in v for v in validate_plan(net, wrong).violations)
    svc = net.service[rail.service or ""]
    full = dataclasses.replace(svc, capacity_kg=tuple(0 for _ in svc.capacity_kg))
    net0 = net.replace(services=tuple(full if s.id == svc.id else s for s in net.services))
    assert any("kg over the 0 kg allowance" in v for v in validate_plan(net0, legs).violations)
    late_report = validate_plan(net, legs)
    assert late_report.lateness_min == {c: small_plan.chosen(c).lateness_min for c in legs}


def test_disruption_specs() -> None:
    from qroute.rail.scenario import hsr_yangtze

    net = hsr_yangtze(10, 10)
    sid = net.services[0].id
    d = parse_disruption(f"{sid}:+30", net)
    assert (d.kind, d.minutes, d.at) == ("delay", 30, net.services[0].stops[0].depart)
    assert parse_disruption(f"{sid}:cancel@09:15", net).at == 555
    for bad in ("G1:+30", f"{sid}:-5", f"{sid}:cancel", f"{sid}:cancel@9:75", "nonsense"):
        with pytest.raises(UsageError):
            parse_disruption(bad, net)


@pytest.mark.parametrize("kind", ["delay", "cancel"])
def test_replan_keeps_what_left_and_is_feasible(small_plan: RailPlan, kind: str) -> None:
    from collections import Counter

    use = Counter(s for c in small_plan.choice for s in small_plan.chosen(c).services)
    sid = use.most_common(1)[0][0]
    service = small_plan.network.service[sid]
    at = service.stops[1].depart if len(service.stops) > 2 else service.stops[0].depart
    spec = f"{sid}:+60@{hhmm(at)}" if kind == "delay" else f"{sid}:cancel@{hhmm(at)}"
    d = parse_disruption(spec, small_plan.network)
    done = replan(small_plan, d, RailConfig(time_limit=3))
    plan = done.plan
    assert done.affected
    legs = {c: plan.chosen(c).legs for c in plan.choice}
    report = validate_plan(plan.network, legs, done.banned, d.at)
    assert report.feasible, report.violations
    for cid in small_plan.choice:
        before = small_plan.chosen(cid)
        if cid not in done.affected:
            assert plan.chosen(cid) == before
            continue
        kept = [leg for leg in before.legs if leg.arrive <= d.at and leg.service != sid]
        for leg in kept:  # legs finished before the disruption are still there
            assert leg in plan.chosen(cid).legs
        if kind == "cancel":
            assert all(
                (leg.service, k) not in done.banned
                for leg in plan.chosen(cid).legs if leg.mode == "rail"
                for k in range(leg.board or 0, leg.alight or 0)
            )  # fmt: skip


def test_cli_rail_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "qroute.cli.app", "rail", "--size", "25", "--services", "10",
         "--time-limit", "2", "--out", str(out), "--disrupt", "G7001:+30"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    payload = json.loads((out / "result.json").read_text())
    assert payload["feasible"] and len(payload["plan"]) == 25
    assert payload["mip"]["cost"] is not None and payload["gap_to_mip_percent"] is not None
    assert set(payload["provenance"]["windows_solved"]) == set(PROVENANCE_CLASSES)
    assert payload["disruption"]["spec"] == "G7001:+30"
    assert {"service_loads", "late", "by_truck", "van_tours"} <= set(payload)
    assert (out / "summary.md").read_text().startswith("# qroute rail")
    assert (out / "corridor.png").stat().st_size > 10_000


def test_cli_paid_policy_without_credentials_sends_nothing_and_says_why(tmp_path: Path) -> None:
    import os

    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DWAVE_", "QROUTE_"))}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"))
    done = subprocess.run(
        [sys.executable, "-m", "qroute.cli.app", "rail", "--size", "20", "--services", "8",
         "--time-limit", "1", "--no-mip", "--policy", "cqm", "--budget-usd", "1",
         "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    payload = json.loads((out / "result.json").read_text())
    assert payload["feasible"] and payload["windows"] and payload["cloud_cost_usd"] == 0.0
    for window in payload["windows"]:
        assert window["backend_requested"] == "leap-hybrid-cqm"
        assert window["backend_used"] != "leap-hybrid-cqm" and window["cost_usd"] == 0.0
        assert window["fallback_reason"].startswith("leap-hybrid-cqm: ")
        assert "token" in window["fallback_reason"].lower()


def test_backend_comparison_on_assignment_windows() -> None:
    from qroute.rail.comparison import CONTROL, compare_backends, summary, window_cases
    from qroute.rail.scenario import hsr_yangtze

    cases = window_cases(hsr_yangtze(60, 20, seed=3), 2, min_vars=6, max_vars=12, pool=20)
    assert len(cases) == 2 and all(6 <= c.qubo.num_variables <= 12 for c in cases)
    records = compare_backends(cases, ["dwave-sa", "qaoa-statevector"], shots=100)
    assert len(records) == 3 * 2
    rows = {r["backend"]: r for r in summary(records)}
    assert rows["dwave-sa"]["optimum_found"] == 2  # 100 SA reads on ≤ 12 variables
    assert rows["dwave-sa"]["provenance_class"] == "classical_sampler"
    assert rows["qaoa-statevector"]["provenance_class"] == "quantum_simulator"
    assert CONTROL in rows
    for r in records:
        assert r["gap_percent"] >= -1e-9
        assert r["optimum_found"] == (abs(r["gap_percent"]) < 1e-6 and not r["repaired"])


def test_a_disruption_that_touches_nobody_keeps_the_plan(small_plan: RailPlan) -> None:
    used = {s for c in small_plan.choice for s in small_plan.chosen(c).services}
    idle = next((s.id for s in small_plan.network.services if s.id not in used), None)
    if idle is None:
        pytest.skip("every service carries cargo in this plan")
    done = replan(small_plan, parse_disruption(f"{idle}:cancel@06:00", small_plan.network))
    assert done.affected == ()
    assert done.plan.choice == small_plan.choice and done.plan.cost == small_plan.cost
    assert done.plan.mip == small_plan.mip


def test_van_legs_are_priced_with_the_routed_tour_factor(small_plan: RailPlan) -> None:
    from qroute.rail.trucks import route_vans

    tariff = small_plan.network.tariff
    assert tariff.van_route_factor > 1.0  # tours drive back to the station
    legs = {c: small_plan.chosen(c).legs for c in small_plan.choice}
    vans = [leg for plan in legs.values() for leg in plan if leg.mode == "van"]
    assert vans
    for leg in vans:
        assert leg.cost == pytest.approx(leg.km * tariff.van_leg_cny_per_km, abs=0.02)
    routed = sum(t.cost for t in route_vans(small_plan.network, legs))
    priced = sum(leg.cost for leg in vans)
    stems = priced / tariff.van_route_factor  # what the options priced before this estimate
    assert abs(priced - routed) < abs(stems - routed)


def test_van_estimate_can_be_switched_off(small_net: RailNetwork) -> None:
    plan = plan_rail(small_net, RailConfig(policy="exact", time_limit=5, estimate_vans=False))
    assert plan.network.tariff.van_route_factor == 1.0
    assert "van_estimate" not in plan.phase_seconds
