"""The hardware comparison: one seeded set of subproblems sent to every backend, measured.

:func:`run_comparison` solves the same cases on every backend that can run here (all the local
simulators, cloud devices only when their credentials are present) and records one flat JSON
object per (backend, case): the cost, the exact optimum and the gap, the raw-sample
feasibility, the time to solution, shots, the estimated price of the solve (from
``hardware_profiles/`` when a profile covers the backend) and the cost tracked by the backend,
the answer's provenance class, chain breaks for QPU annealers and the QAOA figures.

A case (:class:`ComparisonCase`) is one problem of one QUBO kind with its exact reference; every
backend answers every kind through ``solve(problem, budget, kind=...)`` (the one backend
protocol). The record's ``kind`` names the family and the report groups by it:

* ``route-tsp``: seeded random route-TSPs (sizes x seeds), scored by Held-Karp;
* ``route-selection``: sub-selections cut from a real route pool (PyVRP's search on an
  instance, :func:`selection_cases`), the decisions that shape a plan, scored by the HiGHS MIP;
* any other kind a caller builds (the hardware-comparison flow adds the rail assignment
  windows, scored by enumeration), rendered generically.

A backend that cannot take a subproblem is recorded, not failed: ``status`` is ``"ok"``,
``"skipped: too large"``, ``"skipped: unavailable"`` or ``"error"`` (``reason`` says why).

Records are written as JSON lines, ``<out_dir>/comparison-<UTC timestamp>.jsonl``; the HTML
report (:mod:`qroute.reporting.html_report`) is rebuilt from those files alone.  The Prefect flow
``flows/hardware_comparison.py`` runs :func:`measure_solve` once per task.
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from qroute.qubo.kind import QuboKind
from qroute.reporting.payloads import ComparisonRecord

SCHEMA_VERSION = 2  # 2: kind, provenance_class, answer, optimum_method (null in 1 = route-tsp)
RUN_PREFIX = "comparison-"
DEFAULT_SIZES: tuple[int, ...] = (3, 4, 6, 8)
DEFAULT_SEEDS = 3
WARM_UP_SIZE = 2
ROUTE_TSP = "route-tsp"
ROUTE_SELECTION = "route-selection"
#: Sub-selection sizes (most pool columns per cut): <= 16 for QAOA, 30-150 for annealers.
DEFAULT_SELECTION_SIZES: tuple[int, ...] = (12, 16, 40, 100)

STATUS_OK = "ok"
STATUS_TOO_LARGE = "skipped: too large"
STATUS_UNAVAILABLE = "skipped: unavailable"
STATUS_ERROR = "error"

#: Every key of a record, in the order written (the JSONL schema, described field by field
#: in qroute.reporting.payloads.ComparisonRecord; values may be null).
RECORD_FIELDS: tuple[str, ...] = tuple(
    field.alias or name for name, field in ComparisonRecord.model_fields.items()
)


def typed_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` checked against ComparisonRecord (raises pydantic.ValidationError), every
    field present, in RECORD_FIELDS order."""
    model = ComparisonRecord.model_validate(dict(record))
    return model.model_dump(mode="json", by_alias=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def seed_list(seeds: int | Iterable[int]) -> list[int]:
    """`seeds` as a list: an int n means seeds 0..n-1."""
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {seeds}")
        return list(range(seeds))
    out = [int(s) for s in seeds]
    if not out:
        raise ValueError("no seeds given")
    return out


def size_list(sizes: int | Iterable[int]) -> list[int]:
    out = [int(sizes)] if isinstance(sizes, int) else [int(s) for s in sizes]
    if not out or any(k < 1 for k in out):
        raise ValueError(f"sizes must be positive integers, got {out}")
    return out


def resolve_backends(backends: Sequence[str] | None = None) -> list[str]:
    """The backends to measure: `backends` checked against the registry, else every one known.

    Unavailable backends stay in the list; :func:`measure_solve` records them as
    ``skipped: unavailable`` with the reason, so the report says which devices were not reached.
    """
    from qroute.backends import backend_names

    known = backend_names()
    if backends is None:
        return known
    unknown = [name for name in backends if name not in known]
    if unknown:
        raise ValueError(f"unknown backend(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return list(dict.fromkeys(backends))


@dataclass(frozen=True)
class ComparisonCase:
    """One problem every backend is asked to solve, with the exact reference that scores it.

    kind: the record's family (``route-tsp``, ``route-selection``, ...); qubo_kind: how a
    backend solves it; optimum: the exact optimum in the problem's own units (None when
    unknown) and optimum_method how it was found; source: what the case was cut from.
    """

    kind: str
    qubo_kind: QuboKind
    problem: Any
    seed: int
    optimum: float | None
    optimum_method: str | None
    source: str | None = None

    @property
    def size(self) -> int:
        return int(self.qubo_kind.size(self.problem))

    @property
    def label(self) -> str:
        return str(self.qubo_kind.label(self.problem))

    @property
    def task_name(self) -> str:
        """Short and unique within a run: ``k4-seed0`` for a route-TSP, else kind-label."""
        if self.kind == ROUTE_TSP:
            return f"k{self.size}-seed{self.seed}"
        return f"{self.kind}-{self.label}"


def route_tsp_case(size: int, seed: int) -> ComparisonCase:
    """``random_route_tsp(size, seed)`` with its Held-Karp optimum (when small enough)."""
    from qroute.model.subproblem import random_route_tsp
    from qroute.qubo.held_karp import MAX_EXACT_SIZE, held_karp
    from qroute.qubo.tsp import TSP_KIND

    sub = random_route_tsp(size, seed)
    optimum = float(held_karp(sub)[1]) if size <= MAX_EXACT_SIZE else None
    return ComparisonCase(ROUTE_TSP, TSP_KIND, sub, seed, optimum, "held-karp")


def route_tsp_cases(sizes: int | Iterable[int], seeds: int | Iterable[int]) -> list[ComparisonCase]:
    return [route_tsp_case(k, s) for k in size_list(sizes) for s in seed_list(seeds)]


def selection_cases(
    instance: str,
    *,
    pool_seconds: float = 5.0,
    sizes: Iterable[int] = DEFAULT_SELECTION_SIZES,
    cuts: int = 2,
    seed: int = 0,
    mip_seconds: float = 30.0,
) -> list[ComparisonCase]:
    """Route-selection sub-problems cut from a real pool: PyVRP's search warm-started from the
    savings start for `pool_seconds` feeds the pool (plus the start's and single-customer
    routes); `cuts` neighbourhood sub-selections of at most each of `sizes` columns are cut
    around evenly spaced routes of the search's plan; each is scored by the HiGHS MIP."""
    from qroute.hybrid.partition import initial_routes
    from qroute.hybrid.pyvrp_search import PyVRPSearch
    from qroute.hybrid.route_pool import RoutePool
    from qroute.hybrid.selection_step import cut_selection
    from qroute.model.loader import load_problem
    from qroute.qubo.selection import SELECTION_KIND
    from qroute.qubo.selection_exact import solve_selection

    problem = load_problem(instance)
    pool = RoutePool(problem)
    pool.add_singletons()
    start = initial_routes(problem)
    pool.add_incumbent(start)
    routes = [r for r in PyVRPSearch(problem, seed).run(start, pool_seconds, pool) if r]
    source = f"{problem.name}: pool of {len(pool)} routes after {pool_seconds:g} s of PyVRP"
    cases: list[ComparisonCase] = []
    seen: set[str] = set()
    for size in sizes:
        for cut in range(cuts):
            seed_route = (cut * max(len(routes) // max(cuts, 1), 1)) % len(routes)
            name = f"{problem.name}-sel{size}-cut{cut}"
            selection, _ = cut_selection(problem, pool, routes, seed_route, size, name)
            key = SELECTION_KIND.key(selection)
            if key in seen:  # a small instance may give the same cut twice
                continue
            seen.add(key)
            exact = solve_selection(selection, mip_seconds)
            method = "HiGHS MIP" + ("" if exact.optimal else f" (gap {exact.gap})")
            cases.append(
                ComparisonCase(
                    ROUTE_SELECTION,
                    SELECTION_KIND,
                    selection,
                    seed + cut,
                    exact.cost,
                    method,
                    source,
                )  # fmt: skip
            )
    return cases


def plan(
    cases: Sequence[ComparisonCase], backends: Sequence[str] | None
) -> list[tuple[str, ComparisonCase]]:
    """Every (backend, case) to measure, cases outermost so small results come first."""
    names = resolve_backends(backends)
    return [(b, case) for case in cases for b in names]


def new_run_id(out_dir: str | Path | None = None) -> str:
    """comparison-<UTC timestamp>, unique within `out_dir`."""
    stamp = _now().strftime("%Y%m%dT%H%M%SZ")
    run_id = f"{RUN_PREFIX}{stamp}"
    if out_dir is not None:
        n = 1
        while (Path(out_dir) / f"{run_id}.jsonl").exists():
            run_id = f"{RUN_PREFIX}{stamp}-{n}"
            n += 1
    return run_id


# --------------------------------------------------------------------------------------------
# Prices


@lru_cache(maxsize=4)
def _profiles(folder: str | None) -> dict[str, Any]:
    try:
        from qroute.backends.hardware import load_profiles
    except ImportError:
        return {}
    try:
        return dict(load_profiles(folder))
    except ValueError:  # ProfileError: an unreadable profile folder prices nothing
        return {}


def profile_for(backend: str, device: str | None, profiles: Mapping[str, Any]) -> Any | None:
    """The hardware profile that prices `backend` running on `device`, or None.

    The profile with the backend's name; else the profile of that backend whose solver name or
    device ARN is `device`; else the only profile of that backend.
    """
    if backend in profiles:
        return profiles[backend]
    candidates = [p for p in profiles.values() if getattr(p, "backend", None) == backend]
    for profile in candidates:
        names = (getattr(profile, "solver_name", None), getattr(profile, "device_arn", None))
        if device and device in names:
            return profile
    return candidates[0] if len(candidates) == 1 else None


def estimate_cost(
    backend: str,
    device: str | None,
    shots: int | None,
    wall_seconds: float,
    details: Mapping[str, Any],
    *,
    local: bool,
    profiles: Mapping[str, Any] | None = None,
) -> tuple[float | None, str | None]:
    """(estimated USD, profile id) for one solve: one task of `shots` shots.

    Per-minute prices are charged on the backend's wall time, per-QPU-second prices on the
    reported QPU access time.  Without a profile a local backend costs 0 and a remote one is
    unpriced (None).
    """
    if profiles is None:
        profiles = _profiles(None)
    profile = profile_for(backend, device, profiles)
    if profile is None:
        return (0.0 if local else None), None
    qpu_us = details.get("qpu_access_time_us")
    qpu_seconds = float(qpu_us) / 1e6 if isinstance(qpu_us, int | float) else 0.0
    cost = profile.price.cost_usd(
        tasks=1, shots=int(shots or 0), minutes=wall_seconds / 60.0, qpu_seconds=qpu_seconds
    )
    return float(cost), str(profile.id)


# --------------------------------------------------------------------------------------------
# One solve


def _scalar_details(details: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, bool | int | str) or value is None:
            out[str(key)] = value
        elif isinstance(value, float):
            out[str(key)] = value if math.isfinite(value) else None
        elif hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
            out[str(key)] = value.item()
    return out


def _optional_float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def measure_solve(
    backend: str,
    size: int,
    seed: int,
    *,
    run_id: str = "",
    shots: int | None = None,
    time_limit: float = 10.0,
) -> dict[str, Any]:
    """Solve ``random_route_tsp(size, seed)`` on `backend` and return its record."""
    case = route_tsp_case(size, seed)
    return measure_case(backend, case, run_id=run_id, shots=shots, time_limit=time_limit)


def measure_case(
    backend: str,
    case: ComparisonCase,
    *,
    run_id: str = "",
    shots: int | None = None,
    time_limit: float = 10.0,
) -> dict[str, Any]:
    """Solve `case` on `backend` (through its QUBO kind) and return its record.

    Never raises for a backend problem: too large, unavailable and failures become records.
    """
    from qroute.backends import LOCAL_BACKENDS, SubproblemTooLarge, get_backend
    from qroute.backends.base import capacity, check_capacity
    from qroute.model.provenance import provenance_class
    from qroute.model.redaction import redact, safe_error
    from qroute.model.solver import Budget

    kind, problem = case.qubo_kind, case.problem
    solver = get_backend(backend)
    record: dict[str, Any] = dict.fromkeys(RECORD_FIELDS)
    record.update(
        schema=SCHEMA_VERSION,
        run_id=run_id,
        host=platform.node(),
        kind=case.kind,
        backend=backend,
        device=str(getattr(solver, "device", "")) or None,
        paradigm=solver.paradigm,
        max_size=capacity(solver, kind),
        size=case.size,
        seed=case.seed,
        subproblem=case.label,
        subproblem_key=kind.key(problem),
        optimum=case.optimum,
        optimum_method=case.optimum_method,
        details={"encoding": kind.name, **({"source": case.source} if case.source else {})},
    )

    def finish(status: str, reason: str | None = None) -> dict[str, Any]:
        record["status"] = status
        record["reason"] = reason
        record["timestamp"] = _iso(_now())
        return record

    record["variables"] = int(kind.num_variables(problem))
    most = capacity(solver, kind)
    if case.size > most:
        return finish(
            STATUS_TOO_LARGE, f"{backend} takes at most {most} {kind.unit}, this has {case.size}"
        )
    try:
        check_capacity(solver, kind, problem)  # e.g. slack bits beyond the columns
    except SubproblemTooLarge as exc:
        return finish(STATUS_TOO_LARGE, str(exc))
    status = solver.availability()
    if not status.available:
        return finish(STATUS_UNAVAILABLE, redact(status.reason))

    start = time.perf_counter()
    try:
        result = solver.solve(problem, Budget(time_limit=time_limit, seed=case.seed, shots=shots),
                              kind=kind)  # fmt: skip
    except SubproblemTooLarge as exc:
        return finish(STATUS_TOO_LARGE, str(exc))
    except Exception as exc:  # a comparison records a failing backend, it does not stop
        record["time_to_solution_s"] = time.perf_counter() - start
        return finish(STATUS_ERROR, safe_error(exc)[:500])  # an SDK error may quote a token
    elapsed = time.perf_counter() - start

    prov = result.provenance
    answer = [int(i) for i in result.routes[0]] if result.routes else []
    cost = float(result.cost)
    optimum = case.optimum
    optimal = None if optimum is None else abs(cost - optimum) <= 1e-6 * max(1.0, abs(optimum))
    details = dict(prov.details)
    estimated, profile_id = estimate_cost(
        backend,
        prov.device,
        prov.shots,
        prov.wall_seconds,
        details,
        local=backend in LOCAL_BACKENDS,
    )
    record.update(
        backend_used=prov.backend_used,
        device=prov.device,
        paradigm=prov.paradigm,
        provenance_class=provenance_class(prov.backend_used, prov.device or ""),
        tour=[0, *answer, problem.end] if case.kind == ROUTE_TSP else None,
        answer=answer,
        cost=cost,
        gap_percent=None if not optimum else 100.0 * (cost - optimum) / optimum,
        optimal=optimal,
        raw_feasible_rate=_optional_float(result.raw_feasible_rate),
        repaired=bool(result.repaired),
        # decode() keeps the cheapest valid raw sample, so an unrepaired optimal answer means
        # the optimum itself was sampled; the exact solver samples nothing.
        optimum_sampled=(
            bool(optimal and not result.repaired)
            if prov.shots is not None and optimal is not None
            else None
        ),
        time_to_solution_s=elapsed,
        backend_wall_s=prov.wall_seconds,
        shots=prov.shots,
        estimated_cost_usd=estimated,
        price_profile=profile_id,
        tracked_cost_usd=float(prov.cost_usd),
        chain_break_fraction=_optional_float(details.get("chain_break_fraction")),
        ground_state_probability=_optional_float(details.get("ground_state_probability")),
        fallback_reason=prov.fallback_reason,
        details={**record["details"], **_scalar_details(details)},
    )
    return finish(STATUS_OK)


def warm_up(backend: str, shots: int | None = None) -> float | None:
    """One untimed solve of a 2-stop subproblem, so that a backend's first measured solve does
    not pay for importing its SDK (Braket, PennyLane and Qiskit take seconds to import).

    Returns the seconds it took, or None when the backend is unavailable or fails (the
    measured solves then record why).
    """
    from qroute.backends import capacity, get_backend
    from qroute.model.solver import Budget
    from qroute.model.subproblem import random_route_tsp

    solver = get_backend(backend)
    if capacity(solver) < WARM_UP_SIZE or not solver.availability().available:
        return None
    start = time.perf_counter()
    try:
        solver.solve(random_route_tsp(WARM_UP_SIZE, 0), Budget(seed=0, shots=shots))
    except Exception:
        return None
    return time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# Storage


def append_record(path: str | Path, record: Mapping[str, Any]) -> None:
    """Append one record as a JSON line (the file and its folder are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(typed_record(record), allow_nan=False) + "\n")


def write_records(records: Iterable[Mapping[str, Any]], out_dir: str | Path, run_id: str) -> Path:
    """Write all `records` to ``<out_dir>/<run_id>.jsonl`` (replacing it) and return the path."""
    path = Path(out_dir) / f"{run_id}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(typed_record(r), allow_nan=False) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run_files(runs_dir: str | Path) -> list[Path]:
    """Every comparison JSONL under `runs_dir` (recursively), oldest name first."""
    folder = Path(runs_dir)
    if not folder.is_dir():
        return []
    return sorted(folder.rglob(f"{RUN_PREFIX}*.jsonl"), key=lambda p: (p.name, str(p)))


def load_records(runs_dir: str | Path) -> list[dict[str, Any]]:
    """All records stored under `runs_dir`; a line that is not a JSON object is skipped."""
    records: list[dict[str, Any]] = []
    for path in run_files(runs_dir):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue  # a run killed mid-write leaves a partial last line
            if isinstance(value, dict) and "backend" in value and "size" in value:
                records.append(value)
    return records


def latest_per_solve(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One record per (kind, backend, case, seed, shots): the newest one, in first-seen order
    (a route-TSP case is its size; any other case its content key)."""
    chosen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        kind = record_kind(record)
        case = record.get("size") if kind == ROUTE_TSP else record.get("subproblem_key")
        key = (kind, record.get("backend"), case, record.get("seed"), record.get("shots"))
        old = chosen.get(key)
        if old is None or str(record.get("timestamp") or "") >= str(old.get("timestamp") or ""):
            chosen[key] = dict(record)
    return list(chosen.values())


# --------------------------------------------------------------------------------------------
# The measurement


Measure = Callable[[str, ComparisonCase, str], dict[str, Any]]
"""(backend, case, run id) -> record: how one solve is measured (the flow makes it a task)."""


def run_comparison(
    sizes: int | Iterable[int] = DEFAULT_SIZES,
    seeds: int | Iterable[int] = range(DEFAULT_SEEDS),
    backends: Sequence[str] | None = None,
    out_dir: str | Path = "runs",
    *,
    shots: int | None = None,
    time_limit: float = 10.0,
    warm: bool = True,
    progress: Callable[[dict[str, Any]], object] | None = None,
    extra_cases: Sequence[ComparisonCase] = (),
    run_id: str | None = None,
    measure: Measure | None = None,
    warm_up_backend: Callable[[str], object] | None = None,
) -> list[dict[str, Any]]:
    """Measure every backend on the same cases; write and return the records.

    The cases are the seeded route-TSPs of `sizes` x `seeds`, then `extra_cases` (e.g.
    :func:`selection_cases`). `backends` None means every registered backend (unavailable ones
    are recorded as skipped). Records are appended to ``<out_dir>/<run_id>.jsonl`` (default a
    new :func:`new_run_id`) as each solve finishes, so an interrupted run keeps what it
    measured. With `warm`, each backend first makes one untimed solve (`warm_up_backend`,
    default :func:`warm_up`) so import time is not counted as time to solution. `measure`
    replaces :func:`measure_case` (the Prefect flow runs each solve as a task through it);
    `progress`, if given, is called with each record.
    """
    jobs = plan([*route_tsp_cases(sizes, seeds), *extra_cases], backends)
    run_id = run_id or new_run_id(out_dir)
    path = Path(out_dir) / f"{run_id}.jsonl"

    def default_measure(backend: str, case: ComparisonCase, run: str) -> dict[str, Any]:
        return measure_case(backend, case, run_id=run, shots=shots, time_limit=time_limit)

    measure = measure or default_measure
    if warm:
        for backend in dict.fromkeys(job[0] for job in jobs):
            if warm_up_backend is not None:
                warm_up_backend(backend)
            else:
                warm_up(backend, shots)
    records: list[dict[str, Any]] = []
    for backend, case in jobs:
        record = measure(backend, case, run_id)
        append_record(path, record)
        records.append(record)
        if progress is not None:
            progress(record)
    return records


def record_kind(record: Mapping[str, Any]) -> str:
    """The record's case family; records from before kinds were recorded are route-TSPs."""
    return str(record.get("kind") or ROUTE_TSP)


def records_by_kind(records: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """The records grouped by kind, route-TSPs first, then in first-seen order."""
    groups: dict[str, list[Mapping[str, Any]]] = {ROUTE_TSP: []}
    for record in records:
        groups.setdefault(record_kind(record), []).append(record)
    return {kind: items for kind, items in groups.items() if items}


def summary_rows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per (kind, backend): solves, skips, errors, mean gap, optimum hits, feasibility, time,
    costs, provenance classes."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault((record_kind(record), str(record.get("backend"))), []).append(record)

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    def floats(items: Iterable[Mapping[str, Any]], key: str) -> list[float]:
        return [float(v) for r in items if (v := _optional_float(r.get(key))) is not None]

    rows = []
    for (kind, backend), items in groups.items():
        ok = [r for r in items if r.get("status") == STATUS_OK]
        priced = [r for r in ok if r.get("estimated_cost_usd") is not None]
        times = sorted(floats(ok, "time_to_solution_s"))
        rows.append(
            {
                "kind": kind,
                "backend": backend,
                "provenance_classes": sorted(
                    {str(r["provenance_class"]) for r in ok if r.get("provenance_class")}
                ),
                "optimum_methods": sorted(
                    {str(r["optimum_method"]) for r in items if r.get("optimum_method")}
                ),
                "paradigm": items[0].get("paradigm"),
                "device": next((r.get("device") for r in ok if r.get("device")), None)
                or items[0].get("device"),
                "solved": len(ok),
                "skipped": sum(str(r.get("status", "")).startswith("skipped") for r in items),
                "errors": sum(r.get("status") == STATUS_ERROR for r in items),
                "sizes": sorted({int(r["size"]) for r in ok}),
                "mean_gap_percent": mean(floats(ok, "gap_percent")),
                "optimal_share": mean([1.0 if r.get("optimal") else 0.0 for r in ok]),
                "mean_raw_feasible_rate": mean(floats(ok, "raw_feasible_rate")),
                "median_time_s": times[len(times) // 2] if times else None,
                "mean_estimated_cost_usd": mean(floats(priced, "estimated_cost_usd")),
                "unpriced": len(ok) - len(priced),
                "price_profiles": sorted(
                    {str(r["price_profile"]) for r in ok if r.get("price_profile")}
                ),
                "mean_tracked_cost_usd": mean(floats(ok, "tracked_cost_usd")),
                "mean_chain_break_fraction": mean(floats(ok, "chain_break_fraction")),
                "mean_ground_state_probability": mean(floats(ok, "ground_state_probability")),
                "optimum_sampled_share": mean(
                    [
                        1.0 if r.get("optimum_sampled") else 0.0
                        for r in ok
                        if r.get("optimum_sampled") is not None
                    ]
                ),
            }
        )
    return rows


def _fmt(value: Any, digits: int = 2, suffix: str = "") -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "–" if value is None else str(value)
    return f"{value:,.{digits}f}{suffix}"


def table_rows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per solve (for a Prefect table artifact or a CSV)."""
    keys = (
        "kind",
        "backend",
        "device",
        "paradigm",
        "provenance_class",
        "subproblem",
        "size",
        "seed",
        "status",
        "cost",
        "optimum",
        "optimum_method",
        "gap_percent",
        "raw_feasible_rate",
        "repaired",
        "time_to_solution_s",
        "shots",
        "estimated_cost_usd",
        "tracked_cost_usd",
        "chain_break_fraction",
        "ground_state_probability",
        "optimum_sampled",
        "reason",
    )
    return [{key: record.get(key) for key in keys} for record in records]


#: How the report and the Markdown summary introduce each kind (others: the kind's name).
KIND_TITLES: dict[str, str] = {
    ROUTE_TSP: "Route-TSP: the same seeded random route-TSPs on every backend",
    ROUTE_SELECTION: "Route selection: sub-selections cut from a real route pool",
}


def kind_title(kind: str) -> str:
    return KIND_TITLES.get(kind, f"{kind} cases")


def summary_markdown(records: Sequence[Mapping[str, Any]], path: str | Path | None = None) -> str:
    """The comparison as Markdown: per kind one row per backend, then what was skipped."""
    run_ids = sorted({str(r.get("run_id")) for r in records if r.get("run_id")})
    lines = [f"# Hardware comparison {', '.join(run_ids)}"]
    for kind, items in records_by_kind(records).items():
        sizes = sorted({int(r["size"]) for r in items})
        seeds = sorted({int(r["seed"]) for r in items})
        methods = sorted({str(r["optimum_method"]) for r in items if r.get("optimum_method")})
        lines += [
            "",
            f"## {kind_title(kind)}",
            "",
            f"{len(items)} planned solves: sizes {sizes}, seeds {seeds}. Gap against the exact "
            f"optimum ({', '.join(methods) or 'held-karp'}).",
            "",
            "| backend | class | solved | skipped | errors | mean gap | optimal | raw feasible "
            "| median time | est. USD/solve | tracked USD/solve | P(ground) | chain breaks |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
            "| ---: |",
        ]
        for row in summary_rows(items):
            share = row["optimal_share"]
            feasible = row["mean_raw_feasible_rate"]
            classes = ", ".join(row["provenance_classes"]) or str(row["paradigm"])
            lines.append(
                f"| {row['backend']} | {classes} | {row['solved']} | {row['skipped']} "
                f"| {row['errors']} | {_fmt(row['mean_gap_percent'], 2, ' %')} "
                f"| {_fmt(None if share is None else 100 * share, 0, ' %')} "
                f"| {_fmt(None if feasible is None else 100 * feasible, 1, ' %')} "
                f"| {_fmt(row['median_time_s'], 3, ' s')} "
                f"| {_fmt(row['mean_estimated_cost_usd'], 4)} "
                f"| {_fmt(row['mean_tracked_cost_usd'], 4)} "
                f"| {_fmt(row['mean_ground_state_probability'], 4)} "
                f"| {_fmt(row['mean_chain_break_fraction'], 3)} |"
            )
    skipped: dict[tuple[str, str, str, str], list[int]] = {}
    for r in records:
        if r.get("status") != STATUS_OK:
            key = (
                record_kind(r),
                str(r["backend"]),
                str(r.get("status")),
                str(r.get("reason") or ""),
            )
            skipped.setdefault(key, []).append(int(r["size"]))
    if skipped:
        lines += ["", "## Skipped or failed", ""]
        for (kind, backend, status, reason), ks in sorted(skipped.items()):
            lines.append(f"- {kind}, {backend}, sizes {sorted(set(ks))}: {status} ({reason})")
    if path is not None:
        lines += ["", f"Records: `{path}` (rebuild the report with `qroute report --runs DIR`)."]
    return "\n".join(lines) + "\n"
