"""`qroute backends` and `qroute subproblem` on the command line."""

from __future__ import annotations

import json

import pytest

from qroute.cli.app import main
from qroute.cli.quantum_commands import backend_rows
from qroute.model.subproblem import random_route_tsp
from qroute.qubo.held_karp import held_karp

REQUIRED = {
    "backend",
    "tour",
    "cost",
    "exact_cost",
    "gap_percent",
    "raw_feasible",
    "repaired",
    "wall_seconds",
    "provenance",
}


def test_backends_lists_every_local_backend_as_available(capsys) -> None:
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    for name in ("exact", "dwave-sa", "qaoa-statevector", "braket-local", "qiskit-aer"):
        assert name in out
    rows = {row["backend"]: row for row in backend_rows()}
    assert rows["dwave-sa"]["available"] is True
    assert rows["qaoa-statevector"]["max_stops"] == 4
    assert rows["dwave-qpu"]["paradigm"] == "annealing"


def test_backends_shows_why_the_qpu_is_unavailable(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    monkeypatch.delenv("DWAVE_CONFIG_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "no D-Wave credentials" in out


def test_subproblem_prints_the_tour_and_its_gap_to_the_optimum(capsys) -> None:
    assert main(["subproblem", "--backend", "dwave-sa", "--size", "7", "--seed", "3"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) >= REQUIRED
    sub = random_route_tsp(7, 3)
    assert payload["tour"][0] == payload["tour"][-1] == 0
    assert sorted(payload["tour"][1:-1]) == list(range(1, 8))
    assert payload["cost"] == pytest.approx(sub.cost(payload["tour"][1:-1]))
    assert payload["exact_cost"] == pytest.approx(held_karp(sub)[1])
    assert payload["gap_percent"] == pytest.approx(
        100 * (payload["cost"] - payload["exact_cost"]) / payload["exact_cost"]
    )
    assert payload["provenance"]["backend_used"] == "dwave-sa"
    assert 0 < payload["raw_feasible"] <= 1


def test_subproblem_too_big_for_qaoa_falls_back_and_says_why(capsys) -> None:
    assert main(["subproblem", "--backend", "qaoa-statevector", "--size", "6"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["backend"] == "dwave-sa"
    assert payload["provenance"]["fallback_reason"] == (
        "qaoa-statevector: takes at most 4 stops, got 6"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--backend", "warp-drive", "--size", "4"], "unknown backend 'warp-drive'"),
        (["--backend", "dwave-sa", "--size", "0"], "--size must be at least 1, got 0"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(capsys, argv: list[str], message: str) -> None:
    assert main(["subproblem", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err
