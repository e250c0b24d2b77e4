"""The hybrid solve pipeline: partition, dispatch subproblems, stitch, improve.

1. `initial_routes`: a capacity-feasible classical start (Clarke-Wright savings, or a
   cheapest-insertion construction when savings cannot satisfy the instance).
2. `make_subproblems`: one route-TSP per route; routes longer than `max_stops` are cut into
   consecutive path windows of at most `max_stops` stops (fixed neighbours at both ends).
3. A `SolveBatch` solves them (by default the fallback `Dispatcher` of a policy, one by one;
   a workflow engine can fan a batch out instead: qroute.orchestration.solve maps each
   subproblem to a Prefect task). A `Progress` (qroute.hybrid.progress) sees the phases,
   the solves and the best cost.
4. `stitch` adopts an answer only if it is a valid order, keeps the route feasible and is not
   worse in the current context.
5. `improve` alternates a classical inter-route search (SISR ruin-and-recreate, see
   qroute.hybrid.improve) with re-routing, through the same `SolveBatch`, of every route or window
   whose content changed since it was last solved - as in hybrid quantum tabu search.

Everything is validated at the end with the independent qroute.model.validation.validate, and the
quantum share is accounted arc by arc (qroute.hybrid.improve.ArcLedger).

Subproblems list their free stops sorted by node id (the order is the solver's job), so a
subproblem's content key depends only on which stops it holds and its fixed ends; an
identical subproblem met again reuses the earlier answer instead of being solved again.
"""

from __future__ import annotations

import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qroute.backends.gate import QAOA_MAX_QUBITS
from qroute.hybrid import partition
from qroute.hybrid.dispatch import Dispatcher
from qroute.hybrid.improve import ArcLedger, RuinRecreate
from qroute.hybrid.progress import NoProgress, Progress
from qroute.hybrid.pyvrp_search import PyVRPSearch
from qroute.hybrid.route_pool import RoutePool
from qroute.hybrid.selection_step import SelectionRecord, selection_step
from qroute.model.problem import Problem
from qroute.model.provenance import (
    PROVENANCE_CLASSES,
    QUANTUM_CLASSES,
    credited_class,
    empty_by_class,
    provenance_class,
)
from qroute.model.solver import Budget, SolveResult
from qroute.model.subproblem import Subproblem, route_subproblem, window_subproblem
from qroute.model.validation import validate
from qroute.qubo.held_karp import held_karp
from qroute.qubo.tsp import TSP_KIND, window_encoded

SolveBatch = Callable[[list[Subproblem], list[int]], list[SolveResult]]

# Subproblem size cap per policy: the annealer (dwave-sa) gives useful answers up to about 12
# stops (144 variables), the D-Wave QPU path what its profile's max_variables holds
# (10 stops, read when a config resolves it); QAOA takes what its qubit limit
# holds (qroute.backends.gate.QAOA_MAX_QUBITS, derived from the qaoa-statevector profile's
# max_variables, the one place it is written: 4 stops).
DEFAULT_MAX_STOPS = {
    "local": 12,
    "mixed": 12,
    "qaoa": TSP_KIND.capacity(QAOA_MAX_QUBITS),
    "exact": 12,
}
# the mixed policy sends at most this many small route-TSPs to the three-SDK QAOA per run
# (each costs SDK start-up and angle optimisation; the rest go to the local annealer)
MIXED_QAOA_SOLVES = 3
# route-selection backend per policy (the first selection of a mixed run goes to QAOA)
SELECTION_BACKEND = {
    "local": "dwave-sa",
    "mixed": "dwave-sa",
    "annealer": "dwave-qpu",
    "qaoa": "qaoa-statevector",
    "cloud": "dwave-sa",
    "exact": "mip",
}
SELECTIONS_PER_ROUND = 2
# most of the budget the initial route-QUBO phase may use (its first chunk always runs): the
# search re-routes the savings start's routes anyway (bench/pipeline.py: 0.1 took 5-15 % of
# 20 s runs from PyVRP for no gain)
INITIAL_TIME_SHARE = 0.03
INITIAL_MIN_SECONDS = 1.0  # ... but a short run still gets this long for the start's routes
INITIAL_MAX_SECONDS = 3.0  # ... and a long one no longer (X-n1001-k43 at 300 s: 8.5 s of it)
INITIAL_CHUNK = 2
MAX_FRESH_PER_ROUND = 2  # new route-QUBO solves per improve round
# share of each round's search time given to PyVRP when both engines run (bench/pipeline.py:
# PyVRP's ILS improves faster than SISR on the X set; SISR keeps feeding other routes)
PYVRP_SHARE = 0.75
_SDK_MODULES = ("braket.devices", "pennylane", "qiskit_aer.primitives")
# a mixed run gets one QAOA sub-selection on the three SDKs (paying their start-up, seconds)
# only with at least this budget; small route-TSPs go to QAOA only once the SDKs are loaded
MIXED_QAOA_MIN_SECONDS = 20.0
MIXED_QAOA_RESERVE_SHARE = 0.6  # ... and only while 60 % of the budget remains
# the MIP recombination steps of each round (RECOMBINES_PER_ROUND wide cuts around different
# routes) may each take at most RECOMBINE_SHARE of the budget
RECOMBINE_SHARE = 0.02
RECOMBINES_PER_ROUND = 2
HELD_KARP_ABLATION_MAX = 10  # route QUBO answers up to this size are compared with Held-Karp

# improve(): share of wall time aimed at subproblem solves, and round length bounds (seconds)
QUANTUM_TIME_SHARE = 0.1
# ... while the steps pay; each round in which no step improved the best plan shrinks their
# share by STEP_SHARE_DECAY, down to MIN_STEP_SHARE (they keep running), and an improving
# round restores it: on the X set most rounds' steps changed nothing (bench/pipeline.py
# `rec`, `seladp`), and that time is the search's
STEP_SHARE_DECAY = 0.7
MIN_STEP_SHARE = 0.03
MIN_ROUND_SECONDS = 0.5
FIRST_ROUND_SHARE = 0.05  # the first search slice, before any step time is measured
END_RESERVE_SHARE = 0.02  # kept back for the final re-routing of the best plan
_ITERATIONS_PER_CLOCK_CHECK = 25


