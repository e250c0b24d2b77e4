"""The D-Wave QPU path, offline: EmbeddingComposite over MockDWaveSampler on Pegasus."""

from __future__ import annotations

import pytest
from dwave.system.testing import MockDWaveSampler

from qroute.backends import DWaveQPUBackend, get_backend
from qroute.backends.annealing import UNLEDGERED_REASON, dwave_credentials_reason
from qroute.model.solver import BackendUnavailable, Budget
from qroute.model.subproblem import random_route_tsp


def test_mock_pegasus_records_embedding_chains_and_timing() -> None:
    mock = MockDWaveSampler(topology_type="pegasus", topology_shape=[6])
    assert mock.properties["topology"]["type"] == "pegasus"
    backend = DWaveQPUBackend(child=mock)
    sub = random_route_tsp(4, seed=3)
    result = backend.solve(sub, Budget(seed=2, shots=40))
    details = result.provenance.details
    assert 9 <= details["variables"] <= 16  # k² at most (symmetry breaking may fix some)
    # every logical variable got a chain of physical qubits on the Pegasus graph
    assert details["physical_qubits"] >= 16
    assert details["max_chain_length"] >= 1
    assert details["chain_strength"] > 0
    assert 0.0 <= details["chain_break_fraction"] <= 1.0
    assert details["qpu_access_time_us"] > 0
    assert result.provenance.shots == 40
    assert result.provenance.device == "MockDWaveSampler"


def test_without_credentials_the_bare_qpu_is_unavailable_and_says_why(
    monkeypatch, tmp_path
) -> None:
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    monkeypatch.delenv("DWAVE_CONFIG_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    status = get_backend("dwave-qpu").availability()
    assert status.available is False
    assert "DWAVE_API_TOKEN" in status.reason


def test_the_bare_dwave_qpu_has_no_ledger_so_it_refuses_and_sends_nothing(monkeypatch) -> None:
    monkeypatch.setenv("DWAVE_API_TOKEN", "DEV-not-a-real-token")
    backend = DWaveQPUBackend()  # not built by qroute.cloud.register(): no ledger, no budget
    status = backend.availability()
    assert status.available is False and status.reason == UNLEDGERED_REASON
    with pytest.raises(BackendUnavailable, match="without a cloud ledger or budget"):
        backend.solve(random_route_tsp(4, seed=3), Budget(seed=1))


def test_a_token_in_the_environment_counts_as_credentials(monkeypatch) -> None:
    monkeypatch.setenv("DWAVE_API_TOKEN", "DEV-not-a-real-token")
    assert dwave_credentials_reason() is None


@pytest.mark.parametrize("k", [5, 8])
def test_simulated_annealing_reports_raw_feasibility(k: int) -> None:
    result = get_backend("dwave-sa").solve(random_route_tsp(k, seed=k), Budget(seed=1))
    assert result.raw_feasible_rate is not None
    assert 0.0 < result.raw_feasible_rate <= 1.0
    assert (k - 1) ** 2 <= result.provenance.details["variables"] <= k * k
