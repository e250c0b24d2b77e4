"""Cost estimates, the run and nightly budget guard, and budget fallbacks in dispatch."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from qroute.cloud import CloudSettings
from qroute.cloud.braket import BraketQAOABackend
from qroute.cloud.cost import (
    BudgetExceeded,
    SpendFile,
    estimate_annealer,
    estimate_gate_task,
    estimate_hybrid,
    night_of,
)
from qroute.cloud.dwave_leap import LeapQPUBackend
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.solver import Budget
from qroute.model.subproblem import random_route_tsp

from .fakes import FakeBraket, FakeLeap, profile

SUB = random_route_tsp(3, seed=1)


def test_estimates_follow_the_profile_prices() -> None:
    garnet = estimate_gate_task(profile("iqm-garnet"), 1000, qubits=16)
    assert garnet.usd == pytest.approx(0.30 + 1000 * 0.00145)
    sv1 = estimate_gate_task(profile("braket-sv1"), 1000, qubits=16, gates=300)
    assert sv1.usd == pytest.approx(0.075 * 3 / 60)  # the 3-second minimum
    assert "3 s minimum" in sv1.basis
    annealer = estimate_annealer(profile("dwave-advantage"), 1000)
    assert annealer.usd == pytest.approx((15_800 + 1000 * 191) / 1e6 * 0.5556)
    assert annealer.price_is_estimate  # the profile flags its D-Wave price as an estimate
    hybrid = estimate_hybrid(profile("dwave-hybrid-bqm"), 64)
    assert hybrid.usd == pytest.approx(3 / 60 * 1.6667)


def test_nights_run_from_noon_to_noon() -> None:
    assert night_of(datetime(2026, 1, 8, 2, 0)) == date(2026, 1, 7)
    assert night_of(datetime(2026, 1, 7, 23, 0)) == date(2026, 1, 7)
    assert night_of(datetime(2026, 1, 7, 11, 59)) == date(2026, 1, 6)


def sv1(fake: FakeBraket, settings: CloudSettings) -> BraketQAOABackend:
    return BraketQAOABackend(
        profile("braket-sv1"), session_factory=fake.session, settings=settings, maxiter=10
    )


def dispatch(backend: BraketQAOABackend | LeapQPUBackend, name: str):  # type: ignore[no-untyped-def]
    return Dispatcher(chain=lambda sub, kind: [name, "exact"], backends={name: backend})


def test_without_a_run_budget_paid_work_is_refused_and_falls_back(
    settings: CloudSettings,
) -> None:
    unbudgeted = dataclasses.replace(settings, budget_usd=None)
    fake = FakeBraket()  # nothing queued: not even GetDevice may happen
    result = dispatch(sv1(fake, unbudgeted), "braket-sv1").solve(SUB, Budget(seed=1))
    assert sum(fake.calls.values()) == 0
    prov = result.provenance
    assert prov.backend_used == "exact" and prov.backend_requested == "braket-sv1"
    assert prov.fallback_reason is not None
    assert prov.fallback_reason.startswith(
        "braket-sv1: budget: no run budget set (--budget-usd), so the paid dispatch"
    )
    assert prov.cost_usd == 0.0
    assert settings.ledger().entries() == []


def test_a_dispatch_over_the_run_budget_is_refused_with_the_numbers(
    settings: CloudSettings,
) -> None:
    tight = dataclasses.replace(settings, budget_usd=0.002)
    fake = FakeBraket()
    result = dispatch(sv1(fake, tight), "braket-sv1").solve(SUB, Budget(seed=1))
    assert fake.creates == 0
    reason = result.provenance.fallback_reason or ""
    assert "would bring this run to $0.0037, over its $0.0020 budget" in reason


def test_max_cost_per_solve_is_honoured(settings: CloudSettings) -> None:
    fake = FakeBraket()
    result = dispatch(sv1(fake, settings), "braket-sv1").solve(
        SUB, Budget(seed=1, max_cost_usd=0.001)
    )
    assert "exceeds this solve's max_cost_usd $0.0010" in (result.provenance.fallback_reason or "")


def test_the_nightly_budget_spans_runs(settings: CloudSettings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    leap = FakeLeap()
    sub = random_route_tsp(4, seed=2)
    first = dataclasses.replace(settings, nightly_budget_usd=0.118)
    backend = LeapQPUBackend(
        profile("dwave-advantage2"), child=leap.child(), client_factory=leap.client, settings=first
    )
    # 1000 reads are estimated at ~USD 0.115, reserved, then settled at the mock's real timing
    backend.solve(sub, Budget(seed=1, shots=1000))
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7))
    assert spend.total_usd() == pytest.approx(8550.28 / 1e6 * 0.5556, abs=1e-6)

    # another run (its own ledger) the same night: its estimate no longer fits the night
    second = dataclasses.replace(first, run_dir=tmp_path / "second-run")
    other = LeapQPUBackend(
        profile("dwave-advantage2"), child=leap.child(), client_factory=leap.client, settings=second
    )
    result = dispatch(other, "leap-advantage2").solve(
        random_route_tsp(4, seed=9), Budget(seed=1, shots=1000)
    )
    assert leap.submissions == 1
    reason = result.provenance.fallback_reason or ""
    assert "would bring the night of 2026-01-07 to" in reason
    assert "over the nightly $0.12 budget" in reason


def test_the_guard_reserves_then_settles_once_per_dispatch(settings: CloudSettings) -> None:
    guard = settings.guard()
    estimate = estimate_gate_task(profile("iqm-garnet"), 1000, qubits=16)
    guard.reserve(
        key="k1",
        subproblem="s",
        backend="braket-iqm-garnet",
        params={},
        estimate=estimate,
        budget=Budget(),
    )
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert spend["entries"]["k1"] == {**spend["entries"]["k1"], "usd": 1.75, "actual": False}
    assert settings.ledger().run_spend_usd() == pytest.approx(1.75)
    # a second reservation would take the $5 run to $5.25
    guard.reserve(
        key="k2", subproblem="s", backend="b", params={}, estimate=estimate, budget=Budget()
    )
    with pytest.raises(BudgetExceeded, match=r"this run to \$5.25, over its \$5.00 budget"):
        guard.reserve(
            key="k3", subproblem="s", backend="b", params={}, estimate=estimate, budget=Budget()
        )
    settings.ledger().mark_completed("k1", 0.5, {})
    guard.settle("k1", 0.5)
    spend = SpendFile(settings.spend_dir, date(2026, 1, 7)).read()
    assert spend["total_usd"] == pytest.approx(0.5 + 1.75)
    assert settings.ledger().run_spend_usd() == pytest.approx(0.5 + 1.75)


@pytest.mark.parametrize("damage", ["not sqlite", "newer version", "legacy json"])
def test_an_unreadable_spend_store_refuses_paid_work(settings: CloudSettings, damage: str) -> None:
    settings.spend_dir.mkdir(parents=True)
    if damage == "not sqlite":
        (settings.spend_dir / "qroute.sqlite").write_bytes(b"{not a database" * 100)
    elif damage == "newer version":
        with sqlite3.connect(settings.spend_dir / "qroute.sqlite") as connection:
            connection.execute("PRAGMA user_version = 99")
    else:  # a legacy spend file the new store cannot import
        (settings.spend_dir / "2026-01-07.json").write_text("{not json")
    fake = FakeBraket()
    result = dispatch(sv1(fake, settings), "braket-sv1").solve(SUB, Budget(seed=1))
    assert "nightly spend store" in (result.provenance.fallback_reason or "")
    assert "refusing paid dispatches" in (result.provenance.fallback_reason or "")
    assert fake.creates == 0


def test_settings_come_from_the_qroute_environment_with_one_line_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from qroute.cloud.settings import CloudSettings

    monkeypatch.setenv("QROUTE_BUDGET_USD", "2.5")
    monkeypatch.setenv("QROUTE_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("QROUTE_CLOUD_WAIT_SECONDS", "")  # empty counts as unset
    monkeypatch.setenv("QROUTE_BRAKET_S3_BUCKET", "results-bucket")
    settings = CloudSettings.from_env()
    assert settings.budget_usd == 2.5 and settings.run_dir == tmp_path
    assert settings.wait_seconds == 600.0 and settings.s3_bucket == "results-bucket"
    monkeypatch.setenv("QROUTE_NIGHTLY_BUDGET_USD", "ten")
    with pytest.raises(ValueError) as caught:
        CloudSettings.from_env()
    assert (
        str(caught.value)
        == "$QROUTE_NIGHTLY_BUDGET_USD must be a number of USD / seconds, got 'ten'"
    )


def test_nights_roll_over_at_noon_utc_whatever_the_machine_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time
    from datetime import UTC
    from zoneinfo import ZoneInfo

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        new_york = ZoneInfo("America/New_York")
        # 22:00 in New York is 03:00 UTC the next day: still the night of the 7th
        assert night_of(datetime(2026, 1, 7, 22, 0, tzinfo=new_york)) == date(2026, 1, 7)
        # 08:00 in New York is 13:00 UTC: the night of the 8th has begun (local noon would not)
        assert night_of(datetime(2026, 1, 8, 8, 0, tzinfo=new_york)) == date(2026, 1, 8)
        # the default is now in UTC, not the naive local time
        assert night_of() == night_of(datetime.now(UTC))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


class _PaidStub:
    """A paid backend reduced to its budget part: it reserves through the real guard (ledger
    row + spend), then its task times out (the row stays open, its estimate committed)."""

    paradigm = "gate"
    device = "stub device"
    max_variables = 100

    def __init__(self, name: str, usd_each: float, settings: CloudSettings) -> None:
        self.name = name
        self.usd_each = usd_each
        self.settings = settings
        self.reserved: list[str] = []

    def availability(self):  # type: ignore[no-untyped-def]
        from qroute.backends.base import Availability

        return Availability(True)

    def solve(self, problem, budget, *, kind=None):  # type: ignore[no-untyped-def]
        from qroute.cloud.cost import CostEstimate
        from qroute.model.solver import BackendUnavailable

        key = f"{self.name}:{problem.name}"
        estimate = CostEstimate(
            profile=self.name, device=self.name, usd=self.usd_each, shots=100, basis="stub"
        )
        self.settings.guard().reserve(
            key=key,
            subproblem=problem.name,
            backend=self.name,
            params={},
            estimate=estimate,
            budget=budget,
        )
        self.reserved.append(key)
        raise BackendUnavailable(f"{self.name}: no answer within the wait (task still queued)")


def _paid_chain(settings: CloudSettings, *names: str) -> tuple[Dispatcher, list[_PaidStub]]:
    stubs = [_PaidStub(name, 0.6, settings) for name in names]
    chain = Dispatcher(
        chain=lambda sub, kind: [*names, "exact"], backends={s.name: s for s in stubs}
    )
    return chain, stubs


def test_the_solve_cap_covers_the_whole_fallback_chain(settings: CloudSettings) -> None:
    chain, (first, second) = _paid_chain(settings, "paid-a", "paid-b")
    result = chain.solve(SUB, Budget(seed=1, max_cost_usd=1.0))
    # each $0.60 dispatch fits the $1 cap alone; the second would make the solve $1.20
    assert first.reserved and not second.reserved
    assert result.provenance.backend_used == "exact"
    reason = result.provenance.fallback_reason or ""
    assert (
        "paid-b: budget: estimated $0.60 (stub) would bring this solve to $1.20, over its "
        "max_cost_usd $1.00 ($0.60 already spent or committed by its earlier dispatches)"
    ) in reason
    assert settings.ledger().run_spend_usd() == pytest.approx(0.6)


def test_each_walk_of_the_chain_has_its_own_cap_unless_the_budget_shares_one(
    settings: CloudSettings,
) -> None:
    from qroute.model.solver import CostTally

    other = random_route_tsp(3, seed=5)
    chain, (stub,) = _paid_chain(settings, "paid-a")
    chain.solve(SUB, Budget(seed=1, max_cost_usd=1.0))
    chain.solve(other, Budget(seed=1, max_cost_usd=1.0))
    assert len(stub.reserved) == 2  # two subproblems, $0.60 each: each within its own cap

    shared = CostTally()  # one cap for the whole solve
    fresh = dataclasses.replace(settings, run_dir=settings.run_dir / "b")
    chain2, (stub2,) = _paid_chain(fresh, "paid-a")
    chain2.solve(SUB, Budget(seed=1, max_cost_usd=1.0, tally=shared))
    result = chain2.solve(other, Budget(seed=1, max_cost_usd=1.0, tally=shared))
    assert len(stub2.reserved) == 1
    assert "would bring this solve to $1.20" in (result.provenance.fallback_reason or "")


def test_the_cap_counts_actual_costs_once_known(settings: CloudSettings) -> None:
    from qroute.model.solver import CostTally

    guard = settings.guard()
    budget = Budget(max_cost_usd=1.0, tally=CostTally())
    estimate = estimate_gate_task(profile("iqm-garnet"), 100, qubits=16)  # 0.30 + 0.145
    for key in ("k1", "k2"):
        guard.reserve(
            key=key, subproblem="s", backend="b", params={}, estimate=estimate, budget=budget
        )
    with pytest.raises(BudgetExceeded, match=r"this solve to \$1.33"):
        guard.reserve(
            key="k3", subproblem="s", backend="b", params={}, estimate=estimate, budget=budget
        )
    settings.ledger().mark_failed("k1", "FAILED: not charged", actual_usd=0.0)
    guard.reserve(
        key="k3", subproblem="s", backend="b", params={}, estimate=estimate, budget=budget
    )
    assert guard.cap_spent_usd(budget) == pytest.approx(2 * 0.445)
