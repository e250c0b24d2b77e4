"""`qroute prefect-server status|stop`: the shared local Prefect API server of this project.

`qroute solve` starts it on first use and leaves it running for the next command; it stops
by itself after $QROUTE_PREFECT_SERVER_IDLE_MINUTES (default 15) without a command
(qroute.orchestration.api_server). Nothing here applies when PREFECT_API_URL is configured.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from qroute.cli.app import app, print_json
from qroute.orchestration.api_server import prefect_defaults, status, stop_shared

server_app = typer.Typer(
    name="prefect-server",
    help="the shared local Prefect API server that qroute solve starts and reuses",
    no_args_is_help=True,
)
app.add_typer(server_app)


def _home() -> Path:
    prefect_defaults()  # the PREFECT_HOME qroute solve uses
    return Path(os.environ["PREFECT_HOME"])


@server_app.command("status", help="whether the shared server runs, its URL and idle time")
def _status() -> int:
    print_json(status(_home()))
    return 0


@server_app.command("stop", help="stop the shared server now (the next solve starts one)")
def _stop() -> int:
    home = _home()
    print("stopped the shared Prefect API server" if stop_shared(home) else "no shared server ran")
    return 0
