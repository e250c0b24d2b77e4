"""The hardware comparison: records, JSONL storage, prices, the CLI and the Prefect flow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from qroute import backends as backends_module
from qroute.backends import Availability, DWaveQPUBackend, ExactBackend
from qroute.cli.app import main
from qroute.model.subproblem import random_route_tsp
from qroute.qubo.held_karp import held_karp
from qroute.reporting import comparison
from qroute.reporting.comparison import (
    RECORD_FIELDS,
    STATUS_ERROR,
    STATUS_OK,
    STATUS_TOO_LARGE,
    STATUS_UNAVAILABLE,
    estimate_cost,
    latest_per_solve,
    load_records,
    run_comparison,
    summary_markdown,
    summary_rows,
)
from tests.paths import REPO

ROOT = REPO
FAST = ["exact", "dwave-sa", "dwave-tabu", "qaoa-statevector", "dwave-qpu"]


@pytest.fixture
def no_qpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never reach a real D-Wave QPU from the tests, whatever credentials the machine has."""
    monkeypatch.setattr(
        DWaveQPUBackend, "availability", lambda self: Availability(False, "test: QPU disabled")
    )


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            DWaveQPUBackend, "availability", lambda self: Availability(False, "test: QPU off")
        )
        records = run_comparison(sizes=(3, 5), seeds=2, backends=FAST, out_dir=out)
    return out, records


def test_every_backend_gets_every_planned_subproblem(measured: Any) -> None:
    _, records = measured
    assert len(records) == 2 * 2 * len(FAST)
    assert {(r["backend"], r["size"], r["seed"]) for r in records} == {
        (b, k, s) for b in FAST for k in (3, 5) for s in (0, 1)
    }
    for record in records:
        assert tuple(record) == RECORD_FIELDS
        assert record["schema"] == comparison.SCHEMA_VERSION
    # the same seeded subproblem went to every backend
    for k in (3, 5):
        for s in (0, 1):
            keys = {r["subproblem_key"] for r in records if (r["size"], r["seed"]) == (k, s)}
            assert keys == {random_route_tsp(k, s).key()}


def test_solved_records_are_measured_against_the_exact_optimum(measured: Any) -> None:
    _, records = measured
    ok = [r for r in records if r["status"] == STATUS_OK]
    assert {r["backend"] for r in ok} == {"exact", "dwave-sa", "dwave-tabu", "qaoa-statevector"}
    for r in ok:
        sub = random_route_tsp(r["size"], r["seed"])
        assert r["optimum"] == pytest.approx(held_karp(sub)[1])
        assert r["cost"] == pytest.approx(sub.cost(r["tour"][1:-1]))
        assert r["gap_percent"] == pytest.approx(100 * (r["cost"] - r["optimum"]) / r["optimum"])
        assert r["gap_percent"] >= -1e-9
        assert 0.0 <= r["raw_feasible_rate"] <= 1.0
        assert r["time_to_solution_s"] > 0
        assert r["estimated_cost_usd"] == 0.0  # all local
        assert r["tracked_cost_usd"] == 0.0
        assert r["backend_used"] == r["backend"]
    exact = [r for r in ok if r["backend"] == "exact"]
    assert all(r["gap_percent"] == 0 and r["shots"] is None for r in exact)
    assert all(r["optimum_sampled"] is None for r in exact)
    qaoa = [r for r in ok if r["backend"] == "qaoa-statevector"]
    assert qaoa and all(0 < r["ground_state_probability"] <= 1 for r in qaoa)
    assert all(r["shots"] and isinstance(r["optimum_sampled"], bool) for r in qaoa)
    for r in ok:
        if r["optimum_sampled"]:
            assert r["optimal"] and not r["repaired"]


def test_too_large_and_unavailable_are_recorded_not_failed(measured: Any) -> None:
    _, records = measured
    qaoa5 = [r for r in records if r["backend"] == "qaoa-statevector" and r["size"] == 5]
    assert len(qaoa5) == 2
    assert all(r["status"] == STATUS_TOO_LARGE and "at most 4" in r["reason"] for r in qaoa5)
    assert all(r["cost"] is None and r["optimum"] is not None for r in qaoa5)
    qpu = [r for r in records if r["backend"] == "dwave-qpu"]
    assert len(qpu) == 4
    assert all(r["status"] == STATUS_UNAVAILABLE and "QPU off" in r["reason"] for r in qpu)


