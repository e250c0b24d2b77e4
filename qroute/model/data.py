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
    """The BKS for an instance name, if bks.csv knows it."""
    return _bks_table(data_dir()).get(instance)


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
