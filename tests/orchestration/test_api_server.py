"""The shared local Prefect API server: started by one command, reused by the next, stopped
by `qroute prefect-server stop` or after its idle time, and never left behind by these tests.

Each command here is a subprocess with its own throw-away PREFECT_HOME (Prefect must not be
imported in the process that starts the server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qroute.orchestration import api_server
from qroute.orchestration.api_server import ServerState, read_state, status, stop_shared

START = (
    "import json, os\n"
    "from pathlib import Path\n"
    "from qroute.orchestration.api_server import prefect_defaults, read_state, start_api_server\n"
    "prefect_defaults(); s = start_api_server(); s.wait_ready(timeout=240)\n"
    "state = read_state(Path(os.environ['PREFECT_HOME']))\n"
    "pids = [state.keeper_pid, state.server_pid] if state else []\n"
    "print(json.dumps({'url': s.url, 'reused': s.reused, 'shared': s.shared, 'pids': pids}))\n"
)


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QROUTE_PREFECT"))}
    return {**env, "PREFECT_HOME": str(home), **extra}


def _command(home: Path, **extra: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", START],
        env=_env(home, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not api_server._alive(pid):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("prefect-home")
    yield folder
    stop_shared(folder)  # whatever a failed test left running


def test_the_second_command_reuses_the_server_the_first_started(home: Path) -> None:
    first = _command(home)
    assert first["shared"] is True and first["reused"] is False
    state = read_state(home)
    assert state is not None and state.url == first["url"]
    second = _command(home)  # the first command has exited: its server has not
    assert second == {**first, "reused": True}
    shown = status(home)
    assert shown["running"] is True and shown["healthy"] is True and shown["url"] == first["url"]
    assert stop_shared(home) is True
    assert _gone(state.keeper_pid, 20) and _gone(state.server_pid, 20)
    assert read_state(home) is None and status(home)["running"] is False


def test_an_idle_shared_server_stops_by_itself(home: Path) -> None:
    started = _command(home, QROUTE_PREFECT_SERVER_IDLE_MINUTES="0.01")  # 0.6 s
    assert started["reused"] is False
    pids = started["pids"]
    assert isinstance(pids, list) and len(pids) == 2
    keeper, server = int(pids[0]), int(pids[1])
    assert _gone(keeper, 60) and _gone(server, 60)
    assert read_state(home) is None


def test_per_command_servers_die_with_their_command(home: Path) -> None:
    started = _command(home, QROUTE_PREFECT_SERVER="per-command")
    assert started["shared"] is False and started["pids"] == [] and read_state(home) is None


def test_a_configured_api_url_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert api_server.start_api_server() is None


def test_a_stale_record_is_cleared_and_reported_as_not_running(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    record = ServerState(port=9, keeper_pid=pid, server_pid=pid, started_at=0.0, idle_minutes=1)
    api_server._write_state(tmp_path, record)
    assert read_state(tmp_path) == record
    assert status(tmp_path)["running"] is False
    assert stop_shared(tmp_path) is False and read_state(tmp_path) is None
    (tmp_path / api_server.STATE_FILE).write_text("{not json")
    assert read_state(tmp_path) is None


@pytest.mark.parametrize(
    ("text", "minutes"), [("", 15.0), ("2.5", 2.5), ("0", 15.0), ("soon", 15.0), ("-1", 15.0)]
)
def test_idle_minutes_come_from_the_environment(
    text: str, minutes: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(api_server.IDLE_ENV, text)
    assert api_server.idle_minutes() == minutes


def test_the_status_command_prints_json(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from qroute.cli.app import main; sys.exit(main())",
            "prefect-server",
            "status",
        ],
        env=_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"running": False, "prefect_home": str(tmp_path / "home")}
