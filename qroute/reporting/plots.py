"""The HTML report's plots: matplotlib figures drawn on the Agg canvas, as base64 PNG text
(the report embeds them; no file, no URL)."""

from __future__ import annotations

import base64
import io
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from qroute.reporting.comparison import STATUS_OK


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


def by_backend_size(
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


def series_plot(
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


def cost_plot(rows: Sequence[Mapping[str, Any]]) -> str:
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


def qaoa_plot(
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


def trend_plot(rows: Sequence[Mapping[str, Any]]) -> str:
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
