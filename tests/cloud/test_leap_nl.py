"""Leap's hybrid nonlinear solver, offline: a fake NL sampler that solves small models by
brute force, evaluating objective and constraints with dwave-optimization's own states."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import itertools
from typing import Any

import numpy as np
import pytest

from qroute.cloud import CloudSettings
from qroute.cloud.leap_cqm import selection_cqm
from qroute.cloud.leap_nl import LeapHybridNLBackend, nl_model, nl_sampleset
from qroute.model.provenance import provenance_class
from qroute.model.solver import BackendUnavailable, Budget
from qroute.qubo.selection import Selection, SelectionKind
from qroute.qubo.selection_exact import solve_selection

from .fakes import SimulatedCrash, crash_after_the_id_is_written, profile

NL = profile("dwave-hybrid-nl")
KIND = SelectionKind(fix=False)  # every pool column is a variable
CHARGE_US = 5_000_000  # the fake bills 5 s of charge_time


def pool() -> Selection:
    """Five customers, ten routes; the cheapest exact cover, (1,2) + (3,4) + (5) at 14, needs
    3 routes but only 2 are allowed, so the vehicle constraint decides the optimum."""
    routes = ((1,), (2,), (3,), (4,), (5,), (1, 2), (3, 4), (1, 2, 3), (4, 5), (3, 4, 5))
    costs = np.array([4.0, 4.0, 4.0, 4.0, 4.0, 5.0, 5.0, 10.0, 5.0, 9.5])
    return Selection(
        name="pool-5",
        customers=(1, 2, 3, 4, 5),
        routes=routes,
        costs=costs,
        incumbent=(7, 8),  # (1,2,3) + (4,5) at 15
        max_routes=2,
    )


@dataclasses.dataclass(frozen=True)
class FakeResult:
    model: Any
    info: dict[str, Any]


class FakeNLSolver:
    """``LeapHybridNLSampler``'s ``sample``: brute force over the binary array, the best
    feasible state written into the model's states; a future with ``wait_id``."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.retrieved: list[str] = []  # problem ids whose answers were looked up

    def estimated_min_time_limit(self, model: Any) -> float:
        return 5.0

    def sample(self, model: Any, time_limit: float, label: str) -> concurrent.futures.Future[Any]:
        self.sent.append({"time_limit": time_limit, "label": label})
        (x,) = list(model.iter_decisions())
        n = x.shape()[0]
        best: tuple[float, tuple[int, ...]] | None = None
        with model.lock():
            model.states.resize(1)
            for bits in itertools.product((0, 1), repeat=n):
                x.set_state(0, bits)
                if model.feasible(0):
                    value = float(model.objective.state(0))
                    if best is None or value < best[0]:
                        best = (value, bits)
            assert best is not None
            x.set_state(0, best[1])
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_result(
            FakeResult(model, {"timing": {"charge_time": CHARGE_US, "run_time": CHARGE_US}})
        )
        problem_id = f"nl-{len(self.sent)}"
        future.wait_id = lambda timeout=None: problem_id  # type: ignore[attr-defined]
        return future


def backend(settings: CloudSettings, solver: FakeNLSolver) -> LeapHybridNLBackend:
    return LeapHybridNLBackend(NL, sampler=solver, settings=settings)


def test_the_nl_model_has_the_route_costs_the_covers_and_the_vehicle_limit() -> None:
    selection = pool()
    nl = nl_model(selection_cqm(KIND, selection))
    assert nl.variables == tuple(range(10))
    assert nl.model.num_constraints() == 5 + 1  # one cover per customer, one vehicle limit
    with nl.model.lock():
        nl.model.states.resize(2)
        nl.x.set_state(0, [0, 0, 0, 0, 0, 0, 0, 1, 1, 0])  # (1,2,3) + (4,5): a 2-route cover
        nl.x.set_state(1, [0, 0, 0, 0, 0, 1, 1, 0, 0, 0])  # customer 5 not covered
    answer = nl_sampleset(nl)
    assert list(answer.record.energy) == pytest.approx([15.0, 10.0])
    assert list(answer.record.is_feasible) == [True, False]


