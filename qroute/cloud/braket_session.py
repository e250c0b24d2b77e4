"""Braket sessions: boto3's credential chain, Braket's idempotency token, the live-status cache.

``default_session`` builds the ``AwsSession``; ``install_token_hook`` makes every
CreateQuantumTask carry the client token held in ``CLIENT_TOKEN`` (persisted in the ledger
before the call, so a resend after a crash returns the task Braket already made).
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any

from qroute.cloud.settings import CloudSettings

__all__ = [
    "CLIENT_TOKEN",
    "LIVE_STATUS",
    "LIVE_STATUS_TTL_S",
    "RETRYABLE_ERRORS",
    "default_session",
    "error_code",
    "install_token_hook",
    "region_of",
]

#: Service errors after which the same request (same client token) is sent again.
RETRYABLE_ERRORS = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServiceException",
    }
)
CLIENT_TOKEN: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "qroute_braket_client_token", default=None
)


def region_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 3 else None


def default_session(region: str | None, settings: CloudSettings, *, quick: bool = False) -> Any:
    """An ``AwsSession`` from boto3's own credential chain, in ``region``.

    ``quick`` (status checks for ``availability()``): short timeouts and no retries, so an
    unreachable endpoint costs seconds, not minutes.
    """
    import boto3
    from botocore.config import Config
    from braket.aws import AwsSession

    if quick:
        config = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1})
    else:
        config = Config(
            connect_timeout=10, read_timeout=60, retries={"mode": "standard", "max_attempts": 5}
        )
    return AwsSession(
        boto_session=boto3.Session(region_name=region),
        config=config,
        default_bucket=settings.s3_bucket,
    )


#: Live device status by device ARN: (monotonic time, reason or None), shared by the SDK and
#: PennyLane backends of one device.
LIVE_STATUS: dict[str, tuple[float, str | None]] = {}
LIVE_STATUS_TTL_S = 60.0


def _provide_token(params: dict[str, Any], **_: Any) -> None:
    token = CLIENT_TOKEN.get()
    if token:
        params["clientToken"] = token


def install_token_hook(session: Any) -> None:
    """Make CreateQuantumTask send our persisted client token (Braket's idempotency token).

    The hook goes on the current braket client *and* on the boto3 session, because some
    callers (PennyLane's Braket plugin, via ``add_braket_user_agent``) replace the client with
    a new one made from the session.
    """
    event = "provide-client-params.braket.CreateQuantumTask"
    for emitter in (session.braket_client.meta.events, session.boto_session.events):
        emitter.register(event, _provide_token, unique_id="qroute-client-token")


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code") or "") or None
    return None
