"""No traceback from any command: the top-level handler, the shared argument checks, the
output-folder lock (issue 11's CLI findings, one test each)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qroute.backends.hardware import ProfileError
from qroute.cli import app
from qroute.cli.app import main
from qroute.cli.errors import run_guarded
from qroute.model.data import data_dir
from qroute.model.errors import InputError

REPO = Path(__file__).resolve().parents[2]


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 2) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.endswith("\n") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize("command", ["solve", "baseline"])
def test_out_under_proc_is_a_clean_error(capsys: pytest.CaptureFixture[str], command: str) -> None:
    err = one_line_error(capsys, [command, "--size", "5", "--out", "/proc/qroute-x"])
    assert err.startswith("qroute: error: --out /proc/qroute-x cannot be created"), err


@pytest.mark.parametrize("command", ["solve", "baseline"])
def test_out_naming_an_existing_file(capsys: pytest.CaptureFixture[str], command: str) -> None:
    err = one_line_error(capsys, [command, "--size", "5", "--out", "/etc/passwd"])
    assert err == "qroute: error: --out /etc/passwd exists and is not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes everywhere")
def test_an_unwritable_out_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    err = one_line_error(capsys, ["baseline", "--size", "5", "--out", str(folder)])
    assert "is not writable" in err


@pytest.mark.parametrize("command", ["solve", "baseline"])
def test_size_100000_is_refused_before_allocating(
    capsys: pytest.CaptureFixture[str], command: str, tmp_path: Path
) -> None:
    err = one_line_error(capsys, [command, "--size", "100000", "--out", str(tmp_path / command)])
    assert "--size 100000: 100,001 nodes need a 74.5 GiB distance matrix" in err
    assert "memory limit of 2 GiB" in err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
@pytest.mark.parametrize("command", ["solve", "baseline", "compare"])
def test_time_limits_are_checked_identically(
    capsys: pytest.CaptureFixture[str], command: str, value: str
) -> None:
    err = one_line_error(capsys, [command, f"--time-limit={value}"])
    assert (
        err
        == f"qroute: error: --time-limit must be a positive number of seconds, got {float(value)}"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--seed", "-1"], "--seed must be at least 0, got -1"),
        (["--seed", str(2**40)], f"--seed must be at most {2**32 - 1}"),
        (["--scenario-seed", "-3"], "--scenario-seed must be at least 0, got -3"),
        (["--size", "0"], "--size must be at least 1, got 0"),
    ],
)
@pytest.mark.parametrize("command", ["solve", "baseline"])
def test_integer_ranges_are_identical(
    capsys: pytest.CaptureFixture[str], command: str, flags: list[str], message: str
) -> None:
    assert message in one_line_error(capsys, [command, *flags])


@pytest.mark.skipif(not data_dir().is_dir(), reason="needs the shared data folder")
def test_validate_resolves_an_instance_name(capsys: pytest.CaptureFixture[str]) -> None:
    solution = data_dir() / "cvrplib" / "X" / "X-n101-k25.sol"
    assert main(["validate", "--instance", "X-n101-k25", "--solution", str(solution)]) == 0
    assert '"feasible": true' in capsys.readouterr().out


def test_an_unexpected_error_exits_1_with_a_log(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*args: object, **values: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(app, "load_problem", broken)
    err = one_line_error(capsys, ["validate", "--instance", "a", "--solution", "b"], code=1)
    assert err.startswith("qroute: internal error: RuntimeError: boom (traceback in ")
    log = Path(err.rsplit("traceback in ", 1)[1].rstrip(")"))
    assert log.parent == tmp_path / ".qroute" / "logs"
    assert "Traceback" in log.read_text() and 'raise RuntimeError("boom")' in log.read_text()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputError("x.vrp", "bad", 3), 2),
        (ProfileError("hardware_profiles", "hardware profile folder not found"), 2),
        (MemoryError(), 2),
        (PermissionError(13, "Permission denied", "/x/result.json"), 2),
        (KeyboardInterrupt(), 130),
    ],
)
def test_expected_failures_are_one_line(
    capsys: pytest.CaptureFixture[str], error: BaseException, code: int
) -> None:
    def command() -> int:
        raise error

    assert run_guarded(command) == code
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_missing_profile_folder_is_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QROUTE_HARDWARE_PROFILES": str(tmp_path / "none"),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-m", "qroute.cli", "backends"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode in (0, 2)
    if done.returncode == 2:
        assert "hardware profile folder not found" in done.stderr


def test_a_second_run_on_a_locked_out_folder_refuses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from qroute.cli.output_lock import hold_output_lock; "
            "hold_output_lock(sys.argv[1]); print('locked', flush=True); time.sleep(60)",
            str(out),
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        out.mkdir()
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        err = one_line_error(capsys, ["baseline", "--size", "5", "--out", str(out)])
        assert f"--out {out} is in use by another qroute run (pid {holder.pid})" in err
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert main(["baseline", "--size", "5", "--solver", "savings", "--out", str(out)]) == 0


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("2   6 8   20   60  50  10", "customer 2: READY TIME 60 is after DUE DATE 50"),
        ("2   6 8   20    0 100  -4", "customer 2: SERVICE TIME must not be negative, is -4"),
        ("2   6 8   20  250 300  10", "lies outside the depot's [0, 200]"),
    ],
)
def test_a_bad_time_window_file_stops_solve_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, row: str, fragment: str
) -> None:
    """Issue 13: a wrong window is refused before anything is solved (exit 2, one line)."""
    rows = ["0   0 0    0    0 200   0", "1   3 4   10    0 100  10", row]
    text = "T101\n\nVEHICLE\nNUMBER CAPACITY\n3 50\n\nCUSTOMER\nCUST NO. X Y\n\n"
    path = tmp_path / "T101.txt"
    path.write_text(text + "\n".join(rows) + "\n", encoding="utf-8")
    argv = ["solve", "--instance", str(path), "--out", str(tmp_path / "run")]
    err = one_line_error(capsys, argv)
    assert fragment in err and "T101.txt:12:" in err
