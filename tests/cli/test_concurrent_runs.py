"""Two `qroute solve` runs started at the same moment in one folder, sharing a fresh
PREFECT_HOME (its database not yet migrated) and the cache: both finish; a third run aimed
at the first one's --out folder is refused with one line and exit 2 while the first runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARGS = ["--size", "12", "--max-stops", "4", "--time-limit", "2", "--policy", "local"]
ARGS += ["--no-baselines"]


def test_two_runs_at_once_both_finish_and_a_third_on_a_busy_out_is_refused(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)})
    command = [sys.executable, "-m", "qroute.cli", "solve", *ARGS]
    cache = ["--cache-dir", str(tmp_path / "cache")]
    first, second = (
        subprocess.Popen(
            [*command, "--out", str(tmp_path / name), *cache],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    )
    lock = tmp_path / "a" / ".qroute.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    busy = subprocess.run(
        [*command, "--out", str(tmp_path / "a"), *cache],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs = [process.communicate(timeout=400) for process in (first, second)]
    for process, (_, err) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
        assert "Traceback" not in err
    assert busy.returncode == 2, busy.stderr[-3000:]
    assert busy.stderr.strip() == (
        f"qroute: error: --out {tmp_path / 'a'} is in use by another qroute run "
        f"(pid {first.pid}); wait for it or choose another --out"
    )
    for name in ("a", "b"):
        payload = json.loads((tmp_path / name / "result.json").read_text())
        assert payload["feasible"] is True
