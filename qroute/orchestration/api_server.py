"""The local Prefect API server that `qroute solve` runs its flow against.

Prefect is started the supported way only: its own `prefect server start` (API only: no UI,
no background services) with `PREFECT_API_URL` pointing the command at it. A configured
`PREFECT_API_URL` (a standing server, Prefect Cloud) is used as is and nothing is started.

Otherwise the server is **shared** (the default, `QROUTE_PREFECT_SERVER=shared`): the first
command starts it under a small keeper process (`python -m qroute.orchestration.api_server`)
that outlives the command, records itself in `PREFECT_HOME/api-server.json`, and stops the
server once no command has used it for `QROUTE_PREFECT_SERVER_IDLE_MINUTES` (default 15).
Later commands find it there and pay no server start (3-5 s of CPU: importing the server,
FastAPI, SQLAlchemy, the migration check), which alone was more than the 3 s overhead goal.
`qroute prefect-server status|stop` shows and stops it. `QROUTE_PREFECT_SERVER=per-command`
starts one server per command that dies with it (the behaviour before the shared server).

Why a hand-written keeper: Prefect has no idle shutdown for `prefect server start`, and its
ephemeral mode starts a server per process. The keeper is a loop around one subprocess, with
kernel file locks for "a command is using the server" (a crashed command releases its lock).

This module does not import Prefect (the CLI starts the server before Prefect is imported,
so that its start-up overlaps with the command's imports).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DEFAULT_PREFECT_HOME = Path(".qroute") / "prefect"
MODE_ENV = "QROUTE_PREFECT_SERVER"  # "shared" (default) or "per-command"
IDLE_ENV = "QROUTE_PREFECT_SERVER_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 15.0
STATE_FILE = "api-server.json"  # the shared server: url, keeper and server pids
LEASE_FILE = "api-lease.lock"  # shared locks: commands using it; its mtime: the last use
START_LOCK = "api-start.lock"  # one server start (and database migration) at a time
LOG_FILE = "api-server.log"
CHECK_SECONDS = 5.0  # how often the keeper looks at the lease


def prefect_defaults() -> None:
    """Environment defaults for running the flow from the CLI; must run before Prefect is
    imported. Nothing already set is overridden (a configured PREFECT_API_URL is used as is).

    A project-local PREFECT_HOME (.qroute/prefect) keeps the API server's database
    (migrated once, on the first run) out of ~/.prefect; logs stay in the terminal at
    WARNING and are not shipped to the API (the live view shows progress instead).
    """
    home = Path(os.environ.setdefault("PREFECT_HOME", str(DEFAULT_PREFECT_HOME.resolve())))
    home.mkdir(parents=True, exist_ok=True)
    # the first start on a fresh home migrates the database: slow on a busy machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_command(port: int) -> list[str]:
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-ui", "--no-services"]
    return command + ["--log-level", "ERROR", "--no-background"]


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


def _lock(path: Path, shared: bool = False, block: bool = True) -> int | None:
    """A kernel lock on `path` (released when the descriptor closes or the process dies);
    None when `block` is false and someone else holds it."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    flags = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if block else fcntl.LOCK_NB)
    try:
        fcntl.flock(fd, flags)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the parent dies (Linux prctl)."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _die_with_parent_hook() -> Any:
    return _die_with_parent if sys.platform == "linux" else None


def _stop_process(process: subprocess.Popen[bytes], wait: float | None = 5.0) -> None:
    """SIGTERM (a graceful shutdown: the server writes what it buffered); with `wait`, wait
    that long and then kill it."""
    if process.poll() is None:
        process.terminate()
        if wait is not None:
            try:
                process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class ApiServer:
    """The API server one command uses: started here (per command, or shared through a
    keeper) or found running (`reused`). `wait_ready()` blocks until it answers."""

    def __init__(self, home: Path, shared: bool = True) -> None:
        self.home = home
        self.shared = shared
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.reused = False  # a shared server that an earlier command started
        self._start_lock: int | None = None
        self._lease: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> ApiServer:
        self._start_lock = _lock(self.home / START_LOCK)  # one start (and migration) at a time
        if self.shared:
            self._take_lease()
            found = read_state(self.home)
            if found is not None and _alive(found.keeper_pid) and _healthy(found.url, 1.0):
                self.port, self.reused = found.port, True
                os.environ["PREFECT_API_URL"] = self.url
                self._unlock_start()
                return self
        self.port = _free_port()
        log = open(self.home / LOG_FILE, "ab")  # noqa: SIM115 (kept by the child)
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        if self.shared:  # the keeper: its own session, so it outlives this command
            command = [sys.executable, "-m", __name__, "--home", str(self.home)]
            command += ["--port", str(self.port), "--idle-minutes", str(idle_minutes())]
            self.process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        else:  # dies with this command, even after a hard crash (Linux)
            self.process = subprocess.Popen(
                _server_command(self.port),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=_die_with_parent_hook(),  # noqa: PLW1509
            )
            atexit.register(self.stop, wait=None)  # after Prefect's own exit hooks flushed
        log.close()
        os.environ["PREFECT_API_URL"] = self.url
        return self

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Block until /health answers; raise with the server log's tail if it never does."""
        if self.reused:  # start() found it answering
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                break
            if _healthy(self.url):
                self._unlock_start()
                return
            time.sleep(0.1)
        log = (self.home / LOG_FILE).read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"the local Prefect API server did not start:\n{log}")

    def stop(self, wait: float | None = 5.0) -> None:
        """Stop the process this command started: a per-command server (at exit), or a
        shared server's keeper that never got its server to answer. A running shared server
        is left to its keeper (its idle timeout, or `qroute prefect-server stop`)."""
        self._unlock_start()
        if self.process is not None:
            _stop_process(self.process, wait)
        self.process = None

    def _take_lease(self) -> None:
        """Hold a shared lock on the lease file while this command runs (the keeper does not
        stop a server in use) and touch it now and at exit (the last use, for the idle
        timeout)."""
        lease = self.home / LEASE_FILE
        self._lease = _lock(lease, shared=True)
        os.utime(lease)

        def release() -> None:
            with contextlib.suppress(OSError):
                os.utime(lease)
            if self._lease is not None:
                os.close(self._lease)
                self._lease = None

        atexit.register(release)

    def _unlock_start(self) -> None:
        if self._start_lock is not None:
            os.close(self._start_lock)  # closing the descriptor releases the flock
            self._start_lock = None