def test_records_round_trip_through_jsonl(measured: Any) -> None:
    out, records = measured
    files = list(out.glob("comparison-*.jsonl"))
    assert len(files) == 1 and files[0].stem == records[0]["run_id"]
    assert load_records(out) == records
    # a truncated last line (a killed run) is skipped, not fatal
    with files[0].open("a") as handle:
        handle.write('{"backend": "exact", "si')
    assert load_records(out) == records


def test_latest_record_wins_per_solve() -> None:
    old = {"backend": "exact", "size": 3, "seed": 0, "shots": None, "timestamp": "2026-01-01"}
    new = {**old, "timestamp": "2026-02-01", "cost": 1.0}
    other = {**old, "seed": 1}
    assert latest_per_solve([old, new, other]) == [new, other]


def test_a_failing_backend_becomes_an_error_record(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Broken(ExactBackend):
        name = "broken"

        def solve(self, problem: Any, budget: Any, *, kind: Any = None) -> Any:
            raise RuntimeError("device exploded")

    monkeypatch.setitem(backends_module._FACTORIES, "broken", Broken)
    records = run_comparison(sizes=(2,), seeds=1, backends=["broken", "exact"], out_dir=tmp_path)
    broken, exact = records
    assert broken["status"] == STATUS_ERROR
    assert "RuntimeError: device exploded" in broken["reason"]
    assert exact["status"] == STATUS_OK
    rows = {row["backend"]: row for row in summary_rows(records)}
    assert rows["broken"]["errors"] == 1 and rows["exact"]["solved"] == 1


def test_unknown_backend_and_bad_plan_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        run_comparison(sizes=(3,), seeds=1, backends=["no-such"], out_dir=tmp_path)
    with pytest.raises(ValueError, match="seeds"):
        run_comparison(sizes=(3,), seeds=0, backends=["exact"], out_dir=tmp_path)
    with pytest.raises(ValueError, match="sizes"):
        run_comparison(sizes=(0,), seeds=1, backends=["exact"], out_dir=tmp_path)


# --- prices ------------------------------------------------------------------------------------


def _profile(**price: float) -> SimpleNamespace:
    def cost_usd(*, tasks: int, shots: int, minutes: float, qpu_seconds: float) -> float:
        return (
            tasks * price.get("task", 0.0)
            + tasks * shots * price.get("shot", 0.0)
            + minutes * price.get("minute", 0.0)
            + qpu_seconds * price.get("qpu_second", 0.0)
        )

    return SimpleNamespace(price=SimpleNamespace(cost_usd=cost_usd))


def test_estimated_cost_comes_from_the_matching_profile() -> None:
    ionq = _profile(task=0.3, shot=0.03)
    ionq.id, ionq.backend, ionq.device_arn = "ionq-forte-1", "braket-aws", "arn:ionq"
    sv1 = _profile(minute=0.075)
    sv1.id, sv1.backend, sv1.device_arn = "braket-sv1", "braket-aws", "arn:sv1"
    qpu = _profile(qpu_second=0.5)
    qpu.id, qpu.backend, qpu.solver_name = "dwave-advantage", "dwave-qpu", "Advantage_system4.1"
    profiles = {p.id: p for p in (ionq, sv1, qpu)}

    cost, used = estimate_cost(
        "braket-aws", "arn:ionq", 100, 5.0, {}, local=False, profiles=profiles
    )
    assert (cost, used) == (pytest.approx(0.3 + 100 * 0.03), "ionq-forte-1")
    cost, used = estimate_cost(
        "braket-aws", "arn:sv1", 100, 120.0, {}, local=False, profiles=profiles
    )
    assert (cost, used) == (pytest.approx(0.15), "braket-sv1")
    details = {"qpu_access_time_us": 2_000_000}
    cost, used = estimate_cost(
        "dwave-qpu", "other", 100, 1.0, details, local=False, profiles=profiles
    )
    assert (cost, used) == (pytest.approx(1.0), "dwave-advantage")  # the only dwave-qpu profile
    # ambiguous (two braket-aws profiles, unknown device) or missing: unpriced / free if local
    assert estimate_cost("braket-aws", "arn:x", 1, 1.0, {}, local=False, profiles=profiles) == (
        None,
        None,
    )
    assert estimate_cost("exact", "cpu", None, 1.0, {}, local=True, profiles={}) == (0.0, None)


def test_repository_profiles_price_the_cloud_devices() -> None:
    hardware = pytest.importorskip("qroute.backends.hardware")
    profiles = hardware.load_profiles()
    if "braket-sv1" not in profiles or "exact" not in profiles:
        pytest.skip("hardware_profiles/ lacks braket-sv1 or exact")
    arn = profiles["braket-sv1"].device_arn
    cost, used = estimate_cost("braket-aws", arn, 1000, 60.0, {}, local=False, profiles=profiles)
    assert used == "braket-sv1" and cost is not None and cost > 0
    assert estimate_cost("exact", "cpu", None, 1.0, {}, local=True, profiles=profiles) == (
        0.0,
        "exact",
    )


# --- summaries and the CLI ---------------------------------------------------------------------


def test_markdown_summary_has_a_row_per_backend(measured: Any) -> None:
    out, records = measured
    text = summary_markdown(records, out / "x.jsonl")
    for name in FAST:
        assert f"| {name} |" in text
    assert "skipped: too large" in text and "skipped: unavailable" in text
    assert "x.jsonl" in text


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_and_report_commands(
    no_qpu: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    code, out, _ = _run(
        capsys,
        "compare",
        "--sizes",
        "2,3",
        "--seeds",
        "1",
        "--backends",
        "exact,dwave-sa",
        "--out",
        str(runs),
    )
    assert code == 0
    assert "4 of 4 solves ran" in out and "comparison-" in out
    assert len(load_records(runs)) == 4
    html_path = tmp_path / "report.html"
    assert _run(capsys, "report", "--runs", str(runs), "--out", str(html_path))[0] == 0
    assert html_path.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("compare", "--sizes", "3,x"), "--sizes"),
        (("compare", "--sizes", "0"), "--sizes"),
        (("compare", "--seeds", "0"), "--seeds"),
        (("compare", "--backends", "exact,nope"), "nope"),
        (("report", "--runs", "/no/such/folder"), "no such folder"),
    ],
)
def test_command_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("qroute: error: ") and message in err


