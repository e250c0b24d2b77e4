"""The `qroute` command line: validate and baseline, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qroute.cli.app import main
from qroute.model.instances import read_solution, write_solution

Capture = pytest.CaptureFixture[str]

X101 = Path("cvrplib") / "X" / "X-n101-k25"
C101 = Path("solomon") / "C101"


def _run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _validate(capsys: Capture, instance: Path, solution: Path) -> tuple[int, str, str]:
    return _run(capsys, "validate", "--instance", str(instance), "--solution", str(solution))


# --- qroute validate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "suffix", "name", "cost"),
    [
        (X101, ".vrp", "X-n101-k25", 27591),
        (C101, ".txt", "C101", 827.3),
        (Path("cvrplib") / "CMT" / "CMT6", ".vrp", "CMT6", 555.43),
    ],
)
def test_validate_a_bks_exits_0(
    capsys: Capture, shared_data: Path, stem: Path, suffix: str, name: str, cost: float
) -> None:
    base = shared_data / stem
    code, out, err = _validate(capsys, base.with_suffix(suffix), base.with_suffix(".sol"))
    assert code == 0
    assert err == ""
    report = json.loads(out)
    assert report["instance"] == name
    assert report["feasible"] is True
    assert report["violations"] == []
    assert report["claimed_cost"] == cost
    assert report["cost"] == pytest.approx(cost, abs=0.05)


def test_validate_an_infeasible_solution_exits_1(
    capsys: Capture, shared_data: Path, tmp_path: Path
) -> None:
    routes, _ = read_solution(shared_data / X101.with_suffix(".sol"))
    assert routes[0] == [31, 46, 35]
    routes[0].remove(46)
    broken = tmp_path / "broken.sol"
    write_solution(broken, routes, 27591)
    code, out, err = _validate(capsys, shared_data / X101.with_suffix(".vrp"), broken)
    assert code == 1
    assert err == ""
    report = json.loads(out)
    assert report["feasible"] is False
    assert report["claimed_cost"] == 27591
    assert report["cost"] < 27591
    assert report["num_routes"] == 26
    assert report["violations"][0] == "1 customer(s) not visited: 46"
    assert report["violations"][1].startswith("claimed cost 27591 != recomputed cost ")
    assert len(report["violations"]) == 2


def test_validate_an_unknown_customer_exits_1(
    capsys: Capture, shared_data: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "unknown.sol"
    broken.write_text("Route #1: " + " ".join(str(c) for c in range(1, 102)) + "\nCost 1\n")
    code, out, _ = _validate(capsys, shared_data / X101.with_suffix(".vrp"), broken)
    assert code == 1
    report = json.loads(out)
    assert "route 1: unknown customer id 101 (valid: 1..100)" in report["violations"]
    assert report["claimed_cost"] == 1


# --- malformed input: exit 2 and exactly one line on stderr ----------------------------------

Builder = Callable[[Path, Path], tuple[Path, Path, str]]


def _x_lines(data: Path) -> list[str]:
    return (data / X101.with_suffix(".vrp")).read_text().splitlines()


def _put(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _cut_vrp(data: Path, tmp: Path) -> tuple[Path, Path, str]:
    bad = _put(tmp / "cut.vrp", "\n".join(_x_lines(data)[:57]) + "\n")
    return bad, data / X101.with_suffix(".sol"), f"{bad}:57: missing DEMAND_SECTION"


def _cut_solomon(data: Path, tmp: Path) -> tuple[Path, Path, str]:
    lines = (data / C101.with_suffix(".txt")).read_text().splitlines()
    bad = _put(tmp / "C101.txt", "\n".join(lines[:59] + [lines[59][:20]]))
    return (
        bad,
        data / C101.with_suffix(".sol"),
        f"{bad}:60: CUSTOMER row: expected 7 values, found 2",
    )


def _letter_in_coordinate(data: Path, tmp: Path) -> tuple[Path, Path, str]:
    lines = _x_lines(data)
    lines[19] = "13\t4A5\t473"
    bad = _put(tmp / "letter.vrp", "\n".join(lines))
    return (
        bad,
        data / X101.with_suffix(".sol"),
        f"{bad}:20: NODE_COORD_SECTION: expected numbers, found '4A5'",
    )


def _unknown_section(data: Path, tmp: Path) -> tuple[Path, Path, str]:
    lines = _x_lines(data)
    lines[6] = "NODE_COORDS_SECTION"
    bad = _put(tmp / "section.vrp", "\n".join(lines))
    return bad, data / X101.with_suffix(".sol"), f"{bad}:7: unknown section 'NODE_COORDS_SECTION'"


def _empty(data: Path, tmp: Path) -> tuple[Path, Path, str]:
    bad = _put(tmp / "empty.vrp", "")
    return bad, data / X101.with_suffix(".sol"), f"{bad}: file is empty"


def _missing(data: Path, tmp: Path) -> tuple[Path, Path, str]:
    bad = tmp / "absent.vrp"
    return bad, data / X101.with_suffix(".sol"), f"{bad}: file not found"


def _binary(data: Path, tmp: Path) -> tuple[Path, Path, str]:
    bad = _put(tmp / "binary.vrp", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return bad, data / X101.with_suffix(".sol"), f"{bad}:1: not a text file"


def _float_customer(data: Path, tmp: Path) -> tuple[Path, Path, str]:
    bad = _put(tmp / "float.sol", "Route #1: 1 2 3\nRoute #2: 4 5.5 6\nCost 10\n")
    message = f"{bad}:2: customer id '5.5' is not a non-negative integer"
    return data / X101.with_suffix(".vrp"), bad, message


def _missing_solution(data: Path, tmp: Path) -> tuple[Path, Path, str]:
    bad = tmp / "absent.sol"
    return data / X101.with_suffix(".vrp"), bad, f"{bad}: file not found"


MALFORMED: dict[str, Builder] = {
    "vrp cut in NODE_COORD_SECTION": _cut_vrp,
    "solomon cut mid-row": _cut_solomon,
    "letter in a coordinate": _letter_in_coordinate,
    "unknown section": _unknown_section,
    "empty file": _empty,
    "missing file": _missing,
    "binary garbage": _binary,
    "non-integer customer id": _float_customer,
    "missing solution": _missing_solution,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_exits_2_with_one_line(
    capsys: Capture, shared_data: Path, tmp_path: Path, case: str
) -> None:
    instance, solution, expected = MALFORMED[case](shared_data, tmp_path)
    code, out, err = _validate(capsys, instance, solution)
    assert code == 2
    assert out == ""
    assert err.endswith("\n")
    assert len(err.splitlines()) == 1
    assert err.startswith(f"qroute: error: {expected}"), err
    assert "Traceback" not in err


def test_baseline_on_a_malformed_instance_exits_2(
    capsys: Capture, shared_data: Path, tmp_path: Path
) -> None:
    bad, _, expected = _letter_in_coordinate(shared_data, tmp_path)
    code, out, err = _run(capsys, "baseline", "--instance", str(bad), "--solver", "savings")
    assert code == 2
    assert out == ""
    assert err == f"qroute: error: {expected}\n"


def test_baseline_on_an_unknown_instance_name_exits_2(capsys: Capture, shared_data: Path) -> None:
    code, out, err = _run(capsys, "baseline", "--instance", "X-n9999-k1", "--solver", "savings")
    assert code == 2
    assert out == ""
    assert err == "qroute: error: X-n9999-k1: file not found\n"


@pytest.mark.parametrize("flags", [["--size", "0"], ["--scenario-seed", "-1"]])
def test_baseline_with_an_impossible_scenario_exits_2(capsys: Capture, flags: list[str]) -> None:
    code, out, err = _run(
        capsys, "baseline", "--instance", "yangtze-delta", "--solver", "savings", *flags
    )
    assert code == 2
    assert len(err.splitlines()) == 1


def test_argument_errors_exit_2(capsys: Capture) -> None:
    for argv, expected in (
        (
            ["baseline", "--solver", "simulated-annealing"],
            "qroute: error: Invalid value for '--solver': 'simulated-annealing' is not one of "
            "'pyvrp', 'ortools', 'savings'.",
        ),
        (["validate", "--instance", "x.vrp"], "qroute: error: Missing option '--solution'."),
        (["baseline", "--time-limit", "soon"], "'soon' is not a valid float"),
        (["solve", "--budget-usd", "-1"], "expected a number >= 0, got '-1'"),
        (["no-such-command"], "qroute: error: No such command 'no-such-command'."),
        ([], "qroute: error: a command is required: validate, baseline, solve,"),
    ):
        code, out, err = _run(capsys, *argv)
        assert code == 2, argv
        assert out == ""
        assert len(err.splitlines()) == 1 and expected in err, err


def test_help_exits_0_and_lists_every_command(capsys: Capture) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for name in ("validate", "baseline", "solve", "backends", "subproblem", "compare", "report"):
        assert f"  {name} " in out
    code, out, _ = _run(capsys, "solve", "--help")
    assert code == 0
    assert "--time-limit FLOAT" in out and "(default 30)" in out
    assert "--policy [mixed|local|annealer|qaoa|cloud]" in out


def test_the_installed_script_prints_no_traceback(shared_data: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("qroute")
    assert script.is_file(), script
    bad, solution, expected = _cut_vrp(shared_data, tmp_path)
    done = subprocess.run(
        [str(script), "validate", "--instance", str(bad), "--solution", str(solution)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"qroute: error: {expected}\n"
    assert "Traceback" not in done.stderr


# --- qroute baseline -------------------------------------------------------------------------

RESULT_KEYS = {"instance", "cost", "feasible", "bks", "gap_percent", "solver", "wall_seconds"}


def test_baseline_writes_solution_and_result(
    capsys: Capture, shared_data: Path, tmp_path: Path
) -> None:
    instance = shared_data / "cvrplib" / "E" / "E-n22-k4.vrp"
    out_dir = tmp_path / "out" / "nested"
    code, out, err = _run(
        capsys,
        "baseline",
        "--instance",
        str(instance),
        "--solver",
        "savings",
        "--out",
        str(out_dir),
    )
    assert code == 0
    assert err == ""
    printed = json.loads(out)
    result = json.loads((out_dir / "result.json").read_text())
    assert set(result) >= RESULT_KEYS
    assert printed == result
    assert result["instance"] == "E-n22-k4"
    assert result["solver"] == "savings"
    assert result["feasible"] is True
    assert result["violations"] == []
    assert result["bks"] == 375
    assert 375 <= result["cost"] <= 375 * 1.05
    assert result["gap_percent"] == pytest.approx(100 * (result["cost"] - 375) / 375)
    assert result["wall_seconds"] >= 0
    assert result["provenance"]["backend_used"] == "savings"
    routes, stated = read_solution(out_dir / "solution.sol")
    assert stated == result["cost"]
    assert sorted(c for r in routes for c in r) == list(range(1, 22))
    assert result["num_routes"] == len(routes)
    code, out, _ = _validate(capsys, instance, out_dir / "solution.sol")
    assert code == 0
    assert json.loads(out)["cost"] == result["cost"]


def test_baseline_by_instance_name_with_pyvrp(capsys: Capture, shared_data: Path) -> None:
    code, out, _ = _run(
        capsys, "baseline", "--instance", "E-n22-k4", "--solver", "pyvrp", "--time-limit", "0.5"
    )
    assert code == 0
    result = json.loads(out)
    assert result["instance"] == "E-n22-k4"
    assert result["cost"] == 375
    assert result["gap_percent"] == 0.0
    assert result["provenance"]["seed"] == 0


def test_baseline_on_cmt_writes_a_non_integer_cost_that_validates(
    capsys: Capture, shared_data: Path, tmp_path: Path
) -> None:
    instance = shared_data / "cvrplib" / "CMT" / "CMT6.vrp"
    code, out, _ = _run(
        capsys,
        "baseline",
        "--instance",
        str(instance),
        "--solver",
        "savings",
        "--out",
        str(tmp_path),
    )
    assert code == 0
    result = json.loads(out)
    assert not float(result["cost"]).is_integer()
    assert result["bks"] == 555.43
    code, out, _ = _validate(capsys, instance, tmp_path / "solution.sol")
    assert code == 0
    report = json.loads(out)
    assert report["claimed_cost"] == pytest.approx(result["cost"], abs=1e-6)


def test_baseline_on_the_scenario(capsys: Capture, tmp_path: Path) -> None:
    code, out, _ = _run(
        capsys,
        "baseline",
        "--instance",
        "yangtze-delta",
        "--size",
        "15",
        "--scenario-seed",
        "3",
        "--solver",
        "ortools",
        "--time-limit",
        "0.5",
        "--out",
        str(tmp_path),
    )
    assert code == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert set(result) >= RESULT_KEYS
    assert result["instance"] == "yangtze-delta-n15-s3"
    assert result["solver"] == "ortools"
    assert result["feasible"] is True
    assert result["bks"] is None
    assert result["gap_percent"] is None
    assert result["cost"] > 0
    routes, _ = read_solution(tmp_path / "solution.sol")
    assert sorted(c for r in routes for c in r) == list(range(1, 16))
    assert json.loads(out) == result


# --- start-up imports ----------------------------------------------------------------------

# SDKs only the solves and outputs that use them import (each costs 0.2-5 s to import)
HEAVY_SDKS = (
    "braket",
    "pennylane",
    "qiskit",
    "qiskit_aer",
    "dwave.system",
    "dwave.samplers",
    "ortools",
    "pyvrp",
    "matplotlib",
    "prefect",
    "prefect_dask",
    "distributed",
)


def _imported_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY_SDKS!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True
    )
    return done.stdout.split()


def test_the_command_line_starts_without_the_heavy_sdks() -> None:
    assert _imported_after("import qroute.cli.app") == []
    # what `main` does before it runs a command: every command registered, cloud backends too
    built = "from qroute.cli.app import build_app\nfrom qroute.cloud import register\n"
    assert _imported_after(built + "register()\nbuild_app()") == []


def test_the_probe_sees_an_imported_sdk() -> None:
    assert _imported_after("import pyvrp") == ["pyvrp"]
