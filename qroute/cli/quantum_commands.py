"""`qroute backends` and `qroute subproblem`: the quantum subproblem layer on the CLI."""

from __future__ import annotations

from typing import Annotated, Any

from qroute.cli.app import app, option, print_json


def backend_rows() -> list[dict[str, Any]]:
    """One row per registered backend: name, paradigm, max stops, availability."""
    from qroute.backends import backend_names, capacity, get_backend

    rows = []
    for name in backend_names():
        backend = get_backend(name)
        status = backend.availability()
        rows.append(
            {
                "backend": name,
                "paradigm": backend.paradigm,
                "max_stops": capacity(backend),
                "max_variables": capacity(backend) ** 2,
                "available": status.available,
                "reason": status.reason,
            }
        )
    return rows


@app.command("backends", help="list subproblem backends and whether they run here")
def backends_command() -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="qroute subproblem backends")
    for column in ("backend", "paradigm", "max subproblem", "available here"):
        table.add_column(column)
    for row in backend_rows():
        size = f"{row['max_stops']} stops ({row['max_variables']} vars)"
        status = "yes" if row["available"] else f"no: {row['reason']}"
        table.add_row(row["backend"], row["paradigm"], size, status)
    Console(width=140).print(table)
    return 0


@app.command("subproblem", help="solve a seeded random route-TSP on one backend")
def subproblem_command(
    backend: Annotated[str, option("--backend")],
    size: Annotated[int, option("--size", help="customers (K)")],
    seed: Annotated[int, option("--seed")] = 0,
    shots: Annotated[int | None, option("--shots", help="reads / shots")] = None,
    no_fallback: Annotated[
        bool, option("--no-fallback", help="fail instead of falling back")
    ] = False,
) -> int:
    from qroute.backends import backend_names
    from qroute.hybrid.dispatch import Dispatcher, policy_chain
    from qroute.model.errors import UsageError
    from qroute.model.solver import Budget
    from qroute.model.subproblem import random_route_tsp
    from qroute.qubo.held_karp import held_karp

    if backend not in backend_names():
        raise UsageError(f"unknown backend {backend!r}; known: {', '.join(backend_names())}")
    if size < 1:
        raise UsageError(f"--size must be at least 1, got {size}")
    sub = random_route_tsp(size, seed)

    def chain(s: Any, kind: Any) -> list[str]:
        return [backend] if no_fallback else [backend, *policy_chain("local", s)]

    result = Dispatcher(chain=chain).solve(sub, Budget(seed=seed, shots=shots))
    order = list(result.routes[0])
    exact_cost = held_karp(sub)[1] if sub.size <= 13 else None
    gap = None if exact_cost is None else 100.0 * (result.cost - exact_cost) / exact_cost
    print_json(
        {
            "subproblem": sub.name,
            "backend": result.provenance.backend_used,
            "tour": [0, *order, 0],
            "cost": result.cost,
            "exact_cost": exact_cost,
            "gap_percent": gap,
            "raw_feasible": result.raw_feasible_rate,
            "repaired": result.repaired,
            "wall_seconds": result.provenance.wall_seconds,
            "provenance": result.provenance.as_dict(),
        }
    )
    return 0
