"""A self-contained HTML report of the hardware comparison, rebuilt from stored results.

:func:`build_report` reads a runs folder and writes one HTML file that needs nothing else: the
CSS is inline and every plot is a base64 PNG drawn with matplotlib's Agg canvas (no external
URL, no script from a CDN).  What it reads under the folder:

* ``comparison-*.jsonl`` (any depth): the per-solve records of :mod:`qroute.reporting.comparison`;
* the newest ``routes.png`` (any depth) with the ``result.json`` beside it: the latest solve run;
* ``results.sqlite``: the nightly results store, table ``runs`` (:data:`RESULTS_SCHEMA`);
  nightly jobs add a row with :func:`append_run`.

Any of them may be missing; the report then says so in the section concerned.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import sqlite3
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qroute.reporting.comparison import (
    STATUS_ERROR,
    STATUS_OK,
    latest_per_solve,
    load_records,
    run_files,
    summary_rows,
)

RESULTS_DB = "results.sqlite"
ROUTES_PNG = "routes.png"
RESULT_JSON = "result.json"

#: The nightly results store: one row per nightly solve run (see :func:`append_run`).
RESULTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    ts            TEXT NOT NULL,  -- ISO 8601 UTC, e.g. 2026-11-26T02:00:00Z
    instance      TEXT NOT NULL,  -- instance name, e.g. yangtze-delta or X-n101-k25
    cost          REAL NOT NULL,  -- total route length of the validated solution
    gap_percent   REAL,           -- gap to the best-known solution in %, NULL if none known
    backends      TEXT,           -- JSON: {"backend": solves, ...} or ["backend", ...]
    quantum_share REAL,           -- share (0..1) of subproblem solves on gate/annealing backends
    cost_usd      REAL,           -- money spent on cloud devices in the run
    wall_seconds  REAL            -- wall time of the run
);
CREATE INDEX IF NOT EXISTS runs_ts ON runs (ts);
"""
RESULTS_COLUMNS: tuple[str, ...] = (
    "ts",
    "instance",
    "cost",
    "gap_percent",
    "backends",
    "quantum_share",
    "cost_usd",
    "wall_seconds",
)

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary per backend"),
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


# --------------------------------------------------------------------------------------------
# The nightly results store


def _iso_utc(value: Any) -> str:
    if value is None:
        return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value)


def _optional_number(record: Mapping[str, Any], key: str) -> float | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number or None, got {value!r}")
    return float(value) if math.isfinite(value) else None


def append_run(db_path: str | Path, record: Mapping[str, Any]) -> None:
    """Add one nightly run to the results store, creating the file and table when needed.

    `record` has ``instance`` and ``cost`` (required) and optionally ``ts`` (ISO text or a
    datetime; default now, UTC), ``gap_percent``, ``backends`` (a dict of solves per backend, a
    list of names, or text), ``quantum_share`` (a number, or a dict with ``share_of_solves`` as
    in result.json), ``cost_usd`` and ``wall_seconds``.  Other keys are ignored, so a solve
    run's result.json payload can be passed as it is.
    """
    if not record.get("instance"):
        raise ValueError("a results row needs an instance name")
    if _optional_number(record, "cost") is None:
        raise ValueError("a results row needs a finite cost")
    share: Any = record.get("quantum_share")
    if isinstance(share, Mapping):
        share = share.get("share_of_solves")
    backends: Any = record.get("backends")
    if backends is not None and not isinstance(backends, str):
        backends = json.dumps(backends if isinstance(backends, Mapping) else list(backends))
    row = (
        _iso_utc(record.get("ts")),
        str(record["instance"]),
        _optional_number(record, "cost"),
        _optional_number(record, "gap_percent"),
        backends,
        _optional_number({"quantum_share": share}, "quantum_share"),
        _optional_number(record, "cost_usd"),
        _optional_number(record, "wall_seconds"),
    )
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.executescript(RESULTS_SCHEMA)
            placeholders = ", ".join("?" for _ in RESULTS_COLUMNS)
            connection.execute(
                f"INSERT INTO runs ({', '.join(RESULTS_COLUMNS)}) VALUES ({placeholders})", row
            )
    finally:
        connection.close()


