"""qroute.model.data: the data folder, best-known costs, instance lookup and the BKS gap."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qroute.model.data import DATA_ENV, REPO_ROOT, best_known, data_dir, find_instance, gap_percent
from qroute.model.instances import read_solution

# --- data_dir --------------------------------------------------------------------------------


def test_data_dir_defaults_to_shared_data_beside_the_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert data_dir() == REPO_ROOT.parent / "shared" / "data"
    assert (REPO_ROOT / "qroute" / "model" / "data.py").is_file()


def test_data_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert data_dir() == tmp_path


# --- best_known ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance", "set_name", "cost"),
    [
        ("X-n101-k25", "X", 27591.0),
        ("E-n13-k4", "E", 247.0),
        ("E-n51-k5", "E", 521.0),
        ("CMT1", "CMT", 524.611),
        ("C101", "Solomon", 827.3),
        ("R101", "Solomon", 1637.7),
        ("C1_2_1", "GH200", 2704.5678),
        ("B-n50-k8", "B", 1312.0),
    ],
)
def test_best_known(shared_data: Path, instance: str, set_name: str, cost: float) -> None:
    bks = best_known(instance)
    assert bks is not None
    assert (bks.set, bks.instance, bks.cost) == (set_name, instance, cost)


def test_best_known_of_an_unknown_instance(shared_data: Path) -> None:
    assert best_known("X-n9999-k1") is None
    assert best_known("yangtze-delta-n60-s2026") is None


def test_best_known_without_a_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "absent"))
    assert best_known("X-n101-k25") is None
    assert find_instance("X-n101-k25") is None


def test_best_known_reads_the_configured_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "bks.csv").write_text(
        "set,instance,n_customers,capacity,bks_cost,source\nT,toy,3,10,42.5,made up\n"
    )
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    bks = best_known("toy")
    assert bks is not None and bks.cost == 42.5 and bks.set == "T"
    assert best_known("X-n101-k25") is None


def test_bks_csv_covers_every_instance_and_matches_its_sol(shared_data: Path) -> None:
    with (shared_data / "bks.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 175
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["set"]] = counts.get(row["set"], 0) + 1
        path = find_instance(row["instance"])
        assert path is not None, row["instance"]
        _, stated = read_solution(path.with_suffix(".sol"))
        assert stated == float(row["bks_cost"]), row["instance"]
    assert counts == {
        "A": 27,
        "B": 23,
        "P": 24,
        "E": 13,
        "CMT": 14,
        "X": 18,
        "Solomon": 50,
        "GH200": 6,
    }


# --- find_instance ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "relative"),
    [
        ("X-n101-k25", "cvrplib/X/X-n101-k25.vrp"),
        ("E-n13-k4", "cvrplib/E/E-n13-k4.vrp"),
        ("CMT6", "cvrplib/CMT/CMT6.vrp"),
        ("C101", "solomon/C101.txt"),
        ("RC208", "solomon/RC208.txt"),
        ("C1_2_1", "gehring_homberger/C1_2_1.txt"),  # not C1_2_1.sintef.txt
    ],
)
def test_find_instance(shared_data: Path, name: str, relative: str) -> None:
    assert find_instance(name) == shared_data / relative


@pytest.mark.parametrize("name", ["X-n9999-k1", "C1", "README", "bks"])
def test_find_instance_misses(shared_data: Path, name: str) -> None:
    assert find_instance(name) is None


# --- gap_percent -----------------------------------------------------------------------------


def test_gap_percent() -> None:
    assert gap_percent(110.0, 100.0) == pytest.approx(10.0)
    assert gap_percent(90.0, 100.0) == pytest.approx(-10.0)
    assert gap_percent(27591.0, 27591.0) == 0.0
    assert gap_percent(27867.0, 27591.0) == pytest.approx(1.000326)
    assert gap_percent(5.0, None) is None
    assert gap_percent(5.0, 0.0) is None
    assert gap_percent(5.0, -3.0) is None


def test_best_known_from_a_sol_file_beside_the_instance(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "Z-n3-k1.vrp").write_text("NAME : Z-n3-k1\n", encoding="utf-8")
    (folder / "Z-n3-k1.sol").write_text("Route #1: 1 2\nCost 123.5\n", encoding="utf-8")
    (folder / "Z-n4-k1.vrp").write_text("NAME : Z-n4-k1\n", encoding="utf-8")
    (folder / "Z-n4-k1.sol").write_text("Route #1: 1 2\n", encoding="utf-8")  # no Cost line
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    bks = best_known("Z-n3-k1")
    assert bks is not None and (bks.set, bks.instance, bks.cost) == ("mine", "Z-n3-k1", 123.5)
    assert best_known("Z-n4-k1") is None
