"""Where the shared benchmark data lives, and its best-known solutions."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_ENV = "QROUTE_DATA"
REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The benchmark folder: $QROUTE_DATA, else ../shared/data beside the repository."""
    configured = os.environ.get(DATA_ENV)
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class BestKnown:
    set: str
    instance: str
    cost: float


@cache
def _bks_table(folder: Path) -> dict[str, BestKnown]:
    path = folder / "bks.csv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["instance"]: BestKnown(row["set"], row["instance"], float(row["bks_cost"]))
            for row in csv.DictReader(handle)
        }


def best_known(instance: str) -> BestKnown | None:
    """The BKS for an instance name: from bks.csv, else from the `Cost` line of a `.sol`
    file beside the instance file in the data folder (CVRPLIB's format)."""
    known = _bks_table(data_dir()).get(instance)
    if known is not None:
        return known
    path = find_instance(instance)
    if path is None:
        return None
    cost = solution_cost(path.with_suffix(".sol"))
    return BestKnown(path.parent.name, instance, cost) if cost is not None else None


def solution_cost(path: Path) -> float | None:
    """The value of a solution file's `Cost` line, or None (no file, no such line)."""
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        head, _, value = line.strip().partition(" ")
        if head.lower() == "cost":
            try:
                return float(value)
            except ValueError:
                return None
    return None


def find_instance(name: str) -> Path | None:
    """Locate an instance file by name (e.g. 'X-n101-k25' or 'C101') in the data folder."""
    folder = data_dir()
    for pattern in (f"{name}.vrp", f"{name}.txt"):
        for path in sorted(folder.rglob(pattern)):
            return path
    return None


def gap_percent(cost: float, bks: float | None) -> float | None:
    if bks is None or bks <= 0:
        return None
    return 100.0 * (cost - bks) / bks