@dataclass(frozen=True)
class PipelineConfig:
    """How the hybrid pipeline runs."""

    policy: str = "mixed"
    time_limit: float = 60.0  # wall seconds for the whole pipeline
    seed: int = 0
    max_stops: int | None = None  # subproblem size cap; None -> from the policy
    shots: int | None = None
    # classical searches feeding the pool: PyVRP alone by default (bench/pipeline.py on the X
    # set: giving SISR a share of the search time made every measured mean gap worse);
    # ("sisr", "pyvrp") splits each search slice PYVRP_SHARE : 1 - PYVRP_SHARE
    engines: tuple[str, ...] = ("pyvrp",)
    selection: bool = True  # route-selection QUBO steps over the pool
    exact_steps: bool = False  # ablation: every QUBO step replaced by its exact counterpart

    def resolved_max_stops(self) -> int:
        if self.max_stops is not None:
            if self.max_stops < 1:
                raise ValueError(f"max_stops must be at least 1, got {self.max_stops}")
            return self.max_stops
        if self.policy == "annealer":  # what the D-Wave QPU's profile holds (10 stops)
            from qroute.cloud.policy import qpu_max_variables

            return TSP_KIND.capacity(qpu_max_variables())
        return DEFAULT_MAX_STOPS.get(self.policy, 12)


@dataclass(frozen=True)
class SubproblemRecord:
    """One subproblem solve: what was asked, who answered, and whether it was adopted."""

    index: int
    phase: str  # "initial" | "improve"
    key: str
    kind: str
    size: int
    nodes: tuple[int, ...]
    cost_before: float  # cost of the route / window in the solution when stitched
    cost_after: float  # the same with the answer's order (cost_before if the answer is invalid)
    adopted: bool
    backend_requested: str
    backend_used: str
    device: str
    paradigm: str
    raw_feasible_rate: float | None
    repaired: bool
    wall_seconds: float
    fallback_reason: str | None
    provenance: dict = field(default_factory=dict)  # Provenance.as_dict() plus "stitch" note
    provenance_class: str = "classical_sampler"
    answer_cost: float | None = None  # the answer's own subproblem cost (None if invalid)
    exact_cost: float | None = None  # Held-Karp optimum of the same subproblem (ablation)

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "phase": self.phase,
            "key": self.key,
            "kind": self.kind,
            "size": self.size,
            "nodes": list(self.nodes),
            "cost_before": self.cost_before,
            "cost_after": self.cost_after,
            "adopted": self.adopted,
            "backend_requested": self.backend_requested,
            "backend_used": self.backend_used,
            "device": self.device,
            "paradigm": self.paradigm,
            "raw_feasible_rate": self.raw_feasible_rate,
            "repaired": self.repaired,
            "wall_seconds": self.wall_seconds,
            "fallback_reason": self.fallback_reason,
            "provenance": _jsonable(self.provenance),
            "provenance_class": self.provenance_class,
            "answer_cost": self.answer_cost,
            "exact_cost": self.exact_cost,
        }


@dataclass(frozen=True)
class PipelineResult:
    """The validated hybrid solution with every subproblem record and the quantum share."""

    instance: str
    routes: tuple[tuple[int, ...], ...]
    cost: float
    feasible: bool
    violations: tuple[str, ...]
    records: tuple[SubproblemRecord, ...]
    quantum_share: dict
    history: tuple[tuple[float, float], ...]  # (seconds since the pipeline started, best cost)
    wall_seconds: float
    phase_seconds: dict[str, float]
    selection_records: tuple[SelectionRecord, ...] = ()
    ablation: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "routes": [list(r) for r in self.routes],
            "cost": self.cost,
            "feasible": self.feasible,
            "violations": list(self.violations),
            "records": [r.as_dict() for r in self.records],
            "quantum_share": _jsonable(self.quantum_share),
            "history": [[t, c] for t, c in self.history],
            "wall_seconds": self.wall_seconds,
            "phase_seconds": dict(self.phase_seconds),
            "selection_records": [r.as_dict() for r in self.selection_records],
            "ablation": _jsonable(self.ablation),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# ------------------------------------------------------------------------ partition


def initial_routes(problem: Problem, config: PipelineConfig) -> list[list[int]]:
    """A capacity-feasible start (Clarke-Wright savings; cheapest insertion when the
    instance has time windows or a fleet savings exceeds). See qroute.hybrid.partition."""
    del config  # the start is deterministic
    return partition.initial_routes(problem)


# ------------------------------------------------------------------------ subproblems


def _route_sub(problem: Problem, route: Sequence[int], name: str) -> Subproblem:
    return route_subproblem(problem, sorted(int(c) for c in route), name)


def window_bounds(length: int, max_stops: int, offset: int = 0) -> list[tuple[int, int]]:
    """(start, k) of consecutive windows covering a route of `length` stops, each of at most
    `max_stops` stops and of near-equal size; `offset` shifts the cuts (improve() varies it
    from round to round so no cut stays fixed)."""
    if length <= max_stops:
        return [(0, length)]
    count = math.ceil(length / max_stops)
    size = math.ceil(length / count)
    shift = offset % size
    bounds: list[tuple[int, int]] = []
    start = 0
    if shift:
        bounds.append((0, shift))
        start = shift
    while start < length:
        k = min(size, length - start)
        bounds.append((start, k))
        start += k
    return bounds