def test_without_a_budget_nothing_is_sent_and_the_reason_says_so(
    settings: CloudSettings,
) -> None:
    solver = FakeNLSolver()
    unbudgeted = dataclasses.replace(settings, budget_usd=None)
    nl = backend(unbudgeted, solver)
    assert not nl.availability().available
    with pytest.raises(BackendUnavailable, match="no run budget set"):
        nl.solve(pool(), Budget(seed=1), kind=KIND)
    assert solver.sent == [] and unbudgeted.ledger().entries() == []


def test_a_budgeted_solve_is_one_ledger_row_and_finds_the_mip_optimum(
    settings: CloudSettings,
) -> None:
    selection = pool()
    solver = FakeNLSolver()
    result = backend(settings, solver).solve(selection, Budget(seed=1), kind=KIND)
    exact = solve_selection(selection)
    assert exact.optimal and exact.cost == pytest.approx(14.5)  # (1,2) + (3,4,5)
    assert result.cost == pytest.approx(exact.cost) and not result.repaired
    [entry] = settings.ledger().entries()
    assert entry.state == "completed" and entry.task_id == "nl-1"
    # the per-run label went with the problem and is in the row a rerun looks up by
    assert solver.sent == [{"time_limit": 5.0, "label": settings.dispatch_label(entry.key)}]
    assert entry.extra["label"] == settings.dispatch_label(entry.key)
    assert entry.estimate_usd == pytest.approx(5 / 60 * 1.6667)
    assert entry.actual_usd == pytest.approx(5 / 60 * 1.6667)  # charge_time at the price
    prov = result.provenance
    assert prov.backend_used == "leap-hybrid-nl" and prov.details["model"] == "nl"
    assert prov.details["constraints"] == 6 and prov.details["feasible_by_solver"] == 1.0
    assert prov.cost_usd == pytest.approx(5 / 60 * 1.6667)
    assert provenance_class(prov.backend_used, prov.device) == "hybrid_service"


def test_a_rerun_is_answered_from_the_ledger_at_no_cost(settings: CloudSettings) -> None:
    selection = pool()
    solver = FakeNLSolver()
    first = backend(settings, solver).solve(selection, Budget(seed=1), kind=KIND)
    again = backend(settings, solver).solve(selection, Budget(seed=1), kind=KIND)
    assert len(solver.sent) == 1 and len(settings.ledger().entries()) == 1
    assert again.cost == pytest.approx(first.cost)
    assert again.provenance.cost_usd == 0.0
    assert again.provenance.details["recovered"] == "ledger"
    assert again.provenance.details["charged_in_this_solve"] is False


def test_a_budget_below_the_estimate_is_refused_before_sending(settings: CloudSettings) -> None:
    solver = FakeNLSolver()
    poor = dataclasses.replace(settings, budget_usd=0.01)
    with pytest.raises(BackendUnavailable, match="budget"):
        backend(poor, solver).solve(pool(), Budget(seed=1), kind=KIND)
    assert solver.sent == [] and poor.ledger().entries() == []


def test_an_error_while_sending_keeps_the_row_reserved_and_redacted(
    settings: CloudSettings,
) -> None:
    token = "DEV-planted0123456789abcdefTOKEN"

    class Broken(FakeNLSolver):
        def sample(self, model: Any, time_limit: float, label: str) -> Any:
            raise RuntimeError(f"500 from SAPI token={token}")

    with pytest.raises(BackendUnavailable) as raised:
        backend(settings, Broken()).solve(pool(), Budget(seed=1), kind=KIND)
    assert token not in str(raised.value)
    [entry] = settings.ledger().entries()
    assert entry.state == "reserved" and token not in str(entry.extra["last_error"])


def test_register_offers_leap_hybrid_nl_next_to_the_cqm_solver(registered: list[str]) -> None:
    from qroute.backends import get_backend

    assert {"leap-hybrid-cqm", "leap-hybrid-nl"} <= set(registered)
    made = get_backend("leap-hybrid-nl")
    assert isinstance(made, LeapHybridNLBackend)
    assert made.profile.solver_name == "hybrid_nonlinear_program_version1"
    assert made.profile.price.per_minute_usd == profile("dwave-hybrid-cqm").price.per_minute_usd


