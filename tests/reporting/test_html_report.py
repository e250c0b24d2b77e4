"""The HTML comparison report: sections, self-containment, the solve map and the nightly store."""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from qroute.reporting.comparison import RECORD_FIELDS, run_comparison, write_records
from qroute.reporting.html_report import (
    RESULTS_COLUMNS,
    RESULTS_DB,
    RESULTS_SCHEMA,
    SECTIONS,
    append_run,
    build_report,
    find_latest_solve,
    read_runs,
)

IMG_RE = re.compile(r'<img class="plot" alt="([^"]*)" src="data:image/png;base64,([^"]+)">')


def _record(backend: str, paradigm: str, size: int, seed: int, **values: Any) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(RECORD_FIELDS)
    record.update(
        schema=1,
        run_id="comparison-20260101T000000Z",
        timestamp="2026-01-01T00:00:00Z",
        backend=backend,
        device=f"{backend} device",
        paradigm=paradigm,
        size=size,
        seed=seed,
        status="ok",
        cost=110.0,
        optimum=100.0,
        gap_percent=10.0,
        optimal=False,
        raw_feasible_rate=0.5,
        repaired=False,
        time_to_solution_s=0.5,
        shots=100,
        estimated_cost_usd=0.0,
        tracked_cost_usd=0.0,
    )
    record.update(values)
    return record


def _synthetic() -> list[dict[str, Any]]:
    records = []
    for size in (3, 4):
        for seed in (0, 1):
            records.append(
                _record(
                    "dwave-qpu",
                    "annealing",
                    size,
                    seed,
                    chain_break_fraction=0.01 * size,
                    estimated_cost_usd=0.25,
                    tracked_cost_usd=0.2,
                    price_profile="dwave-advantage",
                )
            )
            records.append(
                _record(
                    "qiskit-aer",
                    "gate",
                    size,
                    seed,
                    ground_state_probability=0.1 / size,
                    optimum_sampled=seed == 0,
                )
            )
    records.append(
        _record("qiskit-aer", "gate", 6, 0, status="skipped: too large", reason="max 4 stops")
    )
    records.append(_record("braket-aws", "gate", 3, 0, status="error", reason="Boom: <bad>"))
    return records


def _write_solve(folder: Path, cost: float = 1234.5) -> Path:
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(3, 2))
    fig.add_subplot(1, 1, 1).plot([0, 1, 2, 0], [0, 1, 0, 0])
    fig.savefig(folder / "routes.png")
    payload = {
        "instance": "yangtze-delta",
        "status": "complete",
        "cost": cost,
        "routes": [[1, 2], [3]],
        "gap_percent": 2.5,
        "quantum_share": {"share_of_solves": 0.5},
        "backends": {"dwave-sa": 3, "exact": 1},
        "wall_seconds": 42.0,
    }
    (folder / "result.json").write_text(json.dumps(payload))
    return folder / "routes.png"


def assert_self_contained(page: str) -> None:
    """No external resource: no scripts, stylesheets, fonts or images from anywhere else."""
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    for attr, value in re.findall(r'\b(src|href)="([^"]*)"', page):
        if attr == "src":
            assert value.startswith("data:image/png;base64,"), value[:60]
        else:
            assert value.startswith("#"), value