def route_subproblems(
    problem: Problem, route: Sequence[int], max_stops: int, name: str, offset: int = 0
) -> list[Subproblem]:
    """The route-TSP of a short route, or the path windows of a long one (time windows, when
    the instance has them, travel with each: qroute.model.subproblem.window_subproblem)."""
    route = [int(c) for c in route]
    if not route:
        return []
    if len(route) <= max_stops:
        return [_route_sub(problem, route, name)]
    return [
        window_subproblem(problem, route, start, k, f"{name}w{w}", sort_stops=True)
        for w, (start, k) in enumerate(window_bounds(len(route), max_stops, offset))
    ]


def make_subproblems(problem: Problem, routes: list[list[int]], max_stops: int) -> list[Subproblem]:
    """Route-TSPs for routes of at most `max_stops` stops; consecutive path windows of at
    most `max_stops` stops for longer routes. Free stops are listed sorted by node id."""
    if max_stops < 1:
        raise ValueError(f"max_stops must be at least 1, got {max_stops}")
    subs: list[Subproblem] = []
    for r, route in enumerate(routes):
        subs.extend(route_subproblems(problem, route, max_stops, f"{problem.name}/r{r}"))
    return subs


# ------------------------------------------------------------------------ stitch


def _free_stops(sub: Subproblem) -> tuple[int, ...]:
    return sub.nodes[1:] if sub.kind == "route" else sub.nodes[1:-1]


def _segment_cost(d: np.ndarray, path: Sequence[int]) -> float:
    idx = np.asarray(path, dtype=np.int64)
    return float(d[idx[:-1], idx[1:]].sum())


def _answer_order(sub: Subproblem, result: SolveResult) -> tuple[list[int] | None, str]:
    """The answer as local indices if it is a valid order of the subproblem, else a reason."""
    if len(result.routes) != 1:
        return None, f"invalid: {len(result.routes)} routes returned, expected 1"
    try:
        order = [int(i) for i in result.routes[0]]
    except (TypeError, ValueError):
        return None, "invalid: non-integer stops"
    if not sub.is_valid_order(order):
        return None, f"invalid: not a permutation of 1..{sub.size}"
    return order, "ok"


@dataclass
class _StitchOutcome:
    adopted: bool
    note: str
    cost_before: float
    cost_after: float


def _stitch_one(
    problem: Problem,
    routes: list[list[int]],
    where: dict[int, int],
    sub: Subproblem,
    result: SolveResult,
    ledger: ArcLedger,
) -> _StitchOutcome:
    """Adopt one answer into `routes` (in place) if it is valid, feasible and not worse."""
    order, reason = _answer_order(sub, result)
    free = _free_stops(sub)
    ks = len(free)
    r = where.get(int(free[0]), -1)
    route = routes[r] if r >= 0 else []
    start = -1
    if r >= 0 and all(where.get(int(c)) == r for c in free):
        start = min(route.index(int(c)) for c in free)
        whole = sub.kind != "route" or len(route) == ks
        if not whole or set(route[start : start + ks]) != set(free):
            start = -1
    if start < 0:  # the solution moved on since the subproblem was cut (not our own flows)
        local = order if order is not None else list(range(1, sub.size + 1))
        cost = sub.cost(local)
        return _StitchOutcome(False, "stale: stops no longer form this route/window", cost, cost)
    d = problem.distances
    left = route[start - 1] if start > 0 else 0
    right = route[start + ks] if start + ks < len(route) else 0
    cost_before = _segment_cost(d, [left, *route[start : start + ks], right])
    if order is None:
        return _StitchOutcome(False, reason, cost_before, cost_before)
    stops = sub.global_order(order)
    cost_after = _segment_cost(d, [left, *stops, right])
    new_route = route[:start] + stops + route[start + ks :]
    if cost_after > cost_before + 1e-9 * max(1.0, abs(cost_before)):
        return _StitchOutcome(False, "worse", cost_before, cost_after)
    if not partition.route_feasible(problem, new_route):
        return _StitchOutcome(False, "infeasible route", cost_before, cost_after)
    origin = credited_class(
        result.provenance.backend_used, result.provenance.device, repaired=result.repaired
    )
    if set(ledger.route_keys(new_route)) == set(ledger.route_keys(route)):
        ledger.confirm(ledger.path_keys([left, *stops, right]), origin)
        return _StitchOutcome(False, "unchanged", cost_before, cost_after)
    ledger.set_route(route, new_route, origin)
    routes[r] = new_route
    return _StitchOutcome(True, "adopted", cost_before, cost_after)


def _exact_cost(sub: Subproblem, ledger: ArcLedger | None) -> float | None:
    """Held-Karp optimum of a subproblem up to HELD_KARP_ABLATION_MAX stops (cached); with
    time windows, of the QUBO's window-encoded matrix (blocked arcs avoided, qroute.qubo.tsp),
    so the window-blind optimum never poses as the answer's exact counterpart."""
    if sub.size > HELD_KARP_ABLATION_MAX:
        return None
    key = sub.key()
    if ledger is not None and key in ledger.exact_costs:
        return ledger.exact_costs[key]
    cost = float(held_karp(window_encoded(sub))[1])
    if ledger is not None:
        ledger.exact_costs[key] = cost
    return cost


def _record(
    index: int,
    phase: str,
    sub: Subproblem,
    result: SolveResult,
    outcome: _StitchOutcome,
    ledger: ArcLedger | None = None,
) -> SubproblemRecord:
    prov = result.provenance
    order, _ = _answer_order(sub, result)
    return SubproblemRecord(
        index=index,
        phase=phase,
        key=sub.key(),
        kind=sub.kind,
        size=sub.size,
        nodes=tuple(int(n) for n in sub.nodes),
        cost_before=outcome.cost_before,
        cost_after=outcome.cost_after,
        adopted=outcome.adopted,
        backend_requested=prov.backend_requested,
        backend_used=prov.backend_used,
        device=prov.device,
        paradigm=prov.paradigm,
        raw_feasible_rate=result.raw_feasible_rate,
        repaired=result.repaired,
        wall_seconds=float(prov.wall_seconds),
        fallback_reason=prov.fallback_reason,
        provenance={**_jsonable(prov.as_dict()), "stitch": outcome.note},
        provenance_class=provenance_class(prov.backend_used, prov.device),
        answer_cost=sub.cost(order) if order is not None else None,
        exact_cost=_exact_cost(sub, ledger),
    )


