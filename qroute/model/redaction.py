"""Secret redaction, the one place: every text qroute shows or stores from an SDK error, a log
record or a result goes through :func:`redact`.

It removes the values of the secret environment variables, every secret registered with
:func:`register_secret` (Prefect secret blocks, and the credentials boto3 and the D-Wave
client resolve at runtime: SSO caches, assumed roles, config files), AWS key ids and
secret-key-shaped strings, D-Wave tokens, ``Authorization``/``X-Auth-Token``/
``X-Amz-Security-Token`` headers (also as botocore's DEBUG lines print them, Python bytes:
``'Authorization': b'AWS4-HMAC-SHA256 ...'``) and the signing parameters of presigned URLs.

It lives in the model layer so that every layer can use it: the fallback chain
(``qroute.backends.fallback``) stores only redacted reasons; ``qroute.cloud.credentials``
collects the runtime secrets.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "REDACTED",
    "SDK_LOGGERS",
    "SECRET_ENV_VARS",
    "RedactingFilter",
    "install_log_redaction",
    "module_logger",
    "redact",
    "register_secret",
    "safe_error",
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
    # (botocore's DEBUG lines print header values as Python bytes: 'Authorization': b'AWS4-...')
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*(?:b?['\"])?)[^'\"\r\n]+"),
        r"\1" + REDACTED,
    ),
    (
        re.compile(
            r"(?i)((?:x-auth-token|x-amz-security-token)['\"]?\s*[:=]\s*(?:b?['\"])?)"
            r"[^&\s'\",;}]+"
        ),
        r"\1" + REDACTED,
    ),
    # key = value / "key": "value" for secret-looking keys
    (
        re.compile(
            r"(?i)(\b(?:aws_secret_access_key|aws_session_token|secret_access_key|secretaccesskey"
            r"|session_token|sessiontoken|api_token|dwave_api_token|token|secret|password)"
            r"['\"]?\s*[:=]\s*(?:b?['\"])?)[^\s'\",;&}]+"
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
    """``value`` with every secret removed: strings, bytes, and dicts/lists/tuples of them,
    recursively.

    Other values are returned unchanged.
    """
    if isinstance(value, str):
        text = value
        for secret in _known_secrets():
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return _redact_secret_key_shapes(text)
    if isinstance(value, bytes):  # e.g. a header value; undecodable bytes stay as they are
        try:
            return str(redact(value.decode("utf-8"))).encode("utf-8")
        except UnicodeDecodeError:
            return value
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
    logger_names: Iterable[str] = SDK_LOGGERS,
    *,
    root_handlers: bool = True,
    handlers_of: Iterable[str] = (),
) -> None:
    """Redact secrets from log output.

    A logger's filters only see records created on that very logger, so the filter goes on the
    named loggers *and* on every handler of the root logger (which sees all propagated records)
    and of the loggers in ``handlers_of`` (e.g. Prefect's, whose handlers send run logs to the
    API). Call it once at start-up (the CLI and the flows do); it is idempotent.
    """
    for name in logger_names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    owners = [*([""] if root_handlers else []), *handlers_of]
    for owner in owners:
        for handler in logging.getLogger(owner or None).handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def module_logger(name: str) -> logging.Logger:
    """A logger for a qroute.cloud module, with the redacting filter attached."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
