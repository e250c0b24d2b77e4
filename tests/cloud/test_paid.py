"""The paid boundary composite (qroute.cloud.paid): dimod's own sampler/composite tests, and
the ledger, budget and redaction it adds around any child."""

from __future__ import annotations

import tempfile
import unittest
from datetime import datetime
from pathlib import Path
from typing import Any

import dimod
import dimod.testing
import pytest

from qroute.cloud import CloudSettings
from qroute.cloud.cost import BudgetExceeded, CostEstimate
from qroute.cloud.guarded import CloudTaskFailed
from qroute.cloud.paid import (
    LedgeredSampler,
    LedgeredStructuredSampler,
    Pricing,
    ledgered,
    problem_label,
)


def _estimate(usd: float) -> CostEstimate:
    return CostEstimate(profile="test", device="stamped", usd=usd, shots=1, basis="fixed")


class Stamped(dimod.Sampler):  # type: ignore[misc]
    """dimod's ExactSolver standing in for a paid sampler: answers carry a problem id."""

    parameters: dict[str, Any] = {"label": []}
    properties: dict[str, Any] = {}

    def __init__(self, error: Exception | None = None) -> None:
        self.calls = 0
        self.labels: list[str] = []
        self.error = error

    def sample(self, bqm: dimod.BinaryQuadraticModel, label: str = "", **kwargs: Any) -> Any:
        self.calls += 1
        if self.error is not None:
            raise self.error
        self.labels.append(label)
        answer = dimod.ExactSolver().sample(bqm)
        answer.info.update(problem_id=f"stamped-{self.calls}", charge_time=2e6)
        return answer


def _settings(folder: Path, budget: float | None = 5.0) -> CloudSettings:
    return CloudSettings(
        run_dir=folder / "run",
        budget_usd=budget,
        spend_dir=folder / "spend",
        wait_seconds=1.0,
        poll_interval_seconds=0.001,
        live_checks=False,
        clock=lambda: datetime(2026, 1, 7, 12, 0, 0),
    )


def _free_composite() -> LedgeredSampler:
    """The composite over a free child in a fresh run folder (for dimod's generated tests)."""
    folder = Path(tempfile.mkdtemp(prefix="qroute-paid-"))
    return LedgeredSampler(
        Stamped(),
        backend="stamped",
        pricing=Pricing(estimate=lambda m, sent: _estimate(0.0), actual=lambda info: 0.0),
        settings=_settings(folder),
    )


@dimod.testing.load_sampler_bqm_tests(_free_composite, max_num_variables=3)
class TestLedgeredSamplerWithDimodsBQMTests(unittest.TestCase):
    """dimod's generated BQM tests (empty, spin, binary, labelled) on the composite."""


def test_it_is_a_dimod_sampler_and_composite() -> None:
    composite = _free_composite()
    dimod.testing.assert_sampler_api(composite)
    dimod.testing.assert_composite_api(composite)
    assert "label" not in composite.parameters  # the composite names the problem itself
    assert {"subproblem", "max_cost_usd"} <= set(composite.parameters)


def test_over_a_qpu_it_is_structured_for_the_embedding_composite() -> None:
    from dwave.system import EmbeddingComposite
    from dwave.system.testing import MockDWaveSampler

    mock = MockDWaveSampler(topology_type="pegasus", topology_shape=[2])
    composite = ledgered(
        mock,
        backend="mock",
        pricing=Pricing(estimate=lambda m, sent: _estimate(0.0), actual=lambda info: 0.0),
    )
    assert isinstance(composite, LedgeredStructuredSampler)
    dimod.testing.assert_structured_api(composite)
    EmbeddingComposite(composite)  # accepted as a structured child


def test_ledger_row_before_sampling_budget_guard_and_cost_once(tmp_path: Path) -> None:
    child = Stamped()
    settings = _settings(tmp_path)
    composite = LedgeredSampler(
        child,
        backend="stamped",
        pricing=Pricing(
            estimate=lambda m, sent: _estimate(0.05 * float(sent["time_limit"])),
            actual=lambda info: float(info["charge_time"]) / 1e6 * 0.01,
        ),
        settings=settings,
    )
    bqm = dimod.BinaryQuadraticModel({"a": -1.0, "b": 1.0}, {("a", "b"): 2.0}, 0.0, "BINARY")
    answer = composite.sample(bqm, time_limit=3, subproblem="route-7")
    entry = settings.ledger().entries()[0]
    assert entry.subproblem == "route-7" and entry.state == "completed"
    assert entry.estimate_usd == pytest.approx(0.15) and entry.actual_usd == pytest.approx(0.02)
    assert child.labels == [entry.extra["label"]] == [problem_label(settings, entry.key)]
    assert answer.first.sample == {"a": 1, "b": 0} and answer.info["cost_usd"] == 0.02
    again = composite.sample(bqm, time_limit=3, subproblem="route-7")
    assert child.calls == 1 and again.info["cost_usd"] == 0.0  # reused: not charged twice
    assert again.info["recovered"] == "ledger"
    with pytest.raises(BudgetExceeded, match="max_cost_usd"):
        composite.sample(bqm, time_limit=4, max_cost_usd=0.1)
    assert child.calls == 1


def test_no_budget_no_call(tmp_path: Path) -> None:
    child = Stamped()
    composite = LedgeredSampler(
        child,
        backend="stamped",
        pricing=Pricing(estimate=lambda m, sent: _estimate(0.01), actual=lambda info: 0.01),
        settings=_settings(tmp_path, budget=None),
    )
    with pytest.raises(BudgetExceeded, match="no run budget set"):
        composite.sample(dimod.BinaryQuadraticModel({"a": 1.0}, {}, 0.0, "SPIN"))
    assert child.calls == 0


def test_errors_leave_redacted_and_the_row_waits_for_a_label_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "DEV-planted0123456789abcdefTOKEN"
    monkeypatch.setenv("DWAVE_API_TOKEN", token)
    child = Stamped(error=ConnectionError(f"reset talking to SAPI with {token}"))
    settings = _settings(tmp_path)
    composite = LedgeredSampler(
        child,
        backend="stamped",
        pricing=Pricing(estimate=lambda m, sent: _estimate(0.01), actual=lambda info: 0.01),
        settings=settings,
    )
    bqm = dimod.BinaryQuadraticModel({"a": 1.0}, {}, 0.0, "SPIN")
    with pytest.raises(CloudTaskFailed) as raised:
        composite.sample(bqm)
    assert token not in str(raised.value) and "ConnectionError" in str(raised.value)
    entry = settings.ledger().entries()[0]
    assert entry.state == "reserved" and token not in entry.extra["last_error"]
    # it may have reached Leap, and nothing can ask Leap here: never resent blindly
    with pytest.raises(CloudTaskFailed, match="not resubmitting"):
        composite.sample(bqm)
    assert child.calls == 1
