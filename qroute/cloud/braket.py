"""QAOA on Amazon Braket gate devices (IonQ, IQM, Rigetti QPUs and the SV1/DM1 simulators).

What really happens, and is recorded in the provenance:

1. the subproblem's QUBO becomes an Ising model; the QAOA angles are optimised **locally** on
   qroute's exact statevector (:func:`qroute.circuits.qaoa.optimize_angles`), nothing is sent
   for that;
2. the device is read live (``AwsDevice(arn)``): status ONLINE, execution window open, enough
   qubits, shots within range; the circuit is placed on a connected qubit region (devices that
   are not all-to-all) and rewritten into gates the device accepts;
3. the cost is estimated from the hardware profile and the budget guard reserves it, writing
   the ledger row with an idempotency token **before** the submission;
4. only the sampling circuit is submitted (``AwsDevice.run`` or PennyLane's
   ``braket.aws.qubit`` device), the task ARN goes into the ledger **before** waiting;
5. the answer (counts) and the actual cost (Braket ``Tracker`` usage at the profile's prices)
   close the ledger row; the Tracker's own estimate from AWS's price list is recorded next
   to it as a cross-check, never blocking (``qroute.cloud.braket_tracker``). ``result()``
   returning None (timeout, FAILED, CANCELLED) raises :class:`CloudTaskFailed`, which the
   dispatcher records before falling back.

A rerun finds the ledger row and rebuilds the task from its ARN (``AwsQuantumTask(arn)``)
instead of submitting again.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import dimod
import numpy as np

from qroute.backends.base import Availability, interpreted_result
from qroute.backends.gate import qaoa_max_variables
from qroute.backends.hardware import HardwareProfile, Price, window_refusal
from qroute.cloud.braket_account import queue_depth, queue_refusal
from qroute.cloud.braket_results import bits_payload, counts_to_sampleset
from qroute.cloud.braket_session import (
    LIVE_STATUS,
    LIVE_STATUS_TTL_S,
    SUBMISSION,
    Submission,
    default_session,
    error_code,
    find_tagged_task,
    http_status,
    install_submission_hooks,
    region_of,
    retry_attempts,
    task_tags,
)
from qroute.cloud.braket_tracker import tracker_cost_check
from qroute.cloud.cost import (
    CostEstimate,
    estimate_gate_task,
    gate_task_cost,
)
from qroute.cloud.credentials import aws_credentials_reason, module_logger, redact, safe_error
from qroute.cloud.gate_device import (
    DeviceInfo,
    DeviceRefusal,
    check_device,
    lower_circuit,
    place_qubits,
    placed_record,
    route_on_device,
)
from qroute.cloud.guarded import CloudTaskFailed, JobNames, Reserve, guarded_solve, run_paid
from qroute.cloud.ledger import Ledger, LedgerEntry, ledger_key
from qroute.cloud.settings import CloudSettings, current_settings
from qroute.model.clock import as_utc
from qroute.model.solver import Budget, SolveResult
from qroute.qubo.kind import QuboKind
from qroute.qubo.tsp import TSP_KIND

__all__ = [
    "BraketQAOABackend",
    "CloudTaskFailed",
    "braket_backend_name",
    "counts_to_sampleset",
    "default_session",
]

log = module_logger(__name__)

DEFAULT_DEPTH = 2
DEFAULT_MAXITER = 150


@dataclass(frozen=True)
class _Angles:
    gammas: list[float]
    betas: list[float]
    expectation: float
    num_evaluations: int


def braket_backend_name(profile: HardwareProfile, via: str = "sdk") -> str:
    base = profile.id if profile.id.startswith("braket-") else f"braket-{profile.id}"
    return base if via == "sdk" else f"pennylane-{base}"


class BraketQAOABackend:
    """QAOA sampled on one Braket gate device (a subproblem backend).

    ``via="sdk"`` submits with ``AwsDevice.run``; ``via="pennylane"`` with PennyLane's
    ``braket.aws.qubit`` device. ``session_factory(region)`` returns the ``AwsSession`` (tests
    pass one with a stubbed boto3 client); the default uses boto3's credential chain.
    """

    paradigm = "gate"

    def __init__(
        self,
        profile: HardwareProfile,
        *,
        via: str = "sdk",
        depth: int = DEFAULT_DEPTH,
        maxiter: int = DEFAULT_MAXITER,
        session_factory: Callable[[str | None], Any] | None = None,
        settings: CloudSettings | None = None,
        reservation_arn: str | None = None,
    ) -> None:
        if profile.backend != "braket-aws" or profile.device_arn is None:
            raise ValueError(f"{profile.id} is not a Braket device profile")
        if via not in ("sdk", "pennylane"):
            raise ValueError(f"via must be 'sdk' or 'pennylane', not {via!r}")
        self.profile = profile
        self.via = via
        self.depth = depth
        self.maxiter = maxiter
        self.name = braket_backend_name(profile, via)
        self.device = profile.device_arn
        # angles are optimised on the local statevector: the local QAOA limit applies too
        self.max_variables = qaoa_max_variables(profile)
        self._session_factory = session_factory
        self._settings = settings
        self._reservation_arn = reservation_arn

    @property
    def reservation_arn(self) -> str | None:
        """The Braket Direct reservation tasks run in: the constructor's, else
        ``settings.reservation_arn`` ($QROUTE_BRAKET_RESERVATION_ARN; None: on-demand)."""
        return self._reservation_arn or self.settings.reservation_arn

    # -- settings, sessions ------------------------------------------------------------------

    @property
    def settings(self) -> CloudSettings:
        return self._settings if self._settings is not None else current_settings()

    def _region(self, arn: str | None = None) -> str | None:
        return region_of(arn or self.device) or self.profile.region

    def _session(self, region: str | None) -> Any:
        session = (
            self._session_factory(region)
            if self._session_factory is not None
            else default_session(region, self.settings)
        )
        install_submission_hooks(session)
        return session

    def _utcnow(self) -> datetime:
        """Now, UTC-aware whatever the machine's time zone (a pinned naive clock is UTC)."""
        return as_utc(self.settings.now())

    # -- availability ------------------------------------------------------------------------

    def offline_reason(self) -> str | None:
        """Why it cannot run, from the profile and the credential chain only (no network)."""
        if self.profile.status == "retired":
            return f"{self.profile.name} is retired (hardware profile {self.profile.id})"
        if self._session_factory is None:
            reason = aws_credentials_reason()
            if reason is not None:
                return reason
        window = window_refusal(self.profile, self._utcnow())
        if window is not None:
            return f"{self.profile.name} is {window}"
        return None

    def availability(self) -> Availability:
        reason = self.offline_reason()
        if reason is None and self.settings.live_checks:
            reason = self._live_reason()
        return Availability(reason is None, reason or "ok")

    def _live_reason(self) -> str | None:
        now = time.monotonic()
        cache_key = f"{self.device}@{id(self._session_factory)}"
        cached = LIVE_STATUS.get(cache_key)
        if cached is not None and now - cached[0] < LIVE_STATUS_TTL_S:
            return cached[1]
        try:
            if self._session_factory is not None:
                session = self._session(self._region())
            else:
                session = default_session(self._region(), self.settings, quick=True)
            device, info = self._device_info(session)
            reason: str | None = None
            if info.status.upper() != "ONLINE":
                reason = f"{info.name} is {info.status}"
            elif not info.window_open(self._utcnow()):
                windows = "; ".join(str(w) for w in info.windows)
                reason = f"{info.name} is outside its execution windows ({windows})"
            else:
                queued = queue_refusal(queue_depth(device), self.settings.wait_seconds)
                reason = None if queued is None else f"{info.name}: {queued}"
        except Exception as exc:
            reason = f"device status unavailable ({safe_error(exc)})"
        LIVE_STATUS[cache_key] = (now, reason)
        return reason

    def _device_info(self, session: Any) -> tuple[Any, DeviceInfo]:
        from braket.aws import AwsDevice

        device = AwsDevice(self.device, aws_session=session)
        return device, DeviceInfo.from_aws(device)

    # -- planning ----------------------------------------------------------------------------

    def shots_for(self, budget: Budget) -> int:
        return budget.shots or self.profile.shots.default

    def estimate(self, sub: Any, budget: Budget, kind: QuboKind = TSP_KIND) -> CostEstimate:
        """The cost estimate of solving ``sub`` (profile prices, profile shot range; offline)."""
        qubits = kind.num_variables(sub)
        shots = min(max(self.shots_for(budget), self.profile.shots.min, 1), self.profile.shots.max)
        gates = self.depth * (qubits + qubits * (qubits - 1) // 2 + qubits) + qubits
        return estimate_gate_task(self.profile, shots, qubits=qubits, gates=gates)

    def params(self, kind: QuboKind, budget: Budget) -> dict[str, Any]:
        return {
            "device": self.device,
            "via": self.via,
            "p": self.depth,
            "maxiter": self.maxiter,
            "shots": self.shots_for(budget),
            "seed": budget.seed,
            "qubo": kind.name,
        }

    # -- solving -----------------------------------------------------------------------------

    def solve(self, problem: Any, budget: Budget, *, kind: QuboKind = TSP_KIND) -> SolveResult:
        return guarded_solve(self, kind, problem, budget, self._solve, log)

    def _solve(self, kind: QuboKind, sub: Any, budget: Budget, start: float) -> SolveResult:
        bqm = kind.convert(sub).bqm
        params = self.params(kind, budget)
        key = ledger_key(kind.key(sub), self.name, params)
        done, recovered = run_paid(
            _BraketJob(self, kind, sub, bqm, budget, key, params), self.settings
        )
        assert done.result is not None
        return self._finish(kind, sub, bqm, done, done.result, start, recovered=recovered)

    def _submit(
        self,
        kind: QuboKind,
        sub: Any,
        bqm: dimod.BinaryQuadraticModel,
        budget: Budget,
        key: str,
        entry: LedgerEntry | None,
        reserve: Reserve,
        *,
        looked_up: bool = False,
    ) -> tuple[float, dict[str, Any]]:
        """Optimise the angles, place and lower the circuit, reserve, submit, wait.

        ``looked_up``: the ledger state machine already searched for a task of this row (a
        ``rejected`` row is otherwise searched here, once, before a new submission)."""
        from qroute.circuits.braket import qaoa_circuit
        from qroute.circuits.ising import IsingModel
        from qroute.circuits.qaoa import StatevectorQAOA, optimize_angles

        settings = self.settings
        ledger = settings.ledger()
        guard = settings.guard()
        resumed = entry is not None
        session = self._session(self._region())
        earlier = ledger.get(key)
        if not resumed and not looked_up and earlier is not None and earlier.state == "rejected":
            adopted = self._adopt_rejected(session, kind, sub, budget, earlier, reserve)
            if adopted is not None:
                return adopted
        model, order = IsingModel.from_bqm(bqm)
        n = model.num_qubits
        device, info = self._device_info(session)
        shots, shot_notes = check_device(
            info, qubits=n, shots=self.shots_for(budget), now=self._utcnow()
        )
        couplings = [pair for pair, value in model.J.items() if value]
        placement = place_qubits(info, n, couplings)  # refuses without a connected region
        opt: Any
        if resumed:  # resend the very same request (angles, placement), as idempotency needs
            assert entry is not None
            stored = entry.extra["angles"]
            opt = _Angles(
                stored["gammas"], stored["betas"], stored["expectation"], stored["evaluations"]
            )
            placement = dataclasses.replace(
                placement, mapping=tuple(entry.extra["placement"]["qroute_mapping"])
            )
        else:
            opt = optimize_angles(StatevectorQAOA(model), self.depth, maxiter=self.maxiter)
        # SDK path on a device that is not all-to-all: the physical qubits are pinned
        # (rewiring disabled); couplings off the region's edges are routed by qiskit first.
        # PennyLane: wires 0..n-1, Braket's device compiler places them.
        pinned = self.via == "sdk" and not placement.fully_connected
        if self.via == "sdk":
            logical = qaoa_circuit(model, opt.gammas, opt.betas)
            routing = None
            if pinned and placement.routed > 0:
                routing = route_on_device(logical, info, placement.mapping)
                circuit = routing.circuit
                rewrites = {"all": "qiskit transpiler into " + " ".join(routing.basis)}
            else:
                mapping = placement.mapping if pinned else None
                circuit, rewrites = lower_circuit(logical, info.supported_operations, mapping)
            placed = placed_record(placement, pinned=pinned, routed=routing)
            gates = len(circuit.instructions)
        else:
            circuit, gates = None, 0
            rewrites = {"all": "PennyLane decomposition for the device's supported operations"}
            placed = placed_record(placement, pinned=False, via=self.via)
        queue: dict[str, str] | None = None
        if settings.live_checks:  # the queue now, and whether it can drain within the wait
            queue = queue_depth(device)
            queued = queue_refusal(queue, settings.wait_seconds)
            if queued is not None:
                raise DeviceRefusal(f"{info.name}: {queued}")
        emulated = self._emulator_check(device, info, circuit) if circuit is not None else None
        priced, price_check = self._priced_profile(info)
        estimate = estimate_gate_task(priced, shots, qubits=n, gates=gates)
        extra = {
            **self.request_record(order, placed, shots, opt, rewrites, shot_notes, key),
            "queue_depth": queue,
            "price_check": price_check,
            "price_used": priced.price.model_dump(mode="json"),
            "emulator_check": emulated or "skipped: PennyLane builds the circuit inside the plugin",
        }
        if resumed:
            assert entry is not None and entry.client_token is not None
            token = entry.client_token  # crashed around the call: same token, no second task
            ledger.update_extra(key, resumed_after_crash=True)
        else:
            token = str(uuid.uuid4())
            reserve(estimate, client_token=token, extra=extra)
        from braket.tracking import Tracker

        submission = Submission(token, lambda arn: ledger.mark_submitted(key, arn, via=self.via))
        with Tracker() as tracker:
            if self.via == "sdk":
                task = self._create(device, circuit, shots, key, submission, pinned)
                log.info("%s: submitted task %s for %s", self.name, task.id, kind.label(sub))
                if settings.live_checks:
                    self._record_queue_position(task, key)
                result = task.result()
                payload = None if result is None else self._payload(task, result, shots)
            else:
                task, payload = self._run_pennylane(session, model, opt, shots, key, submission)
        if payload is None:
            self._fail_without_result(task, key, ledger, guard)
        actual, source = self._actual_cost(tracker, task.id, payload, priced.price)
        payload["cost_source"] = source
        check = tracker_cost_check(tracker, task.id, self.device, actual, settings)
        ledger.update_extra(key, tracker_cost_check=check.model_dump(mode="json"))
        return actual, payload

    def _priced_profile(self, info: DeviceInfo) -> tuple[HardwareProfile, str]:
        """The profile, its price cross-checked with the device's own ``deviceCost``: where
        the device asks more per shot or minute, that price is used (estimate and actual)."""
        if info.device_cost is None:
            return self.profile, "the device lists no deviceCost; profile prices used"
        price, unit = info.device_cost
        field = {"shot": "per_shot_usd", "minute": "per_minute_usd"}.get(unit)
        if field is None:
            return self.profile, f"deviceCost per {unit} not comparable; profile prices used"
        listed = getattr(self.profile.price, field)
        if listed is not None and abs(listed - price) < 1e-12:
            return self.profile, f"profile {field} {listed:g} = device deviceCost {price:g}"
        if listed is not None and listed > price:
            return self.profile, f"profile {field} {listed:g} > device deviceCost {price:g}; kept"
        updated = self.profile.price.model_copy(update={field: price})
        return (
            self.profile.model_copy(update={"price": updated}),
            f"device deviceCost {price:g} per {unit} > profile {field} {listed}; device price used",
        )

    @staticmethod
    def _emulator_check(device: Any, info: DeviceInfo, circuit: Any) -> str:
        """Validate the circuit on ``device.emulator()`` before paying (refuses on failure);
        where the device offers no emulator, say why the check was skipped."""
        if info.simulator:
            return "skipped: managed simulators have no emulator"
        try:
            emulator = device.emulator()
        except Exception as exc:
            return f"skipped: the device offers no emulator ({safe_error(exc)})"
        try:
            emulator.validate(circuit)
        except Exception as exc:
            raise DeviceRefusal(
                f"{info.name}'s emulator rejects the circuit before paying: {safe_error(exc)}"
            ) from None
        return "passed: device.emulator().validate(circuit)"

    def _record_queue_position(self, task: Any, key: str) -> None:
        """``task.queue_position()`` into the ledger row (shown in the details)."""
        try:
            info = task.queue_position()
            position = {"queue": str(getattr(info.queue_type, "value", info.queue_type))}
            position["position"] = str(info.queue_position)
            if info.message:
                position["message"] = str(info.message)
        except Exception as exc:
            position = {"unavailable": safe_error(exc)}
        self.settings.ledger().update_extra(key, queue_position=position)

    def request_record(
        self,
        order: Sequence[Hashable],
        placed: Mapping[str, Any],
        shots: int,
        opt: Any,
        rewrites: Mapping[str, str],
        shot_notes: Sequence[str],
        key: str,
    ) -> dict[str, Any]:
        """What the ledger row keeps of one circuit's request: enough to decode the answer
        and to resend the very same request after a crash."""
        return {
            "variable_order": [list(v) if isinstance(v, tuple) else v for v in order],
            "placement": dict(placed),
            "shots": shots,
            "angles": {
                "gammas": opt.gammas,
                "betas": opt.betas,
                "expectation": opt.expectation,
                "evaluations": opt.num_evaluations,
            },
            "gate_rewrites": dict(rewrites),
            "shot_notes": list(shot_notes),
            "tags": task_tags(self.settings, key),
            "reservation_arn": self.reservation_arn,
        }

    def _run_kwargs(self, key: str) -> dict[str, Any]:
        """What every submission passes to ``device.run``: results folder, waits, tags,
        the Braket Direct reservation."""
        settings = self.settings
        kwargs: dict[str, Any] = {
            "poll_timeout_seconds": settings.wait_seconds,
            "poll_interval_seconds": settings.poll_interval_seconds,
            "tags": task_tags(settings, key),
        }
        if settings.s3_bucket:
            kwargs["s3_destination_folder"] = (settings.s3_bucket, f"{settings.s3_prefix}/{key}")
        if self.reservation_arn:
            kwargs["reservation_arn"] = self.reservation_arn
        return kwargs

    def _create(
        self, device: Any, circuit: Any, shots: int, key: str, submission: Submission, pinned: bool
    ) -> Any:
        """One ``device.run``; botocore's standard retry mode is the only retry layer.

        The ARN reaches the ledger from the SDK's CreateQuantumTask response (the submission
        hook), before ``run`` returns. A 4xx answer (throttling after botocore's last retry,
        validation, access, device offline) created nothing: the row becomes ``rejected``. A 5xx
        after the last retry, a conflict or a lost connection may have created a task: the row
        stays ``reserved`` with its token, and a rerun looks the task up by its tags before
        resending that token.
        """
        ledger = self.settings.ledger()
        marker = SUBMISSION.set(submission)
        try:
            kwargs = self._run_kwargs(key)
            if pinned:
                kwargs["disable_qubit_rewiring"] = True
            task = device.run(circuit, shots=shots, quiet=True, **kwargs)
        except Exception as exc:
            if submission.arns:  # created, then the SDK failed after the call
                raise
            code, status = error_code(exc), http_status(exc)
            tries = retry_attempts(exc)
            if (
                code is not None
                and status is not None
                and 400 <= status < 500
                and (code != "ConflictException")
            ):
                reason = f"Braket refused the task ({safe_error(exc)})"
                if status == 429 or "Throttl" in code:
                    reason = f"Braket kept throttling after {tries} attempts ({code})"
                ledger.mark_rejected(key, reason)
                raise CloudTaskFailed(reason) from None
            what = f"{code} (HTTP {status})" if code else safe_error(exc)
            ledger.update_extra(key, submission_error=what, submission_attempts=tries)
            raise CloudTaskFailed(
                f"Braket did not confirm the task after {tries} attempts ({what}); the row "
                "stays reserved: a rerun looks the task up by its tags before resending the "
                "same client token"
            ) from None
        finally:
            SUBMISSION.reset(marker)
        if not submission.arns:  # a double whose run() bypassed the hook: record it now
            submission.created(task.id)
        return task

    def _find_orphan(self, session: Any, entry: LedgerEntry) -> str | None:
        """The task a crashed or unconfirmed submission of ``entry`` created, found by its
        tags (run identity + ledger key) among the device's tasks created since the row."""
        since = datetime.fromtimestamp(entry.created_at, UTC)
        return find_tagged_task(session, self.device, since, task_tags(self.settings, entry.key))

    def _adopt_rejected(
        self,
        session: Any,
        kind: QuboKind,
        sub: Any,
        budget: Budget,
        earlier: LedgerEntry,
        reserve: Reserve,
    ) -> tuple[float, dict[str, Any]] | None:
        """A ``rejected`` row may still have a task (a lost response, a changed request): look
        it up before submitting again; a found task counts against the budget and is waited
        for instead of resubmitted."""
        if not earlier.client_token:
            return None
        arn = self._find_orphan(session, earlier)
        if arn is None:
            return None
        log.info("%s: found task %s of a rejected submission by its tags", self.name, arn)
        reserve(
            self.estimate(sub, budget, kind),
            client_token=earlier.client_token,
            extra={**earlier.extra, "found_by_tags": True},
        )
        ledger = self.settings.ledger()
        ledger.mark_submitted(earlier.key, arn, found_by_tags=True)
        entry = ledger.get(earlier.key)
        assert entry is not None
        return self._recover(kind, sub, entry)

    def _run_pennylane(
        self,
        session: Any,
        model: Any,
        opt: Any,
        shots: int,
        key: str,
        submission: Submission,
    ) -> tuple[Any, dict[str, Any] | None]:
        """Run the sampling circuit through PennyLane's Braket device.

        The plugin creates the task and waits inside one call; the submission hook puts the
        ARN of *this* solve's task in the ledger in between (the hook runs in this thread, so
        concurrent solves on the same device never swap ARNs). Returns the task and the answer
        (None: no result).
        """
        import pennylane as qml
        from braket.aws import AwsQuantumTask

        from qroute.circuits.pennylane import qaoa_ops

        settings = self.settings
        ledger = settings.ledger()
        kwargs: dict[str, Any] = {
            "device_arn": self.device,
            "wires": model.num_qubits,
            "aws_session": session,
            **self._run_kwargs(key),
        }
        marker = SUBMISSION.set(submission)
        error: str | None = None
        counts: dict[str, int] | None = None
        n = model.num_qubits
        try:
            dev = qml.device("braket.aws.qubit", **kwargs)

            def circuit() -> Any:
                qaoa_ops(model, opt.gammas, opt.betas)
                return qml.counts(wires=range(n))  # the plugin samples Z on every wire

            raw = qml.set_shots(qml.QNode(circuit, dev), shots=shots)()
            counts = {str(bits): int(c) for bits, c in dict(raw).items()}
        except Exception as exc:  # e.g. the plugin fails when result() came back None
            error = safe_error(exc)
        finally:
            SUBMISSION.reset(marker)
        if not submission.arns:  # no creation response seen: a task may still exist
            reason = f"PennyLane created no Braket task we saw ({error or 'no error'})"
            ledger.update_extra(key, submission_error=reason)
            raise CloudTaskFailed(
                f"{reason}; the row stays reserved: a rerun looks the task up by its tags"
            )
        task = AwsQuantumTask(
            submission.arns[0],
            aws_session=session,
            poll_timeout_seconds=settings.poll_interval_seconds,
            poll_interval_seconds=settings.poll_interval_seconds,
            quiet=True,
        )
        if counts is not None:  # keys: one character per wire, wire 0 first
            payload = bits_payload(
                task.id,
                str(task.state()),
                shots,
                list(range(n)),
                np.zeros((0, n), dtype=np.int64),
                None,
            )
            payload["counts"] = counts
            return task, payload
        log.warning(
            "%s: PennyLane run of task %s ended without samples: %s", self.name, task.id, error
        )
        if str(task.state()) != "COMPLETED":
            return task, None
        result = task.result()
        return task, None if result is None else self._payload(task, result, shots)

    def _recover(
        self, kind: QuboKind, sub: Any, entry: LedgerEntry
    ) -> tuple[float, dict[str, Any]]:
        """Rebuild the task from its ARN and wait for it: nothing new is submitted."""
        from braket.aws import AwsQuantumTask

        assert entry.task_id is not None
        settings = self.settings
        session = self._session(self._region(entry.task_id))
        task = AwsQuantumTask(
            entry.task_id,
            aws_session=session,
            poll_timeout_seconds=settings.wait_seconds,
            poll_interval_seconds=settings.poll_interval_seconds,
            quiet=True,
        )
        log.info(
            "%s: recovering task %s for %s from the ledger",
            self.name,
            entry.task_id,
            kind.label(sub),
        )
        result = task.result()
        if result is None:
            self._fail_without_result(task, entry.key, settings.ledger(), settings.guard())
        shots = int(entry.extra.get("shots") or 0)
        payload = self._payload(task, result, shots)
        actual, source = self._actual_cost(
            None, entry.task_id, payload, entry.extra.get("price_used")
        )
        payload["cost_source"] = source
        return actual, payload

    def _fail_without_result(self, task: Any, key: str, ledger: Ledger, guard: Any) -> NoReturn:
        """``result()`` gave None: FAILED / CANCELLED close the row; a timeout keeps the ARN."""
        settings = self.settings
        try:
            metadata = task.metadata()
            status = str(metadata.get("status"))
            why = metadata.get("failureReason")
        except Exception as exc:
            status, why = "UNKNOWN", safe_error(exc)
        if status in ("FAILED", "CANCELLED"):
            reason = f"task {task.id} {status}" + (f": {redact(str(why))}" if why else "")
            ledger.mark_failed(key, reason, 0.0)
            guard.settle(key, 0.0)
            raise CloudTaskFailed(reason)
        cancelled = ""
        if settings.cancel_on_timeout and status in ("CREATED", "QUEUED"):
            try:
                task.cancel()
                cancelled = "; cancellation requested (a queued task is not charged)"
            except Exception as exc:
                cancelled = f"; cancel failed ({safe_error(exc)})"
        reason = (
            f"timed out after {settings.wait_seconds:g}s waiting for task {task.id} "
            f"(status {status}){cancelled}; the ARN stays in the ledger for a rerun"
        )
        ledger.mark_waiting(key, reason)
        raise CloudTaskFailed(reason)

    @staticmethod
    def _payload(task: Any, result: Any, shots: int) -> dict[str, Any]:
        try:
            metadata = task.metadata(use_cached_value=True)
        except Exception:
            metadata = {}
        duration = None
        sim_meta = getattr(getattr(result, "additional_metadata", None), "simulatorMetadata", None)
        if sim_meta is not None:
            duration = getattr(sim_meta, "executionDuration", None)
        rows = np.asarray(result.measurements, dtype=np.int64)
        return bits_payload(
            task.id,
            str(metadata.get("status", "COMPLETED")),
            int(metadata.get("shots") or rows.shape[0] or shots),
            [int(q) for q in result.measured_qubits],
            rows,
            duration,
        )

    def _actual_cost(
        self, tracker: Any, arn: str, payload: Mapping[str, Any], price: Any = None
    ) -> tuple[float, str]:
        """Profile prices (``price``: the cross-checked one the row was reserved with, a
        ``Price`` or its stored dict) applied to the usage the Braket Tracker (or the task)
        reports."""
        profile = self.profile
        if price is not None:
            price = price if isinstance(price, Price) else Price.model_validate(price)
            profile = profile.model_copy(update={"price": price})
        shots = int(payload["shots"])
        billed_ms = payload.get("execution_duration_ms")
        source = "profile prices x task metadata"
        if tracker is not None and tracker.tracked_resources() == [arn]:
            stats = tracker.quantum_tasks_statistics().get(self.device, {})
            shots = int(stats.get("shots", shots))
            billed = stats.get("billed_execution_duration")
            if billed is not None:
                billed_ms = billed.total_seconds() * 1000.0
            source = "profile prices x braket.tracking.Tracker usage"
        cost = gate_task_cost(
            profile, status=str(payload["status"]), shots=shots, billed_ms=billed_ms
        )
        return cost, source

    # -- decoding ----------------------------------------------------------------------------

    def _finish(
        self,
        kind: QuboKind,
        sub: Any,
        bqm: dimod.BinaryQuadraticModel,
        entry: LedgerEntry,
        payload: Mapping[str, Any],
        start: float,
        recovered: str | None,
    ) -> SolveResult:
        order: list[Hashable] = [
            tuple(v) if isinstance(v, list) else v for v in entry.extra["variable_order"]
        ]
        mapping = entry.extra["placement"]["mapping"]
        sampleset = counts_to_sampleset(
            bqm, order, mapping, payload["measured_qubits"], payload["counts"]
        )
        decoded = kind.interpret(sub, sampleset)
        angles = entry.extra.get("angles", {})
        details = {
            "qubo": kind.name,
            "variables": bqm.num_variables,
            "best_energy": decoded.best_raw_energy,
            "num_reads": decoded.num_reads,
            "task_arn": payload.get("task_arn"),
            "task_status": payload.get("status"),
            "submitted_via": (
                "PennyLane braket.aws.qubit" if self.via == "pennylane" else "Braket AwsDevice.run"
            ),
            "angles_optimised_on": "qroute StatevectorQAOA (local, exact expectation; not sent)",
            "sampled_on": self.device,
            "p": self.depth,
            "gammas": angles.get("gammas"),
            "betas": angles.get("betas"),
            "placement": entry.extra.get("placement"),
            "gate_rewrites": entry.extra.get("gate_rewrites"),
            "shot_notes": entry.extra.get("shot_notes"),
            "queue_depth": entry.extra.get("queue_depth"),
            "queue_position": entry.extra.get("queue_position"),
            "emulator_check": entry.extra.get("emulator_check"),
            "price_check": entry.extra.get("price_check"),
            "tracker_cost_check": entry.extra.get("tracker_cost_check"),
            "reservation_arn": entry.extra.get("reservation_arn"),
            "program_set": entry.extra.get("program_set"),
            "estimate_usd": entry.estimate_usd,
            "cost_source": payload.get("cost_source"),
            "ledger_key": entry.key,
            "recovered": recovered,
            # a recovered answer was paid for when its task was first submitted
            "charged_in_this_solve": recovered is None,
        }
        return interpreted_result(
            self,
            decoded,
            seed=entry.params.get("seed"),
            start=start,
            shots=int(payload.get("shots") or 0),
            details=redact(details),
            cost_usd=float(entry.actual_usd or 0.0),
        )


@dataclass(frozen=True)
class _BraketJob(JobNames):
    """One Braket dispatch as a ``qroute.cloud.guarded.PaidJob``."""

    backend: BraketQAOABackend
    kind: QuboKind
    sub: Any
    bqm: dimod.BinaryQuadraticModel
    budget: Budget
    key: str
    params: dict[str, Any]
    recovered_by: str = "task ARN"
    looked_up: set[str] = dataclasses.field(default_factory=set)  # keys find_submitted searched

    def estimate_cost(self) -> CostEstimate:
        return self.backend.estimate(self.sub, self.budget, self.kind)

    def find_submitted(self, entry: LedgerEntry) -> str | None:
        """The task of a submission that died unconfirmed, by its tags (None: resend the same
        client token, which Braket's idempotency maps to the task it already made)."""
        backend = self.backend
        self.looked_up.add(entry.key)
        try:
            return backend._find_orphan(backend._session(backend._region()), entry)
        except Exception as exc:  # the resend with the same token is still safe
            log.warning("%s: task search failed (%s)", backend.name, safe_error(exc))
            return None

    def submit(self, resumed: LedgerEntry | None, reserve: Reserve) -> tuple[float, dict[str, Any]]:
        return self.backend._submit(
            self.kind,
            self.sub,
            self.bqm,
            self.budget,
            self.key,
            resumed,
            reserve,
            looked_up=self.key in self.looked_up,
        )

    def recover(self, entry: LedgerEntry) -> tuple[float, dict[str, Any]]:
        return self.backend._recover(self.kind, self.sub, entry)
