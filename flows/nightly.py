"""Deployment entry points (prefect.yaml); the flows live in qroute.orchestration."""

from qroute.orchestration.nightly import nightly_routing, solve_on_demand

__all__ = ["nightly_routing", "solve_on_demand"]
