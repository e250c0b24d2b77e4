"""Entry point: the solve flow lives in qroute.orchestration.solve."""

from qroute.orchestration.solve import solve_flow

__all__ = ["solve_flow"]
