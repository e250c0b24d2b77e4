"""Leap answers: what goes to the ledger (dimod's ``SampleSet.to_serializable``, read back
with ``SampleSet.from_serializable`` by ``qroute.cloud.paid``), and the problem id of an
answer that is still a future (``wait_id``)."""

from __future__ import annotations

from typing import Any

import dimod

__all__ = ["samples_payload", "wait_id"]


def samples_payload(sampleset: dimod.SampleSet) -> dict[str, Any]:
    """The answer for the ledger, as the paid child returned it (physical qubits for the QPU):
    dimod's own ``SampleSet.to_serializable`` (JSON-able; the info is left out)."""
    bare = dimod.SampleSet(sampleset.record, sampleset.variables, {}, sampleset.vartype)
    return {"sampleset": bare.to_serializable()}


def wait_id(sampleset: dimod.SampleSet, timeout: float | None = None) -> str | None:
    waiter = getattr(sampleset, "wait_id", None)
    problem_id = waiter(timeout=timeout) if callable(waiter) else None
    if not problem_id:
        problem_id = sampleset.info.get("problem_id") if not hasattr(sampleset, "_future") else None
    return None if problem_id is None else str(problem_id)
