"""Credentials through the SDKs' own chains only, availability reasons, and secret redaction.

qroute never reads, stores or passes AWS keys itself: boto3's chain (environment, shared
config/credentials profile, SSO, container or instance role) and dwave-cloud-client's chain
(``DWAVE_API_TOKEN``, the dwave config file) find them. The one extra source is a token
source callable installed by a layer above (``set_dwave_token_source``): the orchestration
layer's Prefect ``Secret`` block (``QROUTE_DWAVE_TOKEN_BLOCK``), for Prefect workers.

Everything qroute formats from an SDK error, a log record or a result goes through
:func:`redact`, which removes the values of the secret environment variables, any secret
registered with :func:`register_secret`, AWS key ids and secret-key-shaped strings, D-Wave
tokens, ``Authorization``/``X-Auth-Token`` headers and the signing parameters of presigned URLs.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = [
    "REDACTED",
    "SECRET_ENV_VARS",
    "RedactingFilter",
    "aws_credentials_reason",
    "dwave_token",
    "dwave_credentials_reason",
    "install_log_redaction",
    "redact",
    "register_secret",
    "safe_error",
    "set_dwave_token_source",
]

REDACTED = "[REDACTED]"

#: Environment variables whose values are secrets wherever they show up.
SECRET_ENV_VARS = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "DWAVE_API_TOKEN",
    "AMZN_BRAKET_JOB_TOKEN",
)
DWAVE_TOKEN_BLOCK_ENV = "QROUTE_DWAVE_TOKEN_BLOCK"

_registered: set[str] = set()
_registered_lock = threading.Lock()

# (pattern, replacement); group 1, when present, is kept (the parameter or header name).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # presigned-URL signing parameters (SigV4 and SigV2) and session tokens in query strings
    (
        re.compile(
            r"(?i)([?&](?:X-Amz-(?:Signature|Credential|Security-Token|SignedHeaders|Date|Expires)"
            r"|Signature|AWSAccessKeyId|Expires|x-amz-security-token|token)=)[^&\s\"'<>]+"
        ),
        r"\1" + REDACTED,
    ),
    # HTTP headers that carry credentials (an Authorization value runs to the end of the line)
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n]+"),
        r"\1" + REDACTED,
    ),
    (
        re.compile(
            r"(?i)((?:x-auth-token|x-amz-security-token)['\"]?\s*[:=]\s*['\"]?)[^&\s'\",;}]+"
        ),
        r"\1" + REDACTED,
    ),
    # key = value / "key": "value" for secret-looking keys
    (
        re.compile(
            r"(?i)(\b(?:aws_secret_access_key|aws_session_token|secret_access_key|secretaccesskey"
            r"|session_token|sessiontoken|api_token|dwave_api_token|token|secret|password)"
            r"['\"]?\s*[:=]\s*['\"]?)[^\s'\",;&}]+"
        ),
        r"\1" + REDACTED,
    ),
    # AWS access key ids (long-term AKIA, temporary ASIA)
    (re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA|ANPA|AGPA)[A-Z0-9]{16}\b"), REDACTED),
    # D-Wave Leap API tokens: PREFIX-<40 hex>
    (re.compile(r"\b[A-Za-z]{2,8}-[0-9a-f]{40}\b"), REDACTED),
)
# AWS secret access keys: 40 characters of base64 with both letter cases
_SECRET_KEY_SHAPE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def register_secret(value: str | None) -> None:
    """Redact ``value`` from now on wherever :func:`redact` runs (e.g. a Prefect secret)."""
    if value and len(value) >= 6:
        with _registered_lock:
            _registered.add(value)


def _known_secrets() -> list[str]:
    values = [os.environ.get(name, "") for name in SECRET_ENV_VARS]
    with _registered_lock:
        values.extend(_registered)
    # longest first so a secret containing another is removed whole
    return sorted({v for v in values if v and len(v) >= 6}, key=len, reverse=True)


def _redact_secret_key_shapes(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        word = match.group(0)
        if any(c.isupper() for c in word) and any(c.islower() for c in word):
            return REDACTED
        return word

    return _SECRET_KEY_SHAPE.sub(repl, text)


def redact(value: Any) -> Any:
    """``value`` with every secret removed: strings, and dicts/lists/tuples of them, recursively.

    Other values are returned unchanged.
    """
    if isinstance(value, str):
        text = value
        for secret in _known_secrets():
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return _redact_secret_key_shapes(text)
    if isinstance(value, Mapping):
        return {redact(k) if isinstance(k, str) else k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact(v) for v in value)
    return value


def safe_error(exc: BaseException) -> str:
    """``"TypeName: message"`` with secrets removed, for reasons, logs and re-raised errors."""
    message = str(exc).strip()
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return str(redact(text))


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the message, its arguments and any traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw template
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()
#: Loggers whose records carry SDK or cloud text.
SDK_LOGGERS = ("qroute", "braket", "botocore", "boto3", "urllib3", "dwave", "prefect")


def install_log_redaction(
    logger_names: Iterable[str] = SDK_LOGGERS, *, root_handlers: bool = True
) -> None:
    """Redact secrets from log output.

    A logger's filters only see records created on that very logger, so the filter goes on the
    named loggers *and* on every handler of the root logger (which sees all propagated records).
    Call it once at start-up (the CLI does); it is idempotent.
    """
    for name in logger_names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    if root_handlers:
        for handler in logging.getLogger().handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def module_logger(name: str) -> logging.Logger:
    """A logger for a qroute.cloud module, with the redacting filter attached."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


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
    return None


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

    reason = sdk_chain()
    return None if reason is None else str(redact(reason))
