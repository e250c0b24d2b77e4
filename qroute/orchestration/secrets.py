"""Credentials from Prefect: the D-Wave token in a Prefect ``Secret`` block.

The cloud layer never imports Prefect; it asks a token source callable
(``qroute.cloud.credentials.set_dwave_token_source``). ``install_dwave_token_source`` installs
one that reads the block named by ``$QROUTE_DWAVE_TOKEN_BLOCK`` (the CLI's cloud options and
the nightly flow call it); without that variable nothing is installed.
"""

from __future__ import annotations

import os

from qroute.cloud.credentials import DWAVE_TOKEN_BLOCK_ENV, set_dwave_token_source

__all__ = ["install_dwave_token_source", "prefect_secret"]


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
