"""The hardware comparison: one seeded set of subproblems sent to every backend, measured.

:func:`run_comparison` solves the same seeded random route-TSPs (several sizes, several seeds)
on every backend that can run here (all the local simulators, cloud devices only when their
credentials are present) and records one flat JSON object per (backend, size, seed): the cost,
the exact optimum and the gap, the raw-sample feasibility, the time to solution, shots, the
estimated price of the solve (from ``hardware_profiles/`` when a profile covers the backend) and
the cost tracked by the backend, chain breaks for QPU annealers and the QAOA figures.

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
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from qroute.reporting.payloads import ComparisonRecord

SCHEMA_VERSION = 1
RUN_PREFIX = "comparison-"
DEFAULT_SIZES: tuple[int, ...] = (3, 4, 6, 8)
DEFAULT_SEEDS = 3
WARM_UP_SIZE = 2

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


def plan(
    sizes: int | Iterable[int], seeds: int | Iterable[int], backends: Sequence[str] | None
) -> list[tuple[str, int, int]]:
    """Every (backend, size, seed) to measure, sizes outermost so small results come first."""
    names = resolve_backends(backends)
    return [(b, k, s) for k in size_list(sizes) for s in seed_list(seeds) for b in names]


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
    """Solve ``random_route_tsp(size, seed)`` on `backend` and return its record.

    Never raises for a backend problem: too large, unavailable and failures become records.
    """
    from qroute.backends import LOCAL_BACKENDS, SubproblemTooLarge, capacity, get_backend
    from qroute.model.redaction import redact, safe_error
    from qroute.model.solver import Budget
    from qroute.model.subproblem import random_route_tsp
    from qroute.qubo.held_karp import MAX_EXACT_SIZE, held_karp

    sub = random_route_tsp(size, seed)
    solver = get_backend(backend)
    record: dict[str, Any] = dict.fromkeys(RECORD_FIELDS)
    record.update(
        schema=SCHEMA_VERSION,
        run_id=run_id,
        host=platform.node(),
        backend=backend,
        device=str(getattr(solver, "device", "")) or None,
        paradigm=solver.paradigm,
        max_size=capacity(solver),
        size=size,
        variables=size * size,
        seed=seed,
        subproblem=sub.name,
        subproblem_key=sub.key(),
        details={},
    )
    optimum = held_karp(sub)[1] if size <= MAX_EXACT_SIZE else None
    record["optimum"] = optimum

    def finish(status: str, reason: str | None = None) -> dict[str, Any]:
        record["status"] = status
        record["reason"] = reason
        record["timestamp"] = _iso(_now())
        return record

    if size > capacity(solver):
        return finish(
            STATUS_TOO_LARGE, f"{backend} takes at most {capacity(solver)} stops, this has {size}"
        )
    status = solver.availability()
    if not status.available:
        return finish(STATUS_UNAVAILABLE, redact(status.reason))

    start = time.perf_counter()
    try:
        result = solver.solve(sub, Budget(time_limit=time_limit, seed=seed, shots=shots))
    except SubproblemTooLarge as exc:
        return finish(STATUS_TOO_LARGE, str(exc))
    except Exception as exc:  # a comparison records a failing backend, it does not stop
        record["time_to_solution_s"] = time.perf_counter() - start
        return finish(STATUS_ERROR, safe_error(exc)[:500])  # an SDK error may quote a token
    elapsed = time.perf_counter() - start

    prov = result.provenance
    order = [int(i) for i in result.routes[0]] if result.routes else []
    cost = float(result.cost)
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
        tour=[0, *order, sub.end],
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
        details=_scalar_details(details),
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
    """One record per (backend, size, seed, shots): the newest one, in first-seen order."""
    chosen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        key = (record.get("backend"), record.get("size"), record.get("seed"), record.get("shots"))
        old = chosen.get(key)
        if old is None or str(record.get("timestamp") or "") >= str(old.get("timestamp") or ""):
            chosen[key] = dict(record)
    return list(chosen.values())


# --------------------------------------------------------------------------------------------
# The measurement


def run_comparison(
    sizes: int | Iterable[int] = DEFAULT_SIZES,
    seeds: int | Iterable[int] = range(DEFAULT_SEEDS),
    backends: Sequence[str] | None = None,
    out_dir: str | Path = "runs",
    *,
    shots: int | None = None,
    time_limit: float = 10.0,
    warm: bool = True,
    progress: Any = None,
) -> list[dict[str, Any]]:
    """Measure every backend on the same seeded subproblems; write and return the records.

    `backends` None means every registered backend (unavailable ones are recorded as skipped).
    Records are appended to ``<out_dir>/comparison-<timestamp>.jsonl`` as each solve finishes,
    so an interrupted run keeps what it measured.  With `warm`, each backend first makes one
    untimed solve (:func:`warm_up`) so import time is not counted as time to solution.
    `progress`, if given, is called with each record.
    """
    jobs = plan(sizes, seeds, backends)
    run_id = new_run_id(out_dir)
    path = Path(out_dir) / f"{run_id}.jsonl"
    if warm:
        for backend in dict.fromkeys(job[0] for job in jobs):
            warm_up(backend, shots)
    records: list[dict[str, Any]] = []
    for backend, size, seed in jobs:
        record = measure_solve(
            backend, size, seed, run_id=run_id, shots=shots, time_limit=time_limit
        )
        append_record(path, record)
        records.append(record)
        if progress is not None:
            progress(record)
    return records


def summary_rows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per backend: solves, skips, errors, mean gap, optimum hits, feasibility, time, costs."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(str(record.get("backend")), []).append(record)

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    def floats(items: Iterable[Mapping[str, Any]], key: str) -> list[float]:
        return [float(v) for r in items if (v := _optional_float(r.get(key))) is not None]

    rows = []
    for backend, items in groups.items():
        ok = [r for r in items if r.get("status") == STATUS_OK]
        priced = [r for r in ok if r.get("estimated_cost_usd") is not None]
        times = sorted(floats(ok, "time_to_solution_s"))
        rows.append(
            {
                "backend": backend,
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
        "backend",
        "device",
        "paradigm",
        "size",
        "seed",
        "status",
        "cost",
        "optimum",
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


def summary_markdown(records: Sequence[Mapping[str, Any]], path: str | Path | None = None) -> str:
    """The comparison as Markdown: one row per backend, then what was skipped or failed."""
    run_ids = sorted({str(r.get("run_id")) for r in records if r.get("run_id")})
    sizes = sorted({int(r["size"]) for r in records})
    seeds = sorted({int(r["seed"]) for r in records})
    lines = [
        f"# Hardware comparison {', '.join(run_ids)}",
        "",
        f"{len(records)} planned solves: sizes {sizes}, seeds {seeds}; the same seeded random "
        "route-TSPs on every backend. Gap against the Held-Karp optimum.",
        "",
        "| backend | paradigm | solved | skipped | errors | mean gap | optimal | raw feasible "
        "| median time | est. USD/solve | tracked USD/solve | P(ground) | chain breaks |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for row in summary_rows(records):
        share = row["optimal_share"]
        feasible = row["mean_raw_feasible_rate"]
        lines.append(
            f"| {row['backend']} | {row['paradigm']} | {row['solved']} | {row['skipped']} "
            f"| {row['errors']} | {_fmt(row['mean_gap_percent'], 2, ' %')} "
            f"| {_fmt(None if share is None else 100 * share, 0, ' %')} "
            f"| {_fmt(None if feasible is None else 100 * feasible, 1, ' %')} "
            f"| {_fmt(row['median_time_s'], 3, ' s')} "
            f"| {_fmt(row['mean_estimated_cost_usd'], 4)} "
            f"| {_fmt(row['mean_tracked_cost_usd'], 4)} "
            f"| {_fmt(row['mean_ground_state_probability'], 4)} "
            f"| {_fmt(row['mean_chain_break_fraction'], 3)} |"
        )
    skipped: dict[tuple[str, str, str], list[int]] = {}
    for r in records:
        if r.get("status") != STATUS_OK:
            key = (str(r["backend"]), str(r.get("status")), str(r.get("reason") or ""))
            skipped.setdefault(key, []).append(int(r["size"]))
    if skipped:
        lines += ["", "## Skipped or failed", ""]
        for (backend, status, reason), ks in sorted(skipped.items()):
            lines.append(f"- {backend}, sizes {sorted(set(ks))}: {status} ({reason})")
    if path is not None:
        lines += ["", f"Records: `{path}` (rebuild the report with `qroute report --runs DIR`)."]
    return "\n".join(lines) + "\n"