def test_commands_are_wired_into_qroute() -> None:
    from qroute.cli.app import command_names

    assert {"compare", "report"} <= set(command_names())


# --- the Prefect flow --------------------------------------------------------------------------

FLOW_SCRIPT = """
import json, sys
from qroute.orchestration.hardware_comparison import hardware_comparison
records = hardware_comparison(
    sizes=(3,), seeds=1, backends=["exact", "dwave-sa", "qaoa-statevector"], out_dir=sys.argv[1],
    selection_instances=["yangtze-delta"], selection_sizes=[12], selection_cuts=1,
    selection_pool_seconds=1.0, rail_windows=1,
)
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as client:
    artifacts = [
        {"key": a.key, "type": a.type, "data": a.data} for a in client.read_artifacts()
    ]
    task_runs = sorted(r.name for r in client.read_task_runs())
print("RESULT " + json.dumps({"records": records, "artifacts": artifacts, "tasks": task_runs}))
"""


@pytest.mark.slow
def test_flow_runs_one_task_per_solve_and_publishes_artifacts(tmp_path: Path) -> None:
    script = tmp_path / "flow.py"
    script.write_text(textwrap.dedent(FLOW_SCRIPT))
    env = {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "HOME": str(tmp_path),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Prefect's ephemeral server migrates the fresh database first (20 s default timeout)
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "240",
        "DWAVE_API_TOKEN": "",
        "PYTHONPATH": str(ROOT),  # this checkout's qroute, whatever the venv has installed
    }
    runs = tmp_path / "runs"
    done = subprocess.run(
        [sys.executable, str(script), str(runs)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    records = result["records"]
    backends = ["exact", "dwave-sa", "qaoa-statevector"]
    assert [r["backend"] for r in records] == backends * 3
    assert [r["kind"] for r in records] == [
        *[comparison.ROUTE_TSP] * 3,
        *[comparison.ROUTE_SELECTION] * 3,
        *["rail-assignment"] * 3,
    ]
    assert all(r["status"] == STATUS_OK for r in records)
    assert all(r["optimum"] is not None and r["provenance_class"] for r in records)
    assert load_records(runs) == records  # the same JSONL the CLI writes
    solve_tasks = [t for t in result["tasks"] if not t.startswith("warm-up")]
    tsp_tasks = [t for t in solve_tasks if t.endswith("-k3-seed0")]
    assert tsp_tasks == ["dwave-sa-k3-seed0", "exact-k3-seed0", "qaoa-statevector-k3-seed0"]
    assert len(solve_tasks) == 9 and sum("-route-selection-" in t for t in solve_tasks) == 3
    by_key = {a["key"]: a for a in result["artifacts"]}
    summary = by_key["hardware-comparison-summary"]
    assert summary["type"] == "markdown" and "| qaoa-statevector |" in summary["data"]
    table = by_key["hardware-comparison-solves"]
    assert table["type"] == "table"
    rows = json.loads(table["data"]) if isinstance(table["data"], str) else table["data"]
    assert [row["backend"] for row in rows] == backends * 3


# --- cases of other kinds: route selection from a real pool, any kind through the hooks -------


@pytest.fixture(scope="module")
def selection() -> list[comparison.ComparisonCase]:
    return comparison.selection_cases("yangtze-delta", pool_seconds=1.0, sizes=(12, 40), cuts=1)


def test_selection_cases_are_cut_from_a_real_pool_and_scored_by_the_mip(
    selection: list[comparison.ComparisonCase],
) -> None:
    from qroute.qubo.selection_exact import solve_selection

    assert [c.kind for c in selection] == [comparison.ROUTE_SELECTION] * 2
    small, large = selection
    assert small.size <= 12 < large.size <= 40
    for case in selection:
        assert case.optimum == pytest.approx(solve_selection(case.problem).cost)
        assert case.optimum_method == "HiGHS MIP" and "pool of" in str(case.source)
        assert case.task_name == f"route-selection-{case.label}"


def test_a_selection_record_says_kind_class_gap_time_and_usd(
    no_qpu: None, selection: list[comparison.ComparisonCase]
) -> None:
    small, large = selection
    record = comparison.measure_case("dwave-sa", small, run_id="r", shots=50)
    assert record["status"] == STATUS_OK and record["kind"] == comparison.ROUTE_SELECTION
    assert record["provenance_class"] == "classical_sampler"
    assert record["cost"] >= record["optimum"] - 1e-6 and record["gap_percent"] >= -1e-9
    assert record["time_to_solution_s"] > 0 and record["estimated_cost_usd"] == 0.0
    assert record["tour"] is None and record["answer"]
    assert record["details"]["encoding"] == "set-partition-v1"
    assert comparison.typed_record(record)["kind"] == comparison.ROUTE_SELECTION
    too_big = comparison.measure_case("qaoa-statevector", large, run_id="r")
    assert too_big["status"] == STATUS_TOO_LARGE
    assert "takes at most 16 columns" in str(too_big["reason"])


def test_run_comparison_measures_every_case_through_one_loop_with_hooks(tmp_path: Path) -> None:
    """The flow's path: the library loop, with the measurement and the warm-up as hooks."""
    extra = comparison.route_tsp_case(4, 7)
    calls: list[tuple[str, str, str]] = []
    warmed: list[str] = []

    def measure(backend: str, case: comparison.ComparisonCase, run: str) -> dict[str, Any]:
        calls.append((backend, case.task_name, run))
        return comparison.measure_case(backend, case, run_id=run)

    records = run_comparison(
        sizes=(3,), seeds=1, backends=["exact", "dwave-sa"], out_dir=tmp_path,
        extra_cases=[extra], run_id="comparison-test", measure=measure,
        warm_up_backend=warmed.append,
    )  # fmt: skip
    assert warmed == ["exact", "dwave-sa"]
    assert calls == [
        ("exact", "k3-seed0", "comparison-test"),
        ("dwave-sa", "k3-seed0", "comparison-test"),
        ("exact", "k4-seed7", "comparison-test"),
        ("dwave-sa", "k4-seed7", "comparison-test"),
    ]
    assert load_records(tmp_path) == records
    assert (tmp_path / "comparison-test.jsonl").is_file()


def test_the_report_renders_any_kind_generically(tmp_path: Path) -> None:
    from qroute.reporting.html_report import build_report

    tsp = comparison.measure_case("exact", comparison.route_tsp_case(3, 0), run_id="comparison-x")
    other = {
        **tsp,
        "kind": "made-up-kind",
        "subproblem_key": "other",
        "optimum_method": "enumeration",
        "details": {"source": "a folder of made-up cases"},
    }
    comparison.write_records([tsp, other], tmp_path, "comparison-x")
    assert len(latest_per_solve([tsp, other])) == 2  # kinds never replace each other
    page = build_report(tmp_path, tmp_path / "report.html").read_text()
    assert "made-up-kind cases (made-up-kind)" in page
    assert "a folder of made-up cases" in page and "enumeration" in page
    rows = summary_rows([tsp, other])
    assert [(r["kind"], r["backend"]) for r in rows] == [
        (comparison.ROUTE_TSP, "exact"),
        ("made-up-kind", "exact"),
    ]
    markdown = summary_markdown([tsp, other])
    assert "## made-up-kind cases" in markdown and "## Route-TSP" in markdown