def test_other_kinds_go_as_their_bqm_objective_without_constraints(
    settings: CloudSettings,
) -> None:
    from qroute.model.subproblem import random_route_tsp
    from qroute.qubo.tsp import TSP_KIND

    sub = random_route_tsp(3, seed=1)
    solver = FakeNLSolver()
    result = backend(settings, solver).solve(sub, Budget(seed=1), kind=TSP_KIND)
    best = min(sub.cost(list(o)) for o in itertools.permutations(range(1, len(sub.nodes))))
    assert result.provenance.details["constraints"] == 0
    assert result.cost == pytest.approx(best) and not result.repaired


def solved_from(solver: FakeNLSolver) -> Any:
    """``retrieve_states`` of a rerun: Leap's answer of the earlier problem, by id."""

    def retrieve(problem_id: str, nl: Any, timeout: float) -> dict[str, Any]:
        solver.retrieved.append(problem_id)
        result = FakeNLSolver.sample(solver, nl.model, 5.0, "retrieve")
        solver.sent.pop()  # looking an answer up is not a submission
        return dict(result.result().info["timing"])

    return retrieve


def test_a_crash_after_the_id_is_written_is_recovered_by_id_without_resubmitting(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    solver = FakeNLSolver()
    with monkeypatch.context() as patch:
        crash_after_the_id_is_written(patch)
        with pytest.raises(SimulatedCrash):
            backend(settings, solver).solve(pool(), Budget(seed=1), kind=KIND)
    rerun = backend(settings, solver)
    monkeypatch.setattr(rerun, "retrieve_states", solved_from(solver))
    result = rerun.solve(pool(), Budget(seed=1), kind=KIND)
    assert len(solver.sent) == 1 and solver.retrieved == ["nl-1"]
    assert result.cost == pytest.approx(14.5)
    assert result.provenance.details["recovered"] == "problem id"
    [entry] = settings.ledger().entries()
    assert entry.state == "completed" and entry.actual_usd == pytest.approx(5 / 60 * 1.6667)


def test_a_crash_while_sending_is_looked_up_by_label_before_anything_is_resent(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    class DiesWhileSending(FakeNLSolver):
        def sample(self, model: Any, time_limit: float, label: str) -> Any:
            self.sent.append({"time_limit": time_limit, "label": label})
            raise SimulatedCrash

    dying = DiesWhileSending()
    with pytest.raises(SimulatedCrash):
        backend(settings, dying).solve(pool(), Budget(seed=1), kind=KIND)
    [reserved] = settings.ledger().entries()
    assert reserved.state == "reserved" and reserved.task_id is None
    labels: list[str] = []

    def lookup(label: str) -> str:
        labels.append(label)
        return "nl-orphan"  # Leap has a problem with the row's label

    solver = FakeNLSolver()
    rerun = LeapHybridNLBackend(NL, sampler=solver, settings=settings, problem_lookup=lookup)
    monkeypatch.setattr(rerun, "retrieve_states", solved_from(solver))
    result = rerun.solve(pool(), Budget(seed=1), kind=KIND)
    assert labels == [dying.sent[0]["label"]] and solver.sent == []
    assert solver.retrieved == ["nl-orphan"]
    assert result.cost == pytest.approx(14.5)


def test_a_timeout_cancels_the_pending_problem_and_keeps_its_id(settings: CloudSettings) -> None:
    class CloudFuture:  # dwave.cloud's Future: the id is known, the answer never comes
        def __init__(self) -> None:
            self.cancelled = False

        def wait_id(self, timeout: float | None = None) -> str:
            return "nl-pending"

        def cancel(self) -> None:
            self.cancelled = True

    cloud = CloudFuture()

    class Pending(FakeNLSolver):
        def sample(self, model: Any, time_limit: float, label: str) -> Any:
            self.sent.append({"time_limit": time_limit, "label": label})
            result: concurrent.futures.Future[Any] = concurrent.futures.Future()
            result.wait_id = cloud.wait_id  # type: ignore[attr-defined]  # as dwave-system does
            return result

    fast = dataclasses.replace(settings, wait_seconds=0.02)
    with pytest.raises(BackendUnavailable, match="cancel requested"):
        backend(fast, Pending()).solve(pool(), Budget(seed=1), kind=KIND)
    [entry] = fast.ledger().entries()
    assert cloud.cancelled and entry.state == "waiting" and entry.task_id == "nl-pending"
