"""A self-contained HTML report of the hardware comparison, rebuilt from stored results.

:func:`build_report` reads a runs folder and writes one HTML file that needs nothing else: the
CSS is inline and every plot is a base64 PNG drawn with matplotlib's Agg canvas (no external
URL, no script from a CDN).  What it reads under the folder:

* ``comparison-*.jsonl`` (any depth): the per-solve records of :mod:`qroute.reporting.comparison`;
* the newest ``routes.png`` (any depth) with the ``result.json`` beside it: the latest solve run
  (:mod:`qroute.reporting.solve_runs`);
* ``qroute.sqlite``: the nightly results (:mod:`qroute.reporting.results_store`).

Any of them may be missing; the report then says so in the section concerned. The page is the
jinja2 template ``templates/report.html.j2`` (package data; building blocks in
``templates/macros.html.j2``, style in ``templates/report.css``); its ``interactive_map`` block,
inside the route-map section, is where an interactive map of the latest solve goes. Plots come
from :mod:`qroute.reporting.plots`.
"""

from __future__ import annotations

import base64
import html
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from qroute.reporting.comparison import (
    ROUTE_TSP,
    STATUS_ERROR,
    STATUS_OK,
    kind_title,
    latest_per_solve,
    load_records,
    records_by_kind,
    run_files,
    summary_rows,
)
from qroute.reporting.plots import (
    by_backend_size,
    cost_plot,
    qaoa_plot,
    series_plot,
    trend_plot,
)
from qroute.reporting.results_store import (
    RESULTS_COLUMNS,
    RESULTS_DB,
    RESULTS_SCHEMA,
    append_run,
    read_runs,
)
from qroute.reporting.solve_runs import RESULT_JSON, ROUTES_PNG, find_latest_solve

__all__ = [
    "RESULTS_COLUMNS",
    "RESULTS_DB",
    "RESULTS_SCHEMA",
    "RESULT_JSON",
    "ROUTES_PNG",
    "SECTIONS",
    "append_run",
    "build_report",
    "find_latest_solve",
    "read_runs",
    "render_report",
]

REPORT_TEMPLATE = "report.html.j2"
MACROS_TEMPLATE = "macros.html.j2"

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary per backend"),
    ("kinds", "Route selection, rail and other kinds"),
    ("gap", "Gap to optimum vs size"),
    ("feasibility", "Raw-sample feasibility"),
    ("time", "Time to solution"),
    ("cost", "Cost per solved subproblem"),
    ("chain-breaks", "Chain breaks (annealers)"),
    ("qaoa", "QAOA: probability of sampling the optimum"),
    ("route-map", "Route map of the latest solve"),
    ("nightly", "Nightly trend"),
    ("skipped", "Skipped and failed solves"),
    ("solves", "All solves"),
)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The report's templates, loaded from the installed package (package data)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("qroute.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _macros() -> Any:
    return _environment().get_template(MACROS_TEMPLATE).module


def _img(data: str, alt: str) -> str:
    return str(_macros().img(data, alt))


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _num(value: Any, digits: int = 2, suffix: str = "") -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "–" if value is None else _esc(value)
    if not math.isfinite(value):
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def _pct(value: Any, digits: int = 1) -> str:
    return "–" if value is None else _num(100.0 * float(value), digits, " %")


def _usd(value: Any) -> str:
    return "–" if value is None else f"${float(value):,.4f}"


def _table(
    headers: Sequence[str] | None,
    rows: Iterable[Sequence[Any]],
    text_cols: int = 1,
    wrap: Sequence[int] = (),
) -> str:
    """A table; cells are HTML already. The first `text_cols` columns are left-aligned, the
    columns in `wrap` may wrap (long free text)."""
    cells = [[Markup(c) if isinstance(c, str) else c for c in row] for row in rows]
    width = max([len(headers or ())] + [len(row) for row in cells])
    classes = ["w" if i in wrap else ("t" if i < text_cols else "") for i in range(width)]
    return str(_macros().table(headers, cells, classes))


def _empty(message: str) -> str:
    return str(_macros().empty(message))


@dataclass(frozen=True)
class Section:
    """One section of the report: its anchor, title and body (HTML)."""

    key: str
    title: str
    body: Markup


def _section(key: str, body: str) -> Section:
    return Section(key, dict(SECTIONS)[key], Markup(body))


