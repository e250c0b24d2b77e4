"""Braket answers: measured bitstrings as stored counts, and counts back to BQM samples."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import dimod
import numpy as np

from qroute.cloud.guarded import CloudTaskFailed

__all__ = ["bits_payload", "counts_to_sampleset"]


def bits_payload(
    arn: str,
    status: str,
    shots: int,
    measured: list[int],
    rows: np.ndarray,
    duration_ms: float | None,
) -> dict[str, Any]:
    """The stored answer: counts of measured bitstrings (column k = ``measured[k]``)."""
    counts: dict[str, int] = {}
    for row in rows:
        bits = "".join(str(int(b)) for b in row)
        counts[bits] = counts.get(bits, 0) + 1
    return {
        "task_arn": arn,
        "status": status,
        "shots": int(shots),
        "measured_qubits": measured,
        "counts": counts,
        "execution_duration_ms": duration_ms,
    }


def counts_to_sampleset(
    bqm: dimod.BinaryQuadraticModel,
    order: Sequence[Hashable],
    mapping: Sequence[int],
    measured_qubits: Sequence[int],
    counts: Mapping[str, int],
) -> dimod.SampleSet:
    """Measured bitstrings (column k = physical qubit ``measured_qubits[k]``) -> BQM samples.

    Logical qubit ``q`` ran on physical qubit ``mapping[q]`` and is BQM variable ``order[q]``;
    a measured 1 is binary 1 (the :mod:`qroute.circuits.ising` convention).
    """
    column = {int(q): k for k, q in enumerate(measured_qubits)}
    missing = [mapping[q] for q in range(len(order)) if int(mapping[q]) not in column]
    if missing:
        raise CloudTaskFailed(f"the result has no measurement of qubits {missing}")
    picks = [column[int(mapping[q])] for q in range(len(order))]
    rows = []
    weights = []
    for bits, count in counts.items():
        rows.append([int(bits[k]) for k in picks])
        weights.append(int(count))
    values = np.asarray(rows, dtype=np.int8)
    if bqm.vartype is dimod.SPIN:
        values = 2 * values - 1
    return dimod.SampleSet.from_samples_bqm(
        (values, list(order)), bqm, num_occurrences=np.asarray(weights, dtype=np.int64)
    )