def stitch(
    problem: Problem,
    routes: list[list[int]],
    subproblems: list[Subproblem],
    results: list[SolveResult],
    phase: str,
    start_index: int,
    *,
    ledger: ArcLedger | None = None,
) -> tuple[list[list[int]], list[SubproblemRecord]]:
    """Adopt each answer, in order, only if it is a valid order of its subproblem, keeps its
    route feasible and is not worse in the current solution (windows of one route are
    judged with their neighbours as they are after the previous windows' adoption).
    Returns new routes (the input is not modified) and one record per subproblem."""
    if len(subproblems) != len(results):
        raise ValueError(f"{len(results)} results for {len(subproblems)} subproblems")
    ledger = ledger if ledger is not None else ArcLedger(problem)
    current = [list(map(int, r)) for r in routes]
    where = {c: r for r, route in enumerate(current) for c in route}
    records: list[SubproblemRecord] = []
    for offset, (sub, result) in enumerate(zip(subproblems, results, strict=True)):
        outcome = _stitch_one(problem, current, where, sub, result, ledger)
        ledger.answers.setdefault(sub.key(), result)
        records.append(_record(start_index + offset, phase, sub, result, outcome, ledger))
    return current, records


# ------------------------------------------------------------------------ solving


def default_solve_batch(config: PipelineConfig, progress: Progress | None = None) -> SolveBatch:
    """Solve a batch one by one through the policy's fallback Dispatcher (each solve's seed
    is `config.seed + index`), reporting the solves to `progress`."""
    dispatcher = Dispatcher(config.policy)
    view = progress if progress is not None else NoProgress()
    local = Dispatcher("local") if config.policy == "mixed" else None
    qaoa_solves = [0]

    def solve_batch(subproblems: list[Subproblem], indices: list[int]) -> list[SolveResult]:
        view.add_total(len(subproblems))
        out: list[SolveResult] = []
        for sub, index in zip(subproblems, indices, strict=True):
            chosen = dispatcher
            if local is not None and TSP_KIND.num_variables(sub) <= QAOA_MAX_QUBITS:
                if qaoa_solves[0] >= MIXED_QAOA_SOLVES or not sdks_imported():
                    chosen = local  # quota spent, or the SDKs are not started yet
                else:
                    qaoa_solves[0] += 1
            out.append(chosen.solve(sub, Budget(seed=config.seed + index, shots=config.shots)))
            view.subproblem_done()
        return out

    return solve_batch


def sdks_imported() -> bool:
    """Whether Braket, PennyLane and Qiskit Aer are already imported in this process."""
    return all(m in sys.modules for m in _SDK_MODULES)


def _trivial(problem: Problem, sub: Subproblem, ledger: ArcLedger) -> bool:
    """A subproblem with a single possible tour (one stop; two stops of a symmetric route)."""
    return sub.size == 1 or (sub.kind == "route" and sub.size == 2 and ledger.symmetric)