#: The measured columns of a per-backend row, after the columns that name the backend.
_MEASURED = (
    "solved", "skipped", "errors", "sizes", "mean gap", "optimal", "raw feasible",
    "median time", "est. USD / solve", "tracked USD / solve",
)  # fmt: skip


def _measured(r: Mapping[str, Any]) -> list[Any]:
    return [
        r["solved"],
        r["skipped"],
        f'<span class="err">{r["errors"]}</span>' if r["errors"] else "0",
        _esc(", ".join(str(k) for k in r["sizes"])) or "–",
        _num(r["mean_gap_percent"], 2, " %"),
        _pct(r["optimal_share"], 0),
        _pct(r["mean_raw_feasible_rate"]),
        _num(r["median_time_s"], 3, " s"),
        _usd(r["mean_estimated_cost_usd"]),
        _usd(r["mean_tracked_cost_usd"]),
    ]


def _summary_section(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return _empty("no comparison runs found: run `qroute compare --out DIR` first")
    table = _table(
        ["backend", "paradigm", "device", *_MEASURED],
        ([_esc(r["backend"]), _esc(r["paradigm"]), _esc(r["device"]), *_measured(r)] for r in rows),
        text_cols=3,
        wrap=(2,),
    )
    return table + (
        '<p class="note">Gap: against the Held-Karp optimum of the same subproblem. '
        "Raw feasible: share of raw samples (reads/shots) that decode to a valid tour, before "
        "any repair. Time: wall seconds around one backend solve, QUBO construction included, "
        "after one untimed warm-up solve per backend (SDK imports are not counted).</p>"
    )


def _kinds_section(kinds: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Per kind other than the route-TSP: what the cases were cut from and one row per
    backend, scored against each case's exact optimum (rendered the same for every kind)."""
    if not kinds:
        return _empty("no route-selection, rail or other cases: run the hardware-comparison flow")
    parts = []
    for kind, records in kinds.items():
        details = [r["details"] for r in records if isinstance(r.get("details"), Mapping)]
        sources = sorted({str(d["source"]) for d in details if d.get("source")})
        rows = summary_rows(records)
        table = _table(
            ["backend", "class", "optimum by", *_MEASURED],
            (
                [
                    _esc(r["backend"]),
                    _esc(", ".join(r["provenance_classes"]) or r["paradigm"]),
                    _esc(", ".join(r["optimum_methods"])) or "–",
                    *_measured(r),
                ]
                for r in rows
            ),
            text_cols=3,
        )
        cut_from = "".join(f"<li>{_esc(source)}</li>" for source in sources)
        parts.append(
            f"<h3>{_esc(kind_title(kind))} ({_esc(kind)})</h3>"
            + (f"<ul>{cut_from}</ul>" if cut_from else "")
            + table
        )
    return "".join(parts) + (
        '<p class="note">Each case is scored against the exact optimum of the same case '
        "(optimum by). Sizes are in the kind's unit (columns for route selection, QUBO "
        "variables for rail windows). Class: the provenance class of the answers.</p>"
    )


def _plot_section(
    key: str, series: Mapping[str, Mapping[int, list[float]]], empty: str, **kwargs: Any
) -> Section:
    if not series:
        return _section(key, _empty(empty))
    return _section(key, _img(series_plot(series, **kwargs), str(kwargs.get("title", key))))


def _cost_section(rows: Sequence[Mapping[str, Any]]) -> Section:
    solved = [r for r in rows if r["solved"]]
    if not solved:
        return _section("cost", _empty("no solved subproblems"))
    table = _table(
        [
            "backend",
            "price profile",
            "solves",
            "est. USD / solve",
            "unpriced solves",
            "tracked USD / solve",
        ],
        (
            [
                _esc(r["backend"]),
                _esc(", ".join(r["price_profiles"]) or "none"),
                r["solved"],
                _usd(r["mean_estimated_cost_usd"]),
                r["unpriced"],
                _usd(r["mean_tracked_cost_usd"]),
            ]
            for r in solved
        ),
        text_cols=2,
    )
    note = (
        "<p class=\"note\">Estimated: one task of the solve's shots priced with the backend's "
        "hardware profile (<code>hardware_profiles/</code>: per task, per shot, per minute of "
        "wall time, per QPU second of reported access time); a local backend without a profile "
        "counts 0, a remote one without a profile is unpriced. Tracked: what the backend "
        "recorded in its provenance (<code>cost_usd</code>).</p>"
    )
    return _section("cost", _img(cost_plot(solved), "cost per solved subproblem") + table + note)


def _chain_section(records: Sequence[Mapping[str, Any]]) -> Section:
    series = by_backend_size(records, "chain_break_fraction")
    if not series:
        annealers = sorted({str(r["backend"]) for r in records if r.get("paradigm") == "annealing"})
        said = f" (annealing backends measured: {', '.join(annealers)})" if annealers else ""
        return _section(
            "chain-breaks",
            _empty(
                "no chain-break data: chain breaks arise only when a QUBO is embedded on an "
                f"annealing QPU; no QPU annealer solved a subproblem in these runs{said}"
            ),
        )
    body = _img(
        series_plot(
            series,
            ylabel="mean chain-break fraction",
            title="Chain-break fraction of the reads (annealing QPU)",
        ),
        "chain-break fraction",
    )
    return _section("chain-breaks", body)


def _qaoa_section(records: Sequence[Mapping[str, Any]]) -> Section:
    gate = [r for r in records if r.get("paradigm") == "gate"]
    probability = by_backend_size(gate, "ground_state_probability")
    sampled: dict[str, dict[int, list[float]]] = {}
    for r in gate:
        if r.get("status") == STATUS_OK and r.get("optimum_sampled") is not None:
            by_size = sampled.setdefault(str(r["backend"]), {})
            by_size.setdefault(int(r["size"]), []).append(1.0 if r["optimum_sampled"] else 0.0)
    if not probability and not sampled:
        return _section("qaoa", _empty("no QAOA (gate-model) solves in these runs"))
    rows = []
    for name in sorted(set(probability) | set(sampled)):
        for k in sorted(set(probability.get(name, {})) | set(sampled.get(name, {}))):
            p = probability.get(name, {}).get(k)
            s = sampled.get(name, {}).get(k)
            rows.append(
                [
                    _esc(name),
                    k,
                    len(s or p or []),
                    _num(statistics.fmean(p), 5) if p else "–",
                    _pct(statistics.fmean(s), 0) if s else "–",
                ]
            )
    table = _table(["backend", "size", "solves", "P(ground state)", "optimum among shots"], rows, 1)
    note = (
        '<p class="note">P(ground state): probability of the QUBO ground state (the optimal '
        "tour) in the optimised QAOA state, from the backend's provenance. Optimum among shots: "
        "share of seeds whose samples contained the optimal tour (without repair).</p>"
    )
    return _section("qaoa", _img(qaoa_plot(probability, sampled), "QAOA optimum") + table + note)


def _route_section(solve: Mapping[str, Any] | None, runs_dir: Path) -> Section:
    if solve is None:
        return _section("route-map", _empty(f"no solve run found under {runs_dir}"))
    image: Path = solve["image"]
    data = base64.b64encode(image.read_bytes()).decode("ascii")
    result: Mapping[str, Any] = solve["result"]
    try:
        shown = image.relative_to(runs_dir)
    except ValueError:
        shown = image
    written = solve["modified"].strftime("%Y-%m-%d %H:%M:%S UTC")
    facts = [("routes.png", _esc(shown)), ("written", _esc(written))]
    share = result.get("quantum_share")
    if isinstance(share, Mapping):
        share = share.get("share_of_solves")  # qpu + quantum_simulator solves only
    backends = result.get("backends")
    if isinstance(backends, Mapping):
        backends = ", ".join(f"{k}: {v}" for k, v in backends.items())
    for label, value in (
        ("instance", result.get("instance")),
        ("status", result.get("status")),
        ("cost", _num(result.get("cost"))),
        ("routes", len(result["routes"]) if isinstance(result.get("routes"), list) else None),
        ("gap to BKS", _num(result.get("gap_percent"), 2, " %")),
        ("quantum share", _pct(share, 0) if isinstance(share, int | float) else None),
        ("backends", backends),
        ("wall time", _num(result.get("wall_seconds"), 1, " s")),
    ):
        if value is not None and value != "–":
            facts.append((label, _esc(value)))
    if not solve["result"]:
        facts.append(("result.json", "not found beside routes.png"))
    table = _table(None, ([k, v] for k, v in facts), text_cols=2)
    table += _provenance_table(result)
    from qroute.reporting.geomap import MAP_JSON, interactive_map, read_map_data

    geo = read_map_data(image.parent / MAP_JSON)  # lat/lon runs: the interactive map
    live = interactive_map(geo) if geo is not None else ""
    return _section("route-map", live + _img(data, "route map of the latest solve") + table)


def _provenance_table(result: Mapping[str, Any]) -> str:
    """This run's answers per provenance class, the share of final routes decided by route-
    selection QUBO answers, and the ablation against the exact counterparts (result.json's
    quantum_share.by_class and ablation); empty for a result without them."""
    from qroute.model.provenance import PROVENANCE_CLASSES

    share = result.get("quantum_share")
    by_class = share.get("by_class") if isinstance(share, Mapping) else None
    html = ""
    if isinstance(by_class, Mapping) and by_class:
        rows = [
            [
                _esc(name),
                int(row.get("solves", 0)),
                int(row.get("adopted", 0)),
                int(row.get("final_routes", 0)),
                _pct(float(row.get("improvement", 0.0)), 1),
            ]
            for name in PROVENANCE_CLASSES
            if isinstance(row := by_class.get(name), Mapping)
        ]
        html += _table(
            ["provenance class", "solves", "adopted", "final routes", "share of improvement"],
            rows,
        )
    decided = share.get("final_routes_selected_by_qubo") if isinstance(share, Mapping) else None
    if isinstance(share, Mapping) and isinstance(decided, int | float):
        html += (
            f'<p class="note">Final routes whose membership was last decided by an adopted '
            f"route-selection QUBO answer: {_pct(float(decided), 0)} "
            f"({_esc(share.get('selection_confirmations', 0))} selection answers only "
            "confirmed the incumbent).</p>"
        )
    ablation = result.get("ablation")
    if isinstance(ablation, Mapping):
        rows = []
        for kind, label in (
            ("selection", "route selection vs MIP"),
            ("routes", "route QUBOs vs Held-Karp"),
        ):
            block = ablation.get(kind)
            if isinstance(block, Mapping) and block.get("solves"):
                rows.append(
                    [
                        _esc(label),
                        int(block["solves"]),
                        _num(block.get("qubo_cost")),
                        _num(block.get("exact_cost")),
                        _num(block.get("gap_percent"), 2, " %"),
                    ]
                )
        if rows:
            html += _table(["ablation", "solves", "QUBO cost", "exact cost", "gap"], rows)
    return html


def _nightly_section(rows: Sequence[Mapping[str, Any]], db: Path) -> Section:
    if not rows:
        return _section("nightly", _empty(f"no nightly runs yet ({db.name} not found or empty)"))
    recent = list(rows)[-10:]
    table = _table(
        ["time (UTC)", "instance", "cost", "gap", "quantum share", "USD", "wall"],
        (
            [
                _esc(r["ts"]),
                _esc(r["instance"]),
                _num(r["cost"]),
                _num(r["gap_percent"], 2, " %"),
                _pct(r["quantum_share"], 0),
                _usd(r["cost_usd"]),
                _num(r["wall_seconds"], 1, " s"),
            ]
            for r in reversed(recent)
        ),
        text_cols=2,
    )
    note = (
        f'<p class="note">{len(rows)} nightly run(s) in {_esc(db.name)}; '
        f"the latest {len(recent)}, newest first:</p>"
    )
    return _section("nightly", _img(trend_plot(rows), "nightly trend") + note + table)


def _skipped_section(records: Sequence[Mapping[str, Any]]) -> Section:
    groups: dict[tuple[str, str, str], list[int]] = {}
    for r in records:
        if r.get("status") == STATUS_OK:
            continue
        key = (str(r["backend"]), str(r.get("status")), str(r.get("reason") or ""))
        groups.setdefault(key, []).append(int(r["size"]))
    if not groups:
        return _section("skipped", "<p>Every planned solve ran.</p>")
    rows = []
    for (backend, status, reason), sizes in sorted(groups.items()):
        cls = ' class="err"' if status == STATUS_ERROR else ""
        rows.append(
            [
                _esc(backend),
                f"<span{cls}>{_esc(status)}</span>",
                _esc(reason),
                _esc(", ".join(str(k) for k in sorted(set(sizes)))),
                len(sizes),
            ]
        )
    return _section(
        "skipped", _table(["backend", "status", "reason", "sizes", "solves"], rows, 3, wrap=(2,))
    )


def _solves_section(records: Sequence[Mapping[str, Any]]) -> Section:
    if not records:
        return _section("solves", _empty("no solves"))
    ordered = sorted(records, key=lambda r: (r["size"], r["seed"], str(r["backend"])))
    table = _table(
        [
            "backend",
            "status",
            "size",
            "seed",
            "cost",
            "optimum",
            "gap",
            "raw feasible",
            "repaired",
            "time",
            "shots",
            "est. USD",
            "tracked USD",
            "chain breaks",
            "P(ground)",
        ],
        (
            [
                _esc(r["backend"]),
                _esc(r.get("status")),
                r["size"],
                r["seed"],
                _num(r.get("cost")),
                _num(r.get("optimum")),
                _num(r.get("gap_percent"), 2, " %"),
                _pct(r.get("raw_feasible_rate")),
                "yes" if r.get("repaired") else ("no" if r.get("status") == STATUS_OK else "–"),
                _num(r.get("time_to_solution_s"), 3, " s"),
                _num(r.get("shots"), 0),
                _usd(r.get("estimated_cost_usd")),
                _usd(r.get("tracked_cost_usd")),
                _num(r.get("chain_break_fraction"), 3),
                _num(r.get("ground_state_probability"), 5),
            ]
            for r in ordered
        ),
        text_cols=2,
    )
    return _section("solves", f"<details><summary>{len(ordered)} solves</summary>{table}</details>")


def render_report(
    records: Sequence[Mapping[str, Any]],
    *,
    runs_dir: str | Path,
    solve: Mapping[str, Any] | None = None,
    nightly: Sequence[Mapping[str, Any]] = (),
    sources: Sequence[str] = (),
    generated: datetime | None = None,
) -> str:
    """The report as one HTML string."""
    runs_dir = Path(runs_dir)
    generated = generated or datetime.now(UTC)
    records = list(records)
    kinds = records_by_kind(records)
    tsp = kinds.pop(ROUTE_TSP, [])  # the plots over size k and the summary: route-TSPs
    rows = summary_rows(tsp)
    run_ids = sorted({str(r.get("run_id")) for r in records if r.get("run_id")})
    sizes = sorted({int(r["size"]) for r in tsp})
    seeds = sorted({int(r["seed"]) for r in tsp})
    ok = [r for r in tsp if r.get("status") == STATUS_OK]
    sections = [
        _section("summary", _summary_section(rows)),
        _section("kinds", _kinds_section(kinds)),
        _plot_section(
            "gap",
            by_backend_size(ok, "gap_percent"),
            "no solved subproblems with a known optimum",
            ylabel="gap to optimum (%)",
            title="Gap to the exact optimum (mean over seeds, bars: min-max)",
            from_zero=True,
        ),
        _plot_section(
            "feasibility",
            by_backend_size(ok, "raw_feasible_rate"),
            "no raw-sample feasibility recorded",
            ylabel="raw samples that are valid tours",
            title="Raw-sample feasibility rate (mean over seeds)",
            ylim=(-0.05, 1.05),
        ),
        _plot_section(
            "time",
            by_backend_size(ok, "time_to_solution_s"),
            "no timed solves",
            ylabel="seconds (log scale)",
            title="Time to solution (median over seeds, bars: min-max)",
            reduce=statistics.median,
            log=True,
        ),
        _cost_section(rows),
        _chain_section(tsp),
        _qaoa_section(tsp),
        _route_section(solve, runs_dir),
        _nightly_section(nightly, runs_dir / RESULTS_DB),
        _skipped_section(records),
        _solves_section(records),
    ]
    page = (
        _environment()
        .get_template(REPORT_TEMPLATE)
        .render(
            title="qroute hardware comparison",
            generated=generated.strftime("%Y-%m-%d %H:%M:%S UTC"),
            runs_dir=str(runs_dir),
            record_count=len(records),
            run_count=len(run_ids),
            sizes=sizes or "–",
            seeds=seeds or "–",
            nav=SECTIONS,
            sources=list(sources),
            sections=sections,
            solve=solve,
        )
    )
    return page + "\n"


def build_report(runs_dir: str | Path, out: str | Path) -> Path:
    """Read everything under `runs_dir` and write the self-contained report to `out`."""
    runs_dir = Path(runs_dir)
    records = latest_per_solve(load_records(runs_dir))
    sources = [str(p.relative_to(runs_dir)) for p in run_files(runs_dir)]
    page = render_report(
        records,
        runs_dir=runs_dir,
        solve=find_latest_solve(runs_dir),
        nightly=read_runs(runs_dir / RESULTS_DB),
        sources=sources,
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out
