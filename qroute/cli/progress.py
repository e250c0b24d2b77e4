"""The terminal side of `qroute solve`: a live progress line and the closing tables.

`LiveProgress` is thread-safe (subproblem tasks finish on worker threads). On a terminal
it is a rich `Live` line; otherwise a plain line rewritten with a carriage return at most a
few times a second and ended with a newline, so logs stay readable.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from typing import Any, TextIO


class LiveProgress:
    """Subproblems done, best cost so far, phase and elapsed time: the terminal view of
    qroute.hybrid.progress.Progress (the one progress protocol of a solve)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        live: bool | None = None,
        min_interval: float = 0.5,
        title: str = "qroute solve",
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.live = isatty if live is None else live
        self.min_interval = min_interval
        self.title = title
        self.phase = "starting"
        self.done = 0
        self.total = 0
        self.cached = 0
        self.best: float | None = None
        self._lock = threading.Lock()
        self._start = time.perf_counter()
        self._last_print = 0.0
        self._rich_live: Any = None
        self._width = 0

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> LiveProgress:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._start = time.perf_counter()
        if self.live:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.stream)
            self._rich_live = Live(
                get_renderable=self._renderable,
                console=console,
                refresh_per_second=4,
                transient=False,
            )
            self._rich_live.start()
        else:
            self._emit(force=True)

    def stop(self) -> None:
        if self._rich_live is not None:
            self._rich_live.refresh()
            self._rich_live.stop()
            self._rich_live = None
        elif self._width:
            self._emit(force=True)
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    # -- updates (any thread) ----------------------------------------------------------
    def set_phase(self, phase: str) -> None:
        with self._lock:
            changed = phase != self.phase
            self.phase = phase
        self._emit(force=changed)

    def add_total(self, count: int) -> None:
        with self._lock:
            self.total += count
        self._emit()

    def subproblem_done(self, cached: bool = False) -> None:
        with self._lock:
            self.done += 1
            self.cached += int(cached)
        self._emit()

    def best_cost(self, cost: float) -> None:
        with self._lock:
            if self.best is None or cost < self.best:
                self.best = cost
        self._emit()

    # -- rendering ---------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    def line(self) -> str:
        with self._lock:
            best = "–" if self.best is None else f"{self.best:,.1f}"
            total = f"/{self.total}" if self.total else ""
            cached = f" ({self.cached} reused)" if self.cached else ""
            return (
                f"{self.title} | {self.phase:<10} | subproblems {self.done}{total}{cached} "
                f"| best {best} | {self.elapsed:5.1f} s"
            )

    def _renderable(self) -> Any:
        from rich.text import Text

        return Text(self.line())

    def _emit(self, force: bool = False) -> None:
        if self._rich_live is not None or self.live:
            return  # rich refreshes on its own thread
        now = time.perf_counter()
        if not force and now - self._last_print < self.min_interval:
            return
        self._last_print = now
        text = self.line()
        pad = max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()


def _num(value: Any, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def print_summary(payload: Mapping[str, Any], stream: TextIO | None = None) -> None:
    """The closing tables: hybrid vs each baseline, backends used and the quantum share."""
    from rich.console import Console
    from rich.table import Table

    from qroute.reporting.output import comparison_rows, provenance_lines, quantum_share_sentence

    console = Console(file=stream if stream is not None else sys.stdout, width=110)
    status = "feasible" if payload.get("feasible") else "INFEASIBLE"
    table = Table(title=f"{payload['instance']}: hybrid vs classical baselines ({status})")
    for column, justify in (
        ("solver", "left"),
        ("cost", "right"),
        ("gap to BKS", "right"),
        ("time", "right"),
        ("feasible", "center"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in comparison_rows(payload):
        table.add_row(
            row["solver"],
            _num(row["cost"]),
            _num(row["gap_percent"], 2, " %"),
            _num(row["wall_seconds"], 1, " s"),
            "yes" if row["feasible"] else "NO",
        )
    console.print(table)

    backends = Table(title="subproblem backends used")
    backends.add_column("backend")
    backends.add_column("solves", justify="right")
    for name, count in payload.get("backends", {}).items():
        backends.add_row(str(name), str(count))
    console.print(backends)

    share = payload.get("quantum_share", {})
    if share:
        console.print(quantum_share_sentence(share), highlight=False)
    for line in provenance_lines(payload):
        console.print(line, highlight=False)
    timing = payload.get("timing", {})
    if timing.get("total_seconds") is not None:
        console.print(
            f"wall {_num(timing.get('total_seconds'), 1, ' s')}; optimisation "
            f"{_num(timing.get('optimisation_seconds'), 1, ' s')}; orchestration overhead "
            f"{_num(timing.get('orchestration_seconds'), 1, ' s')}"
        )
    if not payload.get("feasible"):
        console.print("[bold red]The validator rejected the hybrid solution:[/]")
        for violation in payload.get("violations", []):
            console.print(f"  - {violation}")
