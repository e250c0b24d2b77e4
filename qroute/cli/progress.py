"""The terminal side of `qroute solve`: a live progress display and the closing tables.

`LiveProgress` is thread-safe (subproblem tasks finish on worker threads). On a terminal it
is a rich `Live` panel: phase, a time bar of elapsed against the run's budget with the time
remaining, subproblems done and the best cost. Otherwise (CI logs, `> file`) it writes plain
lines, no control characters: one when the phase changes or the best cost improves, and at
most one every `min_interval` seconds for the subproblem count.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from typing import Any, TextIO


class LiveProgress:
    """Phase, elapsed / remaining time against `budget` seconds, subproblems done, best cost:
    the terminal view of qroute.hybrid.progress.Progress (the one progress protocol)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        live: bool | None = None,
        min_interval: float = 5.0,
        title: str = "qroute solve",
        budget: float | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.live = isatty if live is None else live
        self.min_interval = min_interval
        self.title = title
        self.budget = budget if budget is not None and budget > 0 else None
        self.phase = "starting"
        self.done = 0
        self.total = 0
        self.cached = 0
        self.best: float | None = None
        self._lock = threading.Lock()
        self._start = time.perf_counter()
        self._budget_start: float | None = None  # the first phase after "starting"
        self._last_print = 0.0
        self._last_line = ""
        self._rich_live: Any = None

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
        else:
            self._emit(force=True, final=True)

    # -- updates (any thread) ----------------------------------------------------------
    def set_phase(self, phase: str) -> None:
        with self._lock:
            changed = phase != self.phase
            self.phase = phase
            if changed and self._budget_start is None:
                self._budget_start = time.perf_counter()  # the budget counts from here
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
            improved = self.best is None or cost < self.best
            if improved:
                self.best = cost
        self._emit(force=improved)

    # -- rendering ---------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    @property
    def remaining(self) -> float | None:
        """Seconds left of the budget (0 once it is spent), or None without a budget. The
        budget counts from the first phase (start-up before it is not optimisation time)."""
        if self.budget is None:
            return None
        begun = self._budget_start
        used = 0.0 if begun is None else time.perf_counter() - begun
        return max(0.0, self.budget - used)

    def line(self) -> str:
        """The state as one plain line (ASCII apart from the title)."""
        with self._lock:
            best = "-" if self.best is None else f"{self.best:,.1f}"
            total = f"/{self.total}" if self.total else ""
            cached = f" ({self.cached} reused)" if self.cached else ""
            done = f"{self.done}{total}{cached}"
            phase = self.phase
        clock = f"{self.elapsed:5.1f} s"
        if self.budget is not None:
            clock += f", {self.remaining:.0f} s left of {self.budget:.0f} s"
        return f"{self.title} | {phase:<10} | subproblems {done} | best {best} | {clock}"

    def _renderable(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        with self._lock:
            phase, done, total, cached, best = (
                self.phase,
                self.done,
                self.total,
                self.cached,
                self.best,
            )
        elapsed = self.elapsed
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row(self.title, f"[cyan]{phase}[/]")
        if self.budget is not None:
            left = self.remaining or 0.0
            bar = ProgressBar(total=self.budget, completed=self.budget - left, width=40)
            times = Table.grid(padding=(0, 1))
            times.add_row(
                bar, f"{elapsed:5.1f} s elapsed, {left:5.1f} s of {self.budget:.0f} s left"
            )
            grid.add_row("time", times)
        else:
            grid.add_row("time", f"{elapsed:5.1f} s elapsed")
        count = f"{done}/{total}" if total else str(done)
        if cached:
            count += f" ({cached} reused from the cache)"
        grid.add_row("subproblems", count)
        grid.add_row("best cost", "-" if best is None else f"{best:,.1f}")
        return grid

    def _emit(self, force: bool = False, final: bool = False) -> None:
        if self._rich_live is not None or self.live:
            return  # rich refreshes on its own thread
        now = time.perf_counter()
        if not force and now - self._last_print < self.min_interval:
            return
        text = self.line()
        head = text.rsplit("|", 1)[0]
        if not final and head == self._last_line.rsplit("|", 1)[0] and not force:
            return  # only the clock moved
        with self._lock:
            self._last_print = now
            self._last_line = text
            self.stream.write(text + "\n")
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
