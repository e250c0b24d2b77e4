"""Braket sessions: boto3's credential chain and retries, the idempotency token, run tags.

``default_session`` builds the ``AwsSession`` with botocore's ``standard`` retry mode (the one
retry layer: throttling and 5xx answers are retried by botocore, bounded by
``CloudSettings.retry_attempts``; every attempt carries the same client token, so a retried
CreateQuantumTask never makes a second task). ``install_submission_hooks`` makes every
CreateQuantumTask carry the client token of the current :class:`Submission` (persisted in the
ledger before the call) and hands the created task's ARN to that submission alone, so
concurrent solves never see each other's tasks. ``task_tags`` / ``find_tagged_task`` tag a
task with its run and ledger key and find it again (SearchQuantumTasks by device and creation
time, then the tags).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from qroute.cloud.credentials import watch_aws_credentials
from qroute.cloud.settings import CloudSettings

__all__ = [
    "LIVE_STATUS",
    "LIVE_STATUS_TTL_S",
    "SUBMISSION",
    "TAG_APP",
    "Submission",
    "client_config",
    "default_session",
    "error_code",
    "find_tagged_task",
    "http_status",
    "install_submission_hooks",
    "region_of",
    "retry_attempts",
    "task_tags",
]

#: Tag keys on every task qroute creates (run and dispatch keys as in ``cloud.settings``).
TAG_APP = "qroute"


@dataclass
class Submission:
    """One solve's CreateQuantumTask: the token it sends and what to do with the ARN it gets."""

    token: str
    on_created: Callable[[str], None] | None = None
    arns: list[str] = field(default_factory=list)

    def created(self, arn: str) -> None:
        if not self.arns and self.on_created is not None:
            self.on_created(arn)
        self.arns.append(arn)


#: The submission of the solve running in this thread / context (None: not submitting).
SUBMISSION: contextvars.ContextVar[Submission | None] = contextvars.ContextVar(
    "qroute_braket_submission", default=None
)


def region_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 3 else None


def client_config(settings: CloudSettings, *, quick: bool = False) -> Any:
    """botocore ``Config`` of the braket client: the one retry layer.

    ``standard`` mode retries throttling, transient and 5xx errors with exponential backoff,
    ``settings.retry_attempts`` attempts in all. ``quick`` (status checks for
    ``availability()``): short timeouts and no retries.
    """
    from botocore.config import Config

    if quick:
        return Config(connect_timeout=3, read_timeout=5, retries={"total_max_attempts": 1})
    return Config(
        connect_timeout=10,
        read_timeout=60,
        retries={"mode": "standard", "total_max_attempts": max(1, settings.retry_attempts)},
    )


def default_session(region: str | None, settings: CloudSettings, *, quick: bool = False) -> Any:
    """An ``AwsSession`` from boto3's own credential chain, in ``region``."""
    import boto3
    from braket.aws import AwsSession

    session = AwsSession(
        boto_session=boto3.Session(region_name=region),
        config=client_config(settings, quick=quick),
        default_bucket=settings.s3_bucket,
    )
    watch_aws_credentials(session)  # SSO / assumed-role tokens are redacted too
    return session


#: Live device status by device ARN: (monotonic time, reason or None), shared by the SDK and
#: PennyLane backends of one device.
LIVE_STATUS: dict[str, tuple[float, str | None]] = {}
LIVE_STATUS_TTL_S = 60.0


def _provide_token(params: dict[str, Any], **_: Any) -> None:
    submission = SUBMISSION.get()
    if submission is not None:
        params["clientToken"] = submission.token


def _record_created(parsed: Any = None, **_: Any) -> None:
    submission = SUBMISSION.get()
    arn = parsed.get("quantumTaskArn") if isinstance(parsed, Mapping) else None
    if submission is not None and arn:
        submission.created(str(arn))


def install_submission_hooks(session: Any) -> None:
    """CreateQuantumTask sends the current submission's client token (Braket's idempotency
    token) and reports the new task's ARN to that submission only.

    The hooks go on the current braket client *and* on the boto3 session, because some
    callers (PennyLane's Braket plugin, via ``add_braket_user_agent``) replace the client with
    a new one made from the session. They run in the submitting thread, so the context
    variable ties each ARN to its own solve.
    """
    hooks = (
        ("provide-client-params.braket.CreateQuantumTask", _provide_token, "qroute-client-token"),
        ("after-call.braket.CreateQuantumTask", _record_created, "qroute-task-created"),
    )
    for emitter in (session.braket_client.meta.events, session.boto_session.events):
        for event, hook, unique_id in hooks:
            emitter.register(event, hook, unique_id=unique_id)


def task_tags(settings: CloudSettings, key: str) -> dict[str, str]:
    """The tags of one qroute task: application, then the run identity and ledger key
    (``settings.dispatch_tags``, the one place that names a dispatch on the services)."""
    return {TAG_APP: "subproblem", **settings.dispatch_tags(key)}


#: Slack on the creation-time filter (clock skew between this machine and Braket).
SEARCH_SLACK = timedelta(minutes=10)


def find_tagged_task(
    session: Any, device_arn: str, since: datetime, tags: Mapping[str, str]
) -> str | None:
    """The ARN of the newest task on ``device_arn`` created after ``since`` (UTC-aware, less
    :data:`SEARCH_SLACK`) that carries all ``tags``, or None.

    SearchQuantumTasks filters by device and creation time on the service side; the tags are
    matched here (the API has no tag filter).
    """
    start = (since - SEARCH_SLACK).strftime("%Y-%m-%dT%H:%M:%SZ")
    filters = [
        {"name": "deviceArn", "operator": "EQUAL", "values": [device_arn]},
        {"name": "createdAt", "operator": "GTE", "values": [start]},
    ]
    found: list[tuple[datetime, str]] = []
    paginator = session.braket_client.get_paginator("search_quantum_tasks")
    for page in paginator.paginate(filters=filters):
        for summary in page.get("quantumTasks", []):
            carried = summary.get("tags") or {}
            if all(carried.get(name) == value for name, value in tags.items()):
                found.append((summary["createdAt"], summary["quantumTaskArn"]))
    return max(found)[1] if found else None


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code") or "") or None
    return None


def http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if status is not None else None
    return None


def retry_attempts(exc: BaseException) -> int:
    """How many times botocore sent the request before giving up (1: no retry)."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return 1 + int(response.get("ResponseMetadata", {}).get("RetryAttempts") or 0)
    return 1