def read_runs(db_path: str | Path) -> list[dict[str, Any]]:
    """All rows of the results store, oldest first; [] when the file or table is missing."""
    path = Path(db_path)
    if not path.is_file():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = connection.execute(f"SELECT {', '.join(RESULTS_COLUMNS)} FROM runs ORDER BY ts")
        return [dict(zip(RESULTS_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    except sqlite3.DatabaseError:
        return []
    finally:
        connection.close()


# --------------------------------------------------------------------------------------------
# Inputs found under the runs folder


def find_latest_solve(runs_dir: str | Path) -> dict[str, Any] | None:
    """The newest routes.png under `runs_dir` and the result.json beside it (if readable)."""
    folder = Path(runs_dir)
    if not folder.is_dir():
        return None
    images = [p for p in folder.rglob(ROUTES_PNG) if p.is_file()]
    if not images:
        return None
    image = max(images, key=lambda p: (p.stat().st_mtime, str(p)))
    result: dict[str, Any] = {}
    result_path = image.parent / RESULT_JSON
    if result_path.is_file():
        try:
            loaded = json.loads(result_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = None
        if isinstance(loaded, dict):
            result = loaded
    return {
        "image": image,
        "result_path": result_path if result else None,
        "result": result,
        "modified": datetime.fromtimestamp(image.stat().st_mtime, UTC),
    }


# --------------------------------------------------------------------------------------------
# Plots


def _figure(width: float = 10.0, height: float = 4.2, rows: int = 1) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    axes = [fig.add_subplot(rows, 1, i + 1) for i in range(rows)]
    for ax in axes:
        ax.grid(alpha=0.3)
    return fig, axes


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(data: str, alt: str) -> str:
    return f'<img class="plot" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _by_backend_size(
    records: Iterable[Mapping[str, Any]], key: str
) -> dict[str, dict[int, list[float]]]:
    out: dict[str, dict[int, list[float]]] = {}
    for r in records:
        value = r.get(key)
        if r.get("status") != STATUS_OK or value is None or isinstance(value, bool):
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            continue
        out.setdefault(str(r["backend"]), {}).setdefault(int(r["size"]), []).append(float(value))
    return out


_MARKERS = "osD^v<>pP*Xh"


def _size_axis(ax: Any, sizes: Sequence[int]) -> None:
    ax.set_xticks(list(sizes))
    if sizes:
        ax.set_xlim(min(sizes) - 0.5, max(sizes) + 0.5)


def _series_plot(
    series: Mapping[str, Mapping[int, list[float]]],
    *,
    ylabel: str,
    title: str,
    reduce: Callable[[list[float]], float] = statistics.fmean,
    log: bool = False,
    ylim: tuple[float, float] | None = None,
    from_zero: bool = False,
) -> str:
    """One line per backend over subproblem size, with the seeds' range as error bars."""
    fig, (ax,) = _figure()
    names = sorted(series)
    spread = 0.25 / max(len(names), 1)
    for i, name in enumerate(names):
        sizes = sorted(series[name])
        xs = [k + (i - (len(names) - 1) / 2) * spread for k in sizes]  # dodge overlapping lines
        ys = [reduce(series[name][k]) for k in sizes]
        low = [y - min(series[name][k]) for y, k in zip(ys, sizes, strict=True)]
        high = [max(series[name][k]) - y for y, k in zip(ys, sizes, strict=True)]
        ax.errorbar(
            xs,
            ys,
            yerr=[low, high],
            marker=_MARKERS[i % len(_MARKERS)],
            capsize=3,
            label=name,
            lw=1.4,
            ms=6,
        )
    _size_axis(ax, sorted({k for s in series.values() for k in s}))
    ax.set_xlabel("subproblem size k (stops; k² QUBO variables)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    elif from_zero:  # e.g. all gaps 0: show 0 near the bottom of a readable scale
        top = max(ax.get_ylim()[1], 1.0)
        ax.set_ylim(-0.05 * top, top)
    ax.legend(fontsize=8, loc="best")
    return _png(fig)


def _cost_plot(rows: Sequence[Mapping[str, Any]]) -> str:
    fig, (ax,) = _figure()
    names = [str(r["backend"]) for r in rows]
    estimated = [float(r["mean_estimated_cost_usd"] or 0.0) for r in rows]
    tracked = [float(r["mean_tracked_cost_usd"] or 0.0) for r in rows]
    xs = list(range(len(names)))
    ax.bar([x - 0.2 for x in xs], estimated, width=0.4, label="estimated (hardware profile)")
    ax.bar([x + 0.2 for x in xs], tracked, width=0.4, label="tracked (provenance)")
    ax.set_xticks(xs)
    ax.set_xticklabels(names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("USD per solved subproblem")
    ax.set_title("Cost per solved subproblem (mean over solves)")
    if max([*estimated, *tracked, 0.0]) == 0.0:
        ax.set_ylim(0, 0.01)
        ax.text(0.5, 0.6, "every solve cost USD 0 (local)", transform=ax.transAxes, ha="center")
    ax.legend(fontsize=8)
    return _png(fig)


def _qaoa_plot(
    probability: Mapping[str, Mapping[int, list[float]]],
    sampled: Mapping[str, Mapping[int, list[float]]],
) -> str:
    fig, (top, bottom) = _figure(height=6.0, rows=2)
    names = sorted(set(probability) | set(sampled))
    for i, name in enumerate(names):
        marker = _MARKERS[i % len(_MARKERS)]
        if name in probability:
            sizes = sorted(probability[name])
            top.plot(
                sizes,
                [statistics.fmean(probability[name][k]) for k in sizes],
                marker=marker,
                label=name,
            )
        if name in sampled:
            sizes = sorted(sampled[name])
            offset = (i - (len(names) - 1) / 2) * 0.25 / max(len(names), 1)
            bottom.plot(
                [k + offset for k in sizes],
                [statistics.fmean(sampled[name][k]) for k in sizes],
                marker=marker,
                ls="",
                ms=7,
                label=name,
            )
    top.set_yscale("log")
    top.set_ylabel("P(ground state) per shot")
    top.set_title("QAOA: probability of the optimum in the final state, and in the samples")
    bottom.set_ylim(-0.05, 1.05)
    bottom.set_ylabel("share of seeds with the\noptimum among the shots")
    all_sizes = sorted({k for s in [*probability.values(), *sampled.values()] for k in s})
    for ax in (top, bottom):
        _size_axis(ax, all_sizes)
        ax.legend(fontsize=8, loc="best")
    bottom.set_xlabel("subproblem size k")
    return _png(fig)


def _parse_ts(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _trend_plot(rows: Sequence[Mapping[str, Any]]) -> str:
    fig, axes = _figure(height=7.0, rows=3)
    instances: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        instances.setdefault(str(row["instance"]), []).append(row)
    panels = (
        ("gap_percent", "gap to BKS (%)", "cost"),
        ("quantum_share", "quantum share (0-1)", None),
        ("cost_usd", "cloud cost (USD)", None),
    )
    for ax, (key, label, fallback) in zip(axes, panels, strict=True):
        plotted = False
        for i, (name, items) in enumerate(sorted(instances.items())):
            use = key if any(r.get(key) is not None for r in items) else fallback
            if use is None:
                continue
            points = [
                (t, float(r[use]))
                for r in items
                if (t := _parse_ts(r.get("ts"))) is not None and r.get(use) is not None
            ]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            suffix = "" if use == key else f" ({use})"
            ax.plot(xs, ys, marker=_MARKERS[i % len(_MARKERS)], label=f"{name}{suffix}")
            plotted = True
        ax.set_ylabel(label)
        if plotted:
            ax.legend(fontsize=8, loc="best")
        else:
            ax.text(0.5, 0.5, "no values recorded", transform=ax.transAxes, ha="center")
    axes[0].set_title("Nightly runs")
    axes[1].set_ylim(-0.05, 1.05)
    axes[2].set_ylim(bottom=0.0)
    fig.autofmt_xdate()
    return _png(fig)


# --------------------------------------------------------------------------------------------
# HTML


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2430; background: #f6f7f9; line-height: 1.45; }
header { background: #1d3557; color: #fff; padding: 1.2rem 2rem; }
header h1 { margin: 0 0 .3rem 0; font-size: 1.6rem; }
header p { margin: .1rem 0; opacity: .9; }
header code { background: rgba(255, 255, 255, .15); color: #fff; }
.scroll { overflow-x: auto; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 2rem 3rem; }
nav ol { columns: 2; font-size: .95rem; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px;
          padding: .8rem 1.2rem 1rem; margin: 1rem 0; }
h2 { font-size: 1.25rem; margin: .2rem 0 .6rem; color: #1d3557; }
table { border-collapse: collapse; font-size: .82rem; margin: .5rem 0; }
th, td { border: 1px solid #dde1e7; padding: .25rem .5rem; text-align: right;
         white-space: nowrap; }
td.w { white-space: normal; text-align: left; }
th { background: #eef1f5; white-space: normal; vertical-align: bottom; }
td.t, th.t, th.w { text-align: left; }
img.plot { max-width: 100%; height: auto; display: block; margin: .5rem 0;
           border: 1px solid #eef1f5; }
.note { color: #555; font-size: .9rem; }
.empty { color: #8a5a00; background: #fff7e6; border-left: 4px solid #f0a500;
         padding: .4rem .8rem; }
.err { color: #a00; }
details summary { cursor: pointer; color: #1d3557; }
code { background: #eef1f5; padding: 0 .2rem; border-radius: 3px; }
"""


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

    def cls(i: int) -> str:
        return "w" if i in wrap else ("t" if i < text_cols else "")

    head = ""
    if headers is not None:
        cells = "".join(f'<th class="{cls(i)}">{_esc(h)}</th>' for i, h in enumerate(headers))
        head = f"<thead><tr>{cells}</tr></thead>"
    body = []
    for row in rows:
        cells = "".join(f'<td class="{cls(i)}">{cell}</td>' for i, cell in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f'<div class="scroll"><table>{head}<tbody>{"".join(body)}</tbody></table></div>'


def _empty(message: str) -> str:
    return f'<p class="empty">{_esc(message)}</p>'


def _section(key: str, body: str) -> str:
    title = dict(SECTIONS)[key]
    return f'<section id="{key}"><h2>{_esc(title)}</h2>{body}</section>'


def _summary_section(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return _empty("no comparison runs found: run `qroute compare --out DIR` first")
    table = _table(
        [
            "backend",
            "paradigm",
            "device",
            "solved",
            "skipped",
            "errors",
            "sizes",
            "mean gap",
            "optimal",
            "raw feasible",
            "median time",
            "est. USD / solve",
            "tracked USD / solve",
        ],
        (
            [
                _esc(r["backend"]),
                _esc(r["paradigm"]),
                _esc(r["device"]),
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
            for r in rows
        ),
        text_cols=3,
        wrap=(2,),
    )
    return table + (
        '<p class="note">Gap: against the Held-Karp optimum of the same subproblem. '
        "Raw feasible: share of raw samples (reads/shots) that decode to a valid tour, before "
        "any repair. Time: wall seconds around one backend solve, QUBO construction included, "
        "after one untimed warm-up solve per backend (SDK imports are not counted).</p>"
    )


def _plot_section(
    key: str, series: Mapping[str, Mapping[int, list[float]]], empty: str, **kwargs: Any
) -> str:
    if not series:
        return _section(key, _empty(empty))
    return _section(key, _img(_series_plot(series, **kwargs), str(kwargs.get("title", key))))


def _cost_section(rows: Sequence[Mapping[str, Any]]) -> str:
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
    return _section("cost", _img(_cost_plot(solved), "cost per solved subproblem") + table + note)


def _chain_section(records: Sequence[Mapping[str, Any]]) -> str:
    series = _by_backend_size(records, "chain_break_fraction")
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
        _series_plot(
            series,
            ylabel="mean chain-break fraction",
            title="Chain-break fraction of the reads (annealing QPU)",
        ),
        "chain-break fraction",
    )
    return _section("chain-breaks", body)


def _qaoa_section(records: Sequence[Mapping[str, Any]]) -> str:
    gate = [r for r in records if r.get("paradigm") == "gate"]
    probability = _by_backend_size(gate, "ground_state_probability")
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
    return _section("qaoa", _img(_qaoa_plot(probability, sampled), "QAOA optimum") + table + note)


def _route_section(solve: Mapping[str, Any] | None, runs_dir: Path) -> str:
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
        share = share.get("share_of_solves")
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
    from qroute.reporting.geomap import MAP_JSON, interactive_map, read_map_data

    geo = read_map_data(image.parent / MAP_JSON)  # lat/lon runs: the interactive map
    live = interactive_map(geo) if geo is not None else ""
    return _section("route-map", live + _img(data, "route map of the latest solve") + table)


def _nightly_section(rows: Sequence[Mapping[str, Any]], db: Path) -> str:
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
    return _section("nightly", _img(_trend_plot(rows), "nightly trend") + note + table)


def _skipped_section(records: Sequence[Mapping[str, Any]]) -> str:
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


def _solves_section(records: Sequence[Mapping[str, Any]]) -> str:
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
    rows = summary_rows(records)
    run_ids = sorted({str(r.get("run_id")) for r in records if r.get("run_id")})
    sizes = sorted({int(r["size"]) for r in records})
    seeds = sorted({int(r["seed"]) for r in records})
    nav = "".join(f'<li><a href="#{key}">{_esc(title)}</a></li>' for key, title in SECTIONS)
    header = (
        "<header><h1>qroute hardware comparison</h1>"
        f"<p>Generated {_esc(generated.strftime('%Y-%m-%d %H:%M:%S UTC'))} from "
        f"<code>{_esc(runs_dir)}</code>: {len(records)} solve records from "
        f"{len(run_ids)} comparison run(s); sizes {_esc(sizes or '–')}, seeds {_esc(seeds or '–')}"
        "; the same seeded random route-TSPs went to every backend.</p></header>"
    )
    source_note = (
        f'<p class="note">Runs: {_esc(", ".join(sources))}. When a (backend, size, seed) was '
        "measured more than once the newest record is shown.</p>"
        if sources
        else ""
    )
    ok = [r for r in records if r.get("status") == STATUS_OK]
    body = [
        f"<nav><ol>{nav}</ol></nav>{source_note}",
        _section("summary", _summary_section(rows)),
        _plot_section(
            "gap",
            _by_backend_size(ok, "gap_percent"),
            "no solved subproblems with a known optimum",
            ylabel="gap to optimum (%)",
            title="Gap to the exact optimum (mean over seeds, bars: min-max)",
            from_zero=True,
        ),
        _plot_section(
            "feasibility",
            _by_backend_size(ok, "raw_feasible_rate"),
            "no raw-sample feasibility recorded",
            ylabel="raw samples that are valid tours",
            title="Raw-sample feasibility rate (mean over seeds)",
            ylim=(-0.05, 1.05),
        ),
        _plot_section(
            "time",
            _by_backend_size(ok, "time_to_solution_s"),
            "no timed solves",
            ylabel="seconds (log scale)",
            title="Time to solution (median over seeds, bars: min-max)",
            reduce=statistics.median,
            log=True,
        ),
        _cost_section(rows),
        _chain_section(records),
        _qaoa_section(records),
        _route_section(solve, runs_dir),
        _nightly_section(nightly, runs_dir / RESULTS_DB),
        _skipped_section(records),
        _solves_section(records),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>qroute hardware comparison</title><style>{CSS}</style></head>"
        f"<body>{header}<main>{''.join(body)}</main></body></html>\n"
    )


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
