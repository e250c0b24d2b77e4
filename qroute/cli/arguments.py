"""Range checks for the command-line arguments, identical in every command.

`check_arguments` takes a command's name and its option values (argparse's `vars(args)`, or
typer's `ctx.params`) and raises UsageError at the first one that cannot be used. A
`--out` folder is created, probed for writing and locked (qroute.cli.output_lock) here, so
an unwritable or busy folder is refused before any work starts.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qroute.model.errors import UsageError

MAX_TIME_LIMIT = 7 * 24 * 3600.0  # a week of wall seconds
MAX_SEED = 2**32 - 1  # numpy and PyVRP take unsigned 32-bit seeds
MAX_COUNT = 10**7  # shots, stops, workers, seeds: far above any useful value
FOLDER_OUTPUT_COMMANDS = frozenset({"solve", "baseline", "compare", "cold-chain", "rail"})
# commands whose --out must be a NEW folder: they check it themselves (never over an old plan)
NEW_FOLDER_COMMANDS = frozenset({"replan"})

# option name (argparse dest) -> (flag, minimum, maximum)
_INTEGERS: dict[str, tuple[str, int, int]] = {
    "seed": ("--seed", 0, MAX_SEED),
    "scenario_seed": ("--scenario-seed", 0, MAX_SEED),
    "size": ("--size", 1, MAX_COUNT),
    "shots": ("--shots", 1, MAX_COUNT),
    "max_stops": ("--max-stops", 1, MAX_COUNT),
    "dask_workers": ("--dask-workers", 1, 1024),
    "seeds": ("--seeds", 1, 10_000),
}


def check_time_limit(value: float, flag: str = "--time-limit") -> float:
    """A finite, positive number of seconds, at most a week."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise UsageError(f"{flag} must be a positive number of seconds, got {value}")
    if value > MAX_TIME_LIMIT:
        raise UsageError(f"{flag} must be at most {MAX_TIME_LIMIT:g} seconds, got {value:g}")
    return float(value)


def check_integer(value: int, flag: str, minimum: int, maximum: int) -> int:
    if value < minimum:
        raise UsageError(f"{flag} must be at least {minimum}, got {value}")
    if value > maximum:
        raise UsageError(f"{flag} must be at most {maximum}, got {value}")
    return value


def _probe_writable(folder: Path, flag: str) -> None:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".qroute-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{flag} {folder} is not writable ({exc.strerror or exc})") from None


def default_out_dir(instance: str) -> Path:
    """``runs/<instance>-<local timestamp>``: where a command writes without ``--out``."""
    return Path("runs") / f"{instance}-{time.strftime('%Y%m%d-%H%M%S')}"


def prepare_out_folder(path: str | os.PathLike[str], flag: str = "--out") -> Path:
    """Create the output folder, check it can be written, and lock it for this run."""
    from qroute.cli.output_lock import hold_output_lock

    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{flag} {folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {folder} cannot be created ({exc.strerror or exc})") from None
    _probe_writable(folder, flag)
    hold_output_lock(folder)
    return folder


def check_out_file(path: str | os.PathLike[str], flag: str = "--out") -> Path:
    """An output file: not a folder, in a folder that exists (or can be made) and is writable."""
    file = Path(path)
    if file.is_dir():
        raise UsageError(f"{flag} {file} is a folder; give a file name")
    parent = file.parent if str(file.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {parent} cannot be created ({exc.strerror or exc})") from None
    _probe_writable(parent, flag)
    if file.exists() and not os.access(file, os.W_OK):
        raise UsageError(f"{flag} {file} exists and is not writable")
    return file


def check_arguments(command: str, values: Mapping[str, Any]) -> None:
    """Raise UsageError for the first argument of `command` that is out of range."""
    if values.get("time_limit") is not None:
        check_time_limit(values["time_limit"])
    for name, (flag, low, high) in _INTEGERS.items():
        if values.get(name) is not None:
            check_integer(int(values[name]), flag, low, high)
    out = values.get("out")
    if out is not None and command not in NEW_FOLDER_COMMANDS:
        if command in FOLDER_OUTPUT_COMMANDS:
            prepare_out_folder(out)
        else:
            check_out_file(out)