@dataclass
class _Hybrid:
    """improve()'s state: the SISR engine, the ledger, and the records so far."""

    problem: Problem
    engine: RuinRecreate
    ledger: ArcLedger
    solve_batch: SolveBatch
    max_stops: int
    next_index: int
    records: list[SubproblemRecord] = field(default_factory=list)
    solve_seconds: float = 0.0
    solves: int = 0
    pool: RoutePool | None = None
    pyvrp: PyVRPSearch | None = None
    selection_backend: str = "dwave-sa"
    exact_steps: bool = False
    seed: int = 0
    selections: list[SelectionRecord] = field(default_factory=list)
    selection_seconds: float = 0.0
    decided: dict[frozenset[int], str] = field(default_factory=dict)  # route set -> class
    qaoa_selections: int = 0

    def run_pyvrp(self, seconds: float) -> None:
        """A PyVRP slice warm-started from the best solution; adopted when better."""
        if self.pyvrp is None or seconds < 0.05:
            return
        start = self.engine.best_routes()
        found = self.pyvrp.run(start, seconds, self.pool)
        cost = validate(self.problem, found).cost
        if cost < self.engine.best_cost - 1e-9:
            self.engine.load_routes(found, None)
            self.engine.save_best()

    def run_selections(self, count: int, round_no: int) -> None:
        """`count` route-selection steps on the current solution, seeds spread over routes."""
        if self.pool is None:
            return
        for _ in range(count):
            routes = self.engine.routes()
            if len(routes) < 2:
                return
            backend = self.selection_backend
            if (
                backend == "dwave-sa"
                and self.qaoa_selections == 0
                and self.mixed
                and self.sdks_ready()
            ):
                backend = "qaoa-sdks"  # one small selection per mixed run on the three SDKs
                self.qaoa_selections += 1
            index = len(self.selections)
            seed_route = (self.seed + 7 * index + round_no) % len(routes)
            start = time.perf_counter()
            try:
                new_plan, record = selection_step(
                    self.problem,
                    self.pool,
                    routes,
                    seed_route,
                    backend,
                    self.seed + index,
                    index,
                    exact_step=self.exact_steps or backend == "mip",
                )
            except Exception:  # an unavailable / failing sampler: the local annealer instead
                if backend == "dwave-sa":
                    raise
                new_plan, record = selection_step(
                    self.problem,
                    self.pool,
                    routes,
                    seed_route,
                    "dwave-sa",
                    self.seed + index,
                    index,
                )
            self.selection_seconds += time.perf_counter() - start
            self.selections.append(record)
            if new_plan is None:
                continue
            before = {frozenset(r) for r in routes}
            self.engine.load_routes(new_plan, record.credited_class)
            for route in new_plan:
                key = frozenset(route)
                if key not in before and record.backend != "mip":  # a MIP is no QUBO answer
                    self.decided[key] = record.credited_class
            if self.engine.cost < self.engine.best_cost - 1e-9:
                self.engine.save_best()

    def recombine(self, step_no: int, seconds: float) -> None:
        """One classical recombination: the MIP over a wide neighbourhood of the pool
        (selection_step backend "mip", bounded by `seconds`), adopted when cheaper. Its
        routes are credited to classical_sampler and never counted as decided by a QUBO."""
        if self.pool is None or seconds < 0.05:
            return
        routes = self.engine.best_routes()
        if len(routes) < 2:
            return
        index = len(self.selections)
        seed_route = (self.seed + 11 * step_no) % len(routes)
        start = time.perf_counter()
        new_plan, record = selection_step(
            self.problem,
            self.pool,
            routes,
            seed_route,
            "mip",
            self.seed + index,
            index,
            mip_seconds=seconds,
        )
        self.recombine_seconds += time.perf_counter() - start
        self.selections.append(record)
        if new_plan is not None:
            self.engine.load_routes(new_plan, record.credited_class)
            if self.engine.cost < self.engine.best_cost - 1e-9:
                self.engine.save_best()

    recombine_seconds: float = 0.0
    mixed: bool = False
    qaoa_latest: float = 0.0  # the last perf_counter() at which the QAOA selection may start
    qaoa_allowed: bool = False

    def mean_selection_seconds(self) -> float:
        """Mean seconds of a local-sampler selection step (the one QAOA step excluded)."""
        local = [
            s.qubo_seconds + s.exact_seconds
            for s in self.selections
            if s.backend != "qaoa-sdks" and s.step == "selection"
        ]
        return float(np.mean(local)) if local else 0.5

    def sdks_ready(self) -> bool:
        """Whether this mixed run should now spend its one QAOA sub-selection on the three
        SDKs (their start-up is paid once, by the improve phase, never by the initial
        phase): only with a budget of at least MIXED_QAOA_MIN_SECONDS and while at least
        MIXED_QAOA_RESERVE_SHARE of it remains, so the run never overruns for it."""
        return self.qaoa_allowed and time.perf_counter() <= self.qaoa_latest

    def seconds_per_solve(self) -> float:
        """Measured batch seconds per solve; before any, the answers' own wall times."""
        if self.solves:
            return self.solve_seconds / self.solves
        known = [r.provenance.wall_seconds for r in self.ledger.answers.values()]
        return float(np.mean(known)) if known else 0.2

    def pending(self, offset: int) -> tuple[list[int], list[list[int]], list[Subproblem]]:
        """The current routes and the subproblems of their changed routes / windows."""
        items = self.engine.route_items()
        slots = [s for s, _ in items]
        routes = [r for _, r in items]
        subs: list[Subproblem] = []
        for slot, route in items:
            name = f"{self.problem.name}/s{slot}"
            for sub in route_subproblems(self.problem, route, self.max_stops, name, offset):
                if not _trivial(self.problem, sub, self.ledger):
                    subs.append(sub)
        return slots, routes, subs

    def reroute(self, offset: int, max_fresh: int = MAX_FRESH_PER_ROUND) -> int:
        """Re-route every changed route or window of the engine's current solution: reuse
        answers to identical subproblems, solve at most `max_fresh` of the rest as one
        batch (the others wait for a later round). Returns the number of new solves."""
        slots, routes, subs = self.pending(offset)
        before = [list(r) for r in routes]
        fresh = [s for s in subs if s.key() not in self.ledger.answers]
        unique: dict[str, Subproblem] = {s.key(): s for s in fresh}
        unique = dict(list(unique.items())[: max(max_fresh, 0)])
        fresh = list(unique.values())
        if fresh:
            indices = list(range(self.next_index, self.next_index + len(fresh)))
            start = time.perf_counter()
            results = self.solve_batch(fresh, indices)
            self.solve_seconds += time.perf_counter() - start
            self.solves += len(fresh)
            if len(results) != len(fresh):
                raise ValueError(f"solve_batch returned {len(results)} for {len(fresh)}")
            routes, records = stitch(
                self.problem,
                routes,
                fresh,
                results,
                "improve",
                self.next_index,
                ledger=self.ledger,
            )
            self.records.extend(records)
            self.next_index += len(fresh)
        where = {c: r for r, route in enumerate(routes) for c in route}
        fresh_keys = set(unique)
        for sub in subs:
            if sub.key() in fresh_keys or sub.key() not in self.ledger.answers:
                continue
            outcome = _stitch_one(
                self.problem, routes, where, sub, self.ledger.answers[sub.key()], self.ledger
            )
            self.ledger.reused += outcome.adopted
        for slot, old, new in zip(slots, before, routes, strict=True):
            if old != new:
                self.engine.write_route(slot, new)
        if self.engine.cost < self.engine.best_cost - 1e-9:
            self.engine.save_best()
        return len(fresh)


def step_share(quiet_rounds: int) -> float:
    """The share of a round's time aimed at its steps (route QUBOs, selections,
    recombinations) after `quiet_rounds` rounds in which no step improved the best plan."""
    return max(MIN_STEP_SHARE, QUANTUM_TIME_SHARE * STEP_SHARE_DECAY**quiet_rounds)


