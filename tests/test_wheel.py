"""A wheel built from the repository, installed into a fresh virtual environment, runs
`qroute backends` and `qroute solve` from a folder outside the repository.

The fresh environment gets qroute only from the wheel; its dependencies come from the
running interpreter's site-packages through a .pth line (nothing is downloaded). A .pth
line adds the folder to sys.path without processing the .pth files inside it, so the
development checkout's editable install of qroute stays invisible.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.paths import REPO

# the interpreter the running one was made from (a venv's python would bring its own packages)
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command[:3]}: {done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(the fresh environment's `qroute` script, an environment without PYTHONPATH)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # build from a copy: setuptools writes build/ beside the sources
    shutil.copytree(
        REPO / "qroute", source / "qroute", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    env = {
        k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PREFECT_")
    }
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(base / "dist"), "."],
         source, env, 600)  # fmt: skip
    wheel = next((base / "dist").glob("qroute-*.whl"))
    venv = base / "venv"
    _run([BASE_PYTHON, "-m", "venv", "--without-pip", str(venv)], base, env, 300)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(venv)}))
    (purelib / "shared-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([*pip, "--python", str(venv / "bin" / "python"), "install", "--no-deps", "--no-index",
          "-q", str(wheel)], base, env, 600)  # fmt: skip
    return venv / "bin" / "qroute", env


@pytest.mark.slow
def test_the_wheel_holds_the_templates_and_the_hardware_profiles(
    installed: tuple[Path, dict[str, str]],
) -> None:
    script, env = installed
    python = script.with_name("python")
    code = (
        "import qroute, qroute.backends.hardware as h; "
        "from qroute.reporting.html_report import render_report; "
        "print(qroute.__file__); print(len(h.load_profiles())); "
        "print(render_report([], runs_dir='.')[:15])"
    )
    out = _run([str(python), "-c", code], script.parents[2], env, 300).splitlines()
    assert not out[0].startswith(str(REPO)) and "site-packages" in out[0]
    assert int(out[1]) == len(list((REPO / "qroute/backends/hardware_profiles").glob("*.yaml")))
    assert out[2] == "<!DOCTYPE html>"


@pytest.mark.slow
def test_the_installed_command_runs_backends_and_solve_elsewhere(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    script, env = installed
    listing = _run([str(script), "backends"], tmp_path, env, 300)
    assert "dwave-sa" in listing and "braket-ionq-forte-1" in listing  # from the profiles
    out = tmp_path / "out"
    stdout = _run(
        [str(script), "solve", "--time-limit", "5", "--out", str(out)], tmp_path, env, 600
    )
    assert "hybrid (mixed)" in stdout
    payload = json.loads((out / "result.json").read_text())
    assert payload["feasible"] is True and payload["instance"].startswith("yangtze-delta")
    assert set(payload["baselines"]) == {"pyvrp", "ortools"}
    assert (tmp_path / ".qroute" / "cache").is_dir()  # the subproblem cache, where it ran
