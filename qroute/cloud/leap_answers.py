"""Leap answers: what goes to the ledger and back, and where a problem id is heard first.

Variables (stop index, position) pairs travel as JSON lists; answers are stored with dimod's
``SampleSet.to_serializable``; ``RecordingChild`` wraps the QPU sampler so the problem id is
written the moment Leap returns it, before any wait.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

import dimod
import numpy as np

from qroute.cloud.guarded import CloudTaskFailed

__all__ = [
    "RecordingChild",
    "decode_var",
    "encode_var",
    "sampleset_from_payload",
    "samples_payload",
    "wait_id",
]


def encode_var(v: Hashable) -> Any:
    return list(v) if isinstance(v, tuple) else v


def decode_var(v: Any) -> Hashable:
    return tuple(v) if isinstance(v, list) else v


def samples_payload(sampleset: dimod.SampleSet) -> dict[str, Any]:
    """The (unembedded) answer for the ledger: dimod's own ``SampleSet.to_serializable``
    (JSON-able; the info, which holds the embedding's tuple-keyed maps, is left out)."""
    bare = dimod.SampleSet(sampleset.record, sampleset.variables, {}, sampleset.vartype)
    return {"sampleset": bare.to_serializable()}


def sampleset_from_payload(
    payload: Mapping[str, Any], bqm: dimod.BinaryQuadraticModel
) -> dimod.SampleSet:
    """The stored answer (``SampleSet.from_serializable``); ledger rows written before it
    (``variables`` / ``samples`` / ``num_occurrences`` lists) are still read."""
    if "sampleset" in payload:
        return dimod.SampleSet.from_serializable(payload["sampleset"])
    variables = [decode_var(v) for v in payload["variables"]]
    vectors: dict[str, Any] = {}
    if "chain_break_fraction" in payload:
        vectors["chain_break_fraction"] = np.asarray(payload["chain_break_fraction"])
    return dimod.SampleSet.from_samples_bqm(
        (np.asarray(payload["samples"], dtype=np.int8), variables),
        bqm,
        num_occurrences=np.asarray(payload["num_occurrences"], dtype=np.int64),
        **vectors,
    )


class RecordingChild(dimod.Sampler, dimod.Structured):  # type: ignore[misc]
    """Wraps the QPU sampler: writes the problem id to the ledger as soon as it is known."""

    def __init__(self, child: Any, on_submitted: Callable[[str], None]) -> None:
        self.child = child
        self.on_submitted = on_submitted
        self.sending = False  # set once the problem is handed to the QPU sampler

    @property
    def nodelist(self) -> list[Any]:
        return list(self.child.nodelist)

    @property
    def edgelist(self) -> list[Any]:
        return list(self.child.edgelist)

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.child.properties)

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.child.parameters)

    def sample(self, bqm: dimod.BinaryQuadraticModel, **kwargs: Any) -> dimod.SampleSet:
        self.sending = True
        sampleset = self.child.sample(bqm, **kwargs)
        problem_id = wait_id(sampleset)
        if not problem_id:
            raise CloudTaskFailed("Leap returned no problem id")
        self.on_submitted(problem_id)
        return sampleset


def wait_id(sampleset: dimod.SampleSet, timeout: float | None = None) -> str | None:
    waiter = getattr(sampleset, "wait_id", None)
    problem_id = waiter(timeout=timeout) if callable(waiter) else None
    if not problem_id:
        problem_id = sampleset.info.get("problem_id") if not hasattr(sampleset, "_future") else None
    return None if problem_id is None else str(problem_id)