def idle_minutes() -> float:
    """Minutes without a command before a shared server stops (IDLE_ENV, default 15)."""
    text = os.environ.get(IDLE_ENV, "")
    try:
        value = float(text) if text else DEFAULT_IDLE_MINUTES
    except ValueError:
        value = DEFAULT_IDLE_MINUTES
    return value if value > 0 else DEFAULT_IDLE_MINUTES


def start_api_server() -> ApiServer | None:
    """The command's API server, unless PREFECT_API_URL names one or Prefect is already
    imported in this process (then Prefect's own ephemeral mode applies)."""
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:
        return None
    shared = os.environ.get(MODE_ENV, "shared").strip().lower() != "per-command"
    return ApiServer(Path(os.environ["PREFECT_HOME"]), shared=shared).start()


# -- the shared server's record and keeper -----------------------------------------------


@dataclass(frozen=True)
class ServerState:
    """What PREFECT_HOME/api-server.json records about the shared server."""

    port: int
    keeper_pid: int
    server_pid: int
    started_at: float
    idle_minutes: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"


def read_state(home: Path) -> ServerState | None:
    try:
        data = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
        return ServerState(
            port=int(data["port"]),
            keeper_pid=int(data["keeper_pid"]),
            server_pid=int(data["server_pid"]),
            started_at=float(data["started_at"]),
            idle_minutes=float(data["idle_minutes"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(home: Path, state: ServerState) -> None:
    partial = home / f"{STATE_FILE}.{os.getpid()}.tmp"
    partial.write_text(json.dumps(asdict(state)))
    partial.replace(home / STATE_FILE)


def _remove_state(home: Path, keeper_pid: int) -> None:
    found = read_state(home)
    if found is not None and found.keeper_pid == keeper_pid:
        with contextlib.suppress(OSError):
            (home / STATE_FILE).unlink()


def status(home: Path) -> dict[str, Any]:
    """The shared server of `home` as a dict: running (and answering) or not."""
    found = read_state(home)
    if found is None or not _alive(found.keeper_pid):
        return {"running": False, "prefect_home": str(home)}
    lease = home / LEASE_FILE
    last_use = lease.stat().st_mtime if lease.exists() else found.started_at
    return {
        "running": True,
        "healthy": _healthy(found.url, 1.0),
        "url": found.url,
        "keeper_pid": found.keeper_pid,
        "server_pid": found.server_pid,
        "uptime_seconds": round(time.time() - found.started_at, 1),
        "idle_seconds": round(max(0.0, time.time() - last_use), 1),
        "idle_minutes": found.idle_minutes,
        "prefect_home": str(home),
    }


def stop_shared(home: Path, timeout: float = 15.0) -> bool:
    """Stop the shared server of `home` (SIGTERM to its keeper); False when none ran."""
    found = read_state(home)
    if found is None:
        return False
    if not _alive(found.keeper_pid):  # a keeper killed hard: only its record is left
        _remove_state(home, found.keeper_pid)
        return False
    os.kill(found.keeper_pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(found.keeper_pid):
        time.sleep(0.1)
    return True


def keep(home: Path, port: int, idle: float) -> int:
    """The keeper: run the server, stop it after `idle` minutes with no command using it."""
    log = open(home / LOG_FILE, "ab")  # noqa: SIM115 (kept by the child)
    server = subprocess.Popen(
        _server_command(port),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        preexec_fn=_die_with_parent_hook(),  # noqa: PLW1509
    )
    log.close()
    me = os.getpid()
    _write_state(home, ServerState(port, me, server.pid, time.time(), idle))
    stopping = False

    def on_term(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    lease = home / LEASE_FILE
    lease.touch()
    while not stopping and server.poll() is None:
        time.sleep(CHECK_SECONDS)
        nobody = _lock(lease, block=False)  # no command holds its shared lock
        if nobody is None:
            continue
        try:
            if time.time() - lease.stat().st_mtime >= idle * 60:
                _remove_state(home, me)  # under the lock: a new command starts a new server
                stopping = True
        finally:
            os.close(nobody)
    _remove_state(home, me)
    _stop_process(server, wait=10.0)
    return 0


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="qroute's shared Prefect API server keeper")
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--idle-minutes", type=float, default=DEFAULT_IDLE_MINUTES)
    args = parser.parse_args(argv)
    return keep(args.home, args.port, args.idle_minutes)


if __name__ == "__main__":
    sys.exit(_main())
