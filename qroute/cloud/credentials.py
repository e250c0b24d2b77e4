"""Credentials through the SDKs' own chains only, availability reasons, and secret redaction.

qroute never reads, stores or passes AWS keys itself: boto3's chain (environment, shared
config/credentials profile, SSO, container or instance role) and dwave-cloud-client's chain
(``DWAVE_API_TOKEN``, the dwave config file) find them. The one extra source is a token
source callable installed by a layer above (``set_dwave_token_source``): the orchestration
layer's Prefect ``Secret`` block (``QROUTE_DWAVE_TOKEN_BLOCK``), for Prefect workers.

Everything qroute formats from an SDK error, a log record or a result goes through
:func:`redact` (``qroute.model.redaction``, re-exported here). Secrets that no environment
variable holds are registered with it as they are resolved: the credentials boto3's chain
finds (SSO caches, assumed or instance roles; :func:`watch_aws_credentials` re-registers
them at every request signing, so refreshed session tokens are covered) and the D-Wave
token from the client's config file or the Prefect block.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from qroute.model.redaction import (
    REDACTED,
    SDK_LOGGERS,
    SECRET_ENV_VARS,
    RedactingFilter,
    install_log_redaction,
    module_logger,
    redact,
    register_secret,
    safe_error,
)

__all__ = [
    "REDACTED",
    "SDK_LOGGERS",
    "SECRET_ENV_VARS",
    "RedactingFilter",
    "aws_credentials_reason",
    "dwave_credentials_reason",
    "dwave_token",
    "install_log_redaction",
    "module_logger",
    "redact",
    "register_aws_credentials",
    "register_dwave_config",
    "register_secret",
    "safe_error",
    "set_dwave_token_source",
    "watch_aws_credentials",
]

DWAVE_TOKEN_BLOCK_ENV = "QROUTE_DWAVE_TOKEN_BLOCK"

# --------------------------------------------------------------------------------------------
# AWS


_AWS_CACHE: dict[tuple[str, ...], tuple[float, str | None]] = {}
_AWS_TTL_S = 300.0
_AWS_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_EC2_METADATA_DISABLED",
    "HOME",
)


def _aws_fingerprint() -> tuple[str, ...]:
    # names and paths only, plus whether keys are set: never the secret values
    present = tuple(
        str(bool(os.environ.get(n))) for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    )
    return tuple(os.environ.get(n, "") for n in _AWS_ENV) + present


def aws_credentials_reason(*, use_cache: bool = True) -> str | None:
    """None when boto3's credential chain finds credentials, else why not (no secrets in it).

    The chain may query the container or instance metadata service (up to about a second
    when none answers), so the answer is cached for five minutes per credential setting.
    """
    key = _aws_fingerprint()
    now = time.monotonic()
    if use_cache and key in _AWS_CACHE and now - _AWS_CACHE[key][0] < _AWS_TTL_S:
        return _AWS_CACHE[key][1]
    reason = _aws_reason_uncached()
    _AWS_CACHE[key] = (now, reason)
    return reason


def _aws_reason_uncached() -> str | None:
    try:
        import boto3
        from botocore.exceptions import ProfileNotFound
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return "boto3 is not installed"
    try:
        credentials = boto3.Session().get_credentials()
    except ProfileNotFound:
        profile = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
        return f"no AWS credentials (AWS profile {profile!r} not found)"
    except Exception as exc:  # a broken config file, an SSO session that expired, ...
        return f"no AWS credentials (boto3 credential chain failed: {safe_error(exc)})"
    if credentials is None:
        return "no AWS credentials (boto3 found none: no env keys, profile, SSO or role)"
    _register_frozen(credentials)
    return None


def _register_frozen(credentials: Any) -> None:
    """Register the secret parts of botocore credentials (nothing when they cannot resolve)."""
    try:
        frozen = credentials.get_frozen_credentials()
    except Exception:  # an expired SSO session, a role that cannot be assumed: nothing to hide
        return
    for value in (frozen.access_key, frozen.secret_key, frozen.token):
        register_secret(value)


def register_aws_credentials(boto_session: Any) -> None:
    """Register the credentials boto3's chain resolves for ``boto_session`` (a
    ``boto3.Session``) with the redactor: SSO and assumed-role tokens live in no variable."""
    try:
        credentials = boto_session.get_credentials()
    except Exception:
        return
    if credentials is not None:
        _register_frozen(credentials)


def watch_aws_credentials(session: Any) -> None:
    """Register ``session``'s credentials now and again before every request is signed.

    ``session`` is a ``boto3.Session`` or a Braket ``AwsSession`` (its ``boto_session`` and
    existing clients get the hook: a client copies the session's events when it is made).
    Refreshable credentials (assumed roles, SSO, instance roles) get a new session token every
    hour; the hook registers each one before botocore can log it.
    """
    boto_session = getattr(session, "boto_session", session)
    register_aws_credentials(boto_session)

    def before_sign(**_: Any) -> None:
        register_aws_credentials(boto_session)

    emitters = [getattr(boto_session, "events", None)]
    for client in ("braket_client", "s3_client", "sts_client"):
        meta = getattr(getattr(session, client, None), "meta", None)
        emitters.append(getattr(meta, "events", None))
    for events in emitters:
        if events is not None:
            events.register("before-sign", before_sign, unique_id="qroute-redact-credentials")


# --------------------------------------------------------------------------------------------
# D-Wave


TokenSource = Callable[[], str | None]
"""A callable that returns a D-Wave token (or None): how a layer above (the Prefect Secret
block of ``qroute.orchestration.secrets``) hands a credential to the cloud layer."""

_token_source: TokenSource | None = None


def set_dwave_token_source(source: TokenSource | None) -> None:
    """Install (or, with None, remove) the source ``dwave_token`` asks first."""
    global _token_source
    _token_source = source


def dwave_token() -> str | None:
    """A D-Wave token from the installed token source (see ``set_dwave_token_source``).

    None when no source is installed or it has none: the cloud client then uses its own
    chain (``DWAVE_API_TOKEN``, the dwave config file). The value is registered for redaction.
    """
    if _token_source is None:
        return None
    value = _token_source()
    token = str(value) if value else None
    register_secret(token)
    return token


def dwave_credentials_reason() -> str | None:
    """None when a D-Wave token is reachable (token source, env or dwave config), else why not.

    ``$QROUTE_DWAVE_TOKEN_BLOCK`` names a Prefect Secret block; the orchestration layer reads
    it (``qroute.orchestration.secrets.install_dwave_token_source``), never this module.
    """
    if os.environ.get(DWAVE_TOKEN_BLOCK_ENV):
        if _token_source is None:
            return (
                f"no D-Wave credentials (${DWAVE_TOKEN_BLOCK_ENV} names a Prefect secret block "
                "but no token source is installed: run through the qroute CLI or flows)"
            )
        try:
            if dwave_token():
                return None
        except Exception as exc:
            return f"no D-Wave credentials (Prefect secret block unreadable: {safe_error(exc)})"
        return "no D-Wave credentials (the Prefect secret block is empty)"
    from qroute.backends.annealing import dwave_credentials_reason as sdk_chain

    register_dwave_config()
    reason = sdk_chain()
    return None if reason is None else str(redact(reason))


def register_dwave_config(client: Any = None) -> None:
    """Register the D-Wave token with the redactor: a ``dwave.cloud.Client``'s, else the one
    ``dwave.cloud.config.load_config()`` finds (``DWAVE_API_TOKEN`` or the config file)."""
    token: Any = None
    if client is not None:
        token = getattr(getattr(client, "config", None), "token", None)
    else:
        try:
            from dwave.cloud.config import load_config

            token = load_config().get("token")
        except Exception:  # an unreadable config file: the SDK chain reports it
            return
    if token:
        register_secret(str(token))