def test_report_from_synthetic_runs_has_every_section_and_plot(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_records(_synthetic(), runs, "comparison-20260101T000000Z")
    page = build_report(runs, tmp_path / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    for key, title in SECTIONS:
        assert f'<section id="{key}"><h2>{title}</h2>' in page
    assert_self_contained(page)
    images = IMG_RE.findall(page)
    alts = [alt for alt, _ in images]
    assert alts == [
        "Gap to the exact optimum (mean over seeds, bars: min-max)",
        "Raw-sample feasibility rate (mean over seeds)",
        "Time to solution (median over seeds, bars: min-max)",
        "cost per solved subproblem",
        "chain-break fraction",
        "QAOA optimum",
    ]
    for _, data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    assert "$0.2500" in page and "$0.2000" in page and "dwave-advantage" in page
    assert "Boom: &lt;bad&gt;" in page  # escaped
    assert "skipped: too large" in page
    assert "no solve run found" in page
    assert "no nightly runs yet" in page


def test_report_of_an_empty_folder_says_what_is_missing(tmp_path: Path) -> None:
    page = build_report(tmp_path, tmp_path / "r.html").read_text()
    assert "no comparison runs found" in page
    assert "no solve run found" in page and "no nightly runs yet" in page
    assert not IMG_RE.findall(page)
    assert_self_contained(page)


def test_report_from_a_real_measurement_with_solve_and_nightly(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    run_comparison(sizes=(2, 3), seeds=1, backends=["exact", "dwave-sa"], out_dir=runs)
    _write_solve(runs / "solve-old", cost=999.0)
    newest = _write_solve(runs / "solve-new", cost=1234.5)
    later = datetime.now().timestamp() + 5
    os.utime(newest, (later, later))
    for day, gap in ((1, 5.0), (2, 4.0)):
        append_run(
            runs / RESULTS_DB,
            {
                "ts": datetime(2026, 11, day, 2, tzinfo=UTC),
                "instance": "yangtze-delta",
                "cost": 1000.0 + gap,
                "gap_percent": gap,
                "backends": {"dwave-sa": 4},
                "quantum_share": 0.5,
                "cost_usd": 0.0,
                "wall_seconds": 60.0,
            },
        )
    page = build_report(runs, tmp_path / "report.html").read_text()
    assert_self_contained(page)
    alts = [alt for alt, _ in IMG_RE.findall(page)]
    assert "route map of the latest solve" in alts and "nightly trend" in alts
    assert "1,234.50" in page and "999.00" not in page  # the newest solve run
    assert "solve-new/routes.png" in page
    assert "2 nightly run(s)" in page and "2026-11-02T02:00:00Z" in page
    assert "no chain-break data" in page  # dwave-sa samples the QUBO directly
    assert "no QAOA (gate-model) solves" in page


def test_append_run_creates_the_documented_table(tmp_path: Path) -> None:
    db = tmp_path / "deep" / RESULTS_DB
    append_run(db, {"instance": "X-n101-k25", "cost": 27591.0})
    payload = {  # a solve run's result.json passes as it is; extra keys are ignored
        "instance": "yangtze-delta",
        "cost": 812.5,
        "gap_percent": None,
        "backends": {"dwave-sa": 3},
        "quantum_share": {"share_of_solves": 0.75, "solves": 4},
        "wall_seconds": 30.5,
        "routes": [[1, 2]],
        "ts": "2026-11-26T02:00:00Z",
    }
    append_run(db, payload)
    with sqlite3.connect(db) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(runs)")]
    assert tuple(columns) == RESULTS_COLUMNS
    rows = read_runs(db)
    assert [r["instance"] for r in rows] == ["yangtze-delta", "X-n101-k25"]  # ordered by ts
    first = rows[0]
    assert first["quantum_share"] == 0.75
    assert json.loads(first["backends"]) == {"dwave-sa": 3}
    assert first["gap_percent"] is None and first["cost_usd"] is None
    assert rows[1]["ts"].endswith("Z")
    # the schema constant itself is what creates the table
    with sqlite3.connect(tmp_path / "other.sqlite") as connection:
        connection.executescript(RESULTS_SCHEMA)
        assert [r[1] for r in connection.execute("PRAGMA table_info(runs)")] == columns


@pytest.mark.parametrize(
    "record",
    [
        {"cost": 1.0},
        {"instance": "x"},
        {"instance": "x", "cost": "12"},
        {"instance": "x", "cost": float("nan")},
    ],
)
def test_append_run_refuses_rows_without_instance_or_cost(
    tmp_path: Path, record: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        append_run(tmp_path / RESULTS_DB, record)


def test_read_runs_of_a_missing_or_foreign_file_is_empty(tmp_path: Path) -> None:
    assert read_runs(tmp_path / "absent.sqlite") == []
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE other (x)")
    assert read_runs(foreign) == []


def test_routes_png_without_result_json_is_still_shown(tmp_path: Path) -> None:
    image = _write_solve(tmp_path / "a")
    (tmp_path / "a" / "result.json").unlink()
    found = find_latest_solve(tmp_path)
    assert found is not None and found["image"] == image and found["result"] == {}
    page = build_report(tmp_path, tmp_path / "r.html").read_text()
    assert "route map of the latest solve" in page and "not found beside routes.png" in page


def test_a_solve_folder_shows_its_provenance_classes_and_ablation(tmp_path: Path) -> None:
    """`qroute report --runs <solve folder>`: this run's classes and ablation, not an empty
    comparison page."""
    folder = tmp_path / "solve"
    _write_solve(folder)
    payload = json.loads((folder / "result.json").read_text())
    row = {"solves": 0, "adopted": 0, "final_routes": 0, "improvement": 0.0}
    payload["quantum_share"] = {
        "share_of_solves": 0.0,
        "by_class": {
            "qpu": row,
            "quantum_simulator": {**row, "solves": 2},
            "hybrid_service": row,
            "classical_sampler": {
                "solves": 31,
                "adopted": 9,
                "final_routes": 7,
                "improvement": 0.625,
            },
        },
        "final_routes_selected_by_qubo": 0.25,
        "selection_confirmations": 3,
    }
    payload["ablation"] = {
        "selection": {"solves": 4, "qubo_cost": 812.0, "exact_cost": 800.0, "gap_percent": 1.5},
        "routes": {"solves": 0},
    }
    (folder / "result.json").write_text(json.dumps(payload))
    page = build_report(folder, tmp_path / "report.html").read_text()
    assert "provenance class" in page and "classical_sampler" in page
    assert "62.5 %" in page  # the classical samplers' share of the improvement
    assert "decided by an adopted route-selection QUBO answer: 25 %" in page
    assert "route selection vs MIP" in page and "1.50 %" in page
    assert "route QUBOs vs Held-Karp" not in page  # no route ablation without solves