def improve(
    problem: Problem,
    routes: list[list[int]],
    config: PipelineConfig,
    solve_batch: SolveBatch,
    deadline: float,
    progress: Progress | None = None,
    start_index: int = 0,
    *,
    ledger: ArcLedger | None = None,
    state: dict[str, Any] | None = None,
) -> tuple[list[list[int]], list[SubproblemRecord], list[tuple[float, float]]]:
    """Improve until `deadline` (a time.perf_counter() value).

    Each round: a search slice - PyVRP's resumable ILS (qroute.hybrid.pyvrp_search) continued
    from its own state, or from the best plan when a step improved it, and/or SISR
    ruin-and-recreate (qroute.hybrid.improve), per `config.engines` - then re-routing of
    every changed route or window through `solve_batch` (at most MAX_FRESH_PER_ROUND fresh
    solves, and only what fits in the time left), SELECTIONS_PER_ROUND route-selection QUBO
    steps over the pool the searches fed, and RECOMBINES_PER_ROUND MIP recombinations of
    wide neighbourhoods of the pool (each at most RECOMBINE_SHARE of the budget) (both when
    `config.selection`).
    Slice lengths adapt so that about QUANTUM_TIME_SHARE of the time goes to the steps (less,
    down to MIN_STEP_SHARE, while rounds pass in which no step improved the best plan);
    END_RESERVE_SHARE is kept back for a last re-routing of the best plan. `state`, when
    given, receives the pool, the selection records and the routes decided by selection
    answers. Never worse than, and as feasible as, the input. History times are seconds
    since the call. `ledger` carries arc provenance and known answers across phases
    (run_pipeline passes one; without it the input's arcs count as classical).
    """
    t0 = time.perf_counter()
    ledger = ledger if ledger is not None else ArcLedger(problem)
    start_routes = [list(map(int, r)) for r in routes if len(r) > 0]
    start_marks = ledger.state()
    engine = RuinRecreate(problem, start_routes, seed=config.seed, ledger=ledger)
    start_cost = engine.cost
    hybrid = _Hybrid(problem, engine, ledger, solve_batch, config.resolved_max_stops(), start_index)
    hybrid.seed = config.seed
    hybrid.exact_steps = config.exact_steps
    hybrid.mixed = config.policy == "mixed" and not config.exact_steps
    hybrid.qaoa_latest = deadline - MIXED_QAOA_RESERVE_SHARE * config.time_limit
    hybrid.qaoa_allowed = config.time_limit >= MIXED_QAOA_MIN_SECONDS
    hybrid.selection_backend = SELECTION_BACKEND.get(config.policy, "dwave-sa")
    if config.selection:
        hybrid.pool = RoutePool(problem)
        hybrid.pool.add_singletons()
        hybrid.pool.add_incumbent(start_routes)
        engine.pool = hybrid.pool
    if "pyvrp" in config.engines:
        hybrid.pyvrp = PyVRPSearch(problem, seed=config.seed)
    use_sisr = "sisr" in config.engines or hybrid.pyvrp is None
    history: list[tuple[float, float]] = [(0.0, engine.best_cost)]

    def report(phase: str, round_no: int) -> None:
        del phase, round_no  # the round's outcome is its best cost
        history.append((time.perf_counter() - t0, engine.best_cost))
        if progress is not None:
            progress.best_cost(engine.best_cost)

    total = max(deadline - t0, 1e-6)
    scale = engine.mean_arc()
    t_hot = engine.params.t_start * scale
    t_cold = max(engine.params.t_end * scale, 1e-12)
    round_seconds = max(MIN_ROUND_SECONDS, FIRST_ROUND_SHARE * total)
    end_reserve = END_RESERVE_SHARE * total  # kept for the last re-routing of the best plan
    round_no = 0
    quiet_rounds = 0  # rounds since a step last improved the best plan
    seconds = {"sisr": 0.0, "pyvrp": 0.0, "route_qubo": 0.0, "selection": 0.0, "recombine": 0.0}

    def fitting_solves(reserve: float) -> int:
        """How many fresh route-QUBO solves fit before the deadline less `reserve`."""
        left = deadline - time.perf_counter() - reserve
        return min(MAX_FRESH_PER_ROUND, max(int(left / hybrid.seconds_per_solve()), 0))

    while True:
        now = time.perf_counter()
        selection_reserve = 0.0
        if hybrid.pool is not None:
            selection_reserve = hybrid.mean_selection_seconds() * SELECTIONS_PER_ROUND
        # the search slice; the round's QUBO steps are bounded by the time they find left
        budget = min(round_seconds, deadline - now - end_reserve - selection_reserve)
        if budget < 0.1:
            break
        both = hybrid.pyvrp is not None and use_sisr
        sisr_budget = budget * (1.0 - PYVRP_SHARE) if both else budget
        until = now + (sisr_budget if use_sisr else 0.0)
        while use_sisr:
            fraction = min(max((time.perf_counter() - t0) / total, 0.0), 1.0)
            temperature = t_hot * (t_cold / t_hot) ** fraction
            for _ in range(_ITERATIONS_PER_CLOCK_CHECK):
                engine.iterate(temperature)
            if time.perf_counter() >= until:
                break
        seconds["sisr"] += time.perf_counter() - now
        if hybrid.pyvrp is not None:
            mark = time.perf_counter()
            hybrid.run_pyvrp(budget - sisr_budget if use_sisr else budget)
            seconds["pyvrp"] += time.perf_counter() - mark
        q_start = time.perf_counter()
        before_steps = engine.best_cost
        hybrid.reroute(offset=round_no, max_fresh=fitting_solves(end_reserve + selection_reserve))
        seconds["route_qubo"] += time.perf_counter() - q_start
        if hybrid.pool is not None and time.perf_counter() < deadline - end_reserve:
            mark = time.perf_counter()
            hybrid.run_selections(SELECTIONS_PER_ROUND, round_no)
            seconds["selection"] += time.perf_counter() - mark
            for k in range(RECOMBINES_PER_ROUND):
                mark = time.perf_counter()
                limit = min(RECOMBINE_SHARE * total, deadline - mark - end_reserve)
                hybrid.recombine(RECOMBINES_PER_ROUND * round_no + k, limit)
                seconds["recombine"] += time.perf_counter() - mark
        q_seconds = time.perf_counter() - q_start
        round_no += 1
        quiet_rounds = 0 if engine.best_cost < before_steps - 1e-9 else quiet_rounds + 1
        share = step_share(quiet_rounds)
        round_seconds = max(MIN_ROUND_SECONDS, q_seconds * (1 - share) / share)
        report("improve", round_no)

    # the end reserve less what the last re-routing is expected to take goes to a last search
    # slice (it used to be left unused: 59.0 s of a 60 s run, 294.7 s of 300 s)
    engine.restore_best()
    if hybrid.pyvrp is not None:
        final_reroute = MAX_FRESH_PER_ROUND * hybrid.seconds_per_solve() + 0.05
        mark = time.perf_counter()
        hybrid.run_pyvrp(deadline - mark - final_reroute)  # adopts only a better plan
        seconds["pyvrp"] += time.perf_counter() - mark
    # the best solution, with every route / window it changed re-routed (what still fits)
    hybrid.reroute(offset=round_no, max_fresh=fitting_solves(0.0))
    if engine.cost < engine.best_cost - 1e-9:
        engine.save_best()
    final = engine.routes()
    report("improve", round_no + 1)
    check = validate(problem, final)
    start_check = validate(problem, start_routes)
    if (not check.feasible and start_check.feasible) or check.cost > start_cost + 1e-6:
        # never hand back something worse than the input (a defensive guard)
        ledger.restore(start_marks)
        final = start_routes
    if state is not None:
        final_sets = {frozenset(r) for r in final}
        state["pool"] = hybrid.pool
        state["selections"] = list(hybrid.selections)
        state["decided"] = {k: v for k, v in hybrid.decided.items() if k in final_sets}
        state["pyvrp_iterations"] = hybrid.pyvrp.iterations if hybrid.pyvrp else 0
        state["sisr_iterations"] = engine.iterations
        state["seconds"] = seconds
    return final, hybrid.records, history


