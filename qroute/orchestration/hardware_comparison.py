"""The `hardware_comparison` flow: the same seeded subproblems on every backend, as Prefect runs.

Orchestration only; the measurement is :mod:`qroute.reporting.comparison` (the same code
`qroute compare` runs without Prefect).  One task run per (backend, size, seed), named after
it, so the Prefect UI shows which device took how long or failed; records go to the same JSONL
the CLI writes
(``<out_dir>/comparison-<timestamp>.jsonl``), and the flow publishes a Markdown summary and a
table of every solve as artifacts.

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
    DEFAULT_SIZES,
    append_record,
    measure_solve,
    new_run_id,
    plan,
    summary_markdown,
    table_rows,
    warm_up,
)

SUMMARY_KEY = "hardware-comparison-summary"
TABLE_KEY = "hardware-comparison-solves"


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
    task_run_name="{backend}-k{size}-seed{seed}",
    cache_policy=NO_CACHE,  # a measurement is never reused
    persist_result=False,
)
def measure(
    backend: str, size: int, seed: int, run_id: str, shots: int | None, time_limit: float
) -> dict[str, Any]:
    return measure_solve(backend, size, seed, run_id=run_id, shots=shots, time_limit=time_limit)


@flow(name="hardware-comparison", log_prints=True)
def hardware_comparison(
    sizes: list[int] | tuple[int, ...] = DEFAULT_SIZES,
    seeds: int | list[int] = DEFAULT_SEEDS,
    backends: list[str] | None = None,
    out_dir: str = "runs",
    shots: int | None = None,
    time_limit: float = 10.0,
    warm: bool = True,
    seal_sign_key: str | None = None,
    seal_recipients: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Measure `backends` (default: every registered one, cloud devices included: those
    without credentials or budget are recorded as skipped) on sizes x seeds; writes the JSONL
    records and rebuilds `out_dir`/report.html; returns the records.  With `seal_sign_key`
    (signing.key path) the records and report are also sealed into `<run id>.bundle`."""
    from qroute.cloud import register as register_cloud_backends

    register_cloud_backends()
    jobs = plan(sizes, seeds, backends)
    run_id = new_run_id(out_dir)
    path = Path(out_dir) / f"{run_id}.jsonl"
    if warm:
        for backend in dict.fromkeys(job[0] for job in jobs):
            warm_up_backend(backend, shots)
    records = []
    for backend, size, seed in jobs:
        record = measure(backend, size, seed, run_id, shots, time_limit)
        append_record(path, record)
        records.append(record)
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
