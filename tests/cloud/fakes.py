"""Offline test doubles for the cloud paths.

Braket: a real boto3 ``braket`` client with botocore's ``Stubber`` (every GetDevice,
CreateQuantumTask, GetQuantumTask, CancelQuantumTask and SearchQuantumTasks call must be
queued, in order), inside a real ``AwsSession``; S3 result objects are held in memory
(``retrieve_s3_object_body``). ``http_create`` answers CreateQuantumTask one level lower, at
botocore's HTTP send, so botocore's own retry handler runs (the Stubber bypasses it).
D-Wave: ``MockDWaveSampler`` from dwave-system, wrapped so that its answers come back through
future-like objects with problem ids, and a fake cloud client that retrieves them by id.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
import dimod
import numpy as np
from botocore.stub import ANY, Stubber

from qroute.backends.hardware import HardwareProfile, load_profiles
from qroute.model.problem import Problem, Rounding
from qroute.model.subproblem import Subproblem
from qroute.qubo.tsp import tsp_bqm

FAKE_KEY_ID = "AKIAQROUTETESTKEY000"
FAKE_SECRET = "qrouteFakeSecretKey/NotReal0000000000000"
BUCKET = "qroute-test-results"
SIM_PARADIGM = "braket.device_schema.simulators.gate_model_simulator_paradigm_properties"
ALL_OPS = ["h", "rx", "ry", "rz", "zz", "cnot", "cz", "x", "y", "z"]


def profile(profile_id: str) -> HardwareProfile:
    return load_profiles()[profile_id]


def toy_problem(customers: int = 9) -> Problem:
    """A small seeded CVRP (unit demands, capacity 4)."""
    rng = np.random.default_rng(3)
    coords = rng.random((customers + 1, 2)) * 100
    distances = np.sqrt(((coords[:, None] - coords[None]) ** 2).sum(-1))
    demands = np.array([0] + [1] * customers)
    return Problem("toy", distances, demands, capacity=4, rounding=Rounding.EXACT, coords=coords)


# --------------------------------------------------------------------------------------------
# Braket


def capabilities(
    *,
    simulator: bool = False,
    qubits: int = 34,
    ops: Sequence[str] = ALL_OPS,
    native: Sequence[str] = (),
    graph: dict[str, list[str]] | None = None,
    shots: tuple[int, int] = (1, 100_000),
    windows: Iterable[tuple[str, str, str]] = (("Everyday", "00:00", "23:59:59"),),
    program_set: tuple[int, int] | None = None,
    device_cost: tuple[float, str] | None = None,
) -> str:
    """A GetDevice ``deviceCapabilities`` document (validated by the SDK's schemas);
    ``program_set``: (maximum executables, maximum total shots) where it takes program sets."""
    service = {
        "braketSchemaHeader": {
            "name": "braket.device_schema.device_service_properties",
            "version": "1",
        },
        "executionWindows": [
            {"executionDay": d, "windowStartHour": s, "windowEndHour": e} for d, s, e in windows
        ],
        "shotsRange": list(shots),
    }
    if device_cost is not None:
        service["deviceCost"] = {"price": device_cost[0], "unit": device_cost[1]}
    action: dict[str, Any] = {
        "braket.ir.openqasm.program": {
            "actionType": "braket.ir.openqasm.program",
            "version": ["1"],
            "supportedOperations": list(ops),
            "supportedResultTypes": [
                {
                    "name": name,
                    "observables": ["x", "y", "z", "h", "i"],
                    "minShots": 0,
                    "maxShots": shots[1],
                }
                for name in ("Sample", "Expectation", "Variance", "Probability")
            ],
        }
    }
    if program_set is not None:
        action["braket.ir.openqasm.program_set"] = {
            "actionType": "braket.ir.openqasm.program_set",
            "version": ["1"],
            "maximumExecutables": program_set[0],
            "maximumTotalShots": program_set[1],
        }
    if simulator:
        doc = {
            "braketSchemaHeader": {
                "name": "braket.device_schema.simulators.gate_model_simulator_device_capabilities",
                "version": "1",
            },
            "paradigm": {
                "braketSchemaHeader": {
                    "name": SIM_PARADIGM,
                    "version": "1",
                },
                "qubitCount": qubits,
            },
        }
    else:
        doc = {
            "braketSchemaHeader": {
                "name": "braket.device_schema.iqm.iqm_device_capabilities",
                "version": "1",
            },
            "paradigm": {
                "braketSchemaHeader": {
                    "name": "braket.device_schema.gate_model_qpu_paradigm_properties",
                    "version": "1",
                },
                "qubitCount": qubits,
                "nativeGateSet": list(native),
                "connectivity": {"fullyConnected": graph is None, "connectivityGraph": graph or {}},
            },
        }
    doc.update(service=service, action=action, deviceParameters={})
    return json.dumps(doc)


def grid_graph(rows: int, cols: int, first: int = 1) -> dict[str, list[str]]:
    """A square lattice numbered from ``first`` (IQM numbers qubits from 1)."""
    graph: dict[str, list[str]] = {}
    for r, c in itertools.product(range(rows), range(cols)):
        q = first + r * cols + c
        out = []
        if c + 1 < cols:
            out.append(str(q + 1))
        if r + 1 < rows:
            out.append(str(q + cols))
        graph[str(q)] = out
    return graph


class _Body:
    """The raw body of a fake HTTP response (what ``AWSResponse.content`` reads)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


class _PartialStubber(Stubber):
    """A Stubber that leaves the operations in ``http_ops`` to the HTTP layer."""

    def __init__(self, client: Any, http_ops: set[str]) -> None:
        super().__init__(client)
        self.http_ops = http_ops

    def _get_response_handler(self, model: Any, params: Any, context: Any, **kwargs: Any) -> Any:
        if model.name in self.http_ops:
            return None
        return super()._get_response_handler(model, params, context, **kwargs)

    def _assert_expected_params(self, model: Any, params: Any, context: Any, **kwargs: Any) -> Any:
        if model.name in self.http_ops:
            return None
        return super()._assert_expected_params(model, params, context, **kwargs)


class FakeBraket:
    """A stubbed Braket service for one region: queue responses, then run the code under test.

    ``config``: the botocore ``Config`` of the client (qroute's ``client_config`` to test its
    retry mode; default: botocore's).
    """

    def __init__(self, region: str = "us-east-1", *, config: Any = None) -> None:
        self.region = region
        self.boto = boto3.Session(
            aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET, region_name=region
        )
        self.client = self.boto.client("braket", region_name=region, config=config)
        self.http_answers: deque[tuple[int, dict[str, Any], dict[str, str]]] = deque()
        self.stubber = _PartialStubber(self.client, set())
        self.stubber.activate()
        self.s3: dict[tuple[str, str], Any] = {}  # a body, or a function returning one
        self.calls: dict[str, int] = {}
        self.create_params: list[dict[str, Any]] = []
        self.sends = 0  # HTTP sends of CreateQuantumTask answered by http_create
        self.made: set[str] = set()  # ARNs of the tasks this fake service created
        for op in (
            "CreateQuantumTask",
            "GetQuantumTask",
            "GetDevice",
            "CancelQuantumTask",
            "SearchQuantumTasks",
        ):
            self.client.meta.events.register(
                f"before-parameter-build.braket.{op}", self._counter(op)
            )
        self.client.meta.events.register(
            "before-send.braket.CreateQuantumTask", self._http_send, unique_id="fake-http"
        )
        self.client.meta.events.register(
            "after-call.braket.CreateQuantumTask", self._made, unique_id="fake-made"
        )

    def _made(self, parsed: Any = None, **_: Any) -> None:
        arn = parsed.get("quantumTaskArn") if isinstance(parsed, dict) else None
        if arn:
            self.made.add(str(arn))

    def http_create(self, status: int, *, code: str | None = None, arn: str | None = None) -> None:
        """Answer the next CreateQuantumTask *HTTP send* (retries included) with ``status``:
        an error ``code`` or, for 200, the task ``arn``."""
        self.stubber.http_ops.add("CreateQuantumTask")
        if status == 200:
            self.http_answers.append((200, {"quantumTaskArn": arn}, {}))
        else:
            headers = {"x-amzn-ErrorType": str(code)}
            self.http_answers.append((status, {"message": f"{code} (fake)"}, headers))

    def _http_send(self, request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        if not self.http_answers:
            raise AssertionError("unexpected CreateQuantumTask send: none queued")
        self.sends += 1
        status, body, headers = self.http_answers.popleft()
        raw = _Body(json.dumps(body).encode())
        headers = {"content-type": "application/json", **headers}
        return AWSResponse(request.url, status, headers, raw)

    def _counter(self, op: str) -> Any:
        def count(params: dict[str, Any], **_: Any) -> None:
            self.calls[op] = self.calls.get(op, 0) + 1
            if op == "CreateQuantumTask":
                self.create_params.append(dict(params))

        return count

    @property
    def creates(self) -> int:
        return self.calls.get("CreateQuantumTask", 0)

    def session(self, region: str | None = None) -> Any:
        from braket.aws import AwsSession

        session = AwsSession(
            boto_session=self.boto, braket_client=self.client, default_bucket=BUCKET
        )
        session.retrieve_s3_object_body = self._s3_body  # type: ignore[method-assign]
        # PennyLane's plugin swaps in a new client to add its user agent; keep the stubbed one
        session.add_braket_user_agent = lambda user_agent: None  # type: ignore[method-assign]
        return session

    def _s3_body(self, bucket: str, key: str) -> str:
        body = self.s3[(bucket, key)]
        return str(body() if callable(body) else body)

    # -- queueing responses ---------------------------------------------------------------

    def device(
        self,
        arn: str,
        caps: str,
        *,
        status: str = "ONLINE",
        simulator: bool = False,
        queue: tuple[str, str] | None = None,
    ) -> None:
        """Queue a GetDevice answer; ``queue``: (normal, priority) task queue sizes."""
        response: dict[str, Any] = {
            "deviceArn": arn,
            "deviceName": arn.rsplit("/", 1)[-1],
            "providerName": "Amazon Braket" if simulator else "IQM",
            "deviceType": "SIMULATOR" if simulator else "QPU",
            "deviceStatus": status,
            "deviceCapabilities": caps,
        }
        if queue is not None:
            tasks = "QUANTUM_TASKS_QUEUE"
            response["deviceQueueInfo"] = [
                {"queue": tasks, "queueSize": queue[0], "queuePriority": "Normal"},
                {"queue": tasks, "queueSize": queue[1], "queuePriority": "Priority"},
                {"queue": "JOBS_QUEUE", "queueSize": "0"},
            ]
        self.stubber.add_response("get_device", response, {"deviceArn": arn})

    def task_arn(self) -> str:
        return f"arn:aws:braket:{self.region}:123456789012:quantum-task/{uuid.uuid4()}"

    def create(
        self,
        arn: str,
        *,
        token: str | Any = ANY,
        tags: bool = True,
        reservation: bool = False,
        program_set: bool = False,
    ) -> None:
        expected = {
            "clientToken": token,
            "deviceArn": ANY,
            "shots": ANY,
            "outputS3Bucket": ANY,
            "outputS3KeyPrefix": ANY,
            "action": ANY,
            "deviceParameters": ANY,
        }
        if tags:  # qroute tags every task (SDK and PennyLane paths: run identity + ledger key)
            expected["tags"] = ANY
        if reservation:  # a Braket Direct reservation: the task names it
            expected["associations"] = ANY
        if program_set:  # the SDK sends no device parameters with a program set
            del expected["deviceParameters"]
        self.stubber.add_response("create_quantum_task", {"quantumTaskArn": arn}, expected)

    def create_error(self, code: str, message: str = "rate exceeded", status: int = 400) -> None:
        self.stubber.add_client_error(
            "create_quantum_task",
            service_error_code=code,
            service_message=message,
            http_status_code=status,
        )

    def task(
        self,
        arn: str,
        device_arn: str,
        status: str,
        *,
        shots: int = 100,
        times: int = 1,
        failure: str | None = None,
        position: str | None = None,
        action: str = "braket.ir.openqasm.program",
    ) -> None:
        """Queue ``times`` GetQuantumTask answers; ``position``: the task's queue position."""
        for _ in range(times):
            response: dict[str, Any] = {
                "quantumTaskArn": arn,
                "status": status,
                "deviceArn": device_arn,
                "deviceParameters": "{}",
                "shots": shots,
                "outputS3Bucket": BUCKET,
                "outputS3Directory": f"results/{arn.rsplit('/', 1)[-1]}",
                "createdAt": datetime(2026, 1, 1, tzinfo=UTC),
                "actionMetadata": {"actionType": action},
            }
            if failure is not None:
                response["failureReason"] = failure
            if position is not None:
                response["queueInfo"] = {
                    "queue": "QUANTUM_TASKS_QUEUE",
                    "position": position,
                    "queuePriority": "Normal",
                }
            self.stubber.add_response(
                "get_quantum_task",
                response,
                {
                    "quantumTaskArn": arn,
                    "additionalAttributeNames": ["QueueInfo"],
                },
            )

    def search(self, device_arn: str, tasks: Sequence[tuple[str, dict[str, str]]] = ()) -> None:
        """Queue a SearchQuantumTasks answer listing ``(arn, tags)`` tasks on the device."""
        summaries = [
            {
                "quantumTaskArn": arn,
                "status": "QUEUED",
                "deviceArn": device_arn,
                "shots": 100,
                "outputS3Bucket": BUCKET,
                "outputS3Directory": f"results/{arn.rsplit('/', 1)[-1]}",
                "createdAt": datetime(2026, 1, 7, 12, 0, tzinfo=UTC),
                "tags": tags,
            }
            for arn, tags in tasks
        ]
        self.stubber.add_response(
            "search_quantum_tasks", {"quantumTasks": summaries}, {"filters": ANY}
        )

    def cancel(self, arn: str) -> None:
        self.stubber.add_response(
            "cancel_quantum_task",
            {"quantumTaskArn": arn, "cancellationStatus": "CANCELLING"},
            {"quantumTaskArn": arn},
        )

    def result(
        self,
        arn: str,
        device_arn: str,
        rows: Sequence[Sequence[int]],
        measured: Sequence[int],
        *,
        duration_ms: int | None = None,
    ) -> None:
        """Store results.json where the task's GetQuantumTask response points."""
        self.s3[(BUCKET, self.result_key(arn))] = result_body(
            arn, device_arn, rows, measured, duration_ms=duration_ms
        )

    @staticmethod
    def result_key(arn: str) -> str:
        return f"results/{arn.rsplit('/', 1)[-1]}/results.json"

    def completed(
        self,
        arn: str,
        device_arn: str,
        rows: Sequence[Sequence[int]],
        measured: Sequence[int],
        *,
        duration_ms: int | None = None,
    ) -> None:
        """A task that is COMPLETED when first asked: two GetQuantumTask calls and results.json."""
        self.task(arn, device_arn, "COMPLETED", shots=len(rows), times=2)
        self.result(arn, device_arn, rows, measured, duration_ms=duration_ms)


def result_body(
    arn: str,
    device_arn: str,
    rows: Sequence[Sequence[int]],
    measured: Sequence[int],
    *,
    duration_ms: int | None = None,
) -> str:
    """A Braket GateModelTaskResult document (what results.json in S3 holds)."""
    additional: dict[str, Any] = {
        "action": {
            "braketSchemaHeader": {"name": "braket.ir.openqasm.program", "version": "1"},
            "source": "OPENQASM 3;",
        }
    }
    if duration_ms is not None:
        additional["simulatorMetadata"] = {
            "braketSchemaHeader": {"name": "braket.task_result.simulator_metadata", "version": "1"},
            "executionDuration": duration_ms,
        }
    body = {
        "braketSchemaHeader": {"name": "braket.task_result.gate_model_task_result", "version": "1"},
        "measurements": [list(map(int, r)) for r in rows],
        "measuredQubits": list(measured),
        "taskMetadata": {
            "braketSchemaHeader": {"name": "braket.task_result.task_metadata", "version": "1"},
            "id": arn,
            "shots": len(rows),
            "deviceId": device_arn,
        },
        "additionalMetadata": additional,
    }
    return json.dumps(body)


def program_set_body(
    arn: str, device_arn: str, programs: Sequence[tuple[Sequence[Sequence[int]], Sequence[int]]]
) -> str:
    """A Braket ProgramSetTaskResult document with every program's results inline
    (``programs``: per program, its measurement rows and measured qubits)."""
    source = {
        "braketSchemaHeader": {"name": "braket.ir.openqasm.program", "version": "1"},
        "source": "OPENQASM 3;",
    }
    results = [
        {
            "braketSchemaHeader": {"name": "braket.task_result.program_result", "version": "1"},
            "executableResults": [
                {
                    "braketSchemaHeader": {
                        "name": "braket.task_result.program_set_executable_result",
                        "version": "1",
                    },
                    "inputsIndex": 0,
                    "measurements": [list(map(int, r)) for r in rows],
                    "measuredQubits": list(measured),
                }
            ],
            "source": source,
            "additionalMetadata": {"action": source},
        }
        for rows, measured in programs
    ]
    shots = sum(len(rows) for rows, _ in programs)
    body = {
        "braketSchemaHeader": {
            "name": "braket.task_result.program_set_task_result",
            "version": "1",
        },
        "programResults": results,
        "taskMetadata": {
            "braketSchemaHeader": {
                "name": "braket.task_result.program_set_task_metadata",
                "version": "1",
            },
            "id": arn,
            "deviceId": device_arn,
            "requestedShots": shots,
            "successfulShots": shots,
            "programMetadata": [{"executables": [{}]} for _ in programs],
            "createdAt": "2026-01-07T12:00:00.000Z",
            "endedAt": "2026-01-07T12:00:05.000Z",
            "status": "COMPLETED",
            "totalFailedExecutables": 0,
        },
        "s3Location": None,
    }
    return json.dumps(body)


def tour_rows(
    sub: Subproblem,
    tour: Sequence[int],
    mapping: Sequence[int],
    measured: Sequence[int],
    shots: int,
) -> list[list[int]]:
    """``shots`` identical measurement rows encoding ``tour`` (column k = qubit measured[k])."""
    bqm = tsp_bqm(sub)
    order = list(bqm.variables)
    x: dict[Any, int] = {(stop, pos): 1 for pos, stop in enumerate(tour)}
    physical = {mapping[q]: x.get(v, 0) for q, v in enumerate(order)}
    row = [physical.get(q, 0) for q in measured]
    return [row] * shots


# --------------------------------------------------------------------------------------------
# D-Wave


class FakeFuture:
    """A dwave-cloud-client Future look-alike around a finished (or never-finishing) answer."""

    def __init__(
        self,
        problem_id: str,
        answer: dimod.SampleSet | None,
        done: bool = True,
        leap: FakeLeap | None = None,
    ) -> None:
        self.id = problem_id
        self._answer = answer
        self._done = done and answer is not None
        self._leap = leap

    def cancel(self) -> None:
        if self._leap is not None:
            self._leap.cancelled.append(self.id)

    def wait_id(self, timeout: float | None = None) -> str:
        return self.id

    def done(self) -> bool:
        if self._leap is not None and self._leap.queued_polls > 0 and self._done:
            self._leap.queued_polls -= 1  # still queued on Leap
            return False
        return self._done

    def wait(self, timeout: float | None = None) -> bool:
        return self._done

    @property
    def sampleset(self) -> dimod.SampleSet:
        assert self._answer is not None
        return self._answer

    @property
    def timing(self) -> dict[str, float]:
        assert self._answer is not None
        return dict(self._answer.info.get("timing", {}))

    def result(self) -> dimod.SampleSet:
        return self.sampleset


class FakeLeap:
    """Problems kept 'in the cloud' by id, a QPU child that submits to it, and a client."""

    def __init__(self, *, finish: bool = True) -> None:
        from dwave.system.testing import MockDWaveSampler

        self.mock = MockDWaveSampler(
            topology_type="pegasus", topology_shape=[6], substitute_kwargs={"seed": 7}
        )
        self.problems: dict[str, dimod.SampleSet] = {}
        self.labels: dict[str, str] = {}
        self.submissions = 0
        self.finish = finish
        self.cancelled: list[str] = []
        self.online = True
        self.queued_polls = 0  # done() answers False this many times first

    # the QPU child (what DWaveSampler would be)
    def child(self) -> Any:
        leap = self

        class Child(dimod.Sampler, dimod.Structured):  # type: ignore[misc]
            nodelist = leap.mock.nodelist
            edgelist = leap.mock.edgelist
            properties = leap.mock.properties
            parameters = leap.mock.parameters

            def sample(self, bqm: dimod.BinaryQuadraticModel, **kwargs: Any) -> dimod.SampleSet:
                leap.submissions += 1
                answer = leap.mock.sample(bqm, **kwargs)
                answer.resolve()
                problem_id = str(uuid.uuid4())
                leap.problems[problem_id] = answer
                if kwargs.get("label"):
                    leap.labels[kwargs["label"]] = problem_id
                future = FakeFuture(problem_id, answer, done=leap.finish, leap=leap)
                return dimod.SampleSet.from_future(future, lambda f: f.sampleset)

        return Child()

    def client(self) -> Any:
        leap = self

        class Client:
            closed = False

            def __enter__(self) -> Any:
                return self

            def __exit__(self, *exc: object) -> None:
                self.close()

            def retrieve_answer(self, problem_id: str) -> FakeFuture:
                return FakeFuture(problem_id, leap.problems.get(problem_id), done=leap.finish)

            def close(self) -> None:
                self.closed = True

            def get_solver(self, name: str | None = None) -> Any:
                return type("Solver", (), {"online": leap.online, "avg_load": 0.25})()

        return Client()

    def lookup(self, label: str) -> str | None:
        return self.labels.get(label)


class FakeHybridSampler:
    """LeapHybridSampler look-alike: simulated annealing locally, answers with problem ids."""

    def __init__(
        self,
        leap: FakeLeap,
        run_time_us: float = 3_000_000.0,
        *,
        charge_time_us: float | None = None,
        min_limit: float = 3.0,
    ) -> None:
        self.leap = leap
        self.run_time_us = run_time_us
        self.charge_time_us = run_time_us if charge_time_us is None else charge_time_us
        self.min_limit = min_limit
        self.calls: list[dict[str, Any]] = []

    def min_time_limit(self, bqm: dimod.BinaryQuadraticModel) -> float:
        return self.min_limit

    def sample(
        self, bqm: dimod.BinaryQuadraticModel, time_limit: float, label: str
    ) -> dimod.SampleSet:
        from dwave.samplers import SimulatedAnnealingSampler

        self.calls.append(
            {"variables": list(bqm.variables), "time_limit": time_limit, "label": label}
        )
        self.leap.submissions += 1
        found = SimulatedAnnealingSampler().sample(bqm, num_reads=20, seed=3).aggregate()
        problem_id = str(uuid.uuid4())
        best = found.truncate(1)
        best.info.update(
            problem_id=problem_id, run_time=self.run_time_us, charge_time=self.charge_time_us
        )
        self.leap.problems[problem_id] = best
        self.leap.labels[label] = problem_id
        future = FakeFuture(problem_id, best, done=self.leap.finish, leap=self.leap)
        return dimod.SampleSet.from_future(future, lambda f: f.sampleset)


class FakeCQMSampler:
    """LeapHybridCQMSampler look-alike: dimod's ExactCQMSolver (small models only); answers
    with the best feasible sample, a problem id and a charge time; keeps every CQM sent."""

    def __init__(self, *, min_limit: float = 5.0, charge_time_us: float = 5e6) -> None:
        self.min_limit = min_limit
        self.charge_time_us = charge_time_us
        self.sent: list[dimod.ConstrainedQuadraticModel] = []

    def min_time_limit(self, cqm: dimod.ConstrainedQuadraticModel) -> float:
        return self.min_limit

    def sample_cqm(
        self, cqm: dimod.ConstrainedQuadraticModel, time_limit: float, label: str
    ) -> dimod.SampleSet:
        self.sent.append(cqm)
        answer = dimod.ExactCQMSolver().sample_cqm(cqm)
        best = answer.filter(lambda d: d.is_feasible).truncate(1)
        best.info.update(
            problem_id=f"cqm-{len(self.sent)}",
            charge_time=self.charge_time_us,
            run_time=self.charge_time_us,
        )
        return best


# -- AWS's Braket price list rows (braket.tracking.pricing), for the Tracker cross-check --


def price_row(**fields: str) -> dict[str, str]:
    return {"Currency": "USD", **fields}


SIMULATOR_PRICES = [
    price_row(
        **{
            "Region Code": "us-east-1",
            "Version": "SV1",
            "Product Family": "Simulator Task",
            "operation": "CompleteTask",
            "Unit": "minutes",
            "PricePerUnit": "0.075",
        }
    )
]
GARNET_PRICES = [
    price_row(
        **{
            "Region Code": "eu-north-1",
            "DeviceName": "Garnet",
            "Product Family": family,
            "PricePerUnit": price,
        }
    )
    for family, price in (("Quantum Task-Shot", "0.00145"), ("Quantum Task", "0.30"))
]


class SimulatedCrash(BaseException):
    """Stands in for the process dying (nothing catches a BaseException subclass)."""


def crash_after_the_id_is_written(patch: Any) -> None:
    """Make ``Ledger.mark_submitted`` write the task / problem id, then die (``patch``: a
    ``pytest.MonkeyPatch`` or its ``context()``)."""
    from qroute.cloud.ledger import Ledger

    original = Ledger.mark_submitted

    def crash(self: Ledger, key: str, task_id: str, **extra: Any) -> None:
        original(self, key, task_id, **extra)
        raise SimulatedCrash

    patch.setattr(Ledger, "mark_submitted", crash)