# ------------------------------------------------------------------------ pipeline


def quantum_share(
    records: Sequence[SubproblemRecord],
    routes: Sequence[Sequence[int]],
    ledger: ArcLedger,
    *,
    selections: Sequence[SelectionRecord] = (),
    decided: dict[frozenset[int], str] | None = None,
    start_cost: float | None = None,
    final_cost: float | None = None,
) -> dict[str, Any]:
    """Solves, adoptions, final routes and improvement per provenance class
    (qroute.model.provenance), and the legacy arc counts.

    `by_class[c]`: `solves` (route QUBOs + selection QUBOs answered by class c), `adopted`
    (adopted answers credited to c; a repaired answer is credited to classical_sampler),
    `final_routes` (final routes whose membership an adopted selection answer of class c
    decided, or whose every arc an adopted route answer of class c set), `improvement` (the
    share of start cost - final cost that adopted answers credited to c delivered).
    `final_routes_selected_by_qubo`: share of final routes whose membership an adopted
    selection answer decided; answers that returned the incumbent are counted apart as
    `selection_confirmations`. `arc_share` counts only qpu and quantum_simulator arcs.
    """
    decided = decided or {}
    counts = ledger.counts(routes)
    by_class = empty_by_class()
    gain: dict[str, float] = dict.fromkeys(PROVENANCE_CLASSES, 0.0)
    for r in records:
        by_class[r.provenance_class]["solves"] += 1
        if r.adopted:
            credit = credited_class(r.backend_used, r.device, repaired=r.repaired)
            by_class[credit]["adopted"] += 1
            gain[credit] += max(r.cost_before - r.cost_after, 0.0)
    for sel in selections:
        by_class[sel.provenance_class]["solves"] += 1
        if sel.adopted:
            by_class[sel.credited_class]["adopted"] += 1
            gain[sel.credited_class] += sel.incumbent_cost - sel.qubo_cost
    live = [r for r in routes if r]
    selected = 0
    for route in live:
        origin = decided.get(frozenset(int(c) for c in route))
        if origin is not None:
            selected += 1
            by_class[origin]["final_routes"] += 1
            continue
        marks = {ledger.marks.get(k) for k in ledger.route_keys(route)}
        if len(marks) == 1 and None not in marks:
            by_class[str(marks.pop())]["final_routes"] += 1
    total_gain = (
        (start_cost - final_cost) if start_cost is not None and final_cost is not None else 0.0
    )
    for c in PROVENANCE_CLASSES:
        by_class[c]["improvement"] = gain[c] / total_gain if total_gain > 1e-9 else 0.0
    quantum_arcs = sum(counts[c] for c in QUANTUM_CLASSES)
    total_arcs = sum(counts[c] for c in PROVENANCE_CLASSES) + counts["search"]
    return {
        "by_class": by_class,
        "final_routes_selected_by_qubo": selected / len(live) if live else 0.0,
        "selection_confirmations": sum(
            1 for s in selections if s.confirmed and s.step == "selection"
        ),
        "selection_solves": sum(1 for s in selections if s.step == "selection"),
        # the classical MIP recombination steps over the pool (classical_sampler)
        "recombinations": sum(1 for s in selections if s.step == "recombine"),
        "recombinations_adopted": sum(1 for s in selections if s.step == "recombine" and s.adopted),
        "solves_by_backend": dict(Counter(r.backend_used for r in records)),
        "adopted_by_backend": dict(Counter(r.backend_used for r in records if r.adopted)),
        "arc_share": quantum_arcs / total_arcs if total_arcs else 0.0,
        "arcs_by_class": {c: counts[c] for c in PROVENANCE_CLASSES} | {"search": counts["search"]},
        "arcs_from": {"quantum": quantum_arcs, "classical": total_arcs - quantum_arcs},
        # search-set arcs that a later answer independently reproduced
        "arcs_confirmed_by_quantum": counts["confirmed"],
        "reused_answers_adopted": ledger.reused,
    }


