"""Annealing backends: dwave-samplers SA and tabu locally, the D-Wave QPU through Ocean."""

from __future__ import annotations

import os
from typing import Any

import dimod
import numpy as np

from qroute.backends.base import Availability, SamplerBackend
from qroute.model.solver import BackendUnavailable, Budget
from qroute.qubo.kind import Conversion
from qroute.qubo.tsp import annealing_schedule


class SimulatedAnnealingBackend(SamplerBackend):
    """dwave-samplers' SimulatedAnnealingSampler on the subproblem QUBO (the kind's energy
    scale sets the β range, ``qroute.qubo.tsp.annealing_schedule``)."""

    name = "dwave-sa"
    paradigm = "annealing"
    device = "dwave-samplers SimulatedAnnealingSampler (CPU)"

    def sampler(self) -> dimod.Sampler:
        from dwave.samplers import SimulatedAnnealingSampler

        return SimulatedAnnealingSampler()

    def sample_kwargs(self, conversion: Conversion, budget: Budget) -> dict[str, Any]:
        params = annealing_schedule(conversion.num_variables, conversion.energy_scale)
        if budget.shots is not None:
            params["num_reads"] = budget.shots
        return {**params, "seed": budget.seed}


class TabuBackend(SamplerBackend):
    """dwave-samplers' TabuSampler (multistart tabu search on the QUBO)."""

    name = "dwave-tabu"
    paradigm = "classical"  # tabu search on the QUBO: no annealing model at all
    device = "dwave-samplers TabuSampler (CPU)"

    def sampler(self) -> dimod.Sampler:
        from dwave.samplers import TabuSampler

        return TabuSampler()

    def sample_kwargs(self, conversion: Conversion, budget: Budget) -> dict[str, Any]:
        reads = budget.shots or 20
        timeout_ms = max(5, int(200 * min(budget.time_limit, 1.0) / max(reads, 1)))
        return {"num_reads": reads, "timeout": timeout_ms, "seed": budget.seed}


def dwave_credentials_reason() -> str | None:
    """None when a D-Wave token is configured (env or dwave config file), else why not."""
    if os.environ.get("DWAVE_API_TOKEN"):
        return None
    try:
        from dwave.cloud.config import load_config

        config = load_config()
    except Exception as exc:  # a malformed config file is also "not available"
        return f"D-Wave config unreadable ({type(exc).__name__})"
    if config.get("token"):
        return None
    return "no D-Wave credentials (DWAVE_API_TOKEN unset, no token in dwave config)"


#: why the bare ``dwave-qpu`` (no injected sampler, not built by the cloud layer) sends nothing
UNLEDGERED_REASON = (
    "paid D-Wave QPU without a cloud ledger or budget: nothing is sent (qroute.cloud.register() "
    "provides the ledgered dwave-qpu; the qroute CLI and flows call it)"
)


class DWaveQPUBackend(SamplerBackend):
    """A D-Wave QPU through `EmbeddingComposite(child)`.

    `child` is the sampler under the embedding: tests pass `dwave.system.testing.MockDWaveSampler`
    (the recorded device is then the mock's solver name, never a QPU name); the cloud layer's
    ledgered backend (``qroute.cloud.dwave_leap.LeapQPUBackend``) supplies a real
    ``DWaveSampler`` behind its ledger and budget composite through ``paid_child``. Without
    either, this backend is unavailable and sends nothing: every paid call needs a ledger row.
    """

    name = "dwave-qpu"
    paradigm = "annealing"

    def __init__(self, child: dimod.Sampler | None = None, solver: str | None = None) -> None:
        self._child = child
        self._solver = solver
        self._composite: dimod.Sampler | None = None
        self.device = "D-Wave QPU (not connected)"

    def availability(self) -> Availability:
        if self._child is not None:
            return Availability(True)
        return Availability(False, dwave_credentials_reason() or UNLEDGERED_REASON)

    def paid_child(self) -> tuple[dimod.Sampler, str]:
        """(the sampler under the embedding, its device name) for a real QPU; only a ledgered
        subclass has one."""
        raise BackendUnavailable(f"{self.name}: {UNLEDGERED_REASON}")

    def sampler(self) -> dimod.Sampler:
        from dwave.system import EmbeddingComposite

        if self._composite is None:
            if self._child is not None:
                child = self._child
                props = getattr(child, "properties", {})
                self.device = str(props.get("chip_id", type(child).__name__))
            else:
                child, self.device = self.paid_child()
            self._composite = EmbeddingComposite(child)
        return self._composite

    def sample_kwargs(self, conversion: Conversion | None, budget: Budget) -> dict[str, Any]:
        from dwave.embedding.chain_strength import uniform_torque_compensation

        return {
            "num_reads": budget.shots or 100,
            "chain_strength": uniform_torque_compensation,
            "return_embedding": True,
            "answer_mode": "raw",
            "embedding_parameters": {"random_seed": budget.seed},  # reproducible embeddings
        }

    def postprocess_info(self, sampleset: dimod.SampleSet) -> dict[str, Any]:
        info = sampleset.info
        embedding = info.get("embedding_context", {}).get("embedding", {})
        chains = [len(chain) for chain in embedding.values()]
        breaks = (
            float(np.mean(sampleset.record.chain_break_fraction))
            if "chain_break_fraction" in sampleset.record.dtype.names
            else None
        )
        timing = info.get("timing", {})
        return {
            "chain_strength": info.get("embedding_context", {}).get("chain_strength"),
            "chain_break_fraction": breaks,
            "physical_qubits": int(sum(chains)),
            "max_chain_length": int(max(chains)) if chains else 0,
            "qpu_access_time_us": timing.get("qpu_access_time"),
            "problem_id": info.get("problem_id"),
        }
