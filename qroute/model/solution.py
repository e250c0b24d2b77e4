"""A solution that only answers questions about itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from qroute.model.problem import Problem
from qroute.model.validation import ValidationReport, validate


@dataclass(frozen=True)
class Solution:
    """Routes (customer ids 1..n, depot omitted) for a Problem."""

    problem: Problem
    routes: tuple[tuple[int, ...], ...]

    @classmethod
    def from_routes(cls, problem: Problem, routes: Sequence[Sequence[int]]) -> Solution:
        return cls(problem, tuple(tuple(int(c) for c in r) for r in routes if len(r) > 0))

    @cached_property
    def report(self) -> ValidationReport:
        return validate(self.problem, self.routes)

    @property
    def cost(self) -> float:
        return self.report.cost

    @property
    def is_feasible(self) -> bool:
        return self.report.feasible

    @property
    def violations(self) -> tuple[str, ...]:
        return self.report.violations

    @property
    def num_routes(self) -> int:
        return len(self.routes)

    def loads(self) -> list[int]:
        return [int(self.problem.demands[list(r)].sum()) for r in self.routes]

    def route_costs(self) -> list[float]:
        return [self.problem.route_cost(r) for r in self.routes]
