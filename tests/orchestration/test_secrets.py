"""Prefect run logs are redacted: a real flow (ephemeral API server, subprocess) whose flow
and task loggers, printed lines and failure tracebacks quote planted secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.paths import REPO

SESSION = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDfakeSessionToken0123456789"
SIGNATURE = "9f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1ff"

FLOW = textwrap.dedent(
    """
    import json, logging, os, sys
    from pathlib import Path

    from prefect import flow, get_run_logger, task

    SESSION = os.environ["AWS_SESSION_TOKEN"]
    SIGNATURE = sys.argv[2]
    HEADER = (
        f"headers={{'X-Amz-Security-Token': b'{SESSION}', 'Authorization': "
        f"b'AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/x, Signature={SIGNATURE}'}}"
    )
    captured = []

    class Capture(logging.Handler):
        def emit(self, record):
            captured.append(self.format(record))

    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).addHandler(Capture())

    @task(retries=0)
    def leaky_task() -> None:
        get_run_logger().warning("task sees %s", HEADER)
        raise RuntimeError(f"SDK failed with token {SESSION}")

    @flow(log_prints=True)
    def leaky_flow(out: str) -> str:
        from qroute.orchestration.nightly import _configure_cloud

        _configure_cloud(Path(out), 0.0, None, "test-run-1")  # what the nightly flow does
        get_run_logger().info("flow sees %s", HEADER)
        print(f"printed {SESSION}")
        state = leaky_task(return_state=True)
        handlers = [
            h for n in ("prefect", "prefect.flow_runs", "prefect.task_runs")
            for h in logging.getLogger(n).handlers
        ]
        filtered = all(
            any(type(f).__name__ == "RedactingFilter" for f in h.filters) for h in handlers
        )
        return json.dumps({"state": state.name, "filtered": filtered, "handlers": len(handlers)})

    summary = leaky_flow(sys.argv[1])
    Path(sys.argv[1], "captured.json").write_text(json.dumps(
        {"summary": json.loads(summary), "records": captured}
    ))
    """
)


def test_prefect_flow_and_task_logs_are_redacted(tmp_path: Path) -> None:
    script = tmp_path / "leaky_flow.py"
    script.write_text(FLOW)
    out = tmp_path / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QROUTE_"))}
    env.update(
        {
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "240",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PYTHONPATH": str(REPO),
            "AWS_SESSION_TOKEN": SESSION,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    done = subprocess.run(
        [sys.executable, str(script), str(out), SIGNATURE],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    captured = json.loads((out / "captured.json").read_text())
    summary = captured["summary"]
    assert summary["state"] == "Failed" and summary["filtered"] and summary["handlers"] >= 2
    records = "\n".join(captured["records"])
    assert "flow sees headers=" in records and "task sees headers=" in records
    assert "printed [REDACTED]" in records  # log_prints goes through the run logger
    assert "SDK failed with token [REDACTED]" in records  # the task's failure and traceback
    for text, where in ((records, "run log records"), (done.stderr + done.stdout, "console")):
        assert SESSION not in text and SESSION[:16] not in text, where
        assert SIGNATURE not in text, where