def ablation(
    records: Sequence[SubproblemRecord], selections: Sequence[SelectionRecord]
) -> dict[str, Any]:
    """Each QUBO answer next to the exact optimum of the same problem: selection answers vs
    the MIP (HiGHS), route answers vs Held-Karp. Costs are sums over the compared solves;
    `gap_percent` is of the sums, `mean_gap_percent` the mean per solve; `repaired` counts
    answers that were not a raw sample (their cost is the repair's or the incumbent's)."""

    def block(pairs: list[tuple[float, float, float, float, float, bool]]) -> dict[str, Any]:
        qubo = sum(p[0] for p in pairs)
        exact = sum(p[1] for p in pairs)
        gaps = [100.0 * (p[0] - p[1]) / p[1] for p in pairs if p[1] > 0]
        return {
            "solves": len(pairs),
            "qubo_cost": qubo,
            "exact_cost": exact,
            "gap_percent": 100.0 * (qubo - exact) / exact if exact > 0 else 0.0,
            "mean_gap_percent": float(np.mean(gaps)) if gaps else 0.0,
            "optimum_rate": (
                sum(1 for p in pairs if p[0] <= p[1] + 1e-6 * max(1.0, p[1])) / len(pairs)
                if pairs
                else 0.0
            ),
            "qubo_seconds": sum(p[2] for p in pairs),
            "exact_seconds": sum(p[3] for p in pairs),
            "usd": sum(p[4] for p in pairs),
            "repaired": sum(1 for p in pairs if p[5]),
        }

    sel = [
        (s.qubo_cost, s.exact_cost, s.qubo_seconds, s.exact_seconds, s.cost_usd, s.repaired)
        for s in selections
        if s.backend != "mip"
    ]
    routes = [
        (
            r.answer_cost,
            r.exact_cost,
            r.wall_seconds,
            0.0,
            float(r.provenance.get("cost_usd", 0.0) or 0.0),
            r.repaired,
        )
        for r in records
        if r.answer_cost is not None and r.exact_cost is not None
    ]
    return {"selection": block(sel), "routes": block(routes)}  # type: ignore[arg-type]


def run_pipeline(
    problem: Problem,
    config: PipelineConfig,
    solve_batch: SolveBatch | None = None,
    progress: Progress | None = None,
) -> PipelineResult:
    """Partition, solve every subproblem, stitch, improve until the time limit, validate.

    The one solve path: `qroute solve` (qroute.orchestration.solve.solve_flow), the
    benchmarks and the tests all call it. `solve_batch` solves a batch of subproblems
    (default: `default_solve_batch`, one by one); `progress` sees the phases (partition,
    initial, improve, validate), the best cost, and - through the default solve-batch -
    the solves (a custom `solve_batch` reports its own).
    """
    t0 = time.perf_counter()
    deadline = t0 + config.time_limit
    view = progress if progress is not None else NoProgress()
    batch = solve_batch or default_solve_batch(config, view)
    max_stops = config.resolved_max_stops()
    ledger = ArcLedger(problem)
    phases: dict[str, float] = {}

    view.set_phase("partition")
    routes = initial_routes(problem, config)
    phases["partition"] = time.perf_counter() - t0
    history: list[tuple[float, float]] = [(phases["partition"], validate(problem, routes).cost)]

    mark = time.perf_counter()
    view.set_phase("initial")
    subs = make_subproblems(problem, routes, max_stops)
    # the start's routes are solved in chunks until INITIAL_TIME_SHARE of the budget (at least
    # INITIAL_MIN_SECONDS, at most INITIAL_MAX_SECONDS) is spent;
    # the rest are re-routed by improve() (every route without an answer is "changed")
    results: list[SolveResult] = []
    initial_until = t0 + min(
        max(INITIAL_TIME_SHARE * config.time_limit, INITIAL_MIN_SECONDS), INITIAL_MAX_SECONDS
    )
    for first in range(0, len(subs), INITIAL_CHUNK):
        if first and time.perf_counter() >= initial_until:
            break
        chunk = subs[first : first + INITIAL_CHUNK]
        results.extend(batch(chunk, list(range(first, first + len(chunk)))))
    subs = subs[: len(results)]
    phases["initial_solve"] = time.perf_counter() - mark

    mark = time.perf_counter()
    routes, records = stitch(problem, routes, subs, results, "initial", 0, ledger=ledger)
    phases["stitch"] = time.perf_counter() - mark
    cost = validate(problem, routes).cost
    history.append((time.perf_counter() - t0, cost))
    view.best_cost(cost)

    mark = time.perf_counter()
    view.set_phase("improve")
    state: dict[str, Any] = {}
    routes, more, improve_history = improve(
        problem,
        routes,
        config,
        batch,
        deadline,
        view,
        start_index=len(subs),
        ledger=ledger,
        state=state,
    )
    offset = mark - t0
    history.extend((offset + t, c) for t, c in improve_history)
    phases["improve"] = time.perf_counter() - mark
    for part, spent in state.get("seconds", {}).items():
        phases[f"improve_{part}"] = spent

    mark = time.perf_counter()
    view.set_phase("validate")
    report = validate(problem, routes)
    phases["validate"] = time.perf_counter() - mark
    if report.feasible:
        view.best_cost(report.cost)
    all_records = (*records, *more)
    selections: list[SelectionRecord] = state.get("selections", [])
    final_routes = tuple(tuple(int(c) for c in r) for r in routes if r)
    return PipelineResult(
        instance=problem.name,
        routes=final_routes,
        cost=report.cost,
        feasible=report.feasible,
        violations=report.violations,
        records=all_records,
        quantum_share=quantum_share(
            all_records,
            final_routes,
            ledger,
            selections=selections,
            decided=state.get("decided"),
            start_cost=history[0][1],
            final_cost=report.cost,
        ),
        history=tuple(history),
        wall_seconds=time.perf_counter() - t0,
        phase_seconds=phases,
        selection_records=tuple(selections),
        ablation=ablation(all_records, selections),
    )
