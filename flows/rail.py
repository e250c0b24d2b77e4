"""Deployment entry point (prefect.yaml); the flow lives in qroute.orchestration.rail."""

from qroute.orchestration.rail import nightly_rail_plan

__all__ = ["nightly_rail_plan"]
