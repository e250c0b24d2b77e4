"""The locked dependency set runs a real Prefect flow (ephemeral API server)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_prefect_flow_runs_on_the_locked_set(tmp_path) -> None:
    script = tmp_path / "flow.py"
    script.write_text(
        textwrap.dedent(
            """
            from prefect import flow, task

            @task
            def square(x: int) -> int:
                return x * x

            @flow
            def total(n: int) -> int:
                return sum(f.result() for f in square.map(range(n)))

            print("RESULT", total(4))
            """
        )
    )
    env = {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PATH": "/usr/bin:/bin",
        # Prefect's ephemeral server migrates a fresh database first: slow on a busy machine
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "240",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "RESULT 14" in done.stdout
    assert "min_items" not in done.stderr
    assert "Starting temporary server" in done.stderr  # Prefect's own ephemeral mode
