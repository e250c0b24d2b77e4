"""Many subproblems in one Braket task: program sets (``braket.program_sets.ProgramSet``).

A QPU task costs a per-task fee (USD 0.30 on every Braket QPU today) plus its shots. Sending
the sampling circuits of N subproblems as one program set pays the task fee once instead of N
times; the shots cost the same. :func:`estimate_program_set` shows both figures;
:func:`solve_program_set` is the batch entry point: one ledger row (reserved through the
budget guard before anything is sent, with the ARN recorded before the wait, recovered on a
rerun like any other row) for one program-set task, and one ``SolveResult`` per subproblem
carrying its share of the one task's cost.

The SDK's program-set path takes no ``disable_qubit_rewiring``: the circuits go on logical
qubits and Braket's device compiler places them, which ``details.placement`` says.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np

from qroute.backends.base import check_capacity
from qroute.backends.hardware import HardwareProfile
from qroute.cloud.braket import BraketQAOABackend, _Angles
from qroute.cloud.braket_results import bits_payload
from qroute.cloud.braket_session import Submission, task_tags
from qroute.cloud.cost import (
    SIMULATOR_MIN_SECONDS,
    CostEstimate,
    estimate_gate_task,
    simulator_seconds,
    unit_price,
    usd,
)
from qroute.cloud.credentials import module_logger
from qroute.cloud.gate_device import DeviceInfo, DeviceRefusal, check_device, placed_record
from qroute.cloud.guarded import CloudTaskFailed, Reserve, run_paid
from qroute.cloud.ledger import LedgerEntry, ledger_key
from qroute.model.solver import Budget, SolveResult
from qroute.qubo.kind import QuboKind
from qroute.qubo.tsp import TSP_KIND

__all__ = ["ProgramSetCost", "estimate_program_set", "solve_program_set"]

log = module_logger(__name__)


@dataclass(frozen=True)
class ProgramSetCost:
    """One program-set task against the same programs sent as separate tasks."""

    one_task: CostEstimate
    separate_usd: float

    @property
    def saving_usd(self) -> float:
        return self.separate_usd - self.one_task.usd


def estimate_program_set(
    profile: HardwareProfile, shots_per_program: int, programs: int, *, qubits: int, gates: int = 0
) -> ProgramSetCost:
    """The price of ``programs`` circuits of ``shots_per_program`` shots in one task, and of
    the same circuits as ``programs`` separate tasks (profile prices, offline)."""
    separate = (
        programs * estimate_gate_task(profile, shots_per_program, qubits=qubits, gates=gates).usd
    )
    price = profile.price
    total = shots_per_program * programs
    if profile.kind == "simulator" and price.per_minute_usd:
        seconds = max(
            SIMULATOR_MIN_SECONDS, programs * simulator_seconds(qubits, gates, shots_per_program)
        )
        amount = price.cost_usd(tasks=1, shots=total, minutes=seconds / 60.0)
        basis = (
            f"1 program-set task: {seconds:.0f} s billed (one 3 s minimum, not {programs}) x "
            f"{unit_price(price.per_minute_usd)}/min"
        )
    else:
        amount = price.cost_usd(tasks=1, shots=total)
        basis = (
            f"1 program-set task x {unit_price(price.per_task_usd or 0)} + {total} shots "
            f"({programs} programs x {shots_per_program}) x {unit_price(price.per_shot_usd or 0)}"
        )
    basis += f"; {programs} separate tasks: {usd(separate)}"
    estimate = CostEstimate(
        profile=profile.id,
        device=profile.device_arn or profile.name,
        usd=amount,
        shots=total,
        basis=basis,
        price_is_estimate=price.estimate,
        price_as_of=price.as_of.isoformat(),
    )
    return ProgramSetCost(estimate, separate)


def solve_program_set(
    backend: BraketQAOABackend,
    problems: Sequence[Any],
    budget: Budget,
    kind: QuboKind = TSP_KIND,
) -> list[SolveResult]:
    """Solve ``problems`` with one program-set task on ``backend``'s device (SDK path only).

    Refuses (DeviceRefusal, before anything is paid) where the device takes no program sets
    or the set exceeds its executable / total-shot limits.
    """
    if backend.via != "sdk":
        raise ValueError("program sets go through AwsDevice.run (via='sdk')")
    if not problems:
        return []
    for problem in problems:
        check_capacity(backend, kind, problem)
    start = time.perf_counter()
    bqms = [kind.convert(problem).bqm for problem in problems]
    params = {**backend.params(kind, budget), "program_set": [kind.key(p) for p in problems]}
    key = ledger_key("program-set", backend.name, params)
    job = _ProgramSetJob(backend, kind, tuple(problems), tuple(bqms), budget, key, params)
    done, recovered = run_paid(job, backend.settings)
    assert done.result is not None
    share = float(done.actual_usd or 0.0) / len(problems)
    results = []
    for index, (problem, bqm) in enumerate(zip(problems, bqms, strict=True)):
        member = done.extra["members"][index]
        program = done.result["programs"][index]
        view = dataclasses.replace(
            done,
            extra={
                **member,
                "program_set": {
                    "task_arn": done.task_id,
                    "index": index,
                    "programs": len(problems),
                    "task_usd": done.actual_usd,
                    "cost_share_usd": share,
                },
            },
            actual_usd=share,
            estimate_usd=done.estimate_usd / len(problems),
        )
        payload = {**done.result, **program, "shots": done.extra["shots_per_program"]}
        results.append(backend._finish(kind, problem, bqm, view, payload, start, recovered))
    return results


@dataclass(frozen=True)
class _ProgramSetJob:
    """One program-set dispatch as a ``qroute.cloud.guarded.PaidJob``."""

    backend: BraketQAOABackend
    kind: QuboKind
    problems: tuple[Any, ...]
    bqms: tuple[dimod.BinaryQuadraticModel, ...]
    budget: Budget
    key: str
    params: dict[str, Any]
    recovered_by: str = "task ARN"

    @property
    def label(self) -> str:
        names = ", ".join(self.kind.label(p) for p in self.problems)
        return f"program set of {len(self.problems)}: {names}"

    @property
    def backend_name(self) -> str:
        return self.backend.name

    def estimate_cost(self) -> CostEstimate:
        members = [self.backend.estimate(p, self.budget, self.kind) for p in self.problems]
        qubits = max(self.kind.num_variables(p) for p in self.problems)
        return estimate_program_set(
            self.backend.profile, members[0].shots, len(self.problems), qubits=qubits
        ).one_task

    def find_submitted(self, entry: LedgerEntry) -> str | None:
        backend = self.backend
        return backend._find_orphan(backend._session(backend._region()), entry)

    def submit(self, resumed: LedgerEntry | None, reserve: Reserve) -> tuple[float, dict[str, Any]]:
        from braket.program_sets import ProgramSet
        from braket.tracking import Tracker

        from qroute.circuits.braket import qaoa_circuit
        from qroute.circuits.ising import IsingModel
        from qroute.circuits.qaoa import StatevectorQAOA, optimize_angles
        from qroute.cloud.gate_device import lower_circuit, place_qubits

        backend, settings = self.backend, self.backend.settings
        ledger = settings.ledger()
        session = backend._session(backend._region())
        device, info = backend._device_info(session)
        models = [IsingModel.from_bqm(bqm) for bqm in self.bqms]
        widest = max(model.num_qubits for model, _ in models)
        shots, shot_notes = check_device(
            info, qubits=widest, shots=backend.shots_for(self.budget), now=backend._utcnow()
        )
        _check_program_set_limits(info, len(models), shots)
        circuits, members = [], []
        for index, (model, order) in enumerate(models):
            couplings = [pair for pair, value in model.J.items() if value]
            placement = place_qubits(info, model.num_qubits, couplings)
            if resumed is not None:  # the very same request again
                stored = resumed.extra["members"][index]["angles"]
                opt: Any = _Angles(
                    stored["gammas"], stored["betas"], stored["expectation"], stored["evaluations"]
                )
            else:
                opt = optimize_angles(
                    StatevectorQAOA(model), backend.depth, maxiter=backend.maxiter
                )
            logical = qaoa_circuit(model, opt.gammas, opt.betas)
            circuit, rewrites = lower_circuit(logical, info.supported_operations, None)
            circuits.append(circuit)
            placed = placed_record(placement, pinned=False)
            if not placement.fully_connected:
                placed["placed_by"] = "Braket device compiler (program sets take no rewiring flag)"
            members.append(
                backend.request_record(order, placed, shots, opt, rewrites, shot_notes, self.key)
            )
        gates = max(len(c.instructions) for c in circuits)
        cost = estimate_program_set(
            backend.profile, shots, len(circuits), qubits=widest, gates=gates
        )
        extra = {
            "members": members,
            "programs": len(circuits),
            "shots_per_program": shots,
            "tags": task_tags(settings, self.key),
            "separate_tasks_usd": cost.separate_usd,
        }
        if resumed is not None:
            assert resumed.client_token is not None
            token = resumed.client_token
            ledger.update_extra(self.key, resumed_after_crash=True)
        else:
            token = str(uuid.uuid4())
            reserve(cost.one_task, client_token=token, extra=extra)
        program_set = ProgramSet(circuits, shots_per_executable=shots)
        submission = Submission(
            token, lambda arn: ledger.mark_submitted(self.key, arn, via="sdk program set")
        )
        with Tracker() as tracker:
            task = backend._create(
                device, program_set, shots * len(circuits), self.key, submission, False
            )
            log.info(
                "%s: submitted program set %s (%d programs)", backend.name, task.id, len(circuits)
            )
            result = task.result()
        if result is None:
            backend._fail_without_result(task, self.key, ledger, settings.guard())
        payload = _payload(task, result, shots * len(circuits))
        actual, source = backend._actual_cost(tracker, task.id, payload)
        payload["cost_source"] = source
        return actual, payload

    def recover(self, entry: LedgerEntry) -> tuple[float, dict[str, Any]]:
        from braket.aws import AwsQuantumTask

        backend, settings = self.backend, self.backend.settings
        assert entry.task_id is not None
        task = AwsQuantumTask(
            entry.task_id,
            aws_session=backend._session(backend._region(entry.task_id)),
            poll_timeout_seconds=settings.wait_seconds,
            poll_interval_seconds=settings.poll_interval_seconds,
            quiet=True,
        )
        result = task.result()
        if result is None:
            backend._fail_without_result(task, entry.key, settings.ledger(), settings.guard())
        total = int(entry.extra.get("shots_per_program", 0)) * int(entry.extra.get("programs", 0))
        payload = _payload(task, result, total)
        actual, source = backend._actual_cost(None, entry.task_id, payload)
        payload["cost_source"] = source
        return actual, payload


def _check_program_set_limits(info: DeviceInfo, programs: int, shots: int) -> None:
    if info.program_set_limits is None:
        raise DeviceRefusal(f"{info.name} does not take program sets")
    max_programs, max_shots = info.program_set_limits
    if programs > max_programs:
        raise DeviceRefusal(f"{info.name} takes at most {max_programs} programs in one set")
    if programs * shots > max_shots:
        raise DeviceRefusal(
            f"{info.name} takes at most {max_shots} shots in one program set "
            f"({programs} x {shots} asked)"
        )


def _payload(task: Any, result: Any, shots: int) -> dict[str, Any]:
    """The stored answer of a program-set task: counts per program, in set order."""
    programs = []
    for composite in result.entries:
        entry = composite.entries[0] if hasattr(composite, "entries") else composite
        measured = [int(q) for q in entry.measured_qubits]
        rows = np.asarray(entry.measurements, dtype=np.int64)
        answer = bits_payload(task.id, "COMPLETED", rows.shape[0], measured, rows, None)
        programs.append({"measured_qubits": measured, "counts": answer["counts"]})
    try:
        status = str(task.metadata(use_cached_value=True).get("status", "COMPLETED"))
    except Exception:
        status = "COMPLETED"
    if not programs:
        raise CloudTaskFailed(f"program set {task.id} returned no program results")
    return {
        "task_arn": task.id,
        "status": status,
        "shots": int(shots),
        "programs": programs,
        "execution_duration_ms": None,
    }
