"""Credentials from Prefect (the D-Wave token in a Prefect ``Secret`` block), and redaction of
everything Prefect logs.

The cloud layer never imports Prefect; it asks a token source callable
(``qroute.cloud.credentials.set_dwave_token_source``). ``install_dwave_token_source`` installs
one that reads the block named by ``$QROUTE_DWAVE_TOKEN_BLOCK`` (the CLI's cloud options and
the nightly flow call it); without that variable nothing is installed.

``install_prefect_redaction`` puts the redacting filter on Prefect's flow-run and task-run
loggers (what ``get_run_logger()`` and ``log_prints`` write to) and on every handler of
Prefect's loggers, among them the API handler that ships worker logs to the Prefect UI. The
flows and the subproblem task call it when they start, in whichever process runs them.
"""

from __future__ import annotations

import os

from qroute.cloud.credentials import (
    DWAVE_TOKEN_BLOCK_ENV,
    SDK_LOGGERS,
    install_log_redaction,
    set_dwave_token_source,
)

__all__ = [
    "PREFECT_LOGGERS",
    "install_dwave_token_source",
    "install_prefect_redaction",
    "prefect_secret",
]

#: Prefect's loggers: run loggers (flow and task runs), the engine, workers, the root one.
PREFECT_LOGGERS = (
    "prefect",
    "prefect.flow_runs",
    "prefect.task_runs",
    "prefect.engine",
    "prefect.workers",
    "prefect.runner",
)


def install_prefect_redaction() -> None:
    """Redact secrets from Prefect's run logs in this process (idempotent, cheap)."""
    install_log_redaction((*SDK_LOGGERS, *PREFECT_LOGGERS), handlers_of=PREFECT_LOGGERS)


def prefect_secret(block: str) -> str | None:
    """The value of the Prefect ``Secret`` block ``block`` (None when empty)."""
    from prefect.blocks.system import Secret

    value = Secret.load(block).get()  # type: ignore[union-attr]
    return str(value) if value else None


def install_dwave_token_source() -> bool:
    """Let the cloud layer read the D-Wave token from ``$QROUTE_DWAVE_TOKEN_BLOCK``'s block,
    looked up when a backend needs it; returns whether a block is configured."""
    if not os.environ.get(DWAVE_TOKEN_BLOCK_ENV):
        return False

    def token() -> str | None:
        block = os.environ.get(DWAVE_TOKEN_BLOCK_ENV)
        return prefect_secret(block) if block else None

    set_dwave_token_source(token)
    return True
