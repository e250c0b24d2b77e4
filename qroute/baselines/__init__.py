"""Classical baselines behind the common solver protocol."""

from qroute.baselines.ortools import ORToolsSolver
from qroute.baselines.pyvrp import PyVRPSolver
from qroute.baselines.savings import SavingsSolver, savings_routes

BASELINES: dict[str, type[PyVRPSolver] | type[ORToolsSolver] | type[SavingsSolver]] = {
    "pyvrp": PyVRPSolver,
    "ortools": ORToolsSolver,
    "savings": SavingsSolver,
}

__all__ = ["BASELINES", "ORToolsSolver", "PyVRPSolver", "SavingsSolver", "savings_routes"]
