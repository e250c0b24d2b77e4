"""The embedded scenario and the CSV format: real geography, round trip, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qroute.model.errors import InputError
from qroute.rail.io import read_consignments, read_network, read_timetable, write_network
from qroute.rail.model import RailNetwork, great_circle
from qroute.rail.scenario import hsr_yangtze


def test_default_scenario_sizes_and_real_stations() -> None:
    net = hsr_yangtze()
    assert len(net.consignments) == 200 and len(net.services) == 40
    hongqiao = net.station["SHHQ"]
    nanjing = net.station["NJS"]
    assert hongqiao.name == "Shanghai Hongqiao"
    # Hongqiao -> Nanjing South is about 270 km as the crow flies
    assert 250 < great_circle(hongqiao.latlon, nanjing.latlon) < 290
    assert {c.priority for c in net.consignments} == {"standard", "express", "cold_chain"}
    assert all(c.deadline > c.ready for c in net.consignments)
    assert hsr_yangtze(30, 8, seed=3) == hsr_yangtze(30, 8, seed=3)
    assert hsr_yangtze(30, 8, seed=3) != hsr_yangtze(30, 8, seed=4)


def test_services_run_forward_in_time(small_net: RailNetwork) -> None:
    for s in small_net.services:
        for a, b in zip(s.stops, s.stops[1:], strict=False):
            assert a.depart >= a.arrive and b.arrive > a.depart


def test_csv_round_trip(tmp_path: Path, small_net: RailNetwork) -> None:
    write_network(small_net, tmp_path / "t.csv", tmp_path / "c.csv")
    back = read_network(tmp_path / "t.csv", tmp_path / "c.csv")
    assert back.services == small_net.services
    assert back.consignments == small_net.consignments
    used = {stop.station for s in small_net.services for stop in s.stops}
    assert {s.code for s in back.stations} == used
    assert set(back.stations) <= set(small_net.stations)


TIMETABLE = (
    "service,stop,station,name,lat,lon,arrive,depart,capacity_kg,capacity_slots\n"
    "G1,1,SHHQ,Shanghai Hongqiao,31.194,121.320,08:00,08:00,2000,10\n"
    "G1,2,NJS,Nanjing South,31.969,118.797,09:20,09:20,,\n"
)
CONSIGNMENTS = (
    "id,origin_lat,origin_lon,destination_lat,destination_lon,ready,deadline,weight_kg,slots,"
    "priority\n"
    "C1,31.2,121.4,32.0,118.8,06:00,12:00,300,2,express\n"
)


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("t", TIMETABLE.replace("09:20,09:20", "07:50,07:50"), ":3: arrive: service G1 arrives"),
        ("t", TIMETABLE.replace("08:00,08:00,2000", "08:00,08:00,lots"), ":2: capacity_kg: 'lots'"),
        ("t", TIMETABLE.replace("31.969", "91.5"), ":3: lat: 91.5 is outside -90..90"),
        ("t", TIMETABLE.replace("09:20,,", "09:20,1,1"), ":3: capacity_kg: the last stop"),
        ("t", TIMETABLE.replace(",2,NJS", ",3,NJS"), ":3: stop: service G1 stops are numbered"),
        ("t", TIMETABLE.replace("capacity_slots", "slots"), ":1: header: missing column"),
        ("c", CONSIGNMENTS.replace("12:00", "05:00"), ":2: deadline: not after the ready time"),
        ("c", CONSIGNMENTS.replace("express", "urgent"), ":2: priority: 'urgent' is not one"),
        ("c", CONSIGNMENTS.replace("06:00", "6h"), ":2: ready: '6h' is not a time"),
        (
            "c",
            CONSIGNMENTS + "C1,31.2,121.4,32.0,118.8,06:00,12:00,300,2,express\n",
            ":3: id: C1 repeats line 2",
        ),
        ("c", CONSIGNMENTS.replace(",300,", ",0,"), ":2: weight_kg: 0 is outside"),
    ],
)
def test_bad_rows_name_file_line_field(tmp_path: Path, kind: str, text: str, message: str) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_text(text)
    reader = read_timetable if kind == "t" else read_consignments
    with pytest.raises(InputError) as info:
        reader(path)
    assert str(info.value).startswith(str(path) + message.split(":", 2)[0] + ":")
    assert message in str(info.value)


def test_cli_bad_file_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(TIMETABLE)
    (tmp_path / "c.csv").write_text(CONSIGNMENTS.replace("express", "urgent"))
    done = subprocess.run(
        [sys.executable, "-m", "qroute.cli.app", "rail", "--timetable", str(tmp_path / "t.csv"),
         "--consignments", str(tmp_path / "c.csv"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [f"qroute: error: {tmp_path / 'c.csv'}:2: priority: 'urgent' is not one of "
                     "standard, express, cold_chain"]  # fmt: skip
    assert "Traceback" not in done.stderr
