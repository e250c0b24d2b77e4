"""The one progress protocol of a solve: what the pipeline, its solve-batch and the
orchestration report while they run (a terminal view implements it: qroute.cli.progress).

Every method may be called from any thread (mapped subproblem solves finish on workers).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Progress(Protocol):
    """Phases, subproblem solves queued and finished, and the best cost so far."""

    def set_phase(self, phase: str) -> None:
        """A new phase started: partition, initial, improve, validate, baselines, report."""

    def add_total(self, count: int) -> None:
        """`count` more subproblem solves were queued."""

    def subproblem_done(self, cached: bool = False) -> None:
        """One queued solve finished (`cached`: its answer was reused, not solved again)."""

    def best_cost(self, cost: float) -> None:
        """The cost of the best feasible solution so far (a higher one may be ignored)."""


class NoProgress:
    """A Progress that ignores everything (what the pipeline uses when given none)."""

    def set_phase(self, phase: str) -> None:
        del phase

    def add_total(self, count: int) -> None:
        del count

    def subproblem_done(self, cached: bool = False) -> None:
        del cached

    def best_cost(self, cost: float) -> None:
        del cost


class Recorder:
    """A Progress that keeps every event as a (method, value) pair, for tests and benches."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def set_phase(self, phase: str) -> None:
        self.events.append(("set_phase", phase))

    def add_total(self, count: int) -> None:
        self.events.append(("add_total", count))

    def subproblem_done(self, cached: bool = False) -> None:
        self.events.append(("subproblem_done", cached))

    def best_cost(self, cost: float) -> None:
        self.events.append(("best_cost", cost))

    def values(self, method: str) -> list[object]:
        return [value for name, value in self.events if name == method]
