#!/usr/bin/env python3
"""Set up the environment and run the main job or the tests, on a machine with Python and pip.

    python3 bootstrap.py run [qroute solve options]   # the main job on the embedded default
    python3 bootstrap.py test [pytest options]        # the whole test suite
    python3 bootstrap.py lock                         # regenerate requirements.lock

Creates ./.venv (once per requirements.lock content), installs the locked dependency set and
qroute itself, then runs the command inside it.

The lock is installed as it stands (`pip install --no-deps`): pip never re-resolves it, so
the override in overrides.txt (cloudpickle, past amazon-braket-sdk's pin) cannot be undone by
pip's resolver. `lock` re-resolves pyproject.toml with uv, constraints.txt and overrides.txt.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
CONSTRAINTS = ROOT / "constraints.txt"
OVERRIDES = ROOT / "overrides.txt"
STAMP = VENV / ".qroute-lock-sha256"


def _bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_environment() -> None:
    digest = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest and _bin("qroute").exists():
        return
    if sys.version_info < (3, 11):  # noqa: UP036 - bootstrap may run on an older Python
        sys.exit(f"qroute needs Python 3.11 or 3.12, this is {sys.version.split()[0]}")
    print(f"bootstrap: creating {VENV} and installing the locked dependencies", flush=True)
    if not _bin("python").exists():
        venv.create(VENV, with_pip=True)
    pip = [str(_bin("python")), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--no-deps", "-r", str(LOCK)], check=True)
    subprocess.run([*pip, "install", "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(digest)


def lock_command() -> list[str]:
    """The one command that regenerates requirements.lock (README, "Dependencies")."""
    return [
        str(_bin("uv")),
        "pip",
        "compile",
        "pyproject.toml",
        "--extra",
        "dev",
        "--constraint",
        CONSTRAINTS.name,
        "--override",
        OVERRIDES.name,
        "--python-version",
        "3.11",
        "--no-header",
        "--no-annotate",
        "--output-file",
        LOCK.name,
    ]


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test", "lock"}:
        print(__doc__)
        return 2
    ensure_environment()
    action, rest = sys.argv[1], sys.argv[2:]
    if action == "lock":
        return subprocess.run([*lock_command(), *rest], cwd=ROOT).returncode
    if action == "run":
        cmd = [str(_bin("qroute")), "solve", *rest]
    else:
        cmd = [str(_bin("python")), "-m", "pytest", *rest]
    return subprocess.run(cmd, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
