"""The `hardware_comparison` flow: the same cases on every backend, as Prefect runs.

Orchestration only; the measurement and its loop are :func:`qroute.reporting.comparison.
run_comparison` (the same code `qroute compare` runs without Prefect): the flow passes it two
hooks, so that each warm-up and each solve is a Prefect task run named after it (the Prefect UI
shows which device took how long or failed). Records go to the same JSONL the CLI writes
(``<out_dir>/comparison-<timestamp>.jsonl``); the flow publishes a Markdown summary and a table
of every solve as artifacts and rebuilds ``<out_dir>/report.html``.

The cases, each scored against its exact optimum and grouped by kind in the report:

* ``route-tsp``: seeded random route-TSPs of `sizes` x `seeds` (Held-Karp);
* ``route-selection``: for each of `selection_instances`, PyVRP's search runs
  `selection_pool_seconds` to build a route pool, and neighbourhood sub-selections of at most
  `selection_sizes` columns are cut from it (<= 16 for QAOA, 30-150 for annealers; HiGHS MIP);
* ``rail-assignment``: `rail_windows` assignment windows of the `hsr-yangtze` corridor
  (12-16 variables, by enumeration); built here, because the rail layer sits above reporting.

Solves run one after another on purpose: time to solution is one of the measured figures, and
concurrent solves on shared CPU cores would distort it.

    python -m qroute.orchestration.hardware_comparison   # defaults: sizes 3,4,6,8, seeds 0..2
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from qroute.reporting.comparison import (
    DEFAULT_SEEDS,
    DEFAULT_SELECTION_SIZES,
    DEFAULT_SIZES,
    ComparisonCase,
    measure_case,
    new_run_id,
    run_comparison,
    selection_cases,
    summary_markdown,
    table_rows,
    warm_up,
)

SUMMARY_KEY = "hardware-comparison-summary"
TABLE_KEY = "hardware-comparison-solves"
DEFAULT_SELECTION_INSTANCES = ("X-n101-k25",)
DEFAULT_RAIL_WINDOWS = 4
RAIL_ASSIGNMENT = "rail-assignment"  # the records' kind for rail windows


@task(
    name="warm-up",
    task_run_name="warm-up-{backend}",
    cache_policy=NO_CACHE,
    persist_result=False,
)
def warm_up_backend(backend: str, shots: int | None) -> float | None:
    return warm_up(backend, shots)


@task(
    name="measure-solve",
    task_run_name="{backend}-{name}",
    cache_policy=NO_CACHE,  # a measurement is never reused
    persist_result=False,
)
def measure(
    backend: str,
    case: ComparisonCase,
    name: str,
    run_id: str,
    shots: int | None,
    time_limit: float,
) -> dict[str, Any]:
    return measure_case(backend, case, run_id=run_id, shots=shots, time_limit=time_limit)


def rail_cases(count: int, seed: int = 0, **windows: Any) -> list[ComparisonCase]:
    """`count` assignment windows of the default rail scenario (``small_windows``: at most 16
    variables, QAOA-sized, each with its optimum by enumeration) as comparison cases of kind
    ``rail-assignment`` on ``ASSIGNMENT_KIND``; none when count is 0. `windows` go to
    ``small_windows`` (e.g. ``max_qubits``, ``min_qubits``, ``net``)."""
    if count <= 0:
        return []
    from qroute.rail.comparison import small_windows
    from qroute.rail.kind import ASSIGNMENT_KIND

    return [
        ComparisonCase(
            RAIL_ASSIGNMENT,
            ASSIGNMENT_KIND,
            window,
            seed + i,
            window.optimum,
            "enumeration",
            f"hsr-yangtze: window {i} on the allowances the greedy plan leaves",
        )
        for i, window in enumerate(small_windows(count, **windows))
    ]


@flow(name="hardware-comparison", log_prints=True)
def hardware_comparison(
    sizes: list[int] | tuple[int, ...] = DEFAULT_SIZES,
    seeds: int | list[int] = DEFAULT_SEEDS,
    backends: list[str] | None = None,
    out_dir: str = "runs",
    shots: int | None = None,
    time_limit: float = 10.0,
    warm: bool = True,
    selection_instances: list[str] | tuple[str, ...] = DEFAULT_SELECTION_INSTANCES,
    selection_sizes: list[int] | tuple[int, ...] = DEFAULT_SELECTION_SIZES,
    selection_cuts: int = 2,
    selection_pool_seconds: float = 5.0,
    rail_windows: int = DEFAULT_RAIL_WINDOWS,
    seal_sign_key: str | None = None,
    seal_recipients: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Measure `backends` (default: every registered one, cloud devices included: those
    without credentials or budget are recorded as skipped) on the route-TSPs of sizes x seeds,
    the route-selection cuts of `selection_instances` and `rail_windows` rail windows; writes
    the JSONL records and rebuilds `out_dir`/report.html; returns the records.  With
    `seal_sign_key` (signing.key path) the records and report are also sealed into
    `<run id>.bundle`."""
    from qroute.cloud import register as register_cloud_backends

    register_cloud_backends()
    cases = [
        case
        for instance in selection_instances
        for case in selection_cases(
            instance,
            pool_seconds=selection_pool_seconds,
            sizes=selection_sizes,
            cuts=selection_cuts,
        )  # fmt: skip
    ]
    cases += rail_cases(rail_windows)
    run_id = new_run_id(out_dir)
    path = Path(out_dir) / f"{run_id}.jsonl"
    records = run_comparison(
        sizes,
        seeds,
        backends,
        out_dir,
        warm=warm,
        extra_cases=cases,
        run_id=run_id,
        measure=lambda backend, case, run: measure(
            backend, case, case.task_name, run, shots, time_limit
        ),
        warm_up_backend=lambda backend: warm_up_backend(backend, shots),
    )
    markdown = summary_markdown(records, path)
    print(markdown)
    create_markdown_artifact(
        markdown, key=SUMMARY_KEY, description=f"Hardware comparison summary ({run_id})"
    )
    create_table_artifact(
        table_rows(records), key=TABLE_KEY, description=f"Every solve of {run_id}"
    )
    from qroute.reporting.html_report import build_report

    report = build_report(out_dir, Path(out_dir) / "report.html")
    print(f"report: {report}")
    if seal_sign_key is not None:
        from qroute.orchestration.sealing import seal_comparison, signing_key_from

        key = signing_key_from(path=seal_sign_key)
        assert key is not None
        print(f"sealed: {seal_comparison(path, report, key, seal_recipients or [])}")
    return records


if __name__ == "__main__":
    hardware_comparison()
